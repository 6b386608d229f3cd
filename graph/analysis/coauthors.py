"""The co-author network of a KG folder under a set of filters, and what is asked of it:
measures, network figures, components, ego networks and chains of joint papers.

``open_coauthors`` answers from the KG's cache (graph.analysis.cache) when the same filters
were projected before, else projects the Parquet tables and keeps the result there. Measures
go through the same cache (measures.Network.disk), so each is computed once per KG.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.analysis import measures as metrics
from graph.analysis.arrays import first_positions, run_offsets
from graph.analysis.cache import Cache, entry_key
from graph.analysis.filters import Filters
from graph.analysis.projection import (
    DEFAULT_MAX_PAIRS,
    CorpusProjection,
    Projection,
    Tables,
    project_tables,
)
from graph.tables.persist import read_table

if TYPE_CHECKING:
    import igraph as ig
    import networkx as nx

    from graph.analysis.lookup import AuthorIndex

_NODES = pa.schema([("key", pa.string()), ("label", pa.string()), ("papers", pa.int64())])


def read_tables(kg_dir: str | Path, filters: Filters) -> Tables:
    """The columns a projection with these filters reads from the KG folder."""
    return Tables(
        papers=read_table(kg_dir, "papers", ["arxiv_id", "published", "primary_category"]),
        authorships=read_table(kg_dir, "authorships", ["arxiv_id", "author_key"],
                               dictionary=True),
        authors=read_table(kg_dir, "authors",
                           ["key", "name"] if filters.include_organisations else ["key", "name", "kind"]),
        categories=(read_table(kg_dir, "categories", ["arxiv_id", "category"])
                    if filters.category is not None and not filters.primary_only else None))


@dataclass(frozen=True)
class CacheEntry:
    """One projection's folder in the cache: the Disk a measures.Network keeps results on."""

    cache: Cache
    key: str

    def load_table(self, name: str) -> pa.Table | None:
        return self.cache.read_table(self.key, name)

    def save_table(self, name: str, table: pa.Table) -> None:
        self.cache.write_table(self.key, name, table)

    def load_json(self, name: str) -> Any:
        return self.cache.read_json(self.key, name)

    def save_json(self, name: str, obj: Any) -> None:
        self.cache.write_json(self.key, name, obj)


def open_coauthors(kg_dir: str | Path, filters: Filters, *, cache: Cache,
                   hooks: metrics.Hooks = metrics.Hooks(),
                   max_pairs: int = DEFAULT_MAX_PAIRS) -> Coauthors:
    entry = CacheEntry(cache, entry_key({"projection": filters.as_dict()}))
    proj = _load(entry, filters)
    if proj is None:
        proj = project_tables(read_tables(kg_dir, filters), filters, max_pairs=max_pairs)
        _save(entry, proj)
    names = CacheEntry(cache, entry_key({"names": "folded"}))
    return Coauthors(proj, kg_dir=kg_dir, disk=entry, names=names, hooks=hooks)


def _save(entry: CacheEntry, proj: Projection) -> None:
    entry.save_table("nodes", pa.table({"key": proj.key_array, "label": proj.label_array,
                                        "papers": proj.paper_counts}, schema=_NODES))
    edges = {"source": proj.sources, "target": proj.targets,
             "papers": proj.edge_papers.astype(np.int32)}
    if proj.filters.fractional:  # with full counting the weight is the joint papers
        edges["weight"] = proj.edge_weights
    entry.save_table("edges", pa.table(edges))
    entry.save_table("papers", pa.table({"arxiv_id": proj.paper_ids}))
    entry.save_json("projection", {"papers_left_out": proj.papers_left_out,  # written last
                                   "papers_filtered_out": proj.papers_filtered_out})


def _load(entry: CacheEntry, filters: Filters) -> Projection | None:
    meta = entry.load_json("projection")
    if not isinstance(meta, dict):
        return None
    nodes, edges, papers = (entry.load_table(n) for n in ("nodes", "edges", "papers"))
    if nodes is None or edges is None or papers is None:
        return None
    joint = _numpy(edges["papers"]).astype(np.int64)
    return Projection(
        key_array=nodes["key"].combine_chunks(), label_array=nodes["label"].combine_chunks(),
        paper_counts=_numpy(nodes["papers"]), sources=_numpy(edges["source"]),
        targets=_numpy(edges["target"]), edge_papers=joint,
        edge_weights=_numpy(edges["weight"]) if filters.fractional else joint,
        paper_ids=papers["arxiv_id"].combine_chunks(),
        papers_left_out=meta["papers_left_out"],
        papers_filtered_out=meta["papers_filtered_out"], filters=filters)


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    return column.combine_chunks().to_numpy()


@dataclass(frozen=True)
class Ego:
    """An author's ego network: who is within `depth` steps, and its size."""

    author: int  # node index
    depth: int
    members: np.ndarray  # node indices within depth, the author included
    distances: np.ndarray  # per member
    edges: int  # edges among the members


class Coauthors:
    """A co-author network with its measures. ``projection`` holds the arrays; ``to_networkx``
    and ``to_igraph`` give graphs; ``measures``, ``stats`` and the rest compute on demand."""

    def __init__(self, projection: Projection, *, kg_dir: str | Path | None = None,
                 disk: metrics.Disk | None = None, names: metrics.Disk | None = None,
                 hooks: metrics.Hooks = metrics.Hooks()) -> None:
        self.projection = projection
        self.kg_dir = kg_dir
        self._disk = disk  # this projection's cache entry
        self._names = names  # the KG's entry for the folded names
        self._hooks = hooks

    def __len__(self) -> int:
        return len(self.projection)

    def to_networkx(self) -> nx.Graph:
        return self.projection.to_networkx()

    def to_igraph(self) -> ig.Graph:
        return self.projection.to_igraph()

    def nodes(self) -> pa.Table:
        """key, name and papers of every author in the network."""
        proj = self.projection
        return pa.table({"key": proj.key_array, "name": proj.label_array,
                         "papers": proj.paper_counts})

    def edges(self) -> pa.Table:
        """One row per co-author pair: both keys, joint papers and weight."""
        proj = self.projection
        keys = proj.key_array
        return pa.table({"source": keys.take(proj.sources), "target": keys.take(proj.targets),
                         "papers": proj.edge_papers, "weight": proj.edge_weights})

    @cached_property
    def network(self) -> metrics.Network:
        net = metrics.Network.of(self.projection)
        net.disk = self._disk
        net.hooks = self._hooks
        return net

    def sampling(self, k: int | None, seed: int) -> metrics.Sampling:
        return self.network.sampling(k, seed)

    def measures(self, names: Sequence[str] = metrics.DEFAULT_COLUMNS, *, k: int | None = None,
                 seed: int = metrics.DEFAULT_SEED) -> metrics.Analysis:
        """The named per-author measures (see graph.analysis.measures), each computed once."""
        return metrics.analyse(self.network, k=k, seed=seed, measures=names)

    def measures_table(self, names: Sequence[str] = metrics.DEFAULT_COLUMNS, *,
                       k: int | None = None, seed: int = metrics.DEFAULT_SEED) -> pa.Table:
        """key, name and the named measures as an Arrow table (``.to_pandas()`` for pandas)."""
        columns = self.measures(names, k=k, seed=seed).columns
        table = self.nodes().select(["key", "name"])
        for name, values in columns.items():
            table = table.append_column(name, pa.array(values))
        return table

    def stats(self, *, k: int | None = None, seed: int = metrics.DEFAULT_SEED) -> dict[str, object]:
        return metrics.network_stats(self.network, k=k, seed=seed)

    def largest_components(self, top: int) -> list[dict[str, object]]:
        """The `top` largest components (0: all): id, size and their best-published author."""
        membership = self.network.membership
        if not len(membership):
            return []
        papers = self.projection.paper_counts
        # per component, the first node with the most papers
        order = np.lexsort((np.arange(len(membership)), -papers, membership))
        firsts = order[np.r_[True, np.diff(membership[order]) != 0]]
        sizes = np.bincount(membership)
        chosen = firsts[:top] if top else firsts
        return [{"component": int(membership[i]), "size": int(sizes[membership[i]]),
                 "example": self.projection.labels[i]} for i in chosen]

    @cached_property
    def _authors(self) -> AuthorIndex:
        # imported here: the name rules bring ftfy, 0.2 s that most commands need not pay
        from graph.analysis.lookup import AuthorIndex, folded_forms

        if self.kg_dir is None:
            raise ValueError("name look-up needs the KG folder")
        table = read_table(self.kg_dir, "authors", ["key", "name", "spellings", "papers"])
        forms = self._names.load_table("names") if self._names else None
        if forms is None:  # folding every spelling once per KG: 0.5 s at archive scale
            forms = folded_forms(table)
            if self._names:
                self._names.save_table("names", forms)
        return AuthorIndex(table, forms)

    def find(self, name: str) -> int:
        """The node index of the author `name` names (see graph.analysis.lookup)."""
        keys = self.projection.key_array
        at = pc.index(keys, name).as_py()  # a key as typed: no look-up needed
        return at if at >= 0 else pc.index(keys, self._authors.find(name, among=keys)).as_py()

    @cached_property
    def _codes(self) -> np.ndarray:
        """Edge j as a * n + b: sorted, as the edges are, so an edge is found by bisection."""
        proj = self.projection
        return proj.sources.astype(np.int64) * len(proj) + proj.targets

    @cached_property
    def _neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """Every node's neighbours as CSR arrays (indptr, indices). Made here with one sort,
        and kept: scipy.sparse and its graph routines take 0.6 s to import, a third of what
        `coauthors` and `path` may take."""
        proj = self.projection
        ends = np.concatenate([proj.sources, proj.targets])
        indptr = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=len(self)), out=indptr[1:])
        kept = self._disk.load_table("neighbours") if self._disk else None
        if kept is not None and kept.num_rows == len(ends):
            return indptr, _numpy(kept["node"])
        others = np.concatenate([proj.targets, proj.sources])[np.argsort(ends, kind="stable")]
        if self._disk:
            self._disk.save_table("neighbours", pa.table({"node": others}))
        return indptr, others

    def _step(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(from, to) for every edge out of the frontier's nodes, frontier order kept."""
        indptr, indices = self._neighbours
        starts, counts = indptr[frontier], indptr[frontier + 1] - indptr[frontier]
        return np.repeat(frontier, counts), indices[np.repeat(starts, counts) + run_offsets(counts)]

    def _search(self, start: int, depth: int | None = None, goal: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Breadth-first search: (distance, parent) per node, -1 where not reached; stops at
        `depth` steps or once `goal` is reached. A node's parent is the first in frontier
        order that reaches it, so the chains are the same every run."""
        distance = np.full(len(self), -1, dtype=np.int64)
        parent = np.full(len(self), -1, dtype=np.int64)
        distance[start] = 0
        frontier, step = np.array([start]), 0
        while len(frontier) and (depth is None or step < depth) and (
                goal is None or distance[goal] < 0):
            step += 1
            sources, reached = self._step(frontier)
            new = distance[reached] < 0
            sources, reached = sources[new], reached[new]
            first = first_positions(reached)
            frontier = reached[first]
            distance[frontier], parent[frontier] = step, sources[first]
        return distance, parent

    def ego(self, author: int, depth: int) -> Ego:
        """Everyone within `depth` steps of `author`."""
        distance, _ = self._search(author, depth=depth)
        members = np.flatnonzero(distance >= 0)
        inside = distance >= 0
        proj = self.projection
        edges = int((inside[proj.sources] & inside[proj.targets]).sum())
        return Ego(author, depth, members, distance[members], edges)

    def edge_between(self, a: int, b: int) -> int | None:
        """The index of the edge joining nodes a and b, if any."""
        code = min(a, b) * len(self) + max(a, b)
        at = int(np.searchsorted(self._codes, code))
        return at if at < len(self._codes) and self._codes[at] == code else None

    def degree(self, node: int) -> int:
        indptr, _ = self._neighbours
        return int(indptr[node + 1] - indptr[node])

    def chain(self, a: int, b: int) -> list[int]:
        """One shortest chain of co-authors from a to b (empty when they are not connected)."""
        distance, parent = self._search(a, goal=b)
        if distance[b] < 0:
            return []
        chain = [b]
        while chain[-1] != a:
            chain.append(int(parent[chain[-1]]))
        return chain[::-1]

    def joint_papers(self, chain: Sequence[int]) -> list[tuple[str, str] | None]:
        """For each step of the chain, the first joint paper (arXiv ID, title) of that author
        and the next one, among the papers used; None after the last."""
        keys = [self.projection.keys[i] for i in chain]
        if isinstance(self.projection, CorpusProjection):
            firsts = [self.projection.joint_papers(a, b)[:1] for a, b in zip(keys, keys[1:])]
            found = [(p[0].arxiv_id, p[0].title) if p else None for p in firsts]
        else:
            found = self._joint_from_tables(keys)
        return found + [None] if chain else []

    def _joint_from_tables(self, keys: list[str]) -> list[tuple[str, str] | None]:
        if len(keys) < 2 or self.kg_dir is None:
            return []
        rows = read_table(self.kg_dir, "authorships", ["arxiv_id", "author_key"], dictionary=True)
        rows = rows.filter(pc.is_in(rows["author_key"], value_set=pa.array(keys)))
        rows = rows.cast(pa.schema([("arxiv_id", pa.string()), ("author_key", pa.string())]))
        rows = rows.filter(pc.is_in(rows["arxiv_id"], value_set=self.projection.paper_ids))
        papers: dict[str, set[str]] = {}
        for paper, key in zip(rows["arxiv_id"].to_pylist(), rows["author_key"].to_pylist()):
            papers.setdefault(key, set()).add(paper)
        firsts = [min(papers.get(a, set()) & papers.get(b, set()), default=None)
                  for a, b in zip(keys, keys[1:])]
        titles = self._titles([p for p in firsts if p is not None])
        return [(p, titles[p]) if p is not None else None for p in firsts]

    def _titles(self, ids: list[str]) -> dict[str, str]:
        if not ids or self.kg_dir is None:
            return {}
        papers = read_table(self.kg_dir, "papers", ["arxiv_id", "title"])
        papers = papers.filter(pc.is_in(papers["arxiv_id"], value_set=pa.array(ids)))
        return dict(zip(papers["arxiv_id"].to_pylist(), papers["title"].to_pylist()))
