"""GraphML against the GraphML XSD, GEXF against the GEXF 1.3 RELAX NG schema, both graphs.

Strict readers (JGraphT's importer, xmllint, jing) reject what networkx and Gephi let pass,
such as a node id that is no xs:NMTOKEN. The schemas are vendored in tests/data/schemas/
(sources and licences in its README); the validators are Debian's, and each test skips when
its validator is not installed (.ci/run installs libxml2-utils).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest
from conftest import current
from hypothesis import given
from hypothesis import strategies as st

from exporters import gexf, graphml
from exporters.base import ExportOptions
from exporters.files import export_graph, options_for
from exporters.xmltext import nmtoken, nmtoken_ids

SCHEMAS = Path(__file__).parent / "data" / "schemas"
GRAPHML_XSD = SCHEMAS / "graphml.xsd"
GEXF_RNG = SCHEMAS / "gexf.rng"
ASCII_NMTOKEN = re.compile(r"[A-Za-z0-9._:-]+")
GRAPHS = ("kg", "coauthors")


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (Debian {package}) is not installed")
    return path


def xmllint(schema_option: str, schema: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("xmllint", "libxml2-utils"), "--noout", schema_option, str(schema),
                           *map(str, files)], capture_output=True, text=True, check=False)


def assert_valid(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr[-3000:]


def written(module, graph: nx.Graph, path: Path, options: ExportOptions = ExportOptions()) -> Path:
    with path.open("wb") as fh:
        module.write(graph, fh, options)
    return path


@pytest.fixture(scope="module")
def exported(sample_kg, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(graph, format) -> the sample KG's export, written once."""
    folder = tmp_path_factory.mktemp("schema-valid")
    files = {}
    for kind in GRAPHS:
        graph, options = export_graph(current(sample_kg), kind), options_for(kind)
        for module, ext in ((graphml, "graphml"), (gexf, "gexf")):
            files[kind, ext] = written(module, graph, folder / f"{kind}.{ext}", options)
    return files


def hostile_graph() -> nx.Graph:
    """Ids and attribute names that are no NMTOKEN, collide once escaped, or are empty."""
    g = nx.Graph()
    ids = ["author:a v subramanyam", "repo:https://github.com/o/r?x=1&y=2#z", "a_20_b", "a b",
           "", " ", "漢字 😀", "\x01ctrl", "line\nbreak", 1, "1", "_x1", "node id"]
    for i, n in enumerate(ids):
        g.add_node(n, **{"first published": "2021-05-31", "node_id": f"own {i}", "größe": i,
                         "label": f"L{i}", "type": "T"})
    g.add_edges_from(zip(ids, ids[1:]), **{"edge kind": "x"})
    return g


# --- the sample KG's exports -------------------------------------------------------------

@pytest.mark.parametrize("kind", GRAPHS)
def test_graphml_is_valid_against_the_graphml_xsd(exported, kind):
    assert_valid(xmllint("--schema", GRAPHML_XSD, exported[kind, "graphml"]))


@pytest.mark.parametrize("kind", GRAPHS)
def test_gexf_is_valid_against_the_gexf_13_relax_ng_schema(exported, kind):
    assert_valid(xmllint("--relaxng", GEXF_RNG, exported[kind, "gexf"]))


def test_gexf_is_valid_for_jing_too(exported):
    # a second RELAX NG implementation: libxml2's is known to be incomplete
    jing = tool("jing", "jing")
    result = subprocess.run([jing, str(GEXF_RNG), *(str(exported[k, "gexf"]) for k in GRAPHS)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def test_hostile_ids_and_names_stay_valid(tmp_path):
    g = hostile_graph()
    assert_valid(xmllint("--schema", GRAPHML_XSD, written(graphml, g, tmp_path / "h.graphml")))
    assert_valid(xmllint("--relaxng", GEXF_RNG, written(gexf, g, tmp_path / "h.gexf")))


# --- the validators can fail ------------------------------------------------------------

def test_the_xsd_rejects_a_node_id_that_is_no_nmtoken(exported, tmp_path):
    text = exported["kg", "graphml"].read_text("utf-8")
    bad = tmp_path / "bad.graphml"
    bad.write_text(re.sub(r'<node id="[^"]*"', '<node id="author:a v subramanyam"', text, count=1), "utf-8")
    result = xmllint("--schema", GRAPHML_XSD, bad)
    assert result.returncode != 0 and "NMTOKEN" in result.stderr


def test_the_rng_rejects_an_attribute_gexf_does_not_define(exported, tmp_path):
    text = exported["kg", "gexf"].read_text("utf-8")
    bad = tmp_path / "bad.gexf"
    bad.write_text(text.replace(' version="1.3">', ' version="1.3" mode="static">', 1), "utf-8")
    result = xmllint("--relaxng", GEXF_RNG, bad)
    assert result.returncode != 0 and "mode" in result.stderr


# --- NMTOKEN ids --------------------------------------------------------------------------

def unescape(token: str) -> str:
    """The inverse of nmtoken, written independently: ``_HEX_`` back to its character."""
    return re.sub(r"_([0-9A-F]+)_", lambda m: chr(int(m.group(1), 16)), token)


@given(st.text())
def test_nmtoken_is_ascii_and_reversible(text):
    token = nmtoken(text)
    assert ASCII_NMTOKEN.fullmatch(token) or text == ""
    assert unescape(token) == text


def test_nmtoken_keeps_readable_ids_readable():
    assert nmtoken("author:a v subramanyam") == "author:a_20_v_20_subramanyam"
    assert nmtoken("paper:2105.14656") == "paper:2105.14656"
    assert nmtoken("first_published") == "first_5F_published"


def test_nmtoken_ids_are_unique_even_when_texts_collide():
    nodes = sorted(hostile_graph(), key=str)
    ids = nmtoken_ids(nodes)
    assert len(set(ids.values())) == len(nodes)
    assert all(ASCII_NMTOKEN.fullmatch(token) for token in ids.values())
    assert {ids[1], ids["1"]} == {"1", "1_x2"} and ids[""] == "_x1"


def test_graphml_keeps_each_nodes_own_id_in_node_id(tmp_path):
    g = hostile_graph()
    back = nx.read_graphml(written(graphml, g, tmp_path / "h.graphml"))
    own = dict(back.nodes(data="node_id"))
    # the graph's own node_id attribute is renamed; control characters are escaped as in labels
    assert sorted(own.values()) == sorted(str(n).replace("\x01", "\\u0001") for n in g)
    assert {d["node_id_value"] for _, d in back.nodes(data=True)} == {f"own {i}" for i in range(len(g))}
    assert {"first_published", "gr__e"} <= set(next(iter(back.nodes.values())))
    assert {d["edge_kind"] for *_, d in back.edges(data=True)} == {"x"}


def test_gexf_ids_are_the_nodes_own(tmp_path):
    # GEXF ids are xs:string, so they are not escaped; 1 and "1" would share one (a known limit)
    g = hostile_graph()
    g.remove_node(1)
    back = nx.read_gexf(written(gexf, g, tmp_path / "h.gexf"), version="1.3")
    assert sorted(back) == sorted(str(n).replace("\x01", "\\u0001") for n in g)
