"""Which papers make the co-author network, and how pairs are weighted: one frozen value that
validates itself, so the projection, the cache key and the output all see the same settings.

Dates are ISO prefixes (YYYY, YYYY-MM or YYYY-MM-DD) compared with the published date, both
ends inclusive at the precision given: `since 2020` is 2020-01-01T00:00Z onwards, `until
2020-05` is everything before 2020-06-01T00:00Z. They must be real calendar dates, so
`2021-13-45` and `2021-02-30` are refused.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from graph.errors import ArxivKGError

DEFAULT_MAX_AUTHORS = 50
COUNTINGS = ("full", "fractional")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class FilterError(ArxivKGError):
    """A projection filter has an unusable value."""


@dataclass(frozen=True)
class Filters:
    """The options of a co-author projection. Papers with more than ``max_authors`` authors are
    left out (0 = no limit); authors need ``min_papers`` papers within the other filters.
    Organisations that sign papers (authors of kind `organisation`: teams, consortia,
    companies) are no nodes unless ``include_organisations``; a paper's size then counts its
    people only."""

    counting: str = "full"
    max_authors: int = DEFAULT_MAX_AUTHORS
    category: str | None = None
    primary_only: bool = False
    since: str | None = None
    until: str | None = None
    min_papers: int = 1
    include_organisations: bool = False

    def __post_init__(self) -> None:
        if self.counting not in COUNTINGS:
            raise FilterError(f"counting must be one of {', '.join(COUNTINGS)}, "
                              f"not {self.counting!r}")
        if self.max_authors < 0:
            raise FilterError(f"max-authors must be 0 (no limit) or more, not {self.max_authors}")
        if self.min_papers < 1:
            raise FilterError(f"min-papers must be 1 or more, not {self.min_papers}")
        _period_start("since", self.since)
        _period_start("until", self.until)

    @property
    def fractional(self) -> bool:
        return self.counting == "fractional"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def period(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) of the published dates the filters allow, in UTC; None is open."""
        return _period_start("since", self.since), _period_end(self.until)


def _period_start(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    m = _DATE.match(value)
    try:
        if not m:
            raise ValueError
        year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
        return datetime(year, month, day, tzinfo=timezone.utc)
    except ValueError:
        raise FilterError(f"{name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, and a real "
                          f"one, not {value!r}") from None


def _period_end(value: str | None) -> datetime | None:
    """The first instant after the period `value` names (None: open, or past year 9999)."""
    start = _period_start("until", value)
    if start is None or value is None:
        return None
    precision = value.count("-")
    try:
        if precision == 2:
            return datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=timezone.utc)
        if precision == 1:
            year, month = divmod(start.month, 12)
            return datetime(start.year + year, month + 1, 1, tzinfo=timezone.utc)
        return datetime(start.year + 1, 1, 1, tzinfo=timezone.utc)
    except (ValueError, OverflowError):  # the period ends past date.max
        return None

