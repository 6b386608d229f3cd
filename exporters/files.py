"""Export files in a KG folder: the graphs to export and the files they go to.

Shared by ``arxiv-kg build`` (which writes a default set of formats) and ``arxiv-kg export``:

* :func:`export_graph` builds the graph an export is made from: the typed knowledge graph
  (``"kg"``) or the co-author network with per-author measures (``"coauthors"``);
* :func:`write_files` writes several formats atomically, to ``<kg>/<graph>.<extension>``
  (``out/kg.graphml``, ``out/coauthors.gexf``, ``out/kg.ttl``).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from exporters import get_exporter
from exporters.base import Exporter, ExportOptions, ProgressFactory
from exporters.ntriples import write_rdf
from graph.analysis import measures as metrics
from graph.analysis import projection as coauthors
from graph.errors import ArxivKGError
from graph.fsutil import atomic_write
from graph.model.records import Corpus, Paper
from graph.rdf import mapping as rdf
from graph.tables.kg import build_graph

GRAPHS = ("kg", "coauthors")


class UnsupportedGraph(ArxivKGError):
    """A format was asked to write a graph it cannot represent."""


def export_graph(corpus: Corpus, kind: str, **filters: Any) -> nx.Graph:
    """The graph named `kind` ("kg" or "coauthors"), ready for any exporter.

    `filters` go to graph.coauthors.project (counting, max_authors, since, until, ...) and
    only apply to the co-author network.
    """
    if kind == "kg":
        return build_graph(corpus)
    if kind == "coauthors":
        return coauthor_graph(corpus, **filters)
    raise UnsupportedGraph(f"unknown graph {kind!r}; valid: {', '.join(GRAPHS)}")


def coauthor_graph(corpus: Corpus, **filters: Any) -> nx.Graph:
    """Co-author network with measures, `type` = Author and each author's first paper date."""
    projection = coauthors.project(corpus, **filters)
    g = projection.graph
    metrics.annotate(g, metrics.author_measures(projection))
    first = _first_published(projection.papers)
    for key, data in g.nodes(data=True):
        data["type"] = "Author"
        if key in first:
            data["first_published"] = first[key]
    return g


def _first_published(papers: Iterable[Paper]) -> dict[str, str]:
    """Author key -> date (YYYY-MM-DD) of their earliest paper among `papers`."""
    first: dict[str, str] = {}
    for paper in papers:
        day = paper.published[:10]
        for key in paper.authors:
            if day < first.get(key, "\uffff"):
                first[key] = day
    return first


def options_for(kind: str, **settings: Any) -> ExportOptions:
    """Export options with the defaults that suit `kind`: co-authors are coloured by community."""
    settings.setdefault("color_by", "community" if kind == "coauthors" else "type")
    return ExportOptions(**settings)


def graph_kind(graph: nx.Graph) -> str:
    """The knowledge graph is directed, the co-author network undirected."""
    return "kg" if graph.is_directed() else "coauthors"


def check_supported(exporter: Exporter, kind: str) -> None:
    if kind not in exporter.graphs:
        raise UnsupportedGraph(f"format {exporter.name!r} can only write the "
                               f"{' or '.join(sorted(exporter.graphs))} graph, not {kind!r}")


def unique_exporters(names: Iterable[str]) -> list[Exporter]:
    """Exporters for `names` in order, aliases collapsed ("ttl" and "turtle" write one file)."""
    out: list[Exporter] = []
    for name in names:
        exporter = get_exporter(name)
        if exporter not in out:
            out.append(exporter)
    return out


def output_path(kg_dir: str | Path, kind: str, exporter: Exporter) -> Path:
    return Path(kg_dir) / f"{kind}.{exporter.extension}"


def write_file(graph: nx.Graph, exporter: Exporter, path: str | Path, options: ExportOptions) -> Path:
    """Write one export atomically: the file appears only when the writer succeeded."""
    with atomic_write(path) as fh:
        exporter.write(graph, fh, options)
    return Path(path)


def write_files(graph: nx.Graph, kg_dir: str | Path, names: Iterable[str], options: ExportOptions,
                *, kind: str | None = None) -> list[Path]:
    """Write `graph` in each named format to ``<kg_dir>/<kind>.<extension>``; return the paths.

    `kind` defaults to "kg" for directed graphs and "coauthors" for undirected ones.
    Every name is checked before anything is written.
    """
    kind = kind or graph_kind(graph)
    exporters = unique_exporters(names)
    for exporter in exporters:
        check_supported(exporter, kind)
    return [write_file(graph, e, output_path(kg_dir, kind, e), options) for e in exporters]


# --- the set of files `arxiv-kg build` writes -------------------------------------------

# Measured on an archive-sized corpus (187k papers, 7.8M triples): Turtle + N-Triples in one
# pass take 30 s; the co-author GEXF would add 53 s (measures 34 s, writing 19 s), so it is
# one `arxiv-kg export gexf --graph coauthors` away instead of in every build.
DEFAULT_BUILD_EXPORTS = "kg.ttl,kg.nt"


@dataclass(frozen=True)
class ExportSpec:
    """One file of a build: which graph, in which format."""

    kind: str
    exporter: Exporter


def parse_specs(text: str) -> list[ExportSpec]:
    """`"kg.ttl,coauthors.gexf"` -> specs; `"none"` or `""` -> no exports. Checked up front."""
    specs: list[ExportSpec] = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        if item == "none":
            continue
        kind, dot, name = item.partition(".")
        if not dot or kind not in GRAPHS:
            raise UnsupportedGraph(f"bad export {item!r}: write GRAPH.FORMAT with GRAPH one of "
                                   f"{', '.join(GRAPHS)}, e.g. kg.ttl or coauthors.gexf")
        spec = ExportSpec(kind, get_exporter(name))
        check_supported(spec.exporter, kind)
        if spec not in specs:
            specs.append(spec)
    return specs


def write_exports(corpus: Corpus, kg_dir: str | Path, specs: list[ExportSpec], *,
                  base_iri: str, progress: ProgressFactory | None = None,
                  kg: nx.DiGraph | None = None) -> list[Path]:
    """Write every spec into `kg_dir`; RDF syntaxes of the KG share one pass over the graph."""
    written: list[Path] = []
    for kind in GRAPHS:
        chosen = [s.exporter for s in specs if s.kind == kind]
        if not chosen:
            continue
        graph = kg if kind == "kg" and kg is not None else export_graph(corpus, kind)
        options = options_for(kind, base_iri=base_iri, progress=progress)
        rdf_syntaxes = [e for e in chosen if e.renderer is not None]
        if rdf_syntaxes:
            written += _write_rdf_together(graph, kg_dir, kind, rdf_syntaxes, options)
        written += [write_file(graph, e, output_path(kg_dir, kind, e), options)
                    for e in chosen if e.renderer is None]
    return written


def _write_rdf_together(graph: nx.Graph, kg_dir: str | Path, kind: str,
                        exporters: list[Exporter], options: ExportOptions) -> list[Path]:
    paths = [output_path(kg_dir, kind, e) for e in exporters]
    with contextlib.ExitStack() as stack:  # every file appears only if all succeed
        handles = [stack.enter_context(atomic_write(p)) for p in paths]
        write_rdf(graph, [(fh, e.renderer(options)) for fh, e in zip(handles, exporters)], options)
    vocab = Path(kg_dir) / "vocab.ttl"  # the akg: terms the data uses, beside the data
    with atomic_write(vocab) as fh:
        fh.write(rdf.vocab_path().read_bytes())
    return [*paths, vocab]
