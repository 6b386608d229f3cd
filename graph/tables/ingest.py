"""Ingest on every core: digests -> staging Parquet files (graph.tables.staging), in a process pool.

A task is the files of one bucket of the update state (graph.tables.state); a worker parses and
normalises them with graph.ingest, a few megabytes at a time, and writes their records as one
staging file that is already that bucket's records part, sorted by file and line: a build
keeps its staging files as its state, without reading them again. Only the small per-file
rows (sources, rejections) come back to the main process. Which worker read what, and in
which order, does not matter: the parts are made of their own files only, and the engine
sorts every table.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import multiprocessing
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from graph.children import die_with_parent
from graph.errors import ArxivKGError
from graph.gcpause import paused_gc
from graph.ingest.normalise import Normalised
from graph.ingest.parse import Input, Source, expand_inputs, read_digest
from graph.ingest.pipeline import FileRead, read_flat
from graph.model.records import Notice, Rejected
from graph.tables import state
from graph.tables.facts import FileFacts, Staged, assemble, trusted_mtime
from graph.tables.staging import record_batch

if TYPE_CHECKING:
    import pyarrow as pa

Report = Callable[[int, int], None]  # (done, total)
# Progress belongs to the caller: a context manager per step, by label, that may give a
# report(done, total) callback (as arxiv_kg.progress gives the exporters).
Steps = Callable[[str], ContextManager[Report | None]]
CHUNK_BYTES = 8 << 20  # of digests a worker holds as records at once, however large its bucket


def no_steps(label: str) -> ContextManager[Report | None]:
    return contextlib.nullcontext()


@dataclass(frozen=True)
class _Task:
    bucket: int  # graph.tables.state.bucket of its files' labels
    # (place in the input order, digest, size), by label: Python orders str as DuckDB does
    # (by UTF-8 bytes), so a part is sorted by file as the update's writer sorts it
    files: tuple[tuple[int, Source, int], ...]


@dataclass(frozen=True)
class _Done:
    files: int
    records: int
    rejected: tuple[Rejected, ...]  # of the files that could not be read at all
    notices: tuple[Notice, ...]  # of those files too (a name shown escaped)
    facts: tuple[FileFacts, ...]


@contextlib.contextmanager
def staged(inputs: list[str | Input], scratch: Path, *, jobs: int, steps: Steps = no_steps) -> Iterator[Staged]:
    """Stage every digest under `inputs` into a temporary folder inside `scratch` (removed on exit)."""
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=scratch))
    try:
        yield stage(inputs, folder, jobs=jobs, steps=steps)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage(inputs: list[str | Input], folder: Path, *, jobs: int, steps: Steps = no_steps) -> Staged:
    sources, rejected = expand_inputs(inputs)
    return stage_sources(list(enumerate(sources)), rejected, folder, jobs=jobs, steps=steps)


def stage_sources(sources: list[tuple[int, Source]], rejected: list[Rejected], folder: Path, *,
                  jobs: int, steps: Steps = no_steps) -> Staged:
    """Stage `sources`, each given with its place in the input order, into `folder`;
    `rejected`: the problems the inputs' expansion met."""
    sources = [(place, _spooled(source, folder, place) if source.path == "-" else source)
               for place, source in sources]
    tasks = _tasks(sources)
    work = functools.partial(_stage_task, str(folder))
    done: list[_Done] = []
    files_read = 0
    with steps(f"reading digests ({jobs} {'worker' if jobs == 1 else 'workers'})") as report:
        with _mapper(jobs) as mapper:
            for result in mapper(work, tasks):
                done.append(result)
                files_read += result.files
                if report:
                    report(files_read, len(sources))
    return assemble(folder, len(sources), [f for d in done for f in d.facts],
                    [*rejected, *(r for d in done for r in d.rejected)],
                    [n for d in done for n in d.notices])


def _spooled(source: Source, folder: Path, place: int) -> Source:
    """Standard input, read here and kept in the staging folder: workers have no stdin."""
    data = read_digest(source)
    if isinstance(data, Rejected):
        return source  # the worker reads it again and reports it
    spool = folder / f"stdin-{place}.md"
    spool.write_bytes(data)
    return Source(str(spool), source.label)


def _tasks(sources: list[tuple[int, Source]]) -> list[_Task]:
    """A task per bucket that holds a file; the largest first, so that the workers finish
    together (BUCKETS tasks of similar sizes for a large corpus)."""
    buckets: dict[int, list[tuple[int, Source, int]]] = defaultdict(list)
    for place, source in sources:
        buckets[state.bucket(source.label)].append((place, source, _size(source)))
    tasks = [_Task(number, tuple(sorted(files, key=lambda f: f[1].label)))
             for number, files in buckets.items()]
    return sorted(tasks, key=lambda t: (-sum(size for _, _, size in t.files), t.bucket))


def _size(source: Source) -> int:
    try:
        return os.stat(source.path).st_size
    except OSError:  # stdin, or gone: read_flat reports it
        return 0


class WorkerDied(ArxivKGError):
    """An ingest worker ended without finishing its task (killed, out of memory)."""


@contextlib.contextmanager
def _mapper(jobs: int) -> Iterator[Callable]:
    if jobs == 1:
        yield map
        return
    # fork: workers start in milliseconds with the parsers already imported; the executor
    # forks them all before it starts its own thread, so no child inherits a lock half-taken.
    # Not multiprocessing.Pool: it replaces a worker that dies and waits for the lost task
    # forever (a build hung when one was killed); the executor fails every task instead.
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        yield functools.partial(_unordered, pool)
    except BaseException:
        _kill_workers(pool)  # as Pool.terminate did: their tasks' results are not wanted
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _unordered(pool: ProcessPoolExecutor, fn: Callable[[_Task], _Done], tasks: Iterable[_Task]
               ) -> Iterator[_Done]:
    futures = [pool.submit(fn, task) for task in tasks]
    try:
        for future in as_completed(futures):
            yield future.result()
    except BrokenProcessPool:
        raise WorkerDied("a worker reading the digests died (killed, or out of memory?); "
                         "nothing was written: run the command again, with fewer --jobs "
                         "if memory is short") from None


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    # Python 3.14 has ProcessPoolExecutor.kill_workers(); before it, the processes are only
    # reachable through this attribute.
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.kill()


def _stage_task(folder: str, task: _Task) -> _Done:
    done: list[_Done] = []
    batches = _batches(folder, task, done)
    first = next(batches, None)  # no part for a bucket without a record, as update writes none
    if first is not None:
        state.write_part(itertools.chain([first], batches),
                         Path(folder, state.part_file(task.bucket)))
    return _Done(sum(d.files for d in done), sum(d.records for d in done),
                 tuple(r for d in done for r in d.rejected), tuple(n for d in done for n in d.notices),
                 tuple(f for d in done for f in d.facts))


def _batches(folder: str, task: _Task, done: list[_Done]) -> Iterator[pa.RecordBatch]:
    """The staging rows of the task's files, a chunk of files at a time, in label order (and
    each file's in line order: sorted by file and line, as a records part is); what each chunk
    gave besides records goes into `done`."""
    for chunk in _chunks(task.files):
        with paused_gc():
            reads = [(place, source, _stat(source, folder), read_flat(source)) for place, source in chunk]
            records = [(place, r) for place, _, _, read in reads for r in read.records]
            batch = record_batch(records) if records else None
        done.append(_Done(
            len(chunk), len(records),
            tuple(r for _, _, _, read in reads if read.source is None for r in read.rejected),
            tuple(n for _, _, _, read in reads if read.source is None for n in read.notices),
            tuple(_facts(place, source, st, read) for place, source, st, read in reads
                  if read.source is not None)))
        if batch is not None:
            yield batch


def _chunks(files: Iterable[tuple[int, Source, int]]) -> Iterator[list[tuple[int, Source]]]:
    chunk: list[tuple[int, Source]] = []
    filled = 0
    for place, source, size in files:
        chunk.append((place, source))
        filled += size
        if filled >= CHUNK_BYTES:
            yield chunk
            chunk, filled = [], 0
    if chunk:
        yield chunk


def _stat(source: Source, folder: str) -> os.stat_result | None:
    """The file's stat before it is read; None for standard input (spooled into `folder`)."""
    if source.path == "-" or os.path.dirname(source.path) == folder:
        return None
    try:
        return os.stat(source.path)
    except OSError:
        return None  # read_flat says why


def _facts(place: int, source: Source, st: os.stat_result | None, read: FileRead[Normalised]) -> FileFacts:
    assert read.source is not None
    return FileFacts(place, read.source, "-" if st is None else os.path.abspath(source.path),
                     trusted_mtime(st), st.st_size if st else -1, read.rejected, read.notices,
                     read.controls)
