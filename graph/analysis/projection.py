"""The co-authorship projection: authors joined by their joint papers.

Nodes are author keys; an edge joins two authors with at least one joint paper. Edge attribute
``papers`` is the number of joint papers and ``weight`` is either that count (full counting) or
Newman's fractional count, where a paper with n authors adds 1/(n-1) to each of its pairs, so an
author's strength equals the number of their multi-author papers.

Papers with more than ``max_authors`` authors are left out (0 = no limit). The default, 50,
touches only consortium-style papers: on the cs.CV dev corpus the 99.9th percentile of team size
is 35 authors and 8 of 27,563 papers have more than 50, yet those 8 make 7% of all co-author
pair instances and 8.4% of the edges, and lift the top degree from 321 to 538. In the whole
archive the 184 papers above 50 authors make more than a third of all pairs (on our
archive-sized synthetic corpus the cap halves the edges, 3.4M to 1.8M, for 0.1% of papers).
Each such paper adds a clique of at least 1,275 edges that swamps degree, clustering, k-core
and eigenvector centrality of its members.

The heavy lifting stays out of networkx: pairs are counted in a Counter of integer codes and
the result is kept as index arrays, from which an igraph graph is built directly for the
algorithms (see graph.analysis.measures). The networkx graph is built only when something asks for it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, repeat

import igraph as ig
import networkx as nx

from graph.errors import ArxivKGError
from graph.model.records import Corpus, Paper

DEFAULT_MAX_AUTHORS = 50
COUNTINGS = ("full", "fractional")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_CHUNK = 1 << 20  # pair codes buffered before counting: bounds memory on hyper-authored papers


class FilterError(ArxivKGError):
    """A projection filter has an unusable value."""


@dataclass(frozen=True)
class Projection:
    """The co-author network as index arrays, plus the settings that made it.

    Node i is ``keys[i]``; edge j joins ``edges[j] = (a, b)`` with a < b. ``graph`` is the same
    network as a networkx Graph (built on first use), ``igraph`` as an igraph Graph.
    """

    keys: tuple[str, ...]
    labels: tuple[str, ...]
    paper_counts: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]
    edge_papers: tuple[int, ...]
    edge_weights: tuple[float, ...]
    papers: tuple[Paper, ...]  # the papers the network was made from
    papers_left_out: int  # papers above max_authors
    papers_filtered_out: int  # papers outside the category / date filters
    counting: str = "full"
    max_authors: int = DEFAULT_MAX_AUTHORS
    category: str | None = None
    primary_only: bool = False
    since: str | None = None
    until: str | None = None
    min_papers: int = 1

    @property
    def papers_used(self) -> int:
        return len(self.papers)

    def settings(self) -> dict[str, object]:
        """The filters and counts a report should print beside its results."""
        return {"counting": self.counting, "max_authors": self.max_authors,
                "category": self.category, "primary_only": self.primary_only,
                "since": self.since, "until": self.until, "min_papers": self.min_papers,
                "papers_used": self.papers_used, "papers_left_out": self.papers_left_out,
                "papers_filtered_out": self.papers_filtered_out}

    @cached_property
    def graph(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from((k, {"label": lab, "papers": n})
                         for k, lab, n in zip(self.keys, self.labels, self.paper_counts))
        keys = self.keys
        g.add_edges_from((keys[a], keys[b], {"papers": p, "weight": w})
                         for (a, b), p, w in zip(self.edges, self.edge_papers, self.edge_weights))
        return g

    @cached_property
    def igraph(self) -> ig.Graph:
        g = ig.Graph(n=len(self.keys), edges=self.edges)
        g.es["weight"] = self.edge_weights
        g.es["papers"] = self.edge_papers
        return g

    def joint_papers(self, a: str, b: str) -> list[Paper]:
        """Papers (of those used) that both authors signed, in corpus order."""
        return [p for p in self.papers if a in p.authors and b in p.authors]


def project(corpus: Corpus, *, counting: str = "full", max_authors: int = DEFAULT_MAX_AUTHORS,
            category: str | None = None, primary_only: bool = False, since: str | None = None,
            until: str | None = None, min_papers: int = 1) -> Projection:
    """Project the corpus onto its authors. Dates are ISO prefixes (YYYY, YYYY-MM, YYYY-MM-DD)
    compared with the published date, both ends inclusive."""
    _check(counting, max_authors, since, until, min_papers)
    selected = [p for p in corpus.papers if _selected(p, category, primary_only, since, until)]
    used: list[Paper] = []
    lists: list[tuple[str, ...]] = []
    for p in selected:
        authors = tuple(dict.fromkeys(p.authors))  # a key twice on one paper is not a pair
        if not max_authors or len(authors) <= max_authors:
            used.append(p)
            lists.append(authors)
    counts = Counter(k for authors in lists for k in authors)
    keys = tuple(sorted(k for k, n in counts.items() if n >= min_papers))
    edges, edge_papers, edge_weights = _pairs(lists, keys, fractional=counting == "fractional")
    names = corpus.authors
    return Projection(
        keys=keys, labels=tuple(names[k].name if k in names else k for k in keys),
        paper_counts=tuple(counts[k] for k in keys), edges=edges, edge_papers=edge_papers,
        edge_weights=edge_weights, papers=tuple(used),
        papers_left_out=len(selected) - len(used),
        papers_filtered_out=len(corpus.papers) - len(selected), counting=counting,
        max_authors=max_authors, category=category, primary_only=primary_only, since=since,
        until=until, min_papers=min_papers)


def _check(counting: str, max_authors: int, since: str | None, until: str | None,
           min_papers: int) -> None:
    if counting not in COUNTINGS:
        raise FilterError(f"counting must be one of {', '.join(COUNTINGS)}, not {counting!r}")
    if max_authors < 0:
        raise FilterError(f"max-authors must be 0 (no limit) or more, not {max_authors}")
    if min_papers < 1:
        raise FilterError(f"min-papers must be 1 or more, not {min_papers}")
    for name, value in (("since", since), ("until", until)):
        if value is not None and not _DATE.match(value):
            raise FilterError(f"{name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, "
                              f"not {value!r}")


def _selected(p: Paper, category: str | None, primary_only: bool, since: str | None,
              until: str | None) -> bool:
    if category is not None:
        if primary_only and p.primary_category != category:
            return False
        if not primary_only and category not in p.categories and p.primary_category != category:
            return False
    # Comparing equal-length prefixes of ISO dates makes both bounds inclusive at any precision.
    if since is not None and p.published[:len(since)] < since:
        return False
    return until is None or p.published[:len(until)] <= until


def _pairs(lists: list[tuple[str, ...]], keys: tuple[str, ...], *, fractional: bool
           ) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[float, ...]]:
    """Count joint papers per pair; for fractional counting also sum 1/(n-1) per pair.

    Edges come in order of first counting, which depends on the input only.
    """
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    # Fractional weights are summed per paper size, so each pair's weight is a few exact
    # quotients rather than thousands of rounded additions.
    by_size: dict[int, Counter[int]] = {}
    total: Counter[int] = Counter()
    for size, codes in _codes(lists, index, n, by_size=fractional):
        total.update(codes)
        if fractional:
            by_size.setdefault(size, Counter()).update(codes)
    edges = tuple(map(divmod, total, repeat(n)))
    papers = tuple(total.values())
    if not fractional:
        return edges, papers, papers
    weights: dict[int, float] = dict.fromkeys(total, 0.0)
    for size in sorted(by_size):
        share = size - 1
        for code, count in by_size[size].items():
            weights[code] += count / share
    return edges, papers, tuple(weights.values())


def _codes(lists: Iterable[tuple[str, ...]], index: dict[str, int], n: int, *, by_size: bool
           ) -> Iterator[tuple[int, list[int]]]:
    """Yield (paper size or 0, pair codes a*n+b with a<b), in buffered chunks."""
    buffers: dict[int, list[int]] = {}
    for authors in lists:
        ids = sorted([index[k] for k in authors if k in index])
        if len(ids) < 2:
            continue
        size = len(authors) if by_size else 0
        buf = buffers.setdefault(size, [])
        buf.extend(a * n + b for a, b in combinations(ids, 2))
        if len(buf) >= _CHUNK:
            yield size, buf
            buffers[size] = []
    for size, buf in buffers.items():
        if buf:
            yield size, buf
