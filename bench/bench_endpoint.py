"""`arxiv-kg serve` under abuse: slowloris, load, pathological queries, kills, fd exhaustion.

    python bench/bench_endpoint.py KG_DIR [--idle 1000] [--clients 50] [--requests 40]
                                          [--only slowloris,load,...]

Each part starts its own `arxiv-kg serve --port 0` (default options unless said) and prints:
  * slowloris: --idle connections opened and left idle, then one normal query on a new
    connection: its latency, and the server's thread count meanwhile;
  * load: --clients threads x --requests mixed requests each (shipped queries by GET and POST
    in several formats, HEAD, CONSTRUCT as RDF/XML and JSON-LD, a syntax error, an update,
    an unknown page), on keep-alive connections: errors (any status other than the expected
    one, or no answer), p50/p99/max latency;
  * pathological: two endless queries, then a cheap one: its latency while they run;
  * hangup: an endless query whose client closes after 1 s: how long until its worker is gone;
  * memory: a query that sorts the store's cross product, with the default memory limit:
    status, time to answer, the worker's peak RSS, and whether the next query is answered;
  * kill: SIGTERM, then (another server) SIGKILL, while a worker runs an endless query: how
    long after the signal until no worker is alive;
  * fds: the server's descriptor limit cut to 64 and 100 connections opened: the server's
    CPU use over the next 2 s (a spinning accept loop would use ~100%), and what a new
    client gets.
Everything runs on 127.0.0.1 and stops by itself.
"""
from __future__ import annotations

import argparse
import http.client
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from graph.rdf.store import shipped_queries

CLI = str(Path(sys.executable).parent / "arxiv-kg")
COUNT = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUNGRY = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
CHEAP = "SELECT ?t WHERE { ?p a schema:ScholarlyArticle ; schema:name ?t } LIMIT 10"
CONSTRUCT = "CONSTRUCT { ?p schema:name ?t } WHERE { ?p a schema:ScholarlyArticle ; schema:name ?t } LIMIT 50"
PARTS = ("slowloris", "load", "pathological", "hangup", "memory", "kill", "fds")


class Serve:
    """`arxiv-kg serve` in a child process, for the length of a `with` block."""

    def __init__(self, kg: str, *args: str) -> None:
        self.proc = subprocess.Popen([CLI, "serve", "--kg", kg, "--port", "0", "-q", *args],
                                     stderr=subprocess.PIPE, text=True)
        match = re.search(r"at (http://\S+/sparql)", self.proc.stderr.readline())
        if not match:
            self.proc.kill()
            raise SystemExit("serve did not start")
        self.url = match.group(1)
        self.port = urlsplit(self.url).port

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def threads(self) -> int:
        return int(re.search(r"Threads:\s+(\d+)", Path(f"/proc/{self.proc.pid}/status").read_text()).group(1))

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(stat.parent.name))
    return kids


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def get(port: int, query: str, *, accept: str = "application/sparql-results+json",
        timeout: float = 120) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", f"/sparql?{urlencode({'query': query})}", headers={"Accept": accept})
        resp = conn.getresponse()
        return resp.status, resp.read(), time.perf_counter() - started
    finally:
        conn.close()


def send_query(port: int, query: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    sock.sendall(f"GET /sparql?{urlencode({'query': query})} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def wait_gone(pids: list[int], since: float, limit: float = 30) -> str:
    while any(alive(p) for p in pids) and time.monotonic() - since < limit:
        time.sleep(0.01)
    left = [p for p in pids if alive(p)]
    return f"{time.monotonic() - since:.2f} s" if not left else f"{len(left)} still alive after {limit:g} s"


# --- the parts ------------------------------------------------------------------------

def slowloris(kg: str, args) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle + 256)), hard))
    with Serve(kg) as server:
        # The same cheap query before and during: each text is new, so both miss the cache.
        _, _, before = get(server.port, f"{CHEAP} # before")
        started = time.perf_counter()
        idle = []
        for _ in range(args.idle):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=30))
        opened = time.perf_counter() - started
        threads = server.threads()
        status, _, latency = get(server.port, f"{CHEAP} # during")
        closed = sum(1 for s in idle if _closed(s))
        print(f"slowloris: {args.idle} idle connections opened in {opened:.2f} s; server threads {threads}; "
              f"a normal query then: HTTP {status} in {latency:.3f} s (before them: {before:.3f} s); "
              f"{closed} of the idle connections closed by the server to make room")
        for sock in idle:
            sock.close()


def _closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def load(kg: str, args) -> None:
    queries = [q.path.read_text("utf-8") for q in shipped_queries().values()]
    mixed = [("GET", q, "application/sparql-results+json, text/turtle;q=0.9", 200) for q in queries]
    mixed += [("POST", queries[0], "text/csv", 200), ("HEAD", queries[1], "application/sparql-results+xml", 200),
              ("GET", CONSTRUCT, "application/rdf+xml", 200), ("GET", CONSTRUCT, "application/ld+json", 200),
              ("GET", "SELECT ?x WHERE {", "*/*", 400), ("GET", "INSERT DATA { <a:b> <a:c> <a:d> }", "*/*", 403),
              ("GET", COUNT, "text/tab-separated-values", 200)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    with Serve(kg) as server:
        def client(n: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            for i in range(args.requests):
                method, query, accept, expected = mixed[(n + i) % len(mixed)]
                started = time.perf_counter()
                try:
                    status = _request(conn, method, query, accept)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
                    status = f"{type(exc).__name__}"
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if status != expected:
                        errors.append(f"{method} -> {status} (expected {expected})")
            conn.close()

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    print(f"load: {args.clients} clients x {args.requests} requests = {len(latencies)} in {wall:.1f} s "
          f"({len(latencies) / wall:.0f} req/s); errors {len(errors)}; latency p50 {p(0.5) * 1000:.0f} ms, "
          f"p99 {p(0.99) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    for error in sorted(set(errors))[:5]:
        print(f"  error: {error}")


def _request(conn: http.client.HTTPConnection, method: str, query: str, accept: str) -> int:
    if method == "POST":
        conn.request("POST", "/sparql", body=query.encode(),
                     headers={"Content-Type": "application/sparql-query", "Accept": accept})
    else:
        conn.request(method, f"/sparql?{urlencode({'query': query})}", headers={"Accept": accept})
    resp = conn.getresponse()
    resp.read()
    return resp.status


def pathological(kg: str, args) -> None:
    with Serve(kg) as server:
        get(server.port, "ASK {}")
        slow = [send_query(server.port, f"{ENDLESS} # {i}") for i in range(2)]
        time.sleep(0.2)
        status, _, latency = get(server.port, CHEAP)
        print(f"pathological: a cheap query while two endless ones run: HTTP {status} in {latency:.3f} s")
        for sock in slow:
            sock.close()


def hangup(kg: str, args) -> None:
    with Serve(kg, "--workers", "1", "--timeout", "600") as server:
        before = server.workers()
        sock = send_query(server.port, ENDLESS)
        time.sleep(1)
        sock.close()
        since = time.monotonic()
        while all(alive(p) for p in before) and time.monotonic() - since < 30:
            time.sleep(0.01)
        print(f"hangup: the client closed; its query's worker was gone {time.monotonic() - since:.2f} s later")


def memory(kg: str, args) -> None:
    with Serve(kg, "--workers", "1", "--timeout", "600") as server:
        peak, done = [0], threading.Event()

        def watch() -> None:
            while not done.is_set():
                for pid in server.workers():
                    try:
                        rss = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
                    except (OSError, AttributeError):
                        continue
                    peak[0] = max(peak[0], rss)
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        status, body, latency = get(server.port, HUNGRY)
        done.set()
        watcher.join()
        after = get(server.port, COUNT)[0]
        print(f"memory: HTTP {status} in {latency:.1f} s ({body.decode().strip()}); worker peak RSS "
              f"{peak[0] // 1024} MB; next query HTTP {after}; server alive: {server.proc.poll() is None}")


def kill(kg: str, args) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with Serve(kg, "--timeout", "600") as server:
            workers = server.workers()
            busy = send_query(server.port, ENDLESS)
            time.sleep(1)
            since = time.monotonic()
            server.proc.send_signal(sig)
            print(f"kill: {signal.Signals(sig).name} with a busy worker: all {len(workers)} workers gone "
                  f"{wait_gone(workers, since)} after the signal")
            busy.close()


def fds(kg: str, args) -> None:
    with Serve(kg, "--max-connections", "500") as server:
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (64, 64))
        held = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(100)]
        cpu, started = server.cpu_s(), time.monotonic()
        time.sleep(2)
        used = (server.cpu_s() - cpu) / (time.monotonic() - started)
        probe = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        reply = probe.recv(4096).split(b"\r\n", 1)[0].decode() or "(closed)"
        print(f"fds: limit 64, 100 connections held: server CPU {used:.0%} over 2 s; a new client gets {reply!r}")
        for sock in [*held, probe]:
            sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kg")
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", default=",".join(PARTS))
    args = parser.parse_args()
    for part in args.only.split(","):
        globals()[part](args.kg, args)


if __name__ == "__main__":
    main()
