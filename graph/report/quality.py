"""Data quality: rejected records by reason, name-cleaning classes, the largest variant groups."""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.tables.persist import read_table, read_variants

MAX_EXAMPLES = 3
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class Counted:
    """One class of problem: its label, how many, and a few examples (`file:line` and text)."""

    label: str
    count: int
    examples: tuple[str, ...] = ()


def rejected_by_reason(rejected: pa.Table) -> tuple[Counted, ...]:
    """Reasons with their variable parts (quoted text, numbers) folded, so that `a line of
    1,234 characters` and `a line of 99 characters` count as one reason."""
    groups: dict[str, list[str]] = {}
    for row in rejected.to_pylist():
        reason = _NUMBER.sub("N", _QUOTED.sub("'…'", row["reason"]))
        groups.setdefault(reason, []).append(f"{row['file']}:{row['line']}")
    rows = (Counted(reason, len(where), tuple(where[:MAX_EXAMPLES]))
            for reason, where in groups.items())
    return tuple(sorted(rows, key=lambda c: (-c.count, c.label)))


def name_quality(summary: Mapping[str, Any]) -> tuple[Counted, ...]:
    """The `quality` section of summary.json, when the build wrote one, as labelled counts.

    Its layout belongs to the name-cleaning work; any nesting of counts, lists and
    {count, examples} objects is read, in the order written."""
    section = summary.get("quality")
    return tuple(_counted(section, ())) if isinstance(section, Mapping) else ()


def _counted(node: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[Counted]:
    for name, value in node.items():
        label = " / ".join((*path, str(name)))
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            yield Counted(label, int(value))
        elif isinstance(value, list):
            yield Counted(label, len(value), tuple(map(_example, value[:MAX_EXAMPLES])))
        elif isinstance(value, Mapping) and isinstance(value.get("count"), int):
            examples = value.get("examples") or []
            yield Counted(label, value["count"], tuple(map(_example, examples[:MAX_EXAMPLES])))
        elif isinstance(value, Mapping):
            yield from _counted(value, (*path, str(name)))


def _example(item: Any) -> str:
    if not isinstance(item, Mapping):
        return str(item)
    where = f"{item['file']}:{item.get('line', 0)}" if "file" in item else ""
    rest = ", ".join(f"{k}: {v}" for k, v in item.items() if k not in ("file", "line"))
    return ": ".join(p for p in (where, rest) if p)


@dataclass(frozen=True)
class VariantGroup:
    members: tuple[tuple[str, int], ...]  # (display name, papers), most papers first

    @property
    def papers(self) -> int:
        return sum(n for _, n in self.members)


def largest_variant_groups(kg_dir: str | Path, top: int) -> tuple[tuple[VariantGroup, ...], int]:
    """The `top` groups of variants.json with the most members (then papers), and how many
    groups there are."""
    groups = read_variants(kg_dir)
    if not groups:
        return (), 0
    authors = read_table(kg_dir, "authors", ["key", "name", "papers"]).to_pylist()
    known = {a["key"]: (a["name"], a["papers"]) for a in authors}
    found = [VariantGroup(tuple(sorted((known.get(k, (k, 0)) for k in g),
                                       key=lambda m: (-m[1], m[0])))) for g in groups]
    found.sort(key=lambda g: (-len(g.members), -g.papers, g.members))
    return tuple(found[:top]), len(groups)
