"""SERVICE can never make the store fetch a URL: the parse check and the socket filter.

A local listener stands in for any internal service. Every form below is sent through
`arxiv-kg query` and through `serve`; the listener must see no connection at all.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from conftest import current, request

from arxiv_kg.cli import main
from graph.rdf import store as store_module
from graph.rdf.server import Endpoint, ServerOptions, SparqlServer
from graph.rdf.store import (
    QueryRefused,
    QuerySyntaxError,
    checked_query,
    open_store,
    run_query,
)


class Listener:
    """A TCP port on loopback that counts (and at once closes) every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self._count = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self._count += 1
            conn.close()

    @property
    def connections(self) -> int:
        with self._lock:
            return self._count

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    port = Listener()
    yield port
    port.close()


# Each form runs a SERVICE call to {url}; {port} is the listener's port.
P = "?a ?b ?c"
FORMS = {
    "plain": "SELECT * {{ SERVICE <{url}> {{ " + P + " }} }}",
    "escaped-quote-in-local-name": ("PREFIX akg: <http://x/> SELECT * {{ BIND(akg:x\\' AS ?z) "
                                    "SERVICE <{url}> {{ ?a ?b ?c FILTER(?c != 'z') }} }}"),
    "escaped-hash-in-local-name": "PREFIX akg: <http://x/> SELECT * {{ BIND(akg:x\\# AS ?z) SERVICE <{url}> {{ " + P + " }} }}",
    "lower-case": "select * {{ service <{url}> {{ " + P + " }} }}",
    "mixed-case": "SeLeCt * {{ SeRvIcE <{url}> {{ " + P + " }} }}",
    "silent": "SELECT * {{ SERVICE SILENT <{url}> {{ " + P + " }} }}",
    "variable-iri": "SELECT * {{ VALUES ?u {{ <{url}> }} SERVICE ?u {{ " + P + " }} }}",
    "bound-iri": "SELECT * {{ BIND(IRI(\"{url}\") AS ?u) SERVICE ?u {{ " + P + " }} }}",
    "subquery": "SELECT * {{ {{ SELECT * {{ SERVICE <{url}> {{ " + P + " }} }} }} }}",
    "optional": "SELECT * {{ BIND(1 AS ?x) OPTIONAL {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "union": "SELECT * {{ {{ BIND(1 AS ?x) }} UNION {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "minus": "SELECT * {{ BIND(1 AS ?x) MINUS {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "exists": "SELECT * {{ BIND(1 AS ?x) FILTER EXISTS {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "not-exists": "SELECT * {{ BIND(1 AS ?x) FILTER NOT EXISTS {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "exists-in-bind": "SELECT * {{ BIND(EXISTS {{ SERVICE <{url}> {{ " + P + " }} }} AS ?x) }}",
    "graph": "SELECT * {{ GRAPH ?g {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "nested-service": "SELECT * {{ SERVICE <{url}> {{ SERVICE <{url}> {{ " + P + " }} }} }}",
    "prefixed-iri": "PREFIX ex: <http://127.0.0.1:{port}/> SELECT * {{ SERVICE ex:sparql {{ " + P + " }} }}",
    "base-relative-iri": "BASE <{url}> SELECT * {{ SERVICE <> {{ " + P + " }} }}",
    "comments-between-tokens": "SELECT * {{ SERVICE#c\n<{url}>#d\n{{#e\n" + P + " }} }}",
    "cr-ends-comment": "SELECT * {{ # hidden\rSERVICE <{url}> {{ " + P + " }}\n}}",
    "no-whitespace": "SELECT*{{SERVICE<{url}>{{" + P + "}}}}",
    "tabs-and-newlines": "SELECT *\n{{\tSERVICE\n\t<{url}>\r\n{{ " + P + " }} }}",
    "u-escaped-keyword": "SELECT * {{ \\u0053ERVICE <{url}> {{ " + P + " }} }}",
    "U-escaped-keyword": "SELECT * {{ \\U00000053ERVICE <{url}> {{ " + P + " }} }}",
    "u-escaped-iri": "SELECT * {{ SERVICE <http\\u003A//127.0.0.1:{port}/> {{ " + P + " }} }}",
    "u-escaped-quote": "SELECT * {{ BIND(\"\\u0022\" AS ?x) SERVICE <{url}> {{ " + P + " }} }}",
    "construct": "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ SERVICE <{url}> {{ " + P + " }} }}",
    "ask": "ASK {{ SERVICE <{url}> {{ " + P + " }} }}",
    "describe": "DESCRIBE ?a WHERE {{ SERVICE <{url}> {{ " + P + " }} }}",
    "sparql-1.2-beside": "SELECT * {{ << ?s ?p ?o >> ?q ?r . SERVICE <{url}> {{ " + P + " }} }}",
    "after-long-string": "SELECT * {{ BIND(\"\"\"a\"b''c\"\"\" AS ?x) SERVICE <{url}> {{ " + P + " }} }}",
}

# Look like SERVICE to a text scan, are harmless, and must run.
HARMLESS = [
    'SELECT ?s {{ ?s ?p "SERVICE <{url}> {{ ?a ?b ?c }}" }}',
    "SELECT ?service {{ ?service <http://example.org/service> ?o }} LIMIT 1",
    "# SERVICE <{url}> {{ ?a ?b ?c }}\nSELECT * {{ ?s ?p ?o }} LIMIT 1",
    "PREFIX service: <http://example.org/> SELECT * {{ ?s service:p ?o }} LIMIT 1",
]


def _form(template: str, listener: Listener) -> str:
    return template.format(url=listener.url, port=listener.port)


def test_there_are_at_least_twenty_forms() -> None:
    assert len(FORMS) >= 20


@pytest.mark.parametrize("name", FORMS)
def test_the_parse_check_refuses_every_form(name: str, listener: Listener) -> None:
    with pytest.raises((QueryRefused, QuerySyntaxError)):
        checked_query(_form(FORMS[name], listener))
    assert listener.connections == 0


@pytest.mark.parametrize("name", FORMS)
def test_query_command_never_connects(runner, sample_kg: Path, listener: Listener, name: str) -> None:
    result = runner.invoke(main, ["query", "--kg", str(sample_kg), "-q", "--format", "json",
                                  _form(FORMS[name], listener)])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert listener.connections == 0


@pytest.fixture(scope="module")
def server(sample_kg: Path) -> Iterator[SparqlServer]:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, timeout_s=60, workers=1, quiet=True)) as srv:
        yield srv


@pytest.mark.parametrize("name", FORMS)
def test_serve_never_connects(server: SparqlServer, listener: Listener, name: str) -> None:
    status, _, body = request(f"{server.url}?{urlencode({'query': _form(FORMS[name], listener)})}")
    assert status in (400, 403), body
    assert listener.connections == 0


@pytest.mark.parametrize("template", HARMLESS)
def test_lookalikes_run(runner, sample_kg: Path, server: SparqlServer, listener: Listener,
                        template: str) -> None:
    query = _form(template, listener)
    assert checked_query(query) == query
    cli = runner.invoke(main, ["query", "--kg", str(sample_kg), "-q", "--format", "csv", query])
    status, _, _ = request(f"{server.url}?{urlencode({'query': query})}")
    assert (cli.exit_code, status) == (0, 200)
    assert listener.connections == 0


def test_updates_are_refused_on_the_parse(sample_kg: Path) -> None:
    for update in ("INSERT DATA { <a:b> <a:c> <a:d> }", "# c\nload <http://x/>",
                   "PREFIX x: <a:> DELETE WHERE { ?s x:p ?o }", "CLEAR DEFAULT ; DROP ALL"):
        with pytest.raises(QueryRefused, match="read-only"):
            checked_query(update)


def test_what_rdflib_cannot_read_is_refused_even_if_pyoxigraph_can() -> None:
    triple_term = "SELECT * { << ?s ?p ?o >> ?q ?r }"
    with pytest.raises(QueryRefused, match="cannot read"):
        checked_query(triple_term)
    with pytest.raises(QuerySyntaxError, match="line 1, column"):
        checked_query("SELECT * { ?s ?p }")


def test_too_deep_to_check_is_refused_not_crashed() -> None:
    deep = "ASK { FILTER(" + "(" * 1000 + "1" + ")" * 1000 + ") }"  # the cheapest way past the limit
    with pytest.raises(QueryRefused, match="too deeply"):
        checked_query(deep)
    wide = "SELECT * { " + " . ".join(f"?s{i} ?p ?o" for i in range(500)) + " }"
    assert checked_query(wide) == wide  # far past rdflib's 150 patterns at the default limit


def test_escapes_are_expanded_once_and_the_expanded_text_runs(sample_kg: Path) -> None:
    query = 'SELECT ?x { BIND("caf\\u00E9" AS ?x) }'
    assert checked_query(query) == 'SELECT ?x { BIND("café" AS ?x) }'
    result = run_query(open_store(current(sample_kg)), query, timeout_s=60)
    assert result.rows[0][0].value == "café"


def test_the_pyoxigraph_syntax_probe_evaluates_nothing() -> None:
    # checked_query relies on Store.query parsing before it rejects the pair of options;
    # a pyoxigraph that evaluated first would call this function.
    calls: list[int] = []

    def probe() -> ox.Literal:
        calls.append(1)
        return ox.Literal("x")

    with pytest.raises(ValueError):
        ox.Store().query("SELECT (<urn:probe>() AS ?x) {}", use_default_graph_as_union=True,
                         default_graph=ox.DefaultGraph(), custom_functions={ox.NamedNode("urn:probe"): probe})
    assert calls == []


# --- the second layer: no socket, whatever the parse check says -----------------------

needs_seccomp = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux-only")


@needs_seccomp
def test_run_query_cannot_connect_even_if_the_check_is_bypassed(
        sample_kg: Path, listener: Listener, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "checked_query", lambda text: text)
    store = open_store(current(sample_kg))
    for template in (FORMS["plain"], FORMS["silent"], FORMS["escaped-quote-in-local-name"]):
        try:
            run_query(store, _form(template, listener), timeout_s=60)
        except store_module.QueryError as exc:
            assert "Permission denied" in str(exc)
    assert listener.connections == 0
    with socket.create_connection(("127.0.0.1", listener.port)):  # other threads still can
        pass


@needs_seccomp
def test_a_filtered_process_cannot_connect(listener: Listener) -> None:
    # What a serve worker does at start-up, then pyoxigraph with no parse check at all.
    script = ("import sys, pyoxigraph as ox\nfrom graph.rdf.store import forbid_sockets\n"
              "assert forbid_sockets()\n"
              f"try:\n    list(ox.Store().query('SELECT * {{ SERVICE <{listener.url}> {{ ?a ?b ?c }} }}'))\n"
              "except OSError as exc:\n    print('refused:', exc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "refused: Permission denied" in done.stdout


@needs_seccomp
def test_serve_workers_run_under_the_socket_filter(server: SparqlServer) -> None:
    for pid in server.pool.pids():
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Seccomp:\t2" in status  # mode 2: a filter is installed
