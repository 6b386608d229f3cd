"""`arxiv-kg build`: digests -> knowledge-graph folder."""
from __future__ import annotations

from pathlib import Path

import click
import orjson

from arxiv_kg.common import DEFAULT_KG, domain_errors, progress, quiet_option, warn
from graph.errors import InputError
from graph.fsutil import atomic_write
from graph.persist import save_corpus
from graph.pipeline import read_corpus
from graph.sample import sample_dir
from graph.summary import human_summary, summarise

MAX_REJECTIONS_SHOWN = 20


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--out", "out_dir", default=DEFAULT_KG, show_default=True,
              type=click.Path(file_okay=False), help="Folder to write the knowledge graph to.")
@click.option("--strict", is_flag=True, help="Exit non-zero if any record or file was rejected.")
@quiet_option
@domain_errors
def build(inputs: tuple[str, ...], out_dir: str, strict: bool, quiet: bool) -> None:
    """Parse digest files or folders (recursively, *.md; - for stdin) into a knowledge graph.

    With no INPUT, builds from the small sample bundled with the package.

    \b
    Example:
      arxiv-kg build                       # the bundled sample, into out/
      arxiv-kg build cs.CV/ --out kg/cs.CV
      cat 20210531.md | arxiv-kg build - --out /tmp/kg
    """
    sources = list(inputs) or [str(sample_dir())]
    corpus = read_corpus(sources, lambda files, n: progress(files, length=n, label="Reading digests",
                                                             quiet=quiet))
    for r in corpus.rejected[:MAX_REJECTIONS_SHOWN]:
        warn(f"rejected: {r}", quiet)
    if len(corpus.rejected) > MAX_REJECTIONS_SHOWN:
        warn(f"... and {len(corpus.rejected) - MAX_REJECTIONS_SHOWN} more (see summary.json)", quiet)
    if not corpus.papers:
        raise InputError(f"no usable records in {', '.join(sources)}"
                         + (f" (first problem: {corpus.rejected[0]})" if corpus.rejected else ""))
    summary = summarise(corpus)
    out = Path(out_dir)
    save_corpus(corpus, out)
    with atomic_write(out / "summary.json") as fh:
        fh.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                              | orjson.OPT_APPEND_NEWLINE))
    click.echo(human_summary(summary))
    click.echo(f"written to {out}/")
    if strict and corpus.rejected:
        raise click.ClickException(f"{len(corpus.rejected)} rejected (--strict)")


COMMANDS = [build]
