"""Find an author from a name typed by a person: tolerant to case, accents, dots and hyphens.

Rules, in order: the exact author key; any spelling equal after folding ("jurgen schmidhuber"
finds "Jürgen Schmidhuber"); every typed word among the name's words, in any order ("he
kaiming", or just "schmidhuber"). Several authors at one step is an AmbiguousName listing
them; none at all is a NameNotFound suggesting the closest names (difflib).

The search runs over Arrow columns (every key and spelling folded once, with Arrow compute for
the ASCII ones), so a look-up among the archive's quarter-million authors takes a fraction of
a second instead of folding every name in Python.
"""
from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.errors import ArxivKGError
from graph.model.records import Author

MAX_LISTED = 15
MAX_SUGGESTIONS = 5
_CUTOFF = 0.6  # difflib's default: below it suggestions are mostly noise
_ASCII_JOINERS = "[-'`]"  # graph.ingest.names' joiners that are ASCII
# Combining diacritical marks, every one of combining class > 0 (which strip_accents drops),
# but U+0345, which case-folds to a Greek iota, and U+034F, of class 0.
_DIACRITICS = "[\\x{0300}-\\x{0344}\\x{0346}-\\x{034E}\\x{0350}-\\x{036F}]"


class NameNotFound(ArxivKGError):
    """No author matches the name."""


class AmbiguousName(ArxivKGError):
    """Several authors match the name; the message lists them."""

    def __init__(self, message: str, matches: tuple[str, ...]) -> None:
        super().__init__(message)
        self.matches = matches


def fold(name: str) -> str:
    """The comparable form of a name: case-folded, accents, dots and hyphens folded away."""
    from graph.ingest.names import loose_key  # here: it brings ftfy, 0.3 s to import

    return loose_key(name.casefold())


def fold_all(names: pa.Array) -> pa.Array:
    """fold() of every string, with Arrow compute: lower case, NFKD, combining diacritics
    (U+0300-U+036F) removed, then the ASCII rules. A string that is not ASCII by then (other
    scripts, marks, joiners) goes through fold() itself; tests check the two agree."""
    lowered = pc.utf8_normalize(pc.utf8_lower(names), "NFKD")
    folded = pc.replace_substring_regex(lowered, _DIACRITICS, "")
    # Arrow's whitespace is str.split()'s but for \x1c-\x1f, which only fold() handles.
    other = pc.or_(pc.invert(pc.string_is_ascii(folded)),
                   pc.match_substring_regex(folded, "[\x1c-\x1f]"))
    folded = pc.replace_substring_regex(folded, _ASCII_JOINERS, "")
    folded = pc.replace_substring(folded, ".", " ")
    words = pc.ascii_split_whitespace(folded)  # " ".join(s.split()), but for empty ends
    folded = pc.utf8_trim(pc.binary_join(words, " "), " ")
    if not pc.any(other).as_py():
        return folded
    rest = pa.array([fold(s) for s in names.filter(other).to_pylist()], pa.string())
    return pc.replace_with_mask(folded, other, rest)


def find_author(query: str, authors: Mapping[str, Author],
                among: Collection[str] | None = None) -> str:
    """The key of the one author `query` names, among `among` (default: all `authors`)."""
    return AuthorIndex.of(authors).find(query, among)


def folded_forms(authors: pa.Table) -> pa.Table:
    """(row, form): each author's key and spellings folded, one row each (the search space)."""
    spellings = authors["spellings"].combine_chunks()
    texts = pa.concat_arrays([authors["key"].combine_chunks(), pc.list_flatten(spellings)])
    rows = np.concatenate([np.arange(authors.num_rows),
                           pc.list_parent_indices(spellings).to_numpy()])
    return pa.table({"row": rows, "form": fold_all(texts)})


class AuthorIndex:
    """Authors to search by name: a table of key, name, spellings and papers, and their folded
    forms (folded_forms; given when a cache kept them)."""

    def __init__(self, table: pa.Table, forms: pa.Table | None = None) -> None:
        self.table = table.combine_chunks()
        self.forms = (forms if forms is not None else folded_forms(self.table)).combine_chunks()
        self._last_among: object = None
        self._last_mask = np.zeros(0, dtype=bool)

    @classmethod
    def of(cls, authors: Mapping[str, Author]) -> AuthorIndex:
        values = list(authors.values())
        return cls(pa.table({"key": [a.key for a in values], "name": [a.name for a in values],
                             "spellings": [list(a.spellings) for a in values],
                             "papers": [a.papers for a in values]}))

    def find(self, query: str, among: Collection[str] | pa.Array | None = None) -> str:
        """The key of the one author `query` names, among the keys `among` (default: all)."""
        if _has(among if among is not None else self.table["key"], query):
            return query
        rows = self.forms["row"]
        allowed = pa.array(self._allowed(among)[rows.to_numpy()])
        wanted = fold_all(pa.array([query], pa.string()))[0].as_py()  # no ftfy for ASCII
        rules = (lambda: pc.equal(self.forms["form"], wanted),
                 lambda: _all_true([pc.match_substring(self._padded, f" {w} ")
                                    for w in wanted.split()]))
        for rule in rules:  # the second only runs when the first finds no one
            mask = rule()
            matches = [] if mask is None else self._ranked(rows.filter(pc.and_(mask, allowed)))
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise AmbiguousName(self._listing(query, matches), tuple(matches))
        raise NameNotFound(self._not_found(query, wanted, self.forms.filter(allowed), among))

    @cached_property
    def _padded(self) -> pa.Array:
        """Each form as " form ", so that whole words are found as " word "."""
        return pc.binary_join_element_wise("", self.forms["form"], "", " ")

    def _allowed(self, among: Collection[str] | pa.Array | None) -> np.ndarray:
        """A mask over the authors: those in `among` (all if None); the last one is kept, as
        `path` looks two names up among the same authors."""
        if among is None:
            return np.ones(self.table.num_rows, dtype=bool)
        if self._last_among is not among:
            keys = among if isinstance(among, (pa.Array, pa.ChunkedArray)) else pa.array(
                list(among), pa.string())
            self._last_mask = pc.is_in(self.table["key"], value_set=keys).to_numpy(
                zero_copy_only=False)
            self._last_among = among
        return self._last_mask

    def _ranked(self, rows: pa.Array) -> list[str]:
        """Keys of these author rows, most papers first, then by key."""
        found = self.table.take(pc.unique(rows)).select(["key", "papers"])
        return [r["key"] for r in found.sort_by([("papers", "descending"),
                                                 ("key", "ascending")]).to_pylist()]

    def _label(self, key: str) -> str:
        row = self.table.filter(pc.equal(self.table["key"], key)).to_pylist()
        if not row:
            return key
        papers = row[0]["papers"]
        return f"{row[0]['name']} (key {key!r}, {papers} paper{'s' * (papers != 1)})"

    def _listing(self, query: str, matches: list[str]) -> str:
        lines = [f"{query!r} matches {len(matches)} authors; give one of their keys or a "
                 f"fuller name:"]
        lines += [f"  {self._label(k)}" for k in matches[:MAX_LISTED]]
        if len(matches) > MAX_LISTED:
            lines.append(f"  ... and {len(matches) - MAX_LISTED} more")
        return "\n".join(lines)

    def _not_found(self, query: str, wanted: str, forms: pa.Table,
                   among: Collection[str] | pa.Array | None) -> str:
        message = f"no author named {query!r}"
        if among is not None and pc.any(pc.equal(self.forms["form"], wanted)).as_py():
            return message + " in the co-author network with these filters (the corpus has one)"
        best = self._best_key_per_form(forms)
        close = difflib.get_close_matches(wanted, list(best), n=MAX_SUGGESTIONS * 2,
                                          cutoff=_CUTOFF)
        suggestions = list(dict.fromkeys(best[f] for f in close))[:MAX_SUGGESTIONS]
        if not suggestions:
            return message
        return message + "; closest: " + "; ".join(self._label(k) for k in suggestions)

    def _best_key_per_form(self, forms: pa.Table) -> dict[str, str]:
        """form -> the key of the author with most papers (then smallest key) that has it."""
        rows = forms["row"]
        ranked = pa.table({"form": forms["form"], "key": self.table["key"].take(rows),
                           "papers": self.table["papers"].take(rows)})
        ranked = ranked.sort_by([("papers", "descending"), ("key", "ascending"),
                                 ("form", "ascending")])
        best: dict[str, str] = {}
        for form, key in zip(ranked["form"].to_pylist(), ranked["key"].to_pylist()):
            best.setdefault(form, key)
        return best


def _has(keys: Collection[str] | pa.Array, key: str) -> bool:
    if isinstance(keys, (pa.Array, pa.ChunkedArray)):
        return bool(pc.any(pc.equal(keys, key)).as_py())
    return key in keys


def _all_true(masks: list[pa.Array]) -> pa.Array | None:
    if not masks:
        return None
    out = masks[0]
    for mask in masks[1:]:
        out = pc.and_(out, mask)
    return out
