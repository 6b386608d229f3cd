"""Persist a Corpus as JSON Lines so later commands never re-parse Markdown (no pickle).

Layout of a KG folder (default ``out/``):
  papers.jsonl    one merged Paper per line, sorted by arXiv ID
  authors.jsonl   one Author per line, sorted by key
  variants.json   groups of author keys that may be one person (reported, not merged)
  rejected.json   every rejected record or file, with file, line and reason
  corpus.json     how many files and records were read
  summary.json    counts (see graph.tables.summary), written by save_summary
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from graph.errors import KGNotFound
from graph.fsutil import atomic_write
from graph.gcpause import paused_gc
from graph.model.records import Author, Corpus, Link, Paper, Rejected

PAPERS = "papers.jsonl"
AUTHORS = "authors.jsonl"
VARIANTS = "variants.json"
REJECTED = "rejected.json"
META = "corpus.json"
SUMMARY = "summary.json"

_DUMP_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_ROWS_PER_WRITE = 64
# Paper's tuple fields of plain values (links hold Link objects and are rebuilt apart).
_PAPER_TUPLES = tuple(f.name for f in fields(Paper) if f.type.startswith("tuple") and f.name != "links")


def save_corpus(corpus: Corpus, out_dir: str | Path) -> None:
    out = Path(out_dir)
    # orjson serialises (slotted) dataclasses natively, far faster than dataclasses.asdict.
    _write_lines(out / PAPERS, corpus.papers)
    _write_lines(out / AUTHORS, (corpus.authors[k] for k in sorted(corpus.authors)))
    _write_json(out / VARIANTS, corpus.variants)
    _write_json(out / REJECTED, corpus.rejected)
    _write_json(out / META, {"files": corpus.files, "records": corpus.records})


def save_summary(summary: dict, out_dir: str | Path) -> None:
    _write_json(Path(out_dir) / SUMMARY, summary)


def load_corpus(kg_dir: str | Path) -> Corpus:
    """Read back what save_corpus wrote; raise KGNotFound if the folder is not a KG."""
    with paused_gc():
        return _load(Path(kg_dir))


def _load(kg: Path) -> Corpus:
    missing = [n for n in (PAPERS, AUTHORS, META) if not (kg / n).is_file()]
    if missing:
        raise KGNotFound(f"{kg}: no knowledge graph here (missing {', '.join(missing)}); "
                         f"run `arxiv-kg build --out {kg}` first")
    papers = tuple(map(_paper, _read_lines(kg / PAPERS)))
    authors = {a.key: a for a in map(_author, _read_lines(kg / AUTHORS))}
    variants = tuple(tuple(g) for g in _read_json(kg / VARIANTS, []))
    rejected = tuple(Rejected(**r) for r in _read_json(kg / REJECTED, []))
    meta = _read_json(kg / META, {})
    return Corpus(papers=papers, authors=authors, variants=variants, rejected=rejected,
                  files=meta.get("files", 0), records=meta.get("records", 0))


def _paper(d: dict) -> Paper:
    # Converting just the fields that JSON turns into lists beats testing every value.
    for name in _PAPER_TUPLES:
        d[name] = tuple(d[name])
    links = d["links"]
    d["links"] = tuple([Link(**link) for link in links]) if links else ()
    return Paper(**d)


def _author(d: dict) -> Author:
    d["spellings"] = tuple(d["spellings"])
    return Author(**d)


def _write_lines(path: Path, rows: Iterable[Any]) -> None:
    # One write per row costs more than serialising the row. Small batches (~100 kB of
    # papers) stay below malloc's mmap threshold, so their buffer is reused: 1,000-row
    # batches were slower, each freshly mapped and page-faulted in.
    dump = partial(orjson.dumps, option=_DUMP_OPTS)
    rows = iter(rows)
    with atomic_write(path) as fh:
        while batch := b"".join(map(dump, islice(rows, _ROWS_PER_WRITE))):
            fh.write(batch)


def _write_json(path: Path, obj) -> None:
    with atomic_write(path) as fh:
        fh.write(orjson.dumps(obj, option=_DUMP_OPTS | orjson.OPT_INDENT_2))


def _read_lines(path: Path):
    with open(path, "rb") as fh:
        for line in fh:
            yield orjson.loads(line)


def _read_json(path: Path, default):
    return orjson.loads(path.read_bytes()) if path.is_file() else default
