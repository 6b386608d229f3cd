"""`arxiv-kg serve` (graph/server.py): a real server on a free port, queried with urllib."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
import pytest
from conftest import request

from arxiv_kg.cli import main
from graph.rdf.server import (
    Answer,
    AnswerCache,
    Endpoint,
    Failure,
    NotAcceptable,
    ServerOptions,
    SparqlServer,
    negotiate,
)
from graph.rdf.store import execute, open_store, serialize, shipped_queries

COUNT = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def kg(sample_kg: Path) -> Path:
    """The bundled sample's KG folder, SPARQL store included (`build` writes it)."""
    return sample_kg


@pytest.fixture(scope="module")
def server(kg: Path) -> Iterator[SparqlServer]:
    with Endpoint(ServerOptions(kg_dir=str(kg), port=0, timeout_s=60, workers=2, quiet=True)) as srv:
        yield srv


def get(server: SparqlServer, query: str, accept: str = JSON, **params: str):
    return request(f"{server.url}?{urlencode({'query': query, **params})}", headers={"Accept": accept})


def paper_count(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_get_answers_with_sparql_json(server, sample_corpus) -> None:
    status, headers, body = get(server, COUNT)
    assert status == 200 and headers["Content-Type"].startswith(JSON)
    assert paper_count(body) == len(sample_corpus.papers)
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_post_form_and_post_sparql_query(server, sample_corpus) -> None:
    form = request(server.url, data=urlencode({"query": COUNT}).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON})
    direct = request(server.url, data=COUNT.encode(),
                     headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": JSON})
    for status, _, body in (form, direct):
        assert status == 200 and paper_count(body) == len(sample_corpus.papers)


@pytest.mark.parametrize("accept, media, fmt", [
    ("application/sparql-results+xml", "application/sparql-results+xml", "xml"),
    ("text/csv", "text/csv", "csv"),
    ("text/tab-separated-values", "text/tab-separated-values", "tsv"),
    ("text/html, application/xhtml+xml, */*;q=0.8", JSON, "json"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml", "xml"),
])
def test_content_negotiation_for_results(server, kg, accept, media, fmt) -> None:
    query = shipped_queries()["top-authors"].path.read_text("utf-8")
    status, headers, body = get(server, query, accept)
    assert status == 200 and headers["Content-Type"].startswith(media)
    assert body == serialize(execute(open_store(kg), query), fmt)


@pytest.mark.parametrize("accept, media, rdf_format", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("*/*", "text/turtle", ox.RdfFormat.TURTLE),
])
def test_content_negotiation_for_graphs(server, kg, accept, media, rdf_format) -> None:
    query = shipped_queries()["ego-network"].path.read_text("utf-8")
    status, headers, body = get(server, query, accept)
    assert status == 200 and headers["Content-Type"].startswith(media)
    expected = set(execute(open_store(kg), query).triples)
    assert {q.triple for q in ox.parse(body, rdf_format)} == expected


def test_format_parameter_overrides_accept(server) -> None:
    status, headers, body = get(server, COUNT, "application/sparql-results+xml", format="csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0] == b"n"


def test_no_acceptable_format_is_406(server) -> None:
    status, _, body = get(server, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "text/csv")
    assert status == 406 and b"text/turtle" in body


@pytest.mark.parametrize("how", ["update-param", "update-as-query", "sparql-update-body", "update-form"])
def test_updates_are_refused_and_change_nothing(server, sample_corpus, how: str) -> None:
    update = "INSERT DATA { <http://example.org/a> a <http://schema.org/ScholarlyArticle> }"
    if how == "update-param":
        status, _, body = request(f"{server.url}?{urlencode({'update': update})}")
    elif how == "update-as-query":
        status, _, body = get(server, update)
    elif how == "sparql-update-body":
        status, _, body = request(server.url, data=update.encode(),
                                  headers={"Content-Type": "application/sparql-update"})
    else:
        status, _, body = request(server.url, data=urlencode({"update": update}).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"read-only" in body
    assert paper_count(get(server, COUNT)[2]) == len(sample_corpus.papers)


@pytest.mark.parametrize("url_suffix, data, headers, status, message", [
    ("?query=SELECT%20%3Fx%20WHERE%20%7B", None, {}, 400, b"SPARQL syntax error at line 1, column"),
    ("", None, {"Accept": JSON}, 400, b"expected exactly one non-empty 'query'"),
    ("?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400, b"exactly one"),
    ("?query=%ff%fe", None, {}, 400, b"not valid UTF-8"),
    ("", b"query", {"Content-Type": "text/plain"}, 415, b"unsupported Content-Type"),
    ("", b"\xff\xfe", {"Content-Type": "application/sparql-query"}, 400, b"not UTF-8"),
    ("?query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fx", None, {}, 400, b"not supported"),
])
def test_malformed_requests_get_a_clear_4xx_and_the_server_keeps_running(
        server, sample_corpus, url_suffix, data, headers, status, message) -> None:
    got, _, body = request(server.url + url_suffix, data=data, headers=headers,
                           method="POST" if data is not None else "GET")
    assert got == status and message in body
    assert paper_count(get(server, COUNT)[2]) == len(sample_corpus.papers)


def test_unknown_path_is_404(server) -> None:
    status, _, body = request(server.url.replace("/sparql", "/nope"))
    assert status == 404 and b"/sparql" in body


def test_cors_preflight(server) -> None:
    status, headers, body = request(server.url, method="OPTIONS",
                                    headers={"Origin": "http://yasgui.example",
                                             "Access-Control-Request-Method": "POST"})
    assert status == 204 and body == b""
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]


def test_html_page_at_root(server) -> None:
    status, headers, body = request(server.url.replace("/sparql", "/"))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert "<textarea" in page and "fetch(" in page and "top-authors" in page
    assert "src=" not in page and "<link" not in page and "@import" not in page  # no external assets


def test_binds_loopback_by_default() -> None:
    assert ServerOptions(kg_dir="x").host == "127.0.0.1"


def test_row_cap_truncates_and_says_so(kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(kg), port=0, max_rows=5, workers=1, quiet=True)) as srv:
        status, headers, body = get(srv, "SELECT ?p WHERE { ?p a schema:ScholarlyArticle }")
        assert status == 200 and headers["X-Result-Truncated"] == "true"
        assert len(json.loads(body)["results"]["bindings"]) == 5
        status, headers, _ = get(srv, COUNT)
        assert headers["X-Result-Truncated"] == "false"


def test_timeout_kills_the_worker_and_the_server_recovers(kg, sample_corpus) -> None:
    with Endpoint(ServerOptions(kg_dir=str(kg), port=0, timeout_s=1, workers=1, quiet=True)) as srv:
        before = srv.pool.pids()
        status, _, body = get(srv, ENDLESS)
        assert status == 503 and b"stopped after 1 s" in body
        assert [_alive(pid) for pid in before].count(False) == 1  # the query's process is gone
        deadline = time.monotonic() + 60
        while True:  # a replacement worker is starting; the 1 s limit includes the wait for it
            status, _, body = get(srv, COUNT)
            if status == 200 or time.monotonic() > deadline:
                break
        assert status == 200 and paper_count(body) == len(sample_corpus.papers)
        assert srv.pool.pids() and srv.pool.pids() != before


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_twenty_concurrent_clients_get_correct_answers(server, kg) -> None:
    store = open_store(kg)
    queries = [q.path.read_text("utf-8") for q in shipped_queries().values()]
    expected = {}
    for q in queries:
        result = execute(store, q)
        expected[q] = (serialize(result, "turtle" if result.kind == "graph" else "json"))
    jobs = [queries[i % len(queries)] for i in range(100)]

    def client(query: str) -> bool:
        status, _, body = get(server, query, f"{JSON}, text/turtle;q=0.9")
        return status == 200 and body == expected[query]

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(client, jobs))
    assert all(answers) and len(answers) == 100


def test_a_repeated_query_is_answered_from_the_cache(kg, sample_corpus) -> None:
    with Endpoint(ServerOptions(kg_dir=str(kg), port=0, workers=1, quiet=True)) as srv:
        first = get(srv, COUNT)
        again = get(srv, COUNT)
        as_csv = get(srv, COUNT, "text/csv")
        assert [r[1]["X-Cache"] for r in (first, again, as_csv)] == ["miss", "hit", "miss"]
        assert again[2] == first[2] and paper_count(again[2]) == len(sample_corpus.papers)
        assert as_csv[1]["Content-Type"].startswith("text/csv")
        assert (srv.cache.hits, srv.cache.misses, len(srv.cache)) == (1, 2, 2)
        assert get(srv, "SELECT ?x WHERE {")[0] == get(srv, "SELECT ?x WHERE {")[0] == 400
        assert len(srv.cache) == 2  # errors are not kept


def test_identical_concurrent_queries_run_once(kg) -> None:
    query = text_of("coauthor-pairs")
    expected = serialize(execute(open_store(kg), query), "json")
    with Endpoint(ServerOptions(kg_dir=str(kg), port=0, workers=2, quiet=True)) as srv:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: get(srv, query), range(20)))
        assert all(status == 200 and body == expected for status, _, body in answers)
        assert (srv.cache.misses, srv.cache.hits) == (1, 19)
        assert sum(headers["X-Cache"] == "miss" for _, headers, _ in answers) == 1


def test_without_the_cache_every_request_runs(kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(kg), port=0, workers=1, quiet=True, cache_entries=0)) as srv:
        answers = [get(srv, COUNT) for _ in range(3)]
        assert [headers["X-Cache"] for _, headers, _ in answers] == ["miss"] * 3
        assert len({body for _, _, body in answers}) == 1 and len(srv.cache) == 0


def test_the_cache_is_bounded_in_entries_and_bytes() -> None:
    def answer(size: int) -> Answer:
        return Answer("text/csv", b"x" * size, 1, False)

    cache = AnswerCache(entries=2, max_bytes=100)
    for key in "abc":
        cache.get(key, lambda: answer(10))
    assert cache.get("a", lambda: answer(11)) == (answer(11), False)  # the oldest was dropped
    assert cache.get("c", lambda: answer(99)) == (answer(10), True)
    cache.get("big", lambda: answer(26))  # over a quarter of the byte budget: not kept
    assert cache.get("big", lambda: answer(1))[1] is False

    by_bytes = AnswerCache(entries=10, max_bytes=100)
    for key in "abcde":
        by_bytes.get(key, lambda: answer(25))
    assert len(by_bytes) == 4  # 125 bytes would not fit: the oldest went
    assert [by_bytes.get(k, lambda: answer(0))[1] for k in "edcb"] == [True] * 4
    assert by_bytes.get("a", lambda: answer(0))[1] is False

    failure = Failure("QueryTimeout", "slow")
    assert cache.get("f", lambda: failure) == (failure, False)
    assert cache.get("f", lambda: answer(1)) == (answer(1), False)  # failures are retried


def text_of(name: str) -> str:
    return shipped_queries()[name].path.read_text("utf-8")


def test_negotiate_prefers_higher_quality_and_falls_back_on_wildcards() -> None:
    assert negotiate("select", "text/csv;q=0.2, text/tab-separated-values") == "tsv"
    assert negotiate("ask", None) == "json"
    assert negotiate("select", "text/*") == "csv"
    assert negotiate("graph", "application/*") == "ntriples"
    assert negotiate("graph", "application/json;q=1, */*;q=0.1") == "turtle"
    with pytest.raises(NotAcceptable):
        negotiate("graph", "text/csv")
    assert negotiate("select", "*/*", requested="turtle") == "json"  # format= that does not fit
    with pytest.raises(NotAcceptable):
        negotiate("select", "text/turtle", requested="turtle")


def test_the_serve_command_logs_requests_and_stops_on_ctrl_c(kg, sample_corpus) -> None:
    cli = Path(sys.executable).parent / "arxiv-kg"
    proc = subprocess.Popen([str(cli), "serve", "--kg", str(kg), "--port", "0", "--workers", "1"],
                            stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stderr.readline()
        match = re.search(r"SPARQL endpoint at (http://127\.0\.0\.1:\d+/sparql)", banner)
        assert match, banner
        with urllib.request.urlopen(f"{match.group(1)}?{urlencode({'query': COUNT})}", timeout=60) as resp:
            assert paper_count(resp.read()) == len(sample_corpus.papers)
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert re.search(r'"GET /sparql\?query=\S+ HTTP/1.1" 200', rest)


def test_the_serve_command_without_a_store_fails_cleanly(runner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["serve", "--kg", str(tmp_path), "--port", "0"])
    assert result.exit_code == 1
    assert "no knowledge graph here" in result.output and "Traceback" not in result.output


def test_errors_on_a_kept_alive_connection_leave_it_usable(server, sample_corpus) -> None:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("POST", "/nowhere", body="query=" + "x" * 5000,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        first = conn.getresponse()
        assert first.status == 404 and b"/sparql" in first.read()
        conn.request("POST", parts.path, body=COUNT, headers={"Content-Type": "application/sparql-query",
                                                              "Accept": JSON})
        second = conn.getresponse()
        assert second.status == 200 and paper_count(second.read()) == len(sample_corpus.papers)
    finally:
        conn.close()


def test_an_oversized_body_is_413_before_it_is_read(server) -> None:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.putrequest("POST", parts.path)
        conn.putheader("Content-Type", "application/sparql-query")
        conn.putheader("Content-Length", str(2 << 20))
        conn.endheaders()  # the body is never sent: the server must answer from the headers
        resp = conn.getresponse()
        assert resp.status == 413 and b"request body over" in resp.read()
    finally:
        conn.close()
