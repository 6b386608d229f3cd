"""Named crash points: where the fault-injection harness kills a writer (SIGKILL, no cleanup).

``ARXIV_KG_CRASH_AT=publish:renamed`` makes the process kill itself when it reaches the point
of that name (``name@3``: the third time). ``ARXIV_KG_CRASH_LOG=FILE`` appends the name of every
point reached, which is how the harness (bench/crash_harness.py, tests/test_crash.py) learns
the points of a run. With neither variable set a point costs one dictionary lookup.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TypeVar

AT = "ARXIV_KG_CRASH_AT"
LOG = "ARXIV_KG_CRASH_LOG"
_seen: Counter[str] = Counter()
_COUNTS = re.compile(r"\b[\d,]+ ")  # "merging the 1,204 affected papers": one point, any count
T = TypeVar("T")


def crash_point(name: str) -> None:
    """Die here if the harness asked for this point."""
    target, log = os.environ.get(AT), os.environ.get(LOG)
    if target is None and log is None:
        return
    _seen[name] += 1
    if log is not None:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{name}\n")
    if target is not None:
        wanted, _, nth = target.partition("@")
        if wanted == name and _seen[name] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)


def with_points(step: Callable[[str], AbstractContextManager[T]]) -> Callable[[str], AbstractContextManager[T]]:
    """A progress-step factory (graph.tables.ingest.Steps) whose every step is a crash point
    where it starts and where it ends (`start writing papers`, `end writing papers`)."""

    @contextlib.contextmanager
    def pointed(label: str) -> Iterator[T]:
        name = _COUNTS.sub("", label.partition(" (")[0]).strip()
        crash_point(f"start {name}")
        with step(label) as report:
            yield report
        crash_point(f"end {name}")

    return pointed
