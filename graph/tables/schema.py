"""The KG's tables: one Arrow schema per Parquet file, documented column by column.

These schemas are the contract between the layers: ingest writes them, every later command
(analyses, RDF, exports, the Python API) reads them, and so can any Parquet reader (pandas,
polars, DuckDB, Spark) without this package. The README's schema table is generated from
``TABLES`` (tests/test_tables.py keeps the two in step).

Rows are sorted by the table's ``order`` columns, so that the same input gives byte-identical
files. Positions are 1-based and follow the order printed in the digest. Timestamps are UTC.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 1
TIMESTAMP = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    order: tuple[str, ...]  # sort key of the rows

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns],
                         metadata={"arxiv_kg.table": self.name,
                                   "arxiv_kg.schema_version": str(SCHEMA_VERSION)})


def _c(name: str, type_: pa.DataType, doc: str, nullable: bool = False) -> Column:
    return Column(name, type_, doc, nullable)


_STR, _INT, _LIST_STR = pa.string(), pa.int32(), pa.list_(pa.string())
_ID = _c("arxiv_id", _STR, "arXiv ID without version (`2105.14656`, `math/0309136`)")
_POSITION = _c("position", _INT, "1-based order within the paper")

PAPERS = Table("papers", "one row per paper: the newest version's fields", (
    _ID,
    _c("version", _INT, "newest version seen"),
    _c("versions", pa.list_(_INT), "every version seen, ascending"),
    _c("title", _STR, "title (mojibake repaired, NFC, whitespace collapsed)"),
    _c("abstract", _STR, "abstract"),
    _c("comment", _STR, "arXiv comments field", nullable=True),
    _c("journal_ref", _STR, "journal reference", nullable=True),
    _c("dois", _LIST_STR, "DOIs, de-duplicated case-insensitively"),
    _c("primary_category", _STR, "primary arXiv category", nullable=True),
    _c("published", TIMESTAMP, "first version's date"),
    _c("updated", TIMESTAMP, "newest version's date"),
    _c("source", _STR, "`file:line` of the record whose fields won"),
    _c("sources", _LIST_STR, "every `file:line` the paper was seen at, sorted"),
), ("arxiv_id",))

AUTHORSHIPS = Table("authorships", "one row per author of a paper, in printed order", (
    _ID, _POSITION,
    _c("author_key", _STR, "identity key (see `authors`)"),
    _c("name", _STR, "the spelling as printed on this paper (repaired)"),
), ("arxiv_id", "position"))

AUTHORS = Table("authors", "one row per author identity", (
    _c("key", _STR, "identity: NFC, spaced initials, case-folded"),
    _c("name", _STR, "display name: the most frequent spelling"),
    _c("spellings", _LIST_STR, "every spelling, most frequent first"),
    _c("papers", _INT, "number of papers"),
    _c("kind", _STR, "`person` or `organisation` (a team, consortium or company that signs papers)"),
), ("key",))

CATEGORIES = Table("categories", "one row per arXiv category of a paper", (
    _ID, _POSITION,
    _c("category", _STR, "arXiv category (`cs.CV`)"),
    _c("primary", pa.bool_(), "the paper's primary category"),
), ("arxiv_id", "position"))

SUBJECT_CLASSES = Table("subject_classes", "one row per ACM or MSC class of a paper", (
    _ID, _POSITION,
    _c("scheme", _STR, "`ACM` or `MSC`"),
    _c("code", _STR, "the class code (`I.5.4`, `68T45`)"),
    _c("edition", _STR, "the scheme edition the code is valid in (`2010` or `2020` for MSC, `1998` "
                        "for ACM); null for an invalid code, which is kept as a literal, never a concept",
       nullable=True),
), ("arxiv_id", "position"))

REPOSITORIES = Table("repositories", "one row per code repository linked from a paper", (
    _ID, _POSITION,
    _c("url", _STR, "canonical URL (lower-case owner/name)"),
    _c("host", _STR, "`github.com`, `gitlab.com`, ..."),
    _c("owner", _STR, "owner or group path; empty when the link hides it (git.io, anonymous.4open.science)"),
    _c("name", _STR, "repository name; empty when the link hides it (git.io)"),
), ("arxiv_id", "position"))

LINKS = Table("links", "one row per other link in a paper's abstract or comment", (
    _ID, _POSITION,
    _c("url", _STR, "the URL, percent-encoded where needed"),
    _c("kind", _STR, "project, video, huggingface, zenodo, doi, dataset, colab or profile"),
    _c("host", _STR, "host name"),
), ("arxiv_id", "position"))

MENTIONS = Table("mentions", "one row per other arXiv paper cited in abstract or comment", (
    _ID, _POSITION,
    _c("mentioned", _STR, "the cited paper's arXiv ID (it may not be in the KG)"),
), ("arxiv_id", "position"))

SOURCES = Table("sources", "one row per digest file read", (
    _c("file", _STR, "path from the input folder down (`cs.CV/2021/05/20210531.md`)"),
    _c("size", pa.int64(), "bytes"),
    _c("sha256", _STR, "content hash, hex"),
    _c("records", _INT, "records kept from it"),
    _c("rejected", _INT, "records or problems rejected in it"),
), ("file",))

REJECTED = Table("rejected", "one row per rejected record or file", (
    _c("file", _STR, "source file"),
    _c("line", _INT, "line of the record (0: the whole file)"),
    _c("reason", _STR, "why"),
), ("file", "line", "reason"))

QUALITY = Table("quality", "one row per value that ingest cleaned, merged, flagged or rejected", (
    _c("file", _STR, "source file of the record"),
    _c("line", _INT, "line of the record"),
    _c("field", _STR, "digest field: `Authors`, `Categories` or `Summary/Comment`"),
    _c("action", _STR, "`cleaned` (repaired), `merged` (two identities made one), `flagged` (kept, "
                       "listed for a curator) or `rejected` (dropped)"),
    _c("rule", _STR, "the rule that fired (`marker`, `latex`, ...; README, Data quality)"),
    _c("original", _STR, "the value as printed"),
    _c("result", _STR, "what it became (`|` between names it was cut into); empty when dropped"),
), ("file", "line", "field", "action", "rule", "original", "result"))

TABLES: dict[str, Table] = {t.name: t for t in (
    PAPERS, AUTHORSHIPS, AUTHORS, CATEGORIES, SUBJECT_CLASSES, REPOSITORIES, LINKS, MENTIONS,
    SOURCES, REJECTED, QUALITY)}


def markdown() -> str:
    """The README's schema section: one table of columns per Parquet file."""
    parts = []
    for table in TABLES.values():
        parts.append(f"`{table.file}`: {table.doc}; rows sorted by {', '.join(table.order)}.\n\n"
                     "| column | type | what |\n|---|---|---|\n")
        parts.extend(f"| `{c.name}` | {_type(c)} | {c.doc} |\n" for c in table.columns)
        parts.append("\n")
    return "".join(parts)


def _type(column: Column) -> str:
    text = str(column.type).replace("timestamp[us, tz=UTC]", "timestamp (µs, UTC)")
    text = text.replace("list<element: ", "list<").replace("list<item: ", "list<")
    return f"{text}, nullable" if column.nullable else text
