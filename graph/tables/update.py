"""An update of a KG's tables: read only the digests that are new or changed, and give exactly
the tables a full build of the same inputs gives.

    plan = plan_update(base, inputs)                       # which files changed (graph.tables.plan)
    new = stage_changes(plan, scratch, jobs=...)          # read those files only
    result = write_update(plan, new, base, draft, ...)    # state, tables, variants, summary

Exactness by construction: a generation keeps every staged record (graph.tables.state); the
update's records are those minus the records of changed and vanished files plus the new files'
records, and they go through the build's own code (graph.tables.build). Two ways:

* splice (the default where it applies): the build's merge runs on the records of the affected
  papers only (every paper that gained or lost a record), and the authors' rows are recomputed
  for every author key those papers had or have; every other row is copied from the previous
  tables. It is exact because the merge rules are per paper (papers and child tables), per
  author key (authors) and per file (sources, rejected); what the build computes from the whole
  corpus (build.CORPUS_WIDE: variants, summary) is computed whole again, from the new tables.
* full: the build's merge over every record. Used when asked (`--full`), and whenever the build
  lists a corpus-wide step this module does not know, or writes a table it does not know.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from graph.crash import crash_point
from graph.tables import build, engine, state
from graph.tables import schema as s
from graph.tables.facts import Staged
from graph.tables.ingest import Steps, no_steps, stage_sources
from graph.tables.persist import read_table, write_batches
from graph.tables.plan import Plan, compose
from graph.tables.staging import CHILDREN

PER_PAPER = ("papers", *CHILDREN)
PER_FILE = ("sources", "rejected")
_SPLICEABLE = {*PER_PAPER, "authors", *PER_FILE}
_KNOWN_CORPUS_WIDE = {"variants", "summary"}


@dataclass(frozen=True)
class Change:
    """What an update changed (files by label; papers by arXiv ID; authors by key)."""

    files_added: tuple[str, ...] = ()
    files_changed: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    papers_added: int = 0
    papers_updated: int = 0
    papers_withdrawn: int = 0
    authors_added: int = 0
    authors_removed: int = 0
    records_withdrawn: int = 0
    method: str = "none"  # splice or full

    @property
    def files(self) -> bool:
        return bool(self.files_added or self.files_changed or self.files_removed)


@dataclass(frozen=True)
class Written:
    """An update's tables: the summary, what changed, and the papers and authors whose rows may
    differ from the previous generation's (what the store's delta is computed for)."""

    summary: dict[str, Any]
    change: Change
    papers: frozenset[str]
    authors: frozenset[str]


# --- reading ---------------------------------------------------------------------------

def stage_changes(plan: Plan, folder: Path, *, jobs: int, steps: Steps = no_steps) -> Staged:
    """Read the files the plan must read into staging files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return stage_sources(list(plan.to_read), [], folder, jobs=max(1, min(jobs, len(plan.to_read))),
                         steps=steps)


# --- writing ---------------------------------------------------------------------------

def write_update(plan: Plan, new: Staged, base: Path, out: Path, *, jobs: int, full: bool = False,
                 steps: Steps = no_steps, reuse: Any = None) -> Written:
    """Write the new generation's state and tables into `out`. `reuse(name)` hard-links a file
    of the base generation (generations.Draft.reuse)."""
    found = compose(plan, new, out / state.RECORDS_DIR)
    withdrawn = _withdrawn(plan, found)
    con = engine.connect(new.folder, jobs)
    try:
        with steps("records kept for updates"):
            withdrawn_ids = _write_state(con, plan, found, new, base, out, withdrawn, reuse)
        crash_point("update:state")
        if full or not splice_applies():
            written = _full(found, base, out, jobs=jobs, steps=steps)
        else:
            papers = withdrawn_ids | _ids(con, _staging(new))
            written = _splice(con, found, base, out, papers, jobs=jobs, steps=steps)
    finally:
        con.close()
    change = _change(plan, found, written, base, out, withdrawn)
    return replace(written, change=change)


def splice_applies() -> bool:
    return set(s.TABLES) == _SPLICEABLE and set(build.CORPUS_WIDE) <= _KNOWN_CORPUS_WIDE


def _withdrawn(plan: Plan, found: Staged) -> set[str]:
    """Labels whose stored records go: changed or vanished files."""
    now = {f.source.file: f.source.sha256 for f in found.facts}
    return {label for label, f in plan.old.items() if now.get(label) != f.source.sha256}


def _staging(new: Staged) -> list[Path]:
    return sorted(new.folder.glob("*.parquet"))


def _write_state(con: duckdb.DuckDBPyConnection, plan: Plan, found: Staged, new: Staged,
                 base: Path, out: Path, withdrawn: set[str], reuse: Any) -> frozenset[str]:
    """The records parts and files table of the new generation; returns the arXiv IDs of the
    withdrawn records."""
    new_labels = {f.source.file for f in new.facts}
    touched = {state.bucket(label) for label in withdrawn | new_labels}
    old_parts = [p for p in state.parts(base) if int(p.stem) in touched]
    con.register("withdrawn", pa.table({"file": pa.array(sorted(withdrawn), pa.string())}))
    sources = []
    if old_parts:
        sources.append(f"SELECT * FROM read_parquet({state.parquet_list(old_parts)}) "
                       "WHERE file NOT IN (SELECT file FROM withdrawn)")
    if _staging(new):
        sources.append(f"SELECT * FROM read_parquet({state.parquet_list(_staging(new))})")
    if sources:
        state.write_records(con, "(" + " UNION ALL ".join(sources) + ")",
                            [f.source.file for f in found.facts], out)
    for part in state.parts(base):
        if int(part.stem) not in touched:
            reuse(state.part_name(int(part.stem)))
    state.save_facts(found.facts, out)
    if not old_parts:
        return frozenset()
    return _ids(con, old_parts, "file IN (SELECT file FROM withdrawn)")


def _ids(con: duckdb.DuckDBPyConnection, parts: list[Path], where: str = "true") -> frozenset[str]:
    if not parts:
        return frozenset()
    rows = con.sql(f"SELECT DISTINCT arxiv_id FROM read_parquet({state.parquet_list(parts)}) "
                   f"WHERE {where}").fetchall()
    return frozenset(r[0] for r in rows)


@contextlib.contextmanager
def _linked(parts: list[Path], scratch: Path) -> Iterator[Path]:
    """A staging folder for write_kg holding `parts` (hard links), removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=scratch))
    try:
        for part in parts:
            os.link(part, folder / part.name)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _full(found: Staged, base: Path, out: Path, *, jobs: int, steps: Steps) -> Written:
    with _linked(state.parts(out), out) as folder:
        summary = build.write_kg(replace(found, folder=folder), out, jobs=jobs, steps=steps)
    papers, authors = changed_rows(base, out)
    return Written(summary, Change(method="full"), papers, authors)


def changed_rows(before: Path, after: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The arXiv IDs and author keys whose rows differ between two generations' tables."""
    con = duckdb.connect()
    try:
        papers: set[str] = set()
        for name in PER_PAPER:
            papers |= _differing(con, before, after, name, "arxiv_id")
        return frozenset(papers), frozenset(_differing(con, before, after, "authors", "key"))
    finally:
        con.close()


def _differing(con: duckdb.DuckDBPyConnection, before: Path, after: Path, name: str,
               key: str) -> set[str]:
    a, b = (_parquet(folder / s.TABLES[name].file) for folder in (before, after))
    rows = con.sql(f"""SELECT {key} FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})
                       UNION SELECT {key} FROM (SELECT * FROM {b} EXCEPT ALL SELECT * FROM {a})""").fetchall()
    return {r[0] for r in rows}


def _parquet(path: Path) -> str:
    return f"read_parquet({state.parquet_list([path])})"


def _splice(con: duckdb.DuckDBPyConnection, found: Staged, base: Path, out: Path,
            papers: frozenset[str], *, jobs: int, steps: Steps) -> Written:
    con.register("affected", pa.table({"arxiv_id": pa.array(sorted(papers), pa.string())}))
    with steps(f"merging the {len(papers):,} affected papers"):
        subset = out / ".subset"
        subset.mkdir()
        try:
            _merge_subset(con, out, subset, jobs)
            crash_point("update:merged")
            for name in PER_PAPER:
                file = s.TABLES[name].file
                _splice_table(con, name, base / file, subset / file, out, "arxiv_id", "affected")
                crash_point(f"update:spliced {name}")
            authors = _splice_authors(con, base, subset, out)
        finally:
            shutil.rmtree(subset, ignore_errors=True)
    groups = build.write_variants(out, steps)
    summary = build.finish_kg(found, out, groups)
    return Written(summary, Change(method="splice"), papers, authors)


def _merge_subset(con: duckdb.DuckDBPyConnection, out: Path, subset: Path, jobs: int) -> None:
    """The build's merge over the records of the affected papers only, into `subset`."""
    records = subset / "records"
    records.mkdir()
    parts = state.parts(out)
    rows = 0
    if parts:
        rows = state.write_sql(con, f"SELECT * FROM read_parquet({state.parquet_list(parts)}) "
                                    "WHERE arxiv_id IN (SELECT arxiv_id FROM affected)",
                               records / "affected.parquet", state.RECORDS)
    else:
        write_batches(iter(()), records / "affected.parquet", state.RECORDS)
    build.write_kg(Staged(records, 0, rows, (), ()), subset, jobs=jobs)


def _splice_table(con: duckdb.DuckDBPyConnection, name: str, old: Path, new: Path, out: Path,
                  key: str, affected: str) -> None:
    """Table `name` into `out`: the rows of `old` whose `key` is not in the relation `affected`,
    and every row of `new`, in the table's order."""
    table = s.TABLES[name]
    state.write_sql(con, f"""
        SELECT * FROM {_parquet(old)} WHERE {key} NOT IN (SELECT {key} FROM {affected})
        UNION ALL SELECT * FROM {_parquet(new)}
        ORDER BY {", ".join(table.order)}""", out / table.file, table.schema)


def _splice_authors(con: duckdb.DuckDBPyConnection, base: Path, subset: Path, out: Path) -> frozenset[str]:
    """Authors: rows recomputed, by the build's own query, for every key the affected papers had
    or have; every other row copied. Returns those keys."""
    keys = con.sql(f"""
        SELECT author_key AS key FROM {_parquet(base / s.AUTHORSHIPS.file)}
        WHERE arxiv_id IN (SELECT arxiv_id FROM affected)
        UNION SELECT author_key FROM {_parquet(subset / s.AUTHORSHIPS.file)}""").to_arrow_table()
    con.register("affected_keys", keys)
    theirs = subset / "their-authorships.parquet"
    state.write_sql(con, f"SELECT * FROM {_parquet(out / s.AUTHORSHIPS.file)} "
                         "WHERE author_key IN (SELECT key FROM affected_keys)", theirs, s.AUTHORSHIPS.schema)
    recomputed = subset / "their-authors.parquet"
    write_batches(engine.authors(con, theirs, out / s.QUALITY.file), recomputed, s.AUTHORS.schema)
    _splice_table(con, "authors", base / s.AUTHORS.file, recomputed, out, "key", "affected_keys")
    return frozenset(keys.column(0).to_pylist())


def _change(plan: Plan, found: Staged, written: Written, base: Path, out: Path,
            withdrawn: set[str]) -> Change:
    now = {f.source.file: f.source.sha256 for f in found.facts}
    before = {label: f.source.sha256 for label, f in plan.old.items()}
    papers_before, papers_after = (_present(folder, "papers", "arxiv_id", written.papers)
                                   for folder in (base, out))
    authors_before, authors_after = (_present(folder, "authors", "key", written.authors)
                                     for folder in (base, out))
    return replace(
        written.change,
        files_added=tuple(sorted(now.keys() - before.keys())),
        files_changed=tuple(sorted(k for k in now.keys() & before.keys() if now[k] != before[k])),
        files_removed=tuple(sorted(before.keys() - now.keys())),
        papers_added=len(papers_after - papers_before),
        papers_updated=len(papers_after & papers_before),
        papers_withdrawn=len(papers_before - papers_after),
        authors_added=len(authors_after - authors_before),
        authors_removed=len(authors_before - authors_after),
        records_withdrawn=sum(plan.old[label].source.records for label in withdrawn))


def _present(folder: Path, name: str, column: str, values: frozenset[str]) -> set[str]:
    """Which of `values` the table's `column` holds."""
    found = read_table(folder, name, [column]).column(0)
    wanted = pa.array(sorted(values), pa.string())
    return set(wanted.filter(pc.is_in(wanted, value_set=found.combine_chunks())).to_pylist())
