"""Author names: splitting an Authors field, identity keys, display names, variants."""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from graph.ingest.cleaning import all_kept, clean_token
from graph.ingest.text import clean, strip_accents
from graph.model.records import Change

# A comma splits "Reginald B. Adams, Jr." in two; these tokens belong to the name before.
_SUFFIX = re.compile(r"^(?:jr|sr|jnr|snr|ii|iii|iv|v|vi|esq)\.?$", re.IGNORECASE)
_LONGEST_SUFFIX = len("iii.")  # longer tokens skip the regex
_INITIALS = re.compile(r"(?<=\w)\.(?=\w)")  # "J.P." -> "J. P."
_JOINERS = re.compile(r"[\-‐‑–'’`]")  # "Wei-Wei" ~ "Weiwei", "O'Brien" ~ "OBrien"


def split_authors(field: str) -> tuple[str, ...]:
    """Split a comma-separated Authors value into cleaned display names, in order."""
    return clean_authors(field)[0]


# Tokens of lists that _kept_list found untouched: a list made of these alone is too.
_KEPT: set[str] = set()
_MAX_KEPT = 1 << 18  # as the caches of clean_token: emptied when full


def clean_authors(field: str) -> tuple[tuple[str, ...], tuple[Change, ...]]:
    """The cleaned display names of an Authors value, in order, and every change made to them
    (graph.ingest.cleaning lists the rules)."""
    text = clean(field)
    kept = _kept_list(text)
    return (kept, ()) if kept is not None else _clean_tokens(text)


def _clean_tokens(text: str) -> tuple[tuple[str, ...], tuple[Change, ...]]:
    """clean_authors of a cleaned Authors value, token by token."""
    names: list[str] = []
    changes: list[Change] = []
    after_name = False
    for token in text.split(","):
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


def _kept_list(text: str) -> tuple[str, ...] | None:
    """The names of a cleaned Authors value that no rule touches, checked list-wise (most lists;
    a name recurs on every paper, so _KEPT knows most of them); None for any other.

    Tokens parted by ", " that clean_token keeps as they are after any token (all_kept), longer
    than a suffix, are the names as the loop in clean_authors gives them: plain tokens have no
    initials to space.
    """
    tokens = text.split(", ")
    if _KEPT.issuperset(tokens):
        return tuple(tokens)
    if min(map(len, tokens)) <= _LONGEST_SUFFIX or not all_kept(text, tokens):
        return None
    if len(_KEPT) >= _MAX_KEPT:
        _KEPT.clear()
    _KEPT.update(tokens)
    return tuple(tokens)


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
TWIN_FEATURES = (
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
    when this key, with all of those folded away (every fold of TWIN_FEATURES), is the same."""
    folded = strip_accents(key)
    if folded.isascii():  # most keys: deleting their few separators beats the regex
        squeezed = folded.replace(" ", "").replace(".", "").replace("-", "").replace("'", "")
        if squeezed.isalnum():  # on ASCII, what \w holds but "_"
            return squeezed
    return _NOT_WORD.sub("", folded)


def twin_reason(differing: Sequence[str]) -> tuple[str, str]:
    """The reason and confidence of a group of split twins, from the features (of
    TWIN_FEATURES, in order) that tell its keys apart: those that differ between its keys with
    every other fold applied.

    Accent-only groups are one person 90% of the time or more; hyphen-only groups ("wen-hao xu"
    / "wenhao xu") only 20-50% (the issue's audit): they are low confidence.
    """
    reason = "+".join(differing) or "punctuation"
    if "hyphens" in differing and set(differing) <= {"hyphens", "spacing"}:
        return reason, "low"
    return reason, "high" if set(differing) <= {"accents", "punctuation"} else "medium"


def lost_first_letter(name: str) -> bool:
    """A display name that may have lost its first letter: printed with a lower-case first
    word ("ane Doe") that is no particle ("van Gogh"), and more than one word."""
    first = name.split(" ", 1)[0]
    return first[:1].islower() and first.casefold() not in _PARTICLES and " " in name
