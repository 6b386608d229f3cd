"""A read-only SPARQL 1.1 Protocol endpoint over the KG's store, with the standard library.

http.server's ThreadingHTTPServer is enough here: the endpoint is local, requests are
small, and the work happens in pyoxigraph, not in HTTP parsing.

Queries run in a pool of worker processes, each holding its own read-only store. That is
what makes the per-query timeout real: pyoxigraph cannot cancel a query, so a worker that
runs past its time is killed (SIGKILL) and replaced, and the server answers 503. Threads
could only abandon such a query and let it burn CPU until it finished.

Answers are cached: the store is read-only, so a serialised answer stays right for the life
of the server. An LRU of them, keyed by the request (query text, Accept, format=, row cap),
answers a repeated query without a worker, and identical queries that arrive while one of
them is running wait for it instead of running again (dashboards and YASGUI tabs send the
same few queries over and over). Only successful answers are kept.

Protocol: GET ?query=, POST application/x-www-form-urlencoded (query=) and POST
application/sparql-query; content negotiation on Accept (or a `format=` parameter);
CORS for browser tools such as YASGUI. Updates (update= or an update as query) get 403.
"""
from __future__ import annotations

import html
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from urllib.parse import parse_qs, urlsplit

from graph.errors import ArxivKGError, KGNotFound
from graph.rdf.store import (
    FORMATS,
    QueryError,
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
MAX_BODY_BYTES = 1 << 20
ENDPOINT_PATHS = ("/sparql", "/query", "/")

# Media types accepted on Accept, per query form; the first is the default.
_MEDIA = {
    "results": {"application/sparql-results+json": "json", "application/json": "json",
                "application/sparql-results+xml": "xml", "application/xml": "xml",
                "text/csv": "csv", "text/tab-separated-values": "tsv", "text/xml": "xml"},
    "graph": {"text/turtle": "turtle", "application/n-triples": "ntriples",
              "application/x-turtle": "turtle", "text/plain": "ntriples"},
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
    error: str  # class name of the QueryError subclass
    message: str


# --- content negotiation --------------------------------------------------------------

def negotiate(kind: str, accept: str | None, requested: str | None = None) -> str:
    """Pick an output format name for a query form from an Accept header or `format=`."""
    table = _MEDIA["graph" if kind == "graph" else "results"]
    default = next(iter(table.values()))
    if requested:
        if requested in table.values():
            return requested
        raise NotAcceptable(f"format {requested!r} does not fit this query; "
                            f"use one of {', '.join(sorted(set(table.values())))}")
    ranges = _accept_ranges(accept)
    if not ranges:
        return default
    for media, _q in ranges:
        if media in table:
            return table[media]
        if media == "*/*":
            return default
        if media.endswith("/*"):  # e.g. text/*: the first of ours of that type
            match = next((fmt for m, fmt in table.items() if m.startswith(media[:-1])), None)
            if match:
                return match
    raise NotAcceptable(f"cannot answer this query as {accept!r}; "
                        f"available: {', '.join(table)}")


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
_WORKER_BOOT = "import sys; from graph.rdf.server import worker_main; worker_main(int(sys.argv[1]), sys.argv[2])"


def worker_main(fd: int, kg_dir: str) -> None:
    """Child process: open the store once, then answer jobs until the socket closes."""
    forbid_sockets()  # before the store starts its threads, so that they inherit the filter
    conn = Connection(fd)
    try:
        store = open_store(kg_dir)
    except ArxivKGError as exc:
        conn.send(Failure(type(exc).__name__, str(exc)))
        return
    conn.send("ready")
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_answer(store, job))


def _answer(store, job: Job) -> Answer | Failure:
    try:
        result = execute(store, job.sparql, limit=job.limit)
        fmt = negotiate(result.kind, job.accept, job.requested)
        return Answer(FORMATS[fmt].media_type, serialize(result, fmt), len(result), result.truncated)
    except QueryError as exc:
        return Failure(type(exc).__name__, str(exc))
    except Exception as exc:  # a worker must survive any single query
        return Failure("QueryError", f"query failed: {exc}")


@dataclass(eq=False)  # identity, so workers can live in a set
class _Worker:
    process: subprocess.Popen
    conn: Connection

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.conn.close()


class WorkerPool:
    """Worker processes with a read-only store each; a job past its deadline kills its worker."""

    def __init__(self, kg_dir: str | os.PathLike[str], size: int) -> None:
        self._kg_dir = str(kg_dir)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        for _ in range(max(1, size)):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        with theirs:
            process = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT, str(theirs.fileno()), self._kg_dir],
                                       pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        parent = Connection(ours.detach())
        try:
            hello = parent.recv() if parent.poll(60) else Failure("KGNotFound", "no answer in 60 s")
        except (EOFError, OSError):
            hello = Failure("KGNotFound", "the store worker exited while starting")
        worker = _Worker(process, parent)
        if isinstance(hello, Failure):
            worker.stop()
            raise KGNotFound(hello.message)
        with self._lock:
            self._all.add(worker)
        return worker

    def run(self, job: Job, timeout_s: float) -> Answer | Failure:
        deadline = time.monotonic() + timeout_s
        try:
            worker = self._idle.get(timeout=timeout_s)
        except queue.Empty:
            return Failure("QueryTimeout", f"server busy: no query slot free within {timeout_s:g} s")
        try:
            worker.conn.send(job)
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                reply = worker.conn.recv()
                self._idle.put(worker)
                return reply
            reason = Failure("QueryTimeout", f"query stopped after {timeout_s:g} s (time limit)")
        except (EOFError, OSError):
            reason = Failure("QueryError", "the query worker died; the query was not answered")
        self._replace(worker)
        return reason

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()

        def respawn() -> None:
            if self._closed:
                return
            try:
                self._idle.put(self._spawn())
            except ArxivKGError as exc:  # e.g. the store was deleted: the pool shrinks
                sys.stderr.write(f"cannot restart a query worker: {exc}\n")

        threading.Thread(target=respawn, name="sparql-respawn", daemon=True).start()

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.process.pid for w in self._all if w.process.pid is not None)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


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
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key], True
            pending = self._pending.get(key)
            leader = pending is None
            if leader:
                pending = self._pending[key] = _Pending()
                self.misses += 1
            else:
                self.hits += 1
        if not leader:
            pending.done.wait()
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


_STATUS = {"QuerySyntaxError": HTTPStatus.BAD_REQUEST, "QueryRefused": HTTPStatus.FORBIDDEN,
           "QueryTimeout": HTTPStatus.SERVICE_UNAVAILABLE, "NotAcceptable": HTTPStatus.NOT_ACCEPTABLE,
           "FormatError": HTTPStatus.NOT_ACCEPTABLE}

_CORS = {"Access-Control-Allow-Origin": "*",
         "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
         "Access-Control-Allow-Headers": "Content-Type, Accept",
         "Access-Control-Expose-Headers": "X-Result-Rows, X-Result-Truncated, X-Cache",
         "Access-Control-Max-Age": "86400"}


class BadRequest(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class SparqlServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # 50+ simultaneous clients must not see refused connections

    def __init__(self, options: ServerOptions, pool: WorkerPool) -> None:
        super().__init__((options.host, options.port), _Handler)
        self.options = options
        self.pool = pool
        self.cache = AnswerCache(options.cache_entries, options.cache_bytes)
        self.page = _html_page().encode("utf-8")

    def answer(self, job: Job) -> tuple[Reply, bool]:
        """The reply to a job, and whether it came from the cache (or an identical running job)."""
        return self.cache.get(job, lambda: self.pool.run(job, self.options.timeout_s))  # frozen: hashable

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/sparql"


class _Handler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "arxiv-kg-sparql"
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections

    def do_OPTIONS(self) -> None:
        self._send(HTTPStatus.NO_CONTENT, b"", None)

    def do_GET(self) -> None:
        self._handle(lambda: self._params(urlsplit(self.path).query))

    def do_POST(self) -> None:
        try:
            body = self._body()  # first, so that every answer leaves the connection clean
        except BadRequest as exc:
            self.close_connection = True  # the unread body would be taken for the next request
            self._send_text(exc.status, str(exc))
            return
        self._handle(lambda: self._post_params(body))

    def _handle(self, read_params) -> None:
        try:
            path = urlsplit(self.path).path
            if path not in ENDPOINT_PATHS:
                raise BadRequest(HTTPStatus.NOT_FOUND, f"no such page {path!r}; the endpoint is /sparql")
            params = read_params()
            if not params and self.command == "GET" and path == "/":
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
        return self.rfile.read(length) if length > 0 else b""

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
        requested = (params.get("format") or [None])[0]
        options = self.server.options
        job = Job(queries[0], self.headers.get("Accept"), requested, options.max_rows)
        reply, cached = self.server.answer(job)
        if isinstance(reply, Failure):
            self._send_text(_STATUS.get(reply.error, HTTPStatus.INTERNAL_SERVER_ERROR), reply.message)
            return
        extra = {"X-Result-Rows": str(reply.rows), "X-Result-Truncated": str(reply.truncated).lower(),
                 "X-Cache": "hit" if cached else "miss"}
        self._send(HTTPStatus.OK, reply.body, reply.media_type, extra)

    def _send_text(self, status: HTTPStatus, message: str) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, media_type: str | None,
              extra: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in {**_CORS, **(extra or {})}.items():
                self.send_header(name, value)
            if media_type:
                self.send_header("Content-Type", media_type)
                self.send_header("Vary", "Accept")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left; nothing to tell it

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        if not self.server.options.quiet:
            sys.stderr.write(f"{self.address_string()} [{self.log_date_time_string()}] {format % args}\n")


def start(options: ServerOptions) -> SparqlServer:
    """Open the worker pool and bind the socket (port 0 picks a free port)."""
    pool = WorkerPool(options.kg_dir, options.workers)
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
