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

import duckdb
import pyarrow as pa

from graph.ingest.identity import list_flags, recut, safe_key_notes
from graph.ingest.names import author_key
from graph.tables.staging import NOTE, RECORDS, flag_row

_RECUTS = pa.schema([pa.field("input", pa.int32(), nullable=False),
                     pa.field("line", pa.int32(), nullable=False),
                     RECORDS.field("authorships"), RECORDS.field("flags")])
_MERGES = pa.schema([pa.field("file", pa.string()), pa.field("line", pa.int32()),
                     *(pa.field(f.name, f.type) for f in NOTE)])


def recut_authors(con: duckdb.DuckDBPyConnection) -> int:
    """Create the view `records`: the staged records with every author list the corpus-wide
    rules change replaced, its flags recomputed and its re-cuts added to them. Returns the
    number of records changed."""
    rows = _recuts(con) if con.sql("SELECT bool_or(recut) FROM staging").fetchall()[0][0] else []
    if not rows:
        con.execute("CREATE VIEW records AS SELECT * FROM staging")
        return 0
    con.register("recut_rows", pa.Table.from_pylist(rows, schema=_RECUTS))
    con.execute("CREATE TEMP TABLE recuts AS SELECT * FROM recut_rows")
    con.unregister("recut_rows")
    con.execute("""
        CREATE VIEW records AS
        SELECT s.* REPLACE (coalesce(c.authorships, s.authorships) AS authorships,
                            coalesce(c.flags, s.flags) AS flags)
        FROM staging s LEFT JOIN recuts c ON s.input = c.input AND s.line = c.line""")
    return len(rows)


def _recuts(con: duckdb.DuckDBPyConnection) -> list[dict]:
    known = _papers_per_key(con)
    done: dict[tuple[str, ...], dict | None] = {}
    rows = []
    for batch in con.sql("""
            SELECT input, line, list_transform(authorships, lambda a: a.name) AS names
            FROM staging WHERE recut""").to_arrow_reader(64 * 1024):
        for place, line, names in zip(*(c.to_pylist() for c in batch.columns)):
            names = tuple(names)
            if names not in done:
                done[names] = _changed(names, known)
            changed = done[names]
            if changed is not None:
                rows.append({"input": place, "line": line, **changed})
    return rows


def _papers_per_key(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Author key -> number of papers (arXiv IDs) whose records list it, over all records."""
    counts = con.sql("""
        SELECT a.author_key, count(DISTINCT arxiv_id)
        FROM (SELECT arxiv_id, unnest(authorships) AS a FROM staging) GROUP BY ALL""").to_arrow_table()
    return dict(zip(counts.column(0).to_pylist(), counts.column(1).to_pylist()))


def _changed(names: tuple[str, ...], known: dict[str, int]) -> dict | None:
    out, changes = recut(names, known)
    if out == names:
        return None
    return {"authorships": [{"author_key": author_key(n), "name": n} for n in out],
            "flags": [dict(zip(NOTE.names, flag_row(c))) for c in (*changes, *list_flags(out))]}


def safe_merges(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The `merged` notes of author_key's safe rules (graph.ingest.identity.safe_key_notes),
    from the spellings of keys spelled more than one way, as quality rows."""
    first = {name: (where["file"], where["line"]) for name, where in con.sql("""
        WITH spelled AS (
            SELECT author_key, name, min({'file': file, 'line': line}) AS first
            FROM (SELECT file, line, unnest(authorships, recursive := true) FROM records)
            GROUP BY ALL)
        SELECT name, first FROM spelled
        WHERE author_key IN (SELECT author_key FROM spelled GROUP BY ALL HAVING count(*) > 1)
        """).fetchall()}
    notes = safe_key_notes(first)
    return pa.Table.from_pylist([{name: getattr(n, name) for name in _MERGES.names} for n in notes],
                                schema=_MERGES)
