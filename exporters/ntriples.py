"""N-Triples exporter: RDF 1.1 N-Triples (W3C Recommendation, https://www.w3.org/TR/n-triples/).

One triple per line, grouped by subject and sorted by subject, then predicate, then object, as
`graph.rdf.mapping` produces them (see there for the vocabulary and for what the RDF mapping leaves
out). Literals escape ``\\``, ``"`` and every control character (``\\n``, ``\\t``, ``\\u0000``...);
everything else is raw UTF-8.

What N-Triples cannot carry: prefixes, comments, or any grouping: every triple repeats its
subject, which makes it the largest of the three RDF files. The akg: vocabulary's own
definitions are a separate file, ``graph.rdf.vocab_path()`` (vocab.ttl), exported with the data.

This module also holds what the three RDF writers share: `Renderer` (how one syntax writes the
subject stream) and `write_rdf`, which writes several syntaxes in a single pass over the
subjects, since computing the mapping costs as much as rendering one syntax.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import networkx as nx

from exporters.base import Exporter, ExportOptions
from graph.rdf import mapping as rdf

_FLUSH_BYTES = 1 << 20  # write in ~1 MB pieces: few syscalls, bounded memory


@dataclass(frozen=True)
class Renderer:
    """One RDF syntax: a header, one chunk of bytes per subject, a footer."""

    label: str
    header: bytes
    render: Callable[[str, list[rdf.Pair]], bytes]
    footer: bytes = b""


class _Output:
    def __init__(self, fh: BinaryIO, renderer: Renderer) -> None:
        self.fh, self.render = fh, renderer.render
        self.chunks: list[bytes] = [renderer.header]
        self.size = 0

    def add(self, subject: str, pairs: list[rdf.Pair]) -> None:
        chunk = self.render(subject, pairs)
        self.chunks.append(chunk)
        self.size += len(chunk)
        if self.size >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        self.fh.write(b"".join(self.chunks))
        self.chunks.clear()
        self.size = 0


def write_rdf(graph: nx.DiGraph, outputs: Sequence[tuple[BinaryIO, Renderer]],
              options: ExportOptions) -> None:
    """Write the KG in several RDF syntaxes at once, e.g. ``[(fh, turtle.renderer(options))]``."""
    targets = [_Output(fh, renderer) for fh, renderer in outputs]
    label = " + ".join(renderer.label for _, renderer in outputs)
    with options.progress(label) if options.progress else contextlib.nullcontext() as report:
        for subject, pairs in rdf.subjects(graph, options.base_iri, report):
            for target in targets:
                target.add(subject, pairs)
    for target, (_, renderer) in zip(targets, outputs):
        target.chunks.append(renderer.footer)
        target.flush()


def renderer(options: ExportOptions) -> Renderer:
    return Renderer("N-Triples", b"", lambda s, pairs: rdf.ntriples_block(s, pairs).encode("utf-8"))


def rdf_exporter(name: str, extension: str, media_type: str, description: str,
                 make_renderer: Callable[[ExportOptions], Renderer]) -> Exporter:
    """The Exporter of one RDF syntax: `write_rdf` with that syntax alone (KG only)."""

    def write(graph: nx.Graph, fh: BinaryIO, options: ExportOptions) -> None:
        write_rdf(graph, [(fh, make_renderer(options))], options)

    return Exporter(name=name, extension=extension, media_type=media_type,
                    graphs=frozenset({"kg"}), write=write, description=description,
                    renderer=make_renderer)


EXPORTER = rdf_exporter(
    "ntriples", "nt", "application/n-triples",
    "RDF 1.1 N-Triples: one sorted triple per line (schema.org, SKOS, dblp, akg:).", renderer)

write = EXPORTER.write  # every exporter module offers write(graph, fh, options)
