"""The knowledge graph as RDF 1.1 (https://www.w3.org/TR/rdf11-concepts/), following the
"RDF vocabulary" section of the team spec: the IRIs, the terms and, in ``Describer``, the
(predicate, object) pairs of every kind of subject. This is the one mapping every RDF output
uses: graph.rdf.subjects streams it from the KG's tables, and the N-Triples, Turtle and
JSON-LD exporters and the SPARQL store all render that stream, so they always hold one graph.

API
  ``Describer(base_iri)``: the pairs of a paper, signature, author, category, archive,
      scheme, subject class, repository or link, from table values. A pair is
      ``(predicate_iri, Term)``; a ``Term`` is a small tuple ``(kind, value, extra)``:
      ``(IRI, iri, "")``, ``(LITERAL, text, datatype_iri)`` or ``(LANG_LITERAL, text,
      language_tag)``. Text is already cleaned of lone surrogates.
  ``sorted_pairs(pairs)``: sorted (by predicate IRI, then IRIs before literals, then value)
      and free of duplicates, as every serialisation writes them.
  ``subject_lines(subject, pairs)``: one subject's N-Triples lines; ``quoted(text)``: the
      string literal syntax N-Triples and Turtle share.
  ``vocab_path()``: the akg: vocabulary (graph/data/vocab.ttl), to be exported with the data.
  IRI minting: ``paper_iri``, ``author_iri``, ``text_iri``... (also used by tests and queries).

Why strings rather than rdflib or pyoxigraph term objects: building a term object per triple
costs more than the whole N-Triples rendering. Minted IRIs are safe by construction
(percent-encoded segments under a validated base); IRIs that come from text (repository URLs,
DOIs) are percent-encoded and then validated with ``pyoxigraph.NamedNode``; one that still
fails becomes an ``xsd:anyURI`` literal, so a sloppy URL never aborts an export.

What the RDF does not carry from the tables: a paper's list of every version seen (only the
latest, ``schema:version``), its provenance (``sources``: digest file and line), an author's
key (the case-folded name) and the spelling printed on each paper. An author's paper count
*is* carried (``akg:paperCount``) although it is derivable: ranking authors by it is a scan
of one value per person, where counting ``schema:author`` triples is a GROUP BY over every
authorship (4x slower at 5M triples).
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from itertools import islice
from operator import eq
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import orjson
import pyoxigraph as ox

from graph.errors import ArxivKGError
from graph.model import subjects as classes
from graph.model.taxonomy import archive_name

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
MSC2010 = classes.MSC2010_IRI
MSC2020 = classes.MSC2020_IRI
DOI_RESOLVER = "https://doi.org/"

PREFIXES: dict[str, str] = {
    "schema": SCHEMA, "dcterms": DCTERMS, "bibo": BIBO, "skos": SKOS, "dblp": DBLP,
    "akg": AKG, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "owl": OWL,
}

RDF_TYPE = RDF + "type"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DATETIME = XSD + "dateTime"
XSD_ANYURI = XSD + "anyURI"

IRI, LITERAL, LANG_LITERAL = 0, 1, 2
Term = tuple[int, str, str]
Pair = tuple[str, Term]
Subject = tuple[str, list[Pair]]

_VOCAB_FILE = Path(__file__).resolve().parent.parent / "data" / "vocab.ttl"

# Subject-class scheme (as in "ACM:I.5.4") -> slug of its skos:ConceptScheme IRI, for a code
# whose edition is unknown; subject_scheme_slug picks the edition of a valid code.
_SCHEMES = {"ACM": "acm-ccs-1998", "MSC": "msc2010"}
_SCHEME_LABELS = {"arxiv": "arXiv category taxonomy", **classes.SCHEME_LABELS}


class BadBaseIri(ArxivKGError):
    """The --base-iri option is not an absolute IRI ending in '/' or '#'."""


def vocab_path() -> Path:
    """The project vocabulary (akg: terms with label, comment, domain and range) in Turtle."""
    return _VOCAB_FILE


def resource_prefixes(base_iri: str = DEFAULT_BASE_IRI) -> dict[str, str]:
    """Prefixes for minted resources, so Turtle can write ``cat:cs.CV`` for categories."""
    return {"arxiv": ARXIV_ABS, "author": f"{base_iri}author/", "cat": f"{base_iri}category/",
            "acm": f"{base_iri}acm-ccs-1998/", "msc": MSC2010, "msc2020": MSC2020,
            "link": f"{base_iri}link/", "scheme": f"{base_iri}scheme/"}


# --- literals -------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")
_SHORT = 80  # below this, checking for escapes beats orjson's call overhead


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
    # str.isprintable is False for every control character: a fast, safe first test
    if len(text) < _SHORT and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return orjson.dumps(text).decode("utf-8")


def literal(text: str, datatype: str = XSD_STRING) -> Term:
    return (LITERAL, text if text.isascii() else clean_text(text), datatype)


def lang_literal(text: str, tag: str) -> Term:
    return (LANG_LITERAL, text if text.isascii() else clean_text(text), tag)


def iri(value: str) -> Term:
    return (IRI, value, "")


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


def text_iri_key(url: str) -> bytes:
    """What text_iri keeps of a URL: it trims the URL and percent-encodes characters, so URLs
    given the same IRI have the same key (the key of a URL is that of its IRI)."""
    return unquote_to_bytes(clean_text(url.strip()))


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
    """The concept IRI of a class: MSC codes get their edition's IRI (2010 where the code is in
    MSC 2010, else the MSC 2020 draft SKOS IRI); ACM CCS 1998 has none, so it is minted.

    An invalid code has no concept (see is_valid_subject); it still gets a minted IRI here so
    that callers never fail, under <base>subject/.
    """
    concept = classes.concept_iri(scheme, code, base_iri)
    if concept is not None:  # codes from the shipped lists: IRI-safe as they are
        return concept
    return f"{base_iri}subject/{segment(scheme.lower())}/{segment(code)}"


def is_valid_subject(scheme: str, code: str) -> bool:
    """False for a code in no edition of its scheme: it is written as a literal, not a concept."""
    return classes.edition(scheme, code) is not None


def subject_scheme_slug(scheme: str, code: str = "") -> str:
    return classes.scheme_slug(scheme, code) or _SCHEMES.get(scheme, scheme.lower())


def link_iri(url: str, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{base_iri}link/{_digest16(url)}"


def signature_iri(arxiv_id: str, position: int, base_iri: str = DEFAULT_BASE_IRI) -> str:
    return f"{signature_prefix(paper_iri(arxiv_id), base_iri)}{position}"


def signature_prefix(paper: str, base_iri: str) -> str:
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
# Hot path: the cs.CV archive has ~8M triples, so per-triple work is kept to building one
# small tuple. Constant (predicate, object) pairs are made once.

def _type(cls: str) -> Pair:
    return (RDF_TYPE, iri(cls))


IS_ARTICLE, IS_PERSON = _type(SCHEMA + "ScholarlyArticle"), _type(SCHEMA + "Person")
IS_ORGANISATION = _type(SCHEMA + "Organization")
IS_SIGNATURE = _type(DBLP + "AuthorSignature")
_IS_CONCEPT, _IS_SCHEME = _type(SKOS + "Concept"), _type(SKOS + "ConceptScheme")
_IS_CODE, _IS_PAGE = _type(SCHEMA + "SoftwareSourceCode"), _type(SCHEMA + "WebPage")
# The text fields of a paper, in the order `Describer.paper` takes them.
PAPER_TEXTS = (SCHEMA + "name", SCHEMA + "abstract", DCTERMS + "bibliographicCitation",
                AKG + "comment")
PAPER_DATES = (SCHEMA + "datePublished", SCHEMA + "dateModified")
P_ABOUT, P_PRIMARY = SCHEMA + "about", AKG + "primaryCategory"
P_SUBJECT, P_HAS_CODE = DCTERMS + "subject", AKG + "hasCode"
P_RELATION, P_MENTIONS = DCTERMS + "relation", SCHEMA + "mentions"
P_AUTHOR, P_SIGNATURE = SCHEMA + "author", DBLP + "hasSignature"
P_IDENTIFIER, P_NAME, P_VERSION = SCHEMA + "identifier", SCHEMA + "name", SCHEMA + "version"
P_ORDINAL, P_CREATOR = DBLP + "signatureOrdinal", DBLP + "signatureCreator"
P_PUBLICATION = DBLP + "signaturePublication"
P_PAPER_COUNT = AKG + "paperCount"
P_DOI, P_SAME_AS, P_ALTERNATE_NAME = BIBO + "doi", SCHEMA + "sameAs", SCHEMA + "alternateName"


def integer(value: int) -> Term:
    return (LITERAL, str(int(value)), XSD_INTEGER)


@functools.lru_cache(maxsize=1024)
def _ordinal(position: int) -> Pair:
    return (P_ORDINAL, integer(position))


class Describer:
    """The (predicate, object) pairs of each kind of subject, from the values of the KG's tables.

    The pairs come unsorted (but a signature's); graph.rdf.subjects sorts them. Edges from a paper to other
    subjects are handed in as ready pairs (for example ``(P_ABOUT, iri(category))``), because
    the caller resolves and caches the target IRIs.
    """

    def __init__(self, base_iri: str = DEFAULT_BASE_IRI) -> None:
        self.base = check_base_iri(base_iri)
        self._in_arxiv = (SKOS + "inScheme", iri(scheme_iri("arxiv", self.base)))

    def paper(self, arxiv_id: str, texts: Iterable[str | None], dates: Iterable[str | None],
              version: int | None, dois: Iterable[str], edges: list[Pair]) -> list[Pair]:
        """A paper of the corpus: texts are title, abstract, journal_ref, comment (None: absent);
        dates are published and updated as ISO 8601 date-times (graph.tables.scan.iso_texts)."""
        pairs: list[Pair] = [(P_IDENTIFIER, literal(arxiv_id)), IS_ARTICLE]
        add = pairs.append
        for pred, text in zip(PAPER_TEXTS, texts):
            if text:
                add((pred, literal(text)))
        for pred, text in zip(PAPER_DATES, dates):  # timestamps in the tables: always full
            if text:
                add((pred, (LITERAL, text, XSD_DATETIME)))
        if version is not None:
            add((P_VERSION, integer(version)))
        for doi in dict.fromkeys(dois):
            add((P_DOI, literal(doi)))
            add((P_SAME_AS, doi_same_as(doi)))
        pairs += edges
        return pairs

    @staticmethod
    def mentioned_paper(arxiv_id: str) -> list[Pair]:
        """A paper only mentioned: no rdf:type, so ScholarlyArticle == papers in the corpus."""
        return [(P_IDENTIFIER, literal(arxiv_id))]

    @staticmethod
    def signature(author: Term, paper: Term, position: int) -> list[Pair]:
        """Already sorted (http://www.w3.org/... < https://dblp.org/...; Creator < Ordinal <
        Publication): half the KG's triples are signatures', so they skip the sort."""
        return [IS_SIGNATURE, (P_CREATOR, author), _ordinal(position), (P_PUBLICATION, paper)]

    @staticmethod
    def author(name: str, spellings: Iterable[str], papers: int | None,
               kind: str = "person") -> list[Pair]:
        """A person, or an organisation (a team or company that signs papers: `kind`)."""
        pairs: list[Pair] = [IS_ORGANISATION if kind == "organisation" else IS_PERSON,
                             (P_NAME, literal(name))]
        pairs += [(P_ALTERNATE_NAME, literal(s)) for s in dict.fromkeys(spellings) if s != name]
        if papers is not None:
            pairs.append((P_PAPER_COUNT, integer(papers)))
        return pairs

    def category(self, code: str, name: str, archive: str) -> list[Pair]:
        pairs = self._concept(code, name or code)
        if archive != code:
            pairs.append((SKOS + "broader", iri(category_iri(archive, self.base))))
        return pairs

    def archive(self, archive: str) -> list[Pair]:
        return self._concept(archive, archive_name(archive))

    def _concept(self, notation: str, label: str) -> list[Pair]:
        return [_IS_CONCEPT, (SKOS + "notation", literal(notation)),
                (SKOS + "prefLabel", lang_literal(label, "en")), self._in_arxiv]

    @staticmethod
    def scheme(slug: str) -> list[Pair]:
        return [_IS_SCHEME, (SKOS + "prefLabel", lang_literal(_SCHEME_LABELS.get(slug, slug), "en"))]

    def subject_class(self, scheme: str, code: str) -> list[Pair]:
        """A valid class's concept (an invalid one is a literal on its papers: no concept)."""
        return [_IS_CONCEPT, (SKOS + "notation", literal(code)),
                (SKOS + "inScheme", iri(scheme_iri(subject_scheme_slug(scheme, code), self.base)))]

    def repository_iri(self, url: str) -> str:
        """The URL itself where it makes a valid IRI, else a minted one."""
        return text_iri(url) or f"{self.base}repository/{_digest16(url)}"

    @staticmethod
    def repository(subject: str, url: str, label: str, host: str) -> list[Pair]:
        valid = subject == text_iri(url)
        pairs: list[Pair] = [_IS_CODE, (SCHEMA + "codeRepository",
                                        iri(subject) if valid else literal(url, XSD_ANYURI))]
        pairs += _optional_literals(((P_NAME, label), (AKG + "host", host)))
        return pairs

    @staticmethod
    def link(url: str, kind: str) -> list[Pair]:
        pairs: list[Pair] = [_IS_PAGE, (SCHEMA + "url", literal(url, XSD_ANYURI))]
        pairs += _optional_literals(((AKG + "linkKind", kind),))
        return pairs


def doi_same_as(doi: str) -> Term:
    """What a paper with the DOI is the same as: its resolver IRI (a literal if no valid IRI)."""
    return _iri_or_literal(doi_iri(doi), DOI_RESOLVER + doi)


def _optional_literals(fields: Iterable[tuple[str, str | None]]) -> list[Pair]:
    return [(pred, literal(str(value))) for pred, value in fields if value]


def _iri_or_literal(value: str | None, text: str) -> Term:
    return iri(value) if value else literal(text, XSD_ANYURI)


def sorted_pairs(pairs: list[Pair]) -> list[Pair]:
    """Sorted by predicate, then IRIs before literals, then value; duplicates dropped."""
    pairs.sort()
    if any(map(eq, pairs, islice(pairs, 1, None))):  # rare: e.g. two spellings of one DOI
        pairs = sorted(set(pairs))
    return pairs


def subject_lines(subject: str, pairs: list[Pair]) -> list[str]:
    """The triples of one subject as N-Triples lines (each ends in a newline)."""
    head = f"<{subject}> <"
    return [f"{head}{p}> {object_text(o)} .\n" for p, o in pairs]


def object_text(term: Term) -> str:
    """The term as the object of an N-Triples line."""
    kind, value, extra = term
    if kind == IRI:
        return f"<{value}>"
    if kind == LANG_LITERAL:
        return f"{quoted(value)}@{extra}"
    if extra == XSD_STRING:
        return quoted(value)
    return f"{quoted(value)}^^<{extra}>"


def ntriples_block(subject: str, pairs: list[Pair]) -> str:
    return "".join(subject_lines(subject, pairs))
