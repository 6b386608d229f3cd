"""The KG's N-Triples rendered column by column: the bytes that rendering graph.rdf.subjects'
stream line by line gives, at a fraction of the cost.

``ntriples_chunks(kg_dir, base_iri, progress)`` yields the N-Triples of a KG folder in pieces of
whole subjects, in the order of ``subjects`` (subject IRIs ascending, each subject's pairs
sorted and free of duplicates, see graph.rdf.mapping.sorted_pairs).

Why: papers, their signatures and authors make ~99% of the triples, and in Python each triple
costs ~3.5 µs (rows to tuples, pairs, sorting, one f-string a line): the build's critical path
on the archive-sized KG. Here Arrow builds their lines for a batch of subjects at once:

* a predicate's objects are rendered for a whole column (``"<" + iri + ">"``; a literal escaped
  as orjson escapes it, which is what mapping.quoted does, then ``^^<datatype>``);
* a multi-valued predicate (a paper's categories, authors, signatures, DOIs...) is a table of
  (subject, object) rows, sorted as sorted_pairs sorts a subject's pairs of one predicate (term
  kind, then value, then datatype; duplicates dropped) and joined per subject;
* a subject's block is its predicates' lines joined in predicate order: the predicates are
  constant IRIs, so sorting a subject's pairs is sorting them by predicate first.

The small kinds (categories, archives, schemes, subject classes, repositories, links, papers
only mentioned; thousands) keep graph.rdf.subjects' Python rendering, and the kinds are merged
in IRI order by runs: a run of one kind is written whole until the next subject of another.
A subject of two kinds would need its pairs merged; that never happens but for the small
kinds (which subjects merges), so when any IRI is shared the whole KG is rendered by
graph.rdf.subjects instead. The mapping itself stays in graph.rdf.mapping: the literals,
IRIs and terms here come from its functions, and tests compare the two renderings.

Memory: the columns of every authorship (its signature's and its author's IRIs) are held whole,
~0.5 GB a million authorships (on the archive-sized KG, 0.85M: 1.0 GB peak RSS, where the
subject stream needs 0.6 GB); above 4 million the subject stream renders instead. The papers'
own fields are read a batch at a time.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.rdf import mapping as rdf
from graph.rdf import subjects as streams
from graph.rdf.mapping import DEFAULT_BASE_IRI, Describer, Term
from graph.tables import scan

Progress = streams.Progress
_BATCH = scan.BATCH_ROWS
# A batch of papers is cut where its lines would pass this many (a paper may have thousands of
# authors): each batch's text stays far below Arrow's 2 GB per string array, and memory bounded.
_BATCH_LINES = 1 << 20
# Above this many authorships the whole-table columns (signature and author IRIs of every
# authorship, ~0.5 GB a million) would cost more memory than the time saved is worth: the
# subject stream renders instead, in flat memory.
_MAX_AUTHORSHIPS = 4_000_000
_PROGRESS_EVERY = 50_000
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'  # what mapping.quoted escapes (most texts have none)
_SAFE_ID = r"\A[A-Za-z0-9./-]+\z"  # paper IDs whose IRI is the ID appended (as mapping.paper_iri)


def ntriples_chunks(kg_dir: str | Path, base_iri: str = DEFAULT_BASE_IRI,
                    progress: Progress | None = None) -> Iterator[bytes | memoryview]:
    """The KG folder's N-Triples, as ``subjects`` + ``subject_lines`` render them, in chunks.

    Raises what ``subjects`` raises (BadBaseIri, KGNotFound, UnsortedTable).
    """
    kg = Path(kg_dir)
    describe = Describer(base_iri)
    kinds = None
    if scan.num_rows(kg, "authorships") <= _MAX_AUTHORSHIPS:
        kinds = _Kinds.of(kg, describe, streams.SmallKinds(describe, streams.SmallRows.of(kg)), streams.Tables(kg))
    if kinds is None:
        yield from _rendered_by_subjects(kg, describe.base, progress)
        return
    done, next_report = 0, _PROGRESS_EVERY
    for chunk, count in _merged(kinds.runs()):
        yield chunk
        done += count
        if progress is not None and done >= next_report:
            progress(done, kinds.total)
            next_report = done + _PROGRESS_EVERY
    if progress is not None:
        progress(done, done)


def _rendered_by_subjects(kg: Path, base_iri: str, progress: Progress | None) -> Iterator[bytes]:
    lines: list[str] = []
    for subject, pairs in streams.subjects(kg, base_iri, progress):
        lines += rdf.subject_lines(subject, pairs)
        if len(lines) >= _BATCH:
            yield "".join(lines).encode("utf-8")
            lines.clear()
    yield "".join(lines).encode("utf-8")


# --- terms, column-wise ---------------------------------------------------------------

Parts = tuple[pa.Array | str, ...]  # joined, they make one text per row


def escaped(texts: pa.Array) -> pa.Array:
    """Each text as it stands between the quotes of mapping.quoted."""
    needs = pc.match_substring_regex(texts, _NEEDS_ESCAPE)
    return _patched(texts, needs, texts, lambda text: rdf.quoted(text)[1:-1])


def literal_parts(texts: pa.Array, datatype: str = rdf.XSD_STRING) -> Parts:
    """Each text as the object of a triple, a literal of the datatype."""
    return '"', escaped(texts), '"' if datatype == rdf.XSD_STRING else f'"^^<{datatype}>'


def iri_parts(iris: pa.Array) -> Parts:
    return "<", iris, ">"


def joined(parts: Parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _patched(values: pa.Array, wrong: pa.Array, source: pa.Array, fix: Callable[[Any], str]) -> pa.Array:
    """`values` where `wrong` is false, else fix(the source value): the rare cases in Python."""
    if not pc.any(wrong).as_py():
        return values
    fixed = pa.array([fix(v) for v in source.filter(wrong).to_pylist()], pa.string())
    return pc.replace_with_mask(values, wrong, fixed)


def paper_iris(ids: pa.Array) -> pa.Array:
    """mapping.paper_iri of every arXiv ID."""
    appended = pc.binary_join_element_wise(rdf.ARXIV_ABS, ids, "")
    return _patched(appended, pc.invert(pc.match_substring_regex(ids, _SAFE_ID)), ids, rdf.paper_iri)


def _terms(terms: Sequence[Term]) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """Terms made in Python as columns: kind, value, datatype or tag (the sort keys), text."""
    kinds, values, extras = zip(*terms) if terms else ((), (), ())
    return (pa.array(kinds, pa.int8()), pa.array(values, pa.string()), pa.array(extras, pa.string()),
            pa.array([rdf.object_text(t) for t in terms], pa.string()))


# --- objects of one predicate, and blocks of subjects ----------------------------------------

@dataclass(frozen=True)
class _Objects:
    """The objects of one multi-valued predicate: `owners` (subject numbers, ascending) and
    each object's N-Triples text (`before` + text + `after`), in the order sorted_pairs gives a
    subject's pairs."""

    owners: np.ndarray
    texts: pa.Array
    before: str = ""
    after: str = ""

    @classmethod
    def of(cls, owners: pa.Array, keys: Sequence[pa.Array], parts: Parts) -> _Objects:
        """Sorted by owner, then by `keys` (the term's kind, value and datatype, those that vary),
        and free of duplicates. `parts`: the objects' texts, as (text,) or (before, texts, after)."""
        before, texts, after = parts if len(parts) == 3 else ("", *parts, "")
        columns = {"owner": owners, **{f"k{i}": key for i, key in enumerate(keys)}, "text": texts}
        table = pa.table(columns)
        table = table.take(pc.sort_indices(table, sort_keys=[(name, "ascending") for name in columns
                                                              if name != "text"]))
        owner, text = (table.column(name).combine_chunks() for name in ("owner", "text"))
        if len(owner) > 1:  # equal terms sort next to each other, and render to equal texts
            repeated = pc.and_(pc.equal(owner.slice(1), owner.slice(0, len(owner) - 1)),
                               pc.equal(text.slice(1), text.slice(0, len(text) - 1)))
            if pc.any(repeated).as_py():
                keep = pa.concat_arrays([pa.array([True]), pc.invert(repeated)])
                owner, text = owner.filter(keep), text.filter(keep)
        return cls(owner.to_numpy(), text, str(before), str(after))

    def within(self, low: int, high: int) -> tuple[np.ndarray, pa.Array]:
        """The objects of the subjects numbered low..high-1, numbered from 0."""
        start, end = np.searchsorted(self.owners, [low, high])
        return self.owners[start:end] - low, self.texts.slice(start, end - start)


@dataclass(frozen=True)
class _Run:
    """Subjects in IRI order and their N-Triples: subject i's are data[bounds[i]:bounds[i + 1]]."""

    subjects: list[str]
    bounds: np.ndarray
    data: pa.Buffer


class _Block:
    """The triples of a batch of subjects, predicate by predicate; `run()` joins them."""

    def __init__(self, subjects: pa.Array) -> None:
        self.subjects = subjects
        self.heads = pc.binary_join_element_wise("<", subjects, "")
        self.lines: dict[str, pa.Array] = {}

    def one(self, predicate: str, parts: Parts) -> None:
        """At most one object a subject (a null part: none)."""
        lines = pc.binary_join_element_wise(self.heads, f"> <{predicate}> ", *parts, " .\n", "")
        self.lines[predicate] = lines.fill_null("") if lines.null_count else lines

    def many(self, predicate: str, objects: _Objects, low: int) -> None:
        """The objects of subjects numbered low.. (this batch's first is `low`)."""
        owners, texts = objects.within(low, low + len(self.subjects))
        lines = pc.binary_join_element_wise(self.heads.take(pa.array(owners)), f"> <{predicate}> {objects.before}",
                                            texts, f"{objects.after} .\n", "")
        offsets = np.zeros(len(self.subjects) + 1, np.int32)
        np.cumsum(np.bincount(owners, minlength=len(self.subjects)), out=offsets[1:])
        self.lines[predicate] = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), lines), "")

    def run(self) -> _Run:
        blocks = pc.binary_join_element_wise(*(self.lines[p] for p in sorted(self.lines)), "")
        _, offsets, data = blocks.buffers()
        bounds = np.frombuffer(offsets, np.int32)[blocks.offset:blocks.offset + len(blocks) + 1]
        return _Run(self.subjects.to_pylist(), bounds, data if data is not None else pa.py_buffer(b""))


def _batch(table: pa.Table) -> pa.RecordBatch:
    """The table as one batch: slices of it are then plain arrays."""
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns], names=table.column_names)


def _batches(count: int) -> Iterator[tuple[int, int]]:
    return ((low, min(low + _BATCH, count)) for low in range(0, count, _BATCH))


# --- the kinds --------------------------------------------------------------------------

class _Kinds:
    """Papers, signatures and authors as columns, and the small kinds' subjects."""

    @classmethod
    def of(cls, kg: Path, describe: Describer, small: streams.SmallKinds,
           tables: streams.Tables) -> _Kinds | None:
        """None if a subject IRI is shared by two subjects (see the module doc), or if tables
        disagree (an authorship of no author or paper): then subjects renders, or raises."""
        kinds = cls(kg, describe, small, tables)
        iris = [kinds.papers.iris, kinds.signatures.iris, kinds.authors.iris, pa.array(kinds.small, pa.string())]
        if kinds.authors.missing or kinds.signatures.orphans or _any_shared(iris):
            return None
        kinds.total = sum(map(len, iris))
        return kinds

    def __init__(self, kg: Path, describe: Describer, small: streams.SmallKinds,
                 tables: streams.Tables) -> None:
        base = describe.base
        self.authors = _Authors(tables, base)
        self.papers = _Papers(kg, tables, small)
        self.signatures = _Signatures(tables, base, self.papers, self.authors)
        self.papers.edges(self.signatures, self.authors)
        self._small = list(streams.merged_in_order([iter(small.subjects)]))
        self.small = [subject for subject, _ in self._small]
        self.total = 0

    def runs(self) -> list[Iterator[_Run]]:
        return [self.papers.runs(), self.signatures.runs(), self.authors.runs(), self._small_runs()]

    def _small_runs(self) -> Iterator[_Run]:
        blocks = ["".join(rdf.subject_lines(subject, pairs)).encode("utf-8") for subject, pairs in self._small]
        bounds = np.cumsum([0] + [len(block) for block in blocks], dtype=np.int64)
        yield _Run(self.small, bounds, pa.py_buffer(b"".join(blocks)))


def _any_shared(kinds: list[pa.Array]) -> bool:
    """True if two subjects, of one kind or of two, have one IRI (each kind's IRIs ascending)."""
    kinds = [iris for iris in kinds if len(iris)]
    for iris in kinds:
        if pc.any(pc.equal(iris.slice(1), iris.slice(0, len(iris) - 1))).as_py():
            return True
    for a, b in combinations(kinds, 2):  # kinds whose IRIs fall in ranges apart share none
        overlap = a[0].as_py() <= b[-1].as_py() and b[0].as_py() <= a[-1].as_py()
        if overlap and pc.any(pc.is_in(a, value_set=b)).as_py():
            return True
    return False


class _Authors:
    """Every author, in IRI order: rdf:type, name, alternate names, paper count."""

    def __init__(self, tables: streams.Tables, base: str) -> None:
        table = tables.table("authors", streams.AUTHOR_COLUMNS)
        self.keys = table.column("key").combine_chunks()  # in the table's order
        self.by_key = pa.array([rdf.author_iri(key, base) for key in self.keys.to_pylist()], pa.string())
        order = pc.sort_indices(self.by_key)
        self.table = _batch(table.take(order))
        self.iris = self.by_key.take(order)
        self.missing = False  # set when an authorship names no author of the table (see _Kinds.of)
        spellings = self.table.column("spellings")
        owners = pc.list_parent_indices(spellings)
        names, values = self.table.column("name").take(owners), pc.list_flatten(spellings)
        other = pc.not_equal(values, names)
        values = values.filter(other)
        self.alternates = _Objects.of(owners.filter(other), [values], literal_parts(values))

    def numbers(self, keys: pa.Array) -> pa.Array:
        """The row of each key's author in the table (null: no such author)."""
        found = pc.index_in(keys, value_set=self.keys)
        self.missing |= bool(found.null_count)
        return found

    def runs(self) -> Iterator[_Run]:
        for low, high in _batches(len(self.iris)):
            rows = self.table.slice(low, high - low)
            block = _Block(self.iris.slice(low, high - low))
            organisation = pc.equal(rows.column("kind"), "organisation")
            block.one(rdf.IS_PERSON[0], (pc.if_else(organisation, rdf.object_text(rdf.IS_ORGANISATION[1]),
                                                   rdf.object_text(rdf.IS_PERSON[1])),))
            block.one(rdf.P_NAME, literal_parts(rows.column("name")))
            block.many(rdf.P_ALTERNATE_NAME, self.alternates, low)
            block.one(rdf.P_PAPER_COUNT, literal_parts(rows.column("papers").cast(pa.string()), rdf.XSD_INTEGER))
            yield block.run()


class _Papers:
    """Papers of the corpus, in IRI order: their fields, then (`edges`) what they point at."""

    def __init__(self, kg: Path, tables: streams.Tables, small: streams.SmallKinds) -> None:
        self.kg, self.tables, self.small = kg, tables, small
        ids = tables.table("papers", ["arxiv_id"]).column(0).combine_chunks()
        iris = paper_iris(ids)
        self.order = None if streams.ids_keep_their_order(tables) else pc.sort_indices(iris)  # or UnsortedTable
        self.iris = iris if self.order is None else iris.take(self.order)
        self._ids = ids
        self._rank = None
        if self.order is not None:
            rank = np.empty(len(ids), np.int64)
            rank[self.order.to_numpy()] = np.arange(len(ids))
            self._rank = pa.array(rank)
        self.objects: dict[str, _Objects] = {}

    def ranks(self, ids: pa.Array) -> pa.Array:
        """The number of each ID's paper in IRI order (null: not a paper of the table)."""
        found = pc.index_in(ids, value_set=self._ids)
        return found if self._rank is None else self._rank.take(found)

    def edges(self, signatures: _Signatures, authors: _Authors) -> None:
        small, add = self.small, self._add
        categories = self._child("categories")
        codes = pa.array(list(small.categories), pa.string())
        iris = pa.array([value for _, value, _ in small.categories.values()], pa.string())
        about = iris.take(pc.index_in(categories.column("category"), value_set=codes))
        owners, primary = categories.column("owner"), categories.column("primary")
        add(rdf.P_ABOUT, owners, [about], iri_parts(about))
        add(rdf.P_PRIMARY, owners.filter(primary), [about.filter(primary)], iri_parts(about.filter(primary)))
        self._python(rdf.P_SUBJECT, "subject_classes", lambda row: small.classes[row["scheme"], row["code"]])
        self._python(rdf.P_HAS_CODE, "repositories", lambda row: small.repositories[row["url"]])
        self._python(rdf.P_RELATION, "links", lambda row: small.links[row["url"]])
        self._python(rdf.P_MENTIONS, "mentions", lambda row: rdf.iri(rdf.paper_iri(row["mentioned"])))
        owners, authors_of, signed = signatures.for_papers()
        add(rdf.P_AUTHOR, owners, [authors_of], iri_parts(authors_of))
        add(rdf.P_SIGNATURE, owners, [signed], iri_parts(signed))

    def _child(self, name: str) -> pa.Table:
        """A child table's rows of papers of the table, with their paper's number (`owner`)."""
        rows = self.tables.table(name, streams.CHILD_COLUMNS[name][1:] + ("arxiv_id",))
        owners = self.ranks(rows.column("arxiv_id"))
        return rows.append_column("owner", owners).filter(pc.is_valid(owners))

    def _add(self, predicate: str, owners: pa.Array, keys: Sequence[pa.Array], parts: Parts) -> None:
        self.objects[predicate] = _Objects.of(owners, keys, parts)

    def _python(self, predicate: str, name: str, term: Callable[[dict[str, Any]], Term]) -> None:
        """A small child table's objects, made by the Python mapping row by row."""
        rows = self._child(name)
        kinds, values, extras, texts = _terms([term(row) for row in rows.to_pylist()])
        self._add(predicate, rows.column("owner"), [kinds, values, extras], (texts,))

    def _rows(self) -> Iterator[pa.RecordBatch]:
        columns = list(streams.PAPER_COLUMNS)
        if self.order is None:
            yield from scan.batches(self.kg, "papers", columns)
        else:
            yield from self.tables.table("papers", columns).take(self.order).to_batches(_BATCH)

    def runs(self) -> Iterator[_Run]:
        low = 0
        for batch in self._rows():
            for start, end in self._cuts(low, batch.num_rows):
                block = _Block(self.iris.slice(low + start, end - start))
                self._fields(block, batch.slice(start, end - start))
                for predicate, objects in self.objects.items():
                    block.many(predicate, objects, low + start)
                yield block.run()
            low += batch.num_rows

    def _cuts(self, low: int, count: int) -> Iterator[tuple[int, int]]:
        """The papers low..low+count-1 in slices of at most _BATCH_LINES lines (but one paper)."""
        lines = np.full(count, 20)  # a paper's own fields: at most 20 lines, but DOIs
        for objects in self.objects.values():
            owners, _ = objects.within(low, low + count)
            lines += np.bincount(owners, minlength=count)
        ends = np.cumsum(lines)
        start = 0
        while start < count:
            end = max(int(np.searchsorted(ends, ends[start] - lines[start] + _BATCH_LINES, "right")), start + 1)
            yield start, end
            start = end

    @staticmethod
    def _fields(block: _Block, rows: pa.RecordBatch) -> None:
        """What Describer.paper makes of the papers table's columns."""
        column = rows.column
        block.one(rdf.P_IDENTIFIER, literal_parts(column("arxiv_id")))
        block.one(rdf.IS_ARTICLE[0], (rdf.object_text(rdf.IS_ARTICLE[1]),))
        for predicate, name in zip(rdf.PAPER_TEXTS, ("title", "abstract", "journal_ref", "comment")):
            texts = column(name)
            block.one(predicate, literal_parts(pc.if_else(pc.equal(texts, ""), None, texts)))
        for predicate, name in zip(rdf.PAPER_DATES, ("published", "updated")):
            block.one(predicate, literal_parts(scan.iso_texts(column(name)), rdf.XSD_DATETIME))
        block.one(rdf.P_VERSION, literal_parts(column("version").cast(pa.string()), rdf.XSD_INTEGER))
        dois = column("dois")
        owners, values = pc.list_parent_indices(dois), pc.list_flatten(dois)
        if len(values):
            block.many(rdf.P_DOI, _Objects.of(owners, [values], literal_parts(values)), 0)
            kinds, same, extras, texts = _terms([rdf.doi_same_as(doi) for doi in values.to_pylist()])
            block.many(rdf.P_SAME_AS, _Objects.of(owners, [kinds, same, extras], (texts,)), 0)


class _Signatures:
    """Each paper's signatures (an author's first place on it), in IRI order: rdf:type,
    creator, ordinal, publication; and (`for_papers`) their rows as the papers' authors and
    signatures."""

    def __init__(self, tables: streams.Tables, base: str, papers: _Papers, authors: _Authors) -> None:
        rows = tables.table("authorships", ("arxiv_id", "position", "author_key"))
        owners, found = papers.ranks(rows.column("arxiv_id")), authors.numbers(rows.column("author_key"))
        # subjects gives signatures to authorships of papers not in the table too: left to it
        self.orphans = bool(owners.null_count)
        rows = rows.append_column("owner", owners).append_column("author", found)
        rows = _first_places(rows.filter(pc.and_(pc.is_valid(owners), pc.is_valid(found))), len(authors.keys))
        owners, found = (rows.column(name).combine_chunks() for name in ("owner", "author"))
        positions = rows.column("position").combine_chunks().cast(pa.string())
        prefixes = pc.utf8_slice_codeunits(papers.iris.take(owners), len(rdf.ARXIV_ABS))
        iris = pc.binary_join_element_wise(f"{base}signature/", prefixes, "/", positions, "")
        self._of_papers: tuple[pa.Array, pa.Array, pa.Array] | None = (owners, authors.by_key.take(found), iris)
        self._sorted = _batch(pa.table({"iri": iris, "author": found, "position": positions, "owner": owners}
                                       ).take(pc.sort_indices(iris)))
        self.iris = self._sorted.column("iri")
        self._papers, self._authors = papers.iris, authors.by_key

    def for_papers(self) -> tuple[pa.Array, pa.Array, pa.Array]:
        """Paper number, author IRI and signature IRI of each signature, in no order; once."""
        rows, self._of_papers = self._of_papers, None
        assert rows is not None
        return rows

    def runs(self) -> Iterator[_Run]:
        table = self._sorted
        for low, high in _batches(table.num_rows):
            rows = table.slice(low, high - low)
            block = _Block(self.iris.slice(low, high - low))
            block.one(rdf.IS_SIGNATURE[0], (rdf.object_text(rdf.IS_SIGNATURE[1]),))
            block.one(rdf.P_CREATOR, iri_parts(self._authors.take(rows.column("author"))))
            block.one(rdf.P_ORDINAL, literal_parts(rows.column("position"), rdf.XSD_INTEGER))
            block.one(rdf.P_PUBLICATION, iri_parts(self._papers.take(rows.column("owner"))))
            yield block.run()


def _first_places(rows: pa.Table, authors: int) -> pa.Table:
    """One row per paper and author: the first (a name listed twice keeps its first place)."""
    pairs = rows.column("owner").to_numpy().astype(np.int64) * authors + rows.column("author").to_numpy()
    _, first = np.unique(pairs, return_index=True)  # the index of each pair's first row
    # the rows' order does not matter: papers and signatures sort theirs
    return rows if len(first) == rows.num_rows else rows.take(first)


# --- merging the kinds in IRI order -------------------------------------------------------

class _Cursor:
    """Where a stream of runs is: its current run and the next subject in it."""

    def __init__(self, runs: Iterator[_Run]) -> None:
        self._runs = runs
        self.run: _Run | None = None
        self.at = 0
        self._next()

    def _next(self) -> None:
        self.run = next((run for run in self._runs if run.subjects), None)
        self.at = 0

    @property
    def first(self) -> str:
        assert self.run is not None
        return self.run.subjects[self.at]

    def take(self, bound: str | None) -> tuple[memoryview, int]:
        """The N-Triples of this run's subjects below `bound` (all if None), and how many."""
        run = self.run
        assert run is not None
        end = len(run.subjects) if bound is None else bisect.bisect_left(run.subjects, bound, self.at)
        if end == self.at:
            raise AssertionError(f"subject {bound} of two kinds")  # ruled out by _Kinds.of
        chunk = memoryview(run.data)[int(run.bounds[self.at]):int(run.bounds[end])]
        count, self.at = end - self.at, end
        if self.at == len(run.subjects):
            self._next()
        return chunk, count


def _merged(runs: Iterable[Iterator[_Run]]) -> Iterator[tuple[memoryview, int]]:
    """The runs' N-Triples in subject order (the subjects of each stream ascend; no two equal)."""
    cursors = [cursor for cursor in map(_Cursor, runs) if cursor.run is not None]
    while cursors:
        cursors.sort(key=lambda c: c.first)
        head = cursors[0]
        yield head.take(cursors[1].first if len(cursors) > 1 else None)
        if head.run is None:
            cursors.pop(0)
