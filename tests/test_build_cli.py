"""`arxiv-kg build` through CliRunner, re-reading what it wrote."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, current, digest, record
from reference import load_corpus

from arxiv_kg.cli import main
from graph.sample import sample_dir
from graph.tables.schema import TABLES

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
KEYS = {"files", "records", "papers", "duplicates_merged", "authors", "categories",
        "subject_classes", "repositories", "links", "rejected"}


def read_summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_bundled_sample_counts(sample_kg):
    summary = read_summary(sample_kg)
    assert KEYS <= set(summary)
    assert (summary["files"], summary["records"], summary["papers"], summary["duplicates_merged"]) == (3, 255, 214, 41)
    assert summary["rejected"] == []
    corpus = load_corpus(sample_kg)
    assert len(corpus.papers) == 214 and len(corpus.authors) == summary["authors"]


def test_summary_on_stdout_and_quiet_stderr(runner, tmp_path):
    result = runner.invoke(main, ["build", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0
    assert "214 papers (41 duplicates merged)" in result.stdout
    assert result.stderr == ""


def test_one_progress_line_per_step_on_stderr(runner, tmp_path):
    result = runner.invoke(main, ["build", "--out", str(tmp_path), "--jobs", "2", "--formats", "none",
                                  "--no-store"])
    assert result.exit_code == 0, result.output
    steps = [line.rpartition(":")[0] for line in result.stderr.splitlines() if line.endswith(" s")]
    # Variants are found in a thread, so their line may come anywhere after the authors'.
    assert sorted(steps) == sorted(["reading digests (2 workers)", "merging duplicates", "author variants",
                                    "corpus-wide name rules", "records kept for updates",
                                    "publishing g000001",
                                    *(f"writing {t}" for t in TABLES if t not in ("sources", "rejected"))])
    assert "214 papers" in result.stdout and "214 papers" not in result.stderr


def test_stdin_input(runner, tmp_path):
    result = runner.invoke(main, ["build", "-", "--out", str(tmp_path), "-q"],
                           input=(DATA / "20050531.md").read_text())
    assert result.exit_code == 0, result.output
    (paper,) = load_corpus(tmp_path).papers
    assert paper.arxiv_id == "cs/0505084" and paper.sources == ("<stdin>:2",)
    assert paper.subject_classes == ("ACM:G.2.1", "ACM:F.2.2", "ACM:I.4.6", "ACM:I.5.1")


def test_bad_inputs_are_reported_and_good_records_kept(runner, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.md").write_text(digest(record("2105.00001v1"), record("2105.00002v1", published="not a date")))
    (src / "empty.md").write_text("")
    (src / "binary.md").write_bytes(b"\x00\x01\x02")
    (src / "notes.md").write_text("just some notes\n")
    (src / "bad-utf8.md").write_bytes(digest(record("2105.00003v1", title="Caf\xe9")).encode("latin-1"))
    (src / "noid.md").write_text(digest(record("2105.00004v1").replace("- **Arxiv ID**: http://arxiv.org/abs/2105.00004v1\n", "")))
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    rejected = {(Path(r["file"]).name, r["line"], r["reason"].split(" ")[0]) for r in read_summary(out)["rejected"]}
    assert rejected == {("bad-utf8.md", 2, "invalid"), ("binary.md", 0, "binary"), ("empty.md", 0, "empty"),
                        ("good.md", 15, "malformed"), ("noid.md", 2, "truncated"), ("notes.md", 1, "not")}
    assert [p.arxiv_id for p in load_corpus(out).papers] == ["2105.00001"]
    assert "good.md:15: malformed Published timestamp 'not a date'" in result.stderr


def test_nothing_usable_exits_non_zero_without_traceback(runner, tmp_path):
    (tmp_path / "x.md").write_text("not a digest")
    result = runner.invoke(main, ["build", str(tmp_path / "x.md"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: no usable records")
    assert not (tmp_path / "o" / "summary.json").exists()


def test_strict_fails_on_any_rejection(runner, tmp_path):
    (tmp_path / "d.md").write_text(digest(record("2105.00001v1"), record("bogus")))
    result = runner.invoke(main, ["build", str(tmp_path / "d.md"), "--out", str(tmp_path / "o"), "--strict"])
    assert result.exit_code == 1 and "1 rejected (--strict)" in result.stderr
    assert read_summary(tmp_path / "o")["papers"] == 1  # written before failing, for inspection


def test_shared_samples_when_present(runner, tmp_path):
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not beside this checkout")
    result = runner.invoke(main, ["build", str(SAMPLES), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0
    assert read_summary(tmp_path)["papers"] == 214


def test_existing_outputs_survive_a_failed_build(runner, tmp_path, sample_kg):
    out = tmp_path / "kg"
    shutil.copytree(sample_kg, out)
    before = (out / "papers.parquet").read_bytes()
    (tmp_path / "x.md").write_text("")
    assert runner.invoke(main, ["build", str(tmp_path / "x.md"), "--out", str(out)]).exit_code == 1
    assert (out / "papers.parquet").read_bytes() == before


def test_default_exports_and_store(sample_kg):
    import pyoxigraph as ox

    for name in ("kg.ttl", "kg.nt", "vocab.ttl"):
        assert (sample_kg / name).stat().st_size > 0, name
    store = ox.Store.read_only(str(sample_kg / "store"))
    (row,) = store.query("SELECT (COUNT(?p) AS ?n) { ?p a <http://schema.org/ScholarlyArticle> }")
    assert int(row["n"].value) == 214
    nt_lines = (sample_kg / "kg.nt").read_bytes().count(b"\n")
    assert len(store) == nt_lines  # the store holds exactly the exported triples


def test_formats_none_and_no_store(runner, tmp_path):
    result = runner.invoke(main, ["build", "--out", str(tmp_path), "--formats", "none", "--no-store", "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in current(tmp_path).iterdir()) == sorted(
        ["manifest.json", "state", "summary.json", "variants.json", *(t.file for t in TABLES.values())])
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_symlink()) == sorted(
        ["current", "summary.json", "variants.json", *(t.file for t in TABLES.values())])


def test_chosen_formats(runner, tmp_path):
    result = runner.invoke(main, ["build", "--out", str(tmp_path), "--formats", "kg.jsonld,coauthors.graphml",
                                  "--no-store", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "kg.jsonld").read_bytes())["@graph"]
    assert (tmp_path / "coauthors.graphml").read_bytes().startswith(b"<?xml")


def test_bad_format_fails_before_any_work(runner, tmp_path):
    result = runner.invoke(main, ["build", "--out", str(tmp_path / "o"), "--formats", "kg.docx"])
    assert result.exit_code == 1
    assert "unknown format 'docx'; valid: gexf, graphml" in result.stderr
    assert not (tmp_path / "o").exists()


def test_outputs_do_not_depend_on_where_the_data_lives(runner, tmp_path):
    for name in ("one", "two/deeper"):
        shutil.copytree(sample_dir(), tmp_path / name / "sample")
        result = runner.invoke(main, ["build", str(tmp_path / name / "sample"), "--out",
                                      str(tmp_path / name / "kg"), "--formats", "kg.nt", "--no-store", "-q"])
        assert result.exit_code == 0, result.output
    for f in ("papers.parquet", "sources.parquet", "summary.json", "kg.nt"):
        assert (tmp_path / "one/kg" / f).read_bytes() == (tmp_path / "two/deeper/kg" / f).read_bytes(), f
    assert load_corpus(tmp_path / "one/kg").papers[0].sources[0].startswith("sample/")


def test_lazy_command_table_matches_the_command_modules():
    from importlib import import_module

    import click

    from arxiv_kg.cli import LAZY_COMMANDS, SHORT_HELP, SHORT_HELP_LIMIT
    defined = {c.name: module for module in set(LAZY_COMMANDS.values())
               for c in import_module(module).COMMANDS}
    assert defined == LAZY_COMMANDS
    commands = [c for module in set(LAZY_COMMANDS.values()) for c in import_module(module).COMMANDS]
    assert SHORT_HELP == {c.name: c.get_short_help_str(limit=SHORT_HELP_LIMIT) for c in commands}
    with click.Context(main) as ctx:
        assert all(main.get_command(ctx, name).name == name for name in main.list_commands(ctx))


def _killed(folder, task):
    """An ingest task whose worker is killed (as the kernel's OOM killer does)."""
    import os
    import signal
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_worker_fails_the_build_in_one_line_and_keeps_the_kg(runner, tmp_path, monkeypatch):
    out = tmp_path / "kg"
    first = runner.invoke(main, ["build", "--out", str(out), "--formats", "none", "--no-store", "-q"])
    assert first.exit_code == 0, first.output
    before = (out / "current").resolve()
    monkeypatch.setattr("graph.tables.ingest._stage_task", _killed)
    result = runner.invoke(main, ["build", str(DATA), "--out", str(out), "--jobs", "2",
                                  "--formats", "none", "--no-store"])
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error")]
    assert "worker reading the digests died" in line and "Traceback" not in result.output
    assert (out / "current").resolve() == before and read_summary(out)["papers"] == 214
