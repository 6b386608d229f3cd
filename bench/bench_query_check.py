"""What the safety check of a query (graph.rdf.store.checked_query, rdflib's parser) costs.

    python bench/bench_query_check.py [--runs 5]

For every shipped query, and for a few typical hand-written ones: whether rdflib's parser
reads it (a query it cannot read would be refused), and the check's median and best wall
time over --runs, each run with the check's cache cleared. Also the one-off costs: importing
rdflib's SPARQL parser, and building the guarded grammar that a query holding the word
SERVICE needs. Needs no KG.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from graph.rdf import store
from graph.rdf.store import QueryError, checked_query, shipped_queries

TYPICAL = {
    "count": "SELECT (COUNT(?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }",
    "all-triples": "SELECT * { ?s ?p ?o }",
    "ask": "ASK { ?s ?p ?o }",
    "service-refused": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    checked_query("ASK {}")
    print(f"first check (imports rdflib's SPARQL parser): {_ms(time.perf_counter() - started)}")
    started = time.perf_counter()
    store._in_deep_thread(lambda: store._grammars(guarded=True))
    print(f"guarded grammar, built once per process: {_ms(time.perf_counter() - started)}")

    queries = {name: q.path.read_text("utf-8") for name, q in shipped_queries().items()}
    queries.update(TYPICAL)
    readable = 0
    print(f"\n{'query':28} {'chars':>6} {'verdict':>9} {'median':>9} {'best':>9}")
    for name, text in queries.items():
        verdict, times = _time_check(text, args.runs)
        readable += verdict in ("runs", "SERVICE")
        print(f"{name:28} {len(text):6} {verdict:>9} {_ms(statistics.median(times)):>9} {_ms(min(times)):>9}")
    print(f"\nread by rdflib's parser: {readable} of {len(queries)}")


def _time_check(text: str, runs: int) -> tuple[str, list[float]]:
    times, verdict = [], ""
    for _ in range(runs):
        store._vet.cache_clear()
        started = time.perf_counter()
        try:
            checked_query(text)
            verdict = "runs"
        except QueryError as exc:
            verdict = "SERVICE" if "SERVICE" in str(exc) else type(exc).__name__
        times.append(time.perf_counter() - started)
    return verdict, times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


if __name__ == "__main__":
    sys.exit(main())
