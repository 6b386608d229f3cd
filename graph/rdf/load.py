"""Loading the SPARQL store: a bulk load of N-Triples into a new pyoxigraph store.

``create_store(store_dir, ntriples)`` loads lines, bytes chunks or a file in this process;
``StoreLoader(store_dir)`` loads in a child process whatever N-Triples are written to it, so
that a build renders the RDF on one core while the store is loaded on the other (the load
is the build's longest step, and pyoxigraph parses a Python stream with the GIL held for
every read, which would stall a renderer thread of the same process).
``store_from_kg(kg_dir)`` (re)builds a KG folder's store from its tables.

A store is built in a sibling temporary folder and renamed into place, so a failed load
leaves any previous store untouched. Queries live in graph.rdf.store.
"""
from __future__ import annotations

import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from graph.errors import ArxivKGError
from graph.rdf.mapping import DEFAULT_BASE_IRI
from graph.rdf.store import store_path

NTriples = Iterable[str] | Iterable[bytes] | str | os.PathLike[str]
_PIPE_BYTES = 1 << 20  # the child's pipe: fewer wake-ups than Linux's default 64 KiB


class StoreLoadError(ArxivKGError):
    """The N-Triples could not be loaded (invalid syntax, disk full, loader died)."""


@dataclass(frozen=True)
class LoadStats:
    """What a store load did and how long it took (wall seconds; CPU of every thread)."""

    triples: int
    load_s: float
    optimize_s: float
    cpu_s: float
    peak_rss_mb: float

    def text(self) -> str:
        return (f"{self.triples:,} triples: bulk load {self.load_s:.1f} s, optimize "
                f"{self.optimize_s:.1f} s, {self.cpu_s:.1f} s CPU, peak RSS {self.peak_rss_mb:,.0f} MB")


def create_store(store_dir: str | os.PathLike[str], ntriples: NTriples) -> int:
    """Bulk-load N-Triples (text lines, bytes chunks, or a file path) into a new store at
    `store_dir`; returns the number of triples stored."""
    return load_store(store_dir, ntriples).triples


def load_store(store_dir: str | os.PathLike[str], ntriples: NTriples) -> LoadStats:
    """create_store, with the time each step took."""
    staging = _Staging(store_dir)
    try:
        stats = _bulk_load(staging.db, ntriples)
    except BaseException:
        staging.discard()
        raise
    staging.commit()
    return stats


class _Staging:
    """A new store is built in a sibling temporary folder, then renamed into place."""

    def __init__(self, store_dir: str | os.PathLike[str]) -> None:
        self.target = Path(store_dir)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp",
                                             dir=self.target.parent))
        except OSError as exc:
            raise StoreLoadError(f"SPARQL store: cannot write beside {self.target}: {exc}") from None
        self.db = self.tmp / "db"

    def commit(self) -> None:
        try:
            _swap_into_place(self.db, self.target)
        finally:
            self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def store_from_kg(kg_dir: str | os.PathLike[str], base_iri: str = DEFAULT_BASE_IRI) -> int:
    """(Re)build `<kg_dir>/store` from the KG folder's tables; returns the triple count."""
    from graph.rdf.subjects import (
        ntriples_lines,  # pyarrow: only for loading from tables
    )

    return create_store(store_path(kg_dir), ntriples_lines(Path(kg_dir), base_iri))


def _bulk_load(path: Path, ntriples: NTriples, *, ours: bool = False) -> LoadStats:
    """Load into a new store at `path`. `ours`: the N-Triples come from graph.rdf's writer,
    whose IRIs are minted safe or checked by pyoxigraph when minted, so the parser skips
    checking every IRI of every triple again (measured: ~8% of the load's CPU)."""
    started, cpu = time.perf_counter(), time.process_time()
    store = ox.Store(str(path))
    try:
        if isinstance(ntriples, (str, os.PathLike)):
            store.bulk_load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES, lenient=ours)
        else:
            stream = cast(IO[bytes], ntriples) if isinstance(ntriples, (io.BufferedIOBase, io.RawIOBase)) \
                else io.BufferedReader(_ChunkStream(ntriples), buffer_size=_PIPE_BYTES)
            store.bulk_load(input=stream, format=ox.RdfFormat.N_TRIPLES, lenient=ours)
    except SyntaxError as exc:
        raise StoreLoadError(f"invalid N-Triples for the store: {_first_line(exc)}") from None
    count, loaded = len(store), time.perf_counter()
    # bulk_load leaves one set of overlapping SST files per batch of a million triples, and
    # every index lookup (each OPTIONAL and nested pattern does one per row) must probe them
    # all: one compaction makes lookups ~5x faster at 5M triples, for ~1.5x the disk space.
    store.optimize()
    store.flush()
    del store  # closes RocksDB before the folder is renamed
    done = time.perf_counter()
    return LoadStats(count, loaded - started, done - loaded, time.process_time() - cpu,
                     resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


def _swap_into_place(built: Path, target: Path) -> None:
    # Linux has no portable atomic directory exchange: move the old store aside first,
    # so at every moment either the old or the new complete store is at `target`'s name
    # or beside it, never a half-written one.
    old = built.parent / "old"
    if target.exists():
        os.replace(target, old)
    try:
        os.replace(built, target)
    except OSError:
        if old.exists():
            os.replace(old, target)
        raise


class _ChunkStream(io.RawIOBase):
    """Expose an iterable of text lines or bytes chunks as a binary stream, so bulk_load can
    pull lazily."""

    BATCH = 4096  # items joined per chunk: one Python call per line would dominate the load

    def __init__(self, items: Iterable[str] | Iterable[bytes]) -> None:
        self._items: Iterator[str | bytes] = iter(items)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if not self._pending:
            batch = list(islice(self._items, self.BATCH))
            if not batch:
                return 0
            chunk = b"".join(cast(list[bytes], batch)) if isinstance(batch[0], bytes) else \
                "".join(cast(list[str], batch)).encode("utf-8")
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


class StoreLoader:
    """A child process that bulk-loads the N-Triples written to it into a new store.

    Use as a context manager: ``write(chunk)`` as the RDF is rendered, then ``close()``
    returns the LoadStats; leaving the block by an exception stops the child, and the
    previous store (if any) stays in place.
    """

    def __init__(self, store_dir: str | os.PathLike[str]) -> None:
        # This process owns the temporary folder, so a killed child leaves nothing behind.
        self._staging = _Staging(store_dir)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "graph.rdf.load", os.fspath(self._staging.db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._pipe: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        _widen(self._pipe)

    def write(self, chunk: bytes | memoryview) -> None:
        try:
            self._pipe.write(chunk)
        except BrokenPipeError:  # the child died: its message says why
            self._proc.kill()
            raise self._failure(self._proc.communicate()[1]) from None

    def close(self) -> LoadStats:
        """Wait for the load to finish and put the store in place; what it did, or StoreLoadError."""
        out, err = self._proc.communicate()  # closes the pipe: the child sees the end of input
        if self._proc.returncode != 0:
            raise self._failure(err)
        self._staging.commit()
        return LoadStats(**json.loads(out))

    def abort(self) -> None:
        self._proc.kill()
        self._proc.communicate()
        self._staging.discard()

    def _failure(self, err: bytes) -> StoreLoadError:
        self._staging.discard()
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return StoreLoadError(lines[-1] if lines else f"store loader exited with {self._proc.returncode}")

    def __enter__(self) -> StoreLoader:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abort()


def _widen(pipe: IO[bytes]) -> None:
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size: keep the default
        pass


def _main(argv: list[str]) -> int:
    """The child of StoreLoader: load stdin into a new store at argv[0]; print LoadStats."""
    try:
        stats = _bulk_load(Path(argv[0]), sys.stdin.buffer, ours=True)
    except (ArxivKGError, OSError) as exc:
        print(f"SPARQL store: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(stats)))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
