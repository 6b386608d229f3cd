"""Which papers a report covers: the analysis commands' filters, applied to the Parquet tables.

The rules are the projection's (graph.analysis.projection): dates are ISO prefixes compared with
the published date, both ends inclusive; a category matches a paper listed in it or whose
primary category it is. `max_authors` shapes the co-author network only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from graph.analysis.filters import DEFAULT_MAX_AUTHORS
from graph.analysis.filters import Filters as Projection
from graph.tables.persist import read_table

MONTHLY_BELOW = timedelta(days=3 * 365)  # a shorter range is shown per month, not per year


@dataclass(frozen=True)
class Filters:
    since: str | None = None
    until: str | None = None
    category: str | None = None
    max_authors: int = DEFAULT_MAX_AUTHORS

    def check(self) -> None:
        """Raise the projection's FilterError for an unusable value, before any data is read."""
        self.projection()

    def projection(self) -> Projection:
        """The co-author projection's filters (they validate themselves)."""
        return Projection(since=self.since, until=self.until, category=self.category,
                          max_authors=self.max_authors)

    def active(self) -> bool:
        return any(v is not None for v in (self.since, self.until, self.category))

    def describe(self) -> list[tuple[str, str]]:
        cap = str(self.max_authors) if self.max_authors else "no limit"
        return [("published since", self.since or "any date"),
                ("published until", self.until or "any date"),
                ("category", self.category or "any"),
                ("max authors per paper (co-author network)", cap)]


@dataclass(frozen=True)
class Selection:
    """The selected papers as an Arrow table (arxiv_id, published, period) and its time unit."""

    papers: pa.Table
    unit: str  # "year" or "month"
    periods: tuple[str, ...]  # every period from the first paper's to the last's

    @property
    def ids(self) -> pa.Array:
        return self.papers["arxiv_id"].combine_chunks()

    def keep(self, table: pa.Table) -> pa.Table:
        """The rows of a per-paper table whose paper is selected, with the paper's period."""
        return table.join(self.papers.select(["arxiv_id", "period"]), "arxiv_id")


def select(kg_dir: str | Path, filters: Filters) -> Selection:
    papers = read_table(kg_dir, "papers", ["arxiv_id", "published", "primary_category"])
    mask = pa.array([True] * papers.num_rows) if papers.num_rows else pa.array([], pa.bool_())
    day = pc.strftime(papers["published"], format="%Y-%m-%d")
    if filters.since:
        mask = pc.and_(mask, pc.greater_equal(_prefix(day, filters.since), filters.since))
    if filters.until:
        mask = pc.and_(mask, pc.less_equal(_prefix(day, filters.until), filters.until))
    if filters.category:
        listed = read_table(kg_dir, "categories", ["arxiv_id", "category"])
        ids = listed.filter(pc.equal(listed["category"], filters.category))["arxiv_id"]
        mask = pc.and_(mask, pc.or_(pc.is_in(papers["arxiv_id"], value_set=ids.combine_chunks()),
                                    pc.fill_null(pc.equal(papers["primary_category"],
                                                          filters.category), False)))
    chosen = papers.filter(mask).select(["arxiv_id", "published"])
    unit = _unit(chosen)
    period = pc.strftime(chosen["published"], format="%Y" if unit == "year" else "%Y-%m")
    chosen = chosen.append_column("period", period)
    return Selection(chosen, unit, _periods(chosen, unit))


def _prefix(day: pa.ChunkedArray, bound: str) -> pa.ChunkedArray:
    return pc.utf8_slice_codeunits(day, 0, len(bound))


def _unit(papers: pa.Table) -> str:
    if not papers.num_rows:
        return "year"
    low, high = pc.min_max(papers["published"]).values()
    return "month" if high.as_py() - low.as_py() < MONTHLY_BELOW else "year"


def _periods(papers: pa.Table, unit: str) -> tuple[str, ...]:
    """All periods from first to last, so that an empty year shows as a gap, not as nothing."""
    if not papers.num_rows:
        return ()
    low, high = (v.as_py() for v in pc.min_max(papers["published"]).values())
    if unit == "year":
        return tuple(str(y) for y in range(low.year, high.year + 1))
    months = range(low.year * 12 + low.month - 1, high.year * 12 + high.month)
    return tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months)
