"""Per-author and network-level measures of the co-author network, computed with igraph, scipy
and numpy.

networkx stays the graph API (a Projection or any nx.Graph goes in), but every algorithm runs on
arrays or an igraph copy: 30-100x faster at archive scale. Each measure is defined as its
networkx reference and tested against it:

============  ==============================================================================
papers        node attribute ``papers`` (0 if absent)
degree        ``G.degree()``
strength      ``G.degree(weight="weight")``
pagerank      ``nx.pagerank(G, weight="weight")`` (alpha 0.85) run to convergence
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

Nothing is computed before it is asked for: degree, strength and components come from the
edge arrays (numpy, scipy.sparse.csgraph) without building an igraph graph, and the igraph
copy, its breadth-first renumbering and each pass over sources are built once per Network.

Betweenness and harmonic closeness are exact up to EXACT_MAX_NODES nodes; above that they are
estimated from k sources drawn as networkx draws them, ``random.Random(seed).sample(list(G), k)``.
One breadth-first pass per source serves both, and the giant component's path lengths; on a
large graph the sources are spread over the CPUs (fork), in fixed chunks summed in a fixed
order so that the result does not depend on the number of CPUs. An exact request on a large
graph (k=0) runs the same pass over every node: its first chunk is timed and, when the whole
pass would take long, Hooks.notice gets an estimate before the rest runs with progress.
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypedDict, TypeVar

import numpy as np
import orjson
import pyarrow as pa

from graph.analysis.arrays import compact
from graph.analysis.projection import Projection, igraph_of
from graph.errors import ArxivKGError

if TYPE_CHECKING:
    import igraph as ig
    import networkx as nx
    import scipy.sparse as sp

    Graph: TypeAlias = "nx.Graph | Projection | Network"

EXACT_MAX_NODES = 5000  # all-pairs BFS below this takes well under a second
DEFAULT_K = 256
DEFAULT_SEED = 0
MEASURES = ("papers", "degree", "strength", "pagerank", "eigenvector", "betweenness",
            "harmonic", "core", "clustering", "component", "community")
# What `authors` shows unless asked: a second at archive scale together, none needs an igraph
# copy (1 s per million edges to make). Core and clustering need one; eigenvector (ARPACK),
# the path measures and communities each cost more than all of these together.
DEFAULT_COLUMNS = ("papers", "degree", "strength", "pagerank", "component")
PATH_MEASURES = ("betweenness", "harmonic")  # computed from one pass over sources
LEIDEN_ITERATIONS = 2  # igraph's default; iterating to convergence is 12x slower for +0.2%
PARALLEL_MIN_WORK = 20_000_000  # sources x (nodes + edges) above which a pass uses every CPU
ESTIMATE_MIN_S = 10.0  # passes expected to run longer are announced with their estimate
PAGERANK_RTOL = 1e-10  # the residual at which the solver stops: a condition of at most 12.3 keeps
# the error below 1.3e-9 (L1 3e-11 from 1e-12 on the archive, 36 products instead of 44)
PAGERANK_MAX_ITER = 1_000
_DAMPING = 0.85
_TIE = 1e-9  # relative difference under which two eigenvalues are taken as equal
_CHUNK = 16  # sources per unit of work: bounds memory to 16 distance rows

Report = Callable[[int, int], None]  # (done, total)
T = TypeVar("T")
# Measures worth keeping on disk: the rest come from the edge arrays in milliseconds, or from
# what is kept already (betweenness and harmonic from the pass, community from Leiden's run).
_KEPT = frozenset({"pagerank", "eigenvector", "core", "clustering"})


class Disk(Protocol):
    """Where a Network keeps what it computed, across processes (graph.analysis.cache)."""

    def load_table(self, name: str) -> pa.Table | None: ...

    def save_table(self, name: str, table: pa.Table) -> None: ...

    def load_json(self, name: str) -> Any: ...

    def save_json(self, name: str, obj: Any) -> None: ...


class SamplingError(ArxivKGError):
    """k is not a usable number of sampled sources."""


@dataclass(frozen=True)
class Hooks:
    """How a long computation talks to a person: ``notice`` takes one line (an estimate), and
    ``progress(label)`` opens a context that yields a Report, or None for no progress."""

    notice: Callable[[str], None] | None = None
    progress: Callable[[str], contextlib.AbstractContextManager[Report | None]] | None = None


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

    @property
    def sources(self) -> int:
        """k, the number of sources a sampled computation draws."""
        if self.k is None:
            raise ValueError("an exact computation draws no sources")
        return self.k

    def as_dict(self) -> dict[str, object]:
        return {"exact": self.exact, "k": self.k, "seed": self.seed}

    @property
    def tag(self) -> str:
        return "exact" if self.exact else f"k{self.k}-seed{self.seed}"


@dataclass(frozen=True)
class Communities:
    method: str
    seed: int
    inner: list[int] = field(repr=False)  # community id per node, 1.. by size
    count: int
    singletons: int
    modularity: float


@dataclass(frozen=True)
class SourcePass:
    """What one breadth-first search per source yields, summed over the sources, per node in
    the network's order. Kind "betweenness": igraph's raw subset betweenness. Kind "distances":
    the sum of 1/d(source, node), and per giant-component source (by its number in the
    breadth-first renumbering) its eccentricity, distance sum and farthest node."""

    kind: str
    values: np.ndarray
    paths: dict[int, tuple[int, int, int]] = field(default_factory=dict)


PASS_KINDS = ("betweenness", "distances")  # apart: betweenness alone is 40% cheaper


class Network:
    """A graph as arrays: node i is ``keys[i]``, edge j joins ``sources[j]`` and ``targets[j]``
    with ``weights[j]``. The igraph copy ``g`` keeps this order; the copy the passes over sources
    run on (``local``) numbers nodes in breadth-first order instead, so that neighbours sit close
    in memory (2x faster path searches than alphabetical keys). Results shared by several
    measures are computed once per Network.
    """

    def __init__(self, keys: Sequence | pa.Array, sources: Sequence[int] | np.ndarray,
                 targets: Sequence[int] | np.ndarray, weights: Sequence[float] | np.ndarray,
                 papers: Sequence[int] | np.ndarray, *,
                 key_order: np.ndarray | None = None) -> None:
        self._keys = keys
        self.sources = np.asarray(sources, dtype=np.int64)
        self.targets = np.asarray(targets, dtype=np.int64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.papers = np.asarray(papers)
        self._key_order = key_order
        self.hooks = Hooks()
        self.disk: Disk | None = None
        self._communities: dict[int, Communities] = {}
        self._passes: dict[tuple[Sampling, str], SourcePass] = {}

    @classmethod
    def of(cls, graph: Graph) -> Network:
        if isinstance(graph, Network):
            return graph
        if isinstance(graph, Projection):  # keys are sorted: their order is the node order
            return cls(graph.key_array, graph.sources, graph.targets, graph.edge_weights,
                       graph.paper_counts, key_order=np.arange(len(graph)))
        keys = list(graph)
        index = {k: i for i, k in enumerate(keys)}
        ends = [(index[u], index[v], d.get("weight", 1)) for u, v, d in graph.edges(data=True)]
        sources, targets, weights = zip(*ends) if ends else ((), (), ())
        return cls(keys, sources, targets, weights, [graph.nodes[k].get("papers", 0) for k in keys])

    @cached_property
    def keys(self) -> tuple:
        keys = self._keys
        return tuple(keys.to_pylist() if isinstance(keys, pa.Array) else keys)

    @property
    def n(self) -> int:
        return len(self._keys)

    @cached_property
    def g(self) -> ig.Graph:
        return igraph_of(self.n, self.sources, self.targets, weight=self.weights.tolist())

    @cached_property
    def local(self) -> tuple[ig.Graph, np.ndarray]:
        """The graph renumbered in breadth-first order, and each node's number there."""
        order = _locality_order(self.g)
        pos = np.empty(self.n, dtype=np.int64)
        pos[order] = np.arange(self.n)
        return self.g.permute_vertices(order), pos

    @cached_property
    def key_order(self) -> np.ndarray:
        """Each node's rank among the sorted keys (groups of equal size are numbered by their
        smallest key)."""
        if self._key_order is not None:
            return self._key_order
        ranked = sorted(range(self.n), key=lambda i: _sort_key(self.keys[i]))
        order = np.empty(self.n, dtype=np.int64)
        order[ranked] = np.arange(self.n)
        return order

    def sampling(self, k: int | None, seed: int) -> Sampling:
        """k=None: exact up to EXACT_MAX_NODES nodes, else DEFAULT_K sources; 0: exact."""
        return sampling_for(self.n, k, seed)

    def drawn(self, sampling: Sampling) -> list[int]:
        """The sampled sources. random.sample picks positions from len() alone, so sampling
        range(n) draws the nodes networkx draws from list(G)."""
        return random.Random(sampling.seed).sample(range(self.n), sampling.sources)

    @cached_property
    def degree(self) -> np.ndarray:
        return (np.bincount(self.sources, minlength=self.n)
                + np.bincount(self.targets, minlength=self.n))

    @cached_property
    def upper(self) -> sp.csr_matrix:
        """The weighted adjacency matrix with each edge once, in the row of its source, and
        no self-loops. A projection's edges come sorted by source, so this is CSR at once,
        without the sort that building the symmetric matrix costs (as long as the solve
        itself at archive size); any other order goes through COO."""
        import scipy.sparse as sp

        keep = self.sources != self.targets
        rows, cols, weights = self.sources[keep], self.targets[keep], self.weights[keep]
        if len(rows) and not np.all(rows[1:] >= rows[:-1]):
            return sp.csr_matrix((weights, (rows, cols)), shape=(self.n, self.n))
        index = np.int32 if max(self.n, len(rows)) < 2**31 else np.int64
        indptr = np.zeros(self.n + 1, dtype=index)
        np.cumsum(np.bincount(rows, minlength=self.n), out=indptr[1:])
        return sp.csr_matrix((weights, cols.astype(index), indptr), shape=(self.n, self.n))

    @cached_property
    def membership(self) -> np.ndarray:
        """Component id per node, 1.. by size."""
        return self.kept("measure-component", lambda ids: pa.table({"value": ids}),
                         lambda table: table["value"].to_numpy(), self._components)

    def _components(self) -> np.ndarray:
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(self.upper, directed=False)
        return _numbered(labels, self.key_order)

    @cached_property
    def clustering(self) -> list[float]:
        return self.g.transitivity_local_undirected(mode="zero")

    def communities(self, seed: int) -> Communities:
        if seed not in self._communities:
            self._communities[seed] = self.kept(
                f"communities-seed{seed}", _communities_table, _communities_of,
                lambda: _communities(self, seed))
        return self._communities[seed]

    def source_pass(self, sampling: Sampling, kind: str) -> SourcePass:
        """A pass over the sampled sources, or over every node for an exact sampling."""
        if (sampling, kind) not in self._passes:
            self._passes[sampling, kind] = self.kept(
                f"pass-{kind}-{sampling.tag}", _pass_table, _pass_of,
                lambda: self._source_pass(sampling, kind))
        return self._passes[sampling, kind]

    def _source_pass(self, sampling: Sampling, kind: str) -> SourcePass:
        local, pos = self.local
        drawn = np.arange(self.n) if sampling.exact else np.array(self.drawn(sampling))
        wanted = (self.membership[drawn] == 1).tolist()
        found = _run_pass(local, pos[drawn].tolist(), wanted, kind, self.hooks)
        return SourcePass(kind, found.values[pos], found.paths)

    def kept(self, name: str, encode: Callable[[T], pa.Table], decode: Callable[[pa.Table], T],
             compute: Callable[[], T]) -> T:
        """compute(), or what the Disk kept under `name`; a fresh result is kept there."""
        table = self.disk.load_table(name) if self.disk else None
        if table is not None and table.num_rows == self.n:
            return decode(table)
        value = compute()
        if self.disk:
            self.disk.save_table(name, encode(value))
        return value


def sampling_for(n: int, k: int | None, seed: int) -> Sampling:
    if k is None:
        k = 0 if n <= EXACT_MAX_NODES else DEFAULT_K
    if k < 0 or k == 1:
        raise SamplingError(f"k must be 0 (exact) or at least 2 sampled sources, not {k}")
    if k == 0 or k >= n:
        return Sampling(exact=True)
    return Sampling(exact=False, k=k, seed=seed)


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

    network: Network = field(repr=False)
    columns: dict[str, list]
    sampling: Sampling
    communities: Communities | None

    @property
    def keys(self) -> tuple:
        return self.network.keys

    def rows(self) -> dict:
        names = list(self.columns)
        cols = [self.columns[m] for m in names]
        return {key: dict(zip(names, values)) for key, values in zip(self.keys, zip(*cols))}


def analyse(graph: Graph, *, k: int | None = None, seed: int = DEFAULT_SEED,
            measures: Sequence[str] = MEASURES) -> Analysis:
    net = Network.of(graph)
    check_measures(measures)
    sampling = net.sampling(k, seed)
    columns = {m: measure(net, m, sampling, seed) for m in measures}
    comms = net.communities(seed) if "community" in measures else None
    return Analysis(network=net, columns=columns, sampling=sampling, communities=comms)


def check_measures(measures: Sequence[str]) -> None:
    unknown = [m for m in measures if m not in _AUTHOR]
    if unknown:
        raise ArxivKGError(f"unknown measure {unknown[0]!r}; choose from {', '.join(MEASURES)}")


def measure(net: Network, name: str, sampling: Sampling, seed: int) -> list:
    """One per-author measure, one value per node in the network's order."""
    def compute() -> list:
        values = _AUTHOR[name](net, sampling, seed)
        return values.tolist() if isinstance(values, np.ndarray) else list(values)

    if name not in _KEPT:
        return compute()
    return net.kept(f"measure-{name}", lambda v: pa.table({"value": v}),
                    lambda t: t["value"].to_pylist(), compute)


def author_measures(graph: Graph, *, k: int | None = None, seed: int = DEFAULT_SEED) -> dict:
    """{node: {measure: value}} for every measure in MEASURES."""
    return analyse(graph, k=k, seed=seed).rows()


def annotate(graph: nx.Graph, measures: dict) -> nx.Graph:
    """Put each node's measures on it as attributes (for GraphML / GEXF exports)."""
    for node, values in measures.items():
        graph.nodes[node].update(values)
    return graph


# ---- per-author measures: each takes (network, sampling, seed) and returns one value per
# node, in the network's order

def _papers(net: Network, sampling: Sampling, seed: int) -> np.ndarray:
    return net.papers


def _degree(net: Network, sampling: Sampling, seed: int) -> np.ndarray:
    return net.degree


def _strength(net: Network, sampling: Sampling, seed: int) -> np.ndarray:
    return (np.bincount(net.sources, weights=net.weights, minlength=net.n)
            + np.bincount(net.targets, weights=net.weights, minlength=net.n))


def _pagerank(net: Network, sampling: Sampling, seed: int) -> np.ndarray:
    """networkx's PageRank (uniform teleport and dangling distribution), as the solution of a
    linear system rather than by power iteration: on an undirected graph,
    (I - a A D^-1) y = 1 becomes symmetric positive definite once scaled by D^-1/2, and the
    conjugate gradient solves it in ~50 sparse products where power iteration takes ~115;
    x = y / sum(y). Dangling (isolated) nodes keep y = 1. BLAS runs on one thread: its
    threads only spin at this size, and one thread gives the same sums on any machine.

    A v is U v + U^T v + (self-loops) v, U holding each edge once (Network.upper): this
    skips building the symmetric matrix, which cost as much as the solve at archive size."""
    n = net.n
    if n == 0:
        return np.zeros(0)
    from scipy.sparse.linalg import LinearOperator, cg
    from threadpoolctl import threadpool_limits

    loop = net.sources == net.targets
    loops = np.bincount(net.sources[loop], weights=net.weights[loop], minlength=n)
    strength = _strength(net, sampling, seed) - loops  # a self-loop counts once
    live = strength > 0
    root = np.sqrt(np.where(live, strength, 1.0))
    upper = _scaled(net.upper, root)
    lower = upper.T.tocsr()  # D^-1/2 U^T D^-1/2: the scaled upper triangle, transposed
    diagonal = loops / (root * root)
    system = LinearOperator((n, n), dtype=float,
                            matvec=lambda v: v - _DAMPING * (upper @ v + lower @ v + diagonal * v))
    with threadpool_limits(limits=1, user_api="blas"):
        z, failed = cg(system, np.where(live, 1 / root, 1.0), rtol=PAGERANK_RTOL, atol=0.0,
                       maxiter=PAGERANK_MAX_ITER)
    if failed:  # cannot happen for a damping below 1 (the system's condition is at most 12.3)
        raise ArxivKGError(f"PageRank did not converge in {PAGERANK_MAX_ITER} iterations")
    y = np.where(live, z * root, z)
    return y / y.sum()


def _scaled(matrix: sp.csr_matrix, root: np.ndarray) -> sp.csr_matrix:
    """D^-1/2 M D^-1/2, for D = root ** 2."""
    scaled = matrix.copy()
    scaled.data /= np.repeat(root, np.diff(scaled.indptr)) * root[scaled.indices]
    return scaled


def _eigenvector(net: Network, sampling: Sampling, seed: int) -> list[float]:
    if net.n == 0:
        return []
    values, top = _perron(net.g)
    # Only components whose largest strength reaches the top eigenvalue can share it (an
    # eigenvalue is at most the largest row sum); usually the giant component alone does.
    reach: dict[int, float] = {}
    for c, s in zip(net.membership.tolist(), _strength(net, sampling, seed).tolist()):
        reach[c] = max(reach.get(c, 0.0), s)
    tied = {c for c, s in reach.items() if s >= top * (1 - _TIE)}
    if len(tied) > 1:
        return _tied_eigenvector(net, tied)
    values = [x if c in tied and x > 0 else 0.0 for x, c in zip(values, net.membership.tolist())]
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
    for i, c in enumerate(net.membership.tolist()):
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


def _betweenness(net: Network, sampling: Sampling, seed: int) -> np.ndarray | list[float]:
    n = net.n
    if n <= 2:
        return [0.0] * n
    # igraph counts each unordered pair once (with every node a source too); networkx
    # normalises ordered pairs.
    exact_scale = 2 / ((n - 1) * (n - 2))
    if sampling.exact and n <= EXACT_MAX_NODES:
        return [b * exact_scale for b in net.g.betweenness(directed=False)]
    raw = net.source_pass(sampling, "betweenness").values
    if sampling.exact:
        return raw * exact_scale
    k = sampling.sources
    # networkx's rescaling for sampled sources: a source cannot lie inside its own paths.
    scales = np.full(n, 2 / (k * (n - 2)))
    scales[net.drawn(sampling)] = 2 / ((k - 1) * (n - 2))
    return raw * scales


def _harmonic(net: Network, sampling: Sampling, seed: int) -> np.ndarray | list[float]:
    n = net.n
    if n <= 1:
        return [0.0] * n
    if sampling.exact and n <= EXACT_MAX_NODES:
        return net.g.harmonic_centrality(normalized=True)
    found = net.source_pass(sampling, "distances").values
    if sampling.exact:
        return found / (n - 1)
    return found * (n / (sampling.sources * (n - 1)))


def _core(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return net.g.coreness()


def _clustering(net: Network, sampling: Sampling, seed: int) -> list[float]:
    return list(net.clustering)


def _component(net: Network, sampling: Sampling, seed: int) -> np.ndarray:
    return net.membership


def _community(net: Network, sampling: Sampling, seed: int) -> list[int]:
    return net.communities(seed).inner


_AUTHOR: dict[str, Callable[[Network, Sampling, int], Any]] = {
    "papers": _papers, "degree": _degree, "strength": _strength, "pagerank": _pagerank,
    "eigenvector": _eigenvector, "betweenness": _betweenness, "harmonic": _harmonic,
    "core": _core, "clustering": _clustering, "component": _component, "community": _community,
}


# ---- the pass over sources

def _run_pass(g: ig.Graph, sources: list[int], wanted: list[bool], kind: str, hooks: Hooks
              ) -> SourcePass:
    """One kind of pass (PASS_KINDS), chunk by chunk. The first chunk runs here and is timed,
    so that a long pass is announced with an estimate before the rest runs (on every CPU when
    it is large)."""
    chunks = [(sources[i:i + _CHUNK], wanted[i:i + _CHUNK], kind)
              for i in range(0, len(sources), _CHUNK)]
    if not chunks:
        return SourcePass(kind, np.zeros(g.vcount()))
    workers = _workers(len(sources) * (g.vcount() + g.ecount()), len(chunks))
    started = time.perf_counter()
    _set_graph(g)
    try:
        results = [_chunk_pass(chunks[0])]
    finally:
        _GRAPH.clear()
    _announce(hooks, time.perf_counter() - started, len(chunks), len(sources), workers)
    with _progress(hooks, len(sources)) as report:
        results.extend(_rest(g, chunks[1:], workers, report))
    values, paths = results[0]
    for more, more_paths in results[1:]:  # fixed order: the sums do not depend on the workers
        values = values + more
        paths = {**paths, **more_paths}
    return SourcePass(kind, values, paths)


def _rest(g: ig.Graph, chunks: list, workers: int, report: Report | None) -> Iterator:
    done = _CHUNK
    total = done + sum(len(c[0]) for c in chunks)
    if workers > 1:
        import multiprocessing  # here: a pool is for long passes, and its imports cost 0.1 s
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")  # children inherit g without pickling it
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_set_graph,
                                 initargs=(g,)) as pool:
            for chunk, result in zip(chunks, pool.map(_chunk_pass, chunks)):
                done += len(chunk[0])
                if report:
                    report(done, total)
                yield result
        return
    _set_graph(g)
    try:
        for chunk in chunks:
            yield _chunk_pass(chunk)
            done += len(chunk[0])
            if report:
                report(done, total)
    finally:
        _GRAPH.clear()


def _announce(hooks: Hooks, first: float, chunks: int, sources: int, workers: int) -> None:
    estimate = first * (chunks - 1) / workers
    if hooks.notice and estimate >= ESTIMATE_MIN_S:
        hooks.notice(f"path measures: {sources:,} breadth-first searches, about "
                     f"{_duration(estimate)} on {workers} CPU{'s' * (workers != 1)}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@contextlib.contextmanager
def _progress(hooks: Hooks, total: int) -> Iterator[Report | None]:
    if hooks.progress is None:
        yield None
        return
    with hooks.progress("breadth-first searches") as report:
        if report:
            report(min(_CHUNK, total), total)
        yield report


def _workers(work: int, chunks: int) -> int:
    import multiprocessing

    if work < PARALLEL_MIN_WORK or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, chunks))


_GRAPH: list[ig.Graph] = []  # the graph a (forked) worker computes on


def _set_graph(g: ig.Graph) -> None:
    _GRAPH[:] = [g]


def _chunk_pass(chunk: tuple[list[int], list[bool], str]
                ) -> tuple[np.ndarray, dict[int, tuple[int, int, int]]]:
    sources, wanted, kind = chunk
    g = _GRAPH[0]
    if kind == "betweenness":
        return np.asarray(g.betweenness(directed=False, sources=sources), dtype=np.float64), {}
    inverse = np.zeros(g.vcount())
    paths = {}
    for s, want, row in zip(sources, wanted, g.distances(source=sources)):
        hops = np.asarray(row, dtype=np.float64)
        with np.errstate(divide="ignore"):
            inverse = inverse + np.where(hops > 0, 1 / hops, 0.0)  # 1/inf is 0: unreachable
        if want:  # a giant-component source: the finite distances are the giant's
            reached = np.where(np.isfinite(hops), hops, -1.0)
            far = int(reached.argmax())
            paths[s] = (int(reached[far]), int(reached[reached > 0].sum()), far)
    return inverse, paths


def _communities(net: Network, seed: int) -> Communities:
    inner = _numbered(np.asarray(_leiden(net.g, seed), dtype=np.int64), net.key_order).tolist()
    sizes = Counter(inner)
    g = net.g
    return Communities(
        method=f"leiden (modularity, weighted, {LEIDEN_ITERATIONS} iterations, igraph)", seed=seed,
        inner=inner, count=len(sizes),
        singletons=sum(1 for s in sizes.values() if s == 1),
        modularity=g.modularity(inner, weights="weight") if g.ecount() else 0.0)


def _communities_table(comms: Communities) -> pa.Table:
    facts = {"method": comms.method, "seed": comms.seed, "count": comms.count,
             "singletons": comms.singletons, "modularity": comms.modularity}
    return pa.table({"community": comms.inner}).replace_schema_metadata(
        {"communities": orjson.dumps(facts)})


def _communities_of(table: pa.Table) -> Communities:
    facts = orjson.loads(table.schema.metadata[b"communities"])
    return Communities(inner=table["community"].to_pylist(), **facts)


def _pass_table(found: SourcePass) -> pa.Table:
    paths = [[s, *figures] for s, figures in sorted(found.paths.items())]
    return pa.table({"values": found.values}).replace_schema_metadata(
        {"kind": found.kind, "paths": orjson.dumps(paths)})


def _pass_of(table: pa.Table) -> SourcePass:
    meta = table.schema.metadata
    paths = {s: (ecc, total, far) for s, ecc, total, far in orjson.loads(meta[b"paths"])}
    return SourcePass(meta[b"kind"].decode(), table["values"].to_numpy(), paths)


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
    import igraph as ig

    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def _numbered(membership: np.ndarray, key_order: np.ndarray) -> np.ndarray:
    """Renumber groups 1.. by size descending, then by smallest key, so ids are stable."""
    if len(membership) == 0:
        return membership
    groups, at = compact(membership, int(membership.max()) + 1)
    sizes = np.bincount(at)
    smallest = np.full(len(groups), len(key_order), dtype=np.int64)
    np.minimum.at(smallest, at, key_order)
    ranked = np.lexsort((smallest, -sizes))
    number = np.empty(len(groups), dtype=np.int64)
    number[ranked] = np.arange(1, len(groups) + 1)
    return number[at]


def _sort_key(key: object) -> tuple[str, object]:
    # Node ids are author keys (str), but an arbitrary nx graph may mix types.
    return (type(key).__name__, key if isinstance(key, (str, int, float)) else str(key))


# ---- network-level measures

def component_sizes(graph: Graph) -> list[tuple[int, int]]:
    """(component size, number of components of that size), largest size first."""
    counts = Counter(Counter(Network.of(graph).membership.tolist()).values())
    return sorted(counts.items(), reverse=True)


class ComponentStats(TypedDict):
    components: int
    giant_nodes: int
    giant_share: float
    second_component_nodes: int


def component_stats(graph: Graph) -> ComponentStats:
    """Component count, giant component size and share, and the runner-up's size."""
    net = Network.of(graph)
    sizes = np.bincount(net.membership) if net.n else np.zeros(1, dtype=np.int64)
    giant = int(sizes[1]) if len(sizes) > 1 else 0
    return {"components": len(sizes) - 1, "giant_nodes": giant,
            "giant_share": giant / net.n if net.n else 0.0,
            "second_component_nodes": int(sizes[2]) if len(sizes) > 2 else 0}


def network_stats(graph: Graph, *, k: int | None = None, seed: int = DEFAULT_SEED
                  ) -> dict[str, object]:
    """Network-level figures, in reading order. Path lengths are those of the giant component:
    exact up to EXACT_MAX_NODES nodes, else estimated from the sampled sources inside it."""
    net = Network.of(graph)
    sampling = net.sampling(k, seed)
    name = f"stats-{sampling.tag}-seed{seed}"
    kept = net.disk.load_json(name) if net.disk else None
    if isinstance(kept, dict) and kept.get("nodes") == net.n:
        return kept
    stats = _network_stats(net, sampling, seed)
    if net.disk:
        net.disk.save_json(name, stats)
    return stats


def _network_stats(net: Network, sampling: Sampling, seed: int) -> dict[str, object]:
    n, m = net.n, len(net.sources)
    g = net.g
    stats: dict[str, object] = {
        "nodes": n, "edges": m,
        "density": 2 * m / (n * (n - 1)) if n > 1 else 0.0,
        "average_degree": 2 * m / n if n else 0.0,
        "degree_assortativity": _finite(g.assortativity_degree(directed=False)) if m else None,
        "average_clustering": math.fsum(net.clustering) / n if n else 0.0,
        "transitivity": _finite(g.transitivity_undirected()) if m else 0.0,
        "isolated_nodes": int((net.degree == 0).sum()),
    }
    stats.update(component_stats(net))
    stats.update(_path_stats(net, sampling))
    comms = net.communities(seed)
    stats.update({"community_method": comms.method, "community_seed": comms.seed,
                  "communities": comms.count, "community_singletons": comms.singletons,
                  "modularity": comms.modularity})
    return stats


def _path_stats(net: Network, sampling: Sampling) -> dict[str, object]:
    members = np.flatnonzero(net.membership == 1).tolist()
    giant = net.g.induced_subgraph(members) if len(members) < net.n else net.g
    out: dict[str, object] = {"giant_edges": giant.ecount()}
    if len(members) < 2:  # no path at all, or only the empty one
        return {**out, "path_method": "exact", "path_sources": None,
                "diameter": 0 if members else None,
                "average_path_length": 0.0 if members else None}
    small = len(members) <= EXACT_MAX_NODES
    paths = {} if small else net.source_pass(sampling, "distances").paths
    if not paths:  # small giant, or no sampled source fell inside the giant
        return {**out, "path_method": "exact", "path_sources": None,
                "diameter": giant.diameter(directed=False),
                "average_path_length": giant.average_path_length(directed=False)}
    ecc, _, far = max(paths.values())
    mean = sum(total for _, total, _ in paths.values()) / (len(paths) * (len(members) - 1))
    if sampling.exact:
        return {**out, "path_method": "exact", "path_sources": None, "diameter": ecc,
                "average_path_length": mean}
    # One more sweep from the farthest node seen tightens the diameter's lower bound.
    sweep = max(filter(math.isfinite, net.local[0].distances(source=[far])[0]))
    return {**out, "path_method": f"estimated from the {len(paths)} of {sampling.k} sampled "
            f"sources in the giant component (seed {sampling.seed}); diameter is a lower bound",
            "path_sources": len(paths), "diameter": int(max(ecc, sweep)),
            "average_path_length": mean}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None
