"""The report as one HTML page: the figures drawn, then the Jinja2 template filled in.

Everything is inline (CSS, SVG); the page has no script and makes no request, so it reads the
same offline, in any browser, with scripts off.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import jinja2
from matplotlib.figure import Figure

from graph.report import figures as f
from graph.report.content import ReportContent


@dataclass(frozen=True)
class Drawn:
    """One figure of the page: its SVG (None when there is nothing to draw)."""

    name: str
    svg: str | None


def render(content: ReportContent) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader("graph.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(count=_count, share=_share, fixed=_fixed, sig=_sig)
    template = env.get_template("report.html.j2")
    drawn = {name: Drawn(name, f.svg(name, draw) if draw else None)
             for name, draw in _figures(content).items()}
    return template.render(c=content, fig=drawn, version=_version())


def _figures(c: ReportContent) -> dict[str, Callable[[], Figure] | None]:
    """Figure name -> a drawing function, or None when the data is empty."""
    p, net, unit = c.production, c.network, c.production.unit
    timed = bool(p.periods)
    subjects = [(f"{scheme} classes", rows, "papers", "{:,}")
                for scheme, rows in c.subjects.items()]
    return {
        "papers": _when(timed, f.period_bars, p.periods, p.papers, unit, "papers"),
        "new-authors": _when(timed, f.period_bars, p.periods, p.new_authors, unit,
                             "authors with their first paper"),
        "team-size": _when(timed, f.team_sizes, p.periods, p.mean_team, p.median_team, unit),
        "top-authors": _when(bool(net.by_papers), f.top_authors, net),
        "author-production": _when(timed and bool(c.top_production), f.author_production,
                                   p.periods, c.top_production, unit),
        "lotka": _when(bool(c.lotka.distribution), f.lotka, c.lotka),
        "network": _when(len(net.drawn) > 1, f.network, net),
        "components": _when(bool(net.component_sizes), f.component_sizes, net.component_sizes),
        "categories": _bars(("", c.categories, "papers listed in the category", "{:,}")),
        "cooccurrence": _when(len(c.cooccurrence[0]) > 1, f.heatmap, *c.cooccurrence),
        "subjects": _bars(*subjects),
        "code-share": _when(timed, f.code_share, p.periods, p.code_share, unit),
        "code-hosts": _bars(("code hosts", c.hosts, "repositories", "{:,}"),
                            ("other links by kind", c.link_kinds, "links (distinct URLs)", "{:,}")),
        "code-owners": _bars(("", c.owners, "repositories", "{:,}")),
        "rejected": _bars(("", tuple((r.label, r.count) for r in c.rejected), "records or files",
                           "{:,}")),
        "names": _bars(("", tuple((r.label, r.count) for r in c.names), "names", "{:,}")),
    }


def _when(drawable: bool, draw: Callable[..., Figure], *args) -> Callable[[], Figure] | None:
    return functools.partial(draw, *args) if drawable else None


def _bars(*panels: f.Panel) -> Callable[[], Figure] | None:
    """Side-by-side ranked bars of the panels that have rows; None if none has."""
    kept = [p for p in panels if p[1]]
    return (lambda: f.ranked_bars(kept)) if kept else None


def _version() -> str:
    try:
        return version("arxiv-kg")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _count(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def _share(x: float) -> str:
    return f"{100 * x:.2f} %"


def _fixed(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}f}"


def _sig(x: float, digits: int = 6) -> str:
    """Significant digits as `arxiv-kg authors` prints them in its table."""
    return f"{x:.{digits}g}"
