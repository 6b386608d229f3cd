"""JSON-LD exporter: JSON-LD 1.1 (W3C Recommendation, https://www.w3.org/TR/json-ld11/),
compacted form with one inline context, so it expands with no network access.

The document is ``{"@context": {...}, "@graph": [node, node, ...]}`` with one flat node object
per RDF subject (the same subjects and triples as the Turtle and N-Triples exports; see
`graph.rdf.mapping` for the vocabulary). Nodes are written one at a time, never held together:
PyLD or rdflib compaction would take minutes at this size (shared formats notes).

The context is built from one table (`TERMS`): ``"@vocab": "http://schema.org/"`` so schema.org
terms are bare names; prefixes for dcterms, bibo, skos, dblp, akg, xsd; ``"@type": "@id"`` on
every property whose values are resources; ``xsd:dateTime`` / ``xsd:integer`` coercion for
dates and integers; ``"@language": "en"`` on skos:prefLabel. A value that does not fit its
property's coercion (say a DOI whose URL could not be made a valid IRI, kept as an
``xsd:anyURI`` literal) is written as an explicit value object, which coercion never touches,
so the expanded graph always equals the Turtle export.

What JSON-LD (as written here) cannot carry: nothing relative to the Turtle export; its
arrays are unordered sets like all RDF values (author order lives in dblp:signatureOrdinal).
The official schema.org context is not referenced (it would need the network); ours maps
schema.org terms to the same ``http://schema.org/`` IRIs.
"""
from __future__ import annotations

import re
from typing import Any

import orjson

from exporters.base import ExportOptions
from exporters.rdf import Renderer, rdf_exporter
from graph.rdf import mapping as rdf
from graph.rdf.mapping import (
    AKG,
    BIBO,
    DBLP,
    DCTERMS,
    SCHEMA,
    SKOS,
    XSD_ANYURI,
    XSD_DATETIME,
    XSD_INTEGER,
)

ID = "@id"
EN = "@en"  # marker: the term carries "@language": "en"

# predicate IRI -> (JSON key, coercion: None, "@id", "@en" or a datatype IRI)
TERMS: dict[str, tuple[str, str | None]] = {
    SCHEMA + "identifier": ("identifier", None),
    SCHEMA + "name": ("name", None),
    SCHEMA + "alternateName": ("alternateName", None),
    SCHEMA + "abstract": ("abstract", None),
    SCHEMA + "datePublished": ("datePublished", XSD_DATETIME),
    SCHEMA + "dateModified": ("dateModified", XSD_DATETIME),
    SCHEMA + "version": ("version", XSD_INTEGER),
    SCHEMA + "sameAs": ("sameAs", ID),
    SCHEMA + "about": ("about", ID),
    SCHEMA + "author": ("author", ID),
    SCHEMA + "mentions": ("mentions", ID),
    SCHEMA + "codeRepository": ("codeRepository", ID),
    SCHEMA + "url": ("url", XSD_ANYURI),
    BIBO + "doi": ("doi", None),
    DCTERMS + "bibliographicCitation": ("bibliographicCitation", None),
    DCTERMS + "subject": ("subject", ID),
    DCTERMS + "relation": ("relation", ID),
    DBLP + "hasSignature": ("hasSignature", ID),
    DBLP + "signatureOrdinal": ("signatureOrdinal", XSD_INTEGER),
    DBLP + "signatureCreator": ("signatureCreator", ID),
    DBLP + "signaturePublication": ("signaturePublication", ID),
    SKOS + "notation": ("notation", None),
    SKOS + "prefLabel": ("prefLabel", EN),
    SKOS + "broader": ("broader", ID),
    SKOS + "inScheme": ("inScheme", ID),
    AKG + "primaryCategory": ("primaryCategory", ID),
    AKG + "hasCode": ("hasCode", ID),
    AKG + "comment": ("arxivComment", None),  # "comment" would be schema:comment via @vocab
    AKG + "host": ("host", None),
    AKG + "linkKind": ("linkKind", None),
    AKG + "paperCount": ("paperCount", XSD_INTEGER),
}

# Keys that @vocab would not expand to schema.org: a schema.org type of that name needs its prefix.
_OTHER_KEYS = frozenset(key for pred, (key, _) in TERMS.items() if pred != SCHEMA + key)
_CONTEXT_PREFIXES = ("schema", "dcterms", "bibo", "skos", "dblp", "akg", "xsd")
_MISSING = object()
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,15})")  # exact as a JSON number


def _compact(value: str) -> str:
    """A compact IRI against the context's prefixes (used for coercions and types)."""
    local = value[len(SCHEMA):]
    if value.startswith(SCHEMA) and local and "/" not in local and local not in _OTHER_KEYS:
        return local
    for name in _CONTEXT_PREFIXES:
        ns = rdf.PREFIXES[name]
        if value.startswith(ns) and value != ns:
            return f"{name}:{value[len(ns):]}"
    return value


def context() -> dict[str, Any]:
    """The inline @context: schema.org as @vocab, prefixes, and one entry per coerced term."""
    ctx: dict[str, Any] = {"@vocab": SCHEMA}
    ctx.update({name: rdf.PREFIXES[name] for name in _CONTEXT_PREFIXES})
    for pred, (key, coercion) in TERMS.items():
        entry: dict[str, str] = {}
        if pred != SCHEMA + key:
            entry[ID] = _compact(pred)
        if coercion == EN:
            entry["@language"] = "en"
        elif coercion is not None:
            entry["@type"] = coercion if coercion == ID else _compact(coercion)
        if entry:
            ctx[key] = entry
    return ctx


def _value(term: rdf.Term, coercion: str | None) -> Any:
    kind, value, extra = term
    if kind == rdf.IRI:
        return value if coercion == ID else {ID: value}
    if kind == rdf.LANG_LITERAL:
        return value if coercion == EN and extra == "en" else {"@value": value, "@language": extra}
    if extra == (coercion or rdf.XSD_STRING):
        return int(value) if extra == XSD_INTEGER and _CANONICAL_INT.fullmatch(value) else value
    if extra == rdf.XSD_STRING:
        return {"@value": value}
    return {"@value": value, "@type": extra}


def node_object(subject: str, pairs: list[rdf.Pair]) -> dict[str, Any]:
    """One subject as a compact node object: "@id", "@type", then properties in IRI order."""
    node: dict[str, Any] = {ID: subject}
    types = [_compact(o[1]) for p, o in pairs if p == rdf.RDF_TYPE]
    if types:
        node["@type"] = types[0] if len(types) == 1 else types
    for pred, term in pairs:
        if pred == rdf.RDF_TYPE:
            continue
        key, coercion = TERMS.get(pred) or (pred, None)
        value = _value(term, coercion)
        have = node.get(key, _MISSING)
        if have is _MISSING:
            node[key] = value
        elif isinstance(have, list):  # a single value is never a list, so this is our array
            have.append(value)
        else:
            node[key] = [have, value]
    return node


def renderer(options: ExportOptions) -> Renderer:
    """Nodes go one per line inside "@graph"; the first one has no comma before it."""
    head = orjson.dumps({"@context": context()}, option=orjson.OPT_INDENT_2)
    separators = iter((b"\n    ",))

    def render(subject: str, pairs: list[rdf.Pair]) -> bytes:
        return next(separators, b",\n    ") + orjson.dumps(node_object(subject, pairs))

    # head ends with "\n}": reopen that object to add "@graph" after the context
    return Renderer("JSON-LD", head[:-2] + b',\n  "@graph": [', render, b"\n  ]\n}\n")


EXPORTER = rdf_exporter(
    "jsonld", "jsonld", "application/ld+json",
    "JSON-LD 1.1, compact, schema.org-based inline context (no network needed).", renderer)

write = EXPORTER.write  # every exporter module offers write(source, fh, options)
