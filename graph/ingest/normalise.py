"""Turn a RawRecord into a typed Record: IDs, DOIs, categories, dates, names, links."""
from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from graph.ingest import links
from graph.ingest.classes import parse_categories
from graph.ingest.names import author_key, clean_authors
from graph.ingest.text import clean
from graph.model.records import Change, Link, Note, Notice, Paper, RawRecord, Record, Rejected

__all__ = ["Invalid", "Normalised", "as_record", "normalise", "normalise_flat", "parse_arxiv_id",
           "parse_categories", "parse_dois", "parse_timestamp"]

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?/\d{7}"
_ARXIV_ID = re.compile(
    rf"^(?:https?://(?:www\.|export\.)?arxiv\.org/abs/)?(?:arXiv:)?({_NEW_ID}|{_OLD_ID})(?:v(\d+))?$",
    re.IGNORECASE,
)
_DIGEST_ID = re.compile(rf"http://arxiv\.org/abs/({_NEW_ID})v(\d+)")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?$")
REQUIRED = ("Arxiv ID", "Published", "Authors")
# Every digest lists a record's fields in one order, ending with Summary (all 27,563 records of
# the dev corpus do, none with an empty one). A record is complete when its Summary is there and
# not empty: a file cut anywhere before the abstract's end loses it (parse rejects a last record
# cut inside it), so a cut record never wins a merge over a complete copy from another file.
LAST_FIELD = "Summary"
_NEEDED = (*REQUIRED, LAST_FIELD)


class Invalid(ValueError):
    """A record field that cannot be interpreted; the record is rejected."""


class Normalised(NamedTuple):
    """One record's values, flat, in the staging table's order: what `normalise` makes a Record
    of, and what the ingest workers stage column by column. A tuple is built and transposed
    at C speed; a frozen Paper and Record, set field by field, cost several microseconds a
    record."""

    file: str
    line: int
    arxiv_id: str
    version: int
    title: str
    abstract: str
    comment: str | None
    journal_ref: str | None
    dois: tuple[str, ...]
    primary_category: str | None
    published: str
    updated: str
    authors: tuple[str, ...]  # author keys, in order
    author_names: tuple[str, ...]  # display spellings, in order
    categories: tuple[str, ...]
    subject_classes: tuple[str, ...]
    repositories: tuple[str, ...]
    links: tuple[Link, ...]
    mentions: tuple[str, ...]
    notices: tuple[Notice, ...]
    notes: tuple[Note, ...]


def normalise(raw: RawRecord) -> Record | Rejected:
    flat = normalise_flat(raw)
    return flat if isinstance(flat, Rejected) else as_record(flat)


def normalise_flat(raw: RawRecord) -> Normalised | Rejected:
    """`normalise` without the Record: its values, flat."""
    try:
        return _record(raw)
    except Invalid as exc:
        return Rejected(raw.file, raw.line, str(exc))


def as_record(n: Normalised) -> Record:
    """The Record of one record's normalised values: the paper as this record alone describes it."""
    where = f"{n.file}:{n.line}"
    paper = Paper(
        arxiv_id=n.arxiv_id, version=n.version, versions=(n.version,), title=n.title, dois=n.dois,
        primary_category=n.primary_category, categories=n.categories, subject_classes=n.subject_classes,
        published=n.published, updated=n.updated, authors=n.authors, comment=n.comment,
        journal_ref=n.journal_ref, abstract=n.abstract, repositories=n.repositories, links=n.links,
        mentions=n.mentions, sources=(where,), source=where, author_names=n.author_names,
    )
    return Record(paper, n.author_names, n.notices, n.notes)


def _record(raw: RawRecord) -> Normalised:
    f = raw.fields
    needed = list(map(f.get, _NEEDED))  # each one present, not "None" and not blank: _value in C calls
    if None in needed or "None" in needed or not all(map(str.strip, needed)) or not raw.title:  # type: ignore[arg-type]
        missing = [name for name in _NEEDED if not _value(f.get(name))]
        what = ", ".join(missing) if missing else "title"
        raise Invalid(f"truncated record: no {what}")
    arxiv_id, version = parse_arxiv_id(f["Arxiv ID"])
    primary, categories, subjects, class_changes = parse_categories(f.get("Categories", ""))
    names, name_changes = clean_authors(f["Authors"])
    if not names:
        raise Invalid("truncated record: no authors")
    abstract = clean(f.get("Summary", ""))
    comment = _text(f.get("Comment"))
    (repos, found, mentions), link_changes = links.extract_noted(f"{abstract} {comment or ''}")
    if arxiv_id in mentions:  # a paper does not mention itself
        mentions = tuple(m for m in mentions if m != arxiv_id)
    published = parse_timestamp(f["Published"], "Published")
    updated, notices = _updated(raw, published)
    if raw.controls:
        notices.append(Notice(raw.file, raw.line, f"removed {raw.controls:,} control "
                                                  f"character{'s' * (raw.controls > 1)} (NUL, ESC, ...)"))
    return Normalised(
        raw.file, raw.line, arxiv_id, version, clean(raw.title), abstract, comment, _text(f.get("Journal")),
        parse_dois(f.get("DOI")), primary, published, updated, tuple(map(author_key, names)), names,
        categories, subjects, repos, found, mentions, tuple(notices),
        _notes(raw, ("Authors", name_changes), ("Categories", class_changes), ("Summary/Comment", link_changes))
        if name_changes or class_changes or link_changes else ())  # most records: nothing was cleaned


def _notes(raw: RawRecord, *fields: tuple[str, tuple[Change, ...]]) -> tuple[Note, ...]:
    return tuple(Note.of(raw.file, raw.line, field, c) for field, changes in fields for c in changes)


def _updated(raw: RawRecord, published: str) -> tuple[str, list[Notice]]:
    """The Updated timestamp; Published, with a notice, when it is malformed (the record is fine)."""
    value = _value(raw.fields.get("Updated"))
    if value is None or value == raw.fields["Published"]:  # most often the same string
        return published, []
    try:
        return parse_timestamp(value, "Updated"), []
    except Invalid as exc:
        return published, [Notice(raw.file, raw.line, f"{exc}; using Published")]


def _value(v: str | None) -> str | None:
    return None if v is None or v == "None" or not v.strip() else v


def _text(v: str | None) -> str | None:
    v = _value(v)
    return clean(v) if v else None


def parse_arxiv_id(value: str) -> tuple[str, int]:
    """`http://arxiv.org/abs/2105.14656v2` -> ("2105.14656", 2); old IDs drop their subject class."""
    m = _DIGEST_ID.fullmatch(value)  # as every digest writes it: a case-sensitive, simpler pattern
    if m is not None:
        return m[1], int(m[2])
    m = _ARXIV_ID.match(value.strip())
    if not m:
        raise Invalid(f"malformed Arxiv ID {value[:80]!r}")
    ident, version = m.group(1), int(m.group(2) or 1)
    if "/" in ident:  # math.GT/0309136 is math/0309136
        archive, number = ident.split("/")
        ident = f"{archive.split('.')[0].lower()}/{number}"
    return ident, version


def parse_dois(value: str | None) -> tuple[str, ...]:
    """Every DOI in a DOI field, deduplicated case-insensitively (DOIs are case-insensitive)."""
    value = _value(value)
    if value is None:
        return ()
    seen: dict[str, str] = {}
    for token in value.split():
        m = _DOI.match(token.strip(".,;"))
        if m:
            seen.setdefault(m.group(1).lower(), m.group(1))
    return tuple(seen.values())


def parse_timestamp(value: str, field: str) -> str:
    """`2021-05-31 00:49:34+00:00` -> `2021-05-31T00:49:34+00:00` (xsd:dateTime form)."""
    value = value.strip()
    if len(value) == 25 and value[10] == " " and value.endswith("+00:00"):
        try:  # the form every real digest uses; fromisoformat still checks the calendar
            datetime.fromisoformat(value)
            return f"{value[:10]}T{value[11:]}"
        except ValueError:
            raise Invalid(f"malformed {field} timestamp {value!r}") from None
    if not _TIMESTAMP.match(value):
        raise Invalid(f"malformed {field} timestamp {value[:40]!r}")
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"malformed {field} timestamp {value[:40]!r}") from None
    return stamp.isoformat() if stamp.tzinfo else stamp.isoformat() + "+00:00"
