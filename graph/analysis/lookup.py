"""Find an author from a name typed by a person: tolerant to case, accents, dots and hyphens.

Rules, in order: the exact author key; any spelling equal after folding ("jurgen schmidhuber"
finds "Jürgen Schmidhuber"); every typed word among the name's words, in any order ("he
kaiming", or just "schmidhuber"). Several authors at one step is an AmbiguousName listing
them; none at all is a NameNotFound suggesting the closest names (difflib).
"""
from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping

from graph.errors import ArxivKGError
from graph.ingest.names import loose_key
from graph.model.records import Author

MAX_LISTED = 15
MAX_SUGGESTIONS = 5
_CUTOFF = 0.6  # difflib's default: below it suggestions are mostly noise


class NameNotFound(ArxivKGError):
    """No author matches the name."""


class AmbiguousName(ArxivKGError):
    """Several authors match the name; the message lists them."""

    def __init__(self, message: str, matches: tuple[str, ...]) -> None:
        super().__init__(message)
        self.matches = matches


def fold(name: str) -> str:
    """The comparable form of a name: case-folded, accents, dots and hyphens folded away."""
    return loose_key(name.casefold())


def find_author(query: str, authors: Mapping[str, Author],
                among: Collection[str] | None = None) -> str:
    """The key of the one author `query` names, among `among` (default: all `authors`)."""
    keys = authors.keys() if among is None else among
    if query in keys:
        return query
    forms = {k: _forms(k, authors.get(k)) for k in keys}
    wanted = fold(query)
    for rule in (_same, _all_words):
        matches = sorted((k for k, f in forms.items() if rule(wanted, f)),
                         key=lambda k: (-_papers(authors, k), k))
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousName(_listing(query, matches, authors), tuple(matches))
    raise NameNotFound(_not_found(query, wanted, forms, authors, among))


def _forms(key: str, author: Author | None) -> frozenset[str]:
    spellings = author.spellings if author else ()
    return frozenset(fold(s) for s in (key, *spellings))


def _same(wanted: str, forms: frozenset[str]) -> bool:
    return wanted in forms


def _all_words(wanted: str, forms: frozenset[str]) -> bool:
    words = set(wanted.split())
    return bool(words) and any(words <= set(f.split()) for f in forms)


def _papers(authors: Mapping[str, Author], key: str) -> int:
    author = authors.get(key)
    return author.papers if author else 0


def _label(authors: Mapping[str, Author], key: str) -> str:
    author = authors.get(key)
    if author is None:
        return key
    return f"{author.name} (key {key!r}, {author.papers} paper{'s' * (author.papers != 1)})"


def _listing(query: str, matches: list[str], authors: Mapping[str, Author]) -> str:
    lines = [f"{query!r} matches {len(matches)} authors; give one of their keys or a fuller name:"]
    lines += [f"  {_label(authors, k)}" for k in matches[:MAX_LISTED]]
    if len(matches) > MAX_LISTED:
        lines.append(f"  ... and {len(matches) - MAX_LISTED} more")
    return "\n".join(lines)


def _not_found(query: str, wanted: str, forms: dict[str, frozenset[str]],
               authors: Mapping[str, Author], among: Collection[str] | None) -> str:
    message = f"no author named {query!r}"
    if among is not None and wanted in {f for k in authors for f in _forms(k, authors[k])}:
        return message + " in the co-author network with these filters (the corpus has one)"
    by_form: dict[str, str] = {}
    for key in sorted(forms, key=lambda k: (-_papers(authors, k), k)):
        for f in sorted(forms[key]):
            by_form.setdefault(f, key)
    close = difflib.get_close_matches(wanted, list(by_form), n=MAX_SUGGESTIONS * 2, cutoff=_CUTOFF)
    suggestions = list(dict.fromkeys(by_form[f] for f in close))[:MAX_SUGGESTIONS]
    if not suggestions:
        return message
    return message + "; closest: " + "; ".join(_label(authors, k) for k in suggestions)
