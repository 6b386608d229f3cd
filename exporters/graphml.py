"""graphml exporter (placeholder until implemented)."""
from __future__ import annotations

from typing import BinaryIO

import networkx as nx

from exporters.base import Exporter, ExportOptions


def write(graph: nx.Graph, fh: BinaryIO, options: ExportOptions) -> None:
    raise NotImplementedError("graphml export is not implemented yet")


EXPORTER = Exporter(name="graphml", extension="graphml", media_type="application/graphml+xml",
                    graphs=frozenset({"kg"}), write=write, description="placeholder")
