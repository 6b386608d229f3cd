"""The co-authorship projection: authors joined by their joint papers.

Nodes are author keys, sorted; an edge joins two authors with at least one joint paper. Edge
attribute ``papers`` is the number of joint papers and ``weight`` is either that count (full
counting) or Newman's fractional count, where a paper with n authors adds 1/(n-1) to each of
its pairs, so an author's strength equals the number of their multi-author papers. Fractional
weights are summed per paper size in ascending size order (each term count/(n-1) exact to the
last bit), so the same input always gives the same bits.

Papers with more than ``max_authors`` authors are left out (0 = no limit). The default, 50,
touches only consortium-style papers: on the cs.CV dev corpus the 99.9th percentile of team size
is 35 authors and 8 of 27,563 papers have more than 50, yet those 8 make 7% of all co-author
pair instances and 8.4% of the edges, and lift the top degree from 321 to 538. In the whole
archive the 184 papers above 50 authors make more than a third of all pairs (on our
archive-sized synthetic corpus the cap halves the edges, 3.4M to 1.8M, for 0.1% of papers).
Each such paper adds a clique of at least 1,275 edges that swamps degree, clustering, k-core
and eigenvector centrality of its members.

The projection runs over the KG's tables (authorships, papers for dates, categories) as
arrays: the filters select papers with Arrow compute, then each (paper, author) row is paired
with the later rows of its paper and the pair codes are sorted and counted with numpy, in
blocks of PAIR_BLOCK pairs so that memory follows the number of edges. That is the self-join
DuckDB, polars or scipy's B^T B would do, at a fifth of their CPU time on the archive (bench/
bench_analysis.py --engines). Before any pair is made they are counted: above ``max_pairs``
the projection stops with the largest papers named (one 10,000-author paper is 50M pairs).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.analysis.arrays import run_offsets, unique, unique_counts, unique_inverse
from graph.analysis.filters import COUNTINGS, DEFAULT_MAX_AUTHORS, FilterError, Filters
from graph.errors import ArxivKGError
from graph.model.records import Corpus, Paper

if TYPE_CHECKING:
    import igraph as ig
    import networkx as nx

__all__ = ["COUNTINGS", "DEFAULT_MAX_AUTHORS", "DEFAULT_MAX_PAIRS", "FilterError", "Filters",
           "Projection", "CorpusProjection", "Tables", "TooManyPairs", "project", "project_tables"]

# Pair instances (sum of n(n-1)/2 over the papers used) above which a projection is refused.
# Memory stays bounded by the blocks whatever the count; the bound is about time (about a
# second per 10M pairs) and about the edges a few huge papers make (each pair of a
# 10,000-author paper is an edge). The archive-sized corpus needs 2.2M with --max-authors 0.
DEFAULT_MAX_PAIRS = 100_000_000
_LARGEST_LISTED = 3


class TooManyPairs(ArxivKGError):
    """The filters select papers with more author pairs than the bound allows."""


@dataclass(frozen=True)
class Tables:
    """The columns a projection reads: papers (arxiv_id, published, primary_category),
    authorships (arxiv_id, author_key), authors (key, name, and kind unless organisations are
    included) and, for a category filter, categories (arxiv_id, category)."""

    papers: pa.Table
    authorships: pa.Table
    authors: pa.Table
    categories: pa.Table | None = None


@dataclass(frozen=True, eq=False)
class Projection:
    """The co-author network as arrays, plus the settings that made it.

    Node i is ``keys[i]`` (sorted); edge j joins ``sources[j] < targets[j]``, edges sorted by
    (source, target). ``paper_ids`` are the papers used, sorted. Keys and labels are held as
    Arrow strings and become Python tuples on first use (0.1 s for the archive's authors).
    """

    key_array: pa.Array
    label_array: pa.Array
    paper_counts: np.ndarray
    sources: np.ndarray
    targets: np.ndarray
    edge_papers: np.ndarray
    edge_weights: np.ndarray  # int64 for full counting, float64 for fractional
    paper_ids: pa.Array
    papers_left_out: int  # papers above max_authors
    papers_filtered_out: int  # papers outside the category / date filters
    filters: Filters

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.key_array.to_pylist())

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.label_array.to_pylist())

    def __len__(self) -> int:
        return len(self.key_array)

    @property
    def papers_used(self) -> int:
        return len(self.paper_ids)

    @property
    def edges(self) -> list[tuple[int, int]]:
        return list(zip(self.sources.tolist(), self.targets.tolist()))

    def settings(self) -> dict[str, object]:
        """The filters and counts a report should print beside its results."""
        return {**self.filters.as_dict(), "papers_used": self.papers_used,
                "papers_left_out": self.papers_left_out,
                "papers_filtered_out": self.papers_filtered_out}

    def to_networkx(self) -> nx.Graph:
        """A new networkx Graph: nodes are author keys with ``label`` and ``papers``, edges
        carry ``papers`` and ``weight``."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from((k, {"label": lab, "papers": n})
                         for k, lab, n in zip(self.keys, self.labels, self.paper_counts.tolist()))
        keys = self.keys
        g.add_edges_from((keys[a], keys[b], {"papers": p, "weight": w}) for a, b, p, w in zip(
            self.sources.tolist(), self.targets.tolist(), self.edge_papers.tolist(),
            self.edge_weights.tolist()))
        return g

    def to_igraph(self) -> ig.Graph:
        """A new igraph Graph in node order, with ``name``, ``label`` and ``papers`` on the
        vertices and ``papers`` and ``weight`` on the edges."""
        g = igraph_of(len(self.keys), self.sources, self.targets,
                      weight=self.edge_weights.tolist(), papers=self.edge_papers.tolist())
        g.vs["name"] = list(self.keys)
        g.vs["label"] = list(self.labels)
        g.vs["papers"] = self.paper_counts.tolist()
        return g

    @cached_property
    def graph(self) -> nx.Graph:
        """The networkx Graph, built once (see to_networkx)."""
        return self.to_networkx()


def igraph_of(n: int, sources: np.ndarray, targets: np.ndarray, **edge_attributes: list
              ) -> ig.Graph:
    """An undirected igraph Graph on n nodes from edge arrays. igraph copies edges through
    Python objects (about 1 s per million edges), so callers build it only when needed."""
    import igraph as ig

    g = ig.Graph(n=n, edges=list(zip(sources.tolist(), targets.tolist())))
    for name, values in edge_attributes.items():
        g.es[name] = values
    return g


@dataclass(frozen=True, eq=False)
class CorpusProjection(Projection):
    """A projection of a Corpus held in memory, which keeps the papers it used."""

    papers: tuple[Paper, ...] = ()

    def joint_papers(self, a: str, b: str) -> list[Paper]:
        """Papers (of those used) that both authors signed, in corpus order."""
        return [p for p in self.papers if a in p.authors and b in p.authors]


def project(corpus: Corpus, *, max_pairs: int = DEFAULT_MAX_PAIRS, **filters: Any
            ) -> CorpusProjection:
    """Project a Corpus held in memory onto its authors (the exporters' entry point)."""
    proj = project_tables(corpus_tables(corpus), Filters(**filters), max_pairs=max_pairs)
    used = set(proj.paper_ids.to_pylist())
    fields = {name: getattr(proj, name) for name in Projection.__dataclass_fields__}
    return CorpusProjection(**fields, papers=tuple(p for p in corpus.papers if p.arxiv_id in used))


def corpus_tables(corpus: Corpus) -> Tables:
    papers = corpus.papers
    stamps = pa.array([p.published for p in papers], pa.string()).cast(pa.timestamp("us", "UTC"))
    return Tables(
        papers=pa.table({"arxiv_id": [p.arxiv_id for p in papers], "published": stamps,
                         "primary_category": [p.primary_category for p in papers]}),
        authorships=pa.table({"arxiv_id": [p.arxiv_id for p in papers for _ in p.authors],
                              "author_key": [k for p in papers for k in p.authors]},
                             schema=_AUTHORSHIPS),
        authors=pa.table({"key": list(corpus.authors), "name": [a.name for a in corpus.authors.values()],
                          "kind": [a.kind for a in corpus.authors.values()]}, schema=_AUTHORS),
        categories=pa.table({"arxiv_id": [p.arxiv_id for p in papers for _ in p.categories],
                             "category": [c for p in papers for c in p.categories]},
                            schema=_CATEGORIES))


_AUTHORSHIPS = pa.schema([("arxiv_id", pa.string()), ("author_key", pa.string())])
_AUTHORS = pa.schema([("key", pa.string()), ("name", pa.string()), ("kind", pa.string())])
_CATEGORIES = pa.schema([("arxiv_id", pa.string()), ("category", pa.string())])


def project_tables(tables: Tables, filters: Filters, *, max_pairs: int = DEFAULT_MAX_PAIRS
                   ) -> Projection:
    """Project the tables onto their authors; max_pairs 0 lifts the bound on pairs."""
    ids = tables.papers["arxiv_id"].combine_chunks()
    selected = _selected(tables, filters)
    paper, author, keys = _incidence(ids, tables.authorships)
    if not filters.include_organisations:
        person = ~_mask(pc.is_in(keys, value_set=_organisations(tables.authors)))[author]
        paper, author = paper[person], author[person]
    size = np.bincount(paper, minlength=len(ids))  # distinct authors per paper
    used = selected & ((size <= filters.max_authors) if filters.max_authors else True)
    rows = used[paper]
    paper, author = paper[rows], author[rows]
    counts = np.bincount(author, minlength=len(keys))
    is_node = counts >= max(filters.min_papers, 1)
    node_of = np.cumsum(is_node) - 1  # author index -> node index
    members = is_node[author]
    paper, node = paper[members], node_of[author[members]]
    _check_pairs(paper, ids, max_pairs)
    n = int(is_node.sum())
    codes, joint, weights = _pairs(paper, node, n, size, filters.fractional)
    node_keys = keys.filter(pa.array(is_node))
    return Projection(
        key_array=node_keys, label_array=_labels(node_keys, tables.authors),
        paper_counts=counts[is_node].astype(np.int64),
        sources=(codes // max(n, 1)).astype(np.int32), targets=(codes % max(n, 1)).astype(np.int32),
        edge_papers=joint, edge_weights=weights, paper_ids=ids.filter(pa.array(used)),
        papers_left_out=int((selected & ~used).sum()),
        papers_filtered_out=len(ids) - int(selected.sum()), filters=filters)


def _selected(tables: Tables, f: Filters) -> np.ndarray:
    """Papers inside the category and date filters, as a mask over the papers table."""
    papers = tables.papers
    mask = np.ones(papers.num_rows, dtype=bool)
    start, end = f.period()
    published = papers["published"]
    if start is not None:
        mask &= _mask(pc.greater_equal(published, pa.scalar(start, published.type)))
    if end is not None:
        mask &= _mask(pc.less(published, pa.scalar(end, published.type)))
    if f.category is not None:
        in_category = _mask(pc.equal(papers["primary_category"], f.category))
        if not f.primary_only and tables.categories is not None:
            cats = tables.categories
            listed = cats.filter(pc.equal(cats["category"], f.category))["arxiv_id"]
            in_category |= _mask(pc.is_in(papers["arxiv_id"], value_set=listed.combine_chunks()))
        mask &= in_category
    return mask


def _organisations(authors: pa.Table) -> pa.Array:
    """Keys of the authors that are organisations (none in a table without kinds)."""
    if "kind" not in authors.column_names:
        return pa.array([], pa.string())
    return authors.filter(pc.equal(authors["kind"], "organisation"))["key"].combine_chunks()


def _mask(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _incidence(ids: pa.Array, authorships: pa.Table) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Distinct (paper, author) rows, sorted, and the sorted author keys they index."""
    paper_of, papers = _encoded(authorships["arxiv_id"])
    author_of, keys = _encoded(authorships["author_key"])
    at = pc.fill_null(pc.index_in(papers, value_set=ids), -1).to_numpy(zero_copy_only=False)
    order = pc.array_sort_indices(keys).to_numpy().astype(np.int64)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    paper_idx = at[paper_of].astype(np.int64)
    known = paper_idx >= 0  # an authorship of a paper the papers table lacks counts nowhere
    width = max(len(order), 1)
    codes = unique(paper_idx[known] * width + rank[author_of[known]])
    return codes // width, codes % width, keys.take(pa.array(order))


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(index of each row's value, the distinct values) of a string column. The KG's tables
    are read dictionary-encoded (Parquet keeps them so), which spares hashing every row."""
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column.combine_chunks())
    column = pa.table({"c": column}).unify_dictionaries()["c"]
    if column.num_chunks == 0:
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    indices = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return np.concatenate(indices).astype(np.int64), column.chunk(0).dictionary


def _labels(keys: pa.Array, authors: pa.Table) -> pa.Array:
    at = pc.index_in(keys, value_set=authors["key"].combine_chunks())
    names = authors["name"].combine_chunks().take(at)
    return pc.if_else(pc.is_null(names), keys, names)


def _check_pairs(paper: np.ndarray, ids: pa.Array, max_pairs: int) -> None:
    members = np.bincount(paper, minlength=len(ids)).astype(np.int64)
    pairs = int((members * (members - 1) // 2).sum())
    if not max_pairs or pairs <= max_pairs:
        return
    largest = np.argsort(-members, kind="stable")[:_LARGEST_LISTED]
    named = ", ".join(f"{ids[int(i)].as_py()} ({members[i]:,} authors)" for i in largest)
    raise TooManyPairs(f"the co-author network needs {pairs:,} author pairs, more than the bound "
                       f"of {max_pairs:,}; the largest papers: {named}; leave such papers out "
                       f"with --max-authors, or raise the bound with --max-pairs {pairs}")


def _pairs(paper: np.ndarray, node: np.ndarray, n: int, size: np.ndarray, fractional: bool
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge codes (a*n + b, a < b, sorted), joint papers and weights per edge."""
    if not fractional:
        codes, joint = _joint(paper, node, n)
        return codes, joint, joint
    sizes = size[paper]
    parts = [(s, *_joint(paper[sizes == s], node[sizes == s], n))
             for s in np.flatnonzero(np.bincount(sizes)) if s > 1]  # ascending paper size
    if not parts:
        return _joint(paper, node, n) + (np.zeros(0),)
    codes = np.concatenate([c for _, c, _ in parts])
    counts = np.concatenate([j for _, _, j in parts])
    terms = np.concatenate([j / (s - 1) for s, _, j in parts])
    edges, at = unique_inverse(codes)
    weights = np.zeros(len(edges))
    np.add.at(weights, at, terms)  # unbuffered, in array order: ascending size per edge
    return edges, np.bincount(at, weights=counts).astype(np.int64), weights


def _joint(paper: np.ndarray, node: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, joint papers) of the pairs among (paper, node) rows sorted by paper, then node.

    Each row is paired with the later rows of its paper, so every pair comes out once with
    a < b; the codes are then sorted and counted, a block of at most PAIR_BLOCK pairs at a
    time so that memory follows the edges, not the pair instances."""
    later = _later_rows(paper)
    ends = np.cumsum(later)
    blocks = [unique_counts(_expand(node, later, lo, hi, n)) for lo, hi in _blocks(ends)]
    if len(blocks) == 1:
        return blocks[0]
    codes, at = unique_inverse(np.concatenate([c for c, _ in blocks]))
    return codes, np.bincount(at, weights=np.concatenate([j for _, j in blocks])).astype(np.int64)


PAIR_BLOCK = 1 << 23  # pair instances expanded at once: ~300 MB of arrays at the most


def _later_rows(paper: np.ndarray) -> np.ndarray:
    """For each row, how many rows of the same paper follow it."""
    if len(paper) == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.ones(len(paper), dtype=bool)
    first[1:] = paper[1:] != paper[:-1]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, len(paper)))
    return np.repeat(starts + sizes, sizes) - np.arange(len(paper)) - 1


def _blocks(ends: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges whose pairs number PAIR_BLOCK or fewer (or one row's, if more)."""
    out, lo, done = [], 0, 0
    while lo < len(ends):
        hi = max(int(np.searchsorted(ends, done + PAIR_BLOCK, side="right")), lo + 1)
        out.append((lo, hi))
        lo, done = hi, int(ends[hi - 1])
    return out or [(0, 0)]


def _expand(node: np.ndarray, later: np.ndarray, lo: int, hi: int, n: int) -> np.ndarray:
    """Codes a*n + b of the pairs that rows lo..hi start."""
    counts = later[lo:hi]
    first = np.repeat(np.arange(lo, hi), counts)
    return node[first] * n + node[first + run_offsets(counts) + 1]
