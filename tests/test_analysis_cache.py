"""Analyses keep projections and measures in <kg>/cache/: answered from there the second time,
skipped with --no-cache, renewed when the KG changes, and never the reason a command fails."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import current, private_copy

from arxiv_kg.cli import main
from graph.analysis import coauthors, lookup
from graph.analysis import measures as metrics
from graph.tables.identity import kg_identity

COMMANDS = [["authors", "--columns", "all", "--top", "0"], ["components"], ["stats"],
            ["coauthors", "YAN WANG", "--depth", "2"], ["path", "yan wang", "Tianyu Yang"]]


@pytest.fixture
def kg(sample_kg: Path, tmp_path: Path) -> Path:
    """A private copy of the sample KG (no cache)."""
    return private_copy(sample_kg, tmp_path / "kg")


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args))
    assert (result.exit_code == 0) == ok, result.output
    assert "Traceback" not in result.output
    return result


def cache_files(kg: Path) -> set[str]:
    root = current(kg) / "cache"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() \
        else set()


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_second_answer_comes_from_the_cache_byte_for_byte(kg: Path, args: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    argv = [*args, "--kg", str(kg), "--format", "json", "--k", "30", "--seed", "5"]
    fresh = run(*argv, "--no-cache").stdout
    assert not cache_files(kg)
    assert run(*argv).stdout == fresh
    assert any(name.endswith("edges.parquet") for name in cache_files(kg))

    def fail(*_: object, **__: object) -> None:
        raise AssertionError("computed again instead of read from the cache")

    monkeypatch.setattr(coauthors, "project_tables", fail)
    for name in ("pagerank", "eigenvector", "core", "clustering"):
        monkeypatch.setitem(metrics._AUTHOR, name, fail)
    for name in ("_network_stats", "_run_pass", "_leiden"):
        monkeypatch.setattr(metrics, name, fail)
    monkeypatch.setattr(metrics.Network, "_components", fail)
    monkeypatch.setattr(lookup, "folded_forms", fail)  # the folded names are kept too
    assert run(*argv).stdout == fresh


def test_a_new_generation_gets_a_fresh_cache(kg: Path) -> None:
    run("stats", "--kg", str(kg))
    before = kg_identity(current(kg))[:16]
    assert {p.split("/")[0] for p in cache_files(kg)} == {before}
    run("export", "graphml", "--kg", str(kg), "-q")  # a new generation, with the same tables
    after = kg_identity(current(kg))[:16]
    assert after != before and not cache_files(kg)
    run("stats", "--kg", str(kg))
    assert {p.split("/")[0] for p in cache_files(kg)} == {after}


def test_options_are_part_of_the_key(kg: Path) -> None:
    narrow = run("authors", "--kg", str(kg), "--since", "2026", "--format", "json").stdout
    wide = run("authors", "--kg", str(kg), "--format", "json").stdout
    assert json.loads(narrow)["authors"] < json.loads(wide)["authors"]
    assert run("authors", "--kg", str(kg), "--since", "2026", "--format", "json").stdout == narrow


def test_an_unwritable_cache_warns_once_and_the_command_answers(kg: Path) -> None:
    (current(kg) / "cache").write_text("a file where the cache folder should be")
    expected = run("authors", "--kg", str(kg), "--columns", "all", "--no-cache").stdout
    result = run("authors", "--kg", str(kg), "--columns", "all")
    assert result.stdout == expected
    assert [line for line in result.stderr.splitlines() if "cache" in line] == [
        line for line in result.stderr.splitlines() if line.startswith("cache: not written")]
    assert result.stderr.count("cache: not written") == 1


def test_a_damaged_cache_file_is_computed_again(kg: Path) -> None:
    expected = run("components", "--kg", str(kg), "--format", "json").stdout
    edges = next((current(kg) / "cache").rglob("edges.parquet"))
    edges.write_bytes(b"PAR1 not parquet")
    result = run("components", "--kg", str(kg), "--format", "json")
    assert result.stdout == expected
    assert result.stderr.count("cache: cannot read") == 1


def test_authors_computes_only_the_columns_it_shows(kg: Path) -> None:
    rows = json.loads(run("authors", "--kg", str(kg), "--format", "json").stdout)["rows"]
    assert set(rows[0]) == {"rank", "key", "name", *metrics.DEFAULT_COLUMNS}
    assert not any("betweenness" in name or "communities" in name for name in cache_files(kg))
    doc = json.loads(run("authors", "--kg", str(kg), "--by", "community", "--columns",
                         "degree", "--format", "json").stdout)
    assert set(doc["rows"][0]) == {"rank", "key", "name", "degree", "community"}
    assert doc["community"]["count"] > 1 and doc["path_measures"] is None
    assert "unknown measure 'bogus'" in run("authors", "--kg", str(kg), "--columns",
                                            "degree,bogus", ok=False).output


def test_too_many_pairs_is_one_line_naming_the_largest_papers(kg: Path) -> None:
    result = run("stats", "--kg", str(kg), "--max-authors", "0", "--max-pairs", "100", ok=False)
    message = result.output.strip()
    assert message.startswith("Error: the co-author network needs") and "\n" not in message
    assert "authors), " in message and "--max-pairs" in message
