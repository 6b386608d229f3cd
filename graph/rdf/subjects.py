"""The KG's RDF subjects, streamed from its Parquet tables in ascending IRI order.

``subjects(kg_dir, base_iri)`` yields ``(subject_iri, pairs)`` for every RDF subject once,
in ascending order of its IRI (plain string order), with its pairs sorted and free of
duplicates (graph.rdf.mapping.sorted_pairs); ``ntriples_lines`` renders the same stream as
N-Triples. Every RDF output renders this one stream, so the same tables give byte-identical
files whatever the order they were read in.

How it streams: the subjects are a k-way merge of per-kind streams, each already in IRI order
and each with its pairs sorted (so only the rare subject of two kinds is sorted again).

* papers: the papers table in its row order (arXiv IDs ascending), joined row by row with the
  child tables (categories, subject classes, repositories, links, mentions, authorships), which
  share that order; nothing of a paper is held once it is written;
* author signatures: the authorships table in the same order, each paper's few positions
  sorted as IRI text ("10" before "2");
* authors: their IRIs (slug and hash of the key) sort unlike their keys, so they are sorted
  once as one Arrow array of IRIs, and the authors table is read in that order;
* the small kinds (categories, archives, schemes, subject classes, repositories, links, papers
  only mentioned): distinct values, sorted in memory; they number thousands, not millions.

Why the row order of papers is IRI order: a paper's IRI is ``https://arxiv.org/abs/`` + its ID,
and a signature's is ``<base>signature/<ID>/<position>``; for IDs of the arXiv grammar
(``2105.14656``, ``math.AG/0309136``) that concatenation keeps their order, because no such ID
is a prefix of another followed by a character below "/". Tables whose IDs fall outside the
grammar (only hand-made ones) are sorted in memory instead, so the output is the same.
"""
from __future__ import annotations

import heapq
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.errors import ArxivKGError
from graph.model.taxonomy import category_info
from graph.rdf.mapping import (
    DEFAULT_BASE_IRI,
    IRI,
    P_ABOUT,
    P_AUTHOR,
    P_HAS_CODE,
    P_MENTIONS,
    P_PRIMARY,
    P_RELATION,
    P_SIGNATURE,
    P_SUBJECT,
    Describer,
    Pair,
    Subject,
    Term,
    author_iri,
    category_iri,
    iri,
    link_iri,
    literal,
    paper_iri,
    scheme_iri,
    signature_prefix,
    sorted_pairs,
    subject_iri,
    subject_lines,
    subject_scheme_slug,
)
from graph.tables import scan
from graph.tables.schema import TABLES


class UnsortedTable(ArxivKGError):
    """A table's rows are not in the order graph.tables.schema promises."""


Progress = Callable[[int, int], None]  # (subjects done, subjects expected in total)
_PROGRESS_EVERY = 50_000
_FIRST = itemgetter(0)
# arXiv IDs whose IRIs sort as the IDs do (see the module doc): new-style, or old-style
# archive[.subject-class]/7 digits.
_ID_GRAMMAR = r"^(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Za-z-]+)?/[0-9]{7})$"
_PAPER_COLUMNS = ("arxiv_id", "title", "abstract", "journal_ref", "comment", "published",
                  "updated", "version", "dois")


def subjects(kg_dir: str | Path, base_iri: str = DEFAULT_BASE_IRI,
             progress: Progress | None = None) -> Iterator[Subject]:
    """Every RDF subject of the KG folder's tables with its sorted, de-duplicated pairs.

    `progress(done, total)` is called every 50,000 subjects and at the end (`total` is
    estimated from the tables' row counts until then). Raises BadBaseIri for an unusable
    base IRI, KGNotFound for a folder without tables.
    """
    kg = Path(kg_dir)
    describe = Describer(base_iri)
    small = _SmallKinds(kg, describe)
    authors = _author_iris(kg, describe.base)
    total = (scan.num_rows(kg, "papers") + scan.num_rows(kg, "authorships") + len(authors)
             + len(small.subjects))
    done, next_report = 0, _PROGRESS_EVERY
    for subject in _merged(_streams(kg, describe, small, authors)):
        yield subject
        done += 1
        if progress is not None and done >= next_report:
            progress(done, max(done, total))
            next_report = done + _PROGRESS_EVERY
    if progress is not None:
        progress(done, done)


def subjects_of(kg_dir: str | Path, base_iri: str, papers: Collection[str],
                authors: Collection[str], *, scratch: Path) -> Iterator[Subject]:
    """What `subjects` yields for the subjects an update may change: the papers `papers`
    with their author signatures, the authors `authors` and those papers' other authors, and
    every subject of the small kinds (categories, ..., papers only mentioned), in IRI order.
    Their rows are copied into a temporary folder in `scratch`."""
    kg = Path(kg_dir)
    describe = Describer(base_iri)
    small = _SmallKinds(kg, describe)
    with tempfile.TemporaryDirectory(prefix=".subjects-", dir=scratch) as folder:
        part = Path(folder)
        _restrict(kg, part, papers, authors)
        yield from _merged(_streams(part, describe, small, _author_iris(part, describe.base)))


def _restrict(kg: Path, part: Path, papers: Collection[str], authors: Collection[str]) -> None:
    """The rows of `papers` (and of `authors`, and of those papers' authors) of kg's tables,
    as tables in `part`."""
    con = duckdb.connect()
    try:
        con.register("chosen_papers", pa.table({"arxiv_id": pa.array(sorted(papers), pa.string())}))
        con.register("chosen_authors", pa.table({"key": pa.array(sorted(authors), pa.string())}))
        for name in ("papers", *_CHILD_COLUMNS):
            _copy(con, kg, part, name, "arxiv_id IN (SELECT arxiv_id FROM chosen_papers)")
        _copy(con, kg, part, "authors", "key IN (SELECT key FROM chosen_authors) OR key IN "
                                        f"(SELECT author_key FROM {_read(part, 'authorships')})")
    finally:
        con.close()


def _copy(con: duckdb.DuckDBPyConnection, kg: Path, part: Path, name: str, where: str) -> None:
    order = ", ".join(TABLES[name].order)  # the streams walk child tables in the papers' order
    rows = con.sql(f"SELECT * FROM {_read(kg, name)} WHERE {where} ORDER BY {order}").to_arrow_table()
    pq.write_table(rows, part / TABLES[name].file)


def _read(kg: Path, name: str) -> str:
    path = str(scan.table_file(kg, name)).replace("'", "''")
    return f"read_parquet('{path}')"


def _streams(kg: Path, describe: Describer, small: _SmallKinds,
             authors: dict[str, Term]) -> list[Iterator[Subject]]:
    """One stream per kind of subject, each in IRI order."""
    papers, signatures = _papers(kg, describe, small, authors), _signatures(kg, describe, authors)
    if not _ids_keep_their_order(kg):
        papers, signatures = iter(sorted(papers, key=_FIRST)), iter(sorted(signatures, key=_FIRST))
    return [papers, signatures, _authors(kg, describe, authors), iter(small.subjects)]


def _merged(streams: list[Iterator[Subject]]) -> Iterator[Subject]:
    """The streams merged in IRI order; a subject of two kinds gets the pairs of both."""
    for subject, group in groupby(heapq.merge(*streams, key=_FIRST), key=_FIRST):
        pairs = next(group)[1]
        for _, more in group:  # noqa: B031  rare: an archive that is also a category
            pairs = sorted_pairs(pairs + more)
        yield subject, pairs


def ntriples_lines(kg_dir: str | Path, base_iri: str = DEFAULT_BASE_IRI,
                   progress: Progress | None = None) -> Iterator[str]:
    """The KG as N-Triples lines, sorted by subject, then predicate, then object."""
    for subject, pairs in subjects(kg_dir, base_iri, progress):
        yield from subject_lines(subject, pairs)


def _ids_keep_their_order(kg: Path) -> bool:
    """True if every paper's ID is of the arXiv grammar (see the module doc).

    Raises UnsortedTable if the IDs are not strictly ascending: the child tables are joined to
    the papers by walking both in that order, so no output can be right without it.
    """
    ids = scan.column(kg, "papers", "arxiv_id").combine_chunks()
    if not _all(pc.less(ids.slice(0, max(len(ids) - 1, 0)), ids.slice(1))):
        raise UnsortedTable(f"{scan.table_file(kg, 'papers')}: rows are not sorted by arxiv_id; "
                            "rebuild the knowledge graph with `arxiv-kg build`")
    return _all(pc.match_substring_regex(ids, _ID_GRAMMAR))


def _all(flags: pa.Array) -> bool:
    return bool(pc.all(flags, min_count=0).as_py())


class _Children:
    """A child table's rows (sorted by arxiv_id, position), handed out paper by paper."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._head = next(rows, None)

    def of(self, arxiv_id: str) -> list[tuple[Any, ...]]:
        """The rows of `arxiv_id`; rows of papers that are not in the papers table are skipped."""
        head, rows = self._head, self._rows
        while head is not None and head[0] < arxiv_id:
            head = next(rows, None)
        found = []
        while head is not None and head[0] == arxiv_id:
            found.append(head)
            head = next(rows, None)
        self._head = head
        return found


def _first_authors(rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Author key -> position: a name listed twice on a paper keeps its first place."""
    first: dict[str, int] = {}
    for _, position, key in rows:
        first.setdefault(key, position)
    return first


# The child tables a paper's subject is made from, and the columns read.
_CHILD_COLUMNS = {
    "categories": ("arxiv_id", "category", "primary"),
    "subject_classes": ("arxiv_id", "scheme", "code", "edition"),
    "repositories": ("arxiv_id", "url"),
    "links": ("arxiv_id", "url"),
    "mentions": ("arxiv_id", "mentioned"),
    "authorships": ("arxiv_id", "position", "author_key"),
}


def _papers(kg: Path, describe: Describer, small: _SmallKinds,
            authors: dict[str, Term]) -> Iterator[Subject]:
    children = {name: _Children(scan.rows(kg, name, columns)) for name, columns in _CHILD_COLUMNS.items()}
    base = describe.base
    for aid, title, abstract, journal, comment, published, updated, version, dois in scan.rows(
            kg, "papers", _PAPER_COLUMNS):
        edges = small.paper_edges(aid, children)
        paper = paper_iri(aid)
        signature = signature_prefix(paper, base)
        for key, position in _first_authors(children["authorships"].of(aid)).items():
            edges.append((P_AUTHOR, authors[key]))
            edges.append((P_SIGNATURE, (IRI, f"{signature}{position}", "")))
        yield paper, sorted_pairs(describe.paper(aid, (title, abstract, journal, comment),
                                                 (published, updated), version, dois, edges))


def _signatures(kg: Path, describe: Describer, authors: dict[str, Term]) -> Iterator[Subject]:
    for aid, rows in groupby(scan.rows(kg, "authorships", ("arxiv_id", "position", "author_key")),
                             key=_FIRST):
        paper = iri(paper_iri(aid))
        prefix = signature_prefix(paper[1], describe.base)
        signatures = [(f"{prefix}{position}", describe.signature(authors[key], paper, position))
                      for key, position in _first_authors(list(rows)).items()]
        signatures.sort(key=_FIRST)
        yield from signatures


def _author_iris(kg: Path, base: str) -> dict[str, Term]:
    """Author key -> IRI term, for every author: the papers and signatures point at them."""
    keys = scan.column(kg, "authors", "key").to_pylist()
    return {key: iri(author_iri(key, base)) for key in keys}


def _authors(kg: Path, describe: Describer, iris: dict[str, Term]) -> Iterator[Subject]:
    keys = scan.column(kg, "authors", "key")
    order = pc.sort_indices(pa.array([iris[k][1] for k in keys.to_pylist()], pa.string()))
    del keys
    table = scan.table(kg, "authors", ("key", "name", "spellings", "papers", "kind")).take(order)
    for batch in table.to_batches(max_chunksize=scan.BATCH_ROWS):
        for key, name, spellings, papers, kind in zip(*(scan.python_values(c) for c in batch.columns)):
            yield iris[key][1], sorted_pairs(describe.author(name, spellings, papers, kind))


class _SmallKinds:
    """Categories, archives, schemes, subject classes, repositories, links and papers only
    mentioned: their subjects (sorted by IRI) and the IRIs papers point at."""

    def __init__(self, kg: Path, describe: Describer) -> None:
        self.describe = describe
        self.categories: dict[str, Term] = {}
        self.classes: dict[tuple[str, str], Term] = {}
        self.repositories: dict[str, Term] = {}
        self.links: dict[str, Term] = {}
        found: list[Subject] = []
        found += self._categories(scan.column(kg, "categories", "category").unique().to_pylist())
        found += self._classes(scan.rows(kg, "subject_classes", ("scheme", "code", "edition")))
        found += self._repositories(scan.rows(kg, "repositories", ("url", "host", "owner", "name")))
        found += self._links(scan.rows(kg, "links", ("url", "kind")))
        found += self._mentioned_only(kg)
        found.sort(key=_FIRST)
        self.subjects = [(subject, sorted_pairs(pairs)) for subject, pairs in found]

    def _categories(self, codes: Iterable[str]) -> Iterator[Subject]:
        d, base, archives = self.describe, self.describe.base, set()
        for code in codes:
            name, archive = category_info(code)
            archives.add(archive or code)
            subject = category_iri(code, base)
            self.categories[code] = iri(subject)
            yield subject, d.category(code, name, archive or code)
        yield from ((category_iri(a, base), d.archive(a)) for a in archives)
        if self.categories:
            yield scheme_iri("arxiv", base), d.scheme("arxiv")

    def _classes(self, rows: Iterable[tuple[str, str, str | None]]) -> Iterator[Subject]:
        """Valid classes become concepts; an invalid code (no edition) stays a literal."""
        base, schemes = self.describe.base, set()
        for scheme, code, edition in rows:
            if (scheme, code) in self.classes:
                continue
            if edition is None:
                self.classes[scheme, code] = literal(code)
                continue
            subject = subject_iri(scheme, code, base)
            self.classes[scheme, code] = iri(subject)
            schemes.add(subject_scheme_slug(scheme, code))
            yield subject, self.describe.subject_class(scheme, code)
        yield from ((scheme_iri(s, base), self.describe.scheme(s)) for s in schemes)

    def _repositories(self, rows: Iterable[tuple[str, str, str, str]]) -> Iterator[Subject]:
        for url, host, owner, name in rows:  # the first row of a URL gives its fields
            if url not in self.repositories:
                subject = self.describe.repository_iri(url)
                self.repositories[url] = iri(subject)
                yield subject, self.describe.repository(subject, url, f"{owner}/{name}", host)

    def _links(self, rows: Iterable[tuple[str, str]]) -> Iterator[Subject]:
        for url, kind in rows:
            if url not in self.links:
                subject = link_iri(url, self.describe.base)
                self.links[url] = iri(subject)
                yield subject, self.describe.link(url, kind)

    def _mentioned_only(self, kg: Path) -> Iterator[Subject]:
        mentioned = scan.column(kg, "mentions", "mentioned").unique()
        ids = scan.column(kg, "papers", "arxiv_id")
        for aid in mentioned.filter(pc.invert(pc.is_in(mentioned, value_set=ids.combine_chunks()))).to_pylist():
            yield paper_iri(aid), self.describe.mentioned_paper(aid)

    def paper_edges(self, aid: str, children: dict[str, _Children]) -> list[Pair]:
        """A paper's pairs that point at categories, classes, code, links and other papers."""
        edges: list[Pair] = []
        add = edges.append
        for _, code, primary in children["categories"].of(aid):
            add((P_ABOUT, self.categories[code]))
            if primary:
                add((P_PRIMARY, self.categories[code]))
        edges += [(P_SUBJECT, self.classes[scheme, code])
                  for _, scheme, code, _edition in children["subject_classes"].of(aid)]
        edges += [(P_HAS_CODE, self.repositories[url]) for _, url in children["repositories"].of(aid)]
        edges += [(P_RELATION, self.links[url]) for _, url in children["links"].of(aid)]
        edges += [(P_MENTIONS, iri(paper_iri(other))) for _, other in children["mentions"].of(aid)]
        return edges


