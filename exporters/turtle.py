"""Turtle exporter: RDF 1.1 Turtle (W3C Recommendation, https://www.w3.org/TR/turtle/).

The same triples as the N-Triples export (`graph.rdf.mapping` has the vocabulary), regrouped by
pyoxigraph's Turtle serializer from the one N-Triples stream of the pass (graph.rdf.reserialise,
in a child process): one block per subject, in subject order, predicates joined with `;` and
objects with `,`, IRIs abbreviated with the prefixes below where Turtle allows. Not rdflib:
super-linear, minutes at this size (see the shared formats notes); not by hand: rendering Turtle
in Python cost a third of the archive-sized build's RDF pass. Output is deterministic.

What Turtle cannot carry: nothing in our graph is lost relative to N-Triples; like every RDF
syntax it has no order for repeated values (author order lives in dblp:signatureOrdinal),
and the vocabulary definitions are a separate file (``graph.rdf.vocab_path()``).
"""
from __future__ import annotations

from dataclasses import replace

from exporters import ntriples
from exporters.base import ExportOptions
from exporters.rdf import Renderer, rdf_exporter
from graph.rdf import mapping as rdf
from graph.rdf.reserialise import Reserialiser, reserialise


def prefixes(base_iri: str) -> dict[str, str]:
    """Every prefix the Turtle file declares: the vocabularies and the minted resources."""
    return dict(sorted({**rdf.PREFIXES, **rdf.resource_prefixes(base_iri)}.items()))


def renderer(options: ExportOptions) -> Renderer:
    prefix_map = prefixes(rdf.check_base_iri(options.base_iri))
    nt = ntriples.renderer(options)
    return replace(nt, label="Turtle", from_ntriples=lambda fh: Reserialiser(fh, prefix_map),
                   from_ntriples_file=lambda path, fh: reserialise(path, fh, prefix_map))


EXPORTER = rdf_exporter(
    "turtle", "ttl", "text/turtle",
    "RDF 1.1 Turtle: the knowledge graph in schema.org, SKOS, dblp and akg: terms.", renderer)

write = EXPORTER.write  # every exporter module offers write(source, fh, options)
