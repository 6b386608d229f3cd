"""The reference build: the straightforward in-memory pipeline `build` ran before its columnar
engine (main at 48c07d9, with the name rules of issue 12), kept here as the oracle that
tests/test_equivalence.py holds the engine to. Every record is a Python object; duplicates,
spellings and the corpus-wide name rules are applied in Python.

Only the parsing and per-list rules (graph.ingest) and the per-paper child rows
(graph.tables.staging.CHILDREN) are shared with production; the corpus-wide pass, merge,
sorting, aggregation, counting and author variants are this module's own.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.analysis.projection import DEFAULT_MAX_PAIRS, Filters, Projection, Tables, project_tables
from graph.errors import KGNotFound
from graph.gcpause import paused_gc
from graph.ingest.identity import FIELD, resolve_names, safe_key_notes
from graph.ingest.kinds import author_kind
from graph.ingest.names import (
    TWIN_FEATURES,
    author_key,
    loose_key,
    lost_first_letter,
    twin_key,
    twin_reason,
)
from graph.ingest.parse import expand_inputs
from graph.ingest.pipeline import read_file
from graph.model.records import (
    ACTIONS,
    Author,
    Corpus,
    Link,
    Note,
    Notice,
    Paper,
    Record,
    Rejected,
    SourceFile,
    VariantGroup,
)
from graph.tables import schema as s
from graph.tables.persist import (
    REQUIRED,
    iso,
    load_notes,
    read_table,
    read_variants,
    save_summary,
    save_variants,
    write_table,
)
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


# --- author variants ------------------------------------------------------------------------

def variant_groups(keys: Iterable[str], names: Mapping[str, str] | None = None) -> tuple[VariantGroup, ...]:
    """Groups of keys that are likely one person, each with a reason and a confidence, found
    key by key with Python dicts (graph.tables.variants finds them over the table's columns).

    Split twins (see twin_key), an abbreviated name whose initials fit exactly one full name
    ("j. smith" / "john smith"), and, given the display `names`, a name that lost its first
    letter ("ane Doe" / "Jane Doe"). Listed for review, never merged: "Wei Wang" and
    "W. Wang" may well be two people.
    """
    ordered = sorted(keys)
    by_twin: dict[str, list[str]] = defaultdict(list)
    for key in ordered:
        by_twin[twin_key(key)].append(key)
    groups = {tuple(g): _twin_reason(g) for g in by_twin.values() if len(g) > 1}
    by_loose: dict[str, list[str]] = {}
    for key in ordered:
        by_loose.setdefault(loose_key(key), []).append(key)
    for group in _initial_groups(by_loose):
        groups.setdefault(group, ("initials", "high"))
    for group in _lost_letter_groups(by_twin, names or {}):
        groups.setdefault(group, ("first letter lost", "low"))
    return tuple(VariantGroup(g, *groups[g]) for g in sorted(groups))


def _twin_reason(group: list[str]) -> tuple[str, str]:
    differing = []
    for name, _ in TWIN_FEATURES:
        others = [fold for other, fold in TWIN_FEATURES if other != name]
        if len({_fold_all(k, others) for k in group}) > 1:
            differing.append(name)
    return twin_reason(differing)


def _fold_all(key: str, folds) -> str:
    for fold in folds:
        key = fold(key)
    return key


def _lost_letter_groups(by_twin: dict[str, list[str]], names: Mapping[str, str]) -> set[tuple[str, ...]]:
    """Pair "ane doe" (printed with a lower-case first letter) with the one "jane doe" it fits."""
    out = set()
    for key, name in names.items():
        if not lost_first_letter(name):
            continue
        twin = twin_key(key)
        fits = {k for letter in "abcdefghijklmnopqrstuvwxyz" for k in by_twin.get(letter + twin, ())}
        if len(fits) == 1:
            out.add(tuple(sorted({key, *fits})))
    return out


def _initial_groups(by_loose: dict[str, list[str]]) -> set[tuple[str, ...]]:
    """Pair "j. smith" with "john smith" when exactly one full name fits the initials."""
    abbreviated: dict[str, list[str]] = {}
    full: list[tuple[list[str], list[str]]] = []
    for loose, keys in by_loose.items():
        parts = loose.split(" ")
        if len(parts) < 2:
            continue
        if len(loose) - len(parts[-1]) == 2 * (len(parts) - 1):  # all but the surname are one letter
            abbreviated[loose] = keys
        else:
            full.append((parts, keys))
    # Only full names that share a surname with an abbreviated one can match it.
    surnames = {loose.rpartition(" ")[2] for loose in abbreviated}
    full_by_abbrev: dict[str, list[str]] = defaultdict(list)
    for parts, keys in full:
        if parts[-1] in surnames:
            full_by_abbrev[" ".join([p[0] for p in parts[:-1]] + parts[-1:])].extend(keys)
    return {tuple(sorted(keys + full_by_abbrev[loose])) for loose, keys in abbreviated.items()
            if len(set(full_by_abbrev.get(loose, ()))) == 1}


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


# --- a KG read back into Python objects, and its co-author projection ----------------------

def load_corpus(kg_dir: str | Path) -> Corpus:
    """A KG folder's tables read back as a Corpus of Python objects, the shape the reference
    pipeline holds; raise KGNotFound if the folder is not a KG."""
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
    authors = {d["key"]: Author(d["key"], d["name"], tuple(d["spellings"]), d["papers"], d["kind"])
               for d in read_table(kg, "authors").to_pylist()}
    variants = tuple(VariantGroup(tuple(g["keys"]), g["reason"], g["confidence"])
                     for g in read_variants(kg))
    rejected = tuple(Rejected(**r) for r in read_table(kg, "rejected").to_pylist())
    sources = tuple(SourceFile(**f) for f in read_table(kg, "sources").to_pylist())
    return Corpus(papers=papers, authors=authors, variants=variants, rejected=rejected,
                  files=len(sources), records=sum(f.records for f in sources), sources=sources,
                  notes=load_notes(kg))


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


@dataclass(frozen=True, eq=False)
class CorpusProjection(Projection):
    """A projection of a Corpus held in memory, which keeps the papers it used."""

    papers: tuple[Paper, ...] = ()

    def joint_papers(self, a: str, b: str) -> list[Paper]:
        """Papers (of those used) that both authors signed, in corpus order."""
        return [p for p in self.papers if a in p.authors and b in p.authors]


def project(corpus: Corpus, *, max_pairs: int = DEFAULT_MAX_PAIRS, **filters: Any) -> CorpusProjection:
    """The analyses' projection of a Corpus held in memory."""
    tables = corpus_tables(corpus)
    proj = project_tables(Tables(tables["papers"], tables["authorships"], tables["authors"],
                                 tables["categories"]), Filters(**filters), max_pairs=max_pairs)
    used = set(proj.paper_ids.to_pylist())
    fields = {name: getattr(proj, name) for name in Projection.__dataclass_fields__}
    return CorpusProjection(**fields, papers=tuple(p for p in corpus.papers if p.arxiv_id in used))
