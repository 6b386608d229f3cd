"""gexf exporter (placeholder until implemented)."""
from __future__ import annotations

from typing import BinaryIO

import networkx as nx

from exporters.base import Exporter, ExportOptions


def write(graph: nx.Graph, fh: BinaryIO, options: ExportOptions) -> None:
    raise NotImplementedError("gexf export is not implemented yet")


EXPORTER = Exporter(name="gexf", extension="gexf", media_type="application/gexf+xml",
                    graphs=frozenset({"kg"}), write=write, description="placeholder")
