"""An update of a KG's tables: read only the digests that are new or changed, and give exactly
the tables a full build of the same inputs gives.

    plan = plan_update(base, inputs)                       # which files changed (graph.tables.plan)
    new = stage_changes(plan, scratch, jobs=...)          # read those files only
    result = write_update(plan, new, base, draft, ...)    # state, tables, variants, summary

Exactness by construction: a generation keeps every staged record (graph.tables.state); the
update's records are those minus the records of changed and vanished files plus the new files'
records, and they go through the build's own code (graph.tables.build). Two ways:

* splice (the default where it applies): the build's merge runs on the records of the affected
  papers only, and every other row is copied from the previous tables. A paper is affected when
  it gained or lost a record, or when one of its author lists looked up, in the corpus-wide name
  rules (graph.tables.recut), a key whose count the new or withdrawn records changed: the state
  keeps those counts and lookups, so only the keys of the records read or withdrawn are
  counted again. The affected papers are merged with the whole corpus's counts. It is exact
  because every other rule is per paper (papers and child tables), per author key (authors:
  recomputed for every key the affected papers list, and every key whose organisation flag
  changed), per spelling of a key (the safe key rule's merges in the quality table: recomputed
  for every key the affected records list, over every record) or per file (sources, rejected);
  variants and summary are computed whole again, from the new tables. The papers table's rows
  depend on a paper's records alone, not on the name rules: it is merged again for the papers
  that gained or lost a record only, in a thread from the start. Every table is written again
  by row group (graph.tables.rowgroups): the groups whose rows did not change are copied.
* full: the build's merge over every record. Used when asked (`--full`), and whenever the build
  lists a corpus-wide step this module does not know, or writes a table it does not know.
"""
from __future__ import annotations

import bisect
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.crash import crash_point
from graph.ingest.identity import COUNT_CAP, SAFE_KEY_RULE
from graph.tables import build, engine, persist, recut, rowgroups, state
from graph.tables import schema as s
from graph.tables.facts import Staged
from graph.tables.ingest import Steps, no_steps, stage_sources
from graph.tables.persist import read_table, write_batches
from graph.tables.plan import Plan, compose
from graph.tables.staging import CHILDREN, RECORDS

PER_PAPER = ("papers", *CHILDREN)
PER_FILE = ("sources", "rejected")
_SPLICEABLE = {*PER_PAPER, "authors", "quality", *PER_FILE}
_KNOWN_CORPUS_WIDE = {"recut", "quality", "variants", "summary"}
_RECUT_STATE = (state.KNOWN, state.DEPS, state.RECUTS)


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
                 steps: Steps = no_steps, reuse: Any = None,
                 tables_done: Callable[[frozenset[str], frozenset[str]], None] = lambda *_: None
                 ) -> Written:
    """Write the new generation's state and tables into `out`. `reuse(name)` hard-links a file
    of the base generation (generations.Draft.reuse). `tables_done(papers, authors)` is called
    once every table but the per-file ones is written, with the papers and authors whose rows
    may have changed (Written's), while variants and the summary are still to come (the
    store's delta may start then)."""
    found = compose(plan, new, out / state.RECORDS_DIR)
    withdrawn = _withdrawn(plan, found)
    con = engine.connect(new.folder, jobs)
    try:
        with steps("records kept for updates"):
            _write_state(con, plan, found, new, base, out, withdrawn, reuse)
        crash_point("update:state")
        if full or not splice_applies() or not all((base / f).is_file() for f in _RECUT_STATE):
            written = _full(found, base, out, jobs=jobs, steps=steps, tables_done=tables_done)
        else:
            written = _splice(con, found, base, out, jobs=jobs, steps=steps, tables_done=tables_done)
    finally:
        con.close()
    change = _change(plan, found, written, withdrawn)
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
                 base: Path, out: Path, withdrawn: set[str], reuse: Any) -> None:
    """The records parts and files table of the new generation, and the views `gone` (the
    withdrawn records) and `fresh` (the records read now)."""
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
    con.register("no_records", pa.table({f.name: pa.array([], f.type) for f in RECORDS},
                                        schema=RECORDS))
    gone = (f"SELECT * FROM read_parquet({state.parquet_list(old_parts)}) "
            "WHERE file IN (SELECT file FROM withdrawn)") if old_parts else "SELECT * FROM no_records"
    fresh = (f"SELECT * FROM read_parquet({state.parquet_list(_staging(new))})"
             if _staging(new) else "SELECT * FROM no_records")
    con.execute(f"CREATE VIEW gone AS {gone}")
    con.execute(f"CREATE VIEW fresh AS {fresh}")


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


def _full(found: Staged, base: Path, out: Path, *, jobs: int, steps: Steps,
          tables_done: Callable[[frozenset[str], frozenset[str]], None]) -> Written:
    with _linked(state.parts(out), out) as folder:
        if not state.parts(out):  # every record withdrawn or rejected: an empty KG, as the splice gives
            write_batches(iter(()), folder / "none.parquet", RECORDS)
        summary = build.write_kg(replace(found, folder=folder), out, jobs=jobs, steps=steps)
    papers, authors = changed_rows(base, out)
    tables_done(papers, authors)
    change = _counted("full", *((_present(base, name, key, rows), _present(out, name, key, rows))
                                for name, key, rows in (("papers", "arxiv_id", papers),
                                                        ("authors", "key", authors))))
    return Written(summary, change, papers, authors)


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


def _splice(con: duckdb.DuckDBPyConnection, found: Staged, base: Path, out: Path, *, jobs: int,
            steps: Steps, tables_done: Callable[[frozenset[str], frozenset[str]], None]) -> Written:
    touched = con.sql("SELECT arxiv_id FROM gone UNION SELECT arxiv_id FROM fresh ORDER BY ALL").to_arrow_table()
    con.register("touched", touched)
    subset, aside = out / ".subset", out / ".papers"
    try:
        # The papers and authorships tables are most of the bytes to write again: they are
        # written beside the rest (Arrow, DuckDB and the Parquet writer leave the GIL), the
        # papers from the start, their row groups encoded on two threads.
        with ThreadPoolExecutor(2) as background, ThreadPoolExecutor(2) as encoders:
            spliced = background.submit(_splice_papers, base, out, touched.column(0), aside, encoders)
            papers, keys, authors = _splice_rest(con, base, out, subset, jobs=jobs, steps=steps,
                                                 background=background, pool=encoders)
            withdrawn, written = spliced.result()
            tables_done(papers, keys)
            groups = build.write_variants(out, steps)
    finally:
        for folder in (subset, aside):
            shutil.rmtree(folder, ignore_errors=True)
    summary = build.finish_kg(found, out, groups)
    # The affected papers that gained or lost no record kept their rows: they count as
    # updated, as every affected paper did before the papers table was spliced apart.
    untouched = papers - set(touched.column(0).to_pylist())
    present = (withdrawn | untouched, written | untouched)
    return Written(summary, _counted("splice", present, authors), papers, keys)


def _splice_rest(con: duckdb.DuckDBPyConnection, base: Path, out: Path, subset: Path, *, jobs: int,
                 steps: Steps, background: Executor, pool: Executor
                 ) -> tuple[frozenset[str], frozenset[str], tuple[set[str], set[str]]]:
    """Every table but papers and the per-file ones, and the name rules' state: the affected
    papers merged in `subset` and spliced in. Returns the affected papers, the authors whose
    rows may have changed, and which of those had a row before and have one now."""
    with steps("corpus-wide name rules"):
        known, known_written = _known(con, base, out, pool)
        papers = _affected_papers(con, base)
    ids = pa.array(sorted(papers), pa.string())
    con.register("affected", pa.table({"arxiv_id": ids}))
    with steps(f"merging the {len(papers):,} affected papers"):
        subset.mkdir()
        _merge_subset(con, out, subset, jobs, known)
        crash_point("update:merged")
        authorships = background.submit(_splice_child, "authorships", base, subset, out, ids)
        for name in (n for n in CHILDREN if n != "authorships"):
            _splice_child(name, base, subset, out, ids)
        _splice_recut_state(base, subset, out, ids)
        _splice_quality(con, base, subset, out)
        authorships.result()
        keys, authors = _splice_authors(con, base, subset, out)
        known_written.result()
    return papers, keys, authors


def _counted(method: str, papers: tuple[set[str], set[str]], authors: tuple[set[str], set[str]]) -> Change:
    """The change's counts, from the papers and authors whose rows may have changed that were
    there before and that are there now."""
    (papers_before, papers_after), (authors_before, authors_after) = papers, authors
    return Change(papers_added=len(papers_after - papers_before),
                  papers_updated=len(papers_after & papers_before),
                  papers_withdrawn=len(papers_before - papers_after),
                  authors_added=len(authors_after - authors_before),
                  authors_removed=len(authors_before - authors_after), method=method)


def _known(con: duckdb.DuckDBPyConnection, base: Path, out: Path, pool: Executor
           ) -> tuple[Mapping[str, int], Future[Any]]:
    """The new generation's papers per staged author key, and its state's table of them being
    written on `pool`. A key's count changes only through the papers that gained or lost a
    record (`touched`): it is the old count plus, over those papers, whether they list the key
    now minus whether they did before, so only their records are read (counting over every
    record took 0.4 s). The table `changed` holds the keys whose count, capped as the name
    rules see it, changed."""
    lists = ("SELECT DISTINCT arxiv_id, unnest(list_transform(authorships, lambda a: a.author_key)) AS key "
             "FROM {} WHERE arxiv_id IN (SELECT arxiv_id FROM touched)")
    before, after = (lists.format(_records_in(con, state.parts(folder), "touched")) for folder in (base, out))
    old = _parquet(base / state.KNOWN)
    con.execute(f"""
        CREATE TEMP TABLE recounted AS
        SELECT key, CAST(coalesce(o.papers, 0) + d AS BIGINT) AS papers, coalesce(o.papers, 0) AS was
        FROM (SELECT key, sum(side) AS d
              FROM (SELECT key, 1 AS side FROM ({after}) UNION ALL SELECT key, -1 FROM ({before}))
              GROUP BY key)
        LEFT JOIN {old} o USING (key)""")
    con.execute(f"""CREATE TEMP TABLE changed AS SELECT key FROM recounted
                    WHERE least(was, {COUNT_CAP}) != least(papers, {COUNT_CAP})""")
    (out / state.RECUT_DIR).mkdir(parents=True, exist_ok=True)
    recounted = con.sql("SELECT key, papers FROM recounted ORDER BY key").to_arrow_table()
    written = pool.submit(_splice_rows, base / state.KNOWN,
                          recounted.filter(pc.greater(recounted.column("papers"), 0)), out / state.KNOWN,
                          "key", recounted.column("key"), ("key",), recut.KNOWN)
    return _Counts(read_table_at(base / state.KNOWN), dict(zip(*(c.to_pylist() for c in recounted.columns)))), written


class _Counts(Mapping[str, int]):
    """Papers per author key: `recounted` (a count of 0: none), else looked up by binary search
    in a known table's sorted columns (the name rules look up a few keys per affected list; a
    dict of every key took 0.4 s). Python compares str by code point, the UTF-8 byte order of
    DuckDB's ORDER BY."""

    def __init__(self, counts: pa.Table, recounted: dict[str, int] | None = None) -> None:
        self._keys = counts.column("key").combine_chunks()
        self._papers = counts.column("papers").combine_chunks()
        self._recounted = recounted or {}

    def _old(self, key: str) -> int:
        at = bisect.bisect_left(range(len(self._keys)), key, key=lambda i: self._keys[i].as_py())
        return int(self._papers[at].as_py()) if at < len(self._keys) and self._keys[at].as_py() == key else 0

    def __getitem__(self, key: str) -> int:
        count = self._recounted[key] if key in self._recounted else self._old(key)
        if not count:
            raise KeyError(key)
        return count

    def __iter__(self) -> Iterator[str]:
        yield from (key for key in self._keys.to_pylist() if key not in self._recounted)
        yield from (key for key, count in self._recounted.items() if count)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _affected_papers(con: duckdb.DuckDBPyConnection, base: Path) -> frozenset[str]:
    """Papers that gained or lost a record, and those with a list that looked up a key whose
    count changed (graph.tables.recut keeps which): every other paper's rows stay as they are."""
    rows = con.sql(f"""
        SELECT arxiv_id FROM gone UNION SELECT arxiv_id FROM fresh
        UNION SELECT arxiv_id FROM {_parquet(base / state.DEPS)} WHERE key IN (SELECT key FROM changed)
        """).fetchall()
    return frozenset(r[0] for r in rows)


def _records_of(generation: Path) -> str:
    """A relation of every record a generation keeps (`no_records` when it keeps none: every
    file withdrawn or rejected)."""
    parts = state.parts(generation)
    return f"read_parquet({state.parquet_list(parts)})" if parts else "no_records"


def _holding(con: duckdb.DuckDBPyConnection, parts: list[Path], papers: str = "affected") -> list[Path]:
    """The records parts that hold a record of a paper in the relation `papers`: found from the
    arXiv IDs alone, so that the others' abstracts are not even decompressed."""
    if not parts:
        return []
    rows = con.sql(f"""SELECT DISTINCT filename FROM read_parquet({state.parquet_list(parts)},
                                                                  filename = true)
                       WHERE arxiv_id IN (SELECT arxiv_id FROM {papers})""").fetchall()
    return sorted(Path(r[0]) for r in rows)


def _records_in(con: duckdb.DuckDBPyConnection, parts: list[Path], papers: str) -> str:
    """A relation of the records in the `parts` that hold a paper of `papers` (among others)."""
    held = _holding(con, parts, papers)
    return f"read_parquet({state.parquet_list(held)})" if held else "no_records"


def read_table_at(path: Path) -> pa.Table:
    with pq.ParquetFile(path) as parquet:
        return parquet.read()


def _merge_subset(con: duckdb.DuckDBPyConnection, out: Path, subset: Path, jobs: int,
                  known: Mapping[str, int]) -> None:
    """The build's merge over the records of the affected papers only, into `subset`, with the
    whole corpus's counts for the name rules."""
    rows = _records_of_papers(con, out, "affected", subset / "records")
    build.write_kg(Staged(subset / "records", 0, rows, (), ()), subset, jobs=jobs, known=known,
                   tables_only=True)


def _records_of_papers(con: duckdb.DuckDBPyConnection, generation: Path, papers: str, folder: Path) -> int:
    """The records that `generation` keeps of the papers in relation `papers`, into a staging
    file in `folder`; returns their number."""
    folder.mkdir(parents=True)
    parts = _holding(con, state.parts(generation), papers)
    if not parts:
        return write_batches(iter(()), folder / "records.parquet", RECORDS)
    return state.write_sql(con, f"SELECT * FROM read_parquet({state.parquet_list(parts)}) "
                                f"WHERE arxiv_id IN (SELECT arxiv_id FROM {papers})",
                           folder / "records.parquet", RECORDS)


def _splice_papers(base: Path, out: Path, ids: pa.ChunkedArray, folder: Path, pool: Executor
                   ) -> tuple[set[str], set[str]]:
    """The papers table. A paper's row depends on its own records alone (not on the name
    rules): only the papers that gained or lost a record (`ids`) are merged again, by the
    build's own query, so this needs no more than the new generation's records. The old row
    groups those papers are likely to change are read meanwhile, on `pool`."""
    old = base / s.PAPERS.file
    with pq.ParquetFile(old) as parquet:
        keys = parquet.read(columns=["arxiv_id"]).column(0)
        groups = _likely_groups(keys, ids, parquet.metadata.num_row_groups)
    decoded = pool.submit(_read_groups, old, groups)
    con = engine.connect(folder, 1)
    try:
        con.register("touched", pa.table({"arxiv_id": ids}))
        _records_of_papers(con, out, "touched", folder / "records")
        engine.load_staging(con, folder / "records")
        write_batches(engine.papers(con), folder / s.PAPERS.file, s.PAPERS.schema)
    finally:
        con.close()
    present = _splice_rows(old, read_table_at(folder / s.PAPERS.file), out / s.PAPERS.file, "arxiv_id",
                           ids.combine_chunks(), s.PAPERS.order, s.PAPERS.schema, pool, decoded.result())
    crash_point("update:spliced papers")
    return present


def _likely_groups(keys: pa.ChunkedArray, ids: pa.ChunkedArray, groups: int) -> list[int]:
    """The row groups of a table sorted by `keys` that new rows for `ids` will change: those
    holding one of them, and every group from the first new one's place on (all shift)."""
    size = persist.ROW_GROUP
    found = pc.index_in(ids, value_set=keys.combine_chunks())
    held = {i // size for i in found.drop_null().to_pylist()}
    absent = ids.filter(pc.is_null(found))
    if len(absent) == 0:
        return sorted(held)
    first = absent[0].as_py()
    place = bisect.bisect_left(range(len(keys)), first, key=lambda i: keys[i].as_py())
    return list(range(min([place // size, *held]), groups))


def _read_groups(path: Path, groups: list[int]) -> dict[int, pa.Table]:
    with pq.ParquetFile(path) as parquet:
        return rowgroups.read_groups(parquet, groups)


def _splice_child(name: str, base: Path, subset: Path, out: Path, ids: pa.Array) -> None:
    _splice_table(name, base, subset, out, "arxiv_id", ids)
    crash_point(f"update:spliced {name}")


def _splice_table(name: str, base: Path, subset: Path, out: Path, key: str, values: pa.Array,
                  pool: Executor | None = None) -> tuple[set[str], set[str]]:
    """Table `name` into `out`: the rows of base's whose `key` is not in `values`, and every
    row of subset's, in the table's order (see _splice_file)."""
    table = s.TABLES[name]
    return _splice_file(base / table.file, subset / table.file, out / table.file, key, values,
                        table.order, table.schema, pool)


def _splice_file(old: Path, new: Path, path: Path, key: str, values: pa.Array,
                 order: Sequence[str], schema: pa.Schema, pool: Executor | None = None
                 ) -> tuple[set[str], set[str]]:
    """The rows of `old` whose `key` is not in `values`, and every row of `new`, in the `order`
    columns' order, into `path`: only the row groups that changed are encoded again
    (graph.tables.rowgroups), and of the old rows only the sort columns are read for that.
    Returns the `key` values of the rows taken out of old, and of new's rows."""
    return _splice_rows(old, read_table_at(new), path, key, values, order, schema, pool)


def _splice_rows(old: Path, rows: pa.Table, path: Path, key: str, values: pa.Array | pa.ChunkedArray,
                 order: Sequence[str], schema: pa.Schema, pool: Executor | None = None,
                 decoded: Mapping[int, pa.Table] | None = None) -> tuple[set[str], set[str]]:
    """_splice_file, of `rows` (`decoded`: old's row groups already read, by number)."""
    with pq.ParquetFile(old) as parquet:
        columns = parquet.read(columns=list(dict.fromkeys([key, *order])))
    dropped = pc.is_in(columns.column(key), value_set=values)
    kept = columns.filter(pc.invert(dropped))
    placed = _placed(kept, rows, order)
    source, olds = placed.copy(), placed >= 0
    source[olds] = np.flatnonzero(~dropped.to_numpy(zero_copy_only=False))[placed[olds]]
    rowgroups.rewrite(old, path, schema, source, rows, pool=pool, decoded=decoded)
    return set(columns.column(key).filter(dropped).to_pylist()), set(rows.column(key).to_pylist())


def _placed(kept: pa.Table, new: pa.Table, order: Sequence[str]) -> np.ndarray:
    """Where the rows of two tables sorted by the `order` columns (unique over both) go in
    their merge: for each row of it, kept's row number, or -1 - new's. A galloping binary
    search places each new row among the kept ones, which need not be sorted again (a day's
    new rows mostly land together: a few probes each). Python compares str by code point,
    which is the UTF-8 byte order of DuckDB's ORDER BY."""
    columns = [kept.column(c).combine_chunks() for c in order]

    def at(i: int) -> tuple:
        return tuple(c[i].as_py() for c in columns)

    pieces: list[Any] = []
    start = 0  # kept rows placed
    for j, row in enumerate(new.select(list(order)).to_pylist()):
        place = _gallop(at, tuple(row.values()), start, kept.num_rows)
        pieces += [np.arange(start, place), [-1 - j]]
        start = place
    pieces.append(np.arange(start, kept.num_rows))
    return np.concatenate(pieces).astype(np.int64)


def _gallop(at: Callable[[int], tuple], row: tuple, lo: int, end: int) -> int:
    """bisect_left of `row` in at(lo) .. at(end - 1), probing lo, lo + 1, lo + 3, ... first."""
    step, hi = 1, lo
    while hi < end and at(hi) < row:
        lo, hi, step = hi + 1, hi + step, step * 2
    return bisect.bisect_left(range(end), row, lo=lo, hi=min(hi, end), key=at)


def _splice_recut_state(base: Path, subset: Path, out: Path, ids: pa.Array) -> None:
    """The name rules' lookups and re-cut lists: the affected papers' from the subset."""
    _splice_file(base / state.DEPS, subset / state.DEPS, out / state.DEPS, "arxiv_id", ids,
                 ("arxiv_id", "key"), recut.DEPS)
    _splice_file(base / state.RECUTS, subset / state.RECUTS, out / state.RECUTS, "arxiv_id", ids,
                 ("file", "line"), recut.RECUTS)


def _splice_quality(con: duckdb.DuckDBPyConnection, base: Path, subset: Path, out: Path) -> None:
    """The quality table: the affected records' notes from the subset; the safe key rule's merges
    again for every key an affected record lists (they depend on every record's spellings)."""
    old_records = _records_in(con, state.parts(base), "affected")
    con.execute(f"""
        CREATE TEMP TABLE spliced_keys AS
        SELECT DISTINCT a.author_key AS key FROM (
            SELECT unnest(authorships) AS a FROM {old_records} WHERE arxiv_id IN (SELECT arxiv_id FROM affected)
            UNION ALL SELECT unnest(authorships) FROM {_parquet(base / state.RECUTS)}
                WHERE arxiv_id IN (SELECT arxiv_id FROM affected)
            UNION ALL SELECT unnest(authorships) FROM {_parquet(subset / state.RECUTS)}
            UNION ALL SELECT unnest(authorships) FROM read_parquet('{subset / "records" / "*.parquet"}'))""")
    con.execute(f"""
        CREATE VIEW records AS
        SELECT r.* REPLACE (coalesce(c.authorships, r.authorships) AS authorships)
        FROM {_records_of(out)} r
        LEFT JOIN {_parquet(out / state.RECUTS)} c USING (file, line)""")
    con.register("safe_merges", recut.safe_merges(con, "spliced_keys"))
    safe = f"rule = '{SAFE_KEY_RULE}'"
    state.write_sql(con, f"""
        SELECT * FROM (
            SELECT * FROM {_parquet(base / s.QUALITY.file)} q
            WHERE NOT EXISTS (SELECT 1 FROM {old_records} r
                              WHERE r.arxiv_id IN (SELECT arxiv_id FROM affected)
                              AND r.file = q.file AND r.line = q.line)
            AND NOT ({safe} AND result IN (SELECT key FROM spliced_keys))
            UNION SELECT * FROM {_parquet(subset / s.QUALITY.file)} WHERE NOT {safe}
            UNION SELECT * FROM safe_merges)
        ORDER BY ALL""", out / s.QUALITY.file, s.QUALITY.schema)


def _splice_authors(con: duckdb.DuckDBPyConnection, base: Path, subset: Path, out: Path,
                    pool: Executor | None = None) -> tuple[frozenset[str], tuple[set[str], set[str]]]:
    """Authors: rows recomputed, by the build's own query, for every key the affected papers had
    or have, and every key whose display name became or stopped being an organisation's; every
    other row copied. Returns those keys, and which of them had a row before and have one now."""
    organisations = ("SELECT DISTINCT original AS name FROM {} "
                     "WHERE field = 'Authors' AND rule = 'organisation'")
    before, after = (organisations.format(_parquet(folder / s.QUALITY.file)) for folder in (base, out))
    keys = con.sql(f"""
        SELECT author_key AS key FROM {_parquet(base / s.AUTHORSHIPS.file)}
        WHERE arxiv_id IN (SELECT arxiv_id FROM affected)
        UNION SELECT author_key FROM {_parquet(subset / s.AUTHORSHIPS.file)}
        UNION SELECT key FROM {_parquet(base / s.AUTHORS.file)}
        WHERE name IN (SELECT name FROM ({before} UNION ALL {after}) GROUP BY name HAVING count(*) = 1)
        """).to_arrow_table()
    con.register("affected_keys", keys)
    theirs = subset / "their-authorships.parquet"
    state.write_sql(con, f"SELECT * FROM {_parquet(out / s.AUTHORSHIPS.file)} "
                         "WHERE author_key IN (SELECT key FROM affected_keys)", theirs, s.AUTHORSHIPS.schema)
    recomputed = subset / "their-authors.parquet"
    write_batches(engine.authors(con, theirs, out / s.QUALITY.file), recomputed, s.AUTHORS.schema)
    present = _splice_file(base / s.AUTHORS.file, recomputed, out / s.AUTHORS.file, "key",
                           keys.column(0), s.AUTHORS.order, s.AUTHORS.schema, pool)
    return frozenset(keys.column(0).to_pylist()), present


def _change(plan: Plan, found: Staged, written: Written, withdrawn: set[str]) -> Change:
    now = {f.source.file: f.source.sha256 for f in found.facts}
    before = {label: f.source.sha256 for label, f in plan.old.items()}
    return replace(
        written.change,
        files_added=tuple(sorted(now.keys() - before.keys())),
        files_changed=tuple(sorted(k for k in now.keys() & before.keys() if now[k] != before[k])),
        files_removed=tuple(sorted(before.keys() - now.keys())),
        records_withdrawn=sum(plan.old[label].source.records for label in withdrawn))


def _present(folder: Path, name: str, column: str, values: frozenset[str]) -> set[str]:
    """Which of `values` the table's `column` holds."""
    found = read_table(folder, name, [column]).column(0)
    wanted = pa.array(sorted(values), pa.string())
    return set(wanted.filter(pc.is_in(wanted, value_set=found.combine_chunks())).to_pylist())
