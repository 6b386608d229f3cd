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

import contextlib
import functools
import mmap
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

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


@dataclass(frozen=True)
class _Fresh:
    """One row group encoded alone, as a Parquet file of its own."""

    layout: _Layout
    data: pa.Buffer


def rewrite(old: Path, path: Path, schema: pa.Schema, source: np.ndarray, new: pa.Table, *,
            pool: Executor | None = None, decoded: Mapping[int, pa.Table] | None = None) -> None:
    """Write to `path` (as persist.write_batches, in `schema`) the table whose row i is old's
    row source[i] where that is >= 0, else new's row -1 - source[i]. The groups that changed
    are encoded each on its own, on `pool` if given (the Parquet writer leaves the GIL);
    `decoded`: old's row groups already read, by number."""
    with pq.ParquetFile(old) as parquet, open(old, "rb") as raw:
        layout = _layout(raw)
        same = _same_groups(source, layout.rows if layout else [])
        rows = _Rows(parquet, source, new, decoded or {})
        fresh = _encoded(rows, [k for k, kept in enumerate(same) if not kept], schema, pool)
        if layout is None or (fresh and _shape(next(iter(fresh.values())).layout) != _shape(layout)):
            # Not a file whose groups can be mixed with ours: every group is encoded.
            fresh.update(_encoded(rows, [k for k in range(len(same)) if k not in fresh], schema, pool))
        template = next(iter(fresh.values())).layout if fresh else layout
        assert template is not None
        with _mapped(raw) if len(fresh) < len(same) else contextlib.nullcontext() as old_bytes:
            _write(path, [_piece(k, fresh, layout, old_bytes) for k in range(len(same))],
                   template.footer, len(source))


def _piece(k: int, fresh: dict[int, _Fresh], old: _Layout | None, old_bytes: Any
           ) -> tuple[Struct, Any, tuple[int, int]]:
    """Group k's metadata, the buffer that holds its bytes and where."""
    if k in fresh:
        return fresh[k].layout.groups[0], fresh[k].data, fresh[k].layout.spans[0]
    assert old is not None
    return old.groups[k], old_bytes, old.spans[k]


@contextlib.contextmanager
def _mapped(raw: BinaryIO) -> Iterator[mmap.mmap]:
    with mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


class _Rows:
    """The new table's rows, group by group: slices of old's row groups (read once, in the
    calling thread) and of new's rows."""

    def __init__(self, parquet: pq.ParquetFile, source: np.ndarray, new: pa.Table,
                 decoded: Mapping[int, pa.Table]) -> None:
        self.parquet = parquet
        self.source = source
        self.new = new.cast(parquet.schema_arrow)
        self.old: dict[int, pa.Table] = dict(decoded)

    def load(self, groups: list[int]) -> None:
        """Read the old row groups that new groups `groups` take rows from."""
        size = persist.ROW_GROUP
        wanted = set()
        for k in groups:
            part = self.source[k * size:(k + 1) * size]
            wanted.update((part[part >= 0] // size).tolist())
        self.old.update(read_groups(self.parquet, sorted(wanted - self.old.keys())))

    def group(self, k: int) -> pa.Table:
        """New group k's rows: runs of rows that follow each other are sliced, not taken (no
        copy of the long texts)."""
        size = persist.ROW_GROUP
        part = self.source[k * size:(k + 1) * size]
        place = np.where(part >= 0, part, len(self.source) + size - 1 - part)  # new's rows after old's
        group = np.where(part >= 0, part // size, -1)
        cuts = [0, *(np.flatnonzero((np.diff(place) != 1) | (np.diff(group) != 0)) + 1).tolist(), len(part)]
        pieces = [self.old[int(part[a]) // size].slice(int(part[a]) % size, b - a) if part[a] >= 0
                  else self.new.slice(-1 - int(part[a]), b - a) for a, b in zip(cuts, cuts[1:]) if a < b]
        return pa.concat_tables(pieces) if pieces else self.new.slice(0, 0)


def read_groups(parquet: pq.ParquetFile, groups: list[int]) -> dict[int, pa.Table]:
    """Row groups of an open Parquet file, by number (for rewrite's `decoded`)."""
    if not groups:
        return {}
    table = parquet.read_row_groups(groups)
    starts = np.cumsum([0, *(parquet.metadata.row_group(g).num_rows for g in groups)])
    return {g: table.slice(int(start), int(end - start)) for g, start, end in zip(groups, starts, starts[1:])}


def _encoded(rows: _Rows, groups: list[int], schema: pa.Schema, pool: Executor | None) -> dict[int, _Fresh]:
    rows.load(groups)
    encode = functools.partial(_encode, rows, schema)
    return dict(zip(groups, (pool.map if pool else map)(encode, groups)))


def _encode(rows: _Rows, schema: pa.Schema, k: int) -> _Fresh:
    sink = pa.BufferOutputStream()
    persist.encode_batches(rows.group(k).to_batches(), sink, schema)
    data = sink.getvalue()
    layout = _layout(pa.BufferReader(data))
    assert layout is not None and len(layout.groups) == 1  # as persist writes
    return _Fresh(layout, data)


def _same_groups(source: np.ndarray, old_rows: list[int]) -> list[bool]:
    """For each row group of the new table: whether it holds old's group of the same number."""
    size = persist.ROW_GROUP
    at_place = source == np.arange(len(source))
    groups = max(1, -(-len(source) // size))
    return [k < len(old_rows) and old_rows[k] == min(len(source), (k + 1) * size) - k * size
            and bool(at_place[k * size:(k + 1) * size].all()) for k in range(groups)]


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
        size = value(meta, _CM_SIZE)
        if size and value(meta, _CM_DICTIONARY, value(meta, _CM_DATA)) != at:
            return None  # (an empty chunk without a dictionary has no bytes, and offset 0)
        at += size
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


def _write(path: Path, groups: list[tuple[Struct, Any, tuple[int, int]]], footer: Struct,
           rows: int) -> None:
    """The file: each group's bytes (group, buffer, span) one after the other, then `footer`
    (the writer's, from a file of the same shape) with the row count and the groups' metadata,
    moved to where they now are."""
    moved: list[Struct] = []
    with atomic_write(path) as fh:
        fh.write(_MAGIC)
        at = len(_MAGIC)
        for k, (group, data, (start, end)) in enumerate(groups):
            with memoryview(data) as whole, whole[start:end] as piece:
                fh.write(piece)
            moved.append(_moved(group, at - start, k))
            at += end - start
        encoded = thrift.encode(with_values(footer, {_NUM_ROWS: rows, _ROW_GROUPS: (STRUCT, tuple(moved))}))
        fh.write(encoded + len(encoded).to_bytes(4, "little") + _MAGIC)


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
