"""`serve` against abusive and unlucky clients: limits, timeouts, kills, protocol corners.

Real servers on free ports; raw sockets where urllib would hide what goes over the wire.
No assertion depends on how fast this machine is: the bounds are generous ceilings, and
bench/bench_endpoint.py measures the actual figures.
"""
from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
import pytest
from conftest import current, request

from graph.rdf.server import CANCELLED, Endpoint, Failure, Job, ServerOptions, SparqlServer, WorkerPool, _Worker

COUNT = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# Sorting the store's cross product with itself: memory grows by ~150 MB/s.
HUNGRY = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
CONSTRUCT = "CONSTRUCT { ?p schema:name ?t } WHERE { ?p a schema:ScholarlyArticle ; schema:name ?t } LIMIT 5"
CLI = str(Path(sys.executable).parent / "arxiv-kg")


@pytest.fixture(scope="module")
def server(sample_kg: Path) -> Iterator[SparqlServer]:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, timeout_s=60, workers=1, quiet=True,
                                idle_timeout_s=1, request_timeout_s=1)) as srv:
        yield srv


def url(server: SparqlServer, query: str, **params: str) -> str:
    return f"{server.url}?{urlencode({'query': query, **params})}"


def raw(server: SparqlServer, data: bytes, *, read_for: float = 30) -> bytes:
    """Send bytes on a fresh connection; everything the server sends until it closes."""
    _, port = server.server_address[:2]
    with socket.create_connection(("127.0.0.1", port), timeout=read_for) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def until(predicate, timeout: float = 30.0) -> bool:
    """Poll `predicate` until it holds or `timeout` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


# --- protocol corners -----------------------------------------------------------------

def test_head_answers_headers_only(server) -> None:
    get_status, get_headers, get_body = request(url(server, COUNT))
    status, headers, body = request(url(server, COUNT), method="HEAD")
    assert (status, body) == (200, b"") and get_status == 200
    assert headers["Content-Length"] == str(len(get_body)) and headers["Content-Type"] == get_headers["Content-Type"]


def test_a_chunked_body_is_refused_and_never_read_as_a_request(server) -> None:
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    chunk = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    reply = raw(server, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n" + chunk)
    assert reply.startswith(b"HTTP/1.1 411 ") and b"Content-Length" in reply
    assert reply.count(b"HTTP/1.1 ") == 1  # the smuggled request got no answer: the connection closed


def test_other_transfer_codings_are_not_implemented(server) -> None:
    reply = raw(server, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\nxx")
    assert reply.startswith(b"HTTP/1.1 501 ")


@pytest.mark.parametrize("host, status", [
    ("localhost:{port}", 200), ("127.0.0.1:{port}", 200), ("[::1]:{port}", 200), ("LOCALHOST", 200),
    ("evil.example:{port}", 403), ("evil.example", 403), ("localhost:1", 403), ("127.0.0.1.nip.io:{port}", 403),
])
def test_the_host_header_must_name_this_server_when_bound_to_loopback(server, host, status) -> None:
    port = server.server_address[1]
    got, _, body = request(url(server, "ASK {}"), headers={"Host": host.format(port=port)})
    assert got == status, body
    if status == 403:
        assert b"DNS rebinding" in body


def test_any_host_is_served_when_bound_to_all_interfaces(sample_kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), host="0.0.0.0", port=0, workers=1, slow_workers=0,
                                quiet=True)) as srv:
        port = srv.server_address[1]
        got, _, _ = request(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", headers={"Host": "kg.example"})
        assert got == 200


def test_control_characters_are_escaped_in_the_log(sample_kg, capfd) -> None:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=0)) as srv:
        raw(srv, b"GET /\x1b[31mred\rforged\x9b2J HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    log = capfd.readouterr().err
    assert "\\x1b[31mred\\x0dforged\\x9b2J" in log
    assert "\x1b" not in log and "\r" not in log and "\x9b" not in log


@pytest.mark.parametrize("params, accept, media, rdf_format", [
    ({"format": "xml"}, "*/*", "application/rdf+xml", ox.RdfFormat.RDF_XML),  # SPARQLWrapper's default
    ({"format": "json-ld"}, "*/*", "application/ld+json", ox.RdfFormat.JSON_LD),
    ({"format": "n3"}, "*/*", "text/turtle", ox.RdfFormat.TURTLE),
    ({"format": "csv"}, "application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),  # does not fit
    ({}, "application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ({}, "text/n3", "text/turtle", ox.RdfFormat.TURTLE),
])
def test_graph_formats_and_format_parameters(server, params, accept, media, rdf_format) -> None:
    status, headers, body = request(url(server, CONSTRUCT, **params), headers={"Accept": accept})
    assert status == 200 and headers["Content-Type"].startswith(media)
    assert len(list(ox.parse(body, rdf_format))) == 5


def test_a_format_parameter_that_does_not_fit_falls_back_to_accept(server) -> None:
    status, headers, body = request(url(server, COUNT, format="turtle"), headers={"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0] == b"n"


def test_cors_preflight_allows_what_sparql_clients_send(server) -> None:
    asked = "x-requested-with, authorization, cache-control, content-type, accept"
    status, headers, _ = request(server.url, method="OPTIONS", headers={
        "Origin": "http://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": asked})
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert status == 204 and set(asked.split(", ")) <= allowed
    assert {"GET", "HEAD", "POST"} <= {m.strip() for m in headers["Access-Control-Allow-Methods"].split(",")}


# --- timeouts and connection limits ---------------------------------------------------

def test_an_idle_connection_is_closed(server) -> None:
    assert raw(server, b"") == b""  # nothing sent: the server hangs up (after 1 s here)


def test_a_trickling_request_is_cut_off_at_the_request_deadline(server) -> None:
    _, port = server.server_address[:2]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sent, closed = 0, False
        for byte in b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n":
            try:
                sock.send(bytes([byte]))
                sent += 1
            except OSError:
                closed = True
                break
            time.sleep(0.1)  # 5.6 s in all, past the 1 s deadline for the whole request
    assert closed and sent < 40  # cut off after ~10 bytes; a per-read timeout never would


def test_idle_connections_make_room_for_a_new_client(sample_kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=0, quiet=True,
                                max_connections=4)) as srv:
        port = srv.server_address[1]
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        try:
            status, _, body = request(url(srv, COUNT))
            assert status == 200 and json.loads(body)["results"]["bindings"]
            assert len(srv.connections) <= 4
        finally:
            for sock in idle:
                sock.close()


@contextmanager
def running(srv: SparqlServer, n: int) -> Iterator[None]:
    """`n` endless queries running, each on its own connection, until the block ends."""
    port = srv.server_address[1]
    socks = [_send_query(port, f"{ENDLESS} # {i}") for i in range(n)]  # distinct: not one cached job
    try:
        assert until(lambda: srv.pool.busy() == n)
        yield
    finally:
        for sock in socks:
            sock.close()


def test_a_server_full_of_busy_connections_answers_503_at_once(sample_kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=1, quiet=True,
                                max_connections=2, timeout_s=60)) as srv, running(srv, 2):
        status, headers, body = request(url(srv, COUNT))
        assert status == 503 and b"server busy" in body and headers["Retry-After"] == "1"


def _send_query(port: int, query: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock.sendall(f"GET /sparql?{urlencode({'query': query})} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def test_a_query_whose_client_hung_up_is_stopped(sample_kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=0, quiet=True,
                                timeout_s=600)) as srv:
        before = set(srv.pool.pids())
        sock = _send_query(srv.server_address[1], ENDLESS)
        assert until(lambda: srv.pool.busy() == 1)
        sock.close()
        # Far below the 600 s limit: only the hang-up can have stopped it.
        assert until(lambda: not all(alive(pid) for pid in before))
        assert until(lambda: request(url(srv, COUNT))[0] == 200)  # a replacement took over


def test_a_cheap_query_is_answered_while_two_pathological_ones_run(sample_kg) -> None:
    # One worker for cheap queries, two for slow ones (the default has as many of each).
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=2, quiet=True,
                                timeout_s=600)) as srv, running(srv, 2):
        status, _, body = request(url(srv, COUNT))
        assert status == 200 and json.loads(body)["results"]["bindings"]
        assert srv.pool.busy() == 2  # the two still run: the cheap one did not wait for them


def test_a_query_past_the_memory_limit_gets_503_and_the_server_stays_up(sample_kg) -> None:
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=0, quiet=True,
                                memory_mb=300, timeout_s=600)) as srv:
        status, _, body = request(url(srv, HUNGRY))
        assert status == 503 and b"300 MB of memory" in body
        assert until(lambda: request(url(srv, COUNT))[0] == 200)


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs Linux prlimit")
def test_running_out_of_file_descriptors_gives_503_not_a_hang(sample_kg) -> None:
    with _serve(sample_kg, ["--workers", "1", "--max-connections", "500"]) as (proc, base):
        # The server's own limit only, once its workers (RocksDB wants 96) have started.
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (64, 64))
        port = urlsplit(base).port
        held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(80)]
        try:
            replies = [s.recv(4096) for s in held[-10:]]  # the last ones found no descriptor left
            assert any(r.startswith(b"HTTP/1.1 503 ") for r in replies)
        finally:
            for sock in held:
                sock.close()
        assert until(lambda: _get(base, COUNT) == 200)
        assert proc.poll() is None


# --- workers die with the server ------------------------------------------------------

def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


class _serve:
    """`arxiv-kg serve` in a child process: (process, endpoint URL) inside the block."""

    def __init__(self, kg: Path, args: list[str]) -> None:
        self.proc = subprocess.Popen([CLI, "serve", "--kg", str(kg), "--port", "0", "-q", *args],
                                     stderr=subprocess.PIPE, text=True)

    def __enter__(self) -> tuple[subprocess.Popen, str]:
        banner = self.proc.stderr.readline()
        match = re.search(r"at (http://\S+/sparql)", banner)
        assert match, banner
        return self.proc, match.group(1)

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait(30)
        self.proc.stderr.close()


def _get(base: str, query: str) -> int:
    return request(f"{base}?{urlencode({'query': query})}")[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_die_with_the_server(sample_kg, sig) -> None:
    with _serve(sample_kg, ["--workers", "1", "--timeout", "600"]) as (proc, base):
        workers = _children(proc.pid)
        assert len(workers) == 2  # one, and one more for slow queries
        busy = _send_query(urlsplit(base).port, ENDLESS)  # the worker that was orphaned before
        try:
            time.sleep(0.5)
            proc.send_signal(sig)
            proc.wait(30)
            assert until(lambda: not any(alive(pid) for pid in workers), timeout=10)
        finally:
            busy.close()


# --- closing the pool -----------------------------------------------------------------
# A worker belongs to one thread at a time: a job's while it runs, a replacement's thread
# while it starts. Closing the pool must leave each to its owner: a worker stopped twice
# closed its descriptor twice (EBADF, or worse, a number some new socket had taken).

@pytest.fixture
def stops(monkeypatch) -> Counter:
    """How many times each worker was stopped."""
    counts: Counter = Counter()
    stop = _Worker.stop

    def counting(worker: _Worker) -> None:
        counts[worker] += 1
        stop(worker)

    monkeypatch.setattr(_Worker, "stop", counting)
    return counts


def _open_fds() -> set[tuple[int, str]]:
    """This process's descriptors and what each is (a socket's or pipe's inode tells them apart)."""
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            fds.add((int(name), os.readlink(f"/proc/self/fd/{name}")))
        except OSError:  # the listing's own descriptor, closed by now
            pass
    return fds


def _each_stopped_once(stops: Counter, pids: set[int]) -> None:
    assert {w.process.pid for w in stops} == pids
    assert set(stops.values()) == {1}, [(w.process.pid, n) for w, n in stops.items()]
    assert all(w.process.returncode is not None and w.conn.closed for w in stops)  # reaped, closed


def _endless(pool: WorkerPool, replies: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: replies.append(pool.run(Job(ENDLESS, None, None, None), 600)))
    thread.start()
    assert until(lambda: pool.busy() == 1)
    return thread


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_closing_the_pool_leaves_a_running_job_to_stop_its_worker(sample_gen, stops) -> None:
    before = _open_fds()
    pool = WorkerPool(sample_gen, 1, slow=0)
    pids, replies = set(pool.pids()), []
    job = _endless(pool, replies)
    pool.close()
    job.join(60)
    assert not job.is_alive() and isinstance(replies[0], Failure)
    _each_stopped_once(stops, pids)
    assert _open_fds() - before == set()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_closing_the_pool_while_a_worker_is_replaced_stops_the_replacement_once(sample_gen, stops,
                                                                               monkeypatch) -> None:
    before = _open_fds()
    pool = WorkerPool(sample_gen, 1, slow=0)
    pids, started = set(pool.pids()), []
    ready = pool._await_ready

    def held_until_closing(process, conn) -> _Worker:  # the replacement is ready when close() begins
        worker = ready(process, conn)
        started.append(worker.process.pid)
        assert until(lambda: pool._closed, timeout=120)
        return worker

    monkeypatch.setattr(pool, "_await_ready", held_until_closing)
    reply = pool.run(Job(ENDLESS, None, None, None), 600, cancelled=lambda: True)
    assert isinstance(reply, Failure) and reply.error == CANCELLED
    assert until(lambda: started, timeout=120)
    pool.close()
    for thread in threading.enumerate():
        if thread.name == "sparql-respawn":
            thread.join(60)
    _each_stopped_once(stops, pids | set(started))
    assert _open_fds() - before == set()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_stopping_the_server_while_queries_run_leaves_no_worker_or_descriptor(sample_kg, stops) -> None:
    before = _open_fds()
    with Endpoint(ServerOptions(kg_dir=str(current(sample_kg)), port=0, workers=1, slow_workers=1, quiet=True,
                                timeout_s=600)) as srv:
        pids = set(srv.pool.pids())
        port = srv.server_address[1]
        clients = [_send_query(port, f"{ENDLESS} # {i}") for i in range(2)]
        assert until(lambda: srv.pool.busy() == 2)
    for sock in clients:
        sock.close()
    _each_stopped_once(stops, pids)
    # The handler threads close their sockets once their clients are gone.
    assert until(lambda: not _open_fds() - before), _open_fds() - before


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_pool_that_cannot_start_every_worker_stops_the_ones_it_started(sample_gen, stops, monkeypatch) -> None:
    before = _open_fds()
    start, calls = WorkerPool._start, []

    def second_fails(pool: WorkerPool):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(24, "Too many open files")
        return start(pool)

    monkeypatch.setattr(WorkerPool, "_start", second_fails)
    with pytest.raises(OSError, match="Too many open files"):
        WorkerPool(sample_gen, 1, slow=1)
    assert len(calls) == 2 and len(stops) == 1  # the first worker, stopped by the pool
    _each_stopped_once(stops, {w.process.pid for w in stops})
    assert _open_fds() - before == set()
