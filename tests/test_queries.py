"""Every shipped query in queries/*.rq, run on the bundled sample and checked against
answers computed independently from the Corpus in Python."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from conftest import current

from graph.model.records import Corpus
from graph.rdf.mapping import author_iri, paper_iri
from graph.rdf.store import QueryResult, execute, open_store, serialize, shipped_queries

SHIPPED = shipped_queries()
XSD = "http://www.w3.org/2001/XMLSchema#"
REQUIRED = {"top-authors", "coauthor-pairs", "coauthors-of", "paper-authors", "code-per-month",
            "repos-by-owner", "category-cooccurrence", "mentions", "papers-by-doi-or-journal",
            "ego-network"}


@pytest.fixture(scope="module")
def store(sample_kg: Path) -> ox.Store:
    return open_store(current(sample_kg))  # `build` wrote the store


def run(store: ox.Store, name: str) -> QueryResult:
    return execute(store, text(name))


def text(name: str) -> str:
    return SHIPPED[name].path.read_text("utf-8")


def parameter(name: str, var: str) -> str:
    """The value a shipped query's VALUES line gives ?var (the user edits it there)."""
    match = re.search(rf'VALUES \?{var} \{{ "([^"]*)" \}}', text(name))
    assert match, f"{name}.rq has no VALUES ?{var}"
    return match.group(1)


def py(term):
    if term is None or isinstance(term, ox.NamedNode):
        return None if term is None else term.value
    kind = term.datatype.value
    if kind == XSD + "integer":
        return int(term.value)
    if kind == XSD + "decimal":
        return Decimal(term.value)
    if kind == XSD + "boolean":
        return term.value == "true"
    return term.value


def rows(result: QueryResult) -> list[tuple]:
    return [tuple(py(t) for t in row) for row in result.rows]


def paper_counts(corpus: Corpus) -> Counter[str]:
    return Counter(k for p in corpus.papers for k in dict.fromkeys(p.authors))


# --- the collection itself ------------------------------------------------------------

def test_at_least_ten_documented_queries_cover_the_issue() -> None:
    assert len(SHIPPED) >= 10
    assert REQUIRED <= set(SHIPPED)
    for q in SHIPPED.values():
        lines = q.path.read_text("utf-8").splitlines()
        assert lines[0].startswith("# ") and len(q.description) > 20, q.name
        assert f"arxiv-kg query {q.name}" in q.path.read_text("utf-8"), q.name


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_query_runs_and_serialises_in_every_fitting_format(store, name: str) -> None:
    result = run(store, name)
    assert len(result) > 0, f"{name} is empty on the sample: it tests nothing"
    formats = ("turtle", "ntriples", "table") if result.kind == "graph" else ("json", "xml", "csv", "tsv", "table")
    for fmt in formats:
        assert serialize(result, fmt)


# --- each query against the corpus ----------------------------------------------------

def test_count_papers(store, sample_corpus: Corpus) -> None:
    people = sum(a.kind == "person" for a in sample_corpus.authors.values())  # teams are schema:Organization
    assert rows(run(store, "count-papers")) == [(len(sample_corpus.papers), people)]


def test_top_authors(store, sample_corpus: Corpus) -> None:
    counts = paper_counts(sample_corpus)
    cut = sorted(counts.values(), reverse=True)[19]
    assert sum(n >= cut for n in counts.values()) < 1000  # the query's stated precondition
    names = sample_corpus.authors
    expected = sorted(((names[k].name, n, author_iri(k)) for k, n in counts.items()),
                      key=lambda r: (-r[1], r[0], r[2]))[:20]
    assert rows(run(store, "top-authors")) == expected


def test_coauthor_pairs(store, sample_corpus: Corpus) -> None:
    counts = paper_counts(sample_corpus)
    assert sorted(counts.values(), reverse=True)[999] < 2  # every author with 2+ papers is ranked
    pairs: Counter[tuple[str, str]] = Counter()
    for p in sample_corpus.papers:
        by_iri = sorted(dict.fromkeys(p.authors), key=author_iri)  # the query keeps STR(?a) < STR(?b)
        pairs.update(combinations(by_iri, 2))
    names = sample_corpus.authors
    expected = sorted(((names[a].name, names[b].name, n) for (a, b), n in pairs.items() if n >= 2),
                      key=lambda r: (-r[2], r[0], r[1]))[:20]
    assert expected and rows(run(store, "coauthor-pairs")) == expected


def test_coauthors_of(store, sample_corpus: Corpus) -> None:
    name = parameter("coauthors-of", "name")
    me = {k for k, a in sample_corpus.authors.items() if a.name == name}
    assert me, f"{name} is not in the sample"
    shared: dict[str, set[str]] = defaultdict(set)
    first: dict[str, str] = {}
    for p in sample_corpus.papers:
        if me & set(p.authors):
            for k in set(p.authors) - me:
                shared[k].add(p.arxiv_id)
                first[k] = min(first.get(k, p.published), p.published)
    expected = sorted(((sample_corpus.authors[k].name, len(ids), datetime.fromisoformat(first[k]))
                       for k, ids in shared.items()), key=lambda r: (-r[1], r[0]))
    got = [(n, c, datetime.fromisoformat(d.replace("Z", "+00:00"))) for n, c, d in rows(run(store, "coauthors-of"))]
    assert got == expected


def test_paper_authors_in_byline_order(store, sample_corpus: Corpus) -> None:
    arxiv_id = parameter("paper-authors", "id")
    paper = next(p for p in sample_corpus.papers if p.arxiv_id == arxiv_id)
    expected = [(pos, sample_corpus.authors[k].name, author_iri(k)) for pos, k in enumerate(paper.authors, 1)]
    assert len(expected) > 1
    assert rows(run(store, "paper-authors")) == expected


def test_code_per_month(store, sample_corpus: Corpus) -> None:
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in sample_corpus.papers:
        months[p.published[:7]][0] += 1
        months[p.published[:7]][1] += bool(p.repositories)
    expected = [(m, n, code, Decimal(math.floor(1000 * code / n + 0.5)) / 10)
                for m, (n, code) in sorted(months.items())]
    assert rows(run(store, "code-per-month")) == expected


def test_repos_by_owner(store, sample_corpus: Corpus) -> None:
    repos: dict[tuple[str, str], set[str]] = defaultdict(set)
    papers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in sample_corpus.papers:
        for url in p.repositories:
            parts = urlsplit(url)
            owner = parts.path.strip("/").split("/")[0]
            repos[parts.hostname, owner].add(parts.path.strip("/"))
            papers[parts.hostname, owner].add(p.arxiv_id)
    expected = sorted(((h, o, len(repos[h, o]), len(papers[h, o]), repos[h, o]) for h, o in repos),
                      key=lambda r: (-r[3], -r[2], r[0], r[1]))[:25]
    got = [(h, o, nr, np_, set(names.split(" "))) for h, o, nr, np_, names in rows(run(store, "repos-by-owner"))]
    assert got == expected


def test_category_cooccurrence(store, sample_corpus: Corpus) -> None:
    pairs = Counter(pair for p in sample_corpus.papers
                    for pair in combinations(sorted(set(p.categories)), 2))
    expected = sorted(((a, b, n) for (a, b), n in pairs.items()), key=lambda r: (-r[2], r[0], r[1]))[:30]
    assert rows(run(store, "category-cooccurrence")) == expected


def test_mentions(store, sample_corpus: Corpus) -> None:
    in_corpus = {p.arxiv_id for p in sample_corpus.papers}
    expected = sorted((p.arxiv_id, m, m in in_corpus, p.title)
                      for p in sample_corpus.papers for m in set(p.mentions))
    assert expected and rows(run(store, "mentions")) == expected


def test_papers_by_doi_or_journal(store, sample_corpus: Corpus) -> None:
    needle = parameter("papers-by-doi-or-journal", "needle").lower()
    expected = []
    for p in sample_corpus.papers:
        texts = [*p.dois, *([p.journal_ref] if p.journal_ref else [])]
        if any(needle in t.lower() for t in texts):
            for doi in p.dois or (None,):
                expected.append((p.arxiv_id, doi, p.journal_ref, p.title))
    expected.sort(key=lambda r: (r[0], r[1] or ""))
    assert expected and rows(run(store, "papers-by-doi-or-journal")) == expected


def test_repos_in_two_categories(store, sample_corpus: Corpus) -> None:
    notations = re.findall(r'skos:notation "([^"]+)"', text("repos-in-two-categories"))
    assert len(notations) == 2
    expected = sorted((url, p.arxiv_id, p.title) for p in sample_corpus.papers
                      if set(notations) <= set(p.categories) for url in p.repositories)
    assert expected and rows(run(store, "repos-in-two-categories")) == expected


def test_ego_network(store, sample_corpus: Corpus) -> None:
    name = parameter("ego-network", "name")
    me = {k for k, a in sample_corpus.authors.items() if a.name == name}
    schema = "http://schema.org/"
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    expected = set()
    for p in sample_corpus.papers:
        if me & set(p.authors):
            iri = paper_iri(p.arxiv_id)
            expected |= {(iri, rdf_type, schema + "ScholarlyArticle"), (iri, schema + "name", p.title)}
            for k in p.authors:
                person = author_iri(k)
                expected |= {(iri, schema + "author", person), (person, rdf_type, schema + "Person"),
                             (person, schema + "name", sample_corpus.authors[k].name)}
    result = run(store, "ego-network")
    assert result.kind == "graph" and expected
    assert {(t.subject.value, t.predicate.value, t.object.value) for t in result.triples} == expected
