"""The analysis commands through CliRunner on the bundled sample, and author name look-up."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from arxiv_kg.cli import main
from arxiv_kg.cmd_analysis import COMMANDS
from graph.analysis import measures as metrics
from graph.analysis.lookup import (
    AmbiguousName,
    NameNotFound,
    find_author,
    fold,
    fold_all,
)
from graph.analysis.projection import project
from graph.model.records import Author, Corpus

FORMATS = ("table", "csv", "json")


def run(runner: CliRunner, *args: str, ok: bool = True):
    result = runner.invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0
        assert isinstance(result.exception, SystemExit)  # a handled error, not a crash
        assert "Traceback" not in result.output
    return result


def as_json(runner: CliRunner, *args: str) -> dict:
    return json.loads(run(runner, *args, "--format", "json").stdout)


@pytest.fixture(scope="module")
def network(sample_corpus: Corpus) -> nx.Graph:
    return project(sample_corpus).graph


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    for command in COMMANDS:
        result = run(runner, command.name, "--help")
        assert "Example:" in result.stdout and "--kg" in result.stdout
        assert f"arxiv-kg {command.name}" in result.stdout


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("args", [["authors", "--top", "7"], ["components"], ["stats"],
                                  ["coauthors", "Yan Wang"], ["path", "yan wang", "tianyu yang"]],
                         ids=lambda a: a[0] if isinstance(a, list) else a)
def test_json_is_byte_identical_and_every_format_parses(runner: CliRunner, sample_kg: Path,
                                                        args: list[str], fmt: str) -> None:
    argv = [*args, "--kg", str(sample_kg), "--format", fmt, "--k", "40", "--seed", "3"]
    first, second = run(runner, *argv), run(runner, *argv)
    assert first.stdout == second.stdout and first.stdout
    if fmt == "json":
        doc = json.loads(first.stdout)
        assert doc["settings"]["papers_used"] == 214
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(first.stdout)))
        assert rows  # and every row exactly as wide as the header:
        assert all(None not in row and None not in row.values() for row in rows)


def test_json_is_byte_identical_across_processes(sample_kg: Path) -> None:
    # Separate interpreters get different string-hash seeds and thread timings, which a
    # single CliRunner process cannot show.
    argv = [sys.executable, "-m", "arxiv_kg", "authors", "--kg", str(sample_kg), "--top", "0",
            "--format", "json", "--k", "30", "-q"]
    outputs = [subprocess.run(argv, capture_output=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")]
    assert outputs[0] == outputs[1] and json.loads(outputs[0])["rows"]


def test_authors_ranks_by_the_measure_and_matches_metrics(runner: CliRunner, sample_kg: Path,
                                                          network: nx.Graph) -> None:
    doc = as_json(runner, "authors", "--kg", str(sample_kg), "--top", "10", "--by", "degree",
                  "--columns", "all")
    rows = doc["rows"]
    assert [r["rank"] for r in rows] == list(range(1, 11))
    degrees = [r["degree"] for r in rows]
    assert degrees == sorted(degrees, reverse=True)
    assert degrees[0] == max(d for _, d in network.degree())
    expected = metrics.author_measures(network)
    for row in rows:
        assert set(metrics.MEASURES) <= row.keys()
        assert row["pagerank"] == pytest.approx(expected[row["key"]]["pagerank"], rel=1e-9)
        assert row["betweenness"] == pytest.approx(expected[row["key"]]["betweenness"], rel=1e-9)
    assert doc["path_measures"]["exact"] is True  # 1,215 authors: below the threshold
    assert doc["community"]["modularity"] > 0


def test_authors_reports_sampling_beside_the_result(runner: CliRunner, sample_kg: Path) -> None:
    args = ["--kg", str(sample_kg), "--k", "50", "--seed", "9", "--by", "betweenness"]
    doc = as_json(runner, "authors", *args)
    assert doc["path_measures"] == {"exact": False, "k": 50, "seed": 9}
    table = run(runner, "authors", *args).stdout
    assert "estimated from 50 sampled sources (seed 9)" in table
    everyone = as_json(runner, "authors", "--kg", str(sample_kg), "--top", "0")
    assert len(everyone["rows"]) == everyone["authors"] == 1215  # people: the team is left out
    teams = as_json(runner, "authors", "--kg", str(sample_kg), "--top", "0", "--include-organisations")
    assert teams["authors"] == 1216 and teams["settings"]["include_organisations"] is True
    assert {r["name"] for r in teams["rows"]} - {r["name"] for r in everyone["rows"]} == {"FSVideo Team"}


def test_stats_and_components_agree_with_networkx(runner: CliRunner, sample_kg: Path,
                                                  network: nx.Graph) -> None:
    stats = as_json(runner, "stats", "--kg", str(sample_kg))["stats"]
    assert stats["nodes"] == network.number_of_nodes()
    assert stats["edges"] == network.number_of_edges()
    assert stats["components"] == nx.number_connected_components(network)
    comps = as_json(runner, "components", "--kg", str(sample_kg))
    assert sum(r["authors"] for r in comps["sizes"]) == stats["nodes"]
    assert comps["giant_nodes"] == len(max(nx.connected_components(network), key=len))
    assert comps["largest"][0]["size"] == comps["giant_nodes"]


def test_filters_reach_the_projection(runner: CliRunner, sample_kg: Path,
                                      sample_corpus: Corpus) -> None:
    args = ["--kg", str(sample_kg), "--counting", "fractional", "--since", "2021",
            "--min-papers", "2", "--max-authors", "0"]
    doc = as_json(runner, "stats", *args)
    proj = project(sample_corpus, counting="fractional", since="2021", min_papers=2,
                   max_authors=0)
    assert doc["stats"]["nodes"] == len(proj.keys) and doc["stats"]["edges"] == len(proj.edges)
    assert doc["settings"]["counting"] == "fractional" and doc["settings"]["since"] == "2021"
    empty = run(runner, "authors", "--kg", str(sample_kg), "--since", "2100")
    assert "0 authors" in empty.stdout and "no papers match" in empty.stderr


def test_coauthors_lists_the_ego_network(runner: CliRunner, sample_kg: Path,
                                         network: nx.Graph) -> None:
    rows = as_json(runner, "coauthors", "YAN WANG", "--kg", str(sample_kg), "--depth", "2")["rows"]
    distances = nx.single_source_shortest_path_length(network, "yan wang", cutoff=2)
    assert {r["key"]: r["distance"] for r in rows} == {k: d for k, d in distances.items() if d}
    for row in rows:
        joint = network.get_edge_data("yan wang", row["key"], {}).get("papers", 0)
        assert row["joint_papers"] == joint


def test_coauthors_ignores_accents_and_case(runner: CliRunner, sample_kg: Path) -> None:
    doc = as_json(runner, "coauthors", "alexander muller", "--kg", str(sample_kg))
    assert doc["ego"]["key"] == "alexander müller"


def test_path_gives_a_chain_of_joint_papers(runner: CliRunner, sample_kg: Path,
                                            sample_corpus: Corpus, network: nx.Graph) -> None:
    doc = as_json(runner, "path", "Yan Wang", "Tianyu Yang", "--kg", str(sample_kg))
    assert doc["distance"] == nx.shortest_path_length(network, "yan wang", "tianyu yang")
    rows = doc["rows"]
    assert len(rows) == doc["distance"] + 1
    assert (rows[0]["key"], rows[-1]["key"]) == ("yan wang", "tianyu yang")
    papers = {p.arxiv_id: p for p in sample_corpus.papers}
    for here, there in zip(rows, rows[1:]):
        paper = papers[here["paper"]]
        assert here["key"] in paper.authors and there["key"] in paper.authors
        assert here["title"] == paper.title
    table = run(runner, "path", "Yan Wang", "Tianyu Yang", "--kg", str(sample_kg)).stdout
    assert f"collaboration distance between Yan Wang and Tianyu Yang: {doc['distance']}" in table


def test_path_between_unconnected_authors(runner: CliRunner, sample_kg: Path,
                                          network: nx.Graph) -> None:
    assert not nx.has_path(network, "yan wang", "alexander müller")
    result = run(runner, "path", "yan wang", "alexander muller", "--kg", str(sample_kg))
    assert "not connected" in result.stdout
    assert as_json(runner, "path", "yan wang", "alexander muller",
                   "--kg", str(sample_kg))["distance"] is None


@pytest.mark.parametrize(("args", "message"), [
    (["coauthors", "Wang"], "matches 66 authors"),
    (["coauthors", "Alexandr Mullr"], "closest: Alexander Müller"),
    (["path", "yan wang", "Nobody Atall"], "no author named 'Nobody Atall'"),
    (["coauthors", "yan wang", "--since", "2100"], "with these filters"),
    (["authors", "--k", "1"], "k must be 0 (exact) or at least 2"),
    (["stats", "--since", "May 2021"], "since must be a date"),
    (["stats", "--since", "2021-13-45"], "and a real one, not '2021-13-45'"),
    (["authors", "--until", "2021-02-29"], "until must be a date"),
])
def test_bad_input_is_a_one_line_error(runner: CliRunner, sample_kg: Path, args: list[str],
                                       message: str) -> None:
    result = run(runner, *args, "--kg", str(sample_kg), ok=False)
    assert message in result.output


def test_missing_kg_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "stats", "--kg", str(tmp_path / "nowhere"), ok=False)
    assert "no knowledge graph here" in result.output


# ---- graph.analysis.lookup

PEOPLE = {a.key: a for a in [
    Author("jürgen schmidhuber", "Jürgen Schmidhuber",
           ("Jürgen Schmidhuber", "Juergen Schmidhuber"), 9),
    Author("kaiming he", "Kaiming He", ("Kaiming He",), 7),
    Author("j.-p. martin", "J.-P. Martin", ("J.-P. Martin",), 1),
    Author("wei wang", "Wei Wang", ("Wei Wang",), 5),
    Author("wei wang 2", "Wei Wang", ("Wei WANG",), 2),
    Author("xin wang", "Xin Wang", ("Xin Wang",), 3),
]}


@pytest.mark.parametrize(("query", "key"), [
    ("jurgen schmidhuber", "jürgen schmidhuber"),
    ("JÜRGEN SCHMIDHUBER", "jürgen schmidhuber"),
    ("Juergen Schmidhuber", "jürgen schmidhuber"),  # another recorded spelling
    ("schmidhuber", "jürgen schmidhuber"),  # one word, one author
    ("He Kaiming", "kaiming he"),  # words in any order
    ("j p martin", "j.-p. martin"),
    ("wei wang 2", "wei wang 2"),  # an exact key settles an ambiguity
])
def test_find_author(query: str, key: str) -> None:
    assert find_author(query, PEOPLE) == key


def test_ambiguous_names_list_every_match() -> None:
    with pytest.raises(AmbiguousName) as err:
        find_author("wang", PEOPLE)
    assert err.value.matches == ("wei wang", "xin wang", "wei wang 2")  # most papers first
    assert "Xin Wang (key 'xin wang', 3 papers)" in str(err.value)
    with pytest.raises(AmbiguousName):
        find_author("Wei Wang", PEOPLE)


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(NameNotFound) as err:
        find_author("Kaiming Hee", PEOPLE)
    assert "closest: Kaiming He" in str(err.value)
    with pytest.raises(NameNotFound) as err:
        find_author("Zzyzx Qwerty", PEOPLE)
    assert "closest" not in str(err.value)


def test_lookup_among_a_subset() -> None:
    assert find_author("wang", PEOPLE, among={"xin wang", "kaiming he"}) == "xin wang"
    with pytest.raises(NameNotFound, match="with these filters"):
        find_author("Kaiming He", PEOPLE, among={"xin wang"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12) | st.sampled_from(
    ["Jürgen Schmidhuber", "J.-P. O'Brien", "ẞtraße", "İlker", "ǅemal", "a\u0345b", "x\x1cy",
     "Ａnna  Ｍ.", "𝐀ri", "Zoë\u0301", "Wei‐Wei"]), max_size=20))
def test_fold_all_is_fold_on_every_string(names: list[str]) -> None:
    assert fold_all(pa.array(names, pa.string())).to_pylist() == [fold(n) for n in names]


def test_fold() -> None:
    assert fold("  Jürgen   SCHMIDHUBER ") == fold("jurgen schmidhuber") == "jurgen schmidhuber"
    assert fold("J.-P. O'Brien") == fold("j p obrien") == "j p obrien"
