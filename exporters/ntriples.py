"""N-Triples exporter: RDF 1.1 N-Triples (W3C Recommendation, https://www.w3.org/TR/n-triples/).

One triple per line, grouped by subject and sorted by subject, then predicate, then object, as
`graph.rdf.subjects` produces them (see `graph.rdf.mapping` for the vocabulary and for what the
RDF leaves out). Literals escape ``\\``, ``"`` and every control character (``\\n``, ``\\t``,
``\\u0000``...); everything else is raw UTF-8. This is also what the SPARQL store loads.

What N-Triples cannot carry: prefixes, comments, or any grouping: every triple repeats its
subject, which makes it the largest of the three RDF files. The akg: vocabulary's own
definitions are a separate file, ``graph.rdf.vocab_path()`` (vocab.ttl), exported with the data.
"""
from __future__ import annotations

from exporters.base import ExportOptions
from exporters.rdf import Renderer, rdf_exporter
from graph.rdf import mapping as rdf
from graph.rdf.columnar import ntriples_chunks

LABEL = "N-Triples"


def renderer(options: ExportOptions) -> Renderer:
    return Renderer(LABEL, b"", lambda s, pairs: rdf.ntriples_block(s, pairs).encode("utf-8"),
                    whole=ntriples_chunks)


EXPORTER = rdf_exporter(
    "ntriples", "nt", "application/n-triples",
    "RDF 1.1 N-Triples: one sorted triple per line (schema.org, SKOS, dblp, akg:).", renderer)

write = EXPORTER.write  # every exporter module offers write(source, fh, options)
