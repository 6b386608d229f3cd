"""`arxiv-kg export`: write the knowledge graph or the co-author network in one format."""
from __future__ import annotations

import time
from pathlib import Path
from typing import IO, BinaryIO, cast

import click
import networkx as nx

from arxiv_kg.common import domain_errors, kg_option, quiet_option, wait_option, warn
from arxiv_kg.progress import reporter
from arxiv_kg.writers import export_into
from exporters import EXPORTERS, get_exporter
from exporters.base import DEFAULT_BASE_IRI, Exporter, ExportOptions, ExportSource
from exporters.files import GRAPHS, ExportSpec, export_source, options_for, write_file
from exporters.gexf import size_measure
from graph.analysis.projection import COUNTINGS, DEFAULT_MAX_AUTHORS
from graph.generations import open_kg
from graph.rdf.mapping import BadBaseIri, check_base_iri


class _Counter:
    """Pass-through binary handle that counts bytes, for the closing summary."""

    def __init__(self, fh: IO[bytes]) -> None:
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
Turtle, N-Triples and JSON-LD load into triple stores. Unless -o is given, the file
goes into the KG folder: a new generation, the current one plus this export, fresh
(<kg>/current/<graph>.<extension>), which is how stale exports are made afresh after
an update. Either way it is written atomically: a failed export leaves no partial file.

\b
Example:
  arxiv-kg export graphml                      # out/current/kg.graphml
  arxiv-kg export gexf --graph coauthors --size-by pagerank
  arxiv-kg export nt --kg out/ -o - | wc -l     # one triple per line
"""


@click.command("export", help=_HELP)
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(EXPORTERS), case_sensitive=False))
@kg_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write, '-' for stdout.  [default: <kg>/current/<graph>.<extension>, "
                   "in a new generation of the KG]")
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
@wait_option
@quiet_option
@domain_errors
def export(fmt: str, kg_dir: str, output: str | None, kind: str, base_iri: str, size_by: str | None,
           color_by: str | None, wait: bool, quiet: bool, **filters: object) -> None:
    """Write the knowledge graph (or the co-author network) in one FORMAT."""
    exporter = get_exporter(fmt)
    filters = {name: value for name, value in filters.items() if value is not None}
    if kind == "kg" and filters:
        names = ", ".join("--" + name.replace("_", "-") for name in sorted(filters))
        warn(f"warning: {names} only apply to --graph coauthors; ignored", quiet)
    started = time.perf_counter()

    def prepare(generation: Path) -> tuple[ExportSource, ExportOptions]:
        warn(f"reading {kg_dir} ({generation.name}) ...", quiet)
        source = export_source(generation, kind, exporter, **filters)
        what = (f"{source.number_of_nodes():,} nodes and {source.number_of_edges():,} edges"
                if isinstance(source, nx.Graph) else f"the {kind} graph")
        warn(f"writing {what} as {exporter.name} ...", quiet)
        return source, _options(source, kind, base_iri, size_by, color_by, quiet)

    target: Path | str
    if output is None:  # into the KG: a new generation, with this export fresh
        done = export_into(kg_dir, ExportSpec(kind, exporter), prepare, wait=wait)
        target = Path(kg_dir) / done.exports[0]  # the folder's link through `current`
        size = (done.path / done.exports[0]).stat().st_size
    else:
        generation = open_kg(kg_dir)  # held while the export is written
        target, size = output, _write(*prepare(generation.path), exporter, output)
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


def _write(source: ExportSource, options: ExportOptions, exporter: Exporter, output: str) -> int:
    if output == "-":
        with click.open_file("-", "wb") as stdout:  # the wrapper keeps stdout open on exit
            counter = _Counter(stdout)
            exporter.write(source, cast(BinaryIO, counter), options)  # writes only
            counter.flush()
        return counter.size
    write_file(source, exporter, output, options)
    return Path(output).stat().st_size


COMMANDS = [export]
