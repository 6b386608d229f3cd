"""GraphML (http://graphml.graphdrawing.org/specification.html) for Gephi, igraph, yEd, networkx.

Writes the typed knowledge graph (directed) or the co-author network (undirected) as a
stream: keys first, then nodes in id order, then edges in (source, target) order.

Encoding (shared with GEXF, see :mod:`exporters.xmltext`):

* node ids are ``xs:NMTOKEN``, as the GraphML schema requires: the node's own id with every
  character outside ``[A-Za-z0-9.:-]`` written ``_HEX_`` (``author:a v subramanyam`` ->
  ``author:a_20_v_20_subramanyam``, see :func:`exporters.xmltext.nmtoken`); the node's own
  id is the ``node_id`` data value. Edges have no ids;
* every node has ``node_id``, ``label`` (its id when it has none) and ``type`` (``Node`` when
  it has none);
* one ``<key>`` per attribute, with one ``attr.type``: boolean, int, long, double or string.
  Node keys are named after the attribute (``id="label"``), edge keys get an ``edge_``
  prefix (``id="edge_type"``), because GraphML key ids share one namespace;
* absent values (None, "", empty tuples, NaN) are left out, never written empty;
* tuples and lists are one string, items joined with ``;`` (``versions`` = ``1;2;3``);
* characters XML 1.0 forbids are removed from values (and escaped as ``\\uXXXX`` in ``node_id``);
* ``attr.name`` is a NMTOKEN too: other characters in attribute names become ``_``;
* attribute names that Gephi turns into visual properties or ids (x, y, z, size, r, g, b,
  color, id, ...) are renamed ``<name>_value`` so they stay data columns; so is a node
  attribute named ``node_id``.

What GraphML cannot carry here: nested values (dicts are written as their text), the
difference between a tuple and a ``;``-joined string, and parallel edges (multigraphs are
not supported).
"""
from __future__ import annotations

from typing import BinaryIO

import networkx as nx

from exporters.base import Exporter, ExportOptions, tracked
from exporters.xmltext import (
    Column,
    TextSink,
    attr,
    clean_id,
    encoded,
    escape_text,
    infer_kinds,
    make_columns,
    nmtoken_ids,
    node_label,
    node_type,
    sorted_edges,
    sorted_nodes,
)

_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
           ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
           ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
           ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
# Gephi's GraphML importer maps these key names (or ids) onto node/edge properties.
_NODE_RESERVED = frozenset({"x", "y", "z", "xpos", "ypos", "size", "r", "g", "b", "color", "d3",
                            "id", "timeset", "interval"})
_EDGE_RESERVED = frozenset({"id", "edgeid", "edgelabel", "r", "g", "b", "color", "d7",
                            "timeset", "interval"})
_REQUIRED = ("label", "type")  # always present on nodes, always strings
# The node's own id: GraphML ids must be NMTOKENs, so the id attribute holds an escaped form.
NODE_ID = Column(name="node_id", title="node_id", key="node_id", kind="string")


def write(graph: nx.Graph, fh: BinaryIO, options: ExportOptions) -> None:
    if graph.is_multigraph():
        raise TypeError("GraphML export does not support multigraphs")
    nodes = sorted_nodes(graph)
    node_cols, edge_cols = _columns(graph)
    out = TextSink(fh)
    out.write(_HEADER)
    out.write("".join(_key_line(col, "node") for col in sorted([NODE_ID, *node_cols], key=_by_key)))
    out.write("".join(_key_line(col, "edge") for col in edge_cols))
    out.write(f'  <graph id="G" edgedefault="{"directed" if graph.is_directed() else "undirected"}">\n')
    ids = nmtoken_ids(nodes)
    _write_nodes(out, graph, ids, node_cols, options)
    _write_edges(out, graph, ids, edge_cols, options)
    out.write("  </graph>\n</graphml>\n")
    out.flush()


def _write_nodes(out: TextSink, graph: nx.Graph, ids: dict, columns: list[Column], options: ExportOptions) -> None:
    # label and type come first on every node: Gephi and igraph users rely on both
    by_name = {c.name: c for c in columns}
    label_key, type_key = (by_name.pop(name).key for name in _REQUIRED)
    for n, node_id in tracked(ids.items(), label="GraphML nodes", total=len(ids), options=options):
        data = graph.nodes[n]
        out.write(f'    <node id="{node_id}">\n'
                  f'      <data key="{NODE_ID.key}">{escape_text(clean_id(str(n)))}</data>\n'
                  f'      <data key="{label_key}">{escape_text(node_label(n, data))}</data>\n'
                  f'      <data key="{type_key}">{escape_text(node_type(data))}</data>\n'
                  f"{_data_lines(encoded(data, by_name))}    </node>\n")


def _write_edges(out: TextSink, graph: nx.Graph, ids: dict, columns: list[Column], options: ExportOptions) -> None:
    by_name = {c.name: c for c in columns}
    edges = tracked(sorted_edges(graph, list(ids)), label="GraphML edges",
                    total=graph.number_of_edges(), options=options)
    for u, v, data in edges:
        head = f'    <edge source="{ids[u]}" target="{ids[v]}"'
        body = _data_lines(encoded(data, by_name))
        out.write(f"{head}>\n{body}    </edge>\n" if body else f"{head}/>\n")


def _columns(graph: nx.Graph) -> tuple[list[Column], list[Column]]:
    node_kinds = infer_kinds(graph.nodes[n] for n in graph)
    node_kinds.update(dict.fromkeys(_REQUIRED, "string"))
    edge_kinds = infer_kinds(data for _, _, data in graph.edges(data=True))
    used = {NODE_ID.key}
    node_cols = make_columns(node_kinds, reserved=_NODE_RESERVED | {NODE_ID.title}, key_prefix="",
                             used_keys=used, token_titles=True)
    edge_cols = make_columns(edge_kinds, reserved=_EDGE_RESERVED, key_prefix="edge_", used_keys=used,
                             token_titles=True)
    return node_cols, edge_cols


def _by_key(col: Column) -> str:
    return col.key


def _key_line(col: Column, domain: str) -> str:
    return (f'  <key id={attr(col.key)} for="{domain}" attr.name={attr(col.title)}'
            f' attr.type="{col.kind}"/>\n')


def _data_lines(values: list[tuple[Column, str]]) -> str:
    return "".join(f'      <data key="{col.key}">{escape_text(value)}</data>\n' for col, value in values)


EXPORTER = Exporter(name="graphml", extension="graphml", media_type="application/graphml+xml",
                    graphs=frozenset({"kg", "coauthors"}), write=write,
                    description="GraphML for Gephi, igraph, yEd and networkx (typed keys, no empty values)")
