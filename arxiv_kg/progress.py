"""Progress on stderr for long loops: one click progress bar for the CLI and the exporters.

click draws the bar on a terminal and, when stderr is a log file, prints the label (with
the total) once instead of a stream of carriage returns.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns

T = TypeVar("T")
Report = Callable[[int, int], None]  # (done, total)
SMALL = 50  # fewer items than this finish before a bar is worth drawing


def progress(items: Iterable[T], *, length: int, label: str, quiet: bool) -> Iterator[T]:
    """Yield `items` with a progress bar on stderr, unless quiet or there are few."""
    if quiet or length < SMALL:
        yield from items
        return
    with _bar(label, length, items) as bar:
        yield from bar


@contextlib.contextmanager
def progress_reports(label: str, quiet: bool) -> Iterator[Report | None]:
    """A `report(done, total)` callback that drives a progress bar, for loops that learn their
    total only once they start; None when quiet."""
    if quiet:
        yield None
        return
    with contextlib.ExitStack() as stack:
        bars: list[ProgressBar[Any]] = []
        shown = 0

        def report(done: int, total: int) -> None:
            nonlocal shown
            if not bars and total >= SMALL:
                bars.append(stack.enter_context(_bar(label, total)))
            if bars:
                bars[0].update(done - shown)
                shown = done

        yield report


def steps(quiet: bool) -> Callable[[str], contextlib.AbstractContextManager[Report | None]]:
    """A step factory for the build: each step may drive a bar through the `report` it yields,
    and ends with one line on stderr, `label: 1.2 s`. Nothing when quiet."""

    @contextlib.contextmanager
    def step(label: str) -> Iterator[Report | None]:
        start = time.perf_counter()
        with progress_reports(label, quiet) as report:
            yield report
        if not quiet:
            click.echo(f"{label}: {time.perf_counter() - start:.1f} s", err=True)

    return step


def reporter(quiet: bool) -> Callable[[str], contextlib.AbstractContextManager[Report | None]] | None:
    """progress_reports for the exporters' ExportOptions.progress; None when quiet."""
    return None if quiet else functools.partial(progress_reports, quiet=False)


def _bar(label: str, total: int, items: Iterable[T] | None = None) -> ProgressBar[Any]:
    return click.progressbar(items, length=total, label=f"{label} ({total:,})", file=sys.stderr)
