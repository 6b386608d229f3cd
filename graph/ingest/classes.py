"""The Categories field: arXiv categories, then MSC and ACM subject classes, as authors typed them.

`parse_categories` reads every token shape seen in the digests and accounts for each token:
it becomes a category or a class (`cleaned` when its spelling was repaired), is kept but
`flagged` (a well-formed class code that is in neither MSC edition or not in the ACM CCS 1998
tree: kept as a plain literal, never minted as a concept), or is `rejected` (free text, a
malformed code, an unknown category). Nothing is dropped without a Change saying so.

Shapes read (one example each): `68T45`, `68t45` and `68u05` (case), `68-xx`, `68T`
(= `68Txx`), `68` (= `68-XX`), `68-T01` (= `68T01`), `68T07 (Primary)`, `(primary) 65F22`,
`Primary: 62G07`, `68T45 68T07` (several in one token), `MSC 33F05`, `ACM-class: I.4.8`,
`I.2.10 Vision and Scene Understanding` (label text after the code), `I2.10` and `I 4.1`
(= `I.2.10`, `I.4.1`), `1.4.8` (a digit one for the letter I), `J.2.`, `I.2.10.f` (a subject
descriptor's letter: the class is `I.2.10`), and `I, 2.7` split at the comma.
"""
from __future__ import annotations

import functools
import re
from typing import NamedTuple

from graph.model.records import Change
from graph.model.subjects import edition
from graph.model.taxonomy import CATEGORIES

_CATEGORY_BY_FOLD = {code.casefold(): code for code in CATEGORIES}
_CATEGORY_SHAPE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$", re.IGNORECASE)
# Words around codes that name what the code is, not a code.
_LABELS = re.compile(
    r"\((?:primary|secondary)\)|\b(?:primary|secondary)\b\s*:?|\b(?:msc|ams|acm|asm)(?:[- ]?class(?:es)?)?"
    r"(?:\s*20[12]0)?\s*:|\bmsc\b(?:\s*20[12]0)?|\bacm\b", re.IGNORECASE)
_MSC = re.compile(r"^(\d\d)([A-Za-z])(\d\d|xx)$", re.IGNORECASE)
_MSC_DASH = re.compile(r"^(\d\d)-(\d\d|xx)$", re.IGNORECASE)
_MSC_DASH_LETTER = re.compile(r"^(\d\d)-([A-Za-z]\d\d)$")  # 68-T01
_MSC_TOP = re.compile(r"^\d\d$")
_MSC_AREA = re.compile(r"^(\d\d)([A-Za-z])$")
# A trailing letter (`I.2.10.f`) picks an uncoded subject descriptor under the coded class.
_ACM = re.compile(r"^([A-K]|1(?=\.))\.?((?:\d+|m)(?:\.(?:\d+|m))*)?(\.[a-l])?\.?$")
_ACM_LOOSE_TAIL = re.compile(r"^\d+(?:\.(?:\d+|m))*$")  # "2.7" after a lone "I,"
_LETTER_FOLLOWS = re.compile(r"^[A-K]$")


class Classes(NamedTuple):
    primary: str | None
    categories: tuple[str, ...]
    subjects: tuple[str, ...]  # "MSC:68T45", "ACM:I.5.4"
    changes: tuple[Change, ...]


@functools.lru_cache(maxsize=4096)  # a few hundred distinct values cover a whole archive
def parse_categories(value: str) -> Classes:
    """`**eess.IV**, cs.CV, I.5; I.5.4` -> ("eess.IV", ("eess.IV", "cs.CV"), ("ACM:I.5", "ACM:I.5.4"), ())."""
    primary = None
    categories: dict[str, None] = {}
    subjects: dict[str, None] = {}
    changes: list[Change] = []
    for token, bold in _tokens(value):
        category = _category(token, changes)
        if category is None:
            subjects.update(dict.fromkeys(_subjects(token, changes)))
        elif category:
            categories.setdefault(category)
            if bold and primary is None:
                primary = category
    ordered = list(categories)
    if primary is None and ordered:
        primary = ordered[0]
    if primary:
        ordered.remove(primary)
        ordered.insert(0, primary)
    return Classes(primary, tuple(ordered), tuple(subjects), tuple(changes))


def _tokens(value: str) -> list[tuple[str, bool]]:
    """(token, was it bold) for each comma- or semicolon-separated token; `I, 2.7` rejoined."""
    out: list[tuple[str, bool]] = []
    for raw in re.split(r"[,;]", value):
        bold = raw.strip().startswith("**")
        token = raw.strip().strip("* ")
        if not token or token == "None":
            continue
        if out and _ACM_LOOSE_TAIL.match(token) and _LETTER_FOLLOWS.match(out[-1][0]):
            out[-1] = (f"{out[-1][0]}.{token}", out[-1][1])
            continue
        out.append((token, bold))
    return out


def _category(token: str, changes: list[Change]) -> str | None:
    """The category `token` is; "" if it is shaped like one but is not; None if it is no category."""
    if token in CATEGORIES:
        return token
    if not _CATEGORY_SHAPE.match(token) or _ACM.match(token):
        return None
    known = _CATEGORY_BY_FOLD.get(token.casefold())
    if known is not None:
        changes.append(Change("cleaned", "category case", token, known))
        return known
    if "." in token or token.islower():  # `cs.XY`, `org`, `none`: free text, not a category
        changes.append(Change("rejected", "not an arXiv category", token, ""))
        return ""
    return None


def _subjects(token: str, changes: list[Change]) -> list[str]:
    words = _LABELS.sub(" ", token).replace("(", " ").replace(")", " ").split()
    found: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i].rstrip(".")
        if _LETTER_FOLLOWS.match(word) and i + 1 < len(words) and _ACM_LOOSE_TAIL.match(words[i + 1]):
            word, i = f"{word}.{words[i + 1].rstrip('.')}", i + 1  # "I 4.1"
        code = _code(word)
        if code is None:
            rest.append(words[i])
        else:
            found.append(code)
        i += 1
    if not found:
        changes.append(Change("rejected", "not a class code", token, ""))
        return []
    codes = " ".join(subject.partition(":")[2] for subject in found)
    if rest:
        changes.append(Change("cleaned", "text beside a class code", token, codes))
    elif len(found) > 1:
        changes.append(Change("cleaned", "several codes in one token", token, codes))
    elif codes != token:
        changes.append(Change("cleaned", "class code spelling", token, codes))
    for subject in found:
        scheme, _, code = subject.partition(":")
        if edition(scheme, code) is None:
            rule = "not an MSC 2010 or 2020 code" if scheme == "MSC" else "not in ACM CCS 1998"
            changes.append(Change("flagged", rule, code, subject))
    return found


# Each MSC shape and how to print it as the code lists do (`68Txx`, `68-XX`, `68T07`).
_MSC_SHAPES = (
    (_MSC, lambda m: f"{m[1]}{m[2].upper()}{'xx' if m[3].lower() == 'xx' else m[3]}"),
    (_MSC_DASH, lambda m: f"{m[1]}-{m[2].upper()}"),
    (_MSC_DASH_LETTER, lambda m: f"{m[1]}{m[2].upper()}"),
    (_MSC_TOP, lambda m: f"{m[0]}-XX"),
    (_MSC_AREA, lambda m: f"{m[1]}{m[2].upper()}xx"),
)


def _code(word: str) -> str | None:
    """"MSC:<code>" or "ACM:<code>" in the printed form of the scheme, or None if not a code."""
    for pattern, printed in _MSC_SHAPES:
        m = pattern.match(word)
        if m:
            return f"MSC:{printed(m)}"
    m = _ACM.match(word)
    if m:
        letter = "I" if m[1] == "1" else m[1]
        return f"ACM:{letter}.{m[2]}" if m[2] else f"ACM:{letter}"
    return None
