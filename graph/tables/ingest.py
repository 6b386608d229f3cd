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
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from graph.children import die_with_parent
from graph.gcpause import paused_gc
from graph.ingest.normalise import Normalised
from graph.ingest.parse import Input, Source, expand_inputs, read_digest
from graph.ingest.pipeline import FileRead, read_flat
from graph.model.records import Notice, Rejected
from graph.tables.facts import FileFacts, Staged, assemble, trusted_mtime
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


@dataclass(frozen=True)
class _Task:
    number: int
    files: tuple[tuple[int, Source], ...]  # (place in the input order, digest)


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


def _tasks(sources: list[tuple[int, Source]], jobs: int) -> list[_Task]:
    sizes = [_size(s) for _, s in sources]
    limit = max(1, min(TASK_BYTES, sum(sizes) // (jobs * TASKS_PER_JOB)))
    tasks: list[_Task] = []
    current: list[tuple[int, Source]] = []
    filled = 0
    for (place, source), size in zip(sources, sizes):
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
    except OSError:  # stdin, or gone: read_flat reports it
        return 0


@contextlib.contextmanager
def _mapper(jobs: int) -> Iterator[Callable]:
    if jobs == 1:
        yield map
        return
    # fork: workers start in milliseconds with the parsers already imported; nothing here
    # holds a lock or a thread that a forked child could inherit half-taken.
    with multiprocessing.get_context("fork").Pool(jobs, die_with_parent, (os.getpid(),)) as pool:
        yield functools.partial(pool.imap_unordered, chunksize=1)


def _stage_task(folder: str, task: _Task) -> _Done:
    with paused_gc():
        reads = [(place, source, _stat(source, folder), read_flat(source)) for place, source in task.files]
        records = [(place, r) for place, _, _, read in reads for r in read.records]
        if records:
            batch = record_batch(records)
            pq.write_table(pa.Table.from_batches([batch]),
                           os.path.join(folder, f"{task.number:06d}.parquet"),
                           **STAGING_OPTIONS)
    return _Done(len(task.files), len(records),
                 tuple(r for _, _, _, read in reads if read.source is None for r in read.rejected),
                 tuple(n for _, _, _, read in reads if read.source is None for n in read.notices),
                 tuple(_facts(place, source, st, read) for place, source, st, read in reads
                       if read.source is not None))


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
