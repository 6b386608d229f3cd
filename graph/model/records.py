"""Typed records that flow through the pipeline: parse -> normalise -> merge -> graph."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record or file that could not be used, with where it was found."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something odd about a record or file that was kept anyway (a warning), with where."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Change:
    """One value that ingest cleaned, merged, flagged or rejected (see ACTIONS)."""

    action: str
    rule: str  # what was wrong, e.g. "marker" (the README lists every rule)
    original: str
    result: str  # "" when the value was dropped


ACTIONS = ("cleaned", "merged", "flagged", "rejected")
"""cleaned: a value repaired; merged: two identities made one; flagged: kept as it is but
listed for a curator (an organisation, an invalid class code); rejected: a value dropped."""


@dataclass(frozen=True, slots=True)
class Note:
    """A Change, with the field and the digest record (file, line) it was found in."""

    file: str
    line: int
    field: str  # the digest field: Authors, Categories, Summary/Comment
    action: str
    rule: str
    original: str
    result: str

    @classmethod
    def of(cls, file: str, line: int, field: str, change: Change) -> Note:
        return cls(file, line, field, change.action, change.rule, change.original, change.result)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One `### title` block as read from a digest: field name -> joined value."""

    file: str
    line: int
    title: str
    fields: dict[str, str] = field(hash=False, compare=True)
    controls: int = 0  # C0 control characters removed from the block (NUL, ESC, ...)


@dataclass(frozen=True, slots=True)
class Link:
    """A URL found in free text. `kind` is 'repository' or a link class ('project', 'video', ...)."""

    url: str
    kind: str


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper after merging duplicate records: the newest version's fields."""

    arxiv_id: str
    version: int
    versions: tuple[int, ...]  # every version seen, ascending
    title: str
    dois: tuple[str, ...]
    primary_category: str | None
    categories: tuple[str, ...]
    subject_classes: tuple[str, ...]
    published: str
    updated: str
    authors: tuple[str, ...]  # author keys (see graph.names.author_key), in order
    comment: str | None
    journal_ref: str | None
    abstract: str
    repositories: tuple[str, ...]
    links: tuple[Link, ...]
    mentions: tuple[str, ...]
    sources: tuple[str, ...]  # every "file:line" the paper was seen at, sorted
    # The winning record's own "file:line" and its author spellings as printed (authors: keys).
    source: str = ""
    author_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """One normalised record: a single version of a paper as seen in one file.

    `paper` is the paper as this record alone describes it (one version, one source), so
    that a paper seen once needs no second object when duplicates are merged.
    """

    paper: Paper
    author_names: tuple[str, ...]  # repaired display spellings, in order (paper.authors: keys)
    notices: tuple[Notice, ...] = ()  # what was repaired to keep it (a bad Updated, controls)
    notes: tuple[Note, ...] = ()  # what cleaning changed, flagged or dropped in its values


@dataclass(frozen=True, slots=True)
class Author:
    """One author identity: `key` is the identity, `name` the most frequent spelling."""

    key: str
    name: str
    spellings: tuple[str, ...]  # every spelling seen, most frequent first
    papers: int
    kind: str = "person"  # or "organisation": a team, consortium or company listed as an author


@dataclass(frozen=True, slots=True)
class VariantGroup:
    """Author keys that may be one person, left unmerged: why, and how likely they are one."""

    keys: tuple[str, ...]  # sorted
    reason: str  # e.g. "accents", "hyphens", "initials", "spacing+hyphens"
    confidence: str  # high, medium or low


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One digest file read: its label, size, content hash and what came of it."""

    file: str
    size: int
    sha256: str
    records: int  # records read from it, kept or not
    rejected: int  # records or problems rejected in it


@dataclass(frozen=True, slots=True)
class Corpus:
    """Everything `build` persists: merged papers sorted by ID, authors sorted by key."""

    papers: tuple[Paper, ...]
    authors: dict[str, Author]
    variants: tuple[VariantGroup, ...] = ()  # groups of author keys that may be one person
    rejected: tuple[Rejected, ...] = ()
    files: int = 0
    records: int = 0
    sources: tuple[SourceFile, ...] = ()
    notices: tuple[Notice, ...] = ()  # records and files kept with a warning
    controls_removed: int = 0  # C0 control characters removed from records
    notes: tuple[Note, ...] = ()  # every value cleaned, merged, flagged or rejected, sorted

    def organisation_keys(self) -> frozenset[str]:
        """Keys of the authors that are teams, consortia or companies: person rankings leave
        them out unless asked to include them (`--include-organisations`)."""
        return frozenset(key for key, a in self.authors.items() if a.kind == "organisation")
