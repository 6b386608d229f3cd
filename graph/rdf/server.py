"""A read-only SPARQL 1.1 Protocol endpoint over the KG's store, with the standard library.

http.server's ThreadingHTTPServer, bounded: the endpoint is local, requests are small, and
the work happens in pyoxigraph, not in HTTP parsing. What a hostile or unlucky client could
do to a bare ThreadingHTTPServer is closed off here:
  * connections are capped (--max-connections); when the cap is reached the longest-idle
    connection is closed to make room, and if every connection is busy the newcomer gets
    503 at once. Each connection has a thread, so threads are capped too;
  * a connection waits at most IDLE_TIMEOUT_S for a request and gets REQUEST_TIMEOUT_S to
    send all of it (a deadline for the whole request, not per read), so idle and trickling
    clients (slowloris) lose their slot;
  * when file descriptors run out, a reserve descriptor is given up to accept and refuse
    one connection, so the accept loop does not spin;
  * a request with Transfer-Encoding is refused (411/501) and its connection closed, so a
    chunked body is never read as the next request; control characters in log lines are
    escaped; bound to loopback, a Host header that names another host gets 403 (DNS
    rebinding).

Queries run in a pool of worker processes, each holding its own read-only store. That is
what makes the per-query timeout real: pyoxigraph cannot cancel a query, so a worker that
runs past its time, or whose client has hung up, is killed (SIGKILL) and replaced. Threads
could only abandon such a query and let it burn CPU until it finished. Each worker caps its
own memory (RLIMIT_DATA; a query past it gets 503), cannot open sockets (SERVICE; see
graph.rdf.store.forbid_sockets), and exits as soon as the server is gone, however it died: it
watches a pipe whose other end only the server holds.

A query that runs past SLOW_AFTER_S moves to a lane of its own (as many workers again), so
two pathological queries cannot keep a cheap one waiting for their whole time limit.

Answers are cached: the store is read-only, so a serialised answer stays right for the life
of the server. An LRU of them, keyed by the request (query text, Accept, format=, row cap),
answers a repeated query without a worker, and identical queries that arrive while one of
them is running wait for it instead of running again (dashboards and YASGUI tabs send the
same few queries over and over). Only successful answers are kept.

Protocol: GET and HEAD ?query=, POST application/x-www-form-urlencoded (query=) and POST
application/sparql-query; content negotiation on Accept, and a `format=` parameter that
wins when it fits the query form (SPARQLWrapper always sends one); CORS for browser tools
such as YASGUI. Updates (update= or an update as query) get 403.
"""
from __future__ import annotations

import errno
import html
import io
import ipaddress
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from urllib.parse import parse_qs, urlsplit

from graph.children import die_with_parent
from graph.errors import ArxivKGError, KGNotFound
from graph.rdf.store import (
    FORMATS,
    QueryError,
    checked_query,
    execute,
    forbid_sockets,
    open_store,
    serialize,
    shipped_queries,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_ROWS = 10_000
# Queries are CPU-bound: 4 workers on 2 cores answered no faster than 2 (29 vs 28 req/s).
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)
DEFAULT_CACHE_ENTRIES = 256
DEFAULT_CACHE_BYTES = 64 << 20
DEFAULT_MAX_CONNECTIONS = 128
DEFAULT_MEMORY_MB = 1024  # shipped queries peak at 170 MB on the archive-sized store
IDLE_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 10.0
SLOW_AFTER_S = 0.5
POLL_S = 0.2  # how often a waiting request checks that its client is still there
MAX_BODY_BYTES = 1 << 20
CLOSE_WAIT_S = 30.0  # how long closing the pool waits for jobs and starting workers to let go
ENDPOINT_PATHS = ("/sparql", "/query", "/")

# Accept media types per query form; the first is the default.
_MEDIA = {
    "results": {"application/sparql-results+json": "json", "application/json": "json",
                "application/sparql-results+xml": "xml", "application/xml": "xml",
                "text/csv": "csv", "text/tab-separated-values": "tsv", "text/xml": "xml"},
    "graph": {"text/turtle": "turtle", "application/n-triples": "ntriples",
              "application/rdf+xml": "rdfxml", "application/ld+json": "jsonld",
              "application/x-turtle": "turtle", "text/n3": "turtle", "text/rdf+n3": "turtle",
              "text/plain": "ntriples"},
}
# `format=` values per query form (also any media type above). N3 is served as Turtle,
# which is N3; SPARQLWrapper asks a CONSTRUCT for `xml` (RDF/XML) by default.
_FORMAT_NAMES = {
    "results": {"json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv"},
    "graph": {"turtle": "turtle", "ttl": "turtle", "n3": "turtle", "ntriples": "ntriples",
              "nt": "ntriples", "n-triples": "ntriples", "xml": "rdfxml", "rdf": "rdfxml",
              "rdfxml": "rdfxml", "rdf+xml": "rdfxml", "json-ld": "jsonld", "jsonld": "jsonld",
              "json": "jsonld"},
}


class NotAcceptable(QueryError):
    """No format the client accepts fits the query form."""


@dataclass(frozen=True)
class Answer:
    media_type: str
    body: bytes
    rows: int
    truncated: bool


@dataclass(frozen=True)
class Failure:
    error: str  # class name of the QueryError subclass, or one of the pool's own reasons
    message: str


CANCELLED = "Cancelled"  # Failure.error of a query stopped because its client left
TOO_BIG = "QueryTooBig"


# --- content negotiation --------------------------------------------------------------

def negotiate(kind: str, accept: str | None, requested: str | None = None) -> str:
    """An output format name for a query form: `format=` if it fits, else from Accept."""
    form = "graph" if kind == "graph" else "results"
    table = _MEDIA[form]
    if requested:
        key = requested.strip().lower()
        fmt = _FORMAT_NAMES[form].get(key) or table.get(key)
        if fmt:
            return fmt
    ranges = _accept_ranges(accept)
    if not ranges:
        return next(iter(table.values()))
    for media, _q in ranges:
        fmt = _match(table, media)
        if fmt:
            return fmt
    asked = f"format={requested!r} or " if requested else ""
    raise NotAcceptable(f"cannot answer this query as {asked}{accept!r}; available: {', '.join(table)}")


def _match(table: dict[str, str], media: str) -> str | None:
    if media in table:
        return table[media]
    if media == "*/*":
        return next(iter(table.values()))
    if media.endswith("/*"):  # e.g. text/*: the first of ours of that type
        return next((fmt for m, fmt in table.items() if m.startswith(media[:-1])), None)
    return None


def _accept_ranges(accept: str | None) -> list[tuple[str, float]]:
    ranges = []
    for part in (accept or "").split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranges.append((media.lower(), q))
    return sorted(ranges, key=lambda r: -r[1])  # stable: equal q keeps the client's order


# --- the worker pool ------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    sparql: str
    accept: str | None
    requested: str | None
    limit: int | None


# A fresh interpreter per worker, started with subprocess rather than multiprocessing:
# fork is unsafe in a threaded server, and spawn re-imports the parent's __main__, which
# fails for `python -` and re-runs unguarded scripts that embed the server.
_WORKER_BOOT = ("import sys; from graph.rdf.server import worker_main; "
                "worker_main(*map(int, sys.argv[1:5]), sys.argv[5])")


def worker_main(fd: int, lifeline: int, memory_bytes: int, server_pid: int, kg_dir: str) -> None:
    """Child process: open the store once, then answer jobs until the socket closes."""
    forbid_sockets()  # first, so that every thread started below inherits the filter
    _exit_with_server(lifeline, server_pid)
    conn = Connection(fd)
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    try:
        store = open_store(kg_dir)
        checked_query("ASK {}")  # imports rdflib's parser now, not during the first query
    except (ArxivKGError, MemoryError) as exc:
        conn.send(Failure(type(exc).__name__, str(exc) or "not enough memory to open the store"))
        return
    conn.send("ready")
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_answer(store, job))


def _exit_with_server(lifeline: int, server_pid: int) -> None:
    # On Linux the kernel sends SIGKILL when the thread that started this process ends (the
    # pool starts workers from one thread that lives as long as it does), GIL or no GIL.
    die_with_parent(server_pid)

    # Everywhere: only the server holds the pipe's write end and never writes, so the read
    # returns b"" when the server is gone. This thread needs the GIL, which a query deep in
    # pyoxigraph may hold for seconds: hence the signal first.
    def watch() -> None:
        try:
            os.read(lifeline, 1)
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _answer(store, job: Job) -> Answer | Failure:
    try:
        result = execute(store, job.sparql, limit=job.limit)
        fmt = negotiate(result.kind, job.accept, job.requested)
        return Answer(FORMATS[fmt].media_type, serialize(result, fmt), len(result), result.truncated)
    except QueryError as exc:
        return Failure(type(exc).__name__, str(exc))
    except MemoryError:
        return Failure(TOO_BIG, "")  # the pool writes the message: it knows the limit
    except Exception as exc:  # a worker must survive any single query
        return Failure("QueryError", f"query failed: {exc}")





@dataclass(eq=False)  # identity, so workers can live in a set
class _Worker:
    """A worker process and its connection, owned by one thread at a time.

    The owner is the pool while the worker is idle, the job's thread while it runs a query,
    the starting thread until it is ready. Only the owner may use or stop it: a descriptor
    closed by one thread while another polls it can be reused by a new socket, and two
    closes race inside Connection.close (EBADF).
    """

    process: subprocess.Popen
    conn: Connection

    def stop(self) -> None:
        self.process.kill()
        try:
            self.process.wait(5)
        finally:
            self.conn.close()


class WorkerPool:
    """Worker processes with a read-only store each; a job past its deadline kills its worker.

    `size` jobs may start at once. A job still running after SLOW_AFTER_S moves to the
    slow lane (up to `slow` jobs), which frees its start slot, so `size + slow` processes
    are kept. Callers pass `cancelled`, polled every POLL_S: when it turns true the job's
    worker is killed and replaced. `close` stops the idle workers and waits for the threads
    that own the others (jobs, replacements being started) to stop theirs.
    """

    def __init__(self, kg_dir: str | os.PathLike[str], size: int, *, slow: int | None = None,
                 memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self._kg_dir = str(kg_dir)
        self._size = max(1, size)
        self._slow_size = self._size if slow is None else max(0, slow)
        self.memory_mb = memory_mb
        self._cond = threading.Condition()
        self._spawn_lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._running = {"fast": 0, "slow": 0}
        self._respawning = 0  # replacements being started: each is owned by its thread
        self._closed = False
        self._lifeline_fds: tuple[int, ...] = os.pipe()  # the write end never leaves this process
        # Every worker is started from this one long-lived thread: a worker's death signal
        # fires when the thread that started it ends.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sparql-spawner")
        self._lifeline = self._lifeline_fds[0]
        try:
            for worker in self._spawn_many(self._size + self._slow_size):
                self._all.add(worker)
                self._idle.append(worker)
        except BaseException:
            self.close()
            raise

    def _spawn_many(self, n: int) -> list[_Worker]:
        starting: list[tuple[subprocess.Popen, Connection]] = []
        try:
            for _ in range(n):  # then ~0.5 s each to be ready, in parallel
                starting.append(self._spawner.submit(self._start).result())
        except BaseException:  # e.g. out of descriptors: the ones started are this thread's to stop
            for process, conn in starting:
                _Worker(process, conn).stop()
            raise
        workers, error = [], None
        for process, conn in starting:
            try:
                workers.append(self._await_ready(process, conn))
            except KGNotFound as exc:
                error = exc
        if error is not None:
            for worker in workers:
                worker.stop()
            raise error
        return workers

    def _start(self) -> tuple[subprocess.Popen, Connection]:
        ours, theirs = socket.socketpair()
        memory = self.memory_mb << 20 if self.memory_mb > 0 else 0
        with theirs:
            args = [str(theirs.fileno()), str(self._lifeline), str(memory), str(os.getpid()), self._kg_dir]
            process = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT, *args],
                                       pass_fds=[theirs.fileno(), self._lifeline], stdin=subprocess.DEVNULL,
                                       env={**os.environ, "RUST_BACKTRACE": "0"})  # one line, not pages
        return process, Connection(ours.detach())

    def _await_ready(self, process: subprocess.Popen, conn: Connection) -> _Worker:
        try:
            hello = conn.recv() if conn.poll(60) else Failure("KGNotFound", "no answer in 60 s")
        except (EOFError, OSError):
            hello = Failure("KGNotFound", "the store worker exited while starting")
        worker = _Worker(process, conn)
        if isinstance(hello, Failure):
            worker.stop()
            raise KGNotFound(hello.message)
        return worker

    def run(self, job: Job, timeout_s: float, cancelled: Callable[[], bool] = lambda: False) -> Answer | Failure:
        deadline = time.monotonic() + timeout_s
        worker = self._acquire(deadline, cancelled, timeout_s)
        if isinstance(worker, Failure):
            return worker
        lane = "fast"
        try:
            worker.conn.send(job)
            started = time.monotonic()
            while True:
                now = time.monotonic()
                if worker.conn.poll(max(0.0, min(POLL_S, deadline - now))):
                    reply = self._explain(worker.conn.recv())
                    self._release(worker, lane, keep=True)
                    return reply
                if time.monotonic() >= deadline:
                    reason = Failure("QueryTimeout", f"query stopped after {timeout_s:g} s (time limit)")
                    break
                if cancelled():
                    reason = Failure(CANCELLED, "the client closed the connection; the query was stopped")
                    break
                if self._closed:  # close() waits for this thread to stop its worker
                    reason = Failure("QueryError", "the server is shutting down")
                    break
                if lane == "fast" and now - started >= SLOW_AFTER_S and self._to_slow_lane():
                    lane = "slow"
        except (EOFError, OSError):
            reason = self._death(worker)
        self._release(worker, lane, keep=False)
        return reason

    def _acquire(self, deadline: float, cancelled: Callable[[], bool], timeout_s: float) -> _Worker | Failure:
        with self._cond:
            while not (self._idle and self._running["fast"] < self._size):
                if self._closed:
                    return Failure("QueryError", "the server is shutting down")
                if cancelled():
                    return Failure(CANCELLED, "the client closed the connection")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return Failure("QueryTimeout", f"server busy: no query slot free within {timeout_s:g} s")
                self._cond.wait(min(POLL_S, remaining))
            self._running["fast"] += 1
            return self._idle.pop()

    def _to_slow_lane(self) -> bool:
        with self._cond:
            if self._running["slow"] >= self._slow_size:
                return False
            self._running["fast"] -= 1
            self._running["slow"] += 1
            self._cond.notify_all()
            return True

    def _release(self, worker: _Worker, lane: str, *, keep: bool) -> None:
        with self._cond:
            if keep and not self._closed:
                self._running[lane] -= 1
                self._idle.append(worker)
                self._cond.notify_all()
                return
        try:
            worker.stop()
        finally:
            # The job's hold on its slot passes to the replacement's thread under one lock,
            # so close() never sees a moment when neither holds it.
            with self._cond:
                self._all.discard(worker)
                self._running[lane] -= 1
                respawn = not self._closed
                self._respawning += respawn
                self._cond.notify_all()
            if respawn:
                threading.Thread(target=self._respawn, name="sparql-respawn", daemon=True).start()

    def _respawn(self) -> None:
        try:
            self._adopt(self._replacement())
        finally:
            with self._cond:
                self._respawning -= 1
                self._cond.notify_all()

    def _adopt(self, worker: _Worker | None) -> None:
        if worker is None:
            return
        with self._cond:
            if not self._closed:
                self._all.add(worker)
                self._idle.append(worker)
                return
        worker.stop()

    def _replacement(self) -> _Worker | None:
        with self._spawn_lock:  # close() must not close the lifeline while a worker starts
            if self._closed:
                return None
            try:
                started = self._spawner.submit(self._start).result()
            except OSError as exc:  # e.g. out of file descriptors: the pool shrinks
                sys.stderr.write(f"cannot restart a query worker: {exc}\n")
                return None
        try:
            return self._await_ready(*started)
        except ArxivKGError as exc:  # e.g. the store was deleted: the pool shrinks
            if not self._closed:
                sys.stderr.write(f"cannot restart a query worker: {exc}\n")
            return None

    def _explain(self, reply: Answer | Failure) -> Answer | Failure:
        if isinstance(reply, Failure) and reply.error == TOO_BIG:
            return self._too_big()
        return reply

    def _death(self, worker: _Worker) -> Failure:
        try:
            code = worker.process.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        # Rust aborts when an allocation fails (SIGABRT); the kernel's OOM killer sends SIGKILL.
        if self.memory_mb > 0 and code in (-signal.SIGABRT, -signal.SIGKILL):
            return self._too_big()
        return Failure("QueryError", "the query worker died; the query was not answered")

    def _too_big(self) -> Failure:
        return Failure(TOO_BIG, f"query stopped: it needed more than the {self.memory_mb} MB "
                                "of memory a query may use (--memory-limit)")

    def busy(self) -> int:
        """Jobs running now, in either lane."""
        with self._cond:
            return self._running["fast"] + self._running["slow"]

    def pids(self) -> list[int]:
        with self._cond:
            return sorted(w.process.pid for w in self._all if w.process.pid is not None)

    def close(self) -> None:
        """Stop every worker and return once each is stopped, by the thread that owns it."""
        with self._spawn_lock, self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._all.difference_update(idle)
            self._cond.notify_all()
            # No worker starts from here on, so the lifeline can go: a replacement still
            # starting exits at once instead of holding close() up for its start-up.
            fds, self._lifeline_fds = self._lifeline_fds, ()  # never closed twice: numbers get reused
        for fd in fds:
            os.close(fd)
        for worker in idle:
            worker.stop()
        with self._cond:
            if not self._cond.wait_for(self._let_go, CLOSE_WAIT_S):
                sys.stderr.write(f"query workers still stopping after {CLOSE_WAIT_S:g} s; "
                                 "they die with this process\n")
        self._spawner.shutdown(wait=True)

    def _let_go(self) -> bool:
        return not self._all and self._respawning == 0 and not any(self._running.values())


# --- the answer cache -----------------------------------------------------------------

Reply = Answer | Failure


@dataclass(eq=False)
class _Pending:
    """A computation in progress that identical requests wait for."""

    done: threading.Event = field(default_factory=threading.Event)
    reply: Reply = Failure("QueryError", "the query failed before it was answered")


class AnswerCache:
    """LRU of answers bounded in entries and bytes; concurrent misses on one key compute once.

    `entries=0` turns it off: every call computes. Thread-safe.
    """

    def __init__(self, entries: int = DEFAULT_CACHE_ENTRIES, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self.hits = self.misses = 0
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._pending: dict[Hashable, _Pending] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Reply]) -> tuple[Reply, bool]:
        """(reply, True if no computation was started for this call)."""
        if self.entries <= 0:
            return compute(), False
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key], True
                pending = self._pending.get(key)
                if pending is None:
                    pending = self._pending[key] = _Pending()
                    self.misses += 1
                    break
            pending.done.wait()
            # A query stopped because its own client left is run again for this one.
            if not (isinstance(pending.reply, Failure) and pending.reply.error == CANCELLED):
                with self._lock:
                    self.hits += 1
                return pending.reply, True
        try:
            pending.reply = compute()
        finally:
            with self._lock:
                del self._pending[key]
                self._keep(key, pending.reply)
            pending.done.set()
        return pending.reply, False

    def _keep(self, key: Hashable, reply: Reply) -> None:
        # One answer may use at most a quarter of the budget: a few huge results must not
        # flush every small one.
        if not isinstance(reply, Answer) or 4 * len(reply.body) > self.max_bytes:
            return
        self._items[key] = reply
        self._bytes += len(reply.body)
        while len(self._items) > self.entries or self._bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old.body)

    def __len__(self) -> int:
        return len(self._items)


# --- HTTP -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerOptions:
    kg_dir: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_rows: int | None = DEFAULT_MAX_ROWS
    workers: int = DEFAULT_WORKERS
    quiet: bool = False
    cache_entries: int = DEFAULT_CACHE_ENTRIES  # 0: no answer cache
    cache_bytes: int = DEFAULT_CACHE_BYTES
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    memory_mb: int = DEFAULT_MEMORY_MB  # per query worker; 0: no limit
    slow_workers: int | None = None  # the slow lane's size; None: as many as `workers`
    idle_timeout_s: float = IDLE_TIMEOUT_S
    request_timeout_s: float = REQUEST_TIMEOUT_S


_STATUS = {"QuerySyntaxError": HTTPStatus.BAD_REQUEST, "QueryRefused": HTTPStatus.FORBIDDEN,
           "QueryTimeout": HTTPStatus.SERVICE_UNAVAILABLE, "NotAcceptable": HTTPStatus.NOT_ACCEPTABLE,
           "FormatError": HTTPStatus.NOT_ACCEPTABLE, TOO_BIG: HTTPStatus.SERVICE_UNAVAILABLE,
           CANCELLED: HTTPStatus.SERVICE_UNAVAILABLE}

# What SPARQL clients send: YASGUI and jQuery add X-Requested-With, SPARQLWrapper
# Authorization when given credentials, browsers Cache-Control on reloads.
_CORS = {"Access-Control-Allow-Origin": "*",
         "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
         "Access-Control-Allow-Headers": "Accept, Authorization, Cache-Control, Content-Type, "
                                         "X-Requested-With",
         "Access-Control-Expose-Headers": "X-Result-Rows, X-Result-Truncated, X-Cache",
         "Access-Control-Max-Age": "86400"}

_BUSY = (b"server busy: every connection slot is taken by a running request; try again\n")
_BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  b"Access-Control-Allow-Origin: *\r\nRetry-After: 1\r\nConnection: close\r\n"
                  b"Content-Length: " + str(len(_BUSY)).encode() + b"\r\n\r\n" + _BUSY)
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]"}
# C0 and C1 controls and DEL as \xNN in log lines: a request line (read as Latin-1) must not
# forge log entries or send escape sequences (ESC, or C1's single-byte CSI) to the terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


class BadRequest(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Connections:
    """The open connections and what each is doing, capped at `limit`.

    A connection is idle (waiting for a request), reading one, or busy (answering). When
    the cap is reached the connection idle or reading for longest is shut down to make
    room: its thread wakes up, finds the socket closed and ends.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._state: dict[socket.socket, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def admit(self, conn: socket.socket) -> bool:
        with self._lock:
            if len(self._state) >= self.limit:
                waiting = [(since, id(c), c) for c, (state, since) in self._state.items() if state != "busy"]
                if not waiting:
                    return False
                victim = min(waiting)[2]
                del self._state[victim]
                _shut(victim)
            self._state[conn] = ("idle", time.monotonic())
            return True

    def mark(self, conn: socket.socket, state: str) -> None:
        with self._lock:
            if conn in self._state:  # not one that was shut down to make room
                self._state[conn] = (state, time.monotonic())

    def remove(self, conn: socket.socket) -> None:
        with self._lock:
            self._state.pop(conn, None)

    def __len__(self) -> int:
        return len(self._state)


def _shut(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _DeadlineReader(io.RawIOBase):
    """The socket as a raw stream: `idle_s` to wait for a request, `request_s` for all of it.

    A per-read timeout would let a client that sends one byte every few seconds keep its
    connection (and thread) for ever; a deadline for the whole request does not.
    """

    def __init__(self, conn: socket.socket, idle_s: float, request_s: float) -> None:
        self._conn, self._idle_s, self._request_s = conn, idle_s, request_s
        self._deadline = 0.0
        self._waiting = True
        self.expect_request()

    def expect_request(self) -> None:
        self._waiting, self._deadline = True, time.monotonic() + self._idle_s

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request took too long" if not self._waiting else "idle connection")
        self._conn.settimeout(remaining)
        n = self._conn.recv_into(buffer)
        if n and self._waiting:
            self._waiting, self._deadline = False, time.monotonic() + self._request_s
        return n


class SparqlServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # 50+ simultaneous clients must not see refused connections

    def __init__(self, options: ServerOptions, pool: WorkerPool) -> None:
        super().__init__((options.host, options.port), _Handler)
        self.options = options
        self.pool = pool
        self.cache = AnswerCache(options.cache_entries, options.cache_bytes)
        self.connections = _Connections(options.max_connections)
        self.page = _html_page().encode("utf-8")
        self.allowed_hosts = _allowed_hosts(options.host, self.server_address[1])
        self._reserve_fd: int | None = os.open(os.devnull, os.O_RDONLY)

    def answer(self, job: Job, cancelled: Callable[[], bool]) -> tuple[Reply, bool]:
        """The reply to a job, and whether it came from the cache (or an identical running job)."""
        return self.cache.get(job, lambda: self.pool.run(job, self.options.timeout_s, cancelled))

    def get_request(self):
        try:
            return super().get_request()
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE):
                self._refuse_one()
            raise

    def _refuse_one(self) -> None:
        # Out of file descriptors: the pending connection would keep the listening socket
        # readable and the accept loop spinning. Give up the reserve descriptor to accept
        # it, answer 503, and take the reserve back.
        if self._reserve_fd is None:
            time.sleep(POLL_S)
            return
        os.close(self._reserve_fd)
        self._reserve_fd = None
        try:
            conn, _ = self.socket.accept()
            _refuse(conn)
        except OSError:
            pass
        finally:
            try:
                self._reserve_fd = os.open(os.devnull, os.O_RDONLY)
            except OSError:
                pass

    def process_request(self, request, client_address) -> None:
        if not self.connections.admit(request):
            _refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except RuntimeError:  # no thread could be started
            self.connections.remove(request)
            _refuse(request)

    def shutdown_request(self, request) -> None:
        self.connections.remove(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        if self._reserve_fd is not None:
            os.close(self._reserve_fd)
            self._reserve_fd = None

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/sparql"


def _refuse(conn: socket.socket) -> None:
    """503 and close, from the accepting thread: never blocks, never reads the request."""
    try:
        conn.setblocking(False)
        conn.send(_BUSY_RESPONSE)
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def _allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """Host header values accepted when bound to loopback; None (any) otherwise."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return None
    names = _LOOPBACK_NAMES | {f"[{host}]" if ":" in host else host}
    return frozenset(names | {f"{name}:{port}" for name in names})


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "arxiv-kg-sparql"
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections

    def setup(self) -> None:
        super().setup()
        options = self.server.options
        self._reader = _DeadlineReader(self.connection, options.idle_timeout_s, options.request_timeout_s)
        self.rfile = io.BufferedReader(self._reader, buffer_size=1 << 16)

    def handle(self) -> None:
        self.close_connection = False
        while not self.close_connection:
            self._reader.expect_request()
            self.server.connections.mark(self.connection, "idle")
            self.handle_one_request()

    def parse_request(self) -> bool:
        self.server.connections.mark(self.connection, "reading")
        if not super().parse_request():
            return False
        problem = self._refusal()
        if problem is not None:
            self.close_connection = True
            self._send_text(*problem)
            return False
        return True

    def _refusal(self) -> tuple[HTTPStatus, str] | None:
        allowed = self.server.allowed_hosts
        host = (self.headers.get("Host") or "").strip().lower()
        if allowed is not None and host and host not in allowed:
            return (HTTPStatus.FORBIDDEN, f"Host {host!r} is not this server: it answers only to "
                                          "localhost, 127.0.0.1 and [::1] (DNS rebinding protection)")
        coding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if coding == "chunked":
            return (HTTPStatus.LENGTH_REQUIRED, "chunked request bodies are not accepted; "
                                                "send Content-Length")
        if coding:
            return (HTTPStatus.NOT_IMPLEMENTED, f"Transfer-Encoding {coding!r} is not supported")
        return None

    def do_OPTIONS(self) -> None:
        self._send(HTTPStatus.NO_CONTENT, b"", None)

    def do_GET(self) -> None:
        self._handle(lambda: self._params(urlsplit(self.path).query))

    do_HEAD = do_GET

    def do_POST(self) -> None:
        try:
            body = self._body()  # first, so that every answer leaves the connection clean
        except BadRequest as exc:
            self.close_connection = True  # the unread body would be taken for the next request
            self._send_text(exc.status, str(exc))
            return
        self._handle(lambda: self._post_params(body))

    def _handle(self, read_params) -> None:
        self.server.connections.mark(self.connection, "busy")
        try:
            path = urlsplit(self.path).path
            if path not in ENDPOINT_PATHS:
                raise BadRequest(HTTPStatus.NOT_FOUND, f"no such page {path!r}; the endpoint is /sparql")
            params = read_params()
            if not params and self.command in ("GET", "HEAD") and path == "/":
                self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
                return
            self._run(params)
        except BadRequest as exc:
            self._send_text(exc.status, str(exc))

    def _params(self, text: str) -> dict[str, list[str]]:
        try:
            return parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "request parameters are not valid UTF-8 "
                                                     "URL encoding") from None

    def _post_params(self, body: bytes) -> dict[str, list[str]]:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        url_params = self._params(urlsplit(self.path).query)
        if ctype == "application/x-www-form-urlencoded":
            return {**url_params, **self._params(self._text(body))}
        if ctype == "application/sparql-query":
            return {**url_params, "query": [self._text(body)]}
        if ctype == "application/sparql-update":
            raise BadRequest(HTTPStatus.FORBIDDEN, "the endpoint is read-only: SPARQL Update is not accepted")
        raise BadRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                         f"unsupported Content-Type {ctype!r}; send application/sparql-query "
                         "or application/x-www-form-urlencoded")

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "invalid Content-Length") from None
        if length > MAX_BODY_BYTES:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"request body over {MAX_BODY_BYTES} bytes")
        if length <= 0:
            return b""
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise BadRequest(HTTPStatus.REQUEST_TIMEOUT, "the request body did not arrive in "
                                                         f"{self.server.options.request_timeout_s:g} s") from None
        if len(body) < length:  # the client hung up, or was shut out to make room
            raise BadRequest(HTTPStatus.BAD_REQUEST, "the request body was cut short")
        return body

    @staticmethod
    def _text(body: bytes) -> str:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "request body is not UTF-8") from None

    def _run(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            raise BadRequest(HTTPStatus.FORBIDDEN, "the endpoint is read-only: SPARQL Update is not accepted")
        if any(v.strip() for k in ("default-graph-uri", "named-graph-uri") for v in params.get(k, [])):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "default-graph-uri and named-graph-uri are not supported "
                                                     "(the store has only the default graph)")
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise BadRequest(HTTPStatus.BAD_REQUEST, "expected exactly one non-empty 'query' parameter")
        requested: str | None = next(iter(params.get("format", [])), None)
        job = Job(queries[0], self.headers.get("Accept"), requested, self.server.options.max_rows)
        reply, cached = self.server.answer(job, self._client_gone)
        if isinstance(reply, Failure):
            self._send_text(_STATUS.get(reply.error, HTTPStatus.INTERNAL_SERVER_ERROR), reply.message)
            return
        extra = {"X-Result-Rows": str(reply.rows), "X-Result-Truncated": str(reply.truncated).lower(),
                 "X-Cache": "hit" if cached else "miss"}
        self._send(HTTPStatus.OK, reply.body, reply.media_type, extra)

    def _client_gone(self) -> bool:
        """True once the client has closed its side (checked without reading its data)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (OSError, ValueError):  # reset, or closed to make room
            return True

    def _send_text(self, status: HTTPStatus, message: str) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, media_type: str | None,
              extra: dict[str, str] | None = None) -> None:
        try:
            self.connection.settimeout(self.server.options.request_timeout_s)  # a client that never reads
            self.send_response(status)
            for name, value in {**_CORS, **(extra or {})}.items():
                self.send_header(name, value)
            if media_type:
                self.send_header("Content-Type", media_type)
                self.send_header("Vary", "Accept")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:  # the client left, or stopped reading: nothing to tell it
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        if not self.server.options.quiet:
            line = (format % args).translate(_CONTROL)
            sys.stderr.write(f"{self.address_string()} [{self.log_date_time_string()}] {line}\n")


def start(options: ServerOptions) -> SparqlServer:
    """Open the worker pool and bind the socket (port 0 picks a free port)."""
    pool = WorkerPool(options.kg_dir, options.workers, slow=options.slow_workers, memory_mb=options.memory_mb)
    try:
        return SparqlServer(options, pool)
    except OSError as exc:
        pool.close()
        raise ArxivKGError(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}") from None


def stop(server: SparqlServer) -> None:
    server.shutdown()
    server.server_close()
    server.pool.close()


class Endpoint:
    """`with Endpoint(options) as server:` serves in a background thread (tests, benchmarks)."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.server: SparqlServer | None = None

    def __enter__(self) -> SparqlServer:
        self.server = start(self.options)
        threading.Thread(target=self.server.serve_forever, name="sparql-http", daemon=True).start()
        return self.server

    def __exit__(self, *exc) -> None:
        assert self.server is not None
        stop(self.server)


# --- the HTML page --------------------------------------------------------------------

def _html_page() -> str:
    examples = {q.name: q.path.read_text("utf-8") for q in shipped_queries().values()}
    first = examples.get("top-authors", next(iter(examples.values()), "SELECT * WHERE { ?s ?p ?o } LIMIT 10"))
    options = "".join(f'<option value="{html.escape(n)}">{html.escape(n)}</option>' for n in examples)
    data = json.dumps(examples).replace("</", "<\\/")  # cannot close the <script> element
    return _PAGE.replace("%OPTIONS%", options).replace("%QUERY%", html.escape(first)) \
                .replace("%EXAMPLES%", data)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>arxiv-kg SPARQL</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:80em}
textarea{width:100%;height:16em;font-family:monospace;font-size:0.9em}
table{border-collapse:collapse;margin-top:1em;font-size:0.9em}
td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}#status{margin-left:1em;color:#555}pre{white-space:pre-wrap}
</style></head><body>
<h1>arxiv-kg SPARQL</h1>
<p>Read-only endpoint at <code>/sparql</code> (GET ?query=, POST). Prefixes schema, dcterms, bibo,
skos, dblp, akg, rdf, rdfs, xsd and owl are predefined.</p>
<label>Example: <select id="examples"><option value="">(choose)</option>%OPTIONS%</select></label>
<textarea id="query" spellcheck="false">%QUERY%</textarea><br>
<button id="run">Run</button><span id="status"></span>
<div id="out"></div>
<script>
const EXAMPLES = %EXAMPLES%;
const $ = (id) => document.getElementById(id);
$("examples").onchange = (e) => { if (e.target.value) $("query").value = EXAMPLES[e.target.value]; };
function cell(term) {
  if (!term) return "";
  return term["xml:lang"] ? term.value + "@" + term["xml:lang"] : term.value;
}
function table(vars, rows) {
  const t = document.createElement("table"), head = t.insertRow();
  for (const v of vars) { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); }
  for (const b of rows) { const r = t.insertRow(); for (const v of vars) r.insertCell().textContent = cell(b[v]); }
  return t;
}
async function run() {
  const out = $("out"), started = performance.now();
  $("status").textContent = "running…"; out.textContent = "";
  try {
    const resp = await fetch("sparql", {method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json, text/turtle;q=0.9"},
      body: new URLSearchParams({query: $("query").value})});
    const type = resp.headers.get("Content-Type") || "", ms = Math.round(performance.now() - started);
    if (!resp.ok) { const p = document.createElement("pre"); p.textContent = await resp.text(); out.appendChild(p);
      $("status").textContent = resp.status + " " + resp.statusText; return; }
    if (type.startsWith("application/sparql-results+json")) {
      const data = await resp.json();
      if ("boolean" in data) { out.textContent = String(data.boolean); }
      else { out.appendChild(table(data.head.vars, data.results.bindings)); }
      const n = "boolean" in data ? 1 : data.results.bindings.length;
      const cut = resp.headers.get("X-Result-Truncated") === "true" ? " (truncated)" : "";
      $("status").textContent = n + " result(s) in " + ms + " ms" + cut;
    } else {
      const p = document.createElement("pre"); p.textContent = await resp.text(); out.appendChild(p);
      $("status").textContent = "done in " + ms + " ms";
    }
  } catch (err) { $("status").textContent = "request failed: " + err; }
}
$("run").onclick = run;
$("query").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
</script></body></html>
"""
