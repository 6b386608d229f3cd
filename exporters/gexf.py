"""GEXF 1.3 (https://gexf.net/schema.html), Gephi's native format, written as a stream.

* Namespaces ``http://gexf.net/1.3`` and ``http://gexf.net/1.3/viz``, ``version="1.3"``;
  ``defaultedgetype`` is directed for the knowledge graph, undirected for co-authors.
* Attributes are typed ``integer``/``long``/``double``/``boolean``/``string`` and encoded
  as in GraphML (see :mod:`exporters.xmltext`: absent values left out, sequences
  ``;``-joined, XML-forbidden characters removed). ``label`` and ``weight`` are the
  node/edge XML attributes, not attribute columns.
* ``viz:color`` by node type (fixed palette) or by ``community`` (``options.color_by``);
  nodes without a community are grey.
* ``viz:size`` from the node measure ``options.size_by`` (for example pagerank), scaled
  by square root onto 5..50 so that area follows the measure; when no node carries that
  measure, nodes are sized by degree (see :func:`size_measure`).
* Time (``mode="dynamic" timeformat="date"``): a node's ``start`` is its own date
  (``published`` for papers, ``first_published`` for co-authors), else the earliest date
  of an adjacent node that has one (an author's first paper, a category's first paper);
  an edge starts when both ends exist. No ``end``: nothing disappears, so Gephi's
  timeline plays the graph's growth. Graphs with no dates are written static.

Node ids are the nodes' own (GEXF ids are ``xs:string``; XML-forbidden characters escaped
as ``\\uXXXX``), so two nodes whose ids print the same (1 and "1") would share one.

What GEXF cannot carry here: dates finer than a day, nested values, and parallel edges.
Attribute names Gephi reserves (id, start, end, ...) are renamed ``<name>_value``.
"""
from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

import networkx as nx

from exporters.base import Exporter, ExportOptions, tracked
from exporters.xmltext import (
    Column,
    TextSink,
    attr,
    encode,
    encoded,
    infer_kinds,
    make_columns,
    node_label,
    node_type,
    quote,
    quoted_ids,
    sorted_edges,
    sorted_nodes,
)

NS = "http://gexf.net/1.3"
NS_VIZ = "http://gexf.net/1.3/viz"
MIN_SIZE, MAX_SIZE = 5.0, 50.0
DEGREE = "degree"

TYPE_COLORS: dict[str, tuple[int, int, int]] = {
    "Paper": (31, 119, 180),
    "Author": (255, 127, 14),
    "Category": (44, 160, 44),
    "SubjectClass": (148, 103, 189),
    "Repository": (214, 39, 40),
    "Link": (140, 86, 75),
}
UNKNOWN_COLOR = (153, 153, 153)
COMMUNITY_COLORS: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (174, 199, 232),
    (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213), (196, 156, 148),
    (247, 182, 210), (219, 219, 141), (158, 218, 229), (57, 59, 121), (99, 121, 57),
)
_GEXF_TYPES = {"int": "integer", "long": "long", "double": "double", "boolean": "boolean",
               "string": "string"}
# Written as XML attributes of <node>/<edge>, or reserved by Gephi's data table.
_NODE_SKIP = frozenset({"label"})
_EDGE_SKIP = frozenset({"label", "weight"})
_RESERVED = frozenset({"id", "start", "end", "timeset", "interval", "spells"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_ATTRS = ("published", "first_published")


def write(graph: nx.Graph, fh: BinaryIO, options: ExportOptions) -> None:
    if graph.is_multigraph():
        raise TypeError("GEXF export does not support multigraphs")
    nodes = sorted_nodes(graph)
    starts = node_starts(graph)
    node_cols, edge_cols = _columns(graph)
    out = TextSink(fh)
    out.write(_header(graph, dynamic=bool(starts)))
    _write_attributes(out, "node", node_cols)
    _write_attributes(out, "edge", edge_cols)
    ids = quoted_ids(nodes)
    _write_nodes(out, graph, ids, node_cols, starts, options)
    _write_edges(out, graph, ids, edge_cols, starts, options)
    out.write("  </graph>\n</gexf>\n")
    out.flush()


def _write_nodes(out: TextSink, graph: nx.Graph, ids: dict, columns: list[Column],
                 starts: Mapping[Any, str], options: ExportOptions) -> None:
    sizes = _sizes(graph, size_measure(graph, options.size_by))
    color = _colorer(options.color_by)
    by_name = {c.name: c for c in columns}
    type_key = by_name.pop("type").key
    out.write("    <nodes>\n")
    for n, node_id in tracked(ids.items(), label="GEXF nodes", total=len(ids), options=options):
        data = graph.nodes[n]
        start = f' start="{starts[n]}"' if n in starts else ""
        r, g, b = color(data)
        values = [(type_key, node_type(data))] + [(c.key, v) for c, v in encoded(data, by_name)]
        out.write(f"      <node id={node_id} label={quote(node_label(n, data))}{start}>\n"
                  f"{_attvalues(values)}"
                  f'        <viz:color r="{r}" g="{g}" b="{b}"/>\n'
                  f'        <viz:size value="{sizes[n]:.2f}"/>\n'
                  "      </node>\n")
    out.write("    </nodes>\n")


def _write_edges(out: TextSink, graph: nx.Graph, ids: dict, columns: list[Column],
                 starts: Mapping[Any, str], options: ExportOptions) -> None:
    by_name = {c.name: c for c in columns}
    edges = tracked(sorted_edges(graph, list(ids)), label="GEXF edges",
                    total=graph.number_of_edges(), options=options)
    out.write("    <edges>\n")
    for i, (u, v, data) in enumerate(edges):
        head = f'      <edge id="{i}" source={ids[u]} target={ids[v]}'
        head += _edge_extras(data, _edge_start(starts, u, v))
        body = _attvalues([(c.key, value) for c, value in encoded(data, by_name)])
        out.write(f"{head}>\n{body}      </edge>\n" if body else f"{head}/>\n")
    out.write("    </edges>\n")


def _edge_extras(data: Mapping[str, Any], start: str | None) -> str:
    """The start, weight and label XML attributes of an edge."""
    extras = f' start="{start}"' if start else ""
    weight = data.get("weight")
    if weight is not None and _finite_number(weight):
        extras += f' weight="{float(weight)!r}"'
    label = encode(data.get("label"), "string")
    if label is not None:
        extras += f" label={quote(label)}"
    return extras


def _header(graph: nx.Graph, *, dynamic: bool) -> str:
    edge_type = "directed" if graph.is_directed() else "undirected"
    mode = 'mode="dynamic" timeformat="date"' if dynamic else 'mode="static"'
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            # no xsi:schemaLocation: GEXF 1.3's RELAX NG schema allows no such attribute
            f'<gexf xmlns="{NS}" xmlns:viz="{NS_VIZ}" version="1.3">\n'
            '  <meta>\n    <creator>arxiv-kg</creator>\n'
            f'    <description>{"knowledge graph" if graph.is_directed() else "co-author network"}'
            '</description>\n  </meta>\n'
            f'  <graph defaultedgetype="{edge_type}" {mode}>\n')


def _columns(graph: nx.Graph) -> tuple[list[Column], list[Column]]:
    node_kinds = infer_kinds((graph.nodes[n] for n in graph), skip=_NODE_SKIP)
    node_kinds["type"] = "string"
    edge_kinds = infer_kinds((data for _, _, data in graph.edges(data=True)), skip=_EDGE_SKIP)
    node_cols = make_columns(node_kinds, reserved=_RESERVED, key_prefix="", used_keys=set())
    edge_cols = make_columns(edge_kinds, reserved=_RESERVED, key_prefix="", used_keys=set())
    return node_cols, edge_cols


def _write_attributes(out: TextSink, domain: str, columns: list[Column]) -> None:
    if not columns:
        return
    # no mode="static": it is the default, and GEXF 1.3's RELAX NG schema has no such attribute
    out.write(f'    <attributes class="{domain}">\n')
    for col in columns:
        out.write(f'      <attribute id={attr(col.key)} title={attr(col.title)}'
                  f' type="{_GEXF_TYPES[col.kind]}"/>\n')
    out.write("    </attributes>\n")


def _attvalues(values: list[tuple[str, str]]) -> str:
    lines = "".join(f'          <attvalue for="{key}" value={quote(value)}/>\n' for key, value in values)
    return f"        <attvalues>\n{lines}        </attvalues>\n" if lines else ""


# --- time ------------------------------------------------------------------------------

def own_date(data: Mapping[str, Any]) -> str | None:
    """The YYYY-MM-DD a node carries itself, if any."""
    for name in _DATE_ATTRS:
        value = data.get(name)
        if isinstance(value, str) and _DATE.match(value):
            return value[:10]
    return None


def node_starts(graph: nx.Graph) -> dict[Any, str]:
    """Node -> start date: its own date, else the earliest own date among its neighbours."""
    own = {n: d for n, d in ((n, own_date(data)) for n, data in graph.nodes(data=True)) if d}
    if not own:
        return {}
    starts = dict(own)
    for n in graph:
        if n not in own:
            dates = [own[m] for m in nx.all_neighbors(graph, n) if m in own]
            if dates:
                starts[n] = min(dates)
    return starts


def _edge_start(starts: Mapping[Any, str], u: Any, v: Any) -> str | None:
    dates = [d for d in (starts.get(u), starts.get(v)) if d]
    return max(dates) if dates else None


# --- size and colour -------------------------------------------------------------------

def size_measure(graph: nx.Graph, name: str) -> str:
    """`name` if some node carries it as a number, else ``"degree"`` (computed from edges)."""
    if any(_finite_number(data.get(name)) for _, data in graph.nodes(data=True)):
        return name
    return DEGREE


def _sizes(graph: nx.Graph, measure: str) -> dict[Any, float]:
    if measure == DEGREE and not any(_finite_number(d.get(DEGREE)) for _, d in graph.nodes(data=True)):
        values = {n: float(d) for n, d in graph.degree()}
    else:
        values = {n: float(d[measure]) for n, d in graph.nodes(data=True) if _finite_number(d.get(measure))}
    if not values:
        return dict.fromkeys(graph, MIN_SIZE)
    lo, hi = min(values.values()), max(values.values())
    span = hi - lo
    return {n: MIN_SIZE + (MAX_SIZE - MIN_SIZE) * math.sqrt((values[n] - lo) / span) if n in values and span
            else MIN_SIZE for n in graph}


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _colorer(color_by: str):
    if color_by == "community":
        return _community_color
    if color_by == "type":
        return lambda data: TYPE_COLORS.get(data.get("type"), UNKNOWN_COLOR)
    raise ValueError(f"color_by must be 'type' or 'community', not {color_by!r}")


def _community_color(data: Mapping[str, Any]) -> tuple[int, int, int]:
    community = data.get("community")
    if community is None or isinstance(community, float) and not math.isfinite(community):
        return UNKNOWN_COLOR
    if isinstance(community, (int, float)) and not isinstance(community, bool):
        index = int(community)
    else:  # a label rather than a number: a stable hash keeps colours reproducible
        index = zlib.crc32(str(community).encode("utf-8", "surrogatepass"))
    return COMMUNITY_COLORS[index % len(COMMUNITY_COLORS)]


EXPORTER = Exporter(name="gexf", extension="gexf", media_type="application/gexf+xml",
                    graphs=frozenset({"kg", "coauthors"}), write=write,
                    description="GEXF 1.3 for Gephi: typed attributes, colours, sizes and a timeline")
