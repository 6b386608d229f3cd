"""Make the report of a KG folder and write it atomically."""
from __future__ import annotations

from pathlib import Path

from graph.fsutil import atomic_write
from graph.report.content import DEFAULT_DRAWN, Log, gather, timer
from graph.report.page import render
from graph.report.selection import Filters


def make_report(kg_dir: str | Path, filters: Filters = Filters(), *, drawn: int = DEFAULT_DRAWN,
                log: Log | None = None) -> str:
    """The report's HTML text; `log` gets one line per stage with its time."""
    content = gather(kg_dir, filters, drawn=drawn, log=log)
    with timer(log)("figures and page"):
        return render(content)


def write_report(html: str, path: str | Path) -> None:
    with atomic_write(path) as fh:
        fh.write(html.encode("utf-8"))
