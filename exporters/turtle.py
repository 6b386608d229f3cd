"""turtle exporter (placeholder until implemented)."""
from __future__ import annotations

from typing import BinaryIO

import networkx as nx

from exporters.base import Exporter, ExportOptions


def write(graph: nx.Graph, fh: BinaryIO, options: ExportOptions) -> None:
    raise NotImplementedError("turtle export is not implemented yet")


EXPORTER = Exporter(name="turtle", extension="ttl", media_type="text/turtle",
                    graphs=frozenset({"kg"}), write=write, description="placeholder")
