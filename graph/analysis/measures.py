"""Per-author and network-level measures of the co-author network, computed with igraph.

networkx stays the graph API (a Projection or any nx.Graph goes in), but every algorithm runs on
an igraph copy: 30-100x faster at archive scale. Each measure is defined as its networkx reference
and tested against it:

============  ==============================================================================
papers        node attribute ``papers`` (0 if absent)
degree        ``G.degree()``
strength      ``G.degree(weight="weight")``
pagerank      ``nx.pagerank(G, weight="weight")`` (alpha 0.85)
eigenvector   ``nx.eigenvector_centrality(G, weight="weight")`` (unit Euclidean norm; on a
              disconnected graph only the component with the largest eigenvalue scores)
betweenness   ``nx.betweenness_centrality(G)`` (normalised, hop distances); sampled: equal to
              ``nx.betweenness_centrality(G, k=k, seed=seed)``
harmonic      ``nx.harmonic_centrality(G)[v] / (n - 1)`` (hop distances); sampled from the
              sources S that betweenness uses: ``nx.harmonic_centrality(G, sources=S)[v]
              * n / (k * (n - 1))``, an unbiased estimate of the exact value
core          ``nx.core_number(G)``
clustering    ``nx.clustering(G)`` (unweighted)
component     connected component, numbered 1.. by size descending, then smallest node
community     Leiden (modularity, weighted; igraph, two iterations) with a fixed seed,
              numbered like components
============  ==============================================================================

Betweenness and harmonic closeness are exact up to EXACT_MAX_NODES nodes; above that they are
estimated from k sources drawn as networkx draws them, ``random.Random(seed).sample(list(G), k)``.
One breadth-first pass per source serves both, and the giant component's path lengths; on a
large graph the sources are spread over the CPUs (fork), in fixed chunks summed in a fixed
order so that the result does not depend on the number of CPUs.
"""
from __future__ import annotations

import contextlib
import math
import multiprocessing
import operator
import os
import random
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import igraph as ig
import networkx as nx
from threadpoolctl import threadpool_limits

from graph.analysis.projection import Projection
from graph.errors import ArxivKGError

EXACT_MAX_NODES = 5000  # all-pairs BFS below this takes well under a second
DEFAULT_K = 256
DEFAULT_SEED = 0
MEASURES = ("papers", "degree", "strength", "pagerank", "eigenvector", "betweenness",
            "harmonic", "core", "clustering", "component", "community")
LEIDEN_ITERATIONS = 2  # igraph's default; iterating to convergence is 12x slower for +0.2%
PARALLEL_MIN_WORK = 20_000_000  # sources x (nodes + edges) above which a pass uses every CPU
_DAMPING = 0.85
_TIE = 1e-9  # relative difference under which two eigenvalues are taken as equal
_CHUNK = 16  # sources per unit of work: bounds memory to 16 distance rows


class SamplingError(ArxivKGError):
    """k is not a usable number of sampled sources."""


@dataclass(frozen=True)
class Sampling:
    """How path-based measures were computed: exactly, or from k sources drawn with seed."""

    exact: bool
    k: int | None = None
    seed: int | None = None

    def describe(self) -> str:
        if self.exact:
            return "exact"
        return f"estimated from {self.k} sampled sources (seed {self.seed})"

    def as_dict(self) -> dict[str, object]:
        return {"exact": self.exact, "k": self.k, "seed": self.seed}


@dataclass(frozen=True)
class Communities:
    method: str
    seed: int
    inner: list[int] = field(repr=False)  # community id per node (network order), 1.. by size
    count: int
    singletons: int
    modularity: float


@dataclass(frozen=True)
class _Pass:
    """What one BFS per sampled source yields."""

    betweenness: list[float]  # igraph's raw subset betweenness, summed over sources
    inverse_distances: list[float]  # per node: sum over sources of 1/d(source, node)
    paths: dict[int, tuple[int, int, int]]  # source -> (eccentricity, distance sum, farthest)


class Network:
    """A graph indexed for igraph. ``keys`` is the graph's node order (external); the igraph
    copy ``g`` numbers the nodes in breadth-first order instead, so that neighbours sit close
    in memory (2x faster path searches than alphabetical keys), and ``outer`` maps its
    per-node lists back. Results shared by several measures are computed once per Network.
    """

    def __init__(self, keys: Sequence, graph: ig.Graph, papers: Sequence[int]) -> None:
        self.keys = tuple(keys)
        order = _locality_order(graph)
        self.g = graph.permute_vertices(order)
        self.pos = [0] * len(order)  # external index -> internal index
        for inner, outer in enumerate(order):
            self.pos[outer] = inner
        self.inner_keys = [self.keys[i] for i in order]
        self.papers = [papers[i] for i in order]
        self._communities: dict[int, Communities] = {}
        self._passes: dict[Sampling, _Pass] = {}

    @classmethod
    def of(cls, graph: nx.Graph | Projection | Network) -> Network:
        if isinstance(graph, Network):
            return graph
        if isinstance(graph, Projection):
            return cls(graph.keys, graph.igraph, graph.paper_counts)
        keys = list(graph)
        index = {k: i for i, k in enumerate(keys)}
        g = ig.Graph(n=len(keys), edges=[(index[u], index[v]) for u, v in graph.edges()])
        g.es["weight"] = [d.get("weight", 1) for _, _, d in graph.edges(data=True)]
        return cls(keys, g, [graph.nodes[k].get("papers", 0) for k in keys])

    @property
    def n(self) -> int:
        return len(self.keys)

    def outer(self, values: Sequence) -> list:
        """A per-node list in internal order, in the graph's own node order."""
        return list(map(values.__getitem__, self.pos))

    def sampling(self, k: int | None, seed: int) -> Sampling:
        """k=None: exact up to EXACT_MAX_NODES nodes, else DEFAULT_K sources; 0: exact."""
        if k is None:
            k = 0 if self.n <= EXACT_MAX_NODES else DEFAULT_K
        if k < 0 or k == 1:
            raise SamplingError(f"k must be 0 (exact) or at least 2 sampled sources, not {k}")
        if k == 0 or k >= self.n:
            return Sampling(exact=True)
        return Sampling(exact=False, k=k, seed=seed)

    def sources(self, sampling: Sampling) -> list[int]:
        """Internal ids of the sampled sources. random.sample picks positions from len()
        alone, so sampling range(n) draws the nodes networkx draws from list(G)."""
        drawn = random.Random(sampling.seed).sample(range(self.n), sampling.k)
        return [self.pos[s] for s in drawn]

    @cached_property
    def membership(self) -> list[int]:
        """Component id per node, internal order."""
        return _numbered(self.g.connected_components().membership, self.inner_keys)

    @property
    def components(self) -> list[int]:
        return self.outer(self.membership)

    @cached_property
    def clustering(self) -> list[float]:
        return self.g.transitivity_local_undirected(mode="zero")

    def communities(self, seed: int) -> Communities:
        if seed not in self._communities:
            self._communities[seed] = _communities(self, seed)
        return self._communities[seed]

    def sampled_pass(self, sampling: Sampling) -> _Pass:
        if sampling not in self._passes:
            sources = self.sources(sampling)
            in_giant = [self.membership[s] == 1 for s in sources]
            self._passes[sampling] = _run_pass(self.g, sources, in_giant)
        return self._passes[sampling]


def _locality_order(g: ig.Graph) -> list[int]:
    """Nodes in breadth-first order from the best-connected node, then the unreached ones."""
    if g.vcount() == 0:
        return []
    degrees = g.degree()
    reached = g.bfs(degrees.index(max(degrees)))[0]
    seen = set(reached)
    return reached + [v for v in range(g.vcount()) if v not in seen]


@dataclass(frozen=True)
class Analysis:
    """Per-author measures in column form, with how the estimated ones were computed."""

    keys: tuple
    columns: dict[str, list]
    sampling: Sampling
    communities: Communities | None

    def rows(self) -> dict:
        names = list(self.columns)
        cols = [self.columns[m] for m in names]
        return {key: dict(zip(names, values)) for key, values in zip(self.keys, zip(*cols))}


def analyse(graph: nx.Graph | Projection | Network, *, k: int | None = None,
            seed: int = DEFAULT_SEED, measures: Sequence[str] = MEASURES) -> Analysis:
    net = Network.of(graph)
    unknown = [m for m in measures if m not in _AUTHOR]
    if unknown:
        raise ArxivKGError(f"unknown measure {unknown[0]!r}; choose from {', '.join(MEASURES)}")
    sampling = net.sampling(k, seed)
    columns = {m: net.outer(_AUTHOR[m](net, sampling, seed)) for m in measures}
    comms = net.communities(seed) if "community" in measures else None
    return Analysis(keys=net.keys, columns=columns, sampling=sampling, communities=comms)


def author_measures(graph: nx.Graph | Projection | Network, *, k: int | None = None,
                    seed: int = DEFAULT_SEED) -> dict:
    """{node: {measure: value}} for every measure in MEASURES."""
    return analyse(graph, k=k, seed=seed).rows()


def annotate(graph: nx.Graph, measures: dict) -> nx.Graph:
    """Put each node's measures on it as attributes (for GraphML / GEXF exports)."""
    for node, values in measures.items():
        graph.nodes[node].update(values)
    return graph


# ---- per-author measures: each takes (network, sampling, seed) and returns one value per
# node, in the network's internal order

def _papers(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return list(net.papers)


def _degree(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return net.g.degree()


def _strength(net: Network, sampling: Sampling, seed: int) -> list[float]:
    return net.g.strength(weights="weight")


def _pagerank(net: Network, sampling: Sampling, seed: int) -> list[float]:
    # PRPACK sums in OpenMP threads, in whatever order they finish: results then differ from
    # run to run in the 10th digit. One thread keeps output byte-identical and costs ~1 s at
    # archive scale (ARPACK, the deterministic alternative, takes 4.5 s).
    with threadpool_limits(limits=1, user_api="openmp"):
        return net.g.pagerank(directed=False, damping=_DAMPING, weights="weight")


def _eigenvector(net: Network, sampling: Sampling, seed: int) -> list[float]:
    if net.n == 0:
        return []
    values, top = _perron(net.g)
    # Only components whose largest strength reaches the top eigenvalue can share it (an
    # eigenvalue is at most the largest row sum); usually the giant component alone does.
    reach: dict[int, float] = {}
    for c, s in zip(net.membership, net.g.strength(weights="weight")):
        reach[c] = max(reach.get(c, 0.0), s)
    tied = {c for c, s in reach.items() if s >= top * (1 - _TIE)}
    if len(tied) > 1:
        return _tied_eigenvector(net, tied)
    values = [x if c in tied and x > 0 else 0.0 for x, c in zip(values, net.membership)]
    norm = math.sqrt(math.fsum(x * x for x in values))
    return [x / norm for x in values]


def _perron(g: ig.Graph) -> tuple[list[float], float]:
    """The leading eigenvector (max 1) and eigenvalue of the weighted adjacency matrix."""
    if g.vcount() == 1:
        return [1.0], 0.0
    with warnings.catch_warnings(), _seeded(0):  # ARPACK starts from a random vector
        # igraph warns on disconnected graphs; networkx, our reference, computes them whole.
        warnings.simplefilter("ignore", RuntimeWarning)
        return g.eigenvector_centrality(weights="weight", return_eigenvalue=True)


def _tied_eigenvector(net: Network, candidates: set[int]) -> list[float]:
    """networkx's power iteration from a uniform start when several components may share the
    top eigenvalue: the limit keeps each such component's unit Perron vector v, weighted by
    sum(v), and nothing of the others."""
    members: dict[int, list[int]] = {c: [] for c in candidates}
    for i, c in enumerate(net.membership):
        if c in members:
            members[c].append(i)
    perron = {c: _perron(net.g.induced_subgraph(m)) for c, m in members.items()}
    top = max(value for _, value in perron.values())
    values = [0.0] * net.n
    for c, (vector, value) in perron.items():
        if value >= top * (1 - _TIE):
            norm = math.sqrt(math.fsum(x * x for x in vector))
            weight = math.fsum(vector) / norm
            for i, x in zip(members[c], vector):
                values[i] = weight * max(x, 0.0) / norm
    norm = math.sqrt(math.fsum(x * x for x in values))
    return [x / norm for x in values]


def _betweenness(net: Network, sampling: Sampling, seed: int) -> list[float]:
    n = net.n
    if n <= 2:
        return [0.0] * n
    if sampling.exact:
        # igraph counts each unordered pair once; networkx normalises ordered pairs.
        scale = 2 / ((n - 1) * (n - 2))
        return [b * scale for b in net.g.betweenness(directed=False)]
    raw = net.sampled_pass(sampling).betweenness
    k = sampling.k
    # networkx's rescaling for sampled sources: a source cannot lie inside its own paths.
    scales = [2 / (k * (n - 2))] * n
    for s in net.sources(sampling):
        scales[s] = 2 / ((k - 1) * (n - 2))
    return list(map(operator.mul, raw, scales))


def _harmonic(net: Network, sampling: Sampling, seed: int) -> list[float]:
    n = net.n
    if n <= 1:
        return [0.0] * n
    if sampling.exact:
        return net.g.harmonic_centrality(normalized=True)
    scale = n / (sampling.k * (n - 1))
    return [x * scale for x in net.sampled_pass(sampling).inverse_distances]


def _core(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return net.g.coreness()


def _clustering(net: Network, sampling: Sampling, seed: int) -> list[float]:
    return list(net.clustering)


def _component(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return net.membership


def _community(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return net.communities(seed).inner


_AUTHOR: dict[str, Callable[[Network, Sampling, int], list]] = {
    "papers": _papers, "degree": _degree, "strength": _strength, "pagerank": _pagerank,
    "eigenvector": _eigenvector, "betweenness": _betweenness, "harmonic": _harmonic,
    "core": _core, "clustering": _clustering, "component": _component, "community": _community,
}


# ---- the sampled pass

def _run_pass(g: ig.Graph, sources: list[int], wanted: list[bool]) -> _Pass:
    """Betweenness, inverse-distance sums and (for wanted sources) path figures, chunk by chunk."""
    chunks = [(sources[i:i + _CHUNK], wanted[i:i + _CHUNK]) for i in range(0, len(sources), _CHUNK)]
    workers = _workers(len(sources) * (g.vcount() + g.ecount()), len(chunks))
    if workers > 1:
        context = multiprocessing.get_context("fork")  # children inherit g without pickling it
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_set_graph,
                                 initargs=(g,)) as pool:
            results = list(pool.map(_chunk_pass, chunks))
    else:
        _set_graph(g)
        try:
            results = [_chunk_pass(c) for c in chunks]
        finally:
            _GRAPH.clear()
    between, inverse, paths = results[0]
    for b, h, p in results[1:]:  # fixed order: the sums do not depend on the worker count
        between = list(map(operator.add, between, b))
        inverse = list(map(operator.add, inverse, h))
        paths = {**paths, **p}
    return _Pass(betweenness=between, inverse_distances=inverse, paths=paths)


def _workers(work: int, chunks: int) -> int:
    if work < PARALLEL_MIN_WORK or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, chunks))


_GRAPH: list[ig.Graph] = []  # the graph a (forked) worker computes on


def _set_graph(g: ig.Graph) -> None:
    _GRAPH[:] = [g]


def _chunk_pass(chunk: tuple[list[int], list[bool]]
                ) -> tuple[list[float], list[float], dict[int, tuple[int, int, int]]]:
    sources, wanted = chunk
    g = _GRAPH[0]
    between = g.betweenness(directed=False, sources=sources)
    inverse = [0.0] * g.vcount()
    paths = {}
    for s, want, row in zip(sources, wanted, g.distances(source=sources)):
        try:
            inverse = list(map(operator.add, inverse, map(_INVERSE.__getitem__, row)))
        except KeyError:  # a distance beyond the table: extend it, then redo this row
            _INVERSE.update((d, 1 / d) for d in set(row) - _INVERSE.keys())
            inverse = list(map(operator.add, inverse, map(_INVERSE.__getitem__, row)))
        if want:  # a giant-component source: the finite distances are the giant's
            reached = list(filter(math.isfinite, row))
            ecc = max(reached)
            paths[s] = (int(ecc), int(sum(reached)), row.index(ecc))
    return between, inverse, paths


# 1/d for hop distance d; 0 for the source itself and for unreachable nodes (inf).
_INVERSE: dict = {0: 0.0, math.inf: 0.0, **{d: 1 / d for d in range(1, 64)}}


def _communities(net: Network, seed: int) -> Communities:
    inner = _numbered(_leiden(net.g, seed), net.inner_keys)
    sizes = Counter(inner)
    g = net.g
    return Communities(
        method=f"leiden (modularity, weighted, {LEIDEN_ITERATIONS} iterations, igraph)", seed=seed,
        inner=inner, count=len(sizes),
        singletons=sum(1 for s in sizes.values() if s == 1),
        modularity=g.modularity(inner, weights="weight") if g.ecount() else 0.0)


def _leiden(g: ig.Graph, seed: int) -> list[int]:
    if g.vcount() == 0:
        return []
    with _seeded(seed):
        clustering = g.community_leiden(objective_function="modularity", weights="weight",
                                        n_iterations=LEIDEN_ITERATIONS)
    return clustering.membership


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """igraph draws from a Python RNG object (the random module by default): a private one
    makes a randomised algorithm depend on the seed alone."""
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def _numbered(membership: Sequence[int], keys: Sequence) -> list[int]:
    """Renumber groups 1.. by size descending, then by smallest key, so ids are stable."""
    sizes = Counter(membership)
    smallest: dict[int, object] = {}
    for group, key in zip(membership, keys):
        if group not in smallest or _sort_key(key) < _sort_key(smallest[group]):
            smallest[group] = key
    order = sorted(sizes, key=lambda grp: (-sizes[grp], _sort_key(smallest[grp])))
    new = {grp: i for i, grp in enumerate(order, start=1)}
    return [new[grp] for grp in membership]


def _sort_key(key: object) -> tuple[str, object]:
    # Node ids are author keys (str), but an arbitrary nx graph may mix types.
    return (type(key).__name__, key if isinstance(key, (str, int, float)) else str(key))


# ---- network-level measures

def component_sizes(graph: nx.Graph | Projection | Network) -> list[tuple[int, int]]:
    """(component size, number of components of that size), largest size first."""
    counts = Counter(Counter(Network.of(graph).membership).values())
    return sorted(counts.items(), reverse=True)


def component_stats(graph: nx.Graph | Projection | Network) -> dict[str, object]:
    """Component count, giant component size and share, and the runner-up's size."""
    net = Network.of(graph)
    sizes = Counter(net.membership)
    giant = sizes.get(1, 0)
    return {"components": len(sizes), "giant_nodes": giant,
            "giant_share": giant / net.n if net.n else 0.0,
            "second_component_nodes": sizes.get(2, 0)}


def network_stats(graph: nx.Graph | Projection | Network, *, k: int | None = None,
                  seed: int = DEFAULT_SEED) -> dict[str, object]:
    """Network-level figures, in reading order. Path lengths are those of the giant component:
    exact up to EXACT_MAX_NODES nodes, else estimated from the sampled sources inside it."""
    net = Network.of(graph)
    g, n, m = net.g, net.n, net.g.ecount()
    stats: dict[str, object] = {
        "nodes": n, "edges": m,
        "density": 2 * m / (n * (n - 1)) if n > 1 else 0.0,
        "average_degree": 2 * m / n if n else 0.0,
        "degree_assortativity": _finite(g.assortativity_degree(directed=False)) if m else None,
        "average_clustering": math.fsum(net.clustering) / n if n else 0.0,
        "transitivity": _finite(g.transitivity_undirected()) if m else 0.0,
        "isolated_nodes": g.degree().count(0),
    }
    stats.update(component_stats(net))
    stats.update(_path_stats(net, net.sampling(k, seed)))
    comms = net.communities(seed)
    stats.update({"community_method": comms.method, "community_seed": comms.seed,
                  "communities": comms.count, "community_singletons": comms.singletons,
                  "modularity": comms.modularity})
    return stats


def _path_stats(net: Network, sampling: Sampling) -> dict[str, object]:
    members = [i for i, c in enumerate(net.membership) if c == 1]
    giant = net.g.induced_subgraph(members) if len(members) < net.n else net.g
    out: dict[str, object] = {"giant_edges": giant.ecount()}
    if len(members) < 2:  # no path at all, or only the empty one
        return {**out, "path_method": "exact", "path_sources": None,
                "diameter": 0 if members else None,
                "average_path_length": 0.0 if members else None}
    paths = {} if sampling.exact or len(members) <= EXACT_MAX_NODES else \
        net.sampled_pass(sampling).paths
    if not paths:  # small giant, exact request, or no sampled source fell inside the giant
        return {**out, "path_method": "exact", "path_sources": None,
                "diameter": giant.diameter(directed=False),
                "average_path_length": giant.average_path_length(directed=False)}
    # One more sweep from the farthest node seen tightens the diameter's lower bound.
    ecc, _, far = max(paths.values())
    sweep = max(filter(math.isfinite, net.g.distances(source=[far])[0]))
    mean = sum(total for _, total, _ in paths.values()) / (len(paths) * (len(members) - 1))
    return {**out, "path_method": f"estimated from the {len(paths)} of {sampling.k} sampled "
            f"sources in the giant component (seed {sampling.seed}); diameter is a lower bound",
            "path_sources": len(paths), "diameter": int(max(ecc, sweep)),
            "average_path_length": mean}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
