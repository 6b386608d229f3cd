"""A table's Parquet file written again with some rows withdrawn and some added, encoding only
the row groups that changed: the others are copied from the old file as bytes.

    rewrite(old, path, schema, source, new)   # row i: old's row source[i], or new's row -1 - source[i]

graph.tables.persist writes a table as row groups of exactly ROW_GROUP rows (the last one
shorter), each encoded from its own rows alone (its dictionaries, statistics and pages), one
after the other, then the footer. So where the new table holds, in group k, exactly the rows
old's group k holds, the two groups have the same bytes: they are copied, and the groups
that differ are encoded by persist.encode_batches. The footer is old's, with the row count
and the list of groups (their offsets moved to where the groups now are) replaced
(graph.tables.thrift). The result is byte for byte what write_batches gives for the new table;
where the old file is not laid out as this module expects (or was written by another Parquet
writer, whose footer differs beyond its groups), the whole file is encoded again.

A day's new papers have the newest arXiv IDs: the tables sorted by ID change in their last
group only.
"""
from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from graph.fsutil import atomic_write
from graph.tables import persist, thrift
from graph.tables.thrift import STRUCT, Struct, value, with_values

_MAGIC = b"PAR1"
# FileMetaData, RowGroup, ColumnChunk and ColumnMetaData field ids (parquet.thrift)
_NUM_ROWS, _ROW_GROUPS, _ENCRYPTION = 3, 4, 8
_RG_COLUMNS, _RG_ROWS, _RG_OFFSET, _RG_SIZE, _RG_ORDINAL = 1, 3, 5, 6, 7
_CC_OFFSET, _CC_META = 2, 3
_CC_ELSEWHERE = {4, 5, 6, 7, 8, 9}  # page indexes, encryption: outside the groups' bytes
_CM_KIND = (1, 3, 4)  # type, path, codec
_CM_SIZE, _CM_DATA, _CM_INDEX, _CM_DICTIONARY = 7, 9, 10, 11
_CM_ELSEWHERE = {14, 15}  # bloom filters


@dataclass(frozen=True)
class _Layout:
    """A Parquet file's footer, and each row group's rows and bytes (start, end)."""

    footer: Struct
    rows: list[int]
    spans: list[tuple[int, int]]

    @property
    def groups(self) -> tuple[Struct, ...]:
        return value(self.footer, _ROW_GROUPS)[1]


def rewrite(old: Path, path: Path, schema: pa.Schema, source: np.ndarray, new: pa.Table) -> None:
    """Write to `path` (as persist.write_batches, in `schema`) the table whose row i is old's
    row source[i] where that is >= 0, else new's row -1 - source[i]."""
    with pq.ParquetFile(old) as parquet, open(old, "rb") as raw:
        layout = _layout(raw)
        same = _same_groups(source, layout.rows if layout else [])
        changed = [k for k, kept in enumerate(same) if not kept]
        if layout is None or len(changed) == len(same):
            persist.write_batches(_rows(parquet, source, new).to_batches(), path, schema)
            return
        fresh, encoded = _encoded(parquet, source, changed, new, schema) if changed else (None, b"")
        if changed and (fresh is None or _shape(fresh) != _shape(layout)):
            persist.write_batches(_rows(parquet, source, new).to_batches(), path, schema)
            return
        with (mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
              memoryview(mapped) as old_bytes, memoryview(encoded) as fresh_bytes):
            _assemble(path, same, (layout, old_bytes), (fresh, fresh_bytes), len(source))


def _encoded(parquet: pq.ParquetFile, source: np.ndarray, changed: list[int], new: pa.Table,
             schema: pa.Schema) -> tuple[_Layout | None, pa.Buffer]:
    """The groups numbered `changed`, encoded one after the other as a Parquet file: its layout
    and bytes. Every group but the last has ROW_GROUP rows, so they are cut as in the whole."""
    size = persist.ROW_GROUP
    rows = _rows(parquet, np.concatenate([source[k * size:(k + 1) * size] for k in changed]), new)
    sink = pa.BufferOutputStream()
    persist.encode_batches(rows.to_batches(), sink, schema)
    encoded = sink.getvalue()
    return _layout(pa.BufferReader(encoded)), encoded


def _same_groups(source: np.ndarray, old_rows: list[int]) -> list[bool]:
    """For each row group of the new table: whether it holds old's group of the same number."""
    size = persist.ROW_GROUP
    at_place = source == np.arange(len(source))
    groups = max(1, -(-len(source) // size))
    return [k < len(old_rows) and old_rows[k] == min(len(source), (k + 1) * size) - k * size
            and bool(at_place[k * size:(k + 1) * size].all()) for k in range(groups)]


def _rows(parquet: pq.ParquetFile, source: np.ndarray, new: pa.Table) -> pa.Table:
    """The rows `source` names, reading only old's row groups that hold one of them."""
    size = persist.ROW_GROUP
    olds = source[source >= 0]
    groups = np.unique(olds // size)
    table = parquet.read_row_groups(groups.tolist()) if len(groups) else parquet.schema_arrow.empty_table()
    firsts = np.concatenate([[0], np.cumsum([parquet.metadata.row_group(int(g)).num_rows for g in groups])])
    where = np.where(source >= 0, 0, len(table) - 1 - source)
    where[source >= 0] = firsts[np.searchsorted(groups, olds // size)] + olds % size
    # Runs of rows that follow each other are sliced, not taken: no copy of the long texts.
    cuts = [0, *(np.flatnonzero(np.diff(where) != 1) + 1).tolist(), len(where)]
    rows = pa.concat_tables([table, new.cast(table.schema)])
    return pa.concat_tables([rows.slice(int(where[a]), b - a) for a, b in zip(cuts, cuts[1:]) if a < b]
                            or [rows.slice(0, 0)])


def _layout(raw: BinaryIO | pa.NativeFile) -> _Layout | None:
    """The layout of a Parquet file, if it is one this module can copy groups from."""
    end = raw.seek(0, 2)
    if end < 12:
        return None
    raw.seek(end - 8)
    tail = raw.read(8)
    length = int.from_bytes(tail[:4], "little")
    if tail[4:] != _MAGIC or length > end - 12:
        return None
    raw.seek(end - 8 - length)
    return _checked(raw.read(length), end - 8 - length)


def _checked(footer_bytes: bytes, footer_at: int) -> _Layout | None:
    """The layout, if the groups are what persist writes: one after the other from the
    magic to the footer, each chunk's pages together, nothing kept outside them."""
    try:
        footer = thrift.decode(footer_bytes)
    except thrift.ThriftError:
        return None
    if value(footer, _ENCRYPTION) is not None:
        return None
    rows, spans = [], []
    at = len(_MAGIC)
    for group in value(footer, _ROW_GROUPS, (STRUCT, ()))[1]:
        span = _span(group, at)
        if span is None:
            return None
        rows.append(value(group, _RG_ROWS))
        spans.append(span)
        at = span[1]
    size = persist.ROW_GROUP
    if at != footer_at or any(n != size for n in rows[:-1]) or (rows and rows[-1] > size):
        return None
    return _Layout(footer, rows, spans)


def _span(group: Struct, at: int) -> tuple[int, int] | None:
    """The bytes of a row group that starts at `at`, if its column chunks follow each other."""
    start = at
    for chunk in value(group, _RG_COLUMNS)[1]:
        meta = value(chunk, _CC_META)
        if meta is None or {f.id for f in chunk} & _CC_ELSEWHERE or {f.id for f in meta} & _CM_ELSEWHERE:
            return None
        if value(meta, _CM_DICTIONARY, value(meta, _CM_DATA)) != at:
            return None
        at += value(meta, _CM_SIZE)
    if value(group, _RG_OFFSET, start) != start or value(group, _RG_SIZE, at - start) != at - start:
        return None
    return start, at


def _shape(layout: _Layout) -> tuple:
    """What two files whose groups are mixed must share: the footer but for what depends on
    the rows (so the schema, its metadata, the writer's version), and each column's type and
    compression (a change to persist's options would otherwise go unseen in copied groups)."""
    columns = value(layout.groups[0], _RG_COLUMNS)[1] if layout.groups else ()
    return (tuple(f for f in layout.footer if f.id not in (_NUM_ROWS, _ROW_GROUPS)),
            tuple(tuple(value(value(c, _CC_META), i) for i in _CM_KIND) for c in columns))


def _assemble(path: Path, same: list[bool], old: tuple[_Layout, memoryview],
              fresh: tuple[_Layout | None, memoryview], rows: int) -> None:
    """Write the groups, old's where `same` says so, else fresh's in turn, and the footer."""
    groups: list[Struct] = []
    layout, fresh_bytes = fresh
    fresh_groups = iter(zip(layout.groups, layout.spans) if layout else ())
    with atomic_write(path) as fh:
        fh.write(_MAGIC)
        at = len(_MAGIC)
        for k, kept in enumerate(same):
            group, (start, end) = (old[0].groups[k], old[0].spans[k]) if kept else next(fresh_groups)
            fh.write((old[1] if kept else fresh_bytes)[start:end])
            groups.append(_moved(group, at - start, k))
            at += end - start
        footer = thrift.encode(with_values(old[0].footer, {_NUM_ROWS: rows,
                                                           _ROW_GROUPS: (STRUCT, tuple(groups))}))
        fh.write(footer + len(footer).to_bytes(4, "little") + _MAGIC)


def _moved(group: Struct, delta: int, ordinal: int) -> Struct:
    """A row group's metadata with its bytes `delta` further on, as group number `ordinal`."""
    columns = tuple(with_values(chunk, {_CC_OFFSET: _shifted(value(chunk, _CC_OFFSET), delta),
                                        _CC_META: _moved_meta(value(chunk, _CC_META), delta)})
                    for chunk in value(group, _RG_COLUMNS)[1])
    return with_values(group, {_RG_COLUMNS: (STRUCT, columns), _RG_ORDINAL: ordinal,
                               _RG_OFFSET: _shifted(value(group, _RG_OFFSET), delta)})


def _moved_meta(meta: Struct, delta: int) -> Struct:
    return with_values(meta, {i: _shifted(value(meta, i), delta)
                              for i in (_CM_DATA, _CM_INDEX, _CM_DICTIONARY)})


def _shifted(offset: int | None, delta: int) -> int | None:
    # Arrow writes 0 in ColumnChunk.file_offset (deprecated): 0 stays 0.
    return offset + delta if offset else offset
