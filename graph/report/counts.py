"""Ranked counts over the selected papers: categories, subject classes, code hosts and owners,
link kinds, and the distribution of papers per author (Lotka's law)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Ranked = tuple[tuple[str, int], ...]  # (label, count), largest first, ties by label


def ranked(table: pa.Table, by: str, counted: str, top: int | None = None) -> Ranked:
    """Distinct `counted` values per `by` value, largest first."""
    grouped = table.group_by(by).aggregate([(counted, "count_distinct")]).to_pylist()
    rows = sorted(((r[by], r[f"{counted}_count_distinct"]) for r in grouped),
                  key=lambda r: (-r[1], r[0]))
    return tuple(rows[:top] if top else rows)


def cooccurrence(categories: pa.Table, labels: list[str]) -> list[list[int]]:
    """Papers listed in both categories, for each pair of `labels` (the diagonal: 0)."""
    wanted = pa.array(labels, pa.string())
    mine = categories.filter(pc.is_in(categories["category"], value_set=wanted))
    mine = mine.select(["arxiv_id", "category"])
    pairs = mine.join(mine, "arxiv_id", right_suffix="_b")
    pairs = pairs.filter(pc.not_equal(pairs["category"], pairs["category_b"]))
    counts = pairs.group_by(["category", "category_b"]).aggregate([("arxiv_id", "count_distinct")])
    where = {c: i for i, c in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for row in counts.to_pylist():
        matrix[where[row["category"]]][where[row["category_b"]]] = row["arxiv_id_count_distinct"]
    return matrix


def owners(repositories: pa.Table, top: int) -> Ranked:
    """Distinct repositories per owner, the owner named with its host (`github.com/owner`)."""
    labelled = repositories.append_column(
        "who", pc.binary_join_element_wise(repositories["host"], repositories["owner"], "/"))
    return ranked(labelled, "who", "url", top)


@dataclass(frozen=True)
class Lotka:
    """Authors with n papers, for each n, and the fitted law authors(n) = C / n**exponent."""

    distribution: tuple[tuple[int, int], ...]  # (papers n, authors with n papers), n ascending
    exponent: float | None  # None with fewer than two distinct n
    constant: float | None  # C, in authors

    @property
    def authors(self) -> int:
        return sum(a for _, a in self.distribution)


def lotka(authorships: pa.Table) -> Lotka:
    """Least squares on log(authors) against log(n) over every observed n, as bibliometrix's
    lotka() fits it; the classic law has exponent 2."""
    per_author = authorships.group_by("author_key").aggregate([("arxiv_id", "count_distinct")])
    dist = per_author.group_by("arxiv_id_count_distinct").aggregate([("author_key", "count")])
    pairs = tuple(sorted(zip(dist["arxiv_id_count_distinct"].to_pylist(),
                             dist["author_key_count"].to_pylist())))
    if len(pairs) < 2:
        return Lotka(pairs, None, None)
    x = np.log10([n for n, _ in pairs])
    y = np.log10([a for _, a in pairs])
    slope, intercept = np.polyfit(x, y, 1)
    return Lotka(pairs, -float(slope), float(math.pow(10, intercept)))
