"""Author names: splitting an Authors field, identity keys, display names, variants."""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from graph.ingest.cleaning import clean_token
from graph.ingest.text import clean, strip_accents
from graph.model.records import Change, VariantGroup

# A comma splits "Reginald B. Adams, Jr." in two; these tokens belong to the name before.
_SUFFIX = re.compile(r"^(?:jr|sr|jnr|snr|ii|iii|iv|v|vi|esq)\.?$", re.IGNORECASE)
_LONGEST_SUFFIX = len("iii.")  # longer tokens skip the regex
_INITIALS = re.compile(r"(?<=\w)\.(?=\w)")  # "J.P." -> "J. P."
_JOINERS = re.compile(r"[\-‐‑–'’`]")  # "Wei-Wei" ~ "Weiwei", "O'Brien" ~ "OBrien"


def split_authors(field: str) -> tuple[str, ...]:
    """Split a comma-separated Authors value into cleaned display names, in order."""
    return clean_authors(field)[0]


def clean_authors(field: str) -> tuple[tuple[str, ...], tuple[Change, ...]]:
    """The cleaned display names of an Authors value, in order, and every change made to them
    (graph.ingest.cleaning lists the rules)."""
    names: list[str] = []
    changes: list[Change] = []
    after_name = False
    for token in clean(field).split(","):
        token = token.strip()
        if not token:
            continue
        if names and len(token) <= _LONGEST_SUFFIX and _SUFFIX.match(token):
            names[-1] = f"{names[-1]} {token}"
            continue
        found, made = clean_token(token, after_name)
        for name in found:
            names.append(_space_initials(name) if "." in name else name)
        if made:
            changes.extend(made)
        after_name = " " in token
    return tuple(names), tuple(changes)


def _space_initials(name: str) -> str:
    # Most dotted names are spaced already ("J. P. Lewis"): counting is cheaper than the regex.
    if name.count(".") == name.count(". ") + name.endswith("."):
        return name
    return _INITIALS.sub(". ", name)


# Safe merges, applied to keys only (display names keep their spelling): typographic
# apostrophes and hyphens are the ASCII ones, a space next to a hyphen or after an apostrophe
# inside a word is a typo ("Huynh - The", "O' Sullivan"), and a lone Latin letter is an
# initial whether or not it has its dot ("Jane P Doe" = "Jane P. Doe").
_KEY_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "‐": "-", "‑": "-",
                                  "–": "-", "—": "-"})
_KEY_HYPHEN_GAP = re.compile(r"(?<=\S) *- *(?=\S)|(?<=\w') +(?=\w)")
# A lone letter, not one that a combining mark follows ("İlkay" case-folds to "i\u0307lkay").
_KEY_BARE_INITIAL = re.compile(r"(?<![\w.'-])([a-zß-öø-ɏ])(?![\w.'\-\u0300-\u036f])")


@functools.lru_cache(maxsize=1 << 18)  # every name is keyed in normalise, identity and merge
def author_key(name: str) -> str:
    """Identity of a cleaned display name: case-folded, initials dotted, typographic marks and
    spacing around hyphens and apostrophes made uniform."""
    key = name.casefold()
    if not key.isascii():
        key = key.translate(_KEY_APOSTROPHES)
    if "-" in key or "'" in key:
        key = _KEY_HYPHEN_GAP.sub(lambda m: "-" if "-" in m[0] else "", key)
    if " " in key and _KEY_BARE_INITIAL.search(key):
        key = _KEY_BARE_INITIAL.sub(r"\1.", key)
    return key


def loose_key(key: str) -> str:
    """A key with accents, hyphens, dots and apostrophes folded away."""
    folded = strip_accents(key)
    if not folded.isascii() or "-" in folded or "'" in folded or "`" in folded:
        folded = _JOINERS.sub("", folded)  # skipped for most keys: no joiner to remove
    return " ".join(folded.replace(".", " ").split())


_APOSTROPHES = re.compile(r"['’`]")
_OTHER_PUNCTUATION = re.compile(r"[^\w\s'’`-]+|_+")
# What may differ inside a group of split twins, each removed by one step of twin_key.
_TWIN_FEATURES = (
    ("accents", strip_accents),
    ("hyphens", lambda k: k.replace("-", "")),
    ("apostrophes", lambda k: _APOSTROPHES.sub("", k)),
    ("spacing", lambda k: k.replace(" ", "")),
    ("punctuation", lambda k: _OTHER_PUNCTUATION.sub("", k)),
)
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "di", "da", "do", "dos",
                        "das", "du", "la", "le", "ter", "ten", "bin", "ibn", "al", "el", "zu"})


_NOT_WORD = re.compile(r"[\W_]+")


def twin_key(key: str) -> str:
    """Two keys are split twins when they differ only in spacing, punctuation, case or accents:
    when this key, with all of those folded away (every fold of _TWIN_FEATURES), is the same."""
    folded = strip_accents(key)
    if folded.isascii():  # most keys: deleting their few separators beats the regex
        squeezed = folded.replace(" ", "").replace(".", "").replace("-", "").replace("'", "")
        if squeezed.isalnum():  # on ASCII, what \w holds but "_"
            return squeezed
    return _NOT_WORD.sub("", folded)


def variant_groups(keys: Iterable[str], names: Mapping[str, str] | None = None) -> tuple[VariantGroup, ...]:
    """Groups of keys that are likely one person, each with a reason and a confidence.

    Split twins (see twin_key), an abbreviated name whose initials fit exactly one full name
    ("j. smith" / "john smith"), and, given the display `names`, a name that lost its first
    letter ("ane Doe" / "Jane Doe"). Listed for review, never merged: "Wei Wang" and
    "W. Wang" may well be two people.
    """
    ordered = sorted(keys)
    by_twin: dict[str, list[str]] = defaultdict(list)
    for key in ordered:
        by_twin[twin_key(key)].append(key)
    groups = {tuple(g): _twin_reason(g) for g in by_twin.values() if len(g) > 1}
    by_loose: dict[str, list[str]] = {}
    for key in ordered:
        by_loose.setdefault(loose_key(key), []).append(key)
    for group in _initial_groups(by_loose):
        groups.setdefault(group, ("initials", "high"))
    for group in _lost_letter_groups(by_twin, names or {}):
        groups.setdefault(group, ("first letter lost", "low"))
    return tuple(VariantGroup(g, *groups[g]) for g in sorted(groups))


def _twin_reason(group: list[str]) -> tuple[str, str]:
    """Which features tell the keys apart, and how likely they are one person.

    Accent-only groups are one person 90% of the time or more; hyphen-only groups ("wen-hao xu"
    / "wenhao xu") only 20-50% (the issue's audit): they are low confidence.
    """
    differing = []
    for name, _ in _TWIN_FEATURES:
        others = [fold for other, fold in _TWIN_FEATURES if other != name]
        if len({_fold_all(k, others) for k in group}) > 1:
            differing.append(name)
    reason = "+".join(differing) or "punctuation"
    if "hyphens" in differing and set(differing) <= {"hyphens", "spacing"}:
        return reason, "low"
    return reason, "high" if set(differing) <= {"accents", "punctuation"} else "medium"


def _fold_all(key: str, folds) -> str:
    for fold in folds:
        key = fold(key)
    return key


def _lost_letter_groups(by_twin: dict[str, list[str]], names: Mapping[str, str]) -> set[tuple[str, ...]]:
    """Pair "ane doe" (printed with a lower-case first letter) with the one "jane doe" it fits."""
    out = set()
    for key, name in names.items():
        first = name.split(" ", 1)[0]
        if not first[:1].islower() or first.casefold() in _PARTICLES or " " not in name:
            continue
        twin = twin_key(key)
        fits = {k for letter in "abcdefghijklmnopqrstuvwxyz" for k in by_twin.get(letter + twin, ())}
        if len(fits) == 1:
            out.add(tuple(sorted({key, *fits})))
    return out


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
