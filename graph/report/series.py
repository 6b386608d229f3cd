"""Figures over time, per period of the selection (year, or month for a short range)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from itertools import groupby

import pyarrow as pa
import pyarrow.compute as pc

from graph.report.selection import Selection


@dataclass(frozen=True)
class Production:
    unit: str  # "year" or "month"
    periods: tuple[str, ...]
    papers: tuple[int, ...]
    new_authors: tuple[int, ...]  # authors whose first selected paper falls in the period
    mean_team: tuple[float | None, ...]  # authors per paper; None for a period with no paper
    median_team: tuple[float | None, ...]
    code_share: tuple[float | None, ...]  # % of the period's papers that link a repository


def production(sel: Selection, authorships: pa.Table, with_code: pa.Array) -> Production:
    """`authorships`: the selected papers' (arxiv_id, author_key, period) rows;
    `with_code`: the IDs of papers that link a repository."""
    papers = _per_period(sel, sel.papers, "arxiv_id", "count")
    first = authorships.group_by("author_key").aggregate([("period", "min")])
    teams = authorships.group_by(["arxiv_id", "period"]).aggregate([("author_key", "count")])
    mean, median = _team_sizes(sel, teams)
    coded = sel.papers.filter(pc.is_in(sel.papers["arxiv_id"], value_set=with_code))
    code = _per_period(sel, coded, "arxiv_id", "count")
    return Production(
        unit=sel.unit, periods=sel.periods, papers=papers,
        new_authors=_per_period(sel, pa.table({"author_key": first["author_key"],
                                               "period": first["period_min"]}),
                                "author_key", "count"),
        mean_team=mean, median_team=median,
        code_share=tuple(100 * c / n if n else None for c, n in zip(code, papers)))


def author_production(sel: Selection, authorships: pa.Table, keys: list[str]
                      ) -> dict[str, tuple[int, ...]]:
    """Papers per period of each author in `keys` (bibliometrix's production over time)."""
    wanted = pa.array(keys, pa.string())
    mine = authorships.filter(pc.is_in(authorships["author_key"], value_set=wanted))
    counts = mine.group_by(["author_key", "period"]).aggregate([("arxiv_id", "count_distinct")])
    by_key: dict[str, dict[str, int]] = {k: {} for k in keys}
    for row in counts.to_pylist():
        by_key[row["author_key"]][row["period"]] = row["arxiv_id_count_distinct"]
    return {k: tuple(by_key[k].get(p, 0) for p in sel.periods) for k in keys}


def _per_period(sel: Selection, table: pa.Table, column: str, how: str) -> tuple[int, ...]:
    grouped = table.group_by("period").aggregate([(column, how)]).to_pylist()
    found = {row["period"]: row[f"{column}_{how}"] for row in grouped}
    return tuple(found.get(p, 0) for p in sel.periods)


def _team_sizes(sel: Selection, teams: pa.Table
                ) -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    rows = teams.select(["period", "author_key_count"]).sort_by("period")
    sizes = {period: [size for _, size in group] for period, group in groupby(
        zip(rows["period"].to_pylist(), rows["author_key_count"].to_pylist()),
        key=lambda r: r[0])}
    mean = tuple(statistics.fmean(sizes[p]) if p in sizes else None for p in sel.periods)
    median = tuple(float(statistics.median(sizes[p])) if p in sizes else None
                   for p in sel.periods)
    return mean, median
