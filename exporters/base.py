"""What every exporter module provides, and the options they share."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import networkx as nx

from graph.rdf.mapping import DEFAULT_BASE_IRI

T = TypeVar("T")
Report = Callable[[int, int], None]  # (done, total)
# Progress belongs to the caller (the CLI draws it): a factory of report(done, total)
# callbacks by label, such as arxiv_kg.progress.progress_reports without its quiet flag.
ProgressFactory = Callable[[str], contextlib.AbstractContextManager[Report | None]]
_REPORT_EVERY = 1000


@dataclass(frozen=True)
class ExportOptions:
    base_iri: str = DEFAULT_BASE_IRI
    size_by: str = "pagerank"  # node measure that sets viz:size in GEXF
    color_by: str = "type"  # "type" or "community"
    progress: ProgressFactory | None = None


# What a writer takes: a networkx graph, or for the RDF syntaxes (those with a renderer) the
# KG folder, whose tables they stream (exporters.rdf).
ExportSource = nx.Graph | Path
Writer = Callable[[Any, BinaryIO, ExportOptions], None]


@dataclass(frozen=True)
class Exporter:
    name: str
    extension: str
    media_type: str
    graphs: frozenset[str]  # which graphs it can write: "kg", "coauthors"
    write: Writer
    description: str
    # RDF syntaxes also offer a per-subject renderer, so that several of them can be
    # written in one pass over the KG's subjects (exporters.rdf.write_rdf).
    renderer: Callable[[ExportOptions], Any] | None = None


def tracked(items: Iterable[T], *, total: int, label: str, options: ExportOptions) -> Iterator[T]:
    """Yield `items`, reporting progress through `options.progress` (if any)."""
    with options.progress(label) if options.progress else contextlib.nullcontext() as report:
        if report is None:
            yield from items
            return
        done = 0
        for done, item in enumerate(items, 1):
            yield item
            if done % _REPORT_EVERY == 0:
                report(done, total)
        report(done, total)
