"""The knowledge graph: a typed networkx DiGraph built from the KG folder's tables.

Node ids carry their type as a prefix so that kinds never collide:

=============  ===============================  ==========================================
type           id                               attributes (besides ``type`` and ``label``)
=============  ===============================  ==========================================
Paper          ``paper:2105.14656``             arxiv_id, version, versions, title, abstract,
                                                comment, journal_ref, dois, published,
                                                updated, primary_category, sources,
                                                in_corpus (False for papers only mentioned)
Author         ``author:<key>``                 key, name, spellings, papers, kind
Category       ``category:cs.CV``               code, name, archive
SubjectClass   ``subject:ACM:I.5.4``            scheme ("ACM" or "MSC"), code, edition
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
sequences are tuples; dates are ISO 8601 text. Exporters decide how to encode them.

The tables are read a few columns at a time (graph.tables.scan), so the graph is the only
large thing held: GraphML and GEXF need all of it before they write a line. The RDF
exports do not use this view; they stream the tables (graph.rdf.subjects).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from graph.gcpause import paused_gc
from graph.model.taxonomy import category_info
from graph.tables import scan

_PAPER_COLUMNS = ("arxiv_id", "version", "versions", "title", "abstract", "comment", "journal_ref",
                  "dois", "published", "updated", "primary_category", "sources")


def paper_id(arxiv_id: str) -> str:
    return f"paper:{arxiv_id}"


def author_id(key: str) -> str:
    return f"author:{key}"


def build_graph(kg_dir: str | Path) -> nx.DiGraph:
    """The typed knowledge graph of a KG folder; raises KGNotFound if it has no tables."""
    g = nx.DiGraph()
    with paused_gc():
        _Filler(g).fill(Path(kg_dir))
    return g


class _Filler:
    """Fills a new DiGraph's node and adjacency dicts directly.

    add_node/add_edge cost a keyword-argument call, a dict copy and several membership tests
    each: 0.70 s for the dev corpus's 186k edges, against 0.49 s filled directly. The result is
    the graph those calls would build: DiGraph keeps a node's attributes in `_node[n]` and
    shares one dict per edge between `_succ[u][v]` and `_pred[v][u]` (tests/test_graph.py
    checks it against the public API, for a networkx that changes this).
    """

    def __init__(self, g: nx.DiGraph) -> None:
        self.nodes: dict[str, dict[str, Any]] = g._node
        self.succ: dict[str, dict[str, dict[str, Any]]] = g._succ
        self.pred: dict[str, dict[str, dict[str, Any]]] = g._pred

    def node(self, n: str, attrs: dict[str, Any]) -> None:
        if n in self.nodes:
            self.nodes[n].update(attrs)
        else:
            self.nodes[n] = attrs
            self.succ[n] = {}
            self.pred[n] = {}

    def fill(self, kg: Path) -> None:
        for key, name, spellings, papers, kind in scan.rows(
                kg, "authors", ("key", "name", "spellings", "papers", "kind")):
            self.node(author_id(key), {"type": "Author", "label": name, "key": key, "name": name,
                                       "spellings": tuple(spellings), "papers": papers, "kind": kind})
        for row in scan.rows(kg, "papers", _PAPER_COLUMNS):
            self.node(paper_id(row[0]), _paper_attrs(*row))
        self._authorships(scan.rows(kg, "authorships", ("arxiv_id", "position", "author_key")))
        # Edges out of each paper in the order of its columns: categories, classes, code, links.
        for aid, code, primary in scan.rows(kg, "categories", ("arxiv_id", "category", "primary")):
            self._edge(aid, self._category(code), {"type": "in_category", "primary": primary})
        for aid, *subject in scan.rows(kg, "subject_classes", ("arxiv_id", "scheme", "code", "edition")):
            self._edge(aid, self._subject(*subject), {"type": "has_subject"})
        for aid, *repo in scan.rows(kg, "repositories", ("arxiv_id", "url", "host", "owner", "name")):
            self._edge(aid, self._repository(*repo), {"type": "has_code"})
        for aid, *link in scan.rows(kg, "links", ("arxiv_id", "url", "kind", "host")):
            self._edge(aid, self._link(*link), {"type": "links_to"})
        for aid, other in scan.rows(kg, "mentions", ("arxiv_id", "mentioned")):
            self._edge(aid, self._mentioned(other), {"type": "mentions"})

    def _authorships(self, rows) -> None:
        succ, pred = self.succ, self.pred
        for aid, position, key in rows:
            into = pred[paper_id(aid)]
            author = author_id(key)
            if author not in into:  # a name listed twice keeps its first place
                into[author] = succ[author][paper_id(aid)] = {"type": "authored", "position": position}

    def _edge(self, aid: str, v: str, attrs: dict[str, Any]) -> None:
        u = paper_id(aid)
        out = self.succ[u]
        if v in out:  # as add_edge: a repeated edge updates its attributes
            out[v].update(attrs)
        else:
            out[v] = self.pred[v][u] = attrs

    # Nodes shared between papers, each added at its first use; ids carry their type's prefix,
    # so the graph's own node dict tells whether one is there already.
    def _category(self, code: str) -> str:
        cid = f"category:{code}"
        if cid not in self.nodes:
            name, archive = category_info(code)
            self.node(cid, {"type": "Category", "label": code, "code": code, "name": name,
                            "archive": archive})
        return cid

    def _subject(self, scheme: str, code: str, edition: str | None) -> str:
        sid = f"subject:{scheme}:{code}"
        if sid not in self.nodes:  # edition "": an invalid code, kept as printed
            self.node(sid, {"type": "SubjectClass", "label": code, "scheme": scheme, "code": code,
                            "edition": edition or ""})
        return sid

    def _repository(self, url: str, host: str, owner: str, name: str) -> str:
        rid = f"repo:{url}"
        if rid not in self.nodes:
            self.node(rid, {"type": "Repository", "label": f"{owner}/{name}", "url": url,
                            "host": host, "owner": owner, "name": name})
        return rid

    def _link(self, url: str, kind: str, host: str) -> str:
        lid = f"link:{url}"
        if lid not in self.nodes:
            self.node(lid, {"type": "Link", "label": url, "url": url, "kind": kind, "host": host})
        return lid

    def _mentioned(self, arxiv_id: str) -> str:
        pid = paper_id(arxiv_id)
        if pid not in self.nodes:  # a paper mentioned, not in the corpus
            self.node(pid, {"type": "Paper", "label": arxiv_id, "arxiv_id": arxiv_id,
                            "in_corpus": False})
        return pid


def _paper_attrs(arxiv_id: str, version: int, versions: list[int], title: str, abstract: str,
                 comment: str | None, journal_ref: str | None, dois: list[str], published: str,
                 updated: str, primary_category: str | None, sources: list[str]) -> dict[str, Any]:
    return {"type": "Paper", "label": title, "arxiv_id": arxiv_id, "version": version,
            "versions": tuple(versions), "title": title, "abstract": abstract, "comment": comment,
            "journal_ref": journal_ref, "dois": tuple(dois), "published": published,
            "updated": updated, "primary_category": primary_category, "sources": tuple(sources),
            "in_corpus": True}
