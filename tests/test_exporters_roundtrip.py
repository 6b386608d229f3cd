"""Every registered exporter, written from the sample KG and read back by independent parsers.

Parametrised over the registry (aliases collapsed), so a new format is picked up automatically:
it must be deterministic and match its golden file, and it must have a reader in READERS.

Golden files (tests/golden/kg.<extension>) pin the knowledge-graph export byte for byte. They are
made from a hand-picked corpus of three records, tests/data/golden/ (see tests/golden/README.md
for what each record exercises), so that a person can review them. The co-author network has
none: its measures are floating-point results of igraph, whose last digits may differ between
builds. After an intended change, regenerate them and review the diff:

    UPDATE_GOLDEN=1 pytest tests/test_exporters_roundtrip.py -k golden
"""
from __future__ import annotations

import io
import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import igraph
import networkx as nx
import orjson
import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from conftest import current
from pyld import jsonld

from arxiv_kg.cli import main
from exporters import EXPORTERS
from exporters.base import Exporter, ExportOptions
from exporters.files import export_graph, export_source

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_CORPUS = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
DISTINCT = list({id(e): e for e in EXPORTERS.values()}.values())
CASES = [(e, kind) for e in DISTINCT for kind in ("kg", "coauthors") if kind in e.graphs]

# rdflib's own JSON-LD parser, not our output, triggers this one.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SCHEMA = "http://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_NOTATION = "http://www.w3.org/2004/02/skos/core#notation"


@dataclass(frozen=True)
class ReadBack:
    """What a parser saw: node/edge counts for graph formats, typed subjects for RDF."""

    nodes: int | None = None
    edges: int | None = None
    triples: int | None = None
    types: Counter | None = None  # rdf:type object IRI -> subjects
    predicates: Counter | None = None  # predicate IRI -> triples
    notations: frozenset[str] = frozenset()


@pytest.fixture(scope="module")
def graphs(sample_kg) -> dict[str, nx.Graph]:
    return {kind: export_graph(current(sample_kg), kind) for kind in ("kg", "coauthors")}


@pytest.fixture(scope="module")
def golden_kg(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden-kg")
    result = CliRunner().invoke(main, ["build", str(GOLDEN_CORPUS), "--out", str(out), "--formats", "none",
                                       "--no-store", "-q"])
    assert result.exit_code == 0, result.output
    return out


def written(exporter: Exporter, source: nx.Graph | Path) -> bytes:
    """What `exporter` writes from a graph, or (RDF syntaxes) from a KG folder."""
    buf = io.BytesIO()
    try:
        exporter.write(source, buf, ExportOptions())
    except NotImplementedError as exc:
        pytest.skip(f"{exporter.name}: {exc}")
    return buf.getvalue()


def case_id(case: tuple[Exporter, str]) -> str:
    return f"{case[0].name}-{case[1]}"


# --- readers: one or two independent parsers per format ---------------------------------

def read_graphml(data: bytes, tmp_path: Path) -> list[ReadBack]:
    path = tmp_path / "g.graphml"
    path.write_bytes(data)
    nxg = nx.read_graphml(path)
    ig = igraph.Graph.Read_GraphML(str(path))
    return [ReadBack(nodes=nxg.number_of_nodes(), edges=nxg.number_of_edges()),
            ReadBack(nodes=ig.vcount(), edges=ig.ecount())]


def read_gexf(data: bytes, tmp_path: Path) -> list[ReadBack]:
    g = nx.read_gexf(io.BytesIO(data), version="1.3")
    return [ReadBack(nodes=g.number_of_nodes(), edges=g.number_of_edges())]


def _oxigraph(data: bytes, fmt: ox.RdfFormat) -> ReadBack:
    return _summarise(((t.subject.value, t.predicate.value, t.object) for t in ox.parse(data, format=fmt)),
                      text=lambda o: o.value)


def _rdflib(data: bytes, fmt: str) -> ReadBack:
    g = rdflib.Graph()
    g.parse(data=data, format=fmt)
    return _summarise(((str(s), str(p), o) for s, p, o in g), text=str)


def _pyld(data: bytes) -> ReadBack:
    nquads = jsonld.to_rdf(orjson.loads(data), {"format": "application/n-quads"})
    return _oxigraph(nquads.encode("utf-8"), ox.RdfFormat.N_QUADS)


def _summarise(triples, text: Callable) -> ReadBack:
    """Count distinct triples, rdf:type objects, predicates and skos:notation values."""
    seen = set()
    types: Counter = Counter()
    predicates: Counter = Counter()
    notations = set()
    for s, p, o in triples:
        if (s, p, o) in seen:
            continue
        seen.add((s, p, o))
        predicates[p] += 1
        if p == RDF_TYPE:
            types[text(o)] += 1
        elif p == SKOS_NOTATION:
            notations.add(text(o))
    return ReadBack(triples=len(seen), types=types, predicates=predicates, notations=frozenset(notations))


READERS: dict[str, Callable[[bytes, Path], list[ReadBack]]] = {
    "graphml": read_graphml,
    "gexf": read_gexf,
    "turtle": lambda d, _: [_oxigraph(d, ox.RdfFormat.TURTLE), _rdflib(d, "turtle")],
    "ntriples": lambda d, _: [_oxigraph(d, ox.RdfFormat.N_TRIPLES), _rdflib(d, "nt")],
    "jsonld": lambda d, _: [_pyld(d), _rdflib(d, "json-ld")],
}


# --- tests -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_read_back_by_independent_parsers(case, graphs, sample_kg, tmp_path):
    exporter, kind = case
    graph = graphs[kind]
    data = written(exporter, current(sample_kg) if exporter.renderer else graph)
    assert exporter.name in READERS, f"add a reader for {exporter.name!r} to READERS"
    views = READERS[exporter.name](data, tmp_path)
    for view in views:
        if view.nodes is not None:
            assert (view.nodes, view.edges) == (graph.number_of_nodes(), graph.number_of_edges())
        else:
            _check_rdf(view, graph)
    assert all(view == views[0] for view in views), "the parsers disagree"


def _check_rdf(view: ReadBack, graph: nx.Graph) -> None:
    nodes = Counter(d.get("kind") if d["type"] == "Author" else d["type"] for _, d in graph.nodes(data=True))
    in_corpus = sum(1 for _, d in graph.nodes(data=True) if d.get("in_corpus"))
    edges = Counter(d["type"] for _, _, d in graph.edges(data=True))
    assert view.types[SCHEMA + "ScholarlyArticle"] == in_corpus
    assert view.types[SCHEMA + "Person"] == nodes["person"]
    assert view.types[SCHEMA + "Organization"] == nodes["organisation"]
    assert view.types["https://dblp.org/rdf/schema#AuthorSignature"] == edges["authored"]
    assert view.types[SCHEMA + "SoftwareSourceCode"] == nodes["Repository"]
    assert view.types[SCHEMA + "WebPage"] == nodes["Link"]
    assert view.predicates[SCHEMA + "mentions"] == edges["mentions"]
    assert view.predicates["https://dblp.org/rdf/schema#signatureOrdinal"] == edges["authored"]
    codes = {d["code"] for _, d in graph.nodes(data=True)
             if d["type"] == "Category" or d["type"] == "SubjectClass" and d["edition"]}
    assert codes <= view.notations


# The RDF syntaxes read the tables, whose order is fixed (tests/test_rdf.py checks the
# subjects' order; tests/test_build_cli.py the same bytes for any input order).
@pytest.mark.parametrize("case", [c for c in CASES if c[0].renderer is None], ids=case_id)
def test_same_graph_in_any_order_gives_identical_bytes(case, graphs):
    exporter, kind = case
    graph = graphs[kind]
    shuffled = graph.__class__()
    nodes, edges = list(graph.nodes(data=True)), list(graph.edges(data=True))
    random.Random(1).shuffle(nodes)
    random.Random(2).shuffle(edges)
    shuffled.add_nodes_from(nodes)
    shuffled.add_edges_from(edges)
    assert written(exporter, shuffled) == written(exporter, graph)


@pytest.mark.parametrize("exporter", [e for e in DISTINCT if "kg" in e.graphs], ids=lambda e: e.name)
def test_matches_golden_file(exporter, golden_kg):
    data = written(exporter, export_source(golden_kg, "kg", exporter))
    golden = GOLDEN / f"kg.{exporter.extension}"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(data)
    assert golden.is_file(), f"{golden.name} missing: run UPDATE_GOLDEN=1 pytest {Path(__file__).name}"
    assert data == golden.read_bytes(), (
        f"{exporter.name} output changed; if intended, run UPDATE_GOLDEN=1 pytest {Path(__file__).name}")


def test_build_writes_the_golden_files(golden_kg, tmp_path):
    # the build's one pass over every syntax (and its processes) gives the exporters' bytes
    formats = ",".join(f"kg.{e.extension}" for e in DISTINCT if "kg" in e.graphs)
    out = tmp_path / "kg"
    result = CliRunner().invoke(main, ["build", str(GOLDEN_CORPUS), "--out", str(out), "--formats", formats, "-q"])
    assert result.exit_code == 0, result.output
    for exporter in (e for e in DISTINCT if "kg" in e.graphs):
        name = f"kg.{exporter.extension}"
        assert (out / name).read_bytes() == (GOLDEN / name).read_bytes(), name
