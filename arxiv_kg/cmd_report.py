"""`arxiv-kg report`: one self-contained HTML page of figures about a KG."""
from __future__ import annotations

import click

from arxiv_kg.common import domain_errors, kg_option, quiet_option, warn
from graph.analysis.projection import DEFAULT_MAX_AUTHORS
from graph.generations import open_kg
from graph.report.build import make_report, write_report
from graph.report.content import DEFAULT_DRAWN
from graph.report.selection import Filters


@click.command()
@kg_option
@click.option("-o", "--output", default="report.html", show_default=True,
              type=click.Path(dir_okay=False, allow_dash=True),
              help="HTML file to write (- for stdout).")
@click.option("--since", metavar="DATE",
              help="Only papers published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only papers published on or before DATE.")
@click.option("--category", help="Only papers in this arXiv category (e.g. cs.CV).")
@click.option("--max-authors", type=click.IntRange(min=0), default=DEFAULT_MAX_AUTHORS,
              show_default=True,
              help="Co-author network: leave out papers with more authors (0: no limit).")
@click.option("--network-authors", type=click.IntRange(min=2), default=DEFAULT_DRAWN,
              show_default=True, help="Authors drawn in the co-author network (top by PageRank).")
@quiet_option
@domain_errors
def report(kg_dir: str, output: str, since: str | None, until: str | None, category: str | None,
           max_authors: int, network_authors: int, quiet: bool) -> None:
    """Write one self-contained HTML report of the KG: production, authors, collaboration,
    categories, code and data quality, with figures. It opens offline, has no script and
    makes no network request.

    \b
    Example:
      arxiv-kg report --kg kg/ -o report.html
      arxiv-kg report --since 2020 --category cs.CV -o cv-2020.html
    """
    filters = Filters(since=since, until=until, category=category, max_authors=max_authors)
    generation = open_kg(kg_dir)  # held while the report is made: no writer removes it
    html = make_report(generation.path, filters, drawn=network_authors, log=lambda m: warn(m, quiet))
    if output == "-":
        click.echo(html, nl=False)
        return
    write_report(html, output)
    warn(f"report written to {output} ({len(html.encode()):,} bytes)", quiet)


COMMANDS = [report]
