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

``subjects_of([old, new], base_iri, papers, authors)`` renders, from two KG folders, only the
subjects whose pairs may differ between them when only the rows of some papers and authors do
(graph.rdf.delta turns the difference into a store update). It reads just those rows of the
large tables (DuckDB skips the pages of the others), the small child tables whole, and the
two folders in parallel.

Why the row order of papers is IRI order: a paper's IRI is ``https://arxiv.org/abs/`` + its ID,
and a signature's is ``<base>signature/<ID>/<position>``; for IDs of the arXiv grammar
(``2105.14656``, ``math.AG/0309136``) that concatenation keeps their order, because no such ID
is a prefix of another followed by a character below "/". Tables whose IDs fall outside the
grammar (only hand-made ones) are sorted in memory instead, so the output is the same.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, groupby
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
    text_iri_key,
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
PAPER_COLUMNS = ("arxiv_id", "title", "abstract", "journal_ref", "comment", "published",
                  "updated", "version", "dois")
AUTHOR_COLUMNS = ("key", "name", "spellings", "papers", "kind")
# The child tables a paper's subject is made from, and the columns read.
CHILD_COLUMNS = {
    "categories": ("arxiv_id", "category", "primary"),
    "subject_classes": ("arxiv_id", "scheme", "code", "edition"),
    "repositories": ("arxiv_id", "url"),
    "links": ("arxiv_id", "url"),
    "mentions": ("arxiv_id", "mentioned"),
    "authorships": ("arxiv_id", "position", "author_key"),
}


def subjects(kg_dir: str | Path, base_iri: str = DEFAULT_BASE_IRI,
             progress: Progress | None = None) -> Iterator[Subject]:
    """Every RDF subject of the KG folder's tables with its sorted, de-duplicated pairs.

    `progress(done, total)` is called every 50,000 subjects and at the end (`total` is
    estimated from the tables' row counts until then). Raises BadBaseIri for an unusable
    base IRI, KGNotFound for a folder without tables.
    """
    kg = Path(kg_dir)
    describe = Describer(base_iri)
    small = SmallKinds(describe, SmallRows.of(kg))
    tables = Tables(kg)
    authors = _author_iris(tables, describe.base)
    total = (scan.num_rows(kg, "papers") + scan.num_rows(kg, "authorships") + len(authors)
             + len(small.subjects))
    done, next_report = 0, _PROGRESS_EVERY
    for subject in merged_in_order(_streams(tables, describe, small, authors)):
        yield subject
        done += 1
        if progress is not None and done >= next_report:
            progress(done, max(done, total))
            next_report = done + _PROGRESS_EVERY
    if progress is not None:
        progress(done, done)


def subjects_of(kg_dirs: Sequence[str | Path], base_iri: str, papers: Collection[str],
                authors: Collection[str]) -> list[list[Subject]]:
    """For each KG folder, what `subjects` yields of the subjects that may differ between them
    when only the rows of the papers `papers` and of the authors `authors` do, each list in IRI
    order: those papers with their signatures; those authors and the papers' other authors;
    the repositories, links and papers only mentioned that those papers point at in any of
    the folders (a paper only mentioned may be one of those papers too); and, when they are
    not the same in every folder, all the categories, archives, subject classes and schemes
    (a few hundred).

    Every other subject has the same pairs in every folder: its rows, and the rows that decide
    whether it exists, are rows of other papers. Of the large tables only the rows of these
    papers and authors are read.
    """
    describe = Describer(base_iri)
    chosen = pa.table({"arxiv_id": pa.array(sorted(papers), pa.string())})
    con = duckdb.connect(config={"threads": 1})  # one: a connection costs ~40 ms, a cursor nothing
    try:
        # The folders are read in parallel: Arrow and DuckDB decode without the GIL.
        with ThreadPoolExecutor(max(len(kg_dirs), 1)) as pool:
            parts = list(pool.map(lambda kg: _Part(Path(kg), con.cursor(), chosen), kg_dirs))
            reach = _Reach.of(parts, papers, authors)
            return list(pool.map(lambda part: part.subjects(describe, reach), parts))
    finally:
        con.close()


# The child tables read whole for the small kinds (tens of thousands of rows), with their columns.
_SMALL_TABLES = {
    "subject_classes": ("arxiv_id", "scheme", "code", "edition"),
    "repositories": ("arxiv_id", "url", "host", "owner", "name"),
    "links": ("arxiv_id", "url", "kind"),
    "mentions": ("arxiv_id", "mentioned"),
}
# Of these, subjects_of reads only the rows of the chosen papers (or authors).
_LARGE_TABLES = {"papers": PAPER_COLUMNS, "categories": CHILD_COLUMNS["categories"],
                 "authorships": CHILD_COLUMNS["authorships"]}


def _small_tables(kg: Path) -> dict[str, pa.Table]:
    return {name: _read(kg, name, columns) for name, columns in _SMALL_TABLES.items()}


def _read(kg: Path, name: str, columns: Sequence[str], dictionary: Sequence[str] = ()) -> pa.Table:
    """Whole columns, in this thread (subjects_of reads its folders in parallel already)."""
    with pq.ParquetFile(scan.table_file(kg, name), read_dictionary=dictionary) as file:
        return file.read(columns=list(columns), use_threads=False)


class _Part:
    """One KG folder as subjects_of reads it: the small child tables whole, every category code
    and the rows of the chosen papers; then (`subjects`) those of the chosen authors."""

    def __init__(self, kg: Path, con: duckdb.DuckDBPyConnection, chosen: pa.Table) -> None:
        self.kg, self._con = kg, con
        self.small = _small_tables(kg)
        self.categories = _category_codes(kg)
        self.classes = _classes(self.small)
        ids = chosen.column("arxiv_id").combine_chunks()
        self.rows = {name: _where(table, "arxiv_id", ids) for name, table in self.small.items()}
        con.register("chosen_papers", chosen)
        # The range lets DuckDB skip row groups by their statistics (all of them in the previous
        # generation when the papers are new); the join alone does not.
        low, high = (_sql_text(ids[0].as_py()), _sql_text(ids[-1].as_py())) if len(ids) else ("''", "''")
        for name, columns in _LARGE_TABLES.items():
            self.rows[name] = self._chosen(name, columns, f"arxiv_id BETWEEN {low} AND {high} AND "
                                                          "arxiv_id IN (SELECT arxiv_id FROM chosen_papers)")

    def subjects(self, describe: Describer, reach: _Reach) -> list[Subject]:
        keys = pa.array(sorted(reach.authors), pa.string())
        self._con.register("chosen_authors", pa.table({"key": keys}))
        self.rows["authors"] = self._chosen("authors", AUTHOR_COLUMNS, "key IN (SELECT key FROM chosen_authors)")
        repositories, links = self.small["repositories"], self.small["links"]
        small = SmallRows(self.categories, self.classes,
                           _first_rows(_where(repositories, "url", reach.repositories), ["url"]),
                           _first_rows(_where(links, "url", reach.links), ["url"]),
                           _mentioned_only(self.kg, self.small["mentions"], reach.mentioned))
        kinds = SmallKinds(describe, small, quiet=reach.same)
        tables = Tables(self.kg, self.rows)
        return list(merged_in_order(_streams(tables, describe, kinds, _author_iris(tables, describe.base))))

    def _chosen(self, name: str, columns: Sequence[str], where: str) -> pa.Table:
        order = ", ".join(TABLES[name].order)  # the streams walk child tables in the papers' order
        select = ", ".join(f'"{c}"' for c in columns)
        source = _sql_text(str(scan.table_file(self.kg, name)))
        return self._con.sql(f"SELECT {select} FROM read_parquet({source}) WHERE {where} "
                             f"ORDER BY {order}").to_arrow_table()


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class _Reach:
    """What subjects_of renders in every folder besides the chosen papers and signatures."""

    authors: frozenset[str]  # keys: the chosen authors, and the chosen papers' authors
    # URLs of the papers' repositories, and every URL that may share an IRI with one of them
    # (one subject then, made from all of them)
    repositories: frozenset[str]
    links: frozenset[str]  # URLs (their IRIs are digests of them)
    mentioned: frozenset[str]  # arXiv IDs mentioned by the papers, and the papers' own
    same: frozenset[str]  # the kinds of subject rendered whole that are the same everywhere

    @classmethod
    def of(cls, parts: list[_Part], papers: Collection[str], authors: Collection[str]) -> _Reach:
        def values(name: str, column: str) -> frozenset[str]:
            return frozenset().union(*(part.rows[name].column(column).to_pylist() for part in parts))

        keys = {text_iri_key(url) for url in values("repositories", "url")}
        every = set().union(*(p.small["repositories"].column("url").unique().to_pylist() for p in parts))
        same = {kind for kind, equal in (("categories", lambda a, b: a.categories == b.categories),
                                          ("classes", lambda a, b: a.classes.equals(b.classes)))
                if all(equal(parts[0], other) for other in parts[1:])}
        return cls(values("authorships", "author_key") | frozenset(authors),
                   frozenset(url for url in every if text_iri_key(url) in keys),
                   values("links", "url"), values("mentions", "mentioned") | frozenset(papers),
                   frozenset(same))


class Tables:
    """Where the streams read rows: a KG folder's Parquet files, or (`held`) tables in memory
    holding some of their rows."""

    def __init__(self, kg: Path, held: dict[str, pa.Table] | None = None) -> None:
        self.kg, self._held = kg, held

    def rows(self, name: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        if self._held is None:
            return scan.rows(self.kg, name, columns)
        return scan.batch_rows(self._held[name].to_batches(max_chunksize=scan.BATCH_ROWS), columns)

    def table(self, name: str, columns: Sequence[str]) -> pa.Table:
        if self._held is None:
            return scan.table(self.kg, name, columns)
        return self._held[name].select(list(columns))


def _streams(tables: Tables, describe: Describer, small: SmallKinds,
             authors: dict[str, Term]) -> list[Iterator[Subject]]:
    """One stream per kind of subject, each in IRI order."""
    papers, signatures = _papers(tables, describe, small, authors), _signatures(tables, describe, authors)
    if not ids_keep_their_order(tables):
        papers, signatures = iter(sorted(papers, key=_FIRST)), iter(sorted(signatures, key=_FIRST))
    return [papers, signatures, _authors(tables, describe, authors), iter(small.subjects)]


def merged_in_order(streams: list[Iterator[Subject]]) -> Iterator[Subject]:
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


def ids_keep_their_order(tables: Tables) -> bool:
    """True if every paper's ID is of the arXiv grammar (see the module doc).

    Raises UnsortedTable if the IDs are not strictly ascending: the child tables are joined to
    the papers by walking both in that order, so no output can be right without it.
    """
    ids = tables.table("papers", ["arxiv_id"]).column(0).combine_chunks()
    if not _all(pc.less(ids.slice(0, max(len(ids) - 1, 0)), ids.slice(1))):
        raise UnsortedTable(f"{scan.table_file(tables.kg, 'papers')}: rows are not sorted by arxiv_id; "
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


def _papers(tables: Tables, describe: Describer, small: SmallKinds,
            authors: dict[str, Term]) -> Iterator[Subject]:
    children = {name: _Children(tables.rows(name, columns)) for name, columns in CHILD_COLUMNS.items()}
    base = describe.base
    for aid, title, abstract, journal, comment, published, updated, version, dois in tables.rows(
            "papers", PAPER_COLUMNS):
        edges = small.paper_edges(aid, children)
        paper = paper_iri(aid)
        signature = signature_prefix(paper, base)
        for key, position in _first_authors(children["authorships"].of(aid)).items():
            edges.append((P_AUTHOR, authors[key]))
            edges.append((P_SIGNATURE, (IRI, f"{signature}{position}", "")))
        yield paper, sorted_pairs(describe.paper(aid, (title, abstract, journal, comment),
                                                 (published, updated), version, dois, edges))


def _signatures(tables: Tables, describe: Describer, authors: dict[str, Term]) -> Iterator[Subject]:
    for aid, rows in groupby(tables.rows("authorships", ("arxiv_id", "position", "author_key")),
                             key=_FIRST):
        paper = iri(paper_iri(aid))
        prefix = signature_prefix(paper[1], describe.base)
        signatures = [(f"{prefix}{position}", describe.signature(authors[key], paper, position))
                      for key, position in _first_authors(list(rows)).items()]
        signatures.sort(key=_FIRST)
        yield from signatures


def _author_iris(tables: Tables, base: str) -> dict[str, Term]:
    """Author key -> IRI term, for every author: the papers and signatures point at them."""
    keys = tables.table("authors", ["key"]).column(0).to_pylist()
    return {key: iri(author_iri(key, base)) for key in keys}


def _authors(tables: Tables, describe: Describer, iris: dict[str, Term]) -> Iterator[Subject]:
    keys = tables.table("authors", ["key"]).column(0)
    order = pc.sort_indices(pa.array([iris[k][1] for k in keys.to_pylist()], pa.string()))
    del keys
    table = tables.table("authors", AUTHOR_COLUMNS).take(order)
    for batch in table.to_batches(max_chunksize=scan.BATCH_ROWS):
        for key, name, spellings, papers, kind in zip(*(scan.python_values(c) for c in batch.columns)):
            yield iris[key][1], sorted_pairs(describe.author(name, spellings, papers, kind))


@dataclass(frozen=True)
class SmallRows:
    """What the small kinds are made from: category codes, the first row (in the tables' order:
    it gives the subject its fields) of each subject class, repository and link, and the IDs
    of papers only mentioned."""

    categories: list[str]
    classes: pa.Table  # scheme, code, edition
    repositories: pa.Table  # url, host, owner, name
    links: pa.Table  # url, kind
    mentioned_only: list[str]

    @classmethod
    def of(cls, kg: Path) -> SmallRows:
        """Every one of the KG folder's."""
        small = _small_tables(kg)
        return cls(_category_codes(kg), _classes(small),
                   _first_rows(small["repositories"], ["url"]), _first_rows(small["links"], ["url"]),
                   _mentioned_only(kg, small["mentions"]))


def _category_codes(kg: Path) -> list[str]:
    """Every category code: the values of the column's Parquet dictionaries, not ~400k rows."""
    column = _read(kg, "categories", ["category"], dictionary=["category"]).column(0)
    return sorted(set(chain.from_iterable(
        chunk.dictionary.take(pc.unique(chunk.indices)).to_pylist() for chunk in column.chunks)))


def _classes(small: dict[str, pa.Table]) -> pa.Table:
    return _first_rows(small["subject_classes"], ["scheme", "code"])


def _first_rows(table: pa.Table, keys: list[str]) -> pa.Table:
    """The first row of each distinct value of `keys`, in the table's order, without arxiv_id."""
    numbered = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    first = numbered.group_by(keys, use_threads=False).aggregate([("_row", "min")]).column("_row_min")
    return table.drop_columns(["arxiv_id"]).take(pc.take(first, pc.sort_indices(first)))


def _where(table: pa.Table, column: str, values: Collection[str] | pa.Array) -> pa.Table:
    chosen = values if isinstance(values, pa.Array) else pa.array(sorted(values), pa.string())
    return table.filter(pc.is_in(table.column(column), value_set=chosen))


def _mentioned_only(kg: Path, mentions: pa.Table, within: Collection[str] | None = None) -> list[str]:
    """The IDs mentioned that are not papers of the folder (of those in `within`, if given)."""
    if within is not None:
        mentions = _where(mentions, "mentioned", within)
    mentioned = mentions.column("mentioned").unique()
    if within is None:
        ids = scan.column(kg, "papers", "arxiv_id").combine_chunks()
    elif len(mentioned):
        ids = pq.read_table(scan.table_file(kg, "papers"), columns=["arxiv_id"],
                            filters=pc.field("arxiv_id").isin(mentioned)).column(0).combine_chunks()
    else:
        return []
    return mentioned.filter(pc.invert(pc.is_in(mentioned, value_set=ids))).to_pylist()


def _tuples(table: pa.Table) -> Iterator[tuple[Any, ...]]:
    return zip(*(column.to_pylist() for column in table.columns))


class SmallKinds:
    """Categories, archives, schemes, subject classes, repositories, links and papers only
    mentioned: their subjects (sorted by IRI) and the IRIs papers point at. The subjects of the
    `quiet` kinds ("categories": with archives and arXiv's scheme; "classes": with their
    schemes) are left out, not their IRIs."""

    def __init__(self, describe: Describer, rows: SmallRows, *, quiet: Collection[str] = ()) -> None:
        self.describe = describe
        self.categories: dict[str, Term] = {}
        self.classes: dict[tuple[str, str], Term] = {}
        self.repositories: dict[str, Term] = {}
        self.links: dict[str, Term] = {}
        found: list[Subject] = []
        found += self._categories(rows.categories, say="categories" not in quiet)
        found += self._classes(_tuples(rows.classes), say="classes" not in quiet)
        found += self._repositories(_tuples(rows.repositories))
        found += self._links(_tuples(rows.links))
        found += ((paper_iri(aid), describe.mentioned_paper(aid)) for aid in rows.mentioned_only)
        found.sort(key=_FIRST)
        self.subjects = [(subject, sorted_pairs(pairs)) for subject, pairs in found]

    def _categories(self, codes: Iterable[str], *, say: bool) -> Iterator[Subject]:
        d, base, archives = self.describe, self.describe.base, set()
        for code in codes:
            subject = category_iri(code, base)
            self.categories[code] = iri(subject)
            if say:
                name, archive = category_info(code)
                archives.add(archive or code)
                yield subject, d.category(code, name, archive or code)
        yield from ((category_iri(a, base), d.archive(a)) for a in archives)
        if self.categories and say:
            yield scheme_iri("arxiv", base), d.scheme("arxiv")

    def _classes(self, rows: Iterable[tuple[str, str, str | None]], *, say: bool) -> Iterator[Subject]:
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
            if say:
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


