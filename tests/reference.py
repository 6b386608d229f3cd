"""The reference build: the straightforward in-memory pipeline `build` ran before its columnar
engine (main at 48c07d9, with the name rules of issue 12), kept here as the oracle that
tests/test_equivalence.py holds the engine to. Every record is a Python object; duplicates,
spellings and the corpus-wide name rules are applied in Python.

Only the parsing and per-list rules (graph.ingest) and the per-paper child rows
(graph.tables.staging.CHILDREN) are shared with production; the corpus-wide pass, merge,
sorting, aggregation and counting are this module's own.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.ingest.identity import FIELD, resolve_names, safe_key_notes
from graph.ingest.kinds import author_kind
from graph.ingest.names import author_key, variant_groups
from graph.ingest.parse import expand_inputs
from graph.ingest.pipeline import read_file
from graph.model.records import ACTIONS, Author, Corpus, Note, Notice, Paper, Record, SourceFile
from graph.tables import schema as s
from graph.tables.persist import save_summary, save_variants, write_table
from graph.tables.staging import CHILDREN


def read_corpus(inputs: Iterable[str]) -> Corpus:
    """Read every digest under `inputs`; bad files and records become `rejected` entries."""
    files, rejected = expand_inputs(inputs)
    records: list[Record] = []
    sources: list[SourceFile] = []
    notices: list[Notice] = []
    controls = 0
    for source in files:
        read = read_file(source)
        records.extend(read.records)
        rejected.extend(read.rejected)
        notices.extend(read.notices)
        controls += read.controls
        if read.source is not None:
            sources.append(read.source)
    records = resolve(records)
    papers, authors = merge_records(records)
    authors = {key: replace(a, kind=author_kind(a.name)) for key, a in authors.items()}
    notes = [n for r in records for n in r.notes] + merge_notes(records)
    return Corpus(papers=papers, authors=authors,
                  variants=variant_groups(authors, {k: a.name for k, a in authors.items()}),
                  rejected=tuple(sorted(rejected, key=lambda r: (r.file, r.line, r.reason))),
                  files=len(files), records=len(records), sources=tuple(sources),
                  notices=tuple(sorted(notices, key=lambda n: (n.file, n.line, n.message))),
                  controls_removed=controls, notes=tuple(sorted(set(notes), key=_note_order)))


def _note_order(n: Note) -> tuple[str, int, str, str, str, str, str]:
    return n.file, n.line, n.field, n.action, n.rule, n.original, n.result


def build_reference(inputs: Iterable[str], out: Path) -> Corpus:
    """What `arxiv-kg build --formats none --no-store` wrote at 48c07d9."""
    corpus = read_corpus(inputs)
    save_corpus(corpus, out)
    save_summary(summarise(corpus), out)
    return corpus


def save_corpus(corpus: Corpus, out: Path) -> None:
    """The tables and variants of a corpus held in memory (hand-made ones in tests)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, table in corpus_tables(corpus).items():
        write_table(table, out / s.TABLES[name].file)
    save_variants(corpus.variants, out)


# --- corpus-wide name rules ---------------------------------------------------------------

def resolve(records: list[Record]) -> list[Record]:
    """Records with the corpus-wide rules applied to their author lists (notes added)."""
    known = Counter(key for _, key in {(r.paper.arxiv_id, key) for r in records for key in r.paper.authors})
    out = []
    for r in records:
        names, changes = resolve_names(r.author_names, known)
        notes = tuple(Note.of(*_where(r), FIELD, c) for c in changes)
        if names != r.author_names:
            paper = replace(r.paper, authors=tuple(map(author_key, names)), author_names=names)
            r = replace(r, paper=paper, author_names=names, notes=r.notes + notes)
        elif notes:
            r = replace(r, notes=r.notes + notes)
        out.append(r)
    return out


def _where(r: Record) -> tuple[str, int]:
    file, _, line = r.paper.sources[0].rpartition(":")
    return file, int(line)


def merge_notes(records: Iterable[Record]) -> list[Note]:
    """The safe key rule's notes, each spelling at the first place it was seen."""
    first: dict[str, tuple[str, int]] = {}
    for r in records:
        where = _where(r)
        for name in r.author_names:
            if name not in first or where < first[name]:
                first[name] = where
    return safe_key_notes(first)


# --- merge ---------------------------------------------------------------------------------

def merge_records(records: Iterable[Record]) -> tuple[tuple[Paper, ...], dict[str, Author]]:
    """One Paper per arXiv ID (newest version's fields) and one Author per identity key."""
    by_id: dict[str, list[Record]] = {}
    for r in records:
        by_id.setdefault(r.paper.arxiv_id, []).append(r)
    groups = [by_id[i] for i in sorted(by_id)]
    newest = [_newest(g) for g in groups]
    papers = tuple(_merged(best, g) for best, g in zip(newest, groups))
    return papers, _authors(papers, [r.author_names for r in newest])


def _newest(group: list[Record]) -> Record:
    # max() keeps the first of equals; sorting by source first makes the choice
    # independent of the order in which files were read.
    in_order = sorted(group, key=lambda r: _source_order(r.paper.sources[0]))
    return max(in_order, key=lambda r: (r.paper.version, r.paper.updated))


def _merged(best: Record, group: list[Record]) -> Paper:
    return replace(best.paper, versions=tuple(sorted({r.paper.version for r in group})),
                   sources=tuple(sorted((r.paper.sources[0] for r in group), key=_source_order)))


def _authors(papers: tuple[Paper, ...], names: list[tuple[str, ...]]) -> dict[str, Author]:
    """Spellings counted over the papers' author lists; the most frequent is the name."""
    counts = Counter(chain.from_iterable(names))
    papers_per_key = Counter(chain.from_iterable(map(set, (p.authors for p in papers))))
    spellings: dict[str, list[str]] = {}
    for name in counts:
        spellings.setdefault(author_key(name), []).append(name)
    authors = {}
    for key in sorted(spellings):
        ranked = tuple(sorted(spellings[key], key=lambda n: (-counts[n], n)))
        authors[key] = Author(key, ranked[0], ranked, papers_per_key[key])
    return authors


def _source_order(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return file, int(line)


# --- tables and counts ---------------------------------------------------------------------

def corpus_tables(corpus: Corpus) -> dict[str, pa.Table]:
    papers = corpus.papers
    rows: dict[str, list[dict[str, Any]]] = {
        "papers": [_paper_row(p) for p in papers],
        "authors": [{"key": a.key, "name": a.name, "spellings": list(a.spellings), "papers": a.papers,
                     "kind": a.kind} for a in corpus.authors.values()],
        "sources": [asdict(f) for f in sorted(corpus.sources, key=lambda f: f.file)],
        "rejected": [asdict(r) for r in corpus.rejected],
        "quality": [asdict(n) for n in corpus.notes],
    }
    for name, child_rows in CHILDREN.items():
        fields = [c.name for c in s.TABLES[name].columns][2:]
        rows[name] = [{"arxiv_id": p.arxiv_id, "position": position, **dict(zip(fields, row))}
                      for p in papers for position, row in enumerate(child_rows(p), 1)]
    return {name: pa.Table.from_pylist(r, schema=s.TABLES[name].schema) for name, r in rows.items()}


def _paper_row(p: Paper) -> dict[str, Any]:
    return {"arxiv_id": p.arxiv_id, "version": p.version, "versions": list(p.versions),
            "title": p.title, "abstract": p.abstract, "comment": p.comment,
            "journal_ref": p.journal_ref, "dois": list(p.dois), "primary_category": p.primary_category,
            "published": _timestamp(p.published), "updated": _timestamp(p.updated),
            "source": p.source, "sources": list(p.sources)}


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def summarise(corpus: Corpus) -> dict[str, Any]:
    papers = corpus.papers
    return {
        "files": corpus.files,
        "records": corpus.records,
        "papers": len(papers),
        "duplicates_merged": corpus.records - len(papers),
        "authors": len(corpus.authors),
        "authorships": sum(len(p.authors) for p in papers),
        "categories": len({c for p in papers for c in p.categories}),
        "subject_classes": len({sc for p in papers for sc in p.subject_classes}),
        "repositories": len({r for p in papers for r in p.repositories}),
        "papers_with_code": sum(1 for p in papers if p.repositories),
        "links": len({link.url for p in papers for link in p.links}),
        "mentions": sum(len(p.mentions) for p in papers),
        "author_variant_groups": len(corpus.variants),
        "organisations": sum(a.kind == "organisation" for a in corpus.authors.values()),
        "rejected": [asdict(r) for r in corpus.rejected],
        "warnings": [asdict(n) for n in corpus.notices],
        "control_characters_removed": corpus.controls_removed,
        "quality": quality_summary(corpus.notes),
    }


def quality_summary(notes: Iterable[Note]) -> dict[str, Any]:
    by_rule: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    totals: Counter[str] = Counter()
    for n in notes:
        by_rule[n.field][n.rule][n.action] += 1
        totals[n.action] += 1
    return {**{action: totals[action] for action in ACTIONS},
            "rules": {field: {rule: dict(sorted(counts.items())) for rule, counts in sorted(rules.items())}
                      for field, rules in sorted(by_rule.items())}}

