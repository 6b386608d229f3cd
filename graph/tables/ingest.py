"""Ingest on every core: digests -> staging Parquet files (graph.tables.staging), in a process pool.

Files are dealt out in tasks of a few megabytes; each worker parses and normalises a task's
files with graph.ingest and writes their records as one staging file. Only the small per-file
rows (sources, rejections) come back to the main process. Which worker read what, and in which
order, does not matter: the engine sorts every table.
"""
from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager

import pyarrow as pa
import pyarrow.parquet as pq

from graph.gcpause import paused_gc
from graph.ingest.parse import Source, expand_inputs, read_digest
from graph.ingest.pipeline import read_file
from graph.model.records import Notice, Rejected, SourceFile
from graph.tables.staging import record_batch

Report = Callable[[int, int], None]  # (done, total)
# Progress belongs to the caller: a context manager per step, by label, that may give a
# report(done, total) callback (as arxiv_kg.progress gives the exporters).
Steps = Callable[[str], ContextManager[Report | None]]
TASK_BYTES = 8 << 20  # a task's digests: large enough that a staging file holds thousands of records
TASKS_PER_JOB = 8  # ... yet small enough that every worker gets several, and they finish together
# Read back once, on this machine: CPU is the bottleneck, not the disk.
STAGING_OPTIONS = {"compression": "none", "use_dictionary": False}


def no_steps(label: str) -> ContextManager[Report | None]:
    return contextlib.nullcontext()


def usable_cpus() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Staged:
    """What staging produced: the folder of staging files and the per-file rows."""

    folder: Path
    files: int  # digest files found in the inputs
    records: int  # records kept, in all files
    sources: tuple[tuple[int, SourceFile], ...]  # (place in the input order, file), by file
    rejected: tuple[Rejected, ...]  # sorted by file, line and reason
    notices: tuple[Notice, ...] = ()  # kept with a warning, sorted by file, line and message
    controls: int = 0  # C0 control characters removed from records


@dataclass(frozen=True)
class _Task:
    number: int
    files: tuple[tuple[int, Source], ...]  # (place in the input order, digest)


@dataclass(frozen=True)
class _Done:
    files: int
    records: int
    sources: tuple[tuple[int, SourceFile], ...]
    rejected: tuple[Rejected, ...]
    notices: tuple[Notice, ...]
    controls: int


@contextlib.contextmanager
def staged(inputs: list[str], scratch: Path, *, jobs: int, steps: Steps = no_steps) -> Iterator[Staged]:
    """Stage every digest under `inputs` into a temporary folder inside `scratch` (removed on exit)."""
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=scratch))
    try:
        yield stage(inputs, folder, jobs=jobs, steps=steps)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage(inputs: list[str], folder: Path, *, jobs: int, steps: Steps = no_steps) -> Staged:
    sources, rejected = expand_inputs(inputs)
    sources = [_spooled(source, folder, i) if source.path == "-" else source
               for i, source in enumerate(sources)]
    tasks = _tasks(sources, jobs)
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
    rejected.extend(r for d in done for r in d.rejected)
    return Staged(folder, len(sources), sum(d.records for d in done),
                  tuple(sorted((s for d in done for s in d.sources), key=lambda s: (s[1].file, s[0]))),
                  tuple(sorted(rejected, key=lambda r: (r.file, r.line, r.reason))),
                  tuple(sorted((n for d in done for n in d.notices),
                               key=lambda n: (n.file, n.line, n.message))),
                  sum(d.controls for d in done))


def _spooled(source: Source, folder: Path, place: int) -> Source:
    """Standard input, read here and kept in the staging folder: workers have no stdin."""
    data = read_digest(source)
    if isinstance(data, Rejected):
        return source  # the worker reads it again and reports it
    spool = folder / f"stdin-{place}.md"
    spool.write_bytes(data)
    return Source(str(spool), source.label)


def _tasks(sources: list[Source], jobs: int) -> list[_Task]:
    sizes = [_size(s) for s in sources]
    limit = max(1, min(TASK_BYTES, sum(sizes) // (jobs * TASKS_PER_JOB)))
    tasks: list[_Task] = []
    current: list[tuple[int, Source]] = []
    filled = 0
    for place, (source, size) in enumerate(zip(sources, sizes)):
        current.append((place, source))
        filled += size
        if filled >= limit:
            tasks.append(_Task(len(tasks), tuple(current)))
            current, filled = [], 0
    if current:
        tasks.append(_Task(len(tasks), tuple(current)))
    return tasks


def _size(source: Source) -> int:
    try:
        return os.stat(source.path).st_size
    except OSError:  # stdin, or gone: read_file reports it
        return 0


@contextlib.contextmanager
def _mapper(jobs: int) -> Iterator[Callable]:
    if jobs == 1:
        yield map
        return
    # fork: workers start in milliseconds with the parsers already imported; nothing here
    # holds a lock or a thread that a forked child could inherit half-taken.
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield functools.partial(pool.imap_unordered, chunksize=1)


def _stage_task(folder: str, task: _Task) -> _Done:
    with paused_gc():
        reads = [(place, read_file(source)) for place, source in task.files]
        records = [(place, r) for place, read in reads for r in read.records]
        if records:
            batch = record_batch(records)
            pq.write_table(pa.Table.from_batches([batch]),
                           os.path.join(folder, f"{task.number:06d}.parquet"),
                           **STAGING_OPTIONS)
    return _Done(len(task.files), len(records),
                 tuple((place, read.source) for place, read in reads if read.source is not None),
                 tuple(r for _, read in reads for r in read.rejected),
                 tuple(n for _, read in reads for n in read.notices),
                 sum(read.controls for _, read in reads))
