"""The tables as a reader without this package sees them: the README's schema, DuckDB's view."""
from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from graph.tables.schema import TABLES, markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_documents_the_schema_of_every_table():
    text = README.read_text("utf-8")
    documented = re.search(r"<!-- schema:start -->\n(.*)<!-- schema:end -->", text, re.S)
    assert documented is not None
    assert documented.group(1) == markdown()


def test_duckdb_reads_every_table_with_the_documented_columns_and_the_summary_counts(sample_kg):
    summary = json.loads((sample_kg / "summary.json").read_bytes())
    con = duckdb.connect()
    for table in TABLES.values():
        path = str(sample_kg / table.file)
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        assert columns == [c.name for c in table.columns], table.name
        assert pq.read_schema(path).metadata[b"arxiv_kg.table"] == table.name.encode()

    def count(sql: str) -> int:
        return con.execute(sql.replace("{kg}", str(sample_kg))).fetchone()[0]

    assert count("SELECT count(*) FROM '{kg}/papers.parquet'") == summary["papers"]
    assert count("SELECT count(*) FROM '{kg}/authors.parquet'") == summary["authors"]
    assert count("SELECT count(*) FROM '{kg}/authorships.parquet'") == summary["authorships"]
    assert count("SELECT count(DISTINCT category) FROM '{kg}/categories.parquet'") == summary["categories"]
    assert count("SELECT count(DISTINCT url) FROM '{kg}/repositories.parquet'") == summary["repositories"]
    assert count("SELECT sum(records) FROM '{kg}/sources.parquet'") == summary["records"]
    assert count("SELECT count(*) FROM '{kg}/sources.parquet'") == summary["files"]
