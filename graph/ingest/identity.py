"""Corpus-wide name rules: what one Authors field cannot tell alone, every other paper can.

A name is re-cut only where the corpus shows the parts are people: each part is an author key
found on some paper (the set of keys does not depend on the order files are read, so neither
does the result). The rules, one example each:

=====================  ============================================  ===========================
rule                   when                                          example
=====================  ============================================  ===========================
joined names           every part (two words or more) is a known     ``Avani A. Pendse Jonathan
                       author, the joined name is on no other paper  Cohen`` -> two names
missing space          a space at a case change in the last word     ``AlexBronstein`` ->
                       makes a known author                          ``Alex Bronstein``
name split at a comma  two one-word names that together are a known  ``Po-Hsuan, Chen`` ->
                       author (printed order first)                  ``Po-Hsuan Chen``
Surname, Given list    every name is one word, four or more, an      ``Doe, Jane, Smith, John``
                       even count: each pair is "Surname, Given"     -> ``Jane Doe, John Smith``
listed twice           one key twice in one list (flagged only: two  ``Bo Zhang, Bo Zhang``
                       namesakes can write one paper)
organisation           a team or company (flagged, kept in place)    ``the ADNI``
safe key rule          two spellings share a key by author_key's     ``J P Smith`` =
                       safe rules (merged; noted once per spelling)  ``J. P. Smith``
=====================  ============================================  ===========================
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from graph.ingest.kinds import is_organisation
from graph.ingest.names import author_key
from graph.model.records import Change, Note

_CASE_CHANGE = re.compile(r"(?<=[a-zà-ÿ])(?=[A-Z])")
_CASE_PAIR = re.compile(r"[a-zà-ÿ][A-Z]")  # found where _CASE_CHANGE is, without lookarounds
# "McDonald", "MacLean", "DiSpirito", "DuMont", "LeCun", "AlZoubi", "BenTaieb": one word.
_CAMEL_PREFIXES = frozenset({"mc", "mac", "de", "di", "du", "da", "le", "la", "van", "von", "al",
                             "el", "ben", "bin", "abu", "dal", "del", "della", "st", "o", "fitz"})
_MIN_JOINED_WORDS, _MAX_JOINED_WORDS = 4, 12
FIELD = "Authors"
# The rules ask of a key's count only whether it is above 0 and above 1: they are given counts
# capped here (graph.tables.recut), so that an update needs to look again only at the lists
# that looked up a key whose capped count changed. A rule that compares with more raises it.
COUNT_CAP = 2


def resolve_names(names: tuple[str, ...], known: Mapping[str, int]) -> tuple[tuple[str, ...], list[Change]]:
    """One author list with the corpus-wide rules applied; `known` counts papers per key."""
    out, changes = recut(names, known)
    return out, changes + list(list_flags(out))


def recut(names: tuple[str, ...], known: Mapping[str, int]) -> tuple[tuple[str, ...], list[Change]]:
    """The re-cuts alone: the names unchanged (and no change) unless may_recut(names)."""
    changes: list[Change] = []
    if not may_recut(names):
        return names, changes
    recut_list = _surname_given(list(names), changes) or _comma_pairs(list(names), known, changes)
    out = tuple(part for name in recut_list
                for part in _split_joined(_missing_space(name, known, changes), known, changes))
    return out, changes


def list_flags(names: tuple[str, ...], keys: Sequence[str] | None = None) -> tuple[Change, ...]:
    """What one author list shows alone, flagged in place: a key listed twice, organisations.
    `keys`, the names' author keys, when the caller has them."""
    flags: list[Change] = []
    keys = keys if keys is not None else [author_key(name) for name in names]
    if len(set(keys)) < len(keys):
        flags.extend(Change("flagged", "listed twice", name, name)
                     for i, (name, key) in enumerate(zip(names, keys)) if key in keys[:i])
    if any(map(is_organisation, names)):  # most lists have none: no generator for them
        flags.extend(Change("flagged", "organisation", name, name) for name in names if is_organisation(name))
    return tuple(flags)


def may_recut(names: Sequence[str]) -> bool:
    """False for a list no corpus-wide rule can change (the common case, tested cheaply):
    any(map(_may_recut, names)), with one search for a case change over the whole list."""
    for name in names:
        spaces = name.count(" ")
        if spaces == 0 or spaces + 1 >= _MIN_JOINED_WORDS:
            return True
    # A newline is in neither class of _CASE_PAIR: no pair spans two names. In a title-cased
    # list (most: no capital after a letter) a pair can only start at "÷", the one character in
    # _CASE_PAIR's first class that is no letter; istitle is one C pass, the search one regex
    # step per character.
    joined = "\n".join(names)
    if joined.istitle() and "÷" not in joined:
        return False
    return _CASE_PAIR.search(joined) is not None


def _may_recut(name: str) -> bool:
    spaces = name.count(" ")
    return spaces == 0 or spaces + 1 >= _MIN_JOINED_WORDS or _CASE_CHANGE.search(name) is not None


def _mononym(name: str) -> bool:
    return " " not in name and "." not in name and not is_organisation(name)


def _surname_given(names: list[str], changes: list[Change]) -> list[str] | None:
    if len(names) < 4 or len(names) % 2 or not all(map(_mononym, names)):
        return None
    out = [f"{given} {surname}" for surname, given in zip(names[::2], names[1::2])]
    changes.extend(Change("cleaned", "Surname, Given list", f"{s}, {g}", n)
                   for s, g, n in zip(names[::2], names[1::2], out))
    return out


def _comma_pairs(names: list[str], known: Mapping[str, int], changes: list[Change]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(names):
        pair = names[i:i + 2]
        joined = _known_pair(pair, known) if len(pair) == 2 and all(map(_mononym, pair)) else None
        if joined is None:
            out.append(names[i])
            i += 1
        else:
            changes.append(Change("cleaned", "name split at a comma", ", ".join(pair), joined))
            out.append(joined)
            i += 2
    return out


def _known_pair(pair: list[str], known: Mapping[str, int]) -> str | None:
    for candidate in (f"{pair[0]} {pair[1]}", f"{pair[1]} {pair[0]}"):
        if known.get(author_key(candidate), 0):
            return candidate
    return None


def _missing_space(name: str, known: Mapping[str, int], changes: list[Change]) -> str:
    if not _CASE_CHANGE.search(name) or known.get(author_key(name), 0) > 1:
        return name
    candidates = {c for c in _spaced_candidates(name) if known.get(author_key(c), 0)}
    if len(candidates) != 1:
        return name
    (spaced,) = candidates
    changes.append(Change("cleaned", "missing space", name, spaced))
    return spaced


def _spaced_candidates(name: str) -> Iterable[str]:
    """Names with a space at one case change inside the last word: a given name glued to the
    surname ("JaneDoe", "Byung-ilLee"). "KamWoh Ng" is how some people write a given name."""
    last_word = name.rfind(" ") + 1
    for m in _CASE_CHANGE.finditer(name, last_word):
        word_start = last_word
        head = name[word_start:m.start()].split("-")[-1]
        if len(head) >= 2 and head.casefold() not in _CAMEL_PREFIXES:
            yield f"{name[:m.start()]} {name[m.start():]}"


def _split_joined(name: str, known: Mapping[str, int], changes: list[Change]) -> list[str]:
    words = name.split()
    if not _MIN_JOINED_WORDS <= len(words) <= _MAX_JOINED_WORDS or known.get(author_key(name), 0) > 1 \
            or is_organisation(name):
        return [name]
    found = [cut for cut in _segmentations(words, known) if len(cut) > 1]
    if len(found) != 1:
        return [name]
    parts = found[0]
    changes.append(Change("cleaned", "joined names", name, " | ".join(parts)))
    return parts


def _segmentations(words: list[str], known: Mapping[str, int]) -> list[list[str]]:
    """Every way to cut `words` into known names of two words or more (a word ending in a
    glued "and" may end a part: "Jane Doeand John Smith")."""
    if not words:
        return [[]]
    out: list[list[str]] = []
    for end in range(2, len(words) + 1):
        for part in _part_spellings(words[:end]):
            if known.get(author_key(part), 0):
                out.extend([part, *rest] for rest in _segmentations(words[end:], known))
    return out


def _part_spellings(words: list[str]) -> list[str]:
    text = " ".join(words)
    last = words[-1]
    if len(last) > 4 and last.endswith("and") and last[-4].islower():
        return [text, text[:-3]]
    return [text]


SAFE_KEY_RULE = "safe key rule"


def safe_key_notes(first: Mapping[str, tuple[str, int]]) -> list[Note]:
    """One `merged` note per spelling that author_key's safe rules gave another spelling's key
    (not merely its case-folded self), at `first[spelling]`, the (file, line) where it was
    first seen. Spellings whose key has no other spelling may be left out of `first`."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for name in first:
        by_key[author_key(name)].add(name.casefold())
    notes = []
    for name, where in first.items():
        key = author_key(name)
        if name.casefold() != key and len(by_key[key]) > 1:
            notes.append(Note(*where, FIELD, "merged", SAFE_KEY_RULE, name, key))
    return notes
