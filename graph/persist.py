"""Persist a Corpus as JSON Lines so later commands never re-parse Markdown (no pickle).

Layout of a KG folder (default ``out/``):
  papers.jsonl    one merged Paper per line, sorted by arXiv ID
  authors.jsonl   one Author per line, sorted by key
  variants.json   groups of author keys that may be one person (reported, not merged)
  rejected.json   every rejected record or file, with file, line and reason
  summary.json    counts (see graph.summary)
"""
from __future__ import annotations

from pathlib import Path

import orjson

from graph.errors import KGNotFound
from graph.fsutil import atomic_write
from graph.gcpause import paused_gc
from graph.records import Author, Corpus, Link, Paper, Rejected

PAPERS = "papers.jsonl"
AUTHORS = "authors.jsonl"
VARIANTS = "variants.json"
REJECTED = "rejected.json"
META = "corpus.json"

_DUMP_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def save_corpus(corpus: Corpus, out_dir: str | Path) -> None:
    out = Path(out_dir)
    # orjson serialises (slotted) dataclasses natively, far faster than dataclasses.asdict.
    _write_lines(out / PAPERS, corpus.papers)
    _write_lines(out / AUTHORS, (corpus.authors[k] for k in sorted(corpus.authors)))
    _write_json(out / VARIANTS, corpus.variants)
    _write_json(out / REJECTED, corpus.rejected)
    _write_json(out / META, {"files": corpus.files, "records": corpus.records})


def load_corpus(kg_dir: str | Path) -> Corpus:
    """Read back what save_corpus wrote; raise KGNotFound if the folder is not a KG."""
    with paused_gc():
        return _load(Path(kg_dir))


def _load(kg: Path) -> Corpus:
    missing = [n for n in (PAPERS, AUTHORS, META) if not (kg / n).is_file()]
    if missing:
        raise KGNotFound(f"{kg}: no knowledge graph here (missing {', '.join(missing)}); "
                         f"run `arxiv-kg build --out {kg}` first")
    papers = tuple(_paper(d) for d in _read_lines(kg / PAPERS))
    authors = {d["key"]: Author(**_tuples(d)) for d in _read_lines(kg / AUTHORS)}
    variants = tuple(tuple(g) for g in _read_json(kg / VARIANTS, []))
    rejected = tuple(Rejected(**r) for r in _read_json(kg / REJECTED, []))
    meta = _read_json(kg / META, {})
    return Corpus(papers=papers, authors=authors, variants=variants, rejected=rejected,
                  files=meta.get("files", 0), records=meta.get("records", 0))


def _paper(d: dict) -> Paper:
    d = _tuples(d)
    d["links"] = tuple(Link(**link) for link in d["links"])
    return Paper(**d)


def _tuples(d: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def _write_lines(path: Path, rows) -> None:
    with atomic_write(path) as fh:
        for row in rows:
            fh.write(orjson.dumps(row, option=_DUMP_OPTS))


def _write_json(path: Path, obj) -> None:
    with atomic_write(path) as fh:
        fh.write(orjson.dumps(obj, option=_DUMP_OPTS | orjson.OPT_INDENT_2))


def _read_lines(path: Path):
    with open(path, "rb") as fh:
        for line in fh:
            yield orjson.loads(line)


def _read_json(path: Path, default):
    return orjson.loads(path.read_bytes()) if path.is_file() else default
