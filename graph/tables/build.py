"""Staged records -> the KG folder: every table through the engine, then variants and summary.

    with staged(inputs, out, jobs=jobs) as found:   # graph.tables.ingest: parse on every core
        summary = write_kg(found, out, jobs=jobs)

Between staging and the merge, graph.tables.recut runs the corpus-wide name rules. Tables
stream from the engine to Parquet in batches; the only per-author Python objects are a count
per identity key for those rules, and the keys that graph.tables.variants finds in groups.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from graph.tables import engine, recut
from graph.tables import schema as s
from graph.tables.ingest import Staged, Steps, no_steps
from graph.tables.persist import (
    read_table,
    save_summary,
    save_variants,
    write_batches,
    write_table,
)
from graph.tables.staging import CHILDREN
from graph.tables.summary import summarise
from graph.tables.variants import variant_groups

# What write_kg computes from the whole corpus at once, rather than from one paper's records
# (papers and their child tables), one author key's authorships (authors) or one file (sources,
# rejected). An update that recomputes only what changed (graph.tables.update) recomputes these
# whole, and falls back to a full merge when one it does not know is listed here. The name
# rules (recut) make a paper's author list depend on counts over every record, and the quality
# table's merges and the authors' kind on every spelling: they are corpus-wide too.
CORPUS_WIDE = ("recut", "quality", "variants", "summary")


def write_kg(found: Staged, out: Path, *, jobs: int, steps: Steps = no_steps,
             known: Mapping[str, int] | None = None, tables_only: bool = False) -> dict[str, Any]:
    """Write every table, variants.json and summary.json into `out`, and the name rules' part of
    its state; return the summary. `known`: see graph.tables.recut.recut_authors. With
    `tables_only` (an update's merge of some papers), the tables and the state alone: no
    variants, per-file tables or summary, and an empty dict returned."""
    out.mkdir(parents=True, exist_ok=True)
    con = engine.connect(found.folder, jobs)
    # Variants are found in Python from the author keys: they run in a thread while the engine
    # and the Parquet writer, which leave the GIL, write the other tables.
    with ThreadPoolExecutor(1) as background:
        try:
            with steps("merging duplicates"):
                engine.load_staging(con, found.folder)
            # The tables without author lists are written from another connection while the
            # name rules run in Python and the authors' tables follow them; the papers first,
            # and before the variants, whose Python objects would sit beside the engine's
            # largest sort (2.5M records: 5.7 GB peak RSS the other way).
            unattributed = background.submit(_write_unattributed, con.cursor(), steps, out)
            try:
                with steps("corpus-wide name rules"):
                    recut.recut_authors(con, known)
                    recut.save_state(con, out)
                    merges = recut.safe_merges(con)
                _write(steps, "authorships", engine.children(con, "authorships"), out)
                _write(steps, "quality", engine.quality(con, merges), out)
                _write(steps, "authors", engine.authors(con, out / s.AUTHORSHIPS.file, out / s.QUALITY.file), out)
            finally:
                wait([unattributed])  # before the connection closes
            unattributed.result()
            variants = background.submit(write_variants, out, steps) if not tables_only else None
        finally:
            con.close()
        if variants is None:
            return {}
        groups = variants.result()
    return finish_kg(found, out, groups)


def finish_kg(found: Staged, out: Path, variant_groups: int) -> dict[str, Any]:
    """The per-file tables (sources, rejected) and summary.json; returns the summary."""
    write_table(_columns([f for _, f in found.sources], s.SOURCES.schema), out / s.SOURCES.file)
    write_table(_columns(found.rejected, s.REJECTED.schema), out / s.REJECTED.file)
    summary = summarise(out, files=found.files, variant_groups=variant_groups, notices=found.notices,
                        controls=found.controls)
    save_summary(summary, out)
    return summary


def _columns(rows: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """Dataclass instances as a table, built column by column (dataclasses.asdict deep-copies
    every row: 0.7 s for the archive's 12,000 files)."""
    return pa.Table.from_pydict({name: [getattr(row, name) for row in rows] for name in schema.names},
                                schema=schema)


def _write_unattributed(cursor: duckdb.DuckDBPyConnection, steps: Steps, out: Path) -> None:
    """The papers, then every child table but the authorships, from `cursor`, which it closes."""
    try:
        _write(steps, "papers", engine.papers(cursor), out)
        for name in CHILDREN:
            if name != "authorships":
                _write(steps, name, engine.children(cursor, name), out)
    finally:
        cursor.close()


def _write(steps: Steps, name: str, batches: Iterator[pa.RecordBatch], out: Path) -> None:
    with steps(f"writing {name}"):
        write_batches(batches, out / s.TABLES[name].file, s.TABLES[name].schema)


def write_variants(out: Path, steps: Steps = no_steps) -> int:
    """Write variants.json from the authors table; return the number of groups."""
    with steps("author variants"):
        authors = read_table(out, "authors", ["key", "name"])
        variants = variant_groups(authors.column("key"), authors.column("name"))
        save_variants(variants, out)
    return len(variants)
