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
    assert_same_kg(*build_generated(tmp_path_factory.mktemp("dups"), files))


def build_generated(root: Path, files: list[list[tuple]], **fields: str) -> tuple[Path, Path]:
    """Engine and reference KGs of generated files: each (ID, version, Updated, author names)."""
    inputs = []
    for i, records in enumerate(files):
        path = root / f"f{i}.md"
        path.write_text(digest(*(record(f"{pid}v{v}", title=f"{pid} {v} {i}", updated=updated,
                                        authors=", ".join(names), **fields)
                                 for pid, v, updated, names in records)), encoding="utf-8")
        inputs.append(str(path))
    return build_both(inputs, root / "kg", jobs=1)


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


# Spellings that make every corpus-wide name rule fire, or nearly: joined names whose parts are
# authors elsewhere, a missing space, names split at a comma, "Surname, Given" lists, teams, a
# key listed twice, spellings the safe key rules merge, and debris the workers clean.
_SPELLINGS = ["Avani A. Pendse Jonathan Cohen", "Avani A. Pendse", "Jonathan Cohen", "AlexBronstein",
              "Alex Bronstein", "Junyu", "Wang", "Junyu Wang", "Doe", "Jane", "Smith", "John",
              "the ADNI", "FSVideo Team", "Bo Zhang", "J P Smith", "J. P. Smith", "Jane Doe1",
              "Wei-Wei Li", "Weiwei Li"]
_NAMED = st.tuples(st.sampled_from(["2105.00001", "2105.00002", "2105.00003"]), st.integers(1, 2),
                   st.just("2021-06-01 10:00:00+00:00"),
                   st.lists(st.sampled_from(_SPELLINGS), min_size=1, max_size=5))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_NAMED, min_size=1, max_size=4), min_size=1, max_size=3))
def test_corpus_wide_name_rules_apply_as_the_reference_applies_them(tmp_path_factory, files):
    """Duplicates too: a record that loses its merge still counts for `known` and its notes."""
    assert_same_kg(*build_generated(tmp_path_factory.mktemp("names"), files,
                                    categories="**cs.CV**, 68T07 (Primary), I 4.1, org"))


def test_every_name_rule_in_any_order_and_jobs(runner, tmp_path):
    """Every re-cut of the corpus-wide rules at once, files given backwards and forwards, with
    one worker and with two: the same bytes as the reference."""
    src = tmp_path / "in"
    src.mkdir()
    lists = ["Avani A. Pendse Jonathan Cohen, AlexBronstein, Junyu, Wang",
             "Avani A. Pendse, Jonathan Cohen, Alex Bronstein, Junyu Wang", "Doe, Jane, Smith, John",
             "the ADNI, FSVideo Team, Bo Zhang, Bo Zhang", "J P Smith, Jane Doe1, Wei-Wei Li",
             "J. P. Smith, Weiwei Li"]
    for i, authors in enumerate(lists):
        (src / f"2021052{i}.md").write_text(digest(record(f"2105.0000{i}v1", authors=authors)),
                                            encoding="utf-8")
    files = sorted(str(p) for p in src.iterdir())
    expected = tmp_path / "expected"
    corpus = build_reference(files, expected)
    assert {n.rule for n in corpus.notes} >= {"joined names", "missing space", "name split at a comma",
                                              "Surname, Given list", "safe key rule", "organisation",
                                              "listed twice", "marker"}
    for jobs, order in (("1", files[::-1]), ("2", files)):
        out = tmp_path / f"out{jobs}"
        result = runner.invoke(main, ["build", *order, "--out", str(out), "--jobs", jobs,
                                      "--formats", "none", "--no-store", "-q"])
        assert result.exit_code == 0, result.output
        for name in (SUMMARY, VARIANTS, *(t.file for t in TABLES.values())):
            assert (out / name).read_bytes() == (expected / name).read_bytes(), name
