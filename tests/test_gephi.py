"""GraphML and GEXF writers: read back by networkx and igraph, typed, deterministic, hostile text."""
from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import igraph
import networkx as nx
import pytest
from conftest import graph_of

from exporters import gexf, graphml, xmltext
from exporters.base import ExportOptions
from graph.model.records import Author, Corpus, Link, Paper

G_NS = "{http://graphml.graphdrawing.org/xmlns}"
ASCII_NMTOKEN = re.compile(r"[A-Za-z0-9._:-]+")
X_NS = "{http://gexf.net/1.3}"
V_NS = "{http://gexf.net/1.3/viz}"
FORBIDDEN = "\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\ufffe\uffff\ud800\udfff"
# No lone surrogate: the KG's tables are UTF-8 Parquet (test_lone_surrogates_are_removed has one).
HOSTILE = ('Q "double" \'single\' back\\slash ]]> <tag> &amp; & \x00\x07\x1b bell'
           " lone \ufffe emoji 😀🧠 CJK 漢字 tab\tnew\nline cr\rend")


def write(module, graph: nx.Graph, **options) -> bytes:
    buf = io.BytesIO()
    module.write(graph, buf, ExportOptions(**options))
    return buf.getvalue()


def strip_forbidden(s: str) -> str:
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", s)


def expected_value(value):
    """How a Python attribute value should read back (None = absent); independent of the writer."""
    if value is None or isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value) or None
    if isinstance(value, str):
        return strip_forbidden(value) or None
    return value


def make_paper(arxiv_id: str, authors: tuple[str, ...], **fields) -> Paper:
    base = dict(arxiv_id=arxiv_id, version=2, versions=(1, 2), title=f"Title {arxiv_id}", dois=(),
                primary_category="cs.CV", categories=("cs.CV", "cs.LG"), subject_classes=("ACM:I.5.4",),
                published="2021-05-31T00:49:34+00:00", updated="2021-06-01T10:00:00+00:00",
                authors=authors, comment=None, journal_ref=None, abstract="An abstract.",
                repositories=("https://github.com/owner/repo",),
                links=(Link("https://youtu.be/abc", "video"),), mentions=("1704.02685",),
                sources=("20210531.md:3",))
    base.update(fields)
    return Paper(**base)


def hostile_corpus() -> Corpus:
    papers = (
        make_paper("2105.00001", ("ann lee", "bo\x01chen"), title=HOSTILE, abstract="x" * 200_000,
                   comment='comment with "quotes" and \\ and ]]>', journal_ref="J. \x0bControl 1 (2021)",
                   dois=("10.1/a;b", "10.2/c")),
        make_paper("2105.00002", ("bo\x01chen",), title="\x00\x01", published="2019-01-02T00:00:00+00:00"),
    )
    authors = {"ann lee": Author("ann lee", "Ann \"the\" Lee\x1b 😀", ("Ann Lee",), 1),
               "bo\x01chen": Author("bo\x01chen", "Bo\\Chen", ("Bo\\Chen", "B. Chen"), 2)}
    return Corpus(papers=papers, authors=authors)


def coauthor_network() -> nx.Graph:
    """Shaped like graph.coauthors.project(...).graph after graph.metrics.annotate."""
    g = nx.Graph()
    people = {"ann": (3, 0.4, 1, "2020-01-05"), "bo": (2, 0.3, 1, "2019-03-01"),
              "cy": (1, 0.2, 2, None), "dee": (1, 0.1, None, "2021-07-09")}
    for key, (papers, pr, community, first) in people.items():
        g.add_node(key, label=key.title(), papers=papers, pagerank=pr, community=community,
                   degree=0, type="Author", first_published=first)
    g.add_edge("bo", "ann", papers=2, weight=2.0)
    g.add_edge("cy", "ann", papers=1, weight=0.5)
    g.add_edge("dee", "bo", papers=1, weight=1.0)
    for n, d in g.degree():
        g.nodes[n]["degree"] = d
    return g


def read_graphml_both(data: bytes, tmp_path: Path) -> tuple[nx.Graph, igraph.Graph]:
    """networkx's reading keyed by the nodes' own ids (node_id, then dropped), and igraph's.

    GraphML ids are escaped NMTOKENs; node_id carries the id the graph had.
    """
    path = tmp_path / "g.graphml"
    path.write_bytes(data)
    back = nx.read_graphml(path)
    assert all(ASCII_NMTOKEN.fullmatch(n) for n in back)
    own = {n: attrs.pop("node_id") for n, attrs in back.nodes(data=True)}
    assert len(set(own.values())) == len(own)
    return nx.relabel_nodes(back, own), igraph.Graph.Read_GraphML(str(path))


# --- GraphML ---------------------------------------------------------------------------

def test_graphml_sample_reads_back_in_networkx_with_every_value(sample_graph, tmp_path):
    back, _ = read_graphml_both(write(graphml, sample_graph), tmp_path)
    assert back.is_directed()
    assert (back.number_of_nodes(), back.number_of_edges()) == (sample_graph.number_of_nodes(),
                                                                 sample_graph.number_of_edges())
    for n, data in sample_graph.nodes(data=True):
        want = {k: expected_value(v) for k, v in data.items() if expected_value(v) is not None}
        assert back.nodes[n] == want, n
    for u, v, data in sample_graph.edges(data=True):
        assert back.edges[u, v] == data


def test_graphml_sample_reads_back_in_igraph(sample_graph, tmp_path):
    _, ig = read_graphml_both(write(graphml, sample_graph), tmp_path)
    assert ig.is_directed()
    assert (ig.vcount(), ig.ecount()) == (sample_graph.number_of_nodes(), sample_graph.number_of_edges())
    by_id = {v["node_id"]: v for v in ig.vs}
    assert set(by_id) == set(sample_graph)
    for n, data in sample_graph.nodes(data=True):
        vertex = by_id[n]
        assert vertex["label"] == expected_value(data["label"]) and vertex["type"] == data["type"]
        if data["type"] == "Author":
            assert vertex["papers"] == data["papers"]
        if data.get("in_corpus"):
            assert vertex["version"] == data["version"]
            assert vertex["versions"] == expected_value(data["versions"])
    edges = {(ig.vs[e.source]["node_id"], ig.vs[e.target]["node_id"]): e for e in ig.es}
    assert set(edges) == set(sample_graph.edges)
    for (u, v), e in edges.items():
        want = sample_graph.edges[u, v]
        assert e["type"] == want["type"]
        if "position" in want:
            assert e["position"] == want["position"]
        if "primary" in want:
            assert e["primary"] == want["primary"]


def test_graphml_keys_have_one_type_and_readable_ids(sample_graph):
    root = ET.fromstring(write(graphml, sample_graph))
    keys = root.findall(f"{G_NS}key")
    ids = [k.get("id") for k in keys]
    assert len(ids) == len(set(ids))
    declared = {(k.get("for"), k.get("attr.name")): k for k in keys}
    assert len(declared) == len(keys)
    types = {name: k.get("attr.type") for (_, name), k in declared.items()}
    assert declared["node", "label"].get("id") == "label"
    assert declared["edge", "type"].get("id") == "edge_type"
    assert types["papers"] == "int" and types["version"] == "int" and types["in_corpus"] == "boolean"
    assert declared["edge", "position"].get("attr.type") == "int"
    assert declared["edge", "primary"].get("attr.type") == "boolean"
    assert {k.get("attr.type") for k in keys} <= {"boolean", "int", "long", "double", "string"}
    assert [k.get("id") for k in keys if k.get("for") == "node"] == sorted(
        k.get("id") for k in keys if k.get("for") == "node")


def test_graphml_has_no_empty_values_and_no_unused_keys(sample_graph):
    root = ET.fromstring(write(graphml, sample_graph))
    data = root.iter(f"{G_NS}data")
    used = set()
    for d in data:
        assert d.text, f"empty value for key {d.get('key')}"
        used.add(d.get("key"))
    assert used == {k.get("id") for k in root.findall(f"{G_NS}key")}


def test_graphml_every_node_gets_label_and_type(tmp_path):
    g = nx.DiGraph()
    g.add_node("bare")
    g.add_node("blank", label="\x00", type=None)
    g.add_edge("bare", "blank")
    back, ig = read_graphml_both(write(graphml, g), tmp_path)
    assert back.nodes["bare"] == {"label": "bare", "type": "Node"}
    assert back.nodes["blank"] == {"label": "blank", "type": "Node"}
    assert sorted(ig.vs["label"]) == ["bare", "blank"]


def test_graphml_renames_names_gephi_would_take_as_visual(tmp_path):
    g = nx.Graph()
    g.add_node("n", label="N", type="T", x=1.5, size=3, color="red", r=1, id="mine")
    g.add_node("m", label="M", type="T")
    g.add_edge("n", "m", weight=2.0, id="e1", label="knows")
    back, _ = read_graphml_both(write(graphml, g), tmp_path)
    assert back.nodes["n"] == {"label": "N", "type": "T", "x_value": 1.5, "size_value": 3,
                               "color_value": "red", "r_value": 1, "id_value": "mine"}
    assert back.edges["n", "m"] == {"weight": 2.0, "id_value": "e1", "label": "knows"}


def test_graphml_mixed_columns_widen(tmp_path):
    g = nx.Graph()
    g.add_node("a", n=1, flag=True, big=2**40, score=float("nan"))
    g.add_node("b", n=2.5, flag="maybe", big=3, score=0.5)
    back, ig = read_graphml_both(write(graphml, g), tmp_path)
    assert back.nodes["a"]["n"] == 1.0 and back.nodes["b"]["n"] == 2.5
    assert back.nodes["a"]["flag"] == "true" and back.nodes["b"]["flag"] == "maybe"
    assert back.nodes["a"]["big"] == 2**40
    assert "score" not in back.nodes["a"] and back.nodes["b"]["score"] == 0.5
    assert ig.vs.find(node_id="a")["big"] == 2**40


def test_graphml_coauthor_network_is_undirected_and_typed(tmp_path):
    g = coauthor_network()
    data = write(graphml, g)
    back, ig = read_graphml_both(data, tmp_path)
    assert not back.is_directed() and not ig.is_directed()
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in g.edges}
    for n, attrs in g.nodes(data=True):
        assert back.nodes[n] == {k: v for k, v in attrs.items() if v is not None}
    for u, v, attrs in g.edges(data=True):
        assert back.edges[u, v] == attrs
    assert b'attr.name="weight" attr.type="double"' in data
    assert b'attr.name="community" attr.type="int"' in data


# --- GEXF ------------------------------------------------------------------------------

def check_gexf(data: bytes) -> ET.Element:
    """Structural checks that GEXF 1.3 readers rely on; returns the <graph> element."""
    root = ET.fromstring(data)
    assert root.tag == f"{X_NS}gexf" and root.get("version") == "1.3"
    assert b'xmlns:viz="http://gexf.net/1.3/viz"' in data
    graph = root.find(f"{X_NS}graph")
    assert graph.get("defaultedgetype") in {"directed", "undirected"}
    assert graph.get("mode") in {"static", "dynamic"}
    if graph.get("mode") == "dynamic":
        assert graph.get("timeformat") == "date"
    declared = {}
    for attrs in graph.findall(f"{X_NS}attributes"):
        cls = attrs.get("class")
        assert cls in {"node", "edge"} and attrs.get("mode") in {None, "static"}
        ids = [a.get("id") for a in attrs.findall(f"{X_NS}attribute")]
        assert len(ids) == len(set(ids))
        for a in attrs.findall(f"{X_NS}attribute"):
            assert a.get("type") in {"integer", "long", "double", "boolean", "string"}
            declared[cls, a.get("id")] = a.get("type")
    parse = {"integer": int, "long": int, "double": float, "string": str,
             "boolean": {"true": True, "false": False}.__getitem__}
    node_ids = set()
    for node in graph.iter(f"{X_NS}node"):
        assert node.get("id") not in node_ids and node.get("label")
        node_ids.add(node.get("id"))
        _check_attvalues(node, "node", declared, parse)
        color = node.find(f"{V_NS}color")
        assert all(0 <= int(color.get(c)) <= 255 for c in "rgb")
        assert gexf.MIN_SIZE <= float(node.find(f"{V_NS}size").get("value")) <= gexf.MAX_SIZE
        if node.get("start"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.get("start"))
    edge_ids = set()
    for edge in graph.iter(f"{X_NS}edge"):
        assert edge.get("id") not in edge_ids
        edge_ids.add(edge.get("id"))
        assert {edge.get("source"), edge.get("target")} <= node_ids
        _check_attvalues(edge, "edge", declared, parse)
        if edge.get("weight") is not None:
            assert math.isfinite(float(edge.get("weight")))
    return graph


def _check_attvalues(element, cls, declared, parse):
    for value in element.iter(f"{X_NS}attvalue"):
        kind = declared[cls, value.get("for")]
        parse[kind](value.get("value"))
        assert value.get("value") != ""


def test_gexf_sample_reads_back_in_networkx(sample_graph):
    data = write(gexf, sample_graph)
    check_gexf(data)
    back = nx.read_gexf(io.BytesIO(data), version="1.3")
    assert back.is_directed()
    assert (back.number_of_nodes(), back.number_of_edges()) == (sample_graph.number_of_nodes(),
                                                                 sample_graph.number_of_edges())
    for n, attrs in sample_graph.nodes(data=True):
        got = dict(back.nodes[n])
        got.pop("viz"), got.pop("start", None)
        assert got == {k: expected_value(v) for k, v in attrs.items() if expected_value(v) is not None}
    for u, v, attrs in sample_graph.edges(data=True):
        got = dict(back.edges[u, v])
        got.pop("id"), got.pop("start")
        assert got == attrs


def test_gexf_timeline_papers_by_date_authors_by_first_paper(sample_graph):
    back = nx.read_gexf(io.BytesIO(write(gexf, sample_graph)), version="1.3")
    assert back.graph["mode"] == "dynamic"
    for n, attrs in sample_graph.nodes(data=True):
        if attrs.get("in_corpus"):
            assert back.nodes[n]["start"] == attrs["published"][:10]
        elif attrs["type"] == "Author":
            first = min(sample_graph.nodes[p]["published"][:10] for p in sample_graph.successors(n))
            assert back.nodes[n]["start"] == first
    for u, v in sample_graph.edges:
        assert back.edges[u, v]["start"] == max(back.nodes[u]["start"], back.nodes[v]["start"])


def test_gexf_colours_by_type(sample_graph):
    back = nx.read_gexf(io.BytesIO(write(gexf, sample_graph, color_by="type")), version="1.3")
    colour_of = {}
    for _, attrs in back.nodes(data=True):
        c = attrs["viz"]["color"]
        colour_of.setdefault(attrs["type"], set()).add((c["r"], c["g"], c["b"]))
    assert all(len(cs) == 1 for cs in colour_of.values())
    assert len({next(iter(cs)) for cs in colour_of.values()}) == len(colour_of) >= 5


def test_gexf_coauthors_colour_by_community_and_size_by_measure():
    g = coauthor_network()
    data = write(gexf, g, color_by="community", size_by="pagerank")
    graph = check_gexf(data)
    assert graph.get("defaultedgetype") == "undirected"
    back = nx.read_gexf(io.BytesIO(data), version="1.3")
    rgb = {n: tuple(back.nodes[n]["viz"]["color"][c] for c in "rgb") for n in back}
    assert rgb["ann"] == rgb["bo"] != rgb["cy"]
    assert rgb["dee"] == gexf.UNKNOWN_COLOR
    size = {n: back.nodes[n]["viz"]["size"] for n in back}
    assert size["ann"] == gexf.MAX_SIZE and size["dee"] == gexf.MIN_SIZE
    assert size["ann"] > size["bo"] > size["cy"] > size["dee"]
    for u, v, attrs in g.edges(data=True):
        assert back.edges[u, v]["weight"] == attrs["weight"]
        assert back.edges[u, v]["papers"] == attrs["papers"]
    assert back.nodes["bo"]["start"] == "2019-03-01"
    assert back.nodes["cy"]["start"] == "2020-01-05"  # no date of its own: its co-author's
    assert back.edges["ann", "bo"]["start"] == "2020-01-05"


def test_gexf_size_falls_back_to_degree(sample_graph):
    assert gexf.size_measure(sample_graph, "pagerank") == "degree"
    back = nx.read_gexf(io.BytesIO(write(gexf, sample_graph, size_by="pagerank")), version="1.3")
    degree = dict(sample_graph.degree())
    biggest = max(degree, key=degree.get)
    assert back.nodes[biggest]["viz"]["size"] == gexf.MAX_SIZE
    by_degree = sorted(back, key=degree.get)
    sizes = [back.nodes[n]["viz"]["size"] for n in by_degree]
    assert sizes == sorted(sizes)


def test_gexf_without_dates_is_static():
    g = nx.Graph()
    g.add_edge("a", "b")
    data = write(gexf, g)
    graph = check_gexf(data)
    assert graph.get("mode") == "static" and graph.get("timeformat") is None
    assert b"start=" not in data


def test_gexf_rejects_unknown_colouring():
    with pytest.raises(ValueError, match="color_by"):
        write(gexf, coauthor_network(), color_by="rainbow")


# --- both writers ----------------------------------------------------------------------

@pytest.mark.parametrize("module", [graphml, gexf], ids=["graphml", "gexf"])
def test_undirected_output_does_not_depend_on_edge_orientation(module):
    g = coauthor_network()
    flipped = nx.Graph()
    flipped.add_nodes_from(reversed(list(g.nodes(data=True))))
    flipped.add_edges_from((v, u, d) for u, v, d in g.edges(data=True))
    assert write(module, flipped) == write(module, g)


def test_hostile_text_survives_graphml(tmp_path):
    g = graph_of(hostile_corpus(), tmp_path / "kg")
    back, ig = read_graphml_both(write(graphml, g), tmp_path)
    _check_hostile(g, back)
    assert ig.vs.find(node_id="paper:2105.00001")["title"] == strip_forbidden(HOSTILE)


def test_hostile_text_survives_gexf(tmp_path):
    g = graph_of(hostile_corpus(), tmp_path)
    data = write(gexf, g)
    check_gexf(data)
    _check_hostile(g, nx.read_gexf(io.BytesIO(data), version="1.3"))


def _check_hostile(g: nx.DiGraph, back: nx.Graph) -> None:
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    paper = back.nodes["paper:2105.00001"]
    assert paper["title"] == paper["label"] == strip_forbidden(HOSTILE)
    assert "\r" in paper["title"] and "\t" in paper["title"] and "]]>" in paper["title"]
    assert paper["abstract"] == "x" * 200_000
    assert paper["comment"] == 'comment with "quotes" and \\ and ]]>'
    assert paper["journal_ref"] == "J. Control 1 (2021)"
    assert paper["dois"] == "10.1/a;b;10.2/c"
    # a title made only of forbidden characters is absent; the label falls back to the id
    assert "title" not in back.nodes["paper:2105.00002"]
    assert back.nodes["paper:2105.00002"]["label"] == "paper:2105.00002"
    # ids keep distinct ids distinct: the control character is escaped, not dropped
    author = back.nodes["author:bo\\u0001chen"]
    assert author["label"] == "Bo\\Chen" and author["spellings"] == "Bo\\Chen;B. Chen"
    assert back.nodes["author:ann lee"]["label"] == 'Ann "the" Lee 😀'


@pytest.mark.parametrize("module", [graphml, gexf], ids=["graphml", "gexf"])
def test_output_has_no_forbidden_characters(module, tmp_path):
    text = write(module, graph_of(hostile_corpus(), tmp_path)).decode("utf-8")
    assert not set(text) & set(FORBIDDEN)


@pytest.mark.parametrize("module", [graphml, gexf], ids=["graphml", "gexf"])
def test_lone_surrogates_are_removed(module):
    g = nx.Graph()
    g.add_node("a\ud83d", label="lone \ud83d surrogate", title="\udfff")
    text = write(module, g).decode("utf-8")
    assert not set(text) & set(FORBIDDEN) and "lone  surrogate" in text


@pytest.mark.parametrize("module", [graphml, gexf], ids=["graphml", "gexf"])
def test_multigraphs_are_refused(module):
    with pytest.raises(TypeError, match="multigraph"):
        write(module, nx.MultiGraph([("a", "b"), ("a", "b")]))


# --- xmltext ---------------------------------------------------------------------------

def test_clean_removes_exactly_what_xml_forbids():
    allowed = "\t\n\r \x7f\x85\u00a0\ud7ff\ue000\ufffd😀"
    assert xmltext.clean(FORBIDDEN + allowed) == allowed


def test_clean_id_keeps_ids_apart():
    assert xmltext.clean_id("a\x00b") != xmltext.clean_id("ab")
    assert xmltext.clean_id("a\x00b") == "a\\u0000b"


@pytest.mark.parametrize(("value", "kind", "text"), [
    (True, "boolean", "true"), (3, "int", "3"), (2**40, "long", str(2**40)), (0.25, "double", "0.25"),
    ("x", "string", "x"), ((1, 2), "string", "1;2"), (frozenset({"b", "a"}), "string", "a;b"),
    (2**70, "string", str(2**70)),
])
def test_value_kinds_and_encoding(value, kind, text):
    assert xmltext.value_kind(value) == kind
    assert xmltext.encode(value, kind) == text


@pytest.mark.parametrize("value", [None, "", (), [], float("nan"), float("inf"), "\x00\x01", (None, "")])
def test_absent_values(value):
    assert xmltext.value_kind(value) is None
    assert xmltext.encode(value, "string") is None
