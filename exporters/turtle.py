"""Turtle exporter: RDF 1.1 Turtle (W3C Recommendation, https://www.w3.org/TR/turtle/).

The same triples as the N-Triples export (`graph.rdf.mapping` has the vocabulary), written by hand
rather than through rdflib (super-linear, minutes at this size: see the shared formats notes)
or a parse-and-reserialise round trip through pyoxigraph: one block per subject, in subject
order, ``a`` first, then predicates in order, objects of one predicate joined with ``,``.
IRIs are abbreviated with a prefix only when the local part is a plain name
(letters, digits, ``_``, ``-``, inner ``.``), so no escaping rule of PN_LOCAL is ever needed;
everything else is written as a full ``<IRI>``. Integers are written bare; strings always in
one line with escapes, never as long (triple-quoted) strings. Output is deterministic.

What Turtle cannot carry: nothing in our graph is lost relative to N-Triples; like every RDF
syntax it has no order for repeated values (author order lives in dblp:signatureOrdinal),
and the vocabulary definitions are a separate file (``graph.rdf.vocab_path()``).
"""
from __future__ import annotations

import re

from exporters.base import ExportOptions
from exporters.rdf import Renderer, rdf_exporter
from graph.rdf import mapping as rdf

_PN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_CACHE_LIMIT = 1 << 20  # compact names kept: about 120 MB at most, whatever the graph size
_NEXT = " ;\n    "  # between a subject's predicates


def prefixes(base_iri: str) -> dict[str, str]:
    """Every prefix the Turtle file declares: the vocabularies and the minted resources."""
    return dict(sorted({**rdf.PREFIXES, **rdf.resource_prefixes(base_iri)}.items()))


class _Writer:
    """Renders subjects; compact names are cached because the same IRIs (authors, categories)
    recur in many blocks. IRIs written whole are not: signatures alone would fill the cache."""

    def __init__(self, prefix_map: dict[str, str]) -> None:
        self.by_namespace = {ns: name for name, ns in prefix_map.items()}
        self.names: dict[str, str] = {}
        self.heads: dict[str, str] = {}  # predicate -> what starts its line

    def iri(self, value: str) -> str:
        name = self.names.get(value)
        if name is None:
            cut = max(value.rfind("/"), value.rfind("#")) + 1
            prefix = self.by_namespace.get(value[:cut])
            if prefix is None or not _PN_LOCAL.fullmatch(value, cut):
                return f"<{value}>"  # cheap to redo, and most are used once (signatures)
            name = f"{prefix}:{value[cut:]}"
            if len(self.names) < _CACHE_LIMIT:
                self.names[value] = name
        return name

    def block(self, subject: str, pairs: list[rdf.Pair]) -> str:
        """One subject: "a" first, then each predicate once with its objects joined by ","."""
        iri, names, quoted, heads = self.iri, self.names, rdf.quoted, self.heads
        types: list[str] = []
        body: list[str] = []  # " ;\n    <predicate> <object>", ", <object>", ...
        last = ""
        for pred, (kind, value, extra) in pairs:
            if kind == rdf.IRI:
                text = names.get(value) or iri(value)
            elif kind == rdf.LANG_LITERAL:
                text = f"{quoted(value)}@{extra}"
            elif extra == rdf.XSD_STRING:
                text = quoted(value)
            elif extra == rdf.XSD_INTEGER and (value.isdigit() and value.isascii() or _INTEGER.fullmatch(value)):
                text = value
            else:
                text = f"{quoted(value)}^^{iri(extra)}"
            if pred == rdf.RDF_TYPE:
                types.append(text)
            elif pred == last:  # pairs are sorted, so a predicate's objects are adjacent
                body += (", ", text)
            else:
                last = pred
                body += (heads.get(pred) or self._head(pred), text)
        text = "".join(body)
        if types:
            return f"{iri(subject)} a {', '.join(types)}{text} .\n\n"
        return f"{iri(subject)} {text[len(_NEXT):]} .\n\n"

    def _head(self, pred: str) -> str:
        head = self.heads[pred] = f"{_NEXT}{self.iri(pred)} "
        return head


def header(prefix_map: dict[str, str]) -> str:
    return "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in prefix_map.items()) + "\n"


def renderer(options: ExportOptions) -> Renderer:
    prefix_map = prefixes(rdf.check_base_iri(options.base_iri))
    writer = _Writer(prefix_map)
    return Renderer("Turtle", header(prefix_map).encode("utf-8"),
                    lambda s, pairs: writer.block(s, pairs).encode("utf-8"))


EXPORTER = rdf_exporter(
    "turtle", "ttl", "text/turtle",
    "RDF 1.1 Turtle: the knowledge graph in schema.org, SKOS, dblp and akg: terms.", renderer)

write = EXPORTER.write  # every exporter module offers write(source, fh, options)
