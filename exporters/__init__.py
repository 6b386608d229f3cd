"""Exporters: one module per format, registered in EXPORTERS (name or alias -> Exporter)."""
from __future__ import annotations

from exporters import gexf, graphml, jsonld, ntriples, turtle
from exporters.base import Exporter, ExportOptions
from graph.errors import ArxivKGError

EXPORTERS: dict[str, Exporter] = {
    "graphml": graphml.EXPORTER,
    "gexf": gexf.EXPORTER,
    "turtle": turtle.EXPORTER,
    "ttl": turtle.EXPORTER,
    "ntriples": ntriples.EXPORTER,
    "nt": ntriples.EXPORTER,
    "jsonld": jsonld.EXPORTER,
    "json-ld": jsonld.EXPORTER,
}


class UnknownFormat(ArxivKGError):
    pass


def get_exporter(name: str) -> Exporter:
    try:
        return EXPORTERS[name.lower()]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; valid: {', '.join(sorted(EXPORTERS))}") from None


__all__ = ["EXPORTERS", "Exporter", "ExportOptions", "UnknownFormat", "get_exporter"]
