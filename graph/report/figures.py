"""The report's figures: matplotlib drawings saved as SVG text to inline in the page.

Deterministic by construction: no pyplot state, a fixed `svg.hashsalt`, no date in the
metadata, a seeded layout; each SVG's ids get the figure's name as prefix, so that several
figures can share one HTML document. Text stays text (`svg.fonttype: none`): smaller files,
searchable and selectable in the browser.
"""
from __future__ import annotations

import functools
import io
import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, StrMethodFormatter

from graph.report.counts import Lotka
from graph.report.network import CoauthorNetwork

WIDTH = 7.2  # inches: the page's column at 96 dpi is about 700 px
BAR = "#4c72b0"
ACCENT = "#dd8452"
OTHER = "#b0b0b0"
LABELLED_NODES = 12
LAYOUT_SEED = 0
LAYOUT_ITERATIONS = 300
STYLE: dict[str, Any] = {
    "svg.hashsalt": "arxiv-kg report", "svg.fonttype": "none", "font.size": 8,
    "axes.titlesize": 9, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "legend.frameon": False, "legend.fontsize": 7, "figure.dpi": 96,
    # SVG text names its font family list in full on every label: keep the list short.
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
}
_THOUSANDS = StrMethodFormatter("{x:,.0f}")
_ID = re.compile(r'(id="|url\(#|href="#)([^")]+)')


def svg(name: str, draw: Callable[[], Figure]) -> str:
    """Run `draw` under the report's style and return its figure as an inline <svg>."""
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]  # stubs list only literal keys
        fig = draw()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    # Group ids name matplotlib's artists ("axes_1") and are never referenced: dropped, the
    # page has no duplicate ids; the ids left (clip paths, markers) are made unique per figure.
    text = re.sub(r'<g id="[^"]*"', "<g", re.sub(r"\n\s+", "\n", text))
    text = _ID.sub(lambda m: f"{m[1]}{name}-{m[2]}", text)
    return text.replace("<svg ", f'<svg role="img" aria-labelledby="{name}-caption" ', 1)


def _figure(height: float, columns: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)


def _period_ticks(ax, periods: Sequence[str]) -> None:
    step = max(1, math.ceil(len(periods) / 16))
    ax.set_xticks(range(0, len(periods), step), periods[::step],
                  rotation=90 if len(periods[0]) > 4 and step < len(periods) else 0)
    ax.set_xlim(-0.6, len(periods) - 0.4)


def period_bars(periods: Sequence[str], values: Sequence[float], unit: str, ylabel: str
                ) -> Figure:
    fig, (ax,) = _figure(2.5)
    ax.bar(range(len(periods)), values, color=BAR, width=0.8)
    _counts(ax.yaxis)
    _period_ticks(ax, periods)
    ax.set_xlabel(f"{unit} of first publication (UTC)")
    ax.set_ylabel(ylabel)
    return fig


def team_sizes(periods: Sequence[str], mean: Sequence[float | None],
               median: Sequence[float | None], unit: str) -> Figure:
    fig, (ax,) = _figure(2.5)
    x = range(len(periods))
    ax.plot(x, [np.nan if v is None else v for v in mean], "o-", ms=3, color=BAR, label="mean")
    ax.plot(x, [np.nan if v is None else v for v in median], "s--", ms=3, color=ACCENT,
            label="median")
    _period_ticks(ax, periods)
    ax.set_xlabel(f"{unit} of first publication (UTC)")
    ax.set_ylabel("authors per paper")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    return fig


def code_share(periods: Sequence[str], share: Sequence[float | None], unit: str) -> Figure:
    fig, (ax,) = _figure(2.5)
    ax.plot(range(len(periods)), [np.nan if v is None else v for v in share], "o-", ms=3,
            color=BAR)
    _period_ticks(ax, periods)
    ax.set_xlabel(f"{unit} of first publication (UTC)")
    ax.set_ylabel("papers linking a repository (%)")
    ax.set_ylim(bottom=0)
    return fig


Panel = tuple[str, Sequence[tuple[str, float]], str, str]  # title, rows, x label, value format


def ranked_bars(panels: Sequence[Panel]) -> Figure:
    """Horizontal bars, best at the top, side by side: one panel per (title, rows, x label,
    value format)."""
    longest = max(len(rows) for _, rows, _, _ in panels)
    fig, axes = _figure(0.7 + 0.17 * max(longest, 3), columns=len(panels))
    for ax, (title, rows, xlabel, fmt) in zip(axes, panels):
        values = [value for _, value in rows]
        ax.barh(range(len(rows)), values, color=BAR, height=0.7)
        ax.set_yticks(range(len(rows)), [label for label, _ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        for y, v in enumerate(values):
            ax.annotate(fmt.format(v), (v, y), xytext=(2, 0), textcoords="offset points",
                        va="center", fontsize=6.5)
        ax.set_xmargin(0.15)
        if fmt == "{:,}":
            _counts(ax.xaxis)
        else:  # small probabilities: few ticks, short labels, or they run into each other
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.2g}"))
        ax.grid(axis="y", visible=False)
        ax.set_title(title, loc="left")
        ax.set_xlabel(xlabel)
    return fig


def top_authors(net: CoauthorNetwork) -> Figure:
    return ranked_bars([
        ("by papers", tuple((a.name, a.papers) for a in net.by_papers),
         "papers (in the co-author network)", "{:,}"),
        ("by PageRank", tuple((a.name, a.pagerank) for a in net.by_pagerank),
         "PageRank (probability)", "{:.3g}"),
    ])


def author_production(periods: Sequence[str], authors: Sequence[tuple[str, Sequence[int]]],
                      unit: str) -> Figure:
    """bibliometrix's "authors' production over time": a line from first to last paper and a
    dot per period, its area the papers of that period."""
    names = [name for name, _ in authors]
    rows = [row for _, row in authors]
    fig, (ax,) = _figure(0.8 + 0.25 * max(len(names), 3))
    biggest = max((v for row in rows for v in row), default=1) or 1
    for y, row in enumerate(rows):
        active = [x for x, v in enumerate(row) if v]
        if active:
            ax.plot([active[0], active[-1]], [y, y], color=OTHER, lw=1, zorder=1)
        ax.scatter(active, [y] * len(active), s=[8 + 140 * row[x] / biggest for x in active],
                   color=BAR, alpha=0.8, zorder=2)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.5, -0.5)
    _period_ticks(ax, periods)
    ax.set_xlabel(f"{unit} of publication (UTC); dot area: papers in that {unit} "
                  f"(largest: {biggest:,})")
    return fig


def lotka(law: Lotka) -> Figure:
    fig, (ax,) = _figure(3.0)
    n = np.array([k for k, _ in law.distribution], dtype=float)
    authors = np.array([a for _, a in law.distribution], dtype=float)
    ax.loglog(n, authors, "o", ms=3.5, color=BAR, label="observed")
    if law.exponent is not None and law.constant is not None:
        ax.loglog(n, law.constant / n ** law.exponent, "-", color=ACCENT,
                  label=f"fitted: authors = {law.constant:,.0f} / n^{law.exponent:.2f}")
        ax.loglog(n, authors[0] / n ** 2, ":", color="#555555",
                  label="Lotka's classic law (exponent 2)")
    _plain_log(ax)
    ax.set_xlabel("papers per author, n (log scale)")
    ax.set_ylabel("authors with n papers (log scale)")
    ax.legend()
    return fig


def component_sizes(sizes: Sequence[tuple[int, int]]) -> Figure:
    fig, (ax,) = _figure(2.8)
    ax.loglog([s for s, _ in sizes], [c for _, c in sizes], "o", ms=3.5, color=BAR)
    _plain_log(ax)
    ax.set_xlabel("component size (authors, log scale)")
    ax.set_ylabel("components of that size (log scale)")
    return fig


def _counts(axis) -> None:
    """Whole numbers with thousands separators: no tick at 0.5 of a paper."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(_THOUSANDS)


def _plain_log(ax) -> None:
    """Log axes numbered 1, 10, 100, 1,000 rather than in powers of ten."""
    ax.set_ylim(bottom=0.5)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10))
        axis.set_major_formatter(_THOUSANDS)
        axis.set_minor_formatter(NullFormatter())


def network(net: CoauthorNetwork) -> Figure:
    """The drawn authors laid out by seeded ForceAtlas2 (edge weight: joint papers), coloured
    by community (the ten with most drawn members), area by PageRank. Strong gravity keeps the
    authors with no drawn co-author near the rest: with a spring layout they flew to the
    edges and squeezed the connected core into a dot."""
    g = nx.Graph()
    g.add_nodes_from(range(len(net.drawn)))
    g.add_weighted_edges_from(net.drawn_edges)
    pos = nx.forceatlas2_layout(g, seed=LAYOUT_SEED, weight="weight", max_iter=LAYOUT_ITERATIONS,
                                strong_gravity=True, gravity=0.5)
    xy = np.array([pos[i] for i in range(len(net.drawn))])
    fig, (ax,) = _figure(5.6)
    ax.add_collection(LineCollection(
        [(xy[i], xy[j]) for i, j, _ in net.drawn_edges], colors="#999999", alpha=0.5,
        linewidths=[0.4 + 0.6 * math.log2(p) for _, _, p in net.drawn_edges], zorder=1))
    colours = _community_colours(net)
    top = max(a.pagerank for a in net.drawn)
    for community, colour, label in colours:
        members = [i for i, a in enumerate(net.drawn) if community(a.community)]
        ax.scatter(xy[members, 0], xy[members, 1], color=colour, label=label, zorder=2,
                   s=[15 + 400 * net.drawn[i].pagerank / top for i in members],
                   edgecolors="white", linewidths=0.5)
    for i, a in enumerate(net.drawn[:LABELLED_NODES]):
        ax.annotate(a.name, xy[i], xytext=(4, 4), textcoords="offset points", fontsize=6.5,
                    zorder=3)
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="community", fontsize=6.5,
              title_fontsize=7, markerscale=0.6)
    return fig


def _community_colours(net: CoauthorNetwork) -> list[tuple[Callable[[int], bool], str, str]]:
    drawn: dict[int, int] = {}
    for a in net.drawn:
        drawn[a.community] = drawn.get(a.community, 0) + 1
    shown = sorted(drawn, key=lambda c: (-drawn[c], c))[:10]
    palette = mpl.colormaps["tab10"].colors  # type: ignore[attr-defined]  # a ListedColormap
    groups: list[tuple[Callable[[int], bool], str, str]] = [
        (functools.partial(operator.eq, c), mpl.colors.to_hex(palette[i]), f"{c} ({drawn[c]} drawn)")
        for i, c in enumerate(shown)]
    rest = sum(drawn[c] for c in drawn if c not in shown)
    if rest:
        groups.append(((lambda c: c not in shown), OTHER, f"other ({rest} drawn)"))
    return groups


def heatmap(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> Figure:
    fig, (ax,) = _figure(5.2)
    values = np.ma.masked_equal(np.array(matrix, dtype=float), 0)
    mesh = ax.pcolormesh(values, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(values.max(), 1)),
                         edgecolors="white", linewidth=0.5)
    for (i, j), v in np.ndenumerate(np.array(matrix)):
        if v:
            ax.text(j + 0.5, i + 0.5, f"{v:,}", ha="center", va="center", fontsize=5.5,
                    color="white" if v > math.sqrt(max(values.max(), 1)) else "black")
    ticks = np.arange(len(labels)) + 0.5
    ax.set_xticks(ticks, labels, rotation=90)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(len(labels), 0)
    ax.grid(False)
    ax.set_aspect("equal")
    ax.set_xlabel("category")
    ax.set_ylabel("category")
    fig.colorbar(mesh, ax=ax, shrink=0.7, label="papers listed in both (log scale)")
    return fig
