"""The RDF mapping (graph/rdf/mapping.py, streamed from the tables by graph/rdf/subjects.py)
and its three syntaxes: Turtle, N-Triples, JSON-LD.

Every file is read back by parsers that did not write it: pyoxigraph and rdflib (Turtle,
N-Triples), rapper from raptor2-utils when installed (zero errors and zero warnings), and
PyLD with network access refused (JSON-LD). The golden files and the per-format counts on the
bundled sample live in test_exporters_roundtrip.py; here: hostile text, IRIs from sloppy URLs,
isomorphism between the syntaxes, author order by SPARQL, vocabulary and options.
"""
from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyoxigraph as ox
import pytest
import rdflib
from conftest import current, kg_of
from hypothesis import given
from hypothesis import strategies as st
from pyld import jsonld
from rdflib.compare import isomorphic
from reference import save_corpus

from arxiv_kg.progress import reporter
from exporters import jsonld as jsonld_exporter
from exporters import ntriples, turtle
from exporters import rdf as rdf_writer
from exporters.base import ExportOptions
from graph.errors import ArxivKGError
from graph.model.records import Author, Corpus, Link, Paper
from graph.rdf import columnar
from graph.rdf import mapping as rdf
from graph.rdf import subjects as subjects_module
from graph.rdf.subjects import ntriples_lines
from graph.rdf.subjects import subjects as subject_stream

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SCHEMA, DBLP, SKOS, AKG = rdf.SCHEMA, rdf.DBLP, rdf.SKOS, rdf.AKG
MODULES = {"turtle": turtle, "ntriples": ntriples, "jsonld": jsonld_exporter}
OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
              "jsonld": ox.RdfFormat.JSON_LD}
RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}
RAPPER_FORMATS = {"turtle": "turtle", "ntriples": "ntriples"}

HOSTILE_TITLE = ('Quotes "double" \'single\' back\\slash \\u0041 \\" tab\tnew\nline cr\rend '
                 "nul\x00 bell\x07 esc\x1b del\x7f c1\x85 ls\u2028 replacement\ufffd 😀 漢字 é ]]> <b> &amp; @en ^^")
SLOPPY_URLS = [
    "https://github.com/o/r{x}|y z",
    'https://github.com/o/quote"back\\slash',
    "https://github.com/o/<angle>^caret`tick",
    "https://github.com/o/pct%zz%4",
    "https://github.com/o/r#one#two",
    "https://github.com/ö/réu",
]
NO_SCHEME = "github.com/owner/repo"


def make_paper(arxiv_id: str, authors: tuple[str, ...], **fields) -> Paper:
    base = dict(arxiv_id=arxiv_id, version=3, versions=(1, 2, 3), title=f"Title {arxiv_id}",
                dois=(), primary_category="cs.CV", categories=("cs.CV", "eess.IV"),
                subject_classes=("ACM:I.5.4", "MSC:68T45"), published="2021-05-31T00:49:34+00:00",
                updated="2021-06-01T10:00:00+00:00", authors=authors, comment=None, journal_ref=None,
                abstract="An abstract.", repositories=("https://github.com/owner/repo",),
                links=(Link("https://youtu.be/abc", "video"),), mentions=(), sources=("x.md:1",))
    base.update(fields)
    return Paper(**base)


def hostile_corpus() -> Corpus:
    papers = (
        make_paper("2105.00001", ("zoë ñ", "ann lee", "山田 太郎"), title=HOSTILE_TITLE,
                   abstract=HOSTILE_TITLE * 3, comment='8 pages, "accepted"\n', journal_ref="J. \\ Vol 1",
                   dois=("10.1000/a<b>{c}|d e\"f^g`h#i#j", "10.1000/plain"),
                   repositories=(*SLOPPY_URLS, NO_SCHEME),
                   links=(Link('https://ex.com/a b{c}|d\\e"f<g>^h`i#j#k%zz', "project"),),
                   mentions=("2105.00002", "cs/9902010")),
        make_paper("2105.00002", ("ann lee",), categories=("cmp-lg", "math-ph", "cs.XY"),
                   primary_category="cmp-lg", subject_classes=(), repositories=(), links=(),
                   published="2021-05-31 00:49:34Z"),
        make_paper("cs/9902011", ("山田 太郎", "ann lee"), categories=("cs.CV",),
                   mentions=("2105.00001",), repositories=()),
    )
    names = {"zoë ñ": "Zoë Ñ", "ann lee": "Ann Lee", "山田 太郎": "山田 太郎"}
    authors = {k: Author(k, v, (v, v.upper(), f'{v} "the" \\ one\n'), 1) for k, v in names.items()}
    return Corpus(papers=papers, authors=authors)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kg_of(hostile_corpus(), tmp_path_factory.mktemp("hostile"))


def write(name: str, kg: Path, **options) -> bytes:
    buf = io.BytesIO()
    MODULES[name].write(kg, buf, ExportOptions(**options))
    return buf.getvalue()


def rdflib_graph(data: bytes, name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=RDFLIB_FORMATS[name])


def pyld_graph(data: bytes) -> rdflib.Graph:
    """JSON-LD -> N-Quads by PyLD, with every remote document load refused."""
    def no_network(url, options=None):
        raise AssertionError(f"PyLD tried to load {url}")

    nquads = jsonld.to_rdf(orjson.loads(data), {"format": "application/n-quads",
                                                "documentLoader": no_network})
    return rdflib.Graph().parse(data=nquads, format="nt")


def rapper_count(data: bytes, name: str, tmp_path: Path) -> int:
    """Triples rapper reads; fails on any error or warning it prints."""
    path = tmp_path / f"data.{name}"
    path.write_bytes(data)
    proc = subprocess.run(["rapper", "-i", RAPPER_FORMATS[name], "-c", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines() if not line.startswith("rapper: Parsing")]
    assert noise == [], noise
    return int(re.search(r"returned (\d+) triples", proc.stderr).group(1))


needs_rapper = pytest.mark.skipif(shutil.which("rapper") is None,
                                  reason="rapper (Debian raptor2-utils) is not installed")


# --- parsers that did not write the files ------------------------------------------------

@pytest.mark.parametrize("name", ["turtle", "ntriples", "jsonld"])
def test_pyoxigraph_and_rdflib_read_the_same_triples_without_warnings(name, hostile, caplog):
    data = write(name, hostile)
    expected = len(list(ntriples_lines(hostile)))
    with caplog.at_level(logging.WARNING):
        g = rdflib_graph(data, name)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(g) == expected
    assert len(set(ox.parse(data, format=OX_FORMATS[name]))) == expected


@needs_rapper
@pytest.mark.parametrize("name", ["turtle", "ntriples"])
def test_rapper_accepts_hostile_output_without_warnings(name, hostile, tmp_path):
    assert rapper_count(write(name, hostile), name, tmp_path) == len(list(ntriples_lines(hostile)))


@needs_rapper
@pytest.mark.parametrize("name", ["turtle", "ntriples"])
def test_rapper_accepts_the_sample(name, sample_kg, tmp_path):
    assert rapper_count(write(name, current(sample_kg)), name, tmp_path) == len(list(ntriples_lines(current(sample_kg))))


@needs_rapper
def test_rapper_accepts_the_vocabulary(tmp_path):
    assert rapper_count(rdf.vocab_path().read_bytes(), "turtle", tmp_path) > 0


def test_pyld_expands_jsonld_offline_to_the_turtle_graph(hostile):
    from_turtle = rdflib_graph(write("turtle", hostile), "turtle")
    assert isomorphic(pyld_graph(write("jsonld", hostile)), from_turtle)


@pytest.mark.parametrize("graph_name", ["hostile", "sample_kg"])
def test_turtle_ntriples_and_jsonld_are_isomorphic(graph_name, request):
    graph = request.getfixturevalue(graph_name)
    turtle_graph = rdflib_graph(write("turtle", graph), "turtle")
    assert len(turtle_graph) > 0
    assert isomorphic(turtle_graph, rdflib_graph(write("ntriples", graph), "ntriples"))
    assert isomorphic(turtle_graph, rdflib_graph(write("jsonld", graph), "jsonld"))


def test_pyld_agrees_on_the_sample(sample_kg):
    assert isomorphic(pyld_graph(write("jsonld", current(sample_kg))),
                      rdflib_graph(write("ntriples", current(sample_kg)), "ntriples"))


# --- content -------------------------------------------------------------------------------

def store_of(kg: Path) -> ox.Store:
    store = ox.Store()
    store.load(write("turtle", kg), format=ox.RdfFormat.TURTLE)
    return store


def select(store: ox.Store, query: str) -> list[tuple]:
    prefixes = "".join(f"PREFIX {k}: <{v}>\n" for k, v in rdf.PREFIXES.items())
    return [tuple(term.value if term is not None else None for term in row)
            for row in store.query(prefixes + query)]


def test_hostile_text_reads_back_exactly(hostile):
    title = HOSTILE_TITLE
    for name in ("turtle", "ntriples", "jsonld"):
        g = rdflib_graph(write(name, hostile), name)
        paper = rdflib.URIRef("https://arxiv.org/abs/2105.00001")
        assert str(g.value(paper, rdflib.URIRef(SCHEMA + "name"))) == title, name
        names = {str(o) for o in g.objects(None, rdflib.URIRef(SCHEMA + "alternateName"))}
        assert 'Zoë Ñ "the" \\ one\n' in names


def test_lone_surrogates_become_replacement_characters():
    # Parquet holds UTF-8 only, so the tables never carry one; the mapping stays safe anyway
    assert rdf.literal("lone\ud800 x") == (rdf.LITERAL, "lone\ufffd x", rdf.XSD_STRING)
    assert rdf.text_iri("https://ex.org/\udc80") == "https://ex.org/%EF%BF%BD"


def test_iris_from_sloppy_urls_are_percent_encoded_and_valid(hostile):
    store = store_of(hostile)
    repos = {row[0]: row[1] for row in select(store, """
        SELECT ?repo ?code WHERE { ?repo a schema:SoftwareSourceCode ; schema:codeRepository ?code }""")}
    assert len(repos) == len(SLOPPY_URLS) + 1
    for url in SLOPPY_URLS:
        encoded = rdf.text_iri(url)
        assert encoded is not None and encoded in repos, url
        assert not set(encoded) & set(' {}|\\"<>^`') and encoded.isascii()
        ox.NamedNode(encoded)
    assert rdf.text_iri("https://github.com/o/r#one#two") == "https://github.com/o/r#one%23two"
    assert rdf.text_iri("https://github.com/o/pct%zz%4") == "https://github.com/o/pct%25zz%254"
    [(subject, code)] = [(s, c) for s, c in repos.items() if c == NO_SCHEME]
    assert subject.startswith(rdf.DEFAULT_BASE_IRI + "repository/")  # minted; the text stays a literal


def test_hopeless_urls_become_literals_and_never_abort(tmp_path):
    assert rdf.text_iri(NO_SCHEME) is None
    assert rdf.text_iri("not a url at all") is None
    graph = kg_of(Corpus(papers=(make_paper("2105.00009", ("a b",), repositories=(NO_SCHEME,),
                                            dois=("no scheme:: {x}",)),),
                         authors={"a b": Author("a b", "A B", ("A B",), 1)}), tmp_path)
    g = rdflib_graph(write("turtle", graph), "turtle")
    paper = rdflib.URIRef("https://arxiv.org/abs/2105.00009")
    same_as = list(g.objects(paper, rdflib.URIRef(SCHEMA + "sameAs")))
    assert [str(o) for o in same_as] == ["https://doi.org/no%20scheme::%20%7Bx%7D"]
    code = list(g.objects(None, rdflib.URIRef(SCHEMA + "codeRepository")))
    assert code == [rdflib.Literal(NO_SCHEME, datatype=rdflib.XSD.anyURI)]


def test_author_order_is_recoverable_by_sparql(sample_corpus, sample_kg):
    store = store_of(current(sample_kg))
    rows = select(store, """
        SELECT ?id ?pos ?key WHERE {
          ?paper schema:identifier ?id ; dblp:hasSignature ?sig .
          ?sig dblp:signatureOrdinal ?pos ; dblp:signatureCreator ?key ; dblp:signaturePublication ?paper .
        } ORDER BY ?id ?pos""")
    got: dict[str, list[tuple[int, str]]] = {}
    for arxiv_id, pos, person in rows:
        got.setdefault(arxiv_id, []).append((int(pos), person))
    # a name listed twice in one byline keeps its first place, so ordinals may skip
    expected = {p.arxiv_id: [(p.authors.index(k) + 1, rdf.author_iri(k)) for k in dict.fromkeys(p.authors)]
                for p in sample_corpus.papers}
    assert got == expected


def test_counts_match_the_corpus(sample_corpus, sample_kg):
    store = store_of(current(sample_kg))
    [(articles,)] = select(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }")
    [(people,)] = select(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a schema:Person }")
    [(authors,)] = select(store, "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?p schema:author ?a }")
    assert int(articles) == len(sample_corpus.papers)
    assert int(authors) == len(sample_corpus.authors)
    assert int(people) == sum(a.kind == "person" for a in sample_corpus.authors.values())  # teams aside
    assert int(people) < int(authors)  # the sample lists a team: the check can fail


def test_paper_count_is_the_number_of_papers_authored(sample_corpus, sample_kg):
    store = store_of(current(sample_kg))
    rows = select(store, """
        SELECT ?person ?count (COUNT(?paper) AS ?authored) (DATATYPE(?count) AS ?type) WHERE {
          ?person akg:paperCount ?count .
          ?paper schema:author ?person .
        } GROUP BY ?person ?count""")
    expected = Counter(rdf.author_iri(k) for p in sample_corpus.papers for k in dict.fromkeys(p.authors))
    assert {person: int(count) for person, count, _, _ in rows} == expected
    assert all(int(count) == int(authored) and kind == rdf.XSD_INTEGER for _, count, authored, kind in rows)
    assert max(expected.values()) > 1  # the sample has prolific authors: the check can fail


def test_mentioned_papers_have_no_type(hostile):
    store = store_of(hostile)
    rows = select(store, """SELECT ?m ?type WHERE { ?p schema:mentions ?m OPTIONAL { ?m a ?type } }""")
    types = {m: t for m, t in rows}
    assert types["https://arxiv.org/abs/cs/9902010"] is None
    assert types["https://arxiv.org/abs/2105.00001"] == SCHEMA + "ScholarlyArticle"


def test_categories_carry_names_archives_and_language(hostile):
    store = store_of(hostile)
    rows = select(store, """
        SELECT ?code ?label ?lang ?broader WHERE {
          ?c skos:notation ?code ; skos:prefLabel ?label ; skos:inScheme ?scheme .
          BIND (LANG(?label) AS ?lang)
          OPTIONAL { ?c skos:broader/skos:notation ?broader }
        }""")
    by_code = {code: (label, lang, broader) for code, label, lang, broader in rows}
    assert by_code["cs.CV"] == ("Computer Vision and Pattern Recognition", "en", "cs")
    assert by_code["eess.IV"] == ("Image and Video Processing", "en", "eess")
    assert by_code["cs"] == ("Computer Science", "en", None)
    assert by_code["cmp-lg"] == ("Computation and Language", "en", None)
    assert by_code["math-ph"] == ("Mathematical Physics", "en", None)
    assert by_code["cs.XY"] == ("cs.XY", "en", "cs")  # unknown code: falls back, still broader


def test_dates_and_integers_are_typed(hostile):
    g = rdflib_graph(write("ntriples", hostile), "ntriples")
    dates = list(g.objects(None, rdflib.URIRef(SCHEMA + "datePublished")))
    assert dates and all(d.datatype == rdflib.XSD.dateTime for d in dates)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", str(d)) for d in dates)
    ordinals = list(g.objects(None, rdflib.URIRef(DBLP + "signatureOrdinal")))
    assert sorted(o.toPython() for o in ordinals) == [1, 1, 1, 2, 2, 3]
    assert all(o.datatype == rdflib.XSD.integer for o in ordinals)


def test_one_pass_writes_the_same_bytes_as_each_exporter(hostile):
    options = ExportOptions()
    buffers = {name: io.BytesIO() for name in MODULES}
    rdf_writer.write_rdf(hostile, [(buffers[n], MODULES[n].renderer(options)) for n in MODULES], options)
    for name, buf in buffers.items():
        assert buf.getvalue() == write(name, hostile), name


def test_no_triple_is_written_twice(tmp_path):
    paper = make_paper("2105.00010", ("a b", "a b"), dois=("10.1000/x", " 10.1000/x"),
                       categories=("cs", "cs.CV"), primary_category="cs")
    graph = kg_of(Corpus(papers=(paper,), authors={"a b": Author("a b", "A B", ("A B", "A B"), 1)}),
                  tmp_path)
    lines = list(ntriples_lines(graph))
    assert len(lines) == len(set(lines))
    assert sum("/category/cs> <" in line and "#type>" in line for line in lines) == 1  # archive == category


def test_ntriples_lines_are_the_export_grouped_by_sorted_subject(hostile):
    lines = list(ntriples_lines(hostile))
    assert "".join(lines).encode("utf-8") == write("ntriples", hostile)
    subjects = [line[1:line.index("> ")] for line in lines]
    assert subjects == sorted(subjects)


def test_base_iri_option_moves_minted_iris_only(hostile):
    data = write("ntriples", hostile, base_iri="http://example.org/kg#")
    assert b"<http://example.org/kg#category/cs.CV>" in data
    assert re.findall(rb"<https://w3id.org/arxiv-kg/(?!vocab#)", data) == []  # akg: terms stay put
    assert b"<https://arxiv.org/abs/2105.00001>" in data  # papers keep their arXiv IRIs
    assert isomorphic(rdflib_graph(write("turtle", hostile, base_iri="http://example.org/kg#"), "turtle"),
                      rdflib_graph(data, "ntriples"))


@pytest.mark.parametrize("base", ["not an iri", "https://example.org/no-slash", "https://ex.org/a b/"])
@pytest.mark.parametrize("name", list(MODULES))
def test_bad_base_iri_is_a_domain_error(name, base, hostile):
    with pytest.raises(ArxivKGError, match="base IRI"):
        write(name, hostile, base_iri=base)


def test_progress_goes_to_stderr_unless_quiet(sample_kg, capsys):
    write("turtle", current(sample_kg), progress=reporter(quiet=False))
    assert re.search(r"^Turtle \([\d,]+\)$", capsys.readouterr().err, re.M)  # stderr is no tty here
    write("turtle", current(sample_kg), progress=reporter(quiet=True))
    assert capsys.readouterr().err == ""


# --- IRIs and vocabulary -----------------------------------------------------------------

def test_signature_iri_names_the_signatures_the_writer_mints(sample_kg, sample_corpus):
    paper = sample_corpus.papers[0]
    first = rdf.signature_iri(paper.arxiv_id, 1)
    lines = [line for line in ntriples_lines(current(sample_kg)) if line.startswith(f"<{first}> ")]
    assert f"<{first}> <{rdf.DBLP}signaturePublication> <{rdf.paper_iri(paper.arxiv_id)}> .\n" in lines
    assert f'<{first}> <{rdf.DBLP}signatureOrdinal> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n' in lines


def test_author_iris_are_stable_readable_and_distinct():
    assert rdf.author_iri("jian zhao") == rdf.DEFAULT_BASE_IRI + "author/jian-zhao-" + \
        __import__("hashlib").sha1(b"jian zhao").hexdigest()[:8]
    assert rdf.author_slug("zoë ñ").startswith("zoe-n-")
    assert re.fullmatch(r"[0-9a-f]{8}", rdf.author_slug("山田 太郎"))  # nothing ASCII left: hash only
    assert rdf.author_slug("a-b") != rdf.author_slug("a b")
    for key in ("jian zhao", "zoë ñ", "山田 太郎", "o'brien, j.\n"):
        ox.NamedNode(rdf.author_iri(key))


def test_paper_and_subject_iris():
    assert rdf.paper_iri("2105.14656") == "https://arxiv.org/abs/2105.14656"
    assert rdf.paper_iri("cs/9902010") == "https://arxiv.org/abs/cs/9902010"
    assert rdf.subject_iri("MSC", "68T45") == "http://msc2010.org/resources/MSC/2010/68T45"
    assert rdf.subject_iri("ACM", "I.5.4") == rdf.DEFAULT_BASE_IRI + "acm-ccs-1998/I.5.4"
    assert rdf.category_iri("cs.CV") == rdf.DEFAULT_BASE_IRI + "category/cs.CV"
    ox.NamedNode(rdf.category_iri("weird code/{x}"))


def test_vocabulary_defines_every_project_term_used(hostile):
    vocab = rdflib.Graph().parse(rdf.vocab_path(), format="turtle")
    data = rdflib_graph(write("ntriples", hostile), "ntriples")
    used = {str(p) for _, p, _ in data if str(p).startswith(AKG)}
    assert used == {AKG + t for t in ("primaryCategory", "comment", "hasCode", "host", "linkKind",
                                      "paperCount")}
    for term in used:
        ref = rdflib.URIRef(term)
        for prop in (rdflib.RDFS.label, rdflib.RDFS.comment, rdflib.RDFS.domain, rdflib.RDFS.range):
            assert vocab.value(ref, prop) is not None, (term, prop)


def test_jsonld_context_is_inline_and_uses_http_schema_org(hostile):
    doc = orjson.loads(write("jsonld", hostile))
    assert doc["@context"]["@vocab"] == "http://schema.org/"
    assert isinstance(doc["@context"], dict)  # inline, not a URL
    assert len(doc["@graph"]) == len({line.split(" ", 1)[0] for line in ntriples_lines(hostile)})


# --- subjects in IRI order, streamed from the tables ----------------------------------------

ARXIV_ID = r"(?:[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Za-z-]+)?/[0-9]{7})"


@given(st.lists(st.tuples(st.from_regex(rf"\A{ARXIV_ID}\Z"), st.integers(1, 200)), max_size=30),
       st.sampled_from([rdf.DEFAULT_BASE_IRI, "http://a.example/", "urn:x/"]))
def test_ids_of_the_arxiv_grammar_sort_as_their_iris(signatures, base):
    # graph.rdf.subjects streams papers and signatures in table order, relying on this
    by_id = sorted(set(signatures), key=lambda s: (s[0], str(s[1])))
    assert by_id == sorted(set(signatures), key=lambda s: rdf.signature_iri(s[0], s[1], base))
    ids = sorted({i for i, _ in signatures})
    assert ids == sorted(ids, key=rdf.paper_iri)


@pytest.mark.parametrize("base", ["http://a.example/", "https://w3id.org/arxiv-kg/", "urn:z/"])
def test_subjects_ascend_whatever_base_iri_interleaves_the_kinds(hostile, base):
    subjects = [s for s, _ in subject_stream(hostile, base)]
    assert subjects == sorted(set(subjects))
    starts = ("https://arxiv.org/abs/", "https://github.com/", *(f"{base}{kind}/" for kind in (
        "author", "signature", "category", "scheme", "acm-ccs-1998", "repository", "link")))
    assert all(any(s.startswith(start) for s in subjects) for start in starts)


def test_ids_outside_the_grammar_are_sorted_in_memory(tmp_path):
    # "ab-c" sorts after "ab", but its signatures before those of "ab" ("-" < "/")
    papers = tuple(make_paper(i, ("a b",), mentions=("ab",) if i != "ab" else ()) for i in ("ab", "ab-c"))
    kg = kg_of(Corpus(papers=papers, authors={"a b": Author("a b", "A B", ("A B",), 2)}), tmp_path)
    subjects = [s for s, _ in subject_stream(kg)]
    assert subjects == sorted(set(subjects))
    assert rdf.signature_iri("ab-c", 1) in subjects and rdf.signature_iri("ab", 1) in subjects


def test_the_in_memory_order_is_the_streamed_order(hostile, monkeypatch):
    streamed = write("ntriples", hostile)
    monkeypatch.setattr(subjects_module, "ids_keep_their_order", lambda kg: False)
    assert write("ntriples", hostile) == streamed


def test_unsorted_papers_table_is_refused(tmp_path):
    corpus = hostile_corpus()
    save_corpus(Corpus(papers=corpus.papers[::-1], authors=corpus.authors), tmp_path)
    with pytest.raises(subjects_module.UnsortedTable, match="papers.parquet.*not sorted"):
        write("ntriples", tmp_path)


def test_subjects_of_the_changed_rows_turn_one_kg_into_the_other(tmp_path):
    """The store delta's contract: the full RDF of A, less the subjects_of lines of A only, plus
    those of B only, is the full RDF of B; and those removed are all in A, those added none."""
    a = hostile_corpus()
    changed = make_paper(  # one URL dropped that shares its IRI with another paper's, classes cut
        "2105.00001", ("zoë ñ", "ann lee", "新人"), title="Revised", subject_classes=("ACM:I.5.4",),
        repositories=tuple(u for u in a.papers[0].repositories if u != "https://github.com/ö/réu"),
        mentions=("2105.00002", "cs/9902010"))
    kept = replace(a.papers[1], categories=("math-ph", "cs.XY"), primary_category="math-ph",  # unchanged
                   repositories=("https://github.com/%C3%B6/r%C3%A9u",), mentions=("cs/9902011",))
    a = replace(a, papers=(a.papers[0], kept, a.papers[2]))
    newcomer = make_paper("cs/9902010", ("新人",), categories=("cs.CL",), subject_classes=())  # mentioned in A
    authors = {**a.authors, "新人": Author("新人", "新人", ("新人",), 2),
               "ann lee": replace(a.authors["ann lee"], papers=2)}
    b = Corpus(papers=(changed, kept, newcomer), authors=authors)  # cs/9902011 withdrawn
    old, new = kg_of(a, tmp_path / "a"), kg_of(b, tmp_path / "b")
    before, after = ({line for subject, pairs in found for line in rdf.subject_lines(subject, pairs)}
                     for found in subjects_module.subjects_of(
                         [old, new], rdf.DEFAULT_BASE_IRI, {"2105.00001", "cs/9902010", "cs/9902011"},
                         {"新人", "ann lee", "山田 太郎"}))
    full_a, full_b = set(ntriples_lines(old)), set(ntriples_lines(new))
    assert before - after <= full_a and not (after - before) & full_a
    assert (full_a - (before - after)) | (after - before) == full_b
    gone, came = before - after, after - before  # and these are the cases the test is about:
    assert any(line.startswith("<http://msc2010.org/") for line in gone)  # a class no paper has now
    assert any(line.startswith("<https://github.com/%C3%B6/") for line in gone)  # now from the other URL
    assert any(line.startswith("<https://w3id.org/arxiv-kg/category/cs.CL>") for line in came)
    assert any(line.startswith("<https://arxiv.org/abs/cs/9902010> <http://www.w3.org/") for line in came)


@given(st.text(st.sampled_from("%#25Ab c\t/é\u00a0:") | st.characters(blacklist_categories=("Cs",))))
def test_urls_given_one_iri_have_one_key(url):
    iri = rdf.text_iri(url)
    assert iri is None or rdf.text_iri_key(iri) == rdf.text_iri_key(url)


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_quoted_is_the_json_string_of_the_text(text):
    # the fast path must agree with orjson's escaping, a subset of N-Triples' and Turtle's
    assert rdf.quoted(text) == orjson.dumps(text).decode("utf-8")


# --- the N-Triples rendered column-wise (graph.rdf.columnar) --------------------------------

def tricky_corpus() -> Corpus:
    """What the column-wise rendering must get as the subject stream does: a name listed twice
    (first place kept), twelve authors (signature "10" sorts before "2"), DOIs repeated or
    giving one IRI, an organisation, spellings repeating the name, an empty comment, an
    invalid subject class next to valid ones, an archive that is a category."""
    crowd = tuple(f"author {i}" for i in range(12))
    papers = (
        make_paper("2105.00010", ("a b", "c d", "a b"), dois=("10.1000/x", " 10.1000/x", "10.1000/x", "10.1/\"q\""),
                   categories=("cs", "cs.CV"), primary_category="cs", comment="",
                   subject_classes=("MSC:99Z99", "ACM:I.5.4", "MSC:68T45", "ACM:Z.9.9")),
        make_paper("2105.00011", (*crowd, "team x"), mentions=("2105.00010", "1999.00001")),
    )
    authors = {"a b": Author("a b", "A B", ("A B", "A B", "a. b"), 1), "c d": Author("c d", "", ("",), 1),
               "team x": Author("team x", "Team X", ("Team X",), 1, kind="organisation"),
               **{k: Author(k, k.title(), (k.title(),), 1) for k in crowd}}
    return Corpus(papers=papers, authors=authors)


def by_subjects(kg: Path, base: str = rdf.DEFAULT_BASE_IRI) -> bytes:
    return "".join(ntriples_lines(kg, base)).encode("utf-8")


def by_columns(kg: Path, base: str = rdf.DEFAULT_BASE_IRI, *, monkeypatch, fallback: bool = False) -> bytes:
    """The column-wise N-Triples, failing if they were (or, with `fallback`, were not) rendered
    by the subject stream instead."""
    used: list[bool] = []
    render = columnar._rendered_by_subjects
    monkeypatch.setattr(columnar, "_rendered_by_subjects", lambda *args: used.append(True) or render(*args))
    data = b"".join(columnar.ntriples_chunks(kg, base))
    assert bool(used) == fallback
    return data


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kg_of(tricky_corpus(), tmp_path_factory.mktemp("tricky"))


@pytest.mark.parametrize("base", ["http://a.example/", rdf.DEFAULT_BASE_IRI, "urn:z/"])
@pytest.mark.parametrize("kg", ["hostile", "tricky"])
def test_columns_render_the_bytes_of_the_subject_stream(kg, base, request, monkeypatch):
    folder = request.getfixturevalue(kg)
    data = by_columns(folder, base, monkeypatch=monkeypatch)
    assert data == by_subjects(folder, base)
    assert data.count(b"\n") > 100


def test_columns_in_batches_of_any_size_render_the_same(tricky, hostile, monkeypatch):
    monkeypatch.setattr(columnar, "_BATCH", 2)  # runs of two subjects: the kinds interleave
    monkeypatch.setattr(columnar, "_BATCH_LINES", 25)  # the paper of 13 authors alone in its batch
    for kg in (tricky, hostile):
        assert by_columns(kg, monkeypatch=monkeypatch) == by_subjects(kg)


def test_a_kg_of_too_many_authorships_is_rendered_by_the_subject_stream(tricky, monkeypatch):
    monkeypatch.setattr(columnar, "_MAX_AUTHORSHIPS", 15)  # the tricky KG has 16
    assert by_columns(tricky, monkeypatch=monkeypatch, fallback=True) == by_subjects(tricky)


def test_columns_render_the_sample_as_the_subject_stream(sample_gen, monkeypatch):
    assert by_columns(sample_gen, monkeypatch=monkeypatch) == by_subjects(sample_gen)


def test_columns_keep_the_order_of_ids_outside_the_grammar(tmp_path, monkeypatch):
    papers = tuple(make_paper(i, ("a b",), mentions=("ab",) if i != "ab" else ()) for i in ("ab", "ab-c", "a b%"))
    kg = kg_of(Corpus(papers=papers, authors={"a b": Author("a b", "A B", ("A B",), 3)}), tmp_path)
    assert by_columns(kg, monkeypatch=monkeypatch) == by_subjects(kg)


def test_columns_of_an_empty_kg_are_empty(tmp_path, monkeypatch):
    kg = kg_of(Corpus(papers=(), authors={}), tmp_path)
    assert by_columns(kg, monkeypatch=monkeypatch) == by_subjects(kg) == b""


def test_a_subject_of_two_kinds_is_rendered_by_the_subject_stream(tmp_path, monkeypatch):
    # under this base IRI an author's IRI is also a repository's: one subject, both kinds' pairs
    base = "https://github.com/"
    shared = rdf.author_iri("a b", base)
    papers = (make_paper("2105.00001", ("a b",), repositories=(shared,)),)
    kg = kg_of(Corpus(papers=papers, authors={"a b": Author("a b", "A B", ("A B",), 1)}), tmp_path)
    data = by_columns(kg, base, monkeypatch=monkeypatch, fallback=True)
    assert data == by_subjects(kg, base)
    types = re.findall(rf"^<{re.escape(shared)}> <{re.escape(rdf.RDF_TYPE)}> <(.*)> \.$", data.decode(), re.M)
    assert types == [SCHEMA + "Person", SCHEMA + "SoftwareSourceCode"]


def test_tables_that_disagree_are_rendered_by_the_subject_stream(tmp_path, monkeypatch):
    # authorships of a paper the papers table lacks: the subject stream still signs them
    kg = kg_of(hostile_corpus(), tmp_path)
    papers = pq.read_table(kg / "papers.parquet")
    pq.write_table(papers.filter(pc.not_equal(papers.column("arxiv_id"), "2105.00002")), kg / "papers.parquet")
    data = by_columns(kg, monkeypatch=monkeypatch, fallback=True)
    assert data == by_subjects(kg)
    assert f"<{rdf.signature_iri('2105.00002', 1)}> ".encode() in data


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",))) | st.sampled_from(['"', "\\", "\x00\x1f\x7f"])))
def test_literals_column_wise_are_quoted_as_one_by_one(texts):
    column = columnar.joined(columnar.literal_parts(pa.array(texts, pa.string()), rdf.XSD_INTEGER))
    assert column.to_pylist() == [f"{rdf.quoted(text)}^^<{rdf.XSD_INTEGER}>" for text in texts]
