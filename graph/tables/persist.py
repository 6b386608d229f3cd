"""Persist a Corpus as the KG's Parquet tables (graph.tables.schema), and read it back.

Layout of a KG folder (default ``out/``):
  <table>.parquet  papers, authorships, authors, categories, subject_classes, repositories,
                   links, mentions, sources, rejected (see graph.tables.schema)
  variants.json    groups of author keys that may be one person (reported, not merged)
  summary.json     counts (see graph.tables.summary), written by save_summary

Every file is written atomically, with fixed row-group sizes and compression, so that the same
corpus gives byte-identical files.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from graph.errors import KGNotFound
from graph.fsutil import atomic_write
from graph.gcpause import paused_gc
from graph.model.records import Author, Corpus, Link, Paper, Rejected, SourceFile
from graph.tables import schema as s

VARIANTS = "variants.json"
SUMMARY = "summary.json"
REQUIRED = (s.PAPERS.file, s.AUTHORSHIPS.file, s.AUTHORS.file)
ROW_GROUP = 64 * 1024
COMPRESSION = "zstd"
_DUMP_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE | orjson.OPT_INDENT_2


def save_corpus(corpus: Corpus, out_dir: str | Path) -> None:
    out = Path(out_dir)
    for name, table in corpus_tables(corpus).items():
        write_table(table, out / s.TABLES[name].file)
    _write_json(out / VARIANTS, corpus.variants)


def save_summary(summary: dict, out_dir: str | Path) -> None:
    _write_json(Path(out_dir) / SUMMARY, summary)


def write_table(table: pa.Table, path: Path) -> None:
    with atomic_write(path) as fh:
        pq.write_table(table, fh, row_group_size=ROW_GROUP, compression=COMPRESSION)


def corpus_tables(corpus: Corpus) -> dict[str, pa.Table]:
    """Every table of the schema, from a Corpus held in memory."""
    papers = corpus.papers
    rows: dict[str, Iterable[dict[str, Any]]] = {
        "papers": map(_paper_row, papers),
        "authorships": _children(papers, lambda p: zip(p.authors, p.author_names or p.authors),
                                 lambda kn, _: {"author_key": kn[0], "name": kn[1]}),
        "authors": ({"key": a.key, "name": a.name, "spellings": list(a.spellings), "papers": a.papers}
                    for a in (corpus.authors[k] for k in sorted(corpus.authors))),
        "categories": _children(papers, lambda p: p.categories,
                                lambda c, p: {"category": c, "primary": c == p.primary_category}),
        "subject_classes": _children(papers, lambda p: p.subject_classes, _subject_row),
        "repositories": _children(papers, lambda p: p.repositories, _repository_row),
        "links": _children(papers, lambda p: p.links,
                           lambda link, _: {"url": link.url, "kind": link.kind,
                                            "host": urlsplit(link.url).hostname or ""}),
        "mentions": _children(papers, lambda p: p.mentions, lambda m, _: {"mentioned": m}),
        "sources": ({"file": f.file, "size": f.size, "sha256": f.sha256, "records": f.records,
                     "rejected": f.rejected} for f in sorted(corpus.sources, key=lambda f: f.file)),
        "rejected": ({"file": r.file, "line": r.line, "reason": r.reason} for r in corpus.rejected),
    }
    return {name: pa.Table.from_pylist(list(r), schema=s.TABLES[name].schema) for name, r in rows.items()}


def _children(papers: Iterable[Paper], items, row) -> Iterator[dict[str, Any]]:
    for p in papers:
        for position, item in enumerate(items(p), 1):
            yield {"arxiv_id": p.arxiv_id, "position": position, **row(item, p)}


def _paper_row(p: Paper) -> dict[str, Any]:
    return {"arxiv_id": p.arxiv_id, "version": p.version, "versions": list(p.versions),
            "title": p.title, "abstract": p.abstract, "comment": p.comment,
            "journal_ref": p.journal_ref, "dois": list(p.dois), "primary_category": p.primary_category,
            "published": _timestamp(p.published), "updated": _timestamp(p.updated),
            "source": p.source or p.sources[0], "sources": list(p.sources)}


def _subject_row(sc: str, _: Paper) -> dict[str, Any]:
    scheme, code = sc.split(":", 1)
    return {"scheme": scheme, "code": code}


def _repository_row(url: str, _: Paper) -> dict[str, Any]:
    parts = urlsplit(url)
    owner, _sep, name = parts.path.strip("/").partition("/")
    return {"url": url, "host": parts.hostname or "", "owner": owner, "name": name}


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def iso(stamp: datetime) -> str:
    """A table timestamp as the xsd:dateTime text the digests give (`2021-05-31T07:07:48+00:00`)."""
    return stamp.astimezone(timezone.utc).isoformat()


# --- reading back ----------------------------------------------------------------------

def read_table(kg_dir: str | Path, name: str, columns: list[str] | None = None, *,
               dictionary: bool = False) -> pa.Table:
    """One table; `dictionary` keeps string columns dictionary-encoded, as Parquet stores them."""
    path = Path(kg_dir) / s.TABLES[name].file
    if not path.is_file():
        raise KGNotFound(f"{kg_dir}: no knowledge graph here (missing {path.name}); "
                         f"run `arxiv-kg build --out {kg_dir}` first")
    # ParquetFile, not pq.read_table: that one imports pyarrow.dataset, and with it pandas when
    # installed (0.7 s of CPU before a command can start).
    with pq.ParquetFile(path, read_dictionary=columns if dictionary else None) as parquet:
        return parquet.read(columns=columns)


def load_corpus(kg_dir: str | Path) -> Corpus:
    """Read back what save_corpus wrote; raise KGNotFound if the folder is not a KG."""
    kg = Path(kg_dir)
    missing = [n for n in REQUIRED if not (kg / n).is_file()]
    if missing:
        raise KGNotFound(f"{kg}: no knowledge graph here (missing {', '.join(missing)}); "
                         f"run `arxiv-kg build --out {kg}` first")
    with paused_gc():
        return _load(kg)


def _load(kg: Path) -> Corpus:
    children = {name: _grouped(read_table(kg, name).to_pylist())
                for name in ("authorships", "categories", "subject_classes", "repositories", "links",
                             "mentions")}
    papers = tuple(_paper(d, children) for d in read_table(kg, "papers").to_pylist())
    authors = {d["key"]: Author(d["key"], d["name"], tuple(d["spellings"]), d["papers"])
               for d in read_table(kg, "authors").to_pylist()}
    variants = tuple(tuple(g) for g in _read_json(kg / VARIANTS, []))
    rejected = tuple(Rejected(**r) for r in read_table(kg, "rejected").to_pylist())
    sources = tuple(SourceFile(**f) for f in read_table(kg, "sources").to_pylist())
    return Corpus(papers=papers, authors=authors, variants=variants, rejected=rejected,
                  files=len(sources), records=sum(f.records for f in sources), sources=sources)


def _grouped(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["arxiv_id"], []).append(row)
    return out


def _paper(d: dict[str, Any], children: dict[str, dict[str, list[dict[str, Any]]]]) -> Paper:
    pid = d["arxiv_id"]

    def rows(name: str) -> list[dict[str, Any]]:
        return children[name].get(pid, [])

    authorships = rows("authorships")
    return Paper(
        arxiv_id=pid, version=d["version"], versions=tuple(d["versions"]), title=d["title"],
        dois=tuple(d["dois"]), primary_category=d["primary_category"],
        categories=tuple(r["category"] for r in rows("categories")),
        subject_classes=tuple(f"{r['scheme']}:{r['code']}" for r in rows("subject_classes")),
        published=iso(d["published"]), updated=iso(d["updated"]),
        authors=tuple(r["author_key"] for r in authorships), comment=d["comment"],
        journal_ref=d["journal_ref"], abstract=d["abstract"],
        repositories=tuple(r["url"] for r in rows("repositories")),
        links=tuple(Link(r["url"], r["kind"]) for r in rows("links")),
        mentions=tuple(r["mentioned"] for r in rows("mentions")),
        sources=tuple(d["sources"]), source=d["source"],
        author_names=tuple(r["name"] for r in authorships))


def _write_json(path: Path, obj: Any) -> None:
    with atomic_write(path) as fh:
        fh.write(orjson.dumps(obj, option=_DUMP_OPTS))


def _read_json(path: Path, default: Any) -> Any:
    return orjson.loads(path.read_bytes()) if path.is_file() else default
