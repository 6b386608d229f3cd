"""The knowledge graph as RDF 1.1 (https://www.w3.org/TR/rdf11-concepts/), following the
"RDF vocabulary" section of the team spec. This is the one mapping every RDF output uses:
the N-Triples, Turtle and JSON-LD exporters and the SPARQL store all render the same stream,
so the files always hold the same graph.

API
  ``subjects(graph, base_iri)`` -> iterator of ``(subject_iri, pairs)``: every RDF subject
      once, in ascending order of its IRI (plain string order), with its
      ``(predicate_iri, Term)`` pairs sorted (by predicate IRI, then IRIs before literals,
      then value) and free of duplicates. A ``Term`` is a small
      tuple ``(kind, value, extra)``: ``(IRI, iri, "")``, ``(LITERAL, text, datatype_iri)``
      or ``(LANG_LITERAL, text, language_tag)``. Text is already cleaned of lone surrogates.
  ``ntriples_lines(graph, base_iri)`` -> iterator of N-Triples lines (each ends in "\\n"),
      sorted by subject, then predicate, then object: what the SPARQL store loads.
  ``subject_lines(subject, pairs)``: one subject's N-Triples lines; ``quoted(text)``: the
      string literal syntax N-Triples and Turtle share.
  ``vocab_path()``: the akg: vocabulary (graph/data/vocab.ttl), to be exported with the data.
  IRI minting: ``paper_iri``, ``author_iri``, ``text_iri``... (also used by tests and queries).

Why strings rather than rdflib or pyoxigraph term objects: building a term object per triple
costs more than the whole N-Triples rendering. Minted IRIs are safe by construction
(percent-encoded segments under a validated base); IRIs that come from text (repository URLs,
DOIs) are percent-encoded and then validated with ``pyoxigraph.NamedNode``; one that still
fails becomes an ``xsd:anyURI`` literal, so a sloppy URL never aborts an export.

What the RDF does not carry from the networkx graph: a paper's list of every version seen
(only the latest, ``schema:version``), its provenance (``sources``: digest file and line),
an author's key (the case-folded name), and node ``label`` attributes (they duplicate
``schema:name`` / ``skos:notation``). An author's paper count *is* carried (``akg:paperCount``)
although it is derivable: ranking authors by it is a scan of one value per person, where
counting ``schema:author`` triples is a GROUP BY over every authorship (4x slower at 5M triples).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import eq, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import orjson
import pyoxigraph as ox

from graph.errors import ArxivKGError
from graph.model.taxonomy import archive_name

if TYPE_CHECKING:  # annotations only: the SPARQL workers import this module without networkx
    import networkx as nx

DEFAULT_BASE_IRI = "https://w3id.org/arxiv-kg/"

SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
BIBO = "http://purl.org/ontology/bibo/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DBLP = "https://dblp.org/rdf/schema#"
AKG = "https://w3id.org/arxiv-kg/vocab#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
ARXIV_ABS = "https://arxiv.org/abs/"
MSC2010 = "http://msc2010.org/resources/MSC/2010/"
DOI_RESOLVER = "https://doi.org/"

PREFIXES: dict[str, str] = {
    "schema": SCHEMA, "dcterms": DCTERMS, "bibo": BIBO, "skos": SKOS, "dblp": DBLP,
    "akg": AKG, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "owl": OWL,
}

RDF_TYPE = RDF + "type"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DATETIME = XSD + "dateTime"
XSD_DATE = XSD + "date"
XSD_ANYURI = XSD + "anyURI"

IRI, LITERAL, LANG_LITERAL = 0, 1, 2
Term = tuple[int, str, str]
Pair = tuple[str, Term]
Subject = tuple[str, list[Pair]]
Progress = Callable[[int, int], None]  # (subjects done, subjects in total)

_VOCAB_FILE = Path(__file__).resolve().parent.parent / "data" / "vocab.ttl"
_PROGRESS_EVERY = 50_000

# Subject-class scheme (as in "ACM:I.5.4") -> slug of its skos:ConceptScheme IRI.
_SCHEMES = {"ACM": "acm-ccs-1998", "MSC": "msc2010"}
_SCHEME_LABELS = {
    "arxiv": "arXiv category taxonomy",
    "acm-ccs-1998": "ACM Computing Classification System (1998)",
    "msc2010": "Mathematics Subject Classification (2010)",
}


class BadBaseIri(ArxivKGError):
    """The --base-iri option is not an absolute IRI ending in '/' or '#'."""


def vocab_path() -> Path:
    """The project vocabulary (akg: terms with label, comment, domain and range) in Turtle."""
    return _VOCAB_FILE


def resource_prefixes(base_iri: str = DEFAULT_BASE_IRI) -> dict[str, str]:
    """Prefixes for minted resources, so Turtle can write ``cat:cs.CV`` for categories."""
    return {"arxiv": ARXIV_ABS, "author": f"{base_iri}author/", "cat": f"{base_iri}category/",
            "acm": f"{base_iri}acm-ccs-1998/", "msc": MSC2010, "link": f"{base_iri}link/",
            "scheme": f"{base_iri}scheme/"}


# --- literals -------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\]')
_SHORT = 80  # below this, a regex check beats orjson's call overhead
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def clean_text(text: str) -> str:
    """Replace lone surrogates (they cannot be encoded as UTF-8) with U+FFFD."""
    try:
        text.encode("utf-8")  # far faster than a regex scan of a long abstract
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def quoted(text: str) -> str:
    r"""The text as an N-Triples / Turtle string literal, quotes included.

    JSON string escaping (\" \\ \n \r \t \b \f, other controls as \u00XX, everything else
    raw UTF-8) is a subset of N-Triples' and Turtle's ECHAR/UCHAR escapes, so orjson's C
    encoder does the escaping: about 1 us for an abstract, where a Python regex scan alone
    costs 7 us. The text must be free of lone surrogates (see clean_text).
    """
    if len(text) < _SHORT and not _NEEDS_ESCAPE.search(text):
        return f'"{text}"'
    return orjson.dumps(text).decode("utf-8")


def literal(text: str, datatype: str = XSD_STRING) -> Term:
    return (LITERAL, text if text.isascii() else clean_text(text), datatype)


def lang_literal(text: str, tag: str) -> Term:
    return (LANG_LITERAL, text if text.isascii() else clean_text(text), tag)


def iri(value: str) -> Term:
    return (IRI, value, "")


def date_term(text: str) -> Term:
    """xsd:dateTime as YYYY-MM-DDThh:mm:ss+00:00; a bare date as xsd:date; else a string."""
    if _DATETIME.fullmatch(text):
        value = text.replace(" ", "T", 1)
        return literal(value[:-1] + "+00:00" if value.endswith("Z") else value, XSD_DATETIME)
    if _DATE.fullmatch(text):
        return literal(text, XSD_DATE)
    return literal(text)


# --- IRIs -----------------------------------------------------------------------------

_SAFE_ARXIV_ID = re.compile(r"[A-Za-z0-9./-]+")
_IRI_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def _pct(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8"))


def text_iri(url: str) -> str | None:
    """An IRI for a URL found in text, percent-encoding what RFC 3987 forbids; None if hopeless.

    Non-ASCII is percent-encoded too (a plain URI is an IRI and no consumer chokes on it);
    a second '#' becomes %23; a '%' not followed by two hex digits becomes %25.
    """
    head, hash_, fragment = clean_text(url.strip()).partition("#")
    encoded = _IRI_UNSAFE.sub(_pct, head) + hash_ + _IRI_UNSAFE.sub(_pct, fragment).replace("#", "%23")
    encoded = _BAD_PERCENT.sub("%25", encoded)
    try:
        ox.NamedNode(encoded)
    except ValueError:
        return None
    return encoded


def segment(text: str) -> str:
    """One percent-encoded path segment: safe by construction under a valid base IRI."""
    return quote(clean_text(text), safe="")


def paper_iri(arxiv_id: str) -> str:
    path = arxiv_id if _SAFE_ARXIV_ID.fullmatch(arxiv_id) else quote(clean_text(arxiv_id), safe="/")
    return ARXIV_ABS + path


def doi_iri(doi: str) -> str | None:
    return text_iri(DOI_RESOLVER + quote(clean_text(doi.strip()), safe="/:@!$&'()*+,;="))


def author_slug(key: str) -> str:
    """ASCII-folded lowercase key, non-alphanumeric runs -> "-", then "-" + sha1(key)[:8]."""
    folded = key.lower() if key.isascii() else (
        unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii").lower())
    slug = _SLUG_JUNK.sub("-", folded).strip("-")
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


def author_iri(key: str, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{base_iri}author/{author_slug(key)}"


def category_iri(code: str, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{base_iri}category/{segment(code)}"


def scheme_iri(slug: str, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{base_iri}scheme/{segment(slug)}"


def subject_iri(scheme: str, code: str, base_iri: str = DEFAULT_BASE_IRI) -> str:
    """MSC codes get the official MSC2010 SKOS IRIs; ACM CCS 1998 has none, so it is minted."""
    if scheme == "MSC":
        return MSC2010 + segment(code)
    if scheme == "ACM":
        return f"{base_iri}acm-ccs-1998/{segment(code)}"
    return f"{base_iri}subject/{segment(scheme.lower())}/{segment(code)}"


def subject_scheme_slug(scheme: str) -> str:
    return _SCHEMES.get(scheme, scheme.lower())


def link_iri(url: str, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{base_iri}link/{_digest16(url)}"


def signature_iri(arxiv_id: str, position: int, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{_signature_prefix(paper_iri(arxiv_id), base_iri)}{position}"


def _signature_prefix(paper: str, base_iri: str) -> str:
    """Signatures of a paper are <base>signature/<the paper IRI's path after /abs/>/<n>."""
    return f"{base_iri}signature/{paper[len(ARXIV_ABS):]}/"


def _digest16(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def check_base_iri(base_iri: str) -> str:
    """Return the base IRI if usable for minting, else raise BadBaseIri."""
    try:
        ox.NamedNode(base_iri)
    except ValueError as exc:
        raise BadBaseIri(f"base IRI {base_iri!r} is not a valid absolute IRI: {exc}") from None
    if not base_iri.endswith(("/", "#")) or _IRI_UNSAFE.search(base_iri):
        raise BadBaseIri(f"base IRI {base_iri!r} must be ASCII and end with '/' or '#'")
    return base_iri


# --- the mapping ----------------------------------------------------------------------
# Hot path: the cs.CV archive has ~5M triples, so per-triple work is kept to building one
# small tuple. IRI terms of nodes and constant (predicate, object) pairs are made once.

_PAPER, _SIGNATURE, _AUTHOR, _CATEGORY, _ARCHIVE, _SCHEME, _SUBJECT, _REPO, _LINK = range(9)
_NODE_KINDS = {"Author": _AUTHOR, "Category": _CATEGORY, "SubjectClass": _SUBJECT,
               "Repository": _REPO, "Link": _LINK}


def _type(cls: str) -> Pair:
    return (RDF_TYPE, iri(cls))


_IS_ARTICLE, _IS_PERSON = _type(SCHEMA + "ScholarlyArticle"), _type(SCHEMA + "Person")
_IS_SIGNATURE = _type(DBLP + "AuthorSignature")
_IS_CONCEPT, _IS_SCHEME = _type(SKOS + "Concept"), _type(SKOS + "ConceptScheme")
_IS_CODE, _IS_PAGE = _type(SCHEMA + "SoftwareSourceCode"), _type(SCHEMA + "WebPage")
_PAPER_TEXTS = (("title", SCHEMA + "name"), ("abstract", SCHEMA + "abstract"),
                ("journal_ref", DCTERMS + "bibliographicCitation"), ("comment", AKG + "comment"))
_PAPER_DATES = (("published", SCHEMA + "datePublished"), ("updated", SCHEMA + "dateModified"))
_EDGE_PREDICATES = {"has_subject": DCTERMS + "subject", "has_code": AKG + "hasCode",
                    "links_to": DCTERMS + "relation", "mentions": SCHEMA + "mentions"}
_P_IDENTIFIER, _P_NAME, _P_VERSION = SCHEMA + "identifier", SCHEMA + "name", SCHEMA + "version"
_P_ABOUT, _P_PRIMARY = SCHEMA + "about", AKG + "primaryCategory"
_P_AUTHOR, _P_SIGNATURE = SCHEMA + "author", DBLP + "hasSignature"
_P_ORDINAL, _P_CREATOR = DBLP + "signatureOrdinal", DBLP + "signatureCreator"
_P_PUBLICATION = DBLP + "signaturePublication"
_P_PAPER_COUNT = AKG + "paperCount"


class _Mapping:
    """IRIs of every node (computed once) and the describers of each kind of subject."""

    def __init__(self, graph: nx.DiGraph, base_iri: str) -> None:
        self.base = check_base_iri(base_iri)
        self.data: dict[str, dict] = dict(graph.nodes(data=True))
        # networkx's raw adjacency dicts: its views cost about a microsecond per access.
        self.succ: dict[str, dict] = graph._succ
        self.pred: dict[str, dict] = graph._pred
        self.terms: dict[str, Term] = {n: iri(self._node_iri(n, d)) for n, d in self.data.items()}

    def _node_iri(self, node: str, d: dict) -> str:
        kind = d.get("type")
        if kind == "Paper":
            return paper_iri(d["arxiv_id"])
        if kind == "Author":
            return author_iri(d["key"], self.base)
        if kind == "Category":
            return category_iri(d["code"], self.base)
        if kind == "SubjectClass":
            return subject_iri(d["scheme"], d["code"], self.base)
        if kind == "Repository":
            return text_iri(d["url"]) or f"{self.base}repository/{_digest16(d['url'])}"
        if kind == "Link":
            return link_iri(d["url"], self.base)
        return f"{self.base}node/{segment(node)}"  # an unknown kind still gets a stable IRI

    def _signature_prefix(self, paper: str) -> str:
        return _signature_prefix(self.terms[paper][1], self.base)

    def index(self) -> list[tuple[str, int, object]]:
        """(subject IRI, kind, reference) for every subject; signatures and archives included."""
        out: list[tuple[str, int, object]] = []
        schemes: set[str] = set()
        archives: set[str] = set()
        for node, d in self.data.items():
            kind = d.get("type")
            if kind == "Paper":
                out.append((self.terms[node][1], _PAPER, node))
                prefix = self._signature_prefix(node)
                out.extend((f"{prefix}{e['position']}", _SIGNATURE, (author, node, e["position"]))
                           for author, e in self.pred[node].items() if e.get("type") == "authored")
            elif kind in _NODE_KINDS:
                out.append((self.terms[node][1], _NODE_KINDS[kind], node))
                if kind == "Category":
                    schemes.add("arxiv")
                    archives.add(d.get("archive") or d["code"])
                elif kind == "SubjectClass":
                    schemes.add(subject_scheme_slug(d["scheme"]))
        out.extend((category_iri(a, self.base), _ARCHIVE, a) for a in archives)
        out.extend((scheme_iri(s, self.base), _SCHEME, s) for s in schemes)
        return out

    def paper(self, node: str) -> list[Pair]:
        d = self.data[node]
        pairs: list[Pair] = [(_P_IDENTIFIER, literal(d["arxiv_id"]))]
        if not d.get("in_corpus"):
            return pairs  # only mentioned: no rdf:type, so ScholarlyArticle == papers in corpus
        add = pairs.append
        add(_IS_ARTICLE)
        for attr, pred in _PAPER_TEXTS:
            if d.get(attr):
                add((pred, literal(str(d[attr]))))
        for attr, pred in _PAPER_DATES:
            if d.get(attr):
                add((pred, date_term(d[attr])))
        if d.get("version") is not None:
            add((_P_VERSION, literal(str(int(d["version"])), XSD_INTEGER)))
        for doi in dict.fromkeys(d.get("dois") or ()):
            add((BIBO + "doi", literal(doi)))
            add((SCHEMA + "sameAs", _iri_or_literal(doi_iri(doi), DOI_RESOLVER + doi)))
        self._paper_edges(node, add)
        return pairs

    def _paper_edges(self, node: str, add: Callable[[Pair], None]) -> None:
        terms = self.terms
        for target, e in self.succ[node].items():
            kind = e.get("type")
            if kind == "in_category":
                add((_P_ABOUT, terms[target]))
                if e.get("primary"):
                    add((_P_PRIMARY, terms[target]))
            elif kind in _EDGE_PREDICATES:
                add((_EDGE_PREDICATES[kind], terms[target]))
        prefix = self._signature_prefix(node)
        for author, e in self.pred[node].items():
            if e.get("type") == "authored":
                add((_P_AUTHOR, terms[author]))
                add((_P_SIGNATURE, (IRI, f"{prefix}{e['position']}", "")))

    def signature(self, ref: tuple[str, str, int]) -> list[Pair]:
        author, paper, pos = ref
        return [_IS_SIGNATURE, (_P_ORDINAL, (LITERAL, str(pos), XSD_INTEGER)),
                (_P_CREATOR, self.terms[author]), (_P_PUBLICATION, self.terms[paper])]

    def author(self, node: str) -> list[Pair]:
        d = self.data[node]
        name = d["name"]
        pairs: list[Pair] = [_IS_PERSON, (_P_NAME, literal(name))]
        pairs += [(SCHEMA + "alternateName", literal(s))
                  for s in dict.fromkeys(d.get("spellings") or ()) if s != name]
        if d.get("papers") is not None:
            pairs.append((_P_PAPER_COUNT, (LITERAL, str(int(d["papers"])), XSD_INTEGER)))
        return pairs

    def category(self, node: str) -> list[Pair]:
        d = self.data[node]
        code, archive = d["code"], d.get("archive") or d["code"]
        pairs = self._concept(code, d.get("name") or code)
        if archive != code:
            pairs.append((SKOS + "broader", iri(category_iri(archive, self.base))))
        return pairs

    def archive(self, archive: str) -> list[Pair]:
        return self._concept(archive, archive_name(archive))

    def _concept(self, notation: str, label: str) -> list[Pair]:
        return [_IS_CONCEPT, (SKOS + "notation", literal(notation)),
                (SKOS + "prefLabel", lang_literal(label, "en")),
                (SKOS + "inScheme", iri(scheme_iri("arxiv", self.base)))]

    def scheme(self, slug: str) -> list[Pair]:
        return [_IS_SCHEME, (SKOS + "prefLabel", lang_literal(_SCHEME_LABELS.get(slug, slug), "en"))]

    def subject_class(self, node: str) -> list[Pair]:
        d = self.data[node]
        return [_IS_CONCEPT, (SKOS + "notation", literal(d["code"])),
                (SKOS + "inScheme", iri(scheme_iri(subject_scheme_slug(d["scheme"]), self.base)))]

    def repository(self, node: str) -> list[Pair]:
        d = self.data[node]
        subject = self.terms[node]
        valid = subject[1] == text_iri(d["url"])
        pairs: list[Pair] = [_IS_CODE, (SCHEMA + "codeRepository",
                                        subject if valid else literal(d["url"], XSD_ANYURI))]
        pairs += _optional_literals(d, (("label", _P_NAME), ("host", AKG + "host")))
        return pairs

    def link(self, node: str) -> list[Pair]:
        d = self.data[node]
        pairs: list[Pair] = [_IS_PAGE, (SCHEMA + "url", literal(d["url"], XSD_ANYURI))]
        pairs += _optional_literals(d, (("kind", AKG + "linkKind"),))
        return pairs


_DESCRIBERS = {_PAPER: _Mapping.paper, _SIGNATURE: _Mapping.signature, _AUTHOR: _Mapping.author,
               _CATEGORY: _Mapping.category, _ARCHIVE: _Mapping.archive, _SCHEME: _Mapping.scheme,
               _SUBJECT: _Mapping.subject_class, _REPO: _Mapping.repository, _LINK: _Mapping.link}


def _optional_literals(d: dict, fields: Iterable[tuple[str, str]]) -> list[Pair]:
    return [(pred, literal(str(d[attr]))) for attr, pred in fields if d.get(attr)]


def _iri_or_literal(value: str | None, text: str) -> Term:
    return iri(value) if value else literal(text, XSD_ANYURI)


def subjects(graph: nx.DiGraph, base_iri: str = DEFAULT_BASE_IRI,
             progress: Progress | None = None) -> Iterator[Subject]:
    """Every RDF subject of the KG with its sorted, de-duplicated (predicate, object) pairs.

    Subjects come in ascending IRI order whatever the graph's insertion order, so every
    serialisation is byte-identical for the same KG. `progress(done, total)` is called every
    50,000 subjects and at the end. Raises BadBaseIri for an unusable base IRI.
    """
    mapping = _Mapping(graph, base_iri)
    index = mapping.index()
    index.sort(key=itemgetter(0))
    total, next_report = len(index), _PROGRESS_EVERY
    describers = _DESCRIBERS
    i = 0
    while i < total:
        subject, kind, ref = index[i]
        pairs = describers[kind](mapping, ref)
        i += 1
        while i < total and index[i][0] == subject:  # rare: an archive that is also a category
            pairs += describers[index[i][1]](mapping, index[i][2])
            i += 1
        pairs.sort()
        if any(map(eq, pairs, islice(pairs, 1, None))):  # rare: e.g. two spellings of one DOI
            pairs = sorted(set(pairs))
        yield subject, pairs
        if progress is not None and (i >= next_report or i == total):
            progress(i, total)
            next_report = i + _PROGRESS_EVERY


def subject_lines(subject: str, pairs: list[Pair]) -> list[str]:
    """The triples of one subject as N-Triples lines (each ends in a newline)."""
    head = f"<{subject}> <"
    lines = []
    add = lines.append
    for p, (kind, value, extra) in pairs:
        if kind == IRI:
            add(f"{head}{p}> <{value}> .\n")
        elif kind == LANG_LITERAL:
            add(f"{head}{p}> {quoted(value)}@{extra} .\n")
        elif extra == XSD_STRING:
            add(f"{head}{p}> {quoted(value)} .\n")
        else:
            add(f"{head}{p}> {quoted(value)}^^<{extra}> .\n")
    return lines


def ntriples_block(subject: str, pairs: list[Pair]) -> str:
    return "".join(subject_lines(subject, pairs))


def ntriples_lines(graph: nx.DiGraph, base_iri: str = DEFAULT_BASE_IRI,
                   progress: Progress | None = None) -> Iterator[str]:
    """The KG as N-Triples lines, sorted by subject, then predicate, then object."""
    for subject, pairs in subjects(graph, base_iri, progress):
        yield from subject_lines(subject, pairs)
