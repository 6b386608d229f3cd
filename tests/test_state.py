"""The records a generation keeps for updates (graph.tables.state): a build's ingest workers
write them as its staging files, one part per bucket; they must be the parts the update's
DuckDB writer makes of the same records, whatever the workers and the order of the files."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from click.testing import CliRunner

from arxiv_kg.cli import main
from graph.sample import sample_dir
from graph.tables import ingest, state
from graph.tables.persist import SUMMARY, VARIANTS, write_batches
from graph.tables.schema import TABLES
from graph.tables.staging import RECORDS

DAYS = sorted(sample_dir().glob("*.md"))


def build(out: Path, *inputs: str, jobs: int = 1) -> Path:
    result = CliRunner().invoke(main, ["build", *inputs, "--out", str(out), "--jobs", str(jobs),
                                       "--formats", "none", "--no-store", "-q"])
    assert result.exit_code == 0, result.output
    return (out / "current").resolve()


def parts(generation: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in state.parts(generation)}


def inputs_sharing_a_bucket(folder: Path) -> list[str]:
    """The sample days, and copies of them named so that one bucket holds three files."""
    folder.mkdir()
    names = [day.name for day in DAYS]
    crowded = state.bucket(names[0])
    names += [n for n in (f"copy{i}.md" for i in range(500)) if state.bucket(n) == crowded][:2]
    for i, name in enumerate(names):
        shutil.copy(DAYS[i % len(DAYS)], folder / name)
    return sorted(str(folder / name) for name in names)


def test_a_builds_parts_are_the_update_writers_for_any_jobs_chunks_and_order(tmp_path, monkeypatch):
    files = inputs_sharing_a_bucket(tmp_path / "in")
    one = build(tmp_path / "one", *files)
    expected = parts(one)
    assert len(expected) == len(DAYS)  # the copies went into one of the days' buckets
    assert parts(build(tmp_path / "two", *files, jobs=2)) == expected
    monkeypatch.setattr(ingest, "CHUNK_BYTES", 1)  # a file at a time: row groups made up again
    assert parts(build(tmp_path / "chunked", *files)) == expected

    con = duckdb.connect()
    labels = [Path(f).name for f in files]
    state.write_records(con, f"read_parquet({state.parquet_list(state.parts(one))})", labels,
                        tmp_path / "rewritten")
    assert parts(tmp_path / "rewritten") == expected

    # Given backwards, the files take other places in the input order: only `input` differs.
    backwards = build(tmp_path / "backwards", *files[::-1])
    tables = [[pq.read_table(g / state.RECORDS_DIR / name) for g in (backwards, one)] for name in expected]
    assert all(got.drop_columns(["input"]).equals(want.drop_columns(["input"])) for got, want in tables)
    assert not all(got.column("input").equals(want.column("input")) for got, want in tables)


def test_an_update_reads_parts_compressed_as_earlier_builds_wrote_them(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DAYS[0], src / DAYS[0].name)
    with monkeypatch.context() as patch:  # every part was written so before: zstd
        patch.setattr(state, "write_part", lambda batches, path: write_batches(batches, path, RECORDS))
        old = build(tmp_path / "kg", str(src))
    assert pq.ParquetFile(state.parts(old)[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    for day in DAYS[1:]:
        shutil.copy(day, src / day.name)
    result = CliRunner().invoke(main, ["update", "--kg", str(tmp_path / "kg"), "-q"])
    assert result.exit_code == 0, result.output
    updated, full = (tmp_path / "kg" / "current").resolve(), build(tmp_path / "full", str(src))
    for table in TABLES.values():
        assert pq.read_table(updated / table.file).equals(pq.read_table(full / table.file)), table.name
    for name in (SUMMARY, VARIANTS):
        assert (updated / name).read_bytes() == (full / name).read_bytes(), name
