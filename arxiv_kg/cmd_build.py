"""`arxiv-kg build`: digests -> knowledge-graph folder, exports and SPARQL store."""
from __future__ import annotations

from pathlib import Path

import click

from arxiv_kg.common import (
    DEFAULT_KG,
    check_out_folder,
    domain_errors,
    quiet_option,
    warn,
)
from arxiv_kg.progress import reporter, steps
from exporters.base import DEFAULT_BASE_IRI
from exporters.files import DEFAULT_BUILD_EXPORTS, ExportSpec, parse_specs, write_exports
from graph.errors import InputError
from graph.rdf.mapping import check_base_iri
from graph.rdf.store import store_path
from graph.sample import sample_dir
from graph.tables.build import write_kg
from graph.tables.ingest import staged, usable_cpus
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
              help="Load the RDF into the embedded SPARQL store (<out>/store) for `query` and `serve`.")
@click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base IRI for minted RDF resources (authors, categories, links).")
@click.option("--strict", is_flag=True, help="Exit non-zero if any record or file was rejected.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=usable_cpus, show_default="usable CPUs",
              help="Worker processes that parse the digests (1: parse in this process). The output "
                   "is the same for any number.")
@quiet_option
@domain_errors
def build(inputs: tuple[str, ...], out_dir: str, formats: str, store: bool, base_iri: str,
          strict: bool, jobs: int, quiet: bool) -> None:
    """Parse digest files or folders (recursively, *.md; - for stdin) into a knowledge graph.

    With no INPUT, builds from the small sample bundled with the package. Writes the KG's
    Parquet tables (what later commands read), variants.json, summary.json, the exports
    named by --formats, and the SPARQL store. Progress, one line per step, goes to stderr.

    \b
    Example:
      arxiv-kg build                       # the bundled sample, into out/
      arxiv-kg build cs.CV/ --out kg/cs.CV --jobs 4
      cat 20210531.md | arxiv-kg build - --out /tmp/kg --formats none --no-store
    """
    specs = parse_specs(formats)  # a typo fails before any work is done
    check_out_folder(out_dir)
    check_base_iri(base_iri)
    sources = list(inputs) or [str(sample_dir())]
    out, step = Path(out_dir), steps(quiet)
    with staged(sources, out, jobs=jobs, steps=step) as found:
        _report(found.rejected, "rejected", quiet)
        _report(found.notices, "warning", quiet)
        if not found.records:
            raise InputError(f"no usable records in {', '.join(sources)}"
                             + (f" (first problem: {found.rejected[0]})" if found.rejected else ""))
        summary = write_kg(found, out, jobs=jobs, steps=step)
    click.echo(human_summary(summary))
    paths = _exports_and_store(out, specs, store, base_iri, quiet) if specs or store else []
    click.echo(f"written to {out}/: {', '.join(p.name for p in paths) or 'no exports'}")
    if strict and found.rejected:
        raise click.ClickException(f"{len(found.rejected)} rejected (--strict)")


def _exports_and_store(out: Path, specs: list[ExportSpec], store: bool, base_iri: str,
                       quiet: bool) -> list[Path]:
    with steps(quiet)("exports and SPARQL store" if store else "exports"):
        written = write_exports(out, specs, base_iri=base_iri, progress=reporter(quiet),
                                store=store_path(out) if store else None)
    if written.rdf is not None:
        warn(written.rdf.text(), quiet)
    if written.triples is not None:
        click.echo(f"SPARQL store: {written.triples:,} triples in {store_path(out)}/")
    return written.paths


def _report(problems, kind: str, quiet: bool) -> None:
    for r in problems[:MAX_REJECTIONS_SHOWN]:
        warn(f"{kind}: {r}", quiet)
    if len(problems) > MAX_REJECTIONS_SHOWN:
        warn(f"... and {len(problems) - MAX_REJECTIONS_SHOWN} more (see summary.json)", quiet)


COMMANDS = [build]
