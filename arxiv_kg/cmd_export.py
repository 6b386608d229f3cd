"""`arxiv-kg export`: write the knowledge graph or the co-author network in one format."""
from __future__ import annotations

import time
from pathlib import Path
from typing import BinaryIO

import click
import networkx as nx

from arxiv_kg.common import domain_errors, kg_option, quiet_option, warn
from arxiv_kg.progress import reporter
from exporters import EXPORTERS, get_exporter
from exporters.base import DEFAULT_BASE_IRI, Exporter, ExportOptions, ExportSource
from exporters.files import GRAPHS, export_source, options_for, output_path, write_file
from exporters.gexf import size_measure
from graph.analysis.projection import COUNTINGS, DEFAULT_MAX_AUTHORS
from graph.rdf.mapping import BadBaseIri, check_base_iri


class _Counter:
    """Pass-through binary handle that counts bytes, for the closing summary."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return self._fh.write(data)

    def __getattr__(self, name: str):
        return getattr(self._fh, name)


def _check_base_iri(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return check_base_iri(value)
    except BadBaseIri as exc:
        raise click.BadParameter(f"{exc}; for example {DEFAULT_BASE_IRI}") from None


_HELP = f"""Write the knowledge graph (or the co-author network) as FORMAT.

FORMAT is one of {", ".join(sorted(EXPORTERS))}. GraphML and GEXF open in Gephi;
Turtle, N-Triples and JSON-LD load into triple stores. The file goes to
<kg>/<graph>.<extension> unless -o is given; it is written atomically, so a failed
export leaves no partial file.

\b
Example:
  arxiv-kg export graphml                      # out/kg.graphml
  arxiv-kg export gexf --graph coauthors --size-by pagerank
  arxiv-kg export nt --kg out/ -o - | wc -l     # one triple per line
"""


@click.command("export", help=_HELP)
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(EXPORTERS), case_sensitive=False))
@kg_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write, '-' for stdout.  [default: <kg>/<graph>.<extension>]")
@click.option("--graph", "kind", type=click.Choice(GRAPHS), default="kg", show_default=True,
              help="The typed knowledge graph, or the co-author network with per-author measures.")
@click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True, callback=_check_base_iri,
              help="RDF formats: base of the IRIs minted for authors, categories, links.")
@click.option("--size-by", metavar="MEASURE",
              help="GEXF: node measure that sets viz:size (pagerank, degree, papers, ...); "
                   "nodes without it are sized by degree.  [default: pagerank]")
@click.option("--color-by", type=click.Choice(["type", "community"]),
              help="GEXF: node colour.  [default: type for kg, community for coauthors]")
@click.option("--counting", type=click.Choice(COUNTINGS),
              help="Co-authors: edge weight per shared paper, 1 or 1/(authors-1).  [default: full]")
@click.option("--max-authors", type=click.IntRange(min=0),
              help="Co-authors: leave out papers with more authors than this (0: keep all).  "
                   f"[default: {DEFAULT_MAX_AUTHORS}]")
@click.option("--since", metavar="DATE", help="Co-authors: only papers published on or after DATE "
                                               "(YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Co-authors: only papers published up to DATE, inclusive.")
@click.option("--min-papers", type=click.IntRange(min=1),
              help="Co-authors: keep authors with at least this many papers.  [default: 1]")
@quiet_option
@domain_errors
def export(fmt: str, kg_dir: str, output: str | None, kind: str, base_iri: str, size_by: str | None,
           color_by: str | None, quiet: bool, **filters: object) -> None:
    """Write the knowledge graph (or the co-author network) in one FORMAT."""
    exporter = get_exporter(fmt)
    filters = {name: value for name, value in filters.items() if value is not None}
    if kind == "kg" and filters:
        names = ", ".join("--" + name.replace("_", "-") for name in sorted(filters))
        warn(f"warning: {names} only apply to --graph coauthors; ignored", quiet)
    started = time.perf_counter()
    warn(f"reading {kg_dir} ...", quiet)
    source = export_source(kg_dir, kind, exporter, **filters)
    options = _options(source, kind, base_iri, size_by, color_by, quiet)
    target = "stdout" if output == "-" else str(output or output_path(kg_dir, kind, exporter))
    what = (f"{source.number_of_nodes():,} nodes and {source.number_of_edges():,} edges"
            if isinstance(source, nx.Graph) else f"the {kind} graph")
    warn(f"writing {what} as {exporter.name} to {target} ...", quiet)
    size = _write(source, exporter, output, target, options)
    warn(f"wrote {size / 1e6:,.1f} MB in {time.perf_counter() - started:.1f} s", quiet)
    if output != "-":
        click.echo(target)


def _options(source: ExportSource, kind: str, base_iri: str, size_by: str | None,
             color_by: str | None, quiet: bool) -> ExportOptions:
    """Options for the writer; warn only about choices the user made explicitly."""
    if isinstance(source, nx.Graph):
        if size_by and size_measure(source, size_by) != size_by:
            warn(f"warning: no node has a numeric {size_by!r}; sizing by degree", quiet)
        if color_by == "community" and not any("community" in d for _, d in source.nodes(data=True)):
            warn("warning: no node has a community; all nodes will be grey", quiet)
    explicit = {name: value for name, value in (("size_by", size_by), ("color_by", color_by)) if value}
    return options_for(kind, base_iri=base_iri, progress=reporter(quiet), **explicit)


def _write(source: ExportSource, exporter: Exporter, output: str | None, target: str,
           options: ExportOptions) -> int:
    if output == "-":
        with click.open_file("-", "wb") as stdout:  # the wrapper keeps stdout open on exit
            counter = _Counter(stdout)
            exporter.write(source, counter, options)
            counter.flush()
        return counter.size
    write_file(source, exporter, target, options)
    return Path(target).stat().st_size


COMMANDS = [export]
