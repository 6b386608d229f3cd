"""What each analysis command reports, as data: rows for the table, facts for JSON, and the
lines printed beside the table. The CLI (arxiv_kg.cmd_analysis) only renders these.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from graph.analysis import measures as metrics
from graph.analysis.coauthors import Coauthors
from graph.analysis.projection import Projection

ASCENDING = frozenset({"component", "community"})  # id 1 is the largest group
TABLE_DIGITS = 6


@dataclass(frozen=True)
class Report:
    """What a command prints: `meta` (JSON only), `rows` (the table), `notes` (beside it)."""

    meta: dict
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    rows_in_json: bool = True  # False when meta already holds the rows' content
    rows_in_table: bool = True  # False when the notes already show the rows


def warnings_for(proj: Projection) -> list[str]:
    """What a person should hear about the projection before its results."""
    out = []
    if proj.papers_left_out:
        out.append(f"left out {proj.papers_left_out:,} paper(s) with more than "
                   f"{proj.filters.max_authors} authors (--max-authors 0 keeps them)")
    if not proj.keys:
        out.append("no papers match the filters: the co-author network is empty")
    return out


def columns_for(by: str, columns: Sequence[str] | None) -> tuple[str, ...]:
    """The measures an `authors` table shows: those asked (default: the cheap ones), and the
    one it is ranked by."""
    chosen = tuple(columns) if columns else metrics.DEFAULT_COLUMNS
    metrics.check_measures([*chosen, by])
    return chosen if by in chosen else (*chosen, by)


def authors(net: Coauthors, *, top: int, by: str, columns: Sequence[str] | None,
            k: int | None, seed: int) -> Report:
    names = columns_for(by, columns)
    result = net.measures(names, k=k, seed=seed)
    proj = net.projection
    rows = ranked(result, proj, by, top)
    paths = any(m in metrics.PATH_MEASURES for m in names)
    meta = {"ranked_by": by, "authors": len(proj.keys), "columns": list(names),
            "path_measures": result.sampling.as_dict() if paths else None,
            "community": community_meta(result.communities)}
    notes = [network_line(proj)]
    if paths:
        notes.append(f"betweenness and harmonic closeness: {result.sampling.describe()}")
    notes.append(community_line(result.communities))
    return Report(meta, rows, notes)


def ranked(result: metrics.Analysis, proj: Projection, by: str, top: int) -> list[dict]:
    """Rows ranked by one measure (descending, ids ascending), ties by key."""
    values = np.asarray(result.columns[by], dtype=np.float64)
    values = np.where(np.isfinite(values), values, -math.inf)
    sign = 1 if by in ASCENDING else -1
    order = np.lexsort((np.arange(len(values)), sign * values))  # keys are sorted: index order
    if top:
        order = order[:top]
    columns = result.columns
    keys, labels = proj.key_array.take(order).to_pylist(), proj.label_array.take(order).to_pylist()
    return [{"rank": r, "key": key, "name": label, **{m: columns[m][i] for m in columns}}
            for r, (i, key, label) in enumerate(zip(order.tolist(), keys, labels), start=1)]


def components(net: Coauthors, *, top: int) -> Report:
    sizes = metrics.component_sizes(net.network)
    facts = metrics.component_stats(net.network)
    rows = [{"size": size, "components": count, "authors": size * count} for size, count in sizes]
    largest = net.largest_components(top)
    notes = [network_line(net.projection)] + [f"{name}: {cell(v)}" for name, v in facts.items()]
    notes += [f"component {c['component']}: {c['size']:,} authors, e.g. {c['example']}"
              for c in largest]
    return Report({**facts, "largest": largest, "sizes": rows}, rows, notes, rows_in_json=False)


def stats(net: Coauthors, *, k: int | None, seed: int) -> Report:
    figures = net.stats(k=k, seed=seed)
    rows = [{"measure": name, "value": value} for name, value in figures.items()]
    return Report({"stats": figures}, rows, [network_line(net.projection)], rows_in_json=False)


def ego(net: Coauthors, *, name: str, depth: int) -> Report:
    proj = net.projection
    i = net.find(name)
    found = net.ego(i, depth)
    rows = [_ego_row(net, i, int(j), int(d))
            for j, d in zip(found.members, found.distances) if j != i]
    rows.sort(key=lambda r: (r["distance"], -r["joint_papers"], r["key"]))
    papers, coauthors, nodes = int(proj.paper_counts[i]), net.degree(i), len(found.members)
    facts = {"author": proj.labels[i], "key": proj.keys[i], "papers": papers, "depth": depth,
             "coauthors": coauthors, "nodes": nodes, "edges": found.edges}
    notes = [f"{facts['author']} ({count(papers, 'paper')}, {count(coauthors, 'co-author')}); "
             f"ego network to depth {depth}: {count(nodes, 'author')}, {count(found.edges, 'edge')}"]
    return Report({"ego": facts}, rows, notes)


def _ego_row(net: Coauthors, ego: int, j: int, distance: int) -> dict:
    proj = net.projection
    edge = net.edge_between(ego, j) if distance == 1 else None
    return {"key": proj.keys[j], "name": proj.labels[j], "distance": distance,
            "papers": int(proj.paper_counts[j]),
            "joint_papers": int(proj.edge_papers[edge]) if edge is not None else 0,
            "weight": proj.edge_weights[edge].item() if edge is not None else 0}


def path(net: Coauthors, *, name_a: str, name_b: str) -> Report:
    proj = net.projection
    a, b = net.find(name_a), net.find(name_b)
    chain = net.chain(a, b)
    papers = net.joint_papers(chain)
    rows = [{"step": step, "key": proj.keys[i], "name": proj.labels[i],
             "paper": paper[0] if paper else None, "title": paper[1] if paper else None}
            for step, (i, paper) in enumerate(zip(chain, papers))]
    distance = len(chain) - 1 if chain else None
    names = f"{proj.labels[a]} and {proj.labels[b]}"
    notes = [f"collaboration distance between {names}: {distance}" if chain
             else f"{names} are not connected in the co-author network"]
    notes += [_chain_line(r) for r in rows]
    return Report({"from": proj.keys[a], "to": proj.keys[b], "distance": distance}, rows, notes,
                  rows_in_table=False)


def _chain_line(row: dict) -> str:
    if row["paper"] is None:
        return f"  {row['name']}"
    return f"  {row['name']}\n    -> {row['title']} (arXiv:{row['paper']}) ->"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"


def network_line(proj: Projection) -> str:
    s = proj.settings()
    cap = f"{s['max_authors']}" if s["max_authors"] else "no limit"
    return (f"co-author network: {len(proj.keys):,} authors, {len(proj.sources):,} edges; "
            f"{s['counting']} counting; {s['papers_used']:,} papers used, "
            f"{s['papers_left_out']:,} left out (max authors: {cap}), "
            f"{s['papers_filtered_out']:,} outside the filters")


def community_meta(comms: metrics.Communities | None) -> dict | None:
    if comms is None:
        return None
    return {"method": comms.method, "seed": comms.seed, "count": comms.count,
            "singletons": comms.singletons, "modularity": comms.modularity}


def community_line(comms: metrics.Communities | None) -> str:
    if comms is None:
        return ""
    return (f"communities: {comms.count:,} by {comms.method}, seed {comms.seed} "
            f"({comms.singletons:,} single authors), modularity {cell(comms.modularity)}")


def cell(value: object) -> str:
    """A value as a table cell: thousands separators, 6 significant digits, '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{TABLE_DIGITS}g}" if math.isfinite(value) else "-"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
