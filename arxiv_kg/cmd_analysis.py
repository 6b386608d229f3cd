"""Co-authorship analyses: `authors`, `components`, `stats`, `coauthors`, `path`.

Each command opens the KG through the Python API (arxiv_kg.api), asks graph.analysis.reports
for its report and renders it as a table, CSV or JSON on stdout.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import click

from arxiv_kg.api import KG
from arxiv_kg.common import domain_errors, kg_option, quiet_option, warn
from arxiv_kg.progress import progress_reports
from arxiv_kg.render import FORMATS, render
from graph.analysis import measures as metrics
from graph.analysis import reports
from graph.analysis.coauthors import Coauthors
from graph.analysis.filters import COUNTINGS, DEFAULT_MAX_AUTHORS
from graph.analysis.projection import DEFAULT_MAX_PAIRS


def _filter_options(fn: Callable) -> Callable:
    options = [
        kg_option,
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                     show_default=True, help="Output format on stdout."),
        click.option("--counting", type=click.Choice(COUNTINGS), default="full",
                     show_default=True,
                     help="Edge weight: joint papers, or Newman's 1/(n-1) per paper of n authors."),
        click.option("--max-authors", type=click.IntRange(min=0), default=DEFAULT_MAX_AUTHORS,
                     show_default=True, help="Leave out papers with more authors (0: no limit)."),
        click.option("--category", help="Only papers in this arXiv category (e.g. cs.CV)."),
        click.option("--primary-only", is_flag=True,
                     help="With --category: only papers whose primary category it is."),
        click.option("--since", metavar="DATE", help="Only papers published on or after "
                     "DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--until", metavar="DATE", help="Only papers published on or before DATE."),
        click.option("--min-papers", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Only authors with at least this many papers (after the filters)."),
        click.option("--include-organisations", is_flag=True,
                     help="Keep teams, consortia and companies that sign papers as nodes "
                     "(left out by default: rankings are of people)."),
        click.option("--k", "k", type=click.IntRange(min=0), default=None,
                     help=f"Sources sampled for betweenness, closeness and path lengths "
                     f"(default: exact up to {metrics.EXACT_MAX_NODES:,} nodes, else "
                     f"{metrics.DEFAULT_K}; 0: always exact, with a time estimate first)."),
        click.option("--seed", type=int, default=metrics.DEFAULT_SEED, show_default=True,
                     help="Seed for sampled sources and for community detection."),
        click.option("--max-pairs", type=click.IntRange(min=0), default=DEFAULT_MAX_PAIRS,
                     show_default=True, help="Refuse projections with more author pairs "
                     "(sum of n(n-1)/2 over the papers used; 0: no limit)."),
        click.option("--no-cache", is_flag=True,
                     help="Neither read nor write the projections and measures kept in "
                     "<kg>/cache/."),
        quiet_option,
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _command(fn: Callable) -> Callable:
    """Wire a command body `fn(network, **options) -> Report` to the CLI."""

    @_filter_options
    @domain_errors
    @functools.wraps(fn)
    def wrapper(kg_dir: str, fmt: str, quiet: bool, no_cache: bool, max_pairs: int,
                counting: str, max_authors: int, category: str | None, primary_only: bool,
                since: str | None, until: str | None, min_papers: int,
                include_organisations: bool, **options):
        say = functools.partial(warn, quiet=quiet)
        hooks = metrics.Hooks(notice=say, progress=functools.partial(progress_reports,
                                                                     quiet=quiet))
        kg = KG(kg_dir, cache=not no_cache, warn=say, hooks=hooks)
        net = kg.coauthors(max_pairs=max_pairs, counting=counting, max_authors=max_authors,
                           category=category, primary_only=primary_only, since=since,
                           until=until, min_papers=min_papers,
                           include_organisations=include_organisations)
        for line in reports.warnings_for(net.projection):
            say(line)
        report = fn(net, **options)
        click.echo(render(fmt, net.projection.settings(), report, say), nl=False)
        kg.cache.flush()

    return wrapper


def _measure_list(ctx: click.Context, param: click.Parameter, value: str | None
                  ) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = metrics.MEASURES if value == "all" else tuple(v.strip() for v in value.split(","))
    unknown = [n for n in names if n not in metrics.MEASURES]
    if unknown:
        raise click.BadParameter(f"unknown measure {unknown[0]!r}; choose from "
                                 f"{', '.join(metrics.MEASURES)} or all")
    return names


@click.command()
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="Number of authors to list (0: all).")
@click.option("--by", type=click.Choice(metrics.MEASURES), default="pagerank", show_default=True,
              help="Measure to rank by (descending; component and community ids ascending).")
@click.option("--columns", callback=_measure_list, metavar="M1,M2,...|all",
              help=f"Measures to show (default: {','.join(metrics.DEFAULT_COLUMNS)}; the --by "
              f"measure is always shown). Betweenness, harmonic, eigenvector, clustering and "
              f"community cost more: each is computed only when asked.")
@_command
def authors(net: Coauthors, top: int, by: str, columns: tuple[str, ...] | None, k: int | None,
            seed: int):
    """Rank authors by a measure of the co-author network.

    Betweenness and harmonic closeness are estimated from --k sampled sources above
    5,000 authors; the output says which, with k and the seed. Results are kept in
    <kg>/cache/, so asking again (or ranking by another cached measure) is instant.

    \b
    Example:
      arxiv-kg authors --top 10 --by betweenness
      arxiv-kg authors --top 10 --include-organisations   # teams and consortia too
      arxiv-kg authors --columns all --counting fractional --since 2020 --format csv > a.csv
    """
    return reports.authors(net, top=top, by=by, columns=columns, k=k, seed=seed)


@click.command()
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="Largest components to list with their best-published author (0: all).")
@_command
def components(net: Coauthors, top: int, k: int | None, seed: int):
    """Connected components of the co-author network: the giant component and the sizes.

    \b
    Example:
      arxiv-kg components
      arxiv-kg components --max-authors 0 --format json
    """
    return reports.components(net, top=top)


@click.command()
@_command
def stats(net: Coauthors, k: int | None, seed: int):
    """Network-level figures: size, density, clustering, assortativity, components,
    path lengths of the giant component (estimated above 5,000 authors) and communities.

    \b
    Example:
      arxiv-kg stats
      arxiv-kg stats --max-authors 0 --category cs.CV --primary-only --format json
    """
    return reports.stats(net, k=k, seed=seed)


@click.command()
@click.argument("name")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
              help="Co-authors of co-authors up to this distance.")
@_command
def coauthors(net: Coauthors, name: str, depth: int, k: int | None, seed: int):
    """The ego network of an author: co-authors up to --depth steps away.

    NAME is matched ignoring case and accents; a part of a name works when only one
    author fits.

    \b
    Example:
      arxiv-kg coauthors "Kaiming He"
      arxiv-kg coauthors "jurgen schmidhuber" --depth 2 --format csv
    """
    return reports.ego(net, name=name, depth=depth)


@click.command()
@click.argument("name_a")
@click.argument("name_b")
@_command
def path(net: Coauthors, name_a: str, name_b: str, k: int | None, seed: int):
    """Collaboration distance between two authors and one shortest chain of joint papers.

    \b
    Example:
      arxiv-kg path "Yann LeCun" "Geoffrey Hinton"
      arxiv-kg path "kaiming he" "ross girshick" --format json
    """
    return reports.path(net, name_a=name_a, name_b=name_b)


COMMANDS = [authors, components, stats, coauthors, path]
