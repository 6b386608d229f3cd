"""SPARQL benchmark: store build, cold and warm query latency, a load test, scale-up.

    python bench/bench_sparql.py KG_DIR [--rebuild] [--runs 5] [--clients 50 --requests 2000]
                                        [--workers N] [--no-cache] [--scale 2,4] [--drop-caches]
                                        [--skip-load] [--skip-warm]

KG_DIR is a folder written by `arxiv-kg build`. Prints:
  * store: triples, build time, size on disk; SPARQL paper count vs the corpus;
  * cold: a fresh `arxiv-kg query count-papers` process (interpreter start, imports, store
    open, query); with --drop-caches (root only) the OS page cache is dropped first;
  * warm: every shipped query in-process (run_query + serialise): median wall time and best
    CPU time of --runs (CPU time is what the query costs whatever else the machine runs),
    and the median wall time of a fresh `arxiv-kg query` process;
  * load: `arxiv-kg serve` on 127.0.0.1 (or, with --no-cache, the same server with its answer
    cache off), --clients threads with keep-alive connections, --requests requests cycling
    through the shipped queries, bounded by --deadline seconds: throughput, latency
    p50/p90/p99/max, errors, and how many answers came from the cache;
  * scale (--scale): synthetic stores made of K disjoint copies of the KG's triples (paper,
    author, signature, link and repository IRIs renamed per copy; categories and subject
    classes shared), warm latency per query at each size, and a least-squares line
    (latency = a + b * triples) evaluated at 5M triples, the size of the whole cs.CV archive,
    for both the best CPU time and the median wall time.
Peak RSS is this process's (the server and CLI runs are separate processes).
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from graph.rdf.load import create_store, store_from_kg
from graph.rdf.mapping import DEFAULT_BASE_IRI
from graph.rdf.server import DEFAULT_WORKERS
from graph.rdf.store import (
    execute,
    open_store,
    run_query,
    serialize,
    shipped_queries,
    store_path,
)
from graph.rdf.subjects import ntriples_lines

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import load_corpus  # noqa: E402  (the tests' reader of a KG into Python objects)

CLI = str(Path(sys.executable).parent / "arxiv-kg")
TARGET_TRIPLES = 5_000_000
ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"
# `arxiv-kg serve` has no option for the answer cache; this runs the same server without it.
SERVE_UNCACHED = """
import sys
from graph.rdf.server import Endpoint, ServerOptions

options = ServerOptions(kg_dir=sys.argv[1], port=0, quiet=True, workers=int(sys.argv[2]), cache_entries=0)
with Endpoint(options) as server:
    print(f"SPARQL endpoint at {server.url}", file=sys.stderr, flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
"""


def main() -> None:
    args = _args()
    kg = Path(args.kg)
    corpus = load_corpus(kg)
    print(f"KG {kg}: {len(corpus.papers):,} papers, {len(corpus.authors):,} authors; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    _store(kg, args.rebuild)
    count = int(execute(open_store(kg), "SELECT (COUNT(?p) AS ?n) { ?p a schema:ScholarlyArticle }")
                .rows[0][0].value)
    print(f"papers by SPARQL: {count:,}; in the corpus: {len(corpus.papers):,}; "
          f"{'equal' if count == len(corpus.papers) else 'DIFFERENT'}")
    _cold(kg, args.drop_caches)
    if not args.skip_warm:
        _warm(kg, args.runs)
    if not args.skip_load:
        _load_test(kg, args.clients, args.requests, args.deadline, args.workers, not args.no_cache)
    if args.scale:
        _scale(kg, [int(k) for k in args.scale.split(",")], args.runs)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kg")
    parser.add_argument("--rebuild", action="store_true", help="rebuild <kg>/store even if present")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--deadline", type=float, default=900, help="load test bound, seconds")
    parser.add_argument("--workers", type=int, default=None, help="serve --workers")
    parser.add_argument("--no-cache", action="store_true", help="load test with the answer cache off")
    parser.add_argument("--scale", default="", help="comma-separated copy counts, e.g. 2,4")
    parser.add_argument("--drop-caches", action="store_true", help="drop the page cache before the cold run")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-warm", action="store_true")
    return parser.parse_args()


def _store(kg: Path, rebuild: bool) -> None:
    path = store_path(kg)
    if rebuild or not (path / "CURRENT").exists():
        started = time.perf_counter()
        n = store_from_kg(kg)
        print(f"store built: {n:,} triples in {time.perf_counter() - started:.1f} s")
    print(f"store size on disk: {_size(path) / 1e6:.1f} MB at {path}")


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _cold(kg: Path, drop: bool) -> None:
    if drop:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    started = time.perf_counter()
    done = subprocess.run([CLI, "query", "--kg", str(kg), "count-papers", "-q"], capture_output=True, text=True)
    wall = time.perf_counter() - started
    startup = _median([_timed([CLI, "--version"]) for _ in range(3)])
    print(f"cold{' (page cache dropped)' if drop else ''}: new `arxiv-kg query count-papers` process "
          f"{wall:.2f} s (exit {done.returncode}); of which interpreter start + imports ≈ {startup:.2f} s")


def _timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - started


def _warm(kg: Path, runs: int) -> None:
    store = open_store(kg)
    print(f"\nwarm latency of {runs} runs (seconds): in-process query+serialise, median wall and "
          f"best CPU | fresh CLI process, median wall")
    print(f"{'query':28} {'rows':>7} {'wall':>7} {'CPU':>7} {'CLI':>7}")
    for name, q in shipped_queries().items():
        text = q.path.read_text("utf-8")
        wall, cpu, rows = _repeat(store, text, runs)
        cli = _median([_timed([CLI, "query", "--kg", str(kg), name, "--format",
                               "turtle" if "CONSTRUCT" in text else "csv", "-q"]) for _ in range(min(runs, 3))])
        print(f"{name:28} {rows:7,} {wall:7.3f} {cpu:7.3f} {cli:7.3f}")


def _repeat(store, text: str, runs: int) -> tuple[float, float, int]:
    """(median wall time, best CPU time, rows) of `runs` warm runs, after one to warm up."""
    rows = _timed_query(store, text)[2]
    times = [_timed_query(store, text)[:2] for _ in range(runs)]
    return _median([t[0] for t in times]), min(t[1] for t in times), rows


def _timed_query(store, text: str) -> tuple[float, float, int]:
    started, cpu = time.perf_counter(), time.process_time()
    result = run_query(store, text, timeout_s=600)
    serialize(result, "turtle" if result.kind == "graph" else "json")
    return time.perf_counter() - started, time.process_time() - cpu, len(result)


def _median(values: list[float]) -> float:
    return statistics.median(values)


# --- load test ------------------------------------------------------------------------

def _load_test(kg: Path, clients: int, requests: int, deadline_s: float, workers: int | None,
               cache: bool) -> None:
    if cache:
        cmd = [CLI, "serve", "--kg", str(kg), "--port", "0", "--quiet"]
        cmd += ["--workers", str(workers)] if workers else []
    else:
        cmd = [sys.executable, "-c", SERVE_UNCACHED, str(kg), str(workers or DEFAULT_WORKERS)]
    server = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        match = re.search(r"at (http://\S+/sparql)", server.stderr.readline())
        if not match:
            raise SystemExit("serve did not start")
        print(f"\nload test against {'`arxiv-kg serve`' if cache else 'the server with its cache off'}"
              f"{f' (--workers {workers})' if workers else ''}; load average {os.getloadavg()[0]:.2f}")
        _hammer(match.group(1), clients, requests, deadline_s)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def _hammer(url: str, clients: int, requests: int, deadline_s: float) -> None:
    queries = [(q.name, q.path.read_text("utf-8")) for q in shipped_queries().values()]
    jobs = iter(range(requests))
    lock = threading.Lock()
    results: list[tuple[str, int, float, bool]] = []
    errors: list[str] = []
    parts = urlsplit(url)
    stop_at = time.monotonic() + deadline_s

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        while time.monotonic() < stop_at:
            with lock:
                i = next(jobs, None)
            if i is None:
                break
            name, text = queries[i % len(queries)]
            body = urlencode({"query": text})
            started = time.perf_counter()
            try:
                conn.request("POST", parts.path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                        "Accept": ACCEPT})
                resp = conn.getresponse()
                resp.read()
                status, hit = resp.status, resp.getheader("X-Cache") == "hit"
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
                with lock:
                    errors.append(f"{name}: {exc!r}")
                continue
            with lock:
                results.append((name, status, time.perf_counter() - started, hit))
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    _report_load(results, errors, wall, clients, requests)


def _report_load(results, errors, wall: float, clients: int, requests: int) -> None:
    latencies = sorted(r[2] for r in results)
    bad = [r for r in results if r[1] != 200]
    print(f"load test: {clients} clients, {len(results):,} of {requests:,} requests answered in {wall:.1f} s "
          f"-> {len(results) / wall:.1f} requests/s; {sum(r[3] for r in results):,} answered from the cache")
    print(f"  errors: {len(bad)} non-200 responses, {len(errors)} connection errors"
          + (f"; first: {(bad or errors)[0]}" if bad or errors else ""))
    if latencies:
        print(f"  latency p50 {_pct(latencies, 50):.3f} s, p90 {_pct(latencies, 90):.3f} s, "
              f"p99 {_pct(latencies, 99):.3f} s, max {latencies[-1]:.3f} s")


def _pct(sorted_values: list[float], p: float) -> float:
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


# --- scale-up -------------------------------------------------------------------------

def _scale(kg: Path, copies: list[int], runs: int) -> None:
    lines = list(ntriples_lines(kg))
    queries = {name: q.path.read_text("utf-8") for name, q in shipped_queries().items()}
    points: dict[str, list[tuple[int, float, float]]] = {name: [] for name in queries}
    sizes: list[tuple[int, int]] = []
    for k in sorted({1, *copies}):
        with tempfile.TemporaryDirectory(prefix="bench-sparql-", dir=kg) as tmp:
            started = time.perf_counter()
            n = create_store(Path(tmp) / "store", _copies(lines, k))
            build = time.perf_counter() - started
            size = _size(Path(tmp) / "store")
            sizes.append((n, size))
            print(f"\nscale x{k}: {n:,} triples, built in {build:.1f} s, {size / 1e6:.0f} MB on disk")
            store = open_store(tmp)
            for name, text in queries.items():
                wall, cpu, _ = _repeat(store, text, runs)
                points[name].append((n, cpu, wall))
                print(f"  {name:28} CPU {cpu:7.3f} s  wall {wall:7.3f} s")
            del store
    _extrapolate(points, sizes)


def _copies(lines: list[str], k: int) -> Iterator[str]:
    # Prefixes of per-paper and per-person resources; a marker after them makes each copy's
    # IRIs disjoint while names, titles and categories stay shared, as in a bigger corpus.
    own = re.compile(r"<(https://arxiv\.org/abs/|https://github\.com/|"
                     + re.escape(DEFAULT_BASE_IRI) + r"(?:author|signature|link)/)")
    for copy in range(k):
        if copy == 0:
            yield from lines
        else:
            yield from (own.sub(rf"<\g<1>c{copy}-", line) for line in lines)


def _extrapolate(points: dict[str, list[tuple[int, float, float]]], sizes: list[tuple[int, int]]) -> None:
    print(f"\nextrapolation to {TARGET_TRIPLES:,} triples (least squares: latency = a + b * triples)")
    for name, pts in points.items():
        cpu, wall = (_fit([(p[0], p[i]) for p in pts]) for i in (1, 2))
        print(f"  {name:28} CPU {cpu[0] + cpu[1] * TARGET_TRIPLES:7.3f} s  "
              f"wall {wall[0] + wall[1] * TARGET_TRIPLES:7.3f} s")
    a, b = _fit([(n, float(s)) for n, s in sizes])
    print(f"  store size                   {(a + b * TARGET_TRIPLES) / 1e6:7.0f} MB")


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    if len(points) < 2:
        return points[0][1], 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


if __name__ == "__main__":
    main()
