"""The knowledge graph: a typed networkx DiGraph built from a Corpus.

Node ids carry their type as a prefix so that kinds never collide:

=============  ===============================  ==========================================
type           id                               attributes (besides ``type`` and ``label``)
=============  ===============================  ==========================================
Paper          ``paper:2105.14656``             arxiv_id, version, versions, title, abstract,
                                                comment, journal_ref, dois, published,
                                                updated, primary_category, sources,
                                                in_corpus (False for papers only mentioned)
Author         ``author:<key>``                 key, name, spellings, papers
Category       ``category:cs.CV``               code, name, archive
SubjectClass   ``subject:ACM:I.5.4``            scheme ("ACM" or "MSC"), code
Repository     ``repo:https://github.com/o/r``  url, host, owner, name
Link           ``link:<url>``                   url, kind, host
=============  ===============================  ==========================================

Edges point from the paper outwards, except authorship:

=============  ======================  =====================
type           direction               attributes
=============  ======================  =====================
authored       Author -> Paper         position (1-based)
in_category    Paper -> Category       primary (bool)
has_subject    Paper -> SubjectClass
has_code       Paper -> Repository
links_to       Paper -> Link
mentions       Paper -> Paper
=============  ======================  =====================

Optional values (comment, journal_ref, primary_category) are None when absent;
sequences are tuples. Exporters decide how to encode both.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import networkx as nx

from graph.gcpause import paused_gc
from graph.records import Corpus, Paper
from graph.taxonomy import category_info


def paper_id(arxiv_id: str) -> str:
    return f"paper:{arxiv_id}"


def author_id(key: str) -> str:
    return f"author:{key}"


def build_graph(corpus: Corpus) -> nx.DiGraph:
    """Build the typed knowledge graph; node and edge insertion order is deterministic."""
    g = nx.DiGraph()
    in_corpus = {p.arxiv_id for p in corpus.papers}
    with paused_gc():
        for a in corpus.authors.values():
            g.add_node(author_id(a.key), type="Author", label=a.name, key=a.key, name=a.name,
                       spellings=a.spellings, papers=a.papers)
        for p in corpus.papers:
            _add_paper(g, p, in_corpus)
    return g


def _add_paper(g: nx.DiGraph, p: Paper, in_corpus: set[str]) -> None:
    pid = paper_id(p.arxiv_id)
    g.add_node(pid, type="Paper", label=p.title, arxiv_id=p.arxiv_id, version=p.version,
               versions=p.versions, title=p.title, abstract=p.abstract, comment=p.comment,
               journal_ref=p.journal_ref, dois=p.dois, published=p.published,
               updated=p.updated, primary_category=p.primary_category, sources=p.sources,
               in_corpus=True)
    for pos, key in enumerate(p.authors, 1):
        if not g.has_edge(author_id(key), pid):  # a name listed twice keeps its first place
            g.add_edge(author_id(key), pid, type="authored", position=pos)
    for code in p.categories:
        cid = f"category:{code}"
        if cid not in g:
            name, archive = category_info(code)
            g.add_node(cid, type="Category", label=code, code=code, name=name, archive=archive)
        g.add_edge(pid, cid, type="in_category", primary=code == p.primary_category)
    for sc in p.subject_classes:
        scheme, code = sc.split(":", 1)
        g.add_node(f"subject:{sc}", type="SubjectClass", label=code, scheme=scheme, code=code)
        g.add_edge(pid, f"subject:{sc}", type="has_subject")
    for url in p.repositories:
        host, owner, name = _repo_parts(url)
        g.add_node(f"repo:{url}", type="Repository", label=f"{owner}/{name}", url=url,
                   host=host, owner=owner, name=name)
        g.add_edge(pid, f"repo:{url}", type="has_code")
    for link in p.links:
        g.add_node(f"link:{link.url}", type="Link", label=link.url, url=link.url,
                   kind=link.kind, host=urlsplit(link.url).hostname or "")
        g.add_edge(pid, f"link:{link.url}", type="links_to")
    for other in p.mentions:
        oid = paper_id(other)
        if other not in in_corpus and oid not in g:
            g.add_node(oid, type="Paper", label=other, arxiv_id=other, in_corpus=False)
        g.add_edge(pid, oid, type="mentions")


def _repo_parts(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    owner, _, name = parts.path.strip("/").partition("/")
    return parts.hostname or "", owner, name
