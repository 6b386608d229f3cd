"""The Python API (arxiv_kg.open): the README's example runs, and each part agrees with the
CLI's core and with the store."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from reference import project

import arxiv_kg
from graph.errors import KGNotFound
from graph.model.records import Corpus

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    section = (ROOT / "README.md").read_text().split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(sample_kg: Path, sample_corpus: Corpus, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out").symlink_to(sample_kg, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_example(), "README.md", "exec"), scope)
    expected = project(sample_corpus, since="2021", max_authors=0).graph
    assert nx.utils.graphs_equal(scope["g"], expected)
    assert scope["papers"].num_rows == 214 and scope["papers"].column_names == [
        "arxiv_id", "title", "published"]
    pagerank = nx.pagerank(expected, weight="weight", tol=1e-13)
    best = sorted(expected, key=lambda k: (-pagerank[k], k))[:5]
    lines = printed.getvalue().splitlines()
    assert lines[0] == str([expected.nodes[k]["label"] for k in best])
    assert lines[1:3] == [f"{len(expected)} {expected.number_of_edges()}", "214"]
    assert int(lines[3]) > 10_000  # every triple of the sample, through rdflib


def test_tables_are_arrow_and_a_missing_kg_is_a_domain_error(sample_kg: Path,
                                                            tmp_path: Path) -> None:
    kg = arxiv_kg.open(sample_kg)
    assert set(kg.tables) >= {"papers", "authorships", "authors", "categories"}
    assert kg.table("authors").num_rows == kg.summary["authors"]
    with pytest.raises(KGNotFound):
        kg.table("nothing")
    with pytest.raises(KGNotFound, match="no knowledge graph here"):
        arxiv_kg.open(tmp_path)


def test_coauthors_give_networkx_and_igraph_graphs_and_measures(sample_kg: Path,
                                                               sample_corpus: Corpus) -> None:
    net = arxiv_kg.open(sample_kg).coauthors(counting="fractional", category="cs.CV")
    expected = project(sample_corpus, counting="fractional", category="cs.CV").graph
    assert nx.utils.graphs_equal(net.to_networkx(), expected)
    ig_graph = net.to_igraph()
    assert (ig_graph.vcount(), ig_graph.ecount()) == (len(expected), expected.number_of_edges())
    assert ig_graph.vs["name"] == list(expected)
    table = net.measures_table(["degree", "strength"])
    assert table.column_names == ["key", "name", "degree", "strength"]
    assert dict(zip(table["key"].to_pylist(), table["degree"].to_pylist())) == dict(
        expected.degree())
    edges = net.edges()
    assert edges.num_rows == expected.number_of_edges()
    first = edges.slice(0, 1).to_pylist()[0]
    assert expected[first["source"]][first["target"]]["weight"] == first["weight"]


def test_measures_in_one_call_match_the_network(sample_kg: Path) -> None:
    kg = arxiv_kg.open(sample_kg, cache=False)
    assert kg.measures("core", since="2021").equals(
        kg.coauthors(since="2021").measures_table(["core"]))


def test_sparql_and_rdflib_read_the_same_store(sample_kg: Path) -> None:
    kg = arxiv_kg.open(sample_kg)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?p a <http://schema.org/ScholarlyArticle> }"
    via_store = kg.sparql(query).rows[0][0].value
    graph = kg.rdflib_graph()
    assert [int(row[0]) for row in graph.query(query)] == [int(via_store)] == [214]
    article = rdflib.URIRef("http://schema.org/ScholarlyArticle")
    assert len(list(graph.subjects(rdflib.RDF.type, article))) == 214
    with pytest.raises(RuntimeError):  # opened read-only: the KG is never changed through it
        graph.add((rdflib.URIRef("urn:x"), rdflib.RDF.type, article))
    assert len(list(graph.subjects(rdflib.RDF.type, article))) == 214
