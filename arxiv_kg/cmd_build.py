"""`arxiv-kg build`: digests -> a new generation of the knowledge-graph folder: tables,
exports and SPARQL store, published together or not at all."""
from __future__ import annotations

import click

from arxiv_kg.common import (
    DEFAULT_KG,
    check_out_folder,
    domain_errors,
    quiet_option,
    wait_option,
    warn,
    written_report,
)
from arxiv_kg.progress import reporter, steps
from arxiv_kg.writers import Settings
from arxiv_kg.writers import build as build_kg
from exporters.base import DEFAULT_BASE_IRI
from exporters.files import DEFAULT_BUILD_EXPORTS, parse_specs
from graph.children import usable_cpus
from graph.rdf.mapping import check_base_iri
from graph.sample import sample_dir
from graph.tables.ingest import Staged
from graph.tables.summary import human_summary

MAX_REJECTIONS_SHOWN = 20


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--out", "out_dir", default=DEFAULT_KG, show_default=True,
              type=click.Path(file_okay=False), help="Folder to write the knowledge graph to.")
@click.option("--formats", default=DEFAULT_BUILD_EXPORTS, show_default=True,
              help="Exports to write into the folder, as GRAPH.FORMAT (GRAPH: kg or coauthors; "
                   "FORMAT: any `arxiv-kg export` format), comma-separated; 'none' for none.")
@click.option("--store/--no-store", default=True, show_default=True,
              help="Load the RDF into the embedded SPARQL store (<out>/current/store) for `query` "
                   "and `serve`.")
@click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base IRI for minted RDF resources (authors, categories, links).")
@click.option("--strict", is_flag=True, help="Exit non-zero if any record or file was rejected.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=usable_cpus, show_default="usable CPUs",
              help="Worker processes that parse the digests (1: parse in this process). The output "
                   "is the same for any number.")
@wait_option
@quiet_option
@domain_errors
def build(inputs: tuple[str, ...], out_dir: str, formats: str, store: bool, base_iri: str,
          strict: bool, jobs: int, wait: bool, quiet: bool) -> None:
    """Parse digest files or folders (recursively, *.md; - for stdin) into a knowledge graph.

    With no INPUT, builds from the small sample bundled with the package. Writes a new
    generation of the KG folder: the Parquet tables (what later commands read),
    variants.json, summary.json, the exports named by --formats and the SPARQL store, all
    published at once (<out>/current); a failed or killed build leaves the previous one as it
    was. The inputs and options are recorded, so `arxiv-kg update` can follow new files.
    Progress, one line per step, goes to stderr.

    \b
    Example:
      arxiv-kg build                       # the bundled sample, into out/
      arxiv-kg build cs.CV/ --out kg/cs.CV --jobs 4
      cat 20210531.md | arxiv-kg build - --out /tmp/kg --formats none --no-store
    """
    parse_specs(formats)  # a typo fails before any work is done
    check_out_folder(out_dir)
    check_base_iri(base_iri)
    sources = list(inputs) or [str(sample_dir())]
    read: list[Staged] = []

    def report(found: Staged) -> None:
        read.append(found)
        _report(found.rejected, "rejected", quiet)
        _report(found.notices, "warning", quiet)

    done = build_kg(sources, out_dir, Settings(formats, store, base_iri), jobs=jobs,
                    steps=steps(quiet), bars=reporter(quiet), wait=wait,
                    staged_hook=report)
    click.echo(human_summary(done.summary))
    written_report(done, out_dir, quiet)
    if strict and read[0].rejected:
        raise click.ClickException(f"{len(read[0].rejected)} rejected (--strict)")


def _report(problems, kind: str, quiet: bool) -> None:
    for r in problems[:MAX_REJECTIONS_SHOWN]:
        warn(f"{kind}: {r}", quiet)
    if len(problems) > MAX_REJECTIONS_SHOWN:
        warn(f"... and {len(problems) - MAX_REJECTIONS_SHOWN} more (see summary.json)", quiet)


COMMANDS = [build]
