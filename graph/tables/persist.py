"""Write the KG's Parquet tables (graph.tables.schema) and JSON files, and read them back.

Layout of a KG folder (default ``out/``):
  <table>.parquet  papers, authorships, authors, categories, subject_classes, repositories,
                   links, mentions, sources, rejected, quality (see graph.tables.schema)
  variants.json    groups of author keys that may be one person (reported, not merged):
                   [{"keys": [...], "reason": "accents", "confidence": "high"}, ...]
  summary.json     counts (see graph.tables.summary), written by save_summary

graph.tables.build writes them from the ingest's staging files. Every file is written
atomically, with fixed row-group sizes and compression, so that the same rows give
byte-identical files.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from graph.errors import KGNotFound
from graph.fsutil import atomic_write
from graph.generations import build_command
from graph.model.records import Note, VariantGroup
from graph.tables import schema as s
from graph.tables.scan import table_file

VARIANTS = "variants.json"
SUMMARY = "summary.json"
REQUIRED = (s.PAPERS.file, s.AUTHORSHIPS.file, s.AUTHORS.file)
ROW_GROUP = 64 * 1024
COMPRESSION = "zstd"
_DUMP_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE | orjson.OPT_INDENT_2


def save_variants(variants: Iterable[VariantGroup], out_dir: str | Path) -> None:
    _write_json(Path(out_dir) / VARIANTS, [{"keys": list(v.keys), "reason": v.reason,
                                            "confidence": v.confidence} for v in variants])


def save_summary(summary: dict, out_dir: str | Path) -> None:
    _write_json(Path(out_dir) / SUMMARY, summary)


def write_table(table: pa.Table, path: Path) -> None:
    write_batches(table.to_batches(), path, table.schema)


def write_batches(batches: Iterable[pa.RecordBatch], path: Path, schema: pa.Schema, *,
                  compression: str = COMPRESSION, use_dictionary: bool = True) -> int:
    """Write batches of any sizes as row groups of exactly ROW_GROUP rows (the last one shorter),
    each one contiguous, so that the same rows give the same bytes however they arrived.
    Returns the number of rows."""
    with atomic_write(path) as fh:
        return encode_batches(batches, fh, schema, compression=compression,
                              use_dictionary=use_dictionary)


def encode_batches(batches: Iterable[pa.RecordBatch], sink: Any, schema: pa.Schema, *,
                   compression: str = COMPRESSION, use_dictionary: bool = True) -> int:
    """write_batches into `sink` (a file handle or an Arrow output stream); returns the number
    of rows."""
    rows = 0
    with pq.ParquetWriter(sink, schema, compression=compression,
                          use_dictionary=use_dictionary) as writer:
        for group in _ahead(_row_groups((batch.cast(schema) for batch in batches), schema)):
            writer.write_table(group, row_group_size=ROW_GROUP)
            rows += group.num_rows
    return rows


_T = TypeVar("_T")
_END = object()


def _ahead(items: Iterator[_T]) -> Iterator[_T]:
    """`items`, the next one made on a thread while the caller takes this one: the engine's
    query that makes a table's rows runs beside the Parquet encoder (both leave the GIL; in
    turn they took 3.3 s of the archive's build). One item ahead at most."""
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(next, items, _END)
        while (item := pending.result()) is not _END:
            pending = pool.submit(next, items, _END)
            yield item  # type: ignore[misc]


def _row_groups(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    held = yielded = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= ROW_GROUP:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, ROW_GROUP).combine_chunks()
            yielded += 1
            rest = table.slice(ROW_GROUP)
            pending, held = rest.to_batches(), rest.num_rows
    if held or not yielded:  # an empty table still gets its one (empty) row group
        yield pa.Table.from_batches(pending, schema).combine_chunks()


def iso(stamp: datetime) -> str:
    """A table timestamp as the xsd:dateTime text the digests give (`2021-05-31T07:07:48+00:00`)."""
    return stamp.astimezone(timezone.utc).isoformat()


# --- reading back ----------------------------------------------------------------------

def read_table(kg_dir: str | Path, name: str, columns: list[str] | None = None, *,
               dictionary: bool = False) -> pa.Table:
    """One table; `dictionary` keeps string columns dictionary-encoded, as Parquet stores them."""
    path = table_file(kg_dir, name)
    # ParquetFile, not pq.read_table: that one imports pyarrow.dataset, and with it pandas when
    # installed (0.7 s of CPU before a command can start).
    try:
        with pq.ParquetFile(path, read_dictionary=columns if dictionary else None) as parquet:
            table = parquet.read(columns=columns)
    except (pa.ArrowException, OSError) as exc:  # truncated, overwritten, unreadable
        raise _damaged(path, kg_dir, str(exc)) from None
    missing = set(columns or s.TABLES[name].schema.names) - set(table.column_names)
    if missing:
        raise _damaged(path, kg_dir, f"no column {', '.join(sorted(missing))}")
    return table


def _damaged(path: Path, kg_dir: str | Path, reason: str) -> KGNotFound:
    reason = " ".join(reason.split())[:200]
    return KGNotFound(f"{path} is damaged or not written by this version ({reason}); rebuild "
                      f"the knowledge graph with `{build_command(kg_dir)}`")


def load_notes(kg_dir: str | Path) -> tuple[Note, ...]:
    """The quality table as Notes, in its order."""
    return tuple(Note(**n) for n in read_table(kg_dir, "quality").to_pylist())


def _write_json(path: Path, obj: Any) -> None:
    with atomic_write(path) as fh:
        fh.write(orjson.dumps(obj, option=_DUMP_OPTS))


def read_variants(kg_dir: str | Path) -> list[Any]:
    """The groups of variants.json, each {"keys", "reason", "confidence"} (empty if there is
    none); a damaged file is named."""
    return _read_json(Path(kg_dir) / VARIANTS, [])


def _read_json(path: Path, default: Any) -> Any:
    if not path.is_file():
        return default
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise _damaged(path, path.parent, str(exc)) from None
