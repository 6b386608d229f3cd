"""What every exporter module provides, and the options they share."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import networkx as nx

from graph.rdf import DEFAULT_BASE_IRI


@dataclass(frozen=True)
class ExportOptions:
    base_iri: str = DEFAULT_BASE_IRI
    size_by: str = "pagerank"  # node measure that sets viz:size in GEXF
    color_by: str = "type"  # "type" or "community"
    quiet: bool = True


Writer = Callable[[nx.Graph, BinaryIO, ExportOptions], None]


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    media_type: str
    graphs: frozenset[str]  # which graphs it can write: "kg", "coauthors"
    write: Writer
    description: str
    # RDF syntaxes also offer a per-subject renderer, so that several of them can be
    # written in one pass over the graph (exporters.ntriples.write_rdf).
    renderer: Callable[[ExportOptions], Any] | None = None
