"""Staged records -> the KG folder: every table through the engine, then variants and summary.

    with staged(inputs, out, jobs=jobs) as found:   # graph.tables.ingest: parse on every core
        summary = write_kg(found, out, jobs=jobs)

Tables stream from the engine to Parquet in batches; the only per-author Python objects are
the identity keys that graph.ingest.names.variant_groups needs.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.ingest.names import variant_groups
from graph.tables import engine
from graph.tables import schema as s
from graph.tables.ingest import Staged, Steps, no_steps
from graph.tables.persist import read_table, save_summary, save_variants, write_batches, write_table
from graph.tables.staging import CHILDREN
from graph.tables.summary import summarise


def write_kg(found: Staged, out: Path, *, jobs: int, steps: Steps = no_steps) -> dict[str, Any]:
    """Write every table, variants.json and summary.json into `out`; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    _write_merged(found, out, jobs, steps)
    write_table(pa.Table.from_pylist([{**asdict(f)} for _, f in found.sources], schema=s.SOURCES.schema),
                out / s.SOURCES.file)
    write_table(pa.Table.from_pylist([asdict(r) for r in found.rejected], schema=s.REJECTED.schema),
                out / s.REJECTED.file)
    with steps("author variants"):
        variants = variant_groups(read_table(out, "authors", ["key"]).column(0).to_pylist())
        save_variants(variants, out)
    summary = summarise(out, files=found.files, variant_groups=len(variants))
    save_summary(summary, out)
    return summary


def _write_merged(found: Staged, out: Path, jobs: int, steps: Steps) -> None:
    con = engine.connect(found.folder, jobs)
    try:
        with steps("merging duplicates"):
            engine.load_staging(con, found.folder)
        with steps("writing papers"):
            write_batches(engine.papers(con), out / s.PAPERS.file, s.PAPERS.schema)
        for name in CHILDREN:
            with steps(f"writing {name}"):
                write_batches(engine.children(con, name), out / s.TABLES[name].file, s.TABLES[name].schema)
        with steps("writing authors"):
            write_batches(engine.authors(con, out / s.AUTHORSHIPS.file), out / s.AUTHORS.file,
                          s.AUTHORS.schema)
    finally:
        con.close()
