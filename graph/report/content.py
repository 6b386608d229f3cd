"""Everything a report shows, gathered from a KG folder into one frozen value."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from graph.generations import kg_folder
from graph.report import counts, quality, series
from graph.report.network import CoauthorNetwork, coauthor_network
from graph.report.selection import Filters, Selection, select
from graph.tables.persist import SUMMARY, read_table

TOP_AUTHORS = 20
TOP_PRODUCTION = 10
TOP_CATEGORIES = 20
HEATMAP_CATEGORIES = 15
TOP_CLASSES = 12
TOP_OWNERS = 15
TOP_VARIANT_GROUPS = 10
DEFAULT_DRAWN = 100

Log = Callable[[str], None]


@dataclass(frozen=True)
class Selected:
    """Counts of the selected papers, for the overview beside summary.json's."""

    papers: int
    authors: int
    categories: int
    repositories: int
    links: int
    first: str | None  # first published date, YYYY-MM-DD
    last: str | None


@dataclass(frozen=True)
class ReportContent:
    kg_name: str
    filters: Filters
    summary: dict[str, Any]
    selected: Selected
    kg_range: tuple[str | None, str | None]
    production: series.Production
    network: CoauthorNetwork
    top_production: tuple[tuple[str, tuple[int, ...]], ...]  # (name, papers per period)
    lotka: counts.Lotka
    categories: counts.Ranked
    cooccurrence: tuple[tuple[str, ...], list[list[int]]]
    subjects: dict[str, counts.Ranked]  # scheme -> classes
    hosts: counts.Ranked
    owners: counts.Ranked
    link_kinds: counts.Ranked
    rejected: tuple[quality.Counted, ...]
    names: tuple[quality.Counted, ...]
    variants: tuple[quality.VariantGroup, ...]
    variant_groups: int


def gather(kg_dir: str | Path, filters: Filters, *, drawn: int = DEFAULT_DRAWN,
           log: Log | None = None) -> ReportContent:
    filters.check()
    timed = timer(log)
    with timed("tables"):
        sel = select(kg_dir, filters)  # first: it raises KGNotFound on a folder that is no KG
        summary = orjson.loads((Path(kg_dir) / SUMMARY).read_bytes())
        tables = {name: sel.keep(read_table(kg_dir, name, cols)) for name, cols in _COLUMNS.items()}
        tables["everything"] = read_table(kg_dir, "papers", ["published"])
        rest = _tabulated(kg_dir, sel, tables, summary)
    with timed("co-author network (projection and measures)"):
        net = coauthor_network(kg_dir, filters, top=TOP_AUTHORS, drawn=drawn)
    leaders = net.by_papers[:TOP_PRODUCTION]
    rows = series.author_production(sel, tables["authorships"], [a.key for a in leaders])
    return ReportContent(
        kg_name=kg_folder(kg_dir).name, filters=filters, summary=summary, network=net,
        top_production=tuple((a.name, rows[a.key]) for a in leaders), **rest)


_COLUMNS = {"authorships": ["arxiv_id", "author_key"], "categories": ["arxiv_id", "category"],
            "subject_classes": ["arxiv_id", "scheme", "code"],
            "repositories": ["arxiv_id", "url", "host", "owner"],
            "links": ["arxiv_id", "url", "kind"]}


def _tabulated(kg_dir: str | Path, sel: Selection, t: dict[str, pa.Table],
               summary: dict[str, Any]) -> dict[str, Any]:
    cats = counts.ranked(t["categories"], "category", "arxiv_id")
    heat = [c for c, _ in cats[:HEATMAP_CATEGORIES]]
    classes = t["subject_classes"]
    schemes = sorted(set(classes["scheme"].to_pylist()))
    variants, groups = quality.largest_variant_groups(kg_dir, TOP_VARIANT_GROUPS)
    lotka = counts.lotka(t["authorships"])
    return dict(
        selected=_selected(sel, t, lotka.authors, len(cats)),
        kg_range=_range(t["everything"]["published"]),
        production=series.production(sel, t["authorships"],
                                     pc.unique(t["repositories"]["arxiv_id"])),
        lotka=lotka, categories=cats[:TOP_CATEGORIES],
        cooccurrence=(tuple(heat), counts.cooccurrence(t["categories"], heat)),
        subjects={s: counts.ranked(classes.filter(pc.equal(classes["scheme"], s)), "code",
                                   "arxiv_id", TOP_CLASSES) for s in schemes},
        hosts=counts.ranked(t["repositories"], "host", "url"),
        owners=counts.owners(t["repositories"], TOP_OWNERS),
        link_kinds=counts.ranked(t["links"], "kind", "url"),
        rejected=quality.rejected_by_reason(read_table(kg_dir, "rejected")),
        names=quality.name_quality(kg_dir, summary), variants=variants, variant_groups=groups)


def _selected(sel: Selection, t: dict[str, pa.Table], authors: int, categories: int) -> Selected:
    first, last = _range(sel.papers["published"])
    return Selected(papers=sel.papers.num_rows, authors=authors, categories=categories,
                    repositories=pc.count_distinct(t["repositories"]["url"]).as_py(),
                    links=pc.count_distinct(t["links"]["url"]).as_py(), first=first, last=last)


def _range(published: pa.ChunkedArray) -> tuple[str | None, str | None]:
    if not len(published):
        return None, None
    low, high = pc.min_max(published).values()
    return low.as_py().date().isoformat(), high.as_py().date().isoformat()


def timer(log: Log | None) -> Callable[[str], Any]:
    """A context manager factory: `with timer(log)("stage"):` logs the stage's times."""
    @contextmanager
    def timed(label: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), time.process_time()
        yield
        if log:
            log(f"{label}: {time.perf_counter() - start:.1f} s "
                f"(CPU {time.process_time() - cpu:.1f} s)")

    return timed
