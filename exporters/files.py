"""Export files in a KG folder: what each export is made from and the files they go to.

Shared by ``arxiv-kg build`` (which writes a default set of formats) and ``arxiv-kg export``:

* :func:`export_source` is what an export is made from: the KG folder itself for the RDF
  syntaxes (they stream its tables), else a networkx graph from :func:`export_graph`: the
  typed knowledge graph (``"kg"``) or the co-author network with per-author measures
  (``"coauthors"``);
* :func:`write_exports` writes several exports atomically, to ``<kg>/<graph>.<extension>``
  (``out/kg.graphml``, ``out/coauthors.gexf``, ``out/kg.ttl``), the RDF syntaxes together
  and with the SPARQL store (exporters.rdf).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc

from exporters import get_exporter
from exporters.base import Exporter, ExportOptions, ExportSource, ProgressFactory
from exporters.rdf import RdfRun, write_rdf_files
from graph.analysis import measures as metrics
from graph.analysis.cache import Cache
from graph.analysis.coauthors import open_coauthors
from graph.analysis.filters import Filters
from graph.errors import ArxivKGError
from graph.fsutil import atomic_write
from graph.rdf import mapping as rdf
from graph.tables.kg import build_graph
from graph.tables.persist import read_table

GRAPHS = ("kg", "coauthors")


class UnsupportedGraph(ArxivKGError):
    """A format was asked to write a graph it cannot represent."""


def export_graph(kg_dir: str | Path, kind: str, **filters: Any) -> nx.Graph:
    """The graph named `kind` ("kg" or "coauthors") of a KG folder, ready for any graph exporter.

    `filters` go to graph.coauthors.project (counting, max_authors, since, until, ...) and
    only apply to the co-author network.
    """
    if kind == "kg":
        return build_graph(kg_dir)
    if kind == "coauthors":
        return coauthor_graph(kg_dir, **filters)
    raise UnsupportedGraph(f"unknown graph {kind!r}; valid: {', '.join(GRAPHS)}")


def export_source(kg_dir: str | Path, kind: str, exporter: Exporter, **filters: Any) -> ExportSource:
    """What `exporter` writes `kind` from: the KG folder for an RDF syntax, else a graph."""
    check_supported(exporter, kind)
    return Path(kg_dir) if exporter.renderer is not None else export_graph(kg_dir, kind, **filters)


def coauthor_graph(kg_dir: str | Path, **filters: Any) -> nx.Graph:
    """Co-author network with measures, `type` = Author and each author's first paper date.

    Made by the analysis commands' own projection, measures and cache."""
    net = open_coauthors(kg_dir, Filters(**filters), cache=Cache(kg_dir))
    g = net.to_networkx()
    metrics.annotate(g, metrics.author_measures(net.network))
    first = _first_published(kg_dir, net.projection.paper_ids)
    for key, data in g.nodes(data=True):
        data["type"] = "Author"
        if key in first:
            data["first_published"] = first[key]
    return g


def _first_published(kg_dir: str | Path, used: pa.Array) -> dict[str, str]:
    """Author key -> date (YYYY-MM-DD) of their earliest paper among the `used` papers."""
    papers = read_table(kg_dir, "papers", ["arxiv_id", "published"])
    papers = papers.filter(pc.is_in(papers["arxiv_id"], value_set=used))
    authorships = read_table(kg_dir, "authorships", ["arxiv_id", "author_key"])
    joined = authorships.join(papers, "arxiv_id", join_type="inner")
    first = joined.group_by("author_key").aggregate([("published", "min")])
    days = pc.strftime(first["published_min"], format="%Y-%m-%d")
    return dict(zip(first["author_key"].to_pylist(), days.to_pylist()))


def options_for(kind: str, **settings: Any) -> ExportOptions:
    """Export options with the defaults that suit `kind`: co-authors are coloured by community."""
    settings.setdefault("color_by", "community" if kind == "coauthors" else "type")
    return ExportOptions(**settings)


def check_supported(exporter: Exporter, kind: str) -> None:
    if kind not in exporter.graphs:
        raise UnsupportedGraph(f"format {exporter.name!r} can only write the "
                               f"{' or '.join(sorted(exporter.graphs))} graph, not {kind!r}")


def output_path(kg_dir: str | Path, kind: str, exporter: Exporter) -> Path:
    return Path(kg_dir) / f"{kind}.{exporter.extension}"


def write_file(source: ExportSource, exporter: Exporter, path: str | Path,
               options: ExportOptions) -> Path:
    """Write one export atomically: the file appears only when the writer succeeded."""
    with atomic_write(path) as fh:
        exporter.write(source, fh, options)
    return Path(path)


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


@dataclass(frozen=True)
class Written:
    """What write_exports wrote: the files, and how the RDF pass (and store load) went."""

    paths: list[Path]
    rdf: RdfRun | None = None

    @property
    def triples(self) -> int | None:
        """Triples in the SPARQL store, if one was loaded."""
        return self.rdf.store.triples if self.rdf and self.rdf.store else None


def write_exports(kg_dir: str | Path, specs: list[ExportSpec], *, base_iri: str,
                  progress: ProgressFactory | None = None, store: Path | None = None,
                  meanwhile: Callable[[], object] | None = None) -> Written:
    """Write every spec into `kg_dir` and, if `store` is given, load the SPARQL store there
    (`meanwhile`: called once the RDF files are written, while the store may still load).

    The RDF syntaxes of the KG and the store share one pass over the KG's subjects
    (exporters.rdf); the other exports are made from a networkx graph each.
    """
    kg = Path(kg_dir)
    rdf_specs = [s for s in specs if s.kind == "kg" and s.exporter.renderer is not None]
    files = [(output_path(kg, "kg", s.exporter), s.exporter.renderer) for s in rdf_specs]
    run = None
    if files or store is not None:
        options = options_for("kg", base_iri=base_iri, progress=progress)
        run = write_rdf_files(kg, files, options, store=store,  # type: ignore[arg-type]
                              meanwhile=meanwhile)
    written = [path for path, _ in files] + ([_write_vocab(kg)] if files else [])
    for kind in GRAPHS:
        chosen = [s.exporter for s in specs if s.kind == kind and s not in rdf_specs]
        if chosen:
            graph = export_graph(kg, kind)
            options = options_for(kind, base_iri=base_iri, progress=progress)
            written += [write_file(graph, e, output_path(kg, kind, e), options) for e in chosen]
    return Written(written, run)


def _write_vocab(kg_dir: Path) -> Path:
    vocab = kg_dir / "vocab.ttl"  # the akg: terms the data uses, beside the data
    with atomic_write(vocab) as fh:
        fh.write(rdf.vocab_path().read_bytes())
    return vocab
