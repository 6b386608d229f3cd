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

import operator
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, chain, repeat
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from graph.ingest.identity import list_flags, may_recut
from graph.ingest.links import hostname_and_path, repository_parts
from graph.ingest.normalise import Normalised
from graph.model.records import Change, Link, Note, Paper
from graph.model.subjects import edition
from graph.tables import schema as s

T = TypeVar("T")
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
    "repositories": lambda p: map(_repository_row, p.repositories),
    "links": lambda p: map(_link_row, p.links),
    "mentions": lambda p: ((m,) for m in p.mentions),
}


def _subject_class(subject: str) -> tuple[str, str, str | None]:
    scheme, code = subject.split(":", 1)
    return scheme, code, edition(scheme, code)


def _repository_row(url: str) -> tuple[str, str, str, str]:
    return (url, *repository_parts(url))


def _link_row(link: Link) -> tuple[str, str, str]:
    return link.url, link.kind, hostname_and_path(link.url)[0]


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


def record_batch(records: Sequence[tuple[int, Normalised]]) -> pa.RecordBatch:
    """The staging rows of `records`, each given with its file's place in the input order.

    Column by column: the records are transposed at C speed, and each child table's rows are
    its lists chained (what CHILDREN reads off one paper), so the Python work per record is
    only list_flags and may_recut of its author list.
    """
    places, flat = zip(*records)
    record = dict(zip(Normalised._fields, zip(*flat)))
    columns: dict[str, Any] = {"input": places, "file": record["file"], "line": record["line"],
                               "updated_text": record["updated"]}
    columns.update({name: record[name] for name in _FROM_PAPER})
    arrays = {name: pa.array(values, RECORDS.field(name).type) for name, values in columns.items()}
    # Arrow parses the xsd:dateTime text (any offset) to UTC in C, a datetime per record less.
    arrays.update({name: pc.cast(pa.array(record[name], pa.string()), s.TIMESTAMP) for name in _TEXT_TIMES})
    keys, names, categories = record["authors"], record["author_names"], record["categories"]
    flat_categories = _chained(categories)
    primaries = chain.from_iterable(map(repeat, record["primary_category"], map(len, categories)))
    arrays["authorships"] = _nested("authorships", keys, [_chained(keys), _chained(names)])
    arrays["categories"] = _nested("categories", categories,
                                   [flat_categories, list(map(operator.eq, flat_categories, primaries))])
    arrays["subject_classes"] = _unnested("subject_classes", record["subject_classes"], _subject_class)
    arrays["repositories"] = _unnested("repositories", record["repositories"], _repository_row)
    arrays["links"] = _unnested("links", record["links"], _link_row)
    arrays["mentions"] = _nested("mentions", record["mentions"], [_chained(record["mentions"])])
    arrays["notes"] = _unnested("notes", record["notes"], _note_row)
    arrays["flags"] = _unnested("flags", list(map(list_flags, names, keys)), flag_row)
    arrays["recut"] = pa.array(list(map(may_recut, names)), pa.bool_())
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in RECORDS], schema=RECORDS)


def _note_row(note: Note) -> tuple[str, str, str, str, str]:
    return note.field, note.action, note.rule, note.original, note.result


def flag_row(change: Change) -> tuple[str, str, str, str, str]:
    """A change to an author list as a `notes`/`flags` struct row."""
    return AUTHORS_FIELD, change.action, change.rule, change.original, change.result


def _chained(lists: Sequence[Sequence[T]]) -> list[T]:
    return list(chain.from_iterable(lists))


def _unnested(name: str, lists: Sequence[Sequence[T]], row: Callable[[T], tuple[Any, ...]]) -> pa.Array:
    """The list<struct> column `name` of the records' `lists`: `row` of each item, in order."""
    rows = list(map(row, _chained(lists)))
    width = RECORDS.field(name).type.value_type.num_fields
    return _nested(name, lists, list(zip(*rows)) if rows else [()] * width)


def _nested(name: str, lists: Sequence[Sequence[Any]], columns: Sequence[Sequence[Any]]) -> pa.Array:
    """The list<struct> column `name`: `columns` (one per struct field) of all the records'
    items, cut into one list per record as `lists` are."""
    list_type = RECORDS.field(name).type
    struct = list_type.value_type
    values = pa.StructArray.from_arrays(
        [pa.array(column, struct.field(i).type) for i, column in enumerate(columns)],
        fields=list(struct))
    offsets = pa.array([0, *accumulate(map(len, lists))], pa.int32())
    return pa.ListArray.from_arrays(offsets, values, type=list_type)
