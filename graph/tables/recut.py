"""The corpus-wide name rules (graph.ingest.identity), run between staging and the merge.

A rule may re-cut an author list only where the whole corpus shows the parts are people, so
it needs every author key of every staged record. Most lists cannot be re-cut at all (the
workers mark the few that may: staging's `recut`); this pass

1. counts the papers of each author key over all staged records, in DuckDB;
2. re-cuts, in Python, only the marked lists, each distinct list once;
3. hands the engine the changed lists as a table keyed by (input, line), which the view
   `records` puts in place of the staged ones (with their new flags and notes);
4. finds the spellings that author_key's safe rules merged (`safe_merges`).

The Python side holds one count per author key and the marked lists, never the records, and
nothing it does depends on the order the files were staged in.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from graph.ingest.identity import COUNT_CAP, list_flags, recut, safe_key_notes
from graph.ingest.names import author_key
from graph.tables import state
from graph.tables.staging import NOTE, RECORDS, flag_row

_RECUTS = pa.schema([pa.field("input", pa.int32(), nullable=False),
                     pa.field("line", pa.int32(), nullable=False),
                     RECORDS.field("authorships"), RECORDS.field("flags")])
_DEPS = pa.schema([pa.field("arxiv_id", pa.string(), nullable=False),
                   pa.field("key", pa.string(), nullable=False)])
_MERGES = pa.schema([pa.field("file", pa.string()), pa.field("line", pa.int32()),
                     *(pa.field(f.name, f.type) for f in NOTE)])

# What a generation keeps of this pass (graph.tables.state) so that an update re-cuts only the
# lists whose outcome may change: the counts, which keys each paper's lists looked up, and the
# lists that were changed.
KNOWN = pa.schema([pa.field("key", pa.string(), nullable=False),
                   pa.field("papers", pa.int64(), nullable=False)])
DEPS = _DEPS
RECUTS = pa.schema([pa.field("arxiv_id", pa.string(), nullable=False),
                    pa.field("file", pa.string(), nullable=False),
                    pa.field("line", pa.int32(), nullable=False),
                    RECORDS.field("authorships"), RECORDS.field("flags")])


def recut_authors(con: duckdb.DuckDBPyConnection, known: Mapping[str, int] | None = None) -> int:
    """Create the view `records`: the staged records with every author list the corpus-wide
    rules change replaced, its flags recomputed and its re-cuts added to them; and the temp
    tables `recuts` and `recut_deps` (the keys each paper's lists looked up). `known`: papers
    per author key over a corpus the staged records are part of (an update's affected papers);
    without it they are counted here, over the staged records, into the temp table `known`.
    Returns the number of records changed."""
    marked = con.sql("SELECT bool_or(recut) FROM staging").fetchall()[0][0]
    if known is None and marked:
        known = _papers_per_key(con)
    rows, deps = _recuts(con, known) if marked and known is not None else ([], [])
    _temp_table(con, "recuts", pa.Table.from_pylist(rows, schema=_RECUTS))
    _temp_table(con, "recut_deps", pa.Table.from_pydict(
        {"arxiv_id": [d[0] for d in deps], "key": [d[1] for d in deps]}, schema=_DEPS))
    con.execute("""
        CREATE VIEW records AS
        SELECT s.* REPLACE (coalesce(c.authorships, s.authorships) AS authorships,
                            coalesce(c.flags, s.flags) AS flags)
        FROM staging s LEFT JOIN recuts c ON s.input = c.input AND s.line = c.line""")
    return len(rows)


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"{name}_rows", table)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_rows")
    con.unregister(f"{name}_rows")


def save_state(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    """Write this pass's part of a generation's state (after recut_authors) into `out`."""
    folder = out / state.RECUT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    if con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'known'").fetchall()[0][0]:
        state.write_sql(con, "SELECT * FROM known ORDER BY key", out / state.KNOWN, KNOWN)
    else:
        state.write_sql(con, """
            SELECT a.author_key AS key, count(DISTINCT arxiv_id) AS papers
            FROM (SELECT arxiv_id, unnest(authorships) AS a FROM staging) GROUP BY ALL
            ORDER BY key""", out / state.KNOWN, KNOWN)
    state.write_sql(con, "SELECT DISTINCT * FROM recut_deps ORDER BY ALL", out / state.DEPS, DEPS)
    state.write_sql(con, """
        SELECT s.arxiv_id, s.file, s.line, c.authorships, c.flags
        FROM recuts c JOIN staging s USING (input, line) ORDER BY s.file, s.line""",
                    out / state.RECUTS, RECUTS)


class _Recording(Mapping[str, int]):
    """`known`, capped at COUNT_CAP, noting every key looked up in it (found or not)."""

    def __init__(self, known: Mapping[str, int]) -> None:
        self.known = known
        self.seen: set[str] = set()

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        self.seen.add(key)
        count = self.known.get(key)
        return default if count is None else min(count, COUNT_CAP)

    def __getitem__(self, key: str) -> int:
        self.seen.add(key)
        return min(self.known[key], COUNT_CAP)

    def __iter__(self) -> Iterator[str]:
        return iter(self.known)

    def __len__(self) -> int:
        return len(self.known)


def _recuts(con: duckdb.DuckDBPyConnection, known: Mapping[str, int]) -> tuple[list[dict], list[tuple[str, str]]]:
    """The changed lists, as `recuts` rows, and (arXiv ID, key) for every key a marked list
    looked up: a list's outcome can change only when one of those keys' capped counts does."""
    done: dict[tuple[str, ...], tuple[dict | None, frozenset[str]]] = {}
    rows: list[dict] = []
    deps: list[tuple[str, str]] = []
    for batch in con.sql("""
            SELECT input, line, arxiv_id, list_transform(authorships, lambda a: a.name) AS names
            FROM staging WHERE recut""").to_arrow_reader(64 * 1024):
        for place, line, arxiv_id, names in zip(*(c.to_pylist() for c in batch.columns)):
            names = tuple(names)
            if names not in done:
                recording = _Recording(known)
                done[names] = _changed(names, recording), frozenset(recording.seen)
            changed, seen = done[names]
            deps.extend((arxiv_id, key) for key in seen)
            if changed is not None:
                rows.append({"input": place, "line": line, **changed})
    return rows, deps


def _papers_per_key(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Author key -> number of papers (arXiv IDs) whose records list it, over all records;
    kept in the temp table `known`."""
    con.execute("""
        CREATE TEMP TABLE known AS
        SELECT a.author_key AS key, count(DISTINCT arxiv_id) AS papers
        FROM (SELECT arxiv_id, unnest(authorships) AS a FROM staging) GROUP BY ALL""")
    counts = con.sql("SELECT * FROM known").to_arrow_table()
    return dict(zip(counts.column(0).to_pylist(), counts.column(1).to_pylist()))


def _changed(names: tuple[str, ...], known: Mapping[str, int]) -> dict | None:
    out, changes = recut(names, known)
    if out == names:
        return None
    return {"authorships": [{"author_key": author_key(n), "name": n} for n in out],
            "flags": [dict(zip(NOTE.names, flag_row(c))) for c in (*changes, *list_flags(out))]}


def safe_merges(con: duckdb.DuckDBPyConnection, keys: str | None = None) -> pa.Table:
    """The `merged` notes of author_key's safe rules (graph.ingest.identity.safe_key_notes),
    from the spellings of keys spelled more than one way, as quality rows; of the keys in the
    relation `keys` (column `key`) only, when given."""
    only = f"WHERE author_key IN (SELECT key FROM {keys})" if keys else ""
    first = {name: (where["file"], where["line"]) for name, where in con.sql(f"""
        WITH spelled AS (
            SELECT author_key, name, min({{'file': file, 'line': line}}) AS first
            FROM (SELECT file, line, unnest(authorships, recursive := true) FROM records)
            {only} GROUP BY ALL)
        SELECT name, first FROM spelled
        WHERE author_key IN (SELECT author_key FROM spelled GROUP BY ALL HAVING count(*) > 1)
        """).fetchall()}
    notes = safe_key_notes(first)
    return pa.Table.from_pylist([{name: getattr(n, name) for name in _MERGES.names} for n in notes],
                                schema=_MERGES)
