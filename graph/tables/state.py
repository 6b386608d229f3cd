"""What a generation keeps so that `update` merges exactly as `build` would.

Not part of the KG's table contract (graph.tables.schema): the update's own memory, free to
change between versions (a KG whose state is missing or older is rebuilt, never guessed at).

    state/records/NN.parquet   every staged record (graph.tables.staging.RECORDS), in BUCKETS
                               parts by the CRC-32 of its file's label, sorted by file and line:
                               a new day rewrites one small part, the others are hard-linked.
                               A build's ingest workers write their staging files as these
                               parts (graph.tables.ingest), which the build then links here
    state/files.parquet        one row per readable digest (graph.tables.facts.FileFacts):
                               label, path, the stat an update compares first, SHA-256, counts,
                               controls removed, its rejections and warnings, and its `place`,
                               the id its records carry in their `input` column
    state/recut/known.parquet  papers per author key over every staged record (graph.tables.recut)
    state/recut/deps.parquet   (arXiv ID, key): the keys each paper's author lists looked up there
    state/recut/recuts.parquet the author lists the corpus-wide name rules changed, by file and line
"""
from __future__ import annotations

import contextlib
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from graph.model.records import Notice, Rejected, SourceFile
from graph.tables.facts import FileFacts
from graph.tables.persist import write_batches, write_table

if TYPE_CHECKING:
    import duckdb

STATE = "state"
RECORDS_DIR = f"{STATE}/records"
FILES = f"{STATE}/files.parquet"
RECUT_DIR = f"{STATE}/recut"
KNOWN = f"{RECUT_DIR}/known.parquet"
DEPS = f"{RECUT_DIR}/deps.parquet"
RECUTS = f"{RECUT_DIR}/recuts.parquet"
VERSION = 1  # of this layout; an update refuses another one
BUCKETS = 64
_BUCKET = "__bucket"
_BATCH_ROWS = 64 * 1024

_PROBLEM = pa.struct([pa.field("line", pa.int32()), pa.field("text", pa.string())])
FILES_SCHEMA = pa.schema([
    pa.field("file", pa.string(), nullable=False),
    pa.field("path", pa.binary(), nullable=False),  # as the file system has it (any bytes)
    pa.field("stat_size", pa.int64(), nullable=False),
    pa.field("mtime_ns", pa.int64(), nullable=False),
    pa.field("size", pa.int64(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("records", pa.int32(), nullable=False),
    pa.field("rejected", pa.int32(), nullable=False),
    pa.field("controls", pa.int64(), nullable=False),
    pa.field("place", pa.int32(), nullable=False),
    pa.field("rejections", pa.list_(_PROBLEM), nullable=False),
    pa.field("notices", pa.list_(_PROBLEM), nullable=False),
], metadata={"arxiv_kg.table": "update state: files", "arxiv_kg.state_version": str(VERSION)})


def bucket(label: str) -> int:
    return zlib.crc32(label.encode("utf-8", "surrogateescape")) % BUCKETS


def part_file(number: int) -> str:
    """A records part's file name; also that of the build's staging file of the bucket."""
    return f"{number:02d}.parquet"


def part_name(number: int) -> str:
    return f"{RECORDS_DIR}/{part_file(number)}"


def write_part(batches: Iterable[pa.RecordBatch], path: Path) -> int:
    """Write a records part (batches sorted by file and line); returns the number of rows.
    Uncompressed, like the staging files it is one of: the engine reads every part several
    times in a build, and compressing them took more CPU (+1.9 s over an archive's 190k
    records, in the ingest workers) than it saved (200 MB less for a KG of about 3 GB)."""
    from graph.tables.staging import RECORDS  # not imported with this module: see plan.py

    return write_batches(batches, path, RECORDS, compression="none", use_dictionary=False)


def keep_staged(folder: Path, out: Path) -> None:
    """Keep the staging files of a build (graph.tables.ingest wrote them as the records parts,
    one per bucket) as out's records parts: hard links, no copy."""
    (out / RECORDS_DIR).mkdir(parents=True, exist_ok=True)
    for part in sorted(folder.glob("*.parquet")):
        os.link(part, out / RECORDS_DIR / part.name)


# --- files -----------------------------------------------------------------------------

def save_facts(facts: Iterable[FileFacts], out: Path) -> None:
    rows = [{"file": f.source.file, "path": os.fsencode(f.path), "stat_size": f.stat_size,
             "mtime_ns": f.mtime_ns, "size": f.source.size, "sha256": f.source.sha256,
             "records": f.source.records, "rejected": f.source.rejected, "controls": f.controls,
             "place": f.place,
             "rejections": [{"line": r.line, "text": r.reason} for r in f.rejected],
             "notices": [{"line": n.line, "text": n.message} for n in f.notices]}
            for f in sorted(facts, key=lambda f: f.source.file)]
    write_table(pa.Table.from_pylist(rows, schema=FILES_SCHEMA), out / FILES)


def read_files(generation: Path) -> Files | None:
    """The files table of a generation; None if it keeps no state this version reads."""
    path = generation / FILES
    if not path.is_file():
        return None
    with pq.ParquetFile(path) as parquet:
        if parquet.schema_arrow.metadata.get(b"arxiv_kg.state_version") != str(VERSION).encode():
            return None
        return Files(parquet.read())


@dataclass(frozen=True, eq=False)
class Files:
    """A generation's files table, read a column at a time: an update compares the files on
    disk with it by label, path, size and mtime, and makes FileFacts only where it needs them
    (one per row took longer than all the rest of an update that finds nothing new)."""

    table: pa.Table

    @cached_property
    def labels(self) -> list[str]:
        return self.table.column("file").to_pylist()

    @cached_property
    def rows(self) -> dict[str, int]:
        """Label -> row (the last one, were a label there twice)."""
        return {label: row for row, label in enumerate(self.labels)}

    @cached_property
    def stats(self) -> list[tuple[str, int, int]]:
        """(path, mtime_ns, stat_size) of each row: what an update compares first."""
        return list(zip(map(os.fsdecode, self.table.column("path").to_pylist()),
                        self.table.column("mtime_ns").to_pylist(),
                        self.table.column("stat_size").to_pylist()))

    @cached_property
    def sha256(self) -> list[str]:
        return self.table.column("sha256").to_pylist()

    @cached_property
    def places(self) -> list[int]:
        return self.table.column("place").to_pylist()

    @cached_property
    def facts(self) -> tuple[FileFacts, ...]:
        """Every row's FileFacts."""
        return tuple(_facts(row) for row in self.table.to_pylist())

    @cached_property
    def with_problems(self) -> dict[int, FileFacts]:
        """Row -> FileFacts of the files that had rejections or notices (most have neither)."""
        counts = sum(np.diff(self.table.column(name).combine_chunks().offsets.to_numpy())
                     for name in ("rejections", "notices"))
        return {int(row): _facts(self.table.slice(int(row), 1).to_pylist()[0])
                for row in np.flatnonzero(counts)}


def _facts(row: dict) -> FileFacts:
    label = row["file"]
    return FileFacts(
        row["place"], SourceFile(label, row["size"], row["sha256"], row["records"], row["rejected"]),
        os.fsdecode(row["path"]), row["mtime_ns"], row["stat_size"],
        tuple(Rejected(label, p["line"], p["text"]) for p in row["rejections"]),
        tuple(Notice(label, p["line"], p["text"]) for p in row["notices"]), row["controls"])


# --- records ---------------------------------------------------------------------------

def write_records(con: duckdb.DuckDBPyConnection, source_sql: str, labels: Iterable[str],
                  out: Path) -> list[int]:
    """Write the staged records that `source_sql` (a relation in `con`) holds into out's
    state, one part per bucket they fall into; `labels`: their files. Returns those buckets."""
    con.register("record_buckets", pa.table({"file": pa.array(sorted(set(labels)), pa.string()),
                                             _BUCKET: pa.array([bucket(x) for x in sorted(set(labels))],
                                                               pa.int32())}))
    written = []
    try:
        with _reader(con, f"""
                SELECT b.{_BUCKET}, r.* FROM {source_sql} r JOIN record_buckets b USING (file)
                ORDER BY b.{_BUCKET}, r.file, r.line""") as reader:
            for number, batches in _by_bucket(reader):
                write_part(batches, out / part_name(number))
                written.append(number)
    finally:
        con.unregister("record_buckets")
    return written


def write_sql(con: duckdb.DuckDBPyConnection, sql: str, path: Path, schema: pa.Schema) -> int:
    """Write what `sql` selects to a Parquet file of `schema`; returns the number of rows."""
    with _reader(con, sql) as reader:
        return write_batches(reader, path, schema)


@contextlib.contextmanager
def _reader(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[pa.RecordBatchReader]:
    # Closed however the block ends: DuckDB refuses the connection's next query while a
    # result is open.
    reader = con.sql(sql).to_arrow_reader(_BATCH_ROWS)
    try:
        yield reader
    finally:
        reader.close()


def _by_bucket(reader: pa.RecordBatchReader) -> Iterator[tuple[int, Iterator[pa.RecordBatch]]]:
    """(bucket, its batches without the bucket column), streamed from batches sorted by bucket."""
    for number, pieces in groupby(_pieces(reader), key=itemgetter(0)):
        yield number, (piece for _, piece in pieces)


def _pieces(reader: pa.RecordBatchReader) -> Iterator[tuple[int, pa.RecordBatch]]:
    for batch in reader:
        numbers = batch.column(0).to_numpy()
        cuts = [0, *(np.flatnonzero(np.diff(numbers)) + 1), len(numbers)]
        for start, end in zip(cuts, cuts[1:]):
            if start < end:
                yield int(numbers[start]), batch.slice(start, end - start).drop_columns([_BUCKET])


def parts(generation: Path) -> list[Path]:
    folder = generation / RECORDS_DIR
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def parquet_list(paths: Iterable[Path]) -> str:
    """A DuckDB list literal of Parquet paths, for read_parquet."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
