"""The counts that `build` reports and writes to summary.json."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.model.records import ACTIONS, Notice
from graph.tables import schema as s
from graph.tables.persist import read_table
from graph.tables.quality import quality_summary


def summarise(kg_dir: str | Path, *, files: int, variant_groups: int,
              notices: Sequence[Notice] = (), controls: int = 0) -> dict[str, Any]:
    """The counts, from the tables as written (`files`: digests found, readable or not)."""
    kg = Path(kg_dir)

    def rows(table: str) -> int:
        return pq.ParquetFile(kg / s.TABLES[table].file).metadata.num_rows

    def distinct(table: str, *columns: str) -> int:
        found = read_table(kg, table, list(columns))
        return found.group_by(list(columns)).aggregate([]).num_rows

    records = pc.sum(read_table(kg, "sources", ["records"]).column(0)).as_py() or 0
    return {
        "files": files,
        "records": records,
        "papers": rows("papers"),
        "duplicates_merged": records - rows("papers"),
        "authors": rows("authors"),
        "authorships": rows("authorships"),
        "categories": distinct("categories", "category"),
        "subject_classes": distinct("subject_classes", "scheme", "code"),
        "repositories": distinct("repositories", "url"),
        "papers_with_code": distinct("repositories", "arxiv_id"),
        "links": distinct("links", "url"),
        "mentions": rows("mentions"),
        "author_variant_groups": variant_groups,
        "organisations": pc.sum(pc.equal(read_table(kg, "authors", ["kind"]).column(0),
                                         "organisation")).as_py() or 0,
        "rejected": read_table(kg, "rejected").to_pylist(),
        "quality": quality_summary(kg),
        "warnings": [asdict(n) for n in notices],
        "control_characters_removed": controls,
    }


def human_summary(summary: dict[str, Any]) -> str:
    lines = [f"{summary['records']:,} records from {summary['files']:,} files -> "
             f"{summary['papers']:,} papers ({summary['duplicates_merged']:,} duplicates merged)",
             f"{summary['authors']:,} authors, {summary['categories']:,} categories, "
             f"{summary['subject_classes']:,} subject classes",
             f"{summary['repositories']:,} repositories, {summary['links']:,} other links, "
             f"{summary['mentions']:,} paper mentions",
             f"{summary['author_variant_groups']:,} groups of likely author variants "
             f"(listed in variants.json, not merged)",
             _quality_line(summary.get("quality")),
             f"{len(summary['rejected']):,} rejected, {len(summary['warnings']):,} kept with a warning"]
    return "\n".join(lines)


def _quality_line(quality: dict[str, Any] | None) -> str:
    if not quality:
        return "data quality: not recorded"
    counts = ", ".join(f"{quality[action]:,} {action}" for action in ACTIONS)
    return f"data quality: {counts} values (arxiv-kg doctor lists them)"
