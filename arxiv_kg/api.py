"""The Python API: a KG folder opened for a notebook, and what the CLI commands are made of.

    import arxiv_kg

    kg = arxiv_kg.open("out")
    kg.table("papers").to_pandas()                          # any table, as Arrow or pandas
    net = kg.coauthors(since="2020", max_authors=0)         # the co-author network
    net.measures_table(["pagerank", "betweenness"])         # per-author measures, as Arrow
    net.to_networkx(), net.to_igraph()                      # the graph for other libraries
    kg.sparql("SELECT ?t { ?p schema:name ?t } LIMIT 3")    # the embedded SPARQL store
    kg.rdflib_graph()                                       # rdflib over that store

The KG's current generation is resolved once, when it is opened: a build or update published
meanwhile is seen by the next ``open``, never half-way (``kg.generation`` names the one read).
Projections and measures are kept in that generation's ``cache/`` (see graph.analysis.cache)
unless the KG is opened with ``cache=False``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from graph.analysis import measures as metrics
from graph.analysis.cache import Cache
from graph.analysis.coauthors import Coauthors, open_coauthors
from graph.analysis.filters import Filters
from graph.analysis.projection import DEFAULT_MAX_PAIRS
from graph.errors import KGNotFound
from graph.generations import open_kg
from graph.tables.persist import SUMMARY, read_table
from graph.tables.schema import TABLES

if TYPE_CHECKING:
    import pyarrow as pa
    import rdflib

    from graph.rdf.store import QueryResult


class KG:
    """A knowledge-graph folder written by `arxiv-kg build`, read at one generation."""

    def __init__(self, path: str | Path, *, cache: bool = True,
                 warn: Callable[[str], None] | None = None,
                 hooks: metrics.Hooks = metrics.Hooks()) -> None:
        self.folder = Path(path)
        self._generation = open_kg(self.folder)  # a shared lock keeps it until close()
        self.path = self._generation.path  # every read goes here
        self.cache = Cache(self.path, enabled=cache, warn=warn)
        self.hooks = hooks
        self._networks: dict[tuple[Filters, int], Coauthors] = {}

    def __repr__(self) -> str:
        return f"KG({str(self.folder)!r}, generation={self.generation!r})"

    def __enter__(self) -> KG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let writers remove this generation once it is no longer current."""
        self.cache.flush()
        self._generation.close()

    @property
    def generation(self) -> str:
        """The generation read (``g000003``)."""
        return self._generation.name

    @property
    def manifest(self) -> dict[str, Any]:
        """The generation's manifest: files, settings, inputs, exports (fresh or stale), store."""
        return self._generation.manifest

    @property
    def tables(self) -> tuple[str, ...]:
        """The names of the tables in the folder (see graph.tables.schema)."""
        return tuple(name for name, t in TABLES.items() if (self.path / t.file).is_file())

    def table(self, name: str, columns: Sequence[str] | None = None) -> pa.Table:
        """One table as Arrow (``.to_pandas()`` gives pandas); `columns` reads only those."""
        if name not in TABLES:
            raise KGNotFound(f"no table {name!r}; tables: {', '.join(TABLES)}")
        return read_table(self.path, name, list(columns) if columns else None)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The counts `build` wrote to summary.json."""
        path = self.path / SUMMARY
        return orjson.loads(path.read_bytes()) if path.is_file() else {}

    def coauthors(self, *, max_pairs: int = DEFAULT_MAX_PAIRS, **filters: Any) -> Coauthors:
        """The co-author network under `filters` (counting, max_authors, category,
        primary_only, since, until, min_papers; see graph.analysis.filters)."""
        chosen = Filters(**filters)
        if (chosen, max_pairs) not in self._networks:
            self._networks[chosen, max_pairs] = open_coauthors(
                self.path, chosen, cache=self.cache, hooks=self.hooks, max_pairs=max_pairs)
        return self._networks[chosen, max_pairs]

    def measures(self, *names: str, k: int | None = None, seed: int = metrics.DEFAULT_SEED,
                 **filters: Any) -> pa.Table:
        """Per-author measures of the co-author network as an Arrow table: key, name and one
        column per measure (default: the cheap ones, graph.analysis.measures.DEFAULT_COLUMNS)."""
        return self.coauthors(**filters).measures_table(names or metrics.DEFAULT_COLUMNS,
                                                        k=k, seed=seed)

    def sparql(self, query: str, *, timeout_s: float | None = None,
               limit: int | None = None) -> QueryResult:
        """A read-only SPARQL query on the KG's store (common prefixes predefined)."""
        from graph.rdf.store import run_query

        return run_query(self._store, query, timeout_s=timeout_s, limit=limit)

    def rdflib_graph(self) -> rdflib.Graph:
        """An rdflib Graph over the KG's Oxigraph store (read-only), via oxrdflib: rdflib's
        API without loading the triples into Python."""
        import rdflib
        from oxrdflib import OxigraphStore
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        return rdflib.Graph(store=OxigraphStore(store=self._store),
                            identifier=DATASET_DEFAULT_GRAPH_ID)

    @cached_property
    def _store(self) -> Any:
        from graph.rdf.store import open_store

        return open_store(self.path)


def open(path: str | Path = "out", *, cache: bool = True) -> KG:  # noqa: A001 (the API's name)
    """Open a KG folder written by `arxiv-kg build`."""
    return KG(path, cache=cache)
