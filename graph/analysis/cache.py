"""Projections and measures kept in the KG folder, so that the next command asking the same
question answers from disk.

Layout: ``<kg>/cache/<KG identity>/<entry key>/`` holds one projection (``nodes.parquet``,
``edges.parquet``, ``papers.parquet``, then ``meta.json``, written last: an entry without it is
not there yet) and what was computed on it (``measure-*.parquet``, ``stats-*.json``). Entry
keys hash the options that made the entry (filters, cache format); the KG identity
(graph.tables.identity) changes whenever the KG is rebuilt, and the first write under a new
identity removes the folders of the old ones.

Every file is written atomically (graph.fsutil.atomic_write), by a background thread so that
a command computes its next result while the last one is saved (Arrow writes without holding
the GIL); a read of a file still being written waits for it, and ``flush`` waits for them all.
A cache that cannot be read or written (read-only KG folder, full disk, a damaged file) is
skipped with one warning: it never fails the command that uses it.
"""
from __future__ import annotations

import hashlib
import shutil
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from graph.fsutil import atomic_write
from graph.tables.identity import kg_identity

CACHE_DIR = "cache"
FORMAT = 1  # bump when what an entry holds changes: old entries are then never read
_ID_CHARS = 16


def entry_key(options: dict[str, Any]) -> str:
    """A short stable hash of JSON-able options."""
    blob = orjson.dumps({"format": FORMAT, **options}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:_ID_CHARS]


class Cache:
    """One KG folder's cache. ``enabled=False`` (the CLI's --no-cache) reads and writes nothing.
    ``warn`` gets the one warning a failing cache gives (default: warnings.warn)."""

    def __init__(self, kg_dir: str | Path, *, enabled: bool = True,
                 warn: Callable[[str], None] | None = None) -> None:
        self.kg_dir = Path(kg_dir)
        self.enabled = enabled
        self._warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
        self._warned = False
        self._identity: str | None = None
        self._cleaned = False
        self._writer: ThreadPoolExecutor | None = None
        self._pending: dict[Path, Future] = {}

    @property
    def root(self) -> Path:
        if self._identity is None:
            self._identity = kg_identity(self.kg_dir)[:_ID_CHARS]
        return self.kg_dir / CACHE_DIR / self._identity

    def folder(self, key: str) -> Path:
        return self.root / key

    def read_table(self, key: str, name: str) -> pa.Table | None:
        if not self.enabled:
            return None
        path = self.folder(key) / f"{name}.parquet"
        return self._read(path, lambda: _read_parquet(path))

    def read_json(self, key: str, name: str) -> Any:
        if not self.enabled:
            return None
        path = self.folder(key) / f"{name}.json"
        return self._read(path, lambda: orjson.loads(path.read_bytes()))

    def write_table(self, key: str, name: str, table: pa.Table) -> None:
        path = self.folder(key) / f"{name}.parquet"
        self._write(path, lambda fh: pq.write_table(table, fh, compression="zstd"))

    def write_json(self, key: str, name: str, obj: Any) -> None:
        path = self.folder(key) / f"{name}.json"
        self._write(path, lambda fh: fh.write(orjson.dumps(obj)))  # keeps the dict's order

    def flush(self) -> None:
        """Wait until everything handed to the cache is written (or has failed)."""
        for future in list(self._pending.values()):
            future.result()
        self._pending.clear()

    def _read(self, path: Path, read: Callable[[], Any]) -> Any:
        if path in self._pending:
            self._pending.pop(path).result()
        if not path.is_file():
            return None
        try:
            return read()
        except (OSError, ValueError, pa.ArrowException) as exc:  # orjson's error is a ValueError
            self._fail(f"cache: cannot read {path} ({exc}); computing it again")
            return None

    def _write(self, path: Path, write: Callable[[Any], Any]) -> None:
        if not self.enabled:
            return
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="arxiv-kg-cache")
        self._pending[path] = self._writer.submit(self._write_now, path, write)

    def _write_now(self, path: Path, write: Callable[[Any], Any]) -> None:
        if not self.enabled:
            return
        try:
            self._drop_stale()
            with atomic_write(path) as fh:
                write(fh)
        except (OSError, pa.ArrowException) as exc:
            self.enabled = False  # one failure says enough: stop trying for this command
            self._fail(f"cache: not written ({exc}); results will be computed again next time")

    def _drop_stale(self) -> None:
        """Remove the entries of earlier KG identities, once, before the first write."""
        if self._cleaned:
            return
        self._cleaned = True
        current = self.root
        parent = current.parent
        if parent.is_dir():
            for old in parent.iterdir():
                if old != current and old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)

    def _fail(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(message)


def _read_parquet(path: Path) -> pa.Table:
    with pq.ParquetFile(path) as parquet:  # pq.read_table would import pyarrow.dataset (0.7 s)
        return parquet.read()
