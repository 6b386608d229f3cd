"""Data quality: rejected records by reason, what the build cleaned by rule, the largest variant groups."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.tables.persist import read_table, read_variants
from graph.tables.schema import QUALITY

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


def name_quality(kg_dir: str | Path, summary: Mapping[str, Any]) -> tuple[Counted, ...]:
    """One row per digest field, rule and action of summary.json's `quality` section, largest
    first, with the first examples of the quality table (`file:line: original -> result`).
    Empty for a KG built before quality was recorded."""
    section = summary.get("quality")
    if not isinstance(section, Mapping) or not isinstance(section.get("rules"), Mapping):
        return ()
    examples = _quality_examples(kg_dir)
    rows = [Counted(f"{field}: {rule} ({action})", count, tuple(examples.get((field, rule, action), ())))
            for field, rules in section["rules"].items() for rule, actions in rules.items()
            for action, count in actions.items()]
    return tuple(sorted(rows, key=lambda c: (-c.count, c.label)))


def _quality_examples(kg_dir: str | Path) -> dict[tuple[str, str, str], list[str]]:
    if not (Path(kg_dir) / QUALITY.file).is_file():
        return {}
    found: dict[tuple[str, str, str], list[str]] = {}
    for row in read_table(kg_dir, "quality").to_pylist():  # sorted by file and line
        listed = found.setdefault((row["field"], row["rule"], row["action"]), [])
        if len(listed) < MAX_EXAMPLES:
            result = f" → {row['result']}" if row["result"] and row["result"] != row["original"] else ""
            listed.append(f"{row['file']}:{row['line']}: {row['original']}{result}")
    return found


@dataclass(frozen=True)
class VariantGroup:
    members: tuple[tuple[str, int], ...]  # (display name, papers), most papers first
    reason: str = ""  # what tells the spellings apart (accents, hyphens, initials, ...)
    confidence: str = ""  # high, medium or low

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
    found = [VariantGroup(tuple(sorted((known.get(k, (k, 0)) for k in g["keys"]),
                                       key=lambda m: (-m[1], m[0]))), g["reason"], g["confidence"])
             for g in groups]
    found.sort(key=lambda g: (-len(g.members), -g.papers, g.members))
    return tuple(found[:top]), len(groups)
