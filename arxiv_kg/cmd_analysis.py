"""Co-authorship analyses: `authors`, `components`, `stats`, `coauthors`, `path`.

Every command projects the KG onto its authors (graph.coauthors.project) with the same filters,
computes with graph.analysis.measures and prints a table, CSV or JSON on stdout.
"""
from __future__ import annotations

import csv
import functools
import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import click
import orjson

from arxiv_kg.common import domain_errors, kg_option, quiet_option, warn
from graph.analysis import measures as metrics
from graph.analysis.lookup import find_author
from graph.analysis.projection import (
    COUNTINGS,
    DEFAULT_MAX_AUTHORS,
    Projection,
    project,
)
from graph.model.records import Corpus
from graph.tables.persist import load_corpus
from graph.texttable import table_line

FORMATS = ("table", "csv", "json")
SIGNIFICANT = 10  # digits kept in JSON and CSV: enough for any use, stable across platforms
_TABLE_DIGITS = 6
_ASCENDING = {"component", "community"}  # id 1 is the largest group


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
        click.option("--k", "k", type=click.IntRange(min=0), default=None,
                     help=f"Sources sampled for betweenness, closeness and path lengths "
                     f"(default: exact up to {metrics.EXACT_MAX_NODES:,} nodes, else "
                     f"{metrics.DEFAULT_K}; 0: always exact)."),
        click.option("--seed", type=int, default=metrics.DEFAULT_SEED, show_default=True,
                     help="Seed for sampled sources and for community detection."),
        quiet_option,
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _projected(kg_dir: str, filters: dict, quiet: bool) -> tuple[Corpus, Projection]:
    corpus = load_corpus(kg_dir)
    proj = project(corpus, **filters)
    if proj.papers_left_out:
        cap = proj.max_authors
        warn(f"left out {proj.papers_left_out:,} paper(s) with more than {cap} authors "
             f"(--max-authors 0 keeps them)", quiet)
    if not proj.keys:
        warn("no papers match the filters: the co-author network is empty", quiet)
    return corpus, proj


@dataclass(frozen=True)
class Report:
    """What a command prints: `meta` (JSON only), `rows` (the table), `notes` (beside it)."""

    meta: dict
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    rows_in_json: bool = True  # False when meta already holds the rows' content
    rows_in_table: bool = True  # False when the notes already show the rows


def _command(fn: Callable) -> Callable:
    """Wire a command body `fn(corpus, proj, **options) -> Report` to the CLI."""

    @_filter_options
    @domain_errors
    @functools.wraps(fn)
    def wrapper(kg_dir: str, fmt: str, quiet: bool, counting: str, max_authors: int,
                category: str | None, primary_only: bool, since: str | None,
                until: str | None, min_papers: int, **options):
        filters = dict(counting=counting, max_authors=max_authors, category=category,
                       primary_only=primary_only, since=since, until=until, min_papers=min_papers)
        corpus, proj = _projected(kg_dir, filters, quiet)
        report = fn(corpus, proj, **options)
        click.echo(_render(fmt, proj, report, quiet), nl=False)

    return wrapper


# ---- commands

@click.command()
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True,
              help="Number of authors to list (0: all).")
@click.option("--by", type=click.Choice(metrics.MEASURES), default="pagerank", show_default=True,
              help="Measure to rank by (descending; component and community ids ascending).")
@_command
def authors(corpus: Corpus, proj: Projection, top: int, by: str, k: int | None, seed: int):
    """Rank authors by a measure of the co-author network; every measure is listed.

    Betweenness and harmonic closeness are estimated from --k sampled sources above
    5,000 authors; the output says which, with k and the seed.

    \b
    Example:
      arxiv-kg authors --top 10 --by betweenness
      arxiv-kg authors --counting fractional --since 2020 --format csv > authors.csv
    """
    result = metrics.analyse(proj, k=k, seed=seed)
    rows = _ranked(result, proj, by, top)
    meta = {"ranked_by": by, "authors": len(proj.keys), "path_measures": result.sampling.as_dict(),
            "community": _community_meta(result.communities)}
    notes = [_network_line(proj),
             f"betweenness and harmonic closeness: {result.sampling.describe()}",
             _community_line(result.communities)]
    return Report(meta, rows, notes)


@click.command()
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="Largest components to list with their best-published author (0: all).")
@_command
def components(corpus: Corpus, proj: Projection, top: int, k: int | None, seed: int):
    """Connected components of the co-author network: the giant component and the sizes.

    \b
    Example:
      arxiv-kg components
      arxiv-kg components --max-authors 0 --format json
    """
    net = metrics.Network.of(proj)
    sizes = metrics.component_sizes(net)
    facts = metrics.component_stats(net)
    rows = [{"size": size, "components": count, "authors": size * count} for size, count in sizes]
    largest = _largest_components(net, proj, top)
    notes = [_network_line(proj)] + [f"{name}: {_cell(v)}" for name, v in facts.items()]
    notes += [f"component {c['component']}: {c['size']:,} authors, e.g. {c['example']}"
              for c in largest]
    return Report({**facts, "largest": largest, "sizes": rows}, rows, notes, rows_in_json=False)


@click.command()
@_command
def stats(corpus: Corpus, proj: Projection, k: int | None, seed: int):
    """Network-level figures: size, density, clustering, assortativity, components,
    path lengths of the giant component (estimated above 5,000 authors) and communities.

    \b
    Example:
      arxiv-kg stats
      arxiv-kg stats --max-authors 0 --category cs.CV --primary-only --format json
    """
    figures = metrics.network_stats(proj, k=k, seed=seed)
    rows = [{"measure": name, "value": value} for name, value in figures.items()]
    return Report({"stats": figures}, rows, [_network_line(proj)], rows_in_json=False)


@click.command()
@click.argument("name")
@click.option("--depth", type=click.IntRange(min=1), default=1, show_default=True,
              help="Co-authors of co-authors up to this distance.")
@_command
def coauthors(corpus: Corpus, proj: Projection, name: str, depth: int, k: int | None, seed: int):
    """The ego network of an author: co-authors up to --depth steps away.

    NAME is matched ignoring case and accents; a part of a name works when only one
    author fits.

    \b
    Example:
      arxiv-kg coauthors "Kaiming He"
      arxiv-kg coauthors "jurgen schmidhuber" --depth 2 --format csv
    """
    ego = find_author(name, corpus.authors, among=_index(proj))
    i = _index(proj)[ego]
    g = proj.igraph
    members = g.neighborhood(i, order=depth)
    dist = g.distances(source=[i], target=members)[0]
    rows = [_ego_row(proj, i, j, d) for j, d in zip(members, dist) if j != i]
    rows.sort(key=lambda r: (r["distance"], -r["joint_papers"], r["key"]))
    ego_net = {"author": proj.labels[i], "key": ego, "papers": proj.paper_counts[i],
               "depth": depth, "coauthors": g.degree(i), "nodes": len(members),
               "edges": g.induced_subgraph(members).ecount()}
    notes = [f"{ego_net['author']} ({_count(ego_net['papers'], 'paper')}, "
             f"{_count(ego_net['coauthors'], 'co-author')}); ego network to depth {depth}: "
             f"{_count(ego_net['nodes'], 'author')}, {_count(ego_net['edges'], 'edge')}"]
    return Report({"ego": ego_net}, rows, notes)


@click.command()
@click.argument("name_a")
@click.argument("name_b")
@_command
def path(corpus: Corpus, proj: Projection, name_a: str, name_b: str, k: int | None, seed: int):
    """Collaboration distance between two authors and one shortest chain of joint papers.

    \b
    Example:
      arxiv-kg path "Yann LeCun" "Geoffrey Hinton"
      arxiv-kg path "kaiming he" "ross girshick" --format json
    """
    index = _index(proj)
    a = find_author(name_a, corpus.authors, among=index)
    b = find_author(name_b, corpus.authors, among=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # igraph warns when there is no path
        chain = proj.igraph.get_shortest_path(index[a], to=index[b])
    rows = _chain_rows(proj, chain)
    distance = len(chain) - 1 if chain else None
    names = f"{proj.labels[index[a]]} and {proj.labels[index[b]]}"
    notes = [f"collaboration distance between {names}: {distance}" if chain
             else f"{names} are not connected in the co-author network"]
    notes += [_chain_line(r) for r in rows]
    return Report({"from": a, "to": b, "distance": distance}, rows, notes, rows_in_table=False)


COMMANDS = [authors, components, stats, coauthors, path]


# ---- command helpers

def _index(proj: Projection) -> dict[str, int]:
    return {key: i for i, key in enumerate(proj.keys)}


def _ranked(result: metrics.Analysis, proj: Projection, by: str, top: int) -> list[dict]:
    values = result.columns[by]
    sign = 1 if by in _ASCENDING else -1
    order = sorted(range(len(values)), key=lambda i: (sign * _number(values[i]), proj.keys[i]))
    if top:
        order = order[:top]
    return [{"rank": r, "key": proj.keys[i], "name": proj.labels[i],
             **{m: result.columns[m][i] for m in result.columns}}
            for r, i in enumerate(order, start=1)]


def _number(x: float) -> float:
    return x if math.isfinite(x) else -math.inf


def _largest_components(net: metrics.Network, proj: Projection, top: int) -> list[dict]:
    best: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for i, c in enumerate(net.components):
        sizes[c] = sizes.get(c, 0) + 1
        if c not in best or proj.paper_counts[i] > proj.paper_counts[best[c]]:
            best[c] = i
    ids = sorted(sizes)[:top] if top else sorted(sizes)
    return [{"component": c, "size": sizes[c], "example": proj.labels[best[c]]} for c in ids]


def _ego_row(proj: Projection, ego: int, j: int, distance: int) -> dict:
    eid = proj.igraph.get_eid(ego, j, error=False) if distance == 1 else -1
    return {"key": proj.keys[j], "name": proj.labels[j], "distance": distance,
            "papers": proj.paper_counts[j],
            "joint_papers": proj.edge_papers[eid] if eid >= 0 else 0,
            "weight": proj.edge_weights[eid] if eid >= 0 else 0}


def _chain_rows(proj: Projection, chain: Sequence[int]) -> list[dict]:
    rows = []
    for step, i in enumerate(chain):
        nxt = chain[step + 1] if step + 1 < len(chain) else None
        paper = proj.joint_papers(proj.keys[i], proj.keys[nxt])[0] if nxt is not None else None
        rows.append({"step": step, "key": proj.keys[i], "name": proj.labels[i],
                     "paper": paper.arxiv_id if paper else None,
                     "title": paper.title if paper else None})
    return rows


def _chain_line(row: dict) -> str:
    if row["paper"] is None:
        return f"  {row['name']}"
    return f"  {row['name']}\n    -> {row['title']} (arXiv:{row['paper']}) ->"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"


def _network_line(proj: Projection) -> str:
    s = proj.settings()
    cap = f"{s['max_authors']}" if s["max_authors"] else "no limit"
    return (f"co-author network: {len(proj.keys):,} authors, {len(proj.edges):,} edges; "
            f"{s['counting']} counting; {s['papers_used']:,} papers used, "
            f"{s['papers_left_out']:,} left out (max authors: {cap}), "
            f"{s['papers_filtered_out']:,} outside the filters")


def _community_meta(comms: metrics.Communities | None) -> dict | None:
    if comms is None:
        return None
    return {"method": comms.method, "seed": comms.seed, "count": comms.count,
            "singletons": comms.singletons, "modularity": comms.modularity}


def _community_line(comms: metrics.Communities | None) -> str:
    if comms is None:
        return ""
    return (f"communities: {comms.count:,} by {comms.method}, seed {comms.seed} "
            f"({comms.singletons:,} single authors), modularity {_cell(comms.modularity)}")


# ---- output

def _render(fmt: str, proj: Projection, report: Report, quiet: bool) -> str:
    rows = report.rows
    if fmt == "json":
        doc = {"settings": proj.settings(), **report.meta}
        if report.rows_in_json:
            doc["rows"] = rows
        return orjson.dumps(_rounded(doc), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
                            | orjson.OPT_APPEND_NEWLINE).decode()
    notes = [n for n in report.notes if n]
    if fmt == "csv":
        for note in notes:  # CSV stays one table; what goes beside it goes to stderr
            warn(note, quiet)
        return _csv(rows)
    table = _table(rows) if report.rows_in_table else []
    return "\n".join(notes + ([""] if notes and table else []) + table) + "\n"


def _rounded(obj: object) -> object:
    if isinstance(obj, float):
        return float(f"{obj:.{SIGNIFICANT}g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


def _csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(rows[0].keys())
    for row in rows:
        writer.writerow(["" if v is None else _rounded(v) for v in row.values()])
    return buf.getvalue()


def _table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    heads = [h for h in rows[0] if h != "key"]  # the name column says it; csv/json keep keys
    cells = [[_cell(row[h]) for h in heads] for row in rows]
    numeric = [all(isinstance(row[h], (int, float)) or row[h] is None for row in rows)
               for h in heads]
    widths = [max(len(h), *(len(c[j]) for c in cells)) for j, h in enumerate(heads)]
    lines = [table_line(heads, widths, numeric).rstrip()]
    lines += [table_line(c, widths, numeric).rstrip() for c in cells]
    return lines


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{_TABLE_DIGITS}g}" if math.isfinite(value) else "-"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
