"""The embedded store (graph/store.py) and `arxiv-kg query`."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from arxiv_kg.cli import main
from graph.errors import ArxivKGError, KGNotFound
from graph.rdf.load import create_store, store_from_kg
from graph.rdf.store import (
    FORMATS,
    FormatError,
    QueryRefused,
    QueryResult,
    QuerySyntaxError,
    checked_query,
    execute,
    open_store,
    render_table,
    run_query,
    serialize,
    shipped_queries,
    store_path,
)

EX = "http://example.org/"
# A cross product of the whole store with itself three times: never finishes on any store.
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _lines(n: int, tag: str = "v") -> list[str]:
    return [f'<{EX}s{i}> <{EX}p> "{tag}{i}" .\n' for i in range(n)]


def _count(store: ox.Store) -> int:
    return int(next(iter(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"].value)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    create_store(store_path(tmp_path), _lines(50) + [
        f'<{EX}s0> <{EX}label> "multi\\nline\\ttext" .\n',
        f'<{EX}s0> <{EX}n> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
        f'<{EX}s1> <{EX}label> "bonjour"@fr .\n',
    ])
    return tmp_path


# --- building and opening -------------------------------------------------------------

def test_create_store_streams_lines_and_reports_the_count(tmp_path: Path) -> None:
    n = create_store(tmp_path / "store", iter(_lines(10_000)))  # an iterator: no len()
    assert n == 10_000
    assert _count(open_store(tmp_path)) == 10_000


def test_create_store_from_a_file_path(tmp_path: Path) -> None:
    nt = tmp_path / "data.nt"
    nt.write_text("".join(_lines(7)), encoding="utf-8")
    assert create_store(tmp_path / "store", nt) == 7
    assert _count(open_store(tmp_path)) == 7


def test_rebuild_replaces_the_store_and_leaves_no_temporary_folders(tmp_path: Path) -> None:
    create_store(tmp_path / "store", _lines(5))
    create_store(tmp_path / "store", _lines(3, tag="w"))
    store = open_store(tmp_path)
    assert _count(store) == 3
    values = {s["o"].value for s in store.query(f"SELECT ?o {{ ?s <{EX}p> ?o }}")}
    assert values == {"w0", "w1", "w2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_a_failed_build_keeps_the_old_store(tmp_path: Path) -> None:
    create_store(tmp_path / "store", _lines(5))

    def broken():
        yield from _lines(100)
        raise RuntimeError("generator failed half-way")

    with pytest.raises(RuntimeError):
        create_store(tmp_path / "store", broken())
    with pytest.raises(ArxivKGError, match="invalid N-Triples"):
        create_store(tmp_path / "store", ["<not an iri> <p> <o> .\n"])
    assert _count(open_store(tmp_path)) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_open_store_without_a_store_is_kg_not_found(tmp_path: Path) -> None:
    with pytest.raises(KGNotFound, match="arxiv-kg build"):
        open_store(tmp_path)


def test_the_opened_store_is_read_only(small: Path) -> None:
    store = open_store(small)
    with pytest.raises(RuntimeError, match="read-write"):
        store.update(f"INSERT DATA {{ <{EX}x> <{EX}y> <{EX}z> }}")
    assert _count(store) == 53


def test_store_from_kg_loads_every_paper(sample_kg: Path, sample_corpus, tmp_path: Path) -> None:
    kg = tmp_path / "kg"
    shutil.copytree(sample_kg, kg, ignore=shutil.ignore_patterns("store"))
    with open(kg / "kg.nt", "rb") as fh:
        assert store_from_kg(kg) == sum(1 for _ in fh)  # the same triples `build` wrote
    result = execute(open_store(kg), "SELECT (COUNT(?p) AS ?n) { ?p a schema:ScholarlyArticle }")
    assert int(result.rows[0][0].value) == len(sample_corpus.papers)


# --- queries --------------------------------------------------------------------------

def test_common_prefixes_are_predefined_and_a_declared_prefix_wins(small: Path) -> None:
    store = open_store(small)
    assert execute(store, "ASK { FILTER (STR(xsd:integer) = 'http://www.w3.org/2001/XMLSchema#integer') }").boolean
    mine = execute(store, f"PREFIX schema: <{EX}> SELECT ?o {{ ?s schema:p ?o }}")
    assert len(mine) == 50


@pytest.mark.parametrize("query, line, column", [
    ("SELECT ?x WHERE {\n  ?x ?y\n}", 3, None),
    ("SELECT ?x WHERE { ?x ?y ?z FILTER (?x = ) }", 1, None),
])
def test_a_syntax_error_gives_line_and_column_on_one_line(small: Path, query: str, line: int,
                                                          column: int | None) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        execute(open_store(small), query)
    message = str(err.value)
    assert "\n" not in message
    assert f"line {line}, column " in message


@pytest.mark.parametrize("query, where, prefix", [
    ("SELECT ?x WHERE {\n  ?x foo:bar ?y\n}", "line 2, column 6", "foo"),
    ("SELECT * { ?s ex:p ?o }", "line 1, column 15", "ex"),
    ('PREFIX ex: <http://e/>\nSELECT * {\n ?s ex:p "a:b" . # c:d\n ?s bad:p <http://x/y:z> }',
     "line 4, column 5", "bad"),
])
def test_an_unknown_prefix_is_named_where_it_is_used(small: Path, query: str, where: str,
                                                      prefix: str) -> None:
    with pytest.raises(QuerySyntaxError, match=rf"{where}: unknown prefix {prefix}: \(predefined: .*schema"):
        execute(open_store(small), query)


def test_a_declared_prefix_is_not_blamed_for_another_error(small: Path) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        execute(open_store(small), "PREFIX ex: <http://e/>\nSELECT * { ?s ex:p ?o FILTER (?o = ) }")
    assert "unknown prefix" not in str(err.value) and "line 2, column" in str(err.value)


@pytest.mark.parametrize("update", [
    f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}",
    "delete where { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/#x>\n# a comment\nDELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "BASE <http://example.org/> LOAD <http://example.org/data.ttl>",
    "CLEAR ALL", "DROP GRAPH <http://example.org/g>", "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_refused_and_change_nothing(small: Path, update: str) -> None:
    store = open_store(small)
    with pytest.raises(QueryRefused, match="read-only"):
        execute(store, update)
    assert _count(store) == 53


def test_service_calls_are_refused(small: Path) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        execute(open_store(small), "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")


@pytest.mark.parametrize("query", [
    'SELECT ?s { ?s ?p "insert delete load" }',
    "SELECT ?service { ?service <http://example.org/service> ?o }",
    "# DELETE everything\nSELECT * { ?s ?p ?o } LIMIT 1",
    "PREFIX service: <http://example.org/> SELECT * { ?s service:p ?o } LIMIT 1",
])
def test_words_inside_strings_iris_comments_and_names_are_not_keywords(query: str) -> None:
    assert checked_query(query) == query  # does not raise


def test_limit_caps_rows_and_triples_and_says_so(small: Path) -> None:
    store = open_store(small)
    capped = execute(store, "SELECT ?s { ?s ?p ?o }", limit=10)
    assert (len(capped), capped.truncated) == (10, True)
    exact = execute(store, "SELECT ?s { ?s ?p ?o }", limit=53)
    assert (len(exact), exact.truncated) == (53, False)
    graph = execute(store, "CONSTRUCT WHERE { ?s ?p ?o }", limit=4)
    assert (graph.kind, len(graph), graph.truncated) == ("graph", 4, True)


def test_run_query_returns_like_execute(small: Path) -> None:
    store = open_store(small)
    assert run_query(store, "ASK { ?s ?p ?o }", timeout_s=30) == execute(store, "ASK { ?s ?p ?o }")
    with pytest.raises(QuerySyntaxError):
        run_query(store, "SELEC", timeout_s=30)


def test_run_query_times_out_and_the_process_exits(small: Path) -> None:
    # In a child process: the abandoned query thread must not keep the process alive.
    script = ("import sys\nfrom graph.rdf.store import open_store, run_query, QueryTimeout\n"
              f"store = open_store({str(small)!r})\n"
              "try:\n"
              f"    run_query(store, {ENDLESS!r}, timeout_s=0.5)\n"
              "except QueryTimeout as exc:\n"
              "    print('timeout:', exc)\n"
              "    sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "timeout: query stopped after 0.5 s" in done.stdout


# --- serialisation --------------------------------------------------------------------

@pytest.mark.parametrize("fmt, results_format", [
    ("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML),
    ("csv", ox.QueryResultsFormat.CSV), ("tsv", ox.QueryResultsFormat.TSV),
])
def test_result_formats_match_pyoxigraph_byte_for_byte(small: Path, fmt: str, results_format) -> None:
    store = open_store(small)
    query = f"SELECT ?s ?o ?missing {{ ?s ?p ?o OPTIONAL {{ ?s <{EX}none> ?missing }} }} ORDER BY ?s ?o"
    direct = store.query(query).serialize(format=results_format)
    assert serialize(execute(store, query), fmt) == direct


def test_ask_serialises_as_sparql_results(small: Path) -> None:
    result = execute(open_store(small), "ASK { ?s ?p ?o }")
    assert json.loads(serialize(result, "json")) == {"head": {}, "boolean": True}
    assert serialize(result, "table") == b"true\n"


@pytest.mark.parametrize("fmt, rdf_format", [("turtle", ox.RdfFormat.TURTLE),
                                              ("ntriples", ox.RdfFormat.N_TRIPLES)])
def test_construct_serialises_as_rdf_that_parses_back(small: Path, fmt: str, rdf_format) -> None:
    store = open_store(small)
    result = execute(store, f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s ?p ?o }}")
    parsed = {q.triple for q in ox.parse(serialize(result, fmt), rdf_format)}
    assert parsed == set(result.triples)
    assert len(parsed) == 53


def test_a_format_that_does_not_fit_the_query_form_is_refused(small: Path) -> None:
    store = open_store(small)
    with pytest.raises(FormatError, match="turtle"):
        serialize(execute(store, "CONSTRUCT WHERE { ?s ?p ?o }"), "csv")
    with pytest.raises(FormatError, match="json"):
        serialize(execute(store, "SELECT * { ?s ?p ?o }"), "turtle")


def test_table_is_aligned_with_numbers_right_and_text_on_one_line(small: Path) -> None:
    result = execute(open_store(small), f"""
        SELECT ?label ?n ?s {{ <{EX}s0> <{EX}label> ?label ; <{EX}n> ?n . BIND (<{EX}s0> AS ?s) }}""")
    lines = render_table(result).splitlines()
    assert lines[0].split() == ["label", "n", "s"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2] == "multi line text  42  http://example.org/s0"
    assert len(lines) == 3


def test_table_truncates_the_widest_column_to_the_terminal_width(small: Path) -> None:
    long = "x" * 300
    result = QueryResult(kind="select", variables=("a", "b"),
                         rows=((ox.Literal(long), ox.Literal("short")),))
    lines = render_table(result, width=60).splitlines()
    assert max(len(line) for line in lines) <= 60
    assert lines[2].startswith("x" * 40) and "…" in lines[2] and lines[2].endswith("short")


def test_language_tags_and_prefixed_iris_in_the_table(small: Path) -> None:
    result = execute(open_store(small), f"SELECT ?l ?t {{ <{EX}s1> <{EX}label> ?l BIND (schema:name AS ?t) }}")
    assert render_table(result).splitlines()[2].split() == ["bonjour@fr", "schema:name"]


# --- the CLI --------------------------------------------------------------------------

def test_cli_query_by_name_file_stdin_and_text_agree(runner, sample_kg: Path, sample_corpus,
                                                     tmp_path: Path) -> None:
    text = shipped_queries()["count-papers"].path.read_text("utf-8")
    (tmp_path / "q.rq").write_text(text, encoding="utf-8")
    outputs = []
    for arg, stdin in (("count-papers", None), (f"@{tmp_path / 'q.rq'}", None), ("-", text), (text, None)):
        result = runner.invoke(main, ["query", "--kg", str(sample_kg), arg, "--format", "csv", "-q"],
                               input=stdin)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert len(set(outputs)) == 1
    assert outputs[0].splitlines() == ["papers,authors",
                                       f"{len(sample_corpus.papers)},{_people(sample_corpus)}"]


@pytest.mark.parametrize("fmt", [f for f, spec in FORMATS.items() if "select" in spec.kinds])
def test_cli_select_formats(runner, sample_kg: Path, sample_corpus, fmt: str) -> None:
    result = runner.invoke(main, ["query", "--kg", str(sample_kg), "-q", "--format", fmt,
                                  "SELECT ?id { ?p schema:identifier ?id ; a schema:ScholarlyArticle }"])
    assert result.exit_code == 0, result.output
    ids = {p.arxiv_id for p in sample_corpus.papers}
    assert all(i in result.stdout for i in ids)
    if fmt == "json":
        bindings = json.loads(result.stdout)["results"]["bindings"]
        assert {b["id"]["value"] for b in bindings} == ids


def test_cli_construct_as_turtle_and_limit(runner, sample_kg: Path) -> None:
    result = runner.invoke(main, ["query", "--kg", str(sample_kg), "ego-network", "--format", "turtle"])
    assert result.exit_code == 0, result.output
    triples = list(ox.parse(result.stdout_bytes, ox.RdfFormat.TURTLE))
    assert triples and f"{len(triples)} triples" in result.stderr
    capped = runner.invoke(main, ["query", "--kg", str(sample_kg), "top-authors", "--limit", "3",
                                  "--format", "csv"])
    assert capped.exit_code == 0
    assert len(capped.stdout.splitlines()) == 4 and "cut at --limit 3" in capped.stderr


def test_cli_list_names_every_shipped_query(runner) -> None:
    result = runner.invoke(main, ["query", "--list"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == list(shipped_queries())


@pytest.mark.parametrize("args, message", [
    (["SELECT ?x WHERE {\n ?x ?y\n}"], "SPARQL syntax error at line 3, column"),
    (["INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }"], "read-only"),
    (["no-such-query"], "neither SPARQL nor a shipped query"),
    (["@/nonexistent/q.rq"], "cannot read query file"),
    (["ego-network", "--format", "csv"], "does not fit a CONSTRUCT/DESCRIBE query"),
    ([], "missing QUERY"),
])
def test_cli_errors_are_one_line_without_traceback(runner, sample_kg: Path, args, message) -> None:
    result = runner.invoke(main, ["query", "--kg", str(sample_kg), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_without_a_store_says_how_to_build_one(runner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["query", "--kg", str(tmp_path), "count-papers"])
    assert result.exit_code == 1
    assert "no knowledge graph here" in result.output and "arxiv-kg build" in result.output


def test_cli_on_a_kg_built_without_a_store_names_the_kg_folder_to_rebuild(runner, tmp_path: Path) -> None:
    kg = tmp_path / "kg"
    built = runner.invoke(main, ["build", "--out", str(kg), "--formats", "none", "--no-store", "-q"])
    assert built.exit_code == 0, built.output
    result = runner.invoke(main, ["query", "--kg", str(kg), "count-papers"])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.endswith(f"no SPARQL store here; run `arxiv-kg build <digests> --out {kg.resolve()}` first")


def test_cli_timeout_stops_the_query_and_exits(sample_kg: Path) -> None:
    cli = Path(sys.executable).parent / "arxiv-kg"
    done = subprocess.run([str(cli), "query", "--kg", str(sample_kg), "--timeout", "0.5", ENDLESS],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: query stopped after 0.5 s (time limit)"


def _people(corpus) -> int:
    """Authors typed schema:Person: teams and companies are schema:Organization."""
    return sum(a.kind == "person" for a in corpus.authors.values())
