"""The columnar engine: DuckDB merges the staging records into the KG's tables, in SQL.

DuckDB was chosen by measurement (bench/bench_engines.py; figures in the README): it runs the
merge and the co-author self-join fastest here, in parallel, and spills to disk beyond its
memory limit, so a build's memory does not grow with the corpus.

The merge rules are the KG's (README, "What build reads and writes"):
- one paper per arXiv ID: the newest record's fields, newest by (version, updated); equals are
  broken by the earliest source (file, then line, then the file's place in the input order);
  every version and every `file:line` is kept, sorted;
- one author per identity key: the display name is the most frequent spelling over the papers'
  author lists (ties: the smallest string), spellings most frequent first, `papers` counts
  distinct papers.
Every table is sorted by its schema's `order` columns, which are unique: the rows, and so the
files, do not depend on DuckDB's threads or on the order in which files were staged.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from graph.tables import schema as s
from graph.tables.staging import CHILDREN

MEMORY_LIMIT = "3GB"  # beyond it DuckDB spills to the scratch folder
BATCH_ROWS = 64 * 1024


def connect(scratch: Path, threads: int) -> duckdb.DuckDBPyConnection:
    # preserve_insertion_order stays on: without it DuckDB hands out an ORDER BY's result in
    # parallel chunks, out of order.
    con = duckdb.connect(config={
        "threads": threads, "memory_limit": MEMORY_LIMIT, "temp_directory": str(scratch / "spill")})
    con.execute("SET TimeZone = 'UTC'")
    return con


def load_staging(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Views over the staging files, and `winners`: each paper's winning record and merged lists."""
    con.execute(f"CREATE VIEW staging AS SELECT * FROM read_parquet({_literal(str(folder / '*.parquet'))})")
    con.execute("""
        CREATE TEMP TABLE winners AS
        SELECT arxiv_id,
               first({'input': input, 'line': line}
                     ORDER BY version DESC, updated_text DESC, file, line, input) AS won,
               list_sort(list_distinct(list(version))) AS versions,
               list(file || ':' || line ORDER BY file, line) AS sources
        FROM staging GROUP BY arxiv_id""")
    # Not TEMP: a cursor (another connection to this in-memory database) writes the tables
    # without author lists from it while the name rules run (graph.tables.build).
    con.execute("""
        CREATE TABLE won AS
        SELECT won.input AS input, won.line AS line, versions, sources FROM winners""")
    con.execute("DROP TABLE winners")


def papers(con: duckdb.DuckDBPyConnection) -> Iterator[pa.RecordBatch]:
    merged = {"versions": "w.versions", "sources": "w.sources", "source": "r.file || ':' || r.line"}
    columns = ", ".join(f"{merged.get(c.name, 'r.' + c.name)} AS {c.name}" for c in s.PAPERS.columns)
    return _batches(con, f"""
        SELECT {columns} FROM staging r JOIN won w ON r.input = w.input AND r.line = w.line
        ORDER BY r.arxiv_id""")


def children(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[pa.RecordBatch]:
    """A child table (authorships, categories, ...): the winners' lists, unnested with positions.
    Author lists come from `records` (graph.tables.recut: the staged ones, re-cut)."""
    assert name in CHILDREN
    source = "records" if name == "authorships" else "staging"
    return _batches(con, f"""
        SELECT r.arxiv_id, generate_subscripts(r.{name}, 1) AS position,
               unnest(r.{name}, recursive := true)
        FROM {source} r SEMI JOIN won w ON r.input = w.input AND r.line = w.line
        ORDER BY arxiv_id, position""")


def authors(con: duckdb.DuckDBPyConnection, authorships: Path, quality: Path) -> Iterator[pa.RecordBatch]:
    """One row per identity, from the authorships and quality tables as written: an author is
    an organisation when its display name is flagged as one."""
    table = f"read_parquet({_literal(str(authorships))})"
    return _batches(con, f"""
        WITH spelled AS (SELECT author_key AS key, name, count(*) AS n FROM {table} GROUP BY ALL),
             ranked AS (SELECT key, list(name ORDER BY n DESC, name) AS spellings
                        FROM spelled GROUP BY key),
             counted AS (SELECT author_key AS key, count(DISTINCT arxiv_id) AS papers
                         FROM {table} GROUP BY key),
             organisations AS (SELECT DISTINCT original AS name FROM read_parquet({_literal(str(quality))})
                               WHERE field = 'Authors' AND rule = 'organisation')
        SELECT key, spellings[1] AS name, spellings, papers,
               CASE WHEN spellings[1] IN (SELECT name FROM organisations)
                    THEN 'organisation' ELSE 'person' END AS kind
        FROM ranked JOIN counted USING (key) ORDER BY key""")


def quality(con: duckdb.DuckDBPyConnection, merges: pa.Table) -> Iterator[pa.RecordBatch]:
    """The quality table: the notes and flags of every record (a duplicate record's too; the
    same row once) and `merges` (graph.tables.recut.safe_merges), sorted."""
    con.register("safe_merges", merges)
    return _batches(con, """
        SELECT * FROM (
            SELECT file, line, unnest(list_concat(notes, flags), recursive := true) FROM records
            UNION SELECT * FROM safe_merges)
        ORDER BY ALL""")


def _batches(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[pa.RecordBatch]:
    yield from con.sql(sql).to_arrow_reader(BATCH_ROWS)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
