"""`arxiv-kg update`: the result equals a full build of the same files (tables row for row,
summary and variants byte for byte, store triples as sets, exports byte for byte), whatever the
order the days came in, with revised and vanished files; nothing is written when nothing
changed; a full disk or a kill leaves the previous generation. bench/update_equivalence.py and
bench/crash_harness.py do the same at scale and at every crash point."""
from __future__ import annotations

import errno
import json
import mmap
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from arxiv_kg.cli import main
from graph.crash import AT
from graph.generations import open_kg, verify
from graph.sample import sample_dir
from graph.tables import persist, plan, rowgroups
from graph.tables.schema import TABLES
from graph.tables.update import _Counts, _placed

DAYS = sorted(sample_dir().glob("*.md"))


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def triples(generation: Path) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object}" for q in ox.Store.read_only(str(generation / "store"))}


def assert_same_kg(a: Path, b: Path) -> None:
    with open_kg(a) as x, open_kg(b) as y:
        for table in TABLES.values():
            assert pq.read_table(x.path / table.file).equals(pq.read_table(y.path / table.file)), table.name
        for name in ("summary.json", "variants.json", "kg.ttl", "kg.nt"):
            assert (x.path / name).read_bytes() == (y.path / name).read_bytes(), name
        assert triples(x.path) == triples(y.path)
        assert x.manifest["store"]["triples"] == len(triples(y.path))
        assert verify(x) == []


def folder(tmp: Path, name: str, days: list[Path]) -> Path:
    out = tmp / name
    out.mkdir()
    for day in days:
        shutil.copy(day, out / day.name)
    return out


def test_updates_in_any_order_with_revisions_equal_a_full_build(tmp_path):
    inputs = folder(tmp_path, "in", [DAYS[1]])
    run("build", str(inputs), "--out", str(tmp_path / "kg"), "-q")
    shutil.copy(DAYS[0], inputs / DAYS[0].name)  # a day older than the KG's
    result = run("update", "--kg", str(tmp_path / "kg"), "--exports")
    assert "files 1 added" in result.stdout and "triples" in result.stdout
    # A revision: a day whose records are already in the KG (duplicates), and a file changed
    # in place (its old records withdrawn, with a warning).
    shutil.copy(DAYS[1], inputs / "again.md")
    (inputs / DAYS[1].name).write_text(DAYS[1].read_text() + "\n" + DAYS[2].read_text())
    result = run("update", "--kg", str(tmp_path / "kg"), "--exports")
    assert "changed" in result.stderr
    run("build", str(inputs), "--out", str(tmp_path / "full"), "-q")
    assert_same_kg(tmp_path / "kg", tmp_path / "full")


def test_a_vanished_file_is_withdrawn_with_a_warning_and_exports_are_marked_stale(tmp_path):
    inputs = folder(tmp_path, "in", DAYS)
    run("build", str(inputs), "--out", str(tmp_path / "kg"), "-q")
    (inputs / DAYS[0].name).unlink()
    result = run("update", "--kg", str(tmp_path / "kg"))
    assert DAYS[0].name in result.stderr and "files 0 added, 0 changed, 1 removed" in result.stdout
    manifest = orjson.loads((tmp_path / "kg" / "current" / "manifest.json").read_bytes())
    assert manifest["exports"]["kg.ttl"]["stale"] is True
    assert not (tmp_path / "kg" / "current" / "kg.ttl").exists()
    run("build", str(inputs), "--out", str(tmp_path / "full"), "-q")
    with open_kg(tmp_path / "kg") as a, open_kg(tmp_path / "full") as b:
        assert (a.path / "summary.json").read_bytes() == (b.path / "summary.json").read_bytes()
        assert triples(a.path) == triples(b.path)


def tree(kg: Path) -> dict[str, tuple[int, int, int]]:
    """Size, mtime and inode of the KG folder and of everything under it (links not followed)."""
    found = {}
    for parent, dirs, names in os.walk(kg):
        for path in [parent, *(os.path.join(parent, name) for name in dirs + names)]:
            st = os.lstat(path)
            found[os.path.relpath(path, kg)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def test_an_update_with_nothing_new_writes_nothing(tmp_path, sample_kg):
    kg = Path(shutil.copytree(sample_kg, tmp_path / "kg", symlinks=True))
    before = tree(kg)
    result = run("update", "--kg", str(kg))
    assert "up to date" in result.stdout
    assert tree(kg) == before  # not even a draft made and removed: the folder's mtime is kept


def test_only_files_whose_stat_changed_are_read_and_the_same_content_writes_nothing(tmp_path, monkeypatch):
    inputs = folder(tmp_path, "in", DAYS)
    # A day whose first record lost its ID (rejected) and whose last one has a bad date (a warning).
    text = re.sub(r"- \*\*Arxiv ID\*\*: .*\n", "", DAYS[1].read_text(), count=1)
    head, tail = text.rsplit("- **Updated**: ", 1)
    (inputs / "odd.md").write_text(head + "- **Updated**: 2021-02-30 00:00:00+00:00" + tail[tail.index("\n"):])
    past = time.time() - 3600  # mtimes older than RACY_NS are trusted (graph.tables.facts)
    for day in inputs.iterdir():
        os.utime(day, (past, past))
    kg = tmp_path / "kg"
    run("build", str(inputs), "--out", str(kg), "--formats", "none", "--no-store", "-q")
    summary = orjson.loads((kg / "current" / "summary.json").read_bytes())
    assert summary["rejected"] and summary["warnings"]  # what the update compares besides files
    read: list[str] = []
    real = plan.read_digest
    monkeypatch.setattr(plan, "read_digest", lambda source: read.append(source.label) or real(source))
    before = tree(kg)
    assert "up to date" in run("update", "--kg", str(kg)).stdout
    assert read == [] and tree(kg) == before
    os.utime(inputs / DAYS[0].name, (past + 60, past + 60))  # touched: hashed, found the same
    assert "up to date" in run("update", "--kg", str(kg)).stdout
    assert read == [f"in/{DAYS[0].name}"] and tree(kg) == before


def test_a_full_disk_fails_in_one_line_and_keeps_the_previous_generation(tmp_path, sample_kg, monkeypatch):
    kg = Path(shutil.copytree(sample_kg, tmp_path / "kg", symlinks=True))
    before = (kg / "current" / "summary.json").read_bytes()

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "papers.parquet")

    monkeypatch.setattr("graph.tables.build.write_batches", full)
    result = CliRunner().invoke(main, ["build", "--out", str(kg), "-q"])
    assert result.exit_code == 1 and result.stderr.strip().count("\n") == 0
    assert "No space left on device" in result.stderr and "Traceback" not in result.output
    assert (kg / "current" / "summary.json").read_bytes() == before
    assert not [p for p in kg.iterdir() if p.name.startswith(".draft-")]


@pytest.mark.parametrize("command, point", [("build", "publish:renamed"), ("update", "store:backup")])
def test_a_killed_writer_leaves_the_previous_generation_and_a_rerun_completes(tmp_path, command, point):
    inputs = folder(tmp_path, "in", DAYS[:2])
    kg = tmp_path / "kg"
    light = ["--formats", "none"] + ["--no-store"] * (command == "build")  # what the point needs
    run("build", str(inputs), "--out", str(kg), *light, "-q")
    before = (kg / "current" / "summary.json").read_bytes()
    shutil.copy(DAYS[2], inputs / DAYS[2].name)
    args = ["build", str(inputs), "--out", str(kg), *light] if command == "build" else ["update", "--kg", str(kg)]
    cli = [str(Path(sys.executable).parent / "arxiv-kg"), *args, "-q"]
    killed = subprocess.run(cli, check=False, env={**os.environ, AT: point}, capture_output=True, timeout=300)
    assert killed.returncode == -9
    assert (kg / "current" / "summary.json").read_bytes() == before
    with open_kg(kg) as generation:
        assert verify(generation) == []
    assert subprocess.run(cli, check=False, capture_output=True, timeout=300).returncode == 0
    assert json.loads((kg / "current" / "summary.json").read_text())["files"] == 3
    left = [name for _, dirs, files in os.walk(kg) for name in [*dirs, *files]
            if name.startswith((".draft-", ".current.", ".staging-", ".subjects-")) or name.endswith(".tmp")]
    assert left == []


def digest(day: str, records: list[tuple[str, str]]) -> str:
    """A digest file of `records`, (arXiv ID, Authors field) each."""
    out = [f"# Arxiv Papers in cs.CV on {day}"]
    for arxiv_id, authors in records:
        out += [f"### A paper on {arxiv_id}", f"- **Arxiv ID**: http://arxiv.org/abs/{arxiv_id}v1",
                "- **DOI**: None", "- **Categories**: **cs.CV**",
                f"- **Links**: [PDF](http://arxiv.org/pdf/{arxiv_id}v1)",
                f"- **Published**: {day} 00:31:42+00:00", f"- **Updated**: {day} 00:31:42+00:00",
                f"- **Authors**: {authors}", "- **Comment**: None", "- **Journal**: None",
                "- **Summary**: An abstract.", "", ""]
    return "\n".join(out)


def test_a_splice_update_re_cuts_old_lists_that_new_papers_make_known(tmp_path):
    """A new day can make the parts of an old, joined author list known authors: a full build
    re-cuts that old list, and so must the update (it re-merges only the affected papers)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "20210104.md").write_text(digest("2021-01-04", [
        ("2101.00001", "Avani A. Pendse Jonathan Cohen, Mary Major"),
        ("2101.00002", "Avani A. Pendse, J P Smith")]))
    run("build", str(inputs), "--out", str(tmp_path / "kg"), "-q")
    (inputs / "20210105.md").write_text(digest("2021-01-05", [
        ("2101.00003", "Jonathan Cohen, J. P. Smith")]))
    result = run("update", "--kg", str(tmp_path / "kg"), "--exports")
    assert "(splice)" in result.stdout
    run("build", str(inputs), "--out", str(tmp_path / "full"), "-q")
    assert_same_kg(tmp_path / "kg", tmp_path / "full")
    with open_kg(tmp_path / "kg") as kg:
        authors = pq.read_table(kg.path / "authorships.parquet").to_pylist()
        quality = pq.read_table(kg.path / "quality.parquet").to_pylist()
    assert [a["name"] for a in authors if a["arxiv_id"] == "2101.00001"] == \
        ["Avani A. Pendse", "Jonathan Cohen", "Mary Major"]
    # noted at the old paper, which the update did not merge again
    assert [(q["file"], q["original"]) for q in quality if q["rule"] == "safe key rule"] == \
        [("in/20210104.md", "J P Smith")]


def test_a_splice_copies_unchanged_row_groups_and_writes_a_full_builds_bytes(tmp_path, monkeypatch):
    """With row groups of 16 rows, a new day and a revision of old papers leave most groups of
    the tables as they were: the splice copies those (graph.tables.rowgroups), and every table
    is still a full build's, byte for byte."""
    monkeypatch.setattr(persist, "ROW_GROUP", 16)
    copied: list[int] = []
    write = rowgroups._write
    monkeypatch.setattr(rowgroups, "_write", lambda path, groups, *rest: copied.append(
        sum(isinstance(data, mmap.mmap) for _, data, _ in groups)) or write(path, groups, *rest))
    inputs = folder(tmp_path, "in", DAYS[:2])
    run("build", str(inputs), "--out", str(tmp_path / "kg"), "--formats", "none", "--no-store", "-q")
    shutil.copy(DAYS[2], inputs / DAYS[2].name)
    head, *records = DAYS[1].read_text().split("\n### ")
    (inputs / "again.md").write_text("\n### ".join([head, *records[30:33]]))  # 3 papers revised
    assert "(splice)" in run("update", "--kg", str(tmp_path / "kg")).stdout
    run("build", str(inputs), "--out", str(tmp_path / "full"), "--formats", "none", "--no-store", "-q")
    with open_kg(tmp_path / "kg") as a, open_kg(tmp_path / "full") as b:
        for table in TABLES.values():
            assert (a.path / table.file).read_bytes() == (b.path / table.file).read_bytes(), table.name
    assert sum(copied) > 10


@settings(deadline=None)  # a loaded machine
@given(st.sets(st.tuples(st.sampled_from(["a", "ab", "b", "é", "é2", "Z", "中"]), st.integers(0, 5)),
               max_size=30), st.data())
def test_merging_two_sorted_tables_equals_sorting_their_rows(keys, data):
    """The splice puts new rows between kept ones by binary search; the result is the sort of
    both (by code point, as the build's ORDER BY sorts UTF-8 by bytes)."""
    schema = pa.schema([("x", pa.string()), ("y", pa.int32())])
    new = data.draw(st.sets(st.sampled_from(sorted(keys)))) if keys else set()
    tables = [pa.Table.from_pylist([{"x": x, "y": y} for x, y in sorted(part)], schema=schema)
              for part in (keys - new, new)]
    rows = pa.concat_tables(tables)
    expected = rows.take(pc.sort_indices(rows, [("x", "ascending"), ("y", "ascending")]))
    placed = _placed(*tables, ["x", "y"])
    at = [p if p >= 0 else len(tables[0]) - 1 - p for p in placed]
    assert rows.take(pa.array(at, pa.int64())).equals(expected)


@settings(deadline=None, max_examples=50)  # a DuckDB connection each
@given(st.dictionaries(st.text(max_size=6), st.integers(1, 9), max_size=40),
       st.dictionaries(st.text(max_size=6), st.integers(0, 9), max_size=10), st.lists(st.text(max_size=6)))
def test_counts_looked_up_in_duckdbs_order_are_the_counts(counts, recounted, absent):
    """The name rules look keys up by binary search in the known table as DuckDB sorted it,
    the keys counted again (0: no paper now) first."""
    con = duckdb.connect()
    con.register("given", pa.table({"key": list(counts), "papers": list(counts.values())},
                                   schema=pa.schema([("key", pa.string()), ("papers", pa.int64())])))
    known = _Counts(con.sql("SELECT * FROM given ORDER BY key").to_arrow_table(), recounted)
    expected = {key: n for key, n in {**counts, **recounted}.items() if n}
    assert {key: known[key] for key in expected} == expected and dict(known) == expected
    assert all(known.get(key) is None for key in [*absent, *recounted] if key not in expected)


@pytest.mark.parametrize("full", [False, True])
def test_an_update_that_withdraws_every_record_leaves_an_empty_kg(tmp_path, full):
    inputs = folder(tmp_path, "in", DAYS[:1])
    run("build", str(inputs), "--out", str(tmp_path / "kg"), "--formats", "none", "-q")
    (inputs / DAYS[0].name).write_text("# Arxiv Papers in cs.CV on 2021-01-06\n")
    result = run("update", "--kg", str(tmp_path / "kg"), *(["--full"] * full))
    assert "changed" in result.stderr
    with open_kg(tmp_path / "kg") as kg:
        assert pq.read_table(kg.path / "papers.parquet").num_rows == 0
        assert json.loads((kg.path / "summary.json").read_text())["papers"] == 0
        assert verify(kg) == []
