"""What staging found, per digest file (FileFacts) and in all (Staged): the small rows that
come back from the ingest's workers, that a generation keeps for updates (graph.tables.state),
and that an update compares. Kept apart from graph.tables.ingest, which imports the parsers:
an update that finds nothing new needs these and not them.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from graph.model.records import Notice, Rejected, SourceFile

RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class FileFacts:
    """What one readable digest gave, kept in a generation (graph.tables.state) so that an
    update can tell an unchanged file and merge without reading it again."""

    place: int  # its place in the input order (the staging rows' `input`)
    source: SourceFile
    path: str  # absolute path it was read from ("-": standard input)
    mtime_ns: int  # from a stat before it was read: a newer file has another mtime or size
    stat_size: int
    rejected: tuple[Rejected, ...]
    notices: tuple[Notice, ...]
    controls: int


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
    facts: tuple[FileFacts, ...] = ()  # one per readable file, by place


def assemble(folder: Path, files: int, facts: list[FileFacts], problems: list[Rejected],
             notices: list[Notice]) -> Staged:
    """A Staged from what each readable file gave (`facts`) and the other `problems` and
    `notices` (the inputs' expansion, files that could not be read): sorted, so that it does
    not matter which worker read what."""
    facts = sorted(facts, key=lambda f: f.place)
    rejected = [*problems, *(r for f in facts for r in f.rejected)]
    return Staged(folder, files, sum(f.source.records for f in facts),
                  tuple(sorted(((f.place, f.source) for f in facts), key=lambda s: (s[1].file, s[0]))),
                  tuple(sorted(rejected, key=lambda r: (r.file, r.line, r.reason))),
                  tuple(sorted([*notices, *(n for f in facts for n in f.notices)],
                               key=lambda n: (n.file, n.line, n.message))),
                  sum(f.controls for f in facts), tuple(facts))


def trusted_mtime(st: os.stat_result | None) -> int:
    """The mtime an update may trust to skip the file, or 0 (hash it next time): a file changed
    within RACY_NS of being read may change again without its mtime moving (coarse clocks)."""
    if st is None or time.time_ns() - st.st_mtime_ns < RACY_NS:
        return 0
    return st.st_mtime_ns
