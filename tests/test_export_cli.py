"""`arxiv-kg export` and exporters.files.write_exports: paths, errors, atomicity, re-read outputs."""
from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from conftest import private_copy
from reference import load_corpus, project

import exporters
from arxiv_kg.cli import main
from exporters import EXPORTERS, UnknownFormat, get_exporter, ntriples, turtle
from exporters.base import DEFAULT_BASE_IRI, ExportOptions
from exporters.files import (
    UnsupportedGraph,
    Written,
    export_graph,
    options_for,
    parse_specs,
    write_exports,
    write_file,
)
from exporters.rdf import write_rdf_files
from graph.errors import ArxivKGError
from graph.rdf.load import StoreLoadError
from graph.rdf.store import open_store


@pytest.fixture
def kg(sample_kg: Path, tmp_path: Path) -> Path:
    """A private copy of the sample KG folder, so tests can write into it."""
    return private_copy(sample_kg, tmp_path / "kg")


def kg_only_formats() -> list[str]:
    return sorted(name for name, e in EXPORTERS.items() if "coauthors" not in e.graphs)


def test_graphml_goes_to_the_kg_folder_by_default(runner, kg, sample_graph):
    result = runner.invoke(main, ["export", "graphml", "--kg", str(kg)])
    assert result.exit_code == 0, result.output
    path = kg / "kg.graphml"
    assert result.stdout.strip() == str(path)
    back = nx.read_graphml(path)
    assert (back.number_of_nodes(), back.number_of_edges()) == (sample_graph.number_of_nodes(),
                                                                 sample_graph.number_of_edges())
    assert f"writing {sample_graph.number_of_nodes():,} nodes" in result.stderr


def test_gexf_to_stdout(runner, kg, sample_graph):
    result = runner.invoke(main, ["export", "GEXF", "--kg", str(kg), "-o", "-", "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    back = nx.read_gexf(io.BytesIO(result.stdout_bytes), version="1.3")
    assert set(back) == set(sample_graph)
    assert back.number_of_edges() == sample_graph.number_of_edges()
    assert not (kg / "kg.gexf").exists()


def test_coauthor_network_with_filters(runner, kg, tmp_path):
    out = tmp_path / "net.gexf"
    result = runner.invoke(main, ["export", "gexf", "--kg", str(kg), "--graph", "coauthors", "-o", str(out),
                                  "--max-authors", "5", "--counting", "fractional", "--size-by", "pagerank"])
    assert result.exit_code == 0, result.output
    expected = project(load_corpus(kg), counting="fractional", max_authors=5).graph
    back = nx.read_gexf(out, version="1.3")
    assert not back.is_directed()
    assert set(back) == set(expected)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in expected.edges}
    for u, v, data in expected.edges(data=True):
        assert back.edges[u, v]["weight"] == pytest.approx(data["weight"])
    assert all("pagerank" in d and "community" in d and d["type"] == "Author"
               for _, d in back.nodes(data=True))
    assert "warning" not in result.stderr


def test_coauthor_period_filter_and_timeline(runner, kg, tmp_path):
    out = tmp_path / "net.gexf"
    result = runner.invoke(main, ["export", "gexf", "--kg", str(kg), "--graph", "coauthors", "-o", str(out),
                                  "--since", "2021", "--until", "2021-12", "--min-papers", "1", "-q"])
    assert result.exit_code == 0, result.output
    projection = project(load_corpus(kg), since="2021", until="2021-12")
    expected = projection.graph
    back = nx.read_gexf(out, version="1.3")
    assert set(back) == set(expected) and back.number_of_edges() == expected.number_of_edges()
    first = {}
    for p in projection.papers:
        assert p.published.startswith("2021")
        for key in p.authors:
            first[key] = min(first.get(key, "9999"), p.published[:10])
    assert {n: d["start"] for n, d in back.nodes(data=True)} == {n: first[n] for n in back}


def test_coauthor_filters_with_the_kg_warn(runner, kg):
    result = runner.invoke(main, ["export", "graphml", "--kg", str(kg), "--since", "2021",
                                  "--max-authors", "3"])
    assert result.exit_code == 0, result.output
    assert "--max-authors, --since only apply to --graph coauthors; ignored" in result.stderr


def test_bad_filter_is_a_clean_error(runner, kg):
    result = runner.invoke(main, ["export", "gexf", "--kg", str(kg), "--graph", "coauthors",
                                  "--since", "May"])
    assert result.exit_code == 1 and "since must be a date" in result.stderr
    assert not (kg / "coauthors.gexf").exists()


def test_coauthor_graphml_default_path(runner, kg):
    result = runner.invoke(main, ["export", "graphml", "--kg", str(kg), "--graph", "coauthors", "-q"])
    assert result.exit_code == 0, result.output
    back = nx.read_graphml(kg / "coauthors.graphml")
    assert not back.is_directed() and back.number_of_nodes() > 0
    assert all(isinstance(d["pagerank"], float) and isinstance(d["community"], int)
               for _, d in back.nodes(data=True))


@pytest.mark.parametrize("fmt", kg_only_formats())
def test_kg_only_formats_refuse_coauthors(runner, kg, fmt):
    before = sorted(kg.iterdir())
    result = runner.invoke(main, ["export", fmt, "--kg", str(kg), "--graph", "coauthors"])
    assert result.exit_code == 1
    assert "can only write the kg graph" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(kg.iterdir()) == before


def test_unknown_format_lists_valid_ones(runner, kg):
    result = runner.invoke(main, ["export", "pajek", "--kg", str(kg)])
    assert result.exit_code == 2
    for name in EXPORTERS:
        assert name in result.stderr


def test_missing_kg_is_a_clean_error(runner, tmp_path):
    result = runner.invoke(main, ["export", "graphml", "--kg", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no knowledge graph here" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "nope").exists()


def test_bad_base_iri_is_rejected(runner, kg):
    result = runner.invoke(main, ["export", "ttl", "--kg", str(kg), "--base-iri", "not an iri"])
    assert result.exit_code == 2
    assert "--base-iri" in result.stderr


def test_explicit_measure_that_is_missing_warns(runner, kg):
    result = runner.invoke(main, ["export", "gexf", "--kg", str(kg), "--size-by", "pagerank",
                                  "--color-by", "community"])
    assert result.exit_code == 0, result.output
    assert "no node has a numeric 'pagerank'; sizing by degree" in result.stderr
    assert "no node has a community" in result.stderr
    quiet = runner.invoke(main, ["export", "gexf", "--kg", str(kg), "--size-by", "pagerank", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_failed_export_leaves_previous_file_and_no_temp(runner, kg, monkeypatch):
    class Broken(ArxivKGError):
        pass

    def write(graph, fh, options):
        fh.write(b"<half a file")
        raise Broken("disk on fire")

    monkeypatch.setitem(exporters.EXPORTERS, "graphml", replace(EXPORTERS["graphml"], write=write))
    (kg / "kg.graphml").write_text("previous")
    before = sorted(p.name for p in kg.iterdir())
    result = runner.invoke(main, ["export", "graphml", "--kg", str(kg)])
    assert result.exit_code == 1 and "disk on fire" in result.stderr
    assert (kg / "kg.graphml").read_text() == "previous"
    assert sorted(p.name for p in kg.iterdir()) == before


def test_help_has_an_example(runner):
    result = runner.invoke(main, ["export", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout and "arxiv-kg export graphml" in result.stdout
    for name in EXPORTERS:
        assert name in result.stdout


# --- exporters.files (what `build` calls) ----------------------------------------------

def test_write_exports_writes_each_spec_once(kg, sample_graph):
    written = write_exports(kg, parse_specs("kg.graphml,kg.gexf,kg.graphml"), base_iri=DEFAULT_BASE_IRI)
    assert written == Written([kg / "kg.graphml", kg / "kg.gexf"], None)
    assert nx.read_graphml(kg / "kg.graphml").number_of_nodes() == sample_graph.number_of_nodes()
    assert nx.read_gexf(kg / "kg.gexf", version="1.3").number_of_edges() == sample_graph.number_of_edges()


def test_write_exports_names_coauthor_files_after_the_graph(kg):
    net = export_graph(kg, "coauthors")
    written = write_exports(kg, parse_specs("coauthors.gexf"), base_iri=DEFAULT_BASE_IRI)
    assert written.paths == [kg / "coauthors.gexf"]
    back = nx.read_gexf(kg / "coauthors.gexf", version="1.3")
    assert back.number_of_nodes() == net.number_of_nodes()
    colours = {tuple(d["viz"]["color"].values()) for _, d in back.nodes(data=True)}
    assert len(colours) > 1  # coloured by community, not all one type


def test_options_for_colours_coauthors_by_community():
    assert options_for("coauthors").color_by == "community"
    assert options_for("kg").color_by == "type"
    assert options_for("coauthors", color_by="type", size_by="degree").size_by == "degree"


def test_specs_are_checked_before_anything_is_written():
    with pytest.raises(UnknownFormat, match="valid:"):
        parse_specs("coauthors.graphml,coauthors.pajek")
    for fmt in kg_only_formats():
        with pytest.raises(UnsupportedGraph, match="kg"):
            parse_specs(f"coauthors.graphml,coauthors.{fmt}")


def test_export_graph_rejects_unknown_graph(kg):
    with pytest.raises(UnsupportedGraph, match="kg, coauthors"):
        export_graph(kg, "citations")


def test_rdf_files_and_store_in_one_pass_match_single_exports(kg, tmp_path):
    written = write_exports(kg, parse_specs("kg.ttl,kg.nt,kg.jsonld"), base_iri=DEFAULT_BASE_IRI,
                            store=kg / "store")
    assert written.paths == [kg / "kg.ttl", kg / "kg.nt", kg / "kg.jsonld", kg / "vocab.ttl"]
    for name in ("ttl", "nt", "jsonld"):
        alone = write_file(kg, get_exporter(name), tmp_path / f"alone.{name}", ExportOptions())
        assert (kg / f"kg.{name}").read_bytes() == alone.read_bytes(), name
    lines = (kg / "kg.nt").read_bytes().splitlines()
    assert written.triples == len(lines) == len(open_store(kg))


def test_syntaxes_written_by_two_processes_are_the_same_bytes(kg, tmp_path):
    files = [(tmp_path / "two.ttl", turtle.renderer), (tmp_path / "two.nt", ntriples.renderer)]
    assert write_rdf_files(kg, files, ExportOptions(), cores=2).store is None  # one lane each
    write_rdf_files(kg, [(tmp_path / "one.ttl", turtle.renderer), (tmp_path / "one.nt", ntriples.renderer)],
                    ExportOptions(), cores=1)
    for ext in ("ttl", "nt"):
        assert (tmp_path / f"two.{ext}").read_bytes() == (tmp_path / f"one.{ext}").read_bytes()


def test_store_that_cannot_load_leaves_no_rdf_file(kg):
    (kg / "blocked").write_text("a file where the store's folder should go")
    before = sorted(p.name for p in kg.iterdir())
    with pytest.raises(StoreLoadError, match="SPARQL store"):
        write_exports(kg, parse_specs("kg.ttl,kg.nt"), base_iri=DEFAULT_BASE_IRI,
                      store=kg / "blocked" / "store")
    assert sorted(p.name for p in kg.iterdir()) == before
