"""The columnar build writes what the in-memory reference pipeline (tests/reference.py) writes:
every table row for row, and summary.json and variants.json byte for byte."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import DATA, digest, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import build_reference

from arxiv_kg.cli import main
from graph.sample import sample_dir
from graph.tables.build import write_kg
from graph.tables.ingest import staged
from graph.tables.persist import SUMMARY, VARIANTS
from graph.tables.schema import TABLES


def build_both(inputs: list[str], out: Path, jobs: int = 2) -> tuple[Path, Path]:
    with staged(inputs, out / "engine", jobs=jobs) as found:
        write_kg(found, out / "engine", jobs=jobs)
    build_reference(inputs, out / "reference")
    return out / "engine", out / "reference"


def assert_same_kg(engine: Path, reference: Path) -> None:
    for table in TABLES.values():
        got, want = pq.read_table(engine / table.file), pq.read_table(reference / table.file)
        assert got.schema.equals(want.schema, check_metadata=True), table.name
        assert got.to_pylist() == want.to_pylist(), table.name
    for name in (SUMMARY, VARIANTS):
        assert (engine / name).read_bytes() == (reference / name).read_bytes(), name


def test_bundled_sample_and_fixture(tmp_path):
    assert_same_kg(*build_both([str(sample_dir()), str(DATA)], tmp_path))


def test_bad_inputs_and_duplicate_edge_cases(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    same_version = dict(published="2021-05-31 00:49:34+00:00")
    (src / "a.md").write_text(digest(
        record("2105.00001v2", title="A", authors="Ann Lee, Bo Chen", updated="2021-06-02 10:00:00+00:00"),
        record("2105.00002v1", title="Tie first", authors="ann lee", **same_version),
        record("2105.00003v1", authors="Bo CHEN, Bo Chen", published="not a date"),
        record("math.GT/0309136v3", authors="J.P. Smith, Zoë Ünal"),
    ), encoding="utf-8")
    (src / "b.md").write_text(digest(
        record("2105.00001v2", title="B", authors="ANN LEE", updated="2021-06-02 12:00:00+02:00"),
        record("2105.00002v1", title="Tie second", authors="Ann Lee", **same_version),
        record("math/0309136v1", authors="J. P. Smith, Zoe Unal"),
        record("2105.00004v1", authors="José García, Jose Garcia, J. Smith, John Smith"),
    ), encoding="utf-8")
    (src / "empty.md").write_text("")
    (src / "bad-utf8.md").write_bytes(digest(record("2105.00005v1", title="Caf\xe9")).encode("latin-1"))
    # The same file twice, as two inputs: identical records at the same file:line.
    assert_same_kg(*build_both([str(src), str(src / "a.md"), str(src / "a.md")], tmp_path))


# Few IDs, versions and spellings, so that duplicates, ties and spelling counts abound; the
# timestamps tie as instants but not as text.
_RECORD = st.tuples(st.sampled_from(["2105.00001", "2105.00002", "cs/0505084"]), st.integers(1, 3),
                    st.sampled_from(["2021-06-01 10:00:00+00:00", "2021-06-01 12:00:00+02:00",
                                     "2021-06-01T10:00:00Z"]),
                    st.lists(st.sampled_from(["Ann Lee", "ann lee", "ANN LEE", "Bo Chen", "B. Chen",
                                              "Bo  Chen"]), min_size=1, max_size=3))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_RECORD, min_size=1, max_size=3), min_size=1, max_size=3))
def test_any_duplicates_merge_as_the_reference_merges_them(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("dups")
    inputs = []
    for i, records in enumerate(files):
        path = root / f"f{i}.md"
        path.write_text(digest(*(record(f"{pid}v{v}", title=f"{pid} {v} {i}", updated=updated,
                                        authors=", ".join(names))
                                 for pid, v, updated, names in records)), encoding="utf-8")
        inputs.append(str(path))
    assert_same_kg(*build_both(inputs, root / "kg", jobs=1))


@pytest.mark.parametrize("jobs", ["1", "2", "4"])
def test_any_jobs_and_file_order_give_identical_files(runner, tmp_path, jobs):
    files = sorted(str(p) for p in [*sample_dir().glob("*.md"), *DATA.glob("*.md")])
    expected = tmp_path / "expected"
    build_reference(files, expected)
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", *files[::-1], "--out", str(out), "--jobs", jobs,
                                  "--formats", "none", "--no-store", "-q"])
    assert result.exit_code == 0, result.output
    for name in (SUMMARY, VARIANTS, *(t.file for t in TABLES.values())):
        assert (out / name).read_bytes() == (expected / name).read_bytes(), name
