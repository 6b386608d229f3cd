"""The typed knowledge graph: schema, insertion order and networkx consistency."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
from conftest import digest, graph_of, record
from reference import read_corpus


def _graph(tmp_path: Path, *records: str) -> nx.DiGraph:
    (tmp_path / "d.md").write_text(digest(*records), encoding="utf-8")
    return graph_of(read_corpus([str(tmp_path / "d.md")]), tmp_path / "kg")


def test_graph_equals_one_built_through_the_public_api(sample_graph: nx.DiGraph) -> None:
    # build_graph fills networkx's dicts directly; every view must agree with add_*'s graph.
    rebuilt = nx.DiGraph()
    rebuilt.add_nodes_from(sample_graph.nodes(data=True))
    rebuilt.add_edges_from(sample_graph.edges(data=True))
    assert nx.utils.graphs_equal(sample_graph, rebuilt)
    assert list(sample_graph.nodes) == list(rebuilt.nodes)
    assert all(sample_graph.pred[n] == rebuilt.pred[n] for n in sample_graph)
    u, v = next(iter(sample_graph.edges))
    assert sample_graph.succ[u][v] is sample_graph.pred[v][u]  # one dict per edge, as add_edge


def test_node_and_edge_types(sample_graph: nx.DiGraph) -> None:
    kinds = {d["type"] for _, d in sample_graph.nodes(data=True)}
    assert kinds == {"Paper", "Author", "Category", "SubjectClass", "Repository", "Link"}
    ends = {(sample_graph.nodes[u]["type"], d["type"], sample_graph.nodes[v]["type"])
            for u, v, d in sample_graph.edges(data=True)}
    assert ends == {("Author", "authored", "Paper"), ("Paper", "in_category", "Category"),
                    ("Paper", "has_subject", "SubjectClass"), ("Paper", "has_code", "Repository"),
                    ("Paper", "links_to", "Link"), ("Paper", "mentions", "Paper")}


def test_mention_of_a_paper_read_later_keeps_its_attributes(tmp_path: Path) -> None:
    g = _graph(tmp_path,
               record("2105.00001v1", title="First", summary="Builds on arXiv:2105.00002."),
               record("2105.00002v1", title="Second"),
               record("2105.00003v1", summary="Compare arXiv:1704.02685."))
    assert g.nodes["paper:2105.00002"]["title"] == "Second"
    assert g.nodes["paper:2105.00002"]["in_corpus"] is True
    assert g.nodes["paper:1704.02685"] == {"type": "Paper", "label": "1704.02685",
                                           "arxiv_id": "1704.02685", "in_corpus": False}
    assert g.edges["paper:2105.00001", "paper:2105.00002"] == {"type": "mentions"}


def test_author_listed_twice_keeps_first_position(tmp_path: Path) -> None:
    g = _graph(tmp_path, record(authors="Ann Lee, Bo Chen, Ann Lee"))
    assert g.edges["author:ann lee", "paper:2105.14656"]["position"] == 1
    assert g.in_degree("paper:2105.14656") == 2


def test_shared_nodes_are_added_once_with_their_attributes(tmp_path: Path) -> None:
    code = "Code at https://github.com/NVlabs/StyleGAN2."
    g = _graph(tmp_path, record("2105.00001v1", summary=code, categories="**cs.CV**, cs.LG; I.5.4"),
               record("2105.00002v1", summary=code, categories="cs.LG, **cs.CV**; I.5.4"))
    assert g.nodes["repo:https://github.com/nvlabs/stylegan2"]["label"] == "nvlabs/stylegan2"
    assert g.in_degree("repo:https://github.com/nvlabs/stylegan2") == 2
    assert g.nodes["subject:ACM:I.5.4"] == {"type": "SubjectClass", "label": "I.5.4",
                                           "scheme": "ACM", "code": "I.5.4", "edition": "1998"}
    assert g.edges["paper:2105.00002", "category:cs.CV"]["primary"] is True
    assert g.edges["paper:2105.00002", "category:cs.LG"]["primary"] is False
