"""`arxiv-kg build`: digests -> knowledge-graph folder, exports and SPARQL store."""
from __future__ import annotations

import time
from pathlib import Path

import click

from arxiv_kg.common import DEFAULT_KG, domain_errors, quiet_option, warn
from arxiv_kg.progress import progress, reporter
from exporters.base import DEFAULT_BASE_IRI
from exporters.files import DEFAULT_BUILD_EXPORTS, parse_specs, write_exports
from graph.errors import InputError
from graph.ingest.pipeline import read_corpus
from graph.rdf.mapping import check_base_iri
from graph.rdf.store import store_path
from graph.sample import sample_dir
from graph.tables.persist import save_corpus, save_summary
from graph.tables.summary import human_summary, summarise

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
@quiet_option
@domain_errors
def build(inputs: tuple[str, ...], out_dir: str, formats: str, store: bool, base_iri: str,
          strict: bool, quiet: bool) -> None:
    """Parse digest files or folders (recursively, *.md; - for stdin) into a knowledge graph.

    With no INPUT, builds from the small sample bundled with the package. Writes
    papers.jsonl, authors.jsonl and corpus.json (what later commands read),
    summary.json, the exports named by --formats, and the SPARQL store.

    \b
    Example:
      arxiv-kg build                       # the bundled sample, into out/
      arxiv-kg build cs.CV/ --out kg/cs.CV
      cat 20210531.md | arxiv-kg build - --out /tmp/kg --formats none --no-store
    """
    specs = parse_specs(formats)  # a typo fails before any work is done
    check_base_iri(base_iri)
    sources = list(inputs) or [str(sample_dir())]
    corpus = read_corpus(sources, lambda files, n: progress(files, length=n, label="Reading digests",
                                                             quiet=quiet))
    _report_rejections(corpus.rejected, quiet)
    if not corpus.papers:
        raise InputError(f"no usable records in {', '.join(sources)}"
                         + (f" (first problem: {corpus.rejected[0]})" if corpus.rejected else ""))
    out = Path(out_dir)
    summary = summarise(corpus)
    save_corpus(corpus, out)
    save_summary(summary, out)
    click.echo(human_summary(summary))
    rejected = len(corpus.rejected)
    del corpus  # exports and the store read the tables just written
    written = _timed(lambda: write_exports(out, specs, base_iri=base_iri, progress=reporter(quiet),
                                           store=store_path(out) if store else None),
                     "exports and SPARQL store" if store else "exports", quiet)
    if written.rdf is not None:
        warn(written.rdf.text(), quiet)
    if written.triples is not None:
        click.echo(f"SPARQL store: {written.triples:,} triples in {store_path(out)}/")
    click.echo(f"written to {out}/: {', '.join(p.name for p in written.paths) or 'no exports'}")
    if strict and rejected:
        raise click.ClickException(f"{rejected} rejected (--strict)")


def _report_rejections(rejected, quiet: bool) -> None:
    for r in rejected[:MAX_REJECTIONS_SHOWN]:
        warn(f"rejected: {r}", quiet)
    if len(rejected) > MAX_REJECTIONS_SHOWN:
        warn(f"... and {len(rejected) - MAX_REJECTIONS_SHOWN} more (see summary.json)", quiet)


def _timed(step, label: str, quiet: bool):
    start = time.perf_counter()
    result = step()
    warn(f"{label}: {time.perf_counter() - start:.1f} s", quiet)
    return result


COMMANDS = [build]
