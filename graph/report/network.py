"""The co-author network as the report needs it, computed in one place.

`coauthor_network` is the report's only door to the projection and its measures, so that a
faster engine can replace its body without touching the rest of the report. It uses the
analysis commands' defaults (full counting, seed DEFAULT_SEED), so its figures are those of
`arxiv-kg stats` and `arxiv-kg authors` run with the same filters.
"""
from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graph.analysis import measures
from graph.analysis.cache import Cache
from graph.analysis.coauthors import open_coauthors
from graph.analysis.projection import Projection
from graph.report.selection import Filters


@dataclass(frozen=True)
class RankedAuthor:
    key: str
    name: str
    papers: int  # papers in the network (after the filters and the author cap)
    pagerank: float
    community: int  # 1 is the largest community


@dataclass(frozen=True)
class CoauthorNetwork:
    nodes: int
    edges: int
    papers_used: int
    papers_left_out: int  # papers above max_authors
    components: int
    giant_nodes: int
    giant_share: float
    communities: int
    modularity: float
    community_method: str
    component_sizes: tuple[tuple[int, int], ...]  # (size, number of components), largest first
    by_papers: tuple[RankedAuthor, ...]
    by_pagerank: tuple[RankedAuthor, ...]
    drawn: tuple[RankedAuthor, ...]  # the authors of the network drawing, by PageRank
    drawn_edges: tuple[tuple[int, int, int], ...]  # (i, j, joint papers), indices into drawn


def coauthor_network(kg_dir: str | Path, filters: Filters, *, top: int = 20,
                     drawn: int = 100) -> CoauthorNetwork:
    # The analysis commands' own door and cache: the report's figures are theirs, and a
    # report after `arxiv-kg authors` (or before it) computes the network once.
    coauthors = open_coauthors(kg_dir, filters.projection(), cache=Cache(kg_dir))
    proj, net = coauthors.projection, coauthors.network
    result = coauthors.measures(("pagerank", "community"), seed=measures.DEFAULT_SEED)
    pagerank, community = result.columns["pagerank"], result.columns["community"]
    comms, comps = result.communities, measures.component_stats(net)

    def authors(order: list[int]) -> tuple[RankedAuthor, ...]:
        return tuple(RankedAuthor(proj.keys[i], proj.labels[i], proj.paper_counts[i],
                                  pagerank[i], community[i]) for i in order)

    drawn_ids = _top(pagerank, proj.keys, drawn)
    return CoauthorNetwork(
        nodes=len(proj.keys), edges=len(proj.edges), papers_used=proj.papers_used,
        papers_left_out=proj.papers_left_out, components=comps["components"],
        giant_nodes=comps["giant_nodes"], giant_share=comps["giant_share"],
        communities=comms.count if comms else 0, modularity=comms.modularity if comms else 0.0,
        community_method=comms.method if comms else "",
        component_sizes=tuple(measures.component_sizes(net)),
        by_papers=authors(_top(proj.paper_counts, proj.keys, top)),
        by_pagerank=authors(_top(pagerank, proj.keys, top)),
        drawn=authors(drawn_ids), drawn_edges=_edges_within(proj, drawn_ids))


def _top(values: Sequence[float] | np.ndarray, keys: Sequence[str], n: int) -> list[int]:
    """The n best nodes, ties by key: the order of `arxiv-kg authors --by ...`."""
    return heapq.nsmallest(n, range(len(values)), key=lambda i: (-values[i], keys[i]))


def _edges_within(proj: Projection, ids: list[int]) -> tuple[tuple[int, int, int], ...]:
    if len(ids) < 2:
        return ()
    where = np.full(len(proj.keys), -1)
    where[ids] = np.arange(len(ids))
    src, dst = where[proj.sources], where[proj.targets]
    inside = (src >= 0) & (dst >= 0)
    return tuple(zip(src[inside].tolist(), dst[inside].tolist(), proj.edge_papers[inside].tolist()))
