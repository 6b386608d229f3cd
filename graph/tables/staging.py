"""The staging table: one row per normalised record, as the ingest workers write it.

Workers parse and normalise digests and turn the records into Arrow record batches of this
schema, written to Parquet files in a staging folder: no record crosses a process boundary as
a Python object, and no process holds them all. graph.tables.engine then merges duplicates
and builds the KG's tables from these files.

A record carries its children (authors, categories, ...) as lists of structs whose fields are
the child table's own columns (graph.tables.schema), so a child table is the winning records'
lists unnested, with positions. It also carries what cleaning did to its values (`notes`),
what its author list shows alone (`flags`: a name listed twice, organisations) and whether a
corpus-wide rule may re-cut that list (`recut`): graph.tables.recut re-cuts the few such lists
once every record is staged, and the quality table is every record's notes and flags.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from graph.ingest.identity import list_flags, may_recut
from graph.ingest.links import repository_parts
from graph.model.records import Change, Note, Paper, Record
from graph.model.subjects import edition
from graph.tables import schema as s

_PARENT = {"arxiv_id", "position"}
_DERIVED = {"versions", "source", "sources"}  # merged over a paper's records by the engine
_TEXT_TIMES = ("published", "updated")


def _struct(table: s.Table) -> pa.StructType:
    return pa.struct([pa.field(c.name, c.type, nullable=c.nullable)
                      for c in table.columns if c.name not in _PARENT])


# Each child table, and how one paper's rows of it are read off the paper (struct field order).
CHILDREN: dict[str, Callable[[Paper], Iterable[tuple[Any, ...]]]] = {
    "authorships": lambda p: zip(p.authors, p.author_names or p.authors),
    "categories": lambda p: ((c, c == p.primary_category) for c in p.categories),
    "subject_classes": lambda p: map(_subject_class, p.subject_classes),
    "repositories": lambda p: ((url, *repository_parts(url)) for url in p.repositories),
    "links": lambda p: ((link.url, link.kind, urlsplit(link.url).hostname or "") for link in p.links),
    "mentions": lambda p: ((m,) for m in p.mentions),
}


def _subject_class(subject: str) -> tuple[str, str, str | None]:
    scheme, code = subject.split(":", 1)
    return scheme, code, edition(scheme, code)


# A note of the quality table without its record's file and line (graph.tables.schema.QUALITY).
NOTE = pa.struct([pa.field(c.name, c.type, nullable=False) for c in s.QUALITY.columns[2:]])
AUTHORS_FIELD = "Authors"

RECORDS = pa.schema(
    [pa.field("input", pa.int32(), nullable=False),  # the file's place in the input order
     pa.field("file", pa.string(), nullable=False),
     pa.field("line", pa.int32(), nullable=False),
     # The newest-version tie-break compares the timestamp's text, as the digests give it.
     pa.field("updated_text", pa.string(), nullable=False)]
    + [pa.field(c.name, c.type, nullable=c.nullable) for c in s.PAPERS.columns if c.name not in _DERIVED]
    + [pa.field(name, pa.list_(_struct(s.TABLES[name])), nullable=False) for name in CHILDREN]
    + [pa.field("notes", pa.list_(NOTE), nullable=False),  # what cleaning did to its values
       pa.field("flags", pa.list_(NOTE), nullable=False),  # list_flags of its author list
       pa.field("recut", pa.bool_(), nullable=False)],  # may_recut of its author list
    metadata={"arxiv_kg.table": "staging records"})

_OWN = ("input", "file", "line", "updated_text", "notes", "flags", "recut")
_FROM_PAPER = [f.name for f in RECORDS if f.name not in CHILDREN and f.name not in _TEXT_TIMES
               and f.name not in _OWN]


def record_batch(records: Sequence[tuple[int, Record]]) -> pa.RecordBatch:
    """The staging rows of `records`, each given with its file's place in the input order."""
    papers = [r.paper for _, r in records]
    where = [p.source.rpartition(":") for p in papers]
    columns: dict[str, Any] = {
        "input": [place for place, _ in records], "file": [file for file, _, _ in where],
        "line": [int(line) for _, _, line in where], "updated_text": [p.updated for p in papers]}
    columns.update({name: list(map(attrgetter(name), papers)) for name in _FROM_PAPER})
    arrays = {name: pa.array(values, RECORDS.field(name).type) for name, values in columns.items()}
    # Arrow parses the xsd:dateTime text (any offset) to UTC in C, a datetime per record less.
    arrays.update({name: pc.cast(pa.array(list(map(attrgetter(name), papers)), pa.string()), s.TIMESTAMP)
                   for name in _TEXT_TIMES})
    arrays.update({name: _children(RECORDS.field(name).type, map(rows, papers))
                   for name, rows in CHILDREN.items()})
    names = [r.author_names for _, r in records]
    arrays["notes"] = _children(RECORDS.field("notes").type, (map(_note_row, r.notes) for _, r in records))
    arrays["flags"] = _children(RECORDS.field("flags").type,
                                (map(flag_row, list_flags(n)) for n in names))
    arrays["recut"] = pa.array(list(map(may_recut, names)), pa.bool_())
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in RECORDS], schema=RECORDS)


def _note_row(note: Note) -> tuple[str, str, str, str, str]:
    return note.field, note.action, note.rule, note.original, note.result


def flag_row(change: Change) -> tuple[str, str, str, str, str]:
    """A change to an author list as a `notes`/`flags` struct row."""
    return AUTHORS_FIELD, change.action, change.rule, change.original, change.result


def _children(list_type: pa.ListType, per_paper: Iterable[Iterable[tuple[Any, ...]]]) -> pa.Array:
    """A list<struct> column from each paper's rows, built column-wise (no dict per row)."""
    struct = list_type.value_type
    rows: list[tuple[Any, ...]] = []
    offsets = [0]
    for paper_rows in per_paper:
        rows.extend(paper_rows)
        offsets.append(len(rows))
    columns = list(zip(*rows)) if rows else [()] * struct.num_fields
    values = pa.StructArray.from_arrays(
        [pa.array(column, struct.field(i).type) for i, column in enumerate(columns)],
        fields=list(struct))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, type=list_type)
