"""Streaming reads of the KG's tables: a few columns at a time, in batches, in the tables' order.

For readers that walk a whole table once (RDF, the networkx view) and must not hold it as Python
objects: a batch is converted to Python values column by column (Arrow's C conversion), and
timestamps become the ISO 8601 text the digests give (``2021-05-31T07:07:48+00:00``, as
``graph.tables.persist.iso``), computed by Arrow rather than one datetime at a time.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.errors import KGNotFound
from graph.generations import build_command
from graph.tables.schema import TABLES

BATCH_ROWS = 16_384  # large enough that Arrow's per-batch cost vanishes, small enough to stream


def table_file(kg_dir: str | Path, name: str) -> Path:
    """The Parquet file of table `name`; KGNotFound if the folder has none."""
    path = Path(kg_dir) / TABLES[name].file
    if not path.is_file():
        raise KGNotFound(f"{kg_dir}: no knowledge graph here (missing {path.name}); "
                         f"run `{build_command(kg_dir)}` first")
    return path


def num_rows(kg_dir: str | Path, name: str) -> int:
    return pq.ParquetFile(table_file(kg_dir, name)).metadata.num_rows


def batches(kg_dir: str | Path, name: str, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    with pq.ParquetFile(table_file(kg_dir, name)) as pf:
        yield from pf.iter_batches(batch_size=BATCH_ROWS, columns=list(columns))


def rows(kg_dir: str | Path, name: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The table's rows as tuples of the named columns, timestamps as ISO text."""
    return batch_rows(batches(kg_dir, name, columns), columns)


def batch_rows(batches: Iterable[pa.RecordBatch], columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The batches' rows as tuples of the named columns, timestamps as ISO text."""
    for batch in batches:
        yield from zip(*(python_values(batch.column(c)) for c in columns))


def column(kg_dir: str | Path, name: str, col: str) -> pa.ChunkedArray:
    """One whole column (a compact Arrow array, not Python objects)."""
    return table(kg_dir, name, [col]).column(col)


def table(kg_dir: str | Path, name: str, columns: Sequence[str]) -> pa.Table:
    """Whole columns of a table, for a reader that needs them in another order."""
    return pq.read_table(table_file(kg_dir, name), columns=list(columns))


def python_values(array: pa.Array) -> list[Any]:
    if pa.types.is_timestamp(array.type):
        return iso_texts(array).to_pylist()
    return array.to_pylist()


def iso_texts(stamps: pa.Array) -> pa.Array:
    """UTC timestamps as `datetime.isoformat()` text: seconds, `.ffffff` only when non-zero."""
    # Arrow formats tz-naive timestamps 30x faster than UTC ones (no time-zone lookups), and
    # the values of a UTC timestamp are its naive UTC time.
    naive = stamps.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    full = pc.replace_substring(naive.cast(pa.string()), " ", "T", max_replacements=1)
    whole = pc.equal(naive, naive.cast(pa.timestamp("s"), safe=False).cast(pa.timestamp("us")))
    text = pc.if_else(whole, pc.utf8_slice_codeunits(full, 0, 19), full)
    return pc.binary_join_element_wise(text, "+00:00", "")
