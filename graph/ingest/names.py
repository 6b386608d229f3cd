"""Author names: splitting an Authors field, identity keys, display names, variants."""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from graph.ingest.text import clean, strip_accents

# A comma splits "Reginald B. Adams, Jr." in two; these tokens belong to the name before.
_SUFFIX = re.compile(r"^(?:jr|sr|jnr|snr|ii|iii|iv|v|vi|esq|phd|md)\.?$", re.IGNORECASE)
_LONGEST_SUFFIX = len("iii.")  # longer tokens skip the regex
_NOT_A_NAME = {":", ";", ""}
_INITIALS = re.compile(r"(?<=\w)\.(?=\w)")  # "J.P." -> "J. P."
_JOINERS = re.compile(r"[\-‐‑–'’`]")  # "Wei-Wei" ~ "Weiwei", "O'Brien" ~ "OBrien"


def split_authors(field: str) -> tuple[str, ...]:
    """Split a comma-separated Authors value into cleaned display names, in order."""
    names: list[str] = []
    for token in clean(field).split(","):
        name = token.strip()
        if name in _NOT_A_NAME:
            continue  # "OpenAI, :, Aaron Hurst" lists a team, then a lone ":"
        if names and len(name) <= _LONGEST_SUFFIX and _SUFFIX.match(name):
            names[-1] = f"{names[-1]} {name}"
        else:
            names.append(_space_initials(name) if "." in name else name)
    return tuple(names)


def _space_initials(name: str) -> str:
    # Most dotted names are spaced already ("J. P. Lewis"): counting is cheaper than the regex.
    if name.count(".") == name.count(". ") + name.endswith("."):
        return name
    return _INITIALS.sub(". ", name)


def author_key(name: str) -> str:
    """Identity of a cleaned display name: NFC, spaced initials, case-folded."""
    return name.casefold()


def loose_key(key: str) -> str:
    """A key with accents, hyphens, dots and apostrophes folded away."""
    folded = strip_accents(key)
    if not folded.isascii() or "-" in folded or "'" in folded or "`" in folded:
        folded = _JOINERS.sub("", folded)  # skipped for most keys: no joiner to remove
    return " ".join(folded.replace(".", " ").split())


def variant_groups(keys: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Groups of keys that are likely one person: same loose key, or initials of one full name.

    Reported for review, never merged: "Wei Wang" and "W. Wang" may well be two people.
    """
    by_loose: dict[str, list[str]] = {}
    for key in sorted(keys):
        loose = loose_key(key)
        if loose in by_loose:
            by_loose[loose].append(key)
        else:
            by_loose[loose] = [key]
    groups = {tuple(g) for g in by_loose.values() if len(g) > 1}
    groups.update(_initial_groups(by_loose))
    return tuple(sorted(groups))


def _initial_groups(by_loose: dict[str, list[str]]) -> set[tuple[str, ...]]:
    """Pair "j. smith" with "john smith" when exactly one full name fits the initials."""
    abbreviated: dict[str, list[str]] = {}
    full: list[tuple[list[str], list[str]]] = []
    for loose, keys in by_loose.items():
        parts = loose.split(" ")
        if len(parts) < 2:
            continue
        if len(loose) - len(parts[-1]) == 2 * (len(parts) - 1):  # all but the surname are one letter
            abbreviated[loose] = keys
        else:
            full.append((parts, keys))
    # Only full names that share a surname with an abbreviated one can match it.
    surnames = {loose.rpartition(" ")[2] for loose in abbreviated}
    full_by_abbrev: dict[str, list[str]] = defaultdict(list)
    for parts, keys in full:
        if parts[-1] in surnames:
            full_by_abbrev[" ".join([p[0] for p in parts[:-1]] + parts[-1:])].extend(keys)
    return {tuple(sorted(keys + full_by_abbrev[loose])) for loose, keys in abbreviated.items()
            if len(set(full_by_abbrev.get(loose, ()))) == 1}
