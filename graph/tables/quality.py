"""Data quality of a KG: what ingest cleaned, merged, flagged or rejected (the `quality` table),
and independent checks of the result: debris left in author names, split twins left unlisted.

`quality_summary(kg_dir)` is summary.json's `quality` section; `debris(authors)` and
`twin_pairs(keys)` are the acceptance checks of the name cleaner (bench/name_quality.py runs
them on a KG folder).
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

from graph.errors import KGNotFound
from graph.ingest.names import twin_key
from graph.model.records import ACTIONS, Author, Note, VariantGroup
from graph.tables import persist
from graph.tables import schema as s

# Each class of debris the cleaner removes, as an independent pattern over display names.
_PERIOD_OK = r"(?!(?:Jr|Sr|Jnr|Snr|Mohd|Muh|Moh|St|Ste|Wm|Chr|Abd|Esq|Sta)\.)"
DEBRIS = {
    "control characters": re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060\ufeff]"),
    "markers": re.compile(r"[\d*†‡§¶|?+#^¹²³⁴⁵⁶⁷⁸⁹⁰]$|^[*†‡§¶#]"),
    "list words": re.compile(r"^(?:and|adn|ans|&) | (?:and|adn|ans|&)$"),
    "LaTeX residue": re.compile(r"[\\{}$~`]"),
    "titles or degrees": re.compile(r"^(?:Dr|Prof|Professor|Mr|Mrs|Ms|Assoc|Asst)\.? |"
                                    r"\b(?:Ph\. ?D|PhD|MBBS|MSc|BSc|DPhil)\.?$"),
    "dotted degree as author": re.compile(r"^(?:(?:Ph|M|B)\. ?(?:D|S|Sc|A)\.?[ ,]*)+$"),
    "stray periods": re.compile(rf"(?:^| ){_PERIOD_OK}[^\W\d_]{{3,}}\.(?: |$)"),
    "' . ' spacing": re.compile(r" \.(?: |$)"),
    "quotes or brackets": re.compile(r"[\"“”()\[\]]|^'.*'$|^‘.*’$"),
    "punctuation only": re.compile(r"^[\W\d_]*$"),
    "others or et al.": re.compile(r"^(?:others|et\.? ?al\.?)$| et\.? ?al\.?$", re.IGNORECASE),
}
# Organisations keep what a person's name may not: "Google Inc.", "Team 1".
_PERSON_ONLY = frozenset({"markers", "stray periods", "titles or degrees"})


def quality_summary(kg_dir: str | Path) -> dict[str, Any]:
    """Counts per action and per (field, rule): summary.json's `quality` section."""
    counted = persist.read_table(kg_dir, "quality", ["field", "rule", "action"]) \
        .group_by(["field", "rule", "action"]).aggregate([([], "count_all")]).to_pylist()
    totals: Counter[str] = Counter()
    rules: dict[str, dict[str, dict[str, int]]] = {}
    for row in sorted(counted, key=lambda r: (r["field"], r["rule"], r["action"])):
        totals[row["action"]] += row["count_all"]
        rules.setdefault(row["field"], {}).setdefault(row["rule"], {})[row["action"]] = row["count_all"]
    return {**{action: totals[action] for action in ACTIONS}, "rules": rules}


def debris(authors: Iterable[Author]) -> dict[str, list[str]]:
    """Spellings of authors that still hold a class of debris, by class (empty lists: clean)."""
    found: dict[str, list[str]] = {name: [] for name in DEBRIS}
    for a in authors:
        for spelling in a.spellings:
            for name, pattern in DEBRIS.items():
                if pattern.search(spelling) and not (a.kind == "organisation" and name in _PERSON_ONLY):
                    found[name].append(spelling)
    return found


def twin_pairs(keys: Iterable[str]) -> set[tuple[str, str]]:
    """Pairs of keys that differ only in spacing, punctuation, case or accents."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        groups[twin_key(key)].append(key)
    return {pair for group in groups.values() if len(group) > 1 for pair in combinations(sorted(group), 2)}


def unlisted(pairs: Iterable[tuple[str, str]], variants: Iterable[VariantGroup]) -> list[tuple[str, str]]:
    """The twin pairs that no variant group lists."""
    listed = {pair for v in variants for pair in combinations(v.keys, 2)}
    return sorted(set(pairs) - listed)


def load_notes(kg_dir: str | Path) -> tuple[Note, ...]:
    """The quality table of a KG folder; KGNotFound if the folder is no KG or predates it."""
    if (Path(kg_dir) / s.AUTHORS.file).is_file() and not (Path(kg_dir) / s.QUALITY.file).is_file():
        raise KGNotFound(f"{kg_dir}: this KG was built before data quality was recorded "
                         f"(no {s.QUALITY.file}); rebuild it with `arxiv-kg build`")
    return persist.load_notes(kg_dir)


def by_rule(notes: Iterable[Note], action: str | None = None, field: str | None = None) \
        -> list[tuple[tuple[str, str, str], list[Note]]]:
    """Notes grouped by (field, action, rule), largest group first, each in file:line order."""
    groups: dict[tuple[str, str, str], list[Note]] = defaultdict(list)
    for n in notes:
        if (action is None or n.action == action) and (field is None or n.field == field):
            groups[(n.field, n.action, n.rule)].append(n)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
