"""Benchmark parse + build on a folder of digests (default: the dev corpus).

    python bench/bench_build.py [FOLDER] [--out DIR] [--runs 3]

Prints wall and CPU seconds per stage, records/s and peak RSS. Each run is a fresh child
process, as `arxiv-kg build` is (so page faults and cold caches count); the table shows each
stage's best over the runs. CPU time is the steadier figure on a shared machine. Parse and
normalise run file by file, as graph.ingest.pipeline runs them, and are timed apart. The totals are
given with and without build_graph, which `arxiv-kg build` needs only for its exports and
SPARQL store. Peak RSS is the largest over the runs, with the records, the corpus, its graph
and a reloaded corpus all held at once: an upper bound for `arxiv-kg build`. Unpack the dev
corpus first:
    mkdir -p /tmp/corpus && tar xJf ../shared/corpus/cvpapers-dev.tar.xz -C /tmp/corpus
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from graph.gcpause import paused_gc
from graph.ingest.merge import merge_records
from graph.ingest.names import variant_groups
from graph.ingest.normalise import normalise
from graph.ingest.parse import Source, expand_inputs, parse_file
from graph.model.records import Corpus, RawRecord
from graph.tables.kg import build_graph
from graph.tables.persist import load_corpus, save_corpus

GRAPH = "build_graph"
LATER = "load (later commands)"


def one_run(folder: str, out: str) -> dict[str, Any]:
    """Run every stage once, in this process; return seconds per stage, counts and peak RSS."""
    stages: dict[str, tuple[float, float]] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        with paused_gc():  # as graph.ingest.pipeline does
            result = fn()
        stages[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    files, _ = expand_inputs([folder])
    with paused_gc():
        records = _parse_and_normalise(files, stages)
    papers, authors = timed("merge", lambda: merge_records(records))
    variants = timed("variants", lambda: variant_groups(authors))
    corpus = Corpus(papers=papers, authors=authors, variants=variants, files=len(files),
                    records=len(records))
    timed("save", lambda: save_corpus(corpus, out))
    g = timed(GRAPH, lambda: build_graph(out))  # from the tables just saved
    timed(LATER, lambda: load_corpus(out))
    return {"stages": stages, "records": len(records), "papers": len(papers),
            "authors": len(authors), "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _parse_and_normalise(files: list[Source], stages: dict[str, tuple[float, float]]) -> list[Any]:
    """File by file, as graph.ingest.pipeline does (a file's raw records are dropped once normalised),
    with the time split between the two steps; `stages` gets "parse" and "normalise"."""
    spent = {"parse": [0.0, 0.0], "normalise": [0.0, 0.0]}
    records: list[Any] = []
    for source in files:
        wall, cpu = time.perf_counter(), time.process_time()
        raws = [i for i in parse_file(source) if isinstance(i, RawRecord)]
        middle_wall, middle_cpu = time.perf_counter(), time.process_time()
        records.extend(normalise(r) for r in raws)
        end_wall, end_cpu = time.perf_counter(), time.process_time()
        spent["parse"][0] += middle_wall - wall
        spent["parse"][1] += middle_cpu - cpu
        spent["normalise"][0] += end_wall - middle_wall
        spent["normalise"][1] += end_cpu - middle_cpu
    stages.update({name: (wall, cpu) for name, (wall, cpu) in spent.items()})
    return records


def report(runs: list[dict[str, Any]]) -> None:
    first = runs[0]
    for name in first["stages"]:
        wall = min(r["stages"][name][0] for r in runs)
        cpu = min(r["stages"][name][1] for r in runs)
        print(f"{name:22s} wall {wall:6.3f} s   cpu {cpu:6.3f} s")
    n = first["records"]
    print(f"{n:,} records -> {first['papers']:,} papers, {first['authors']:,} authors; "
          f"graph {first['nodes']:,} nodes, {first['edges']:,} edges")
    for label, skip in (("parse+build", {LATER}), ("parse+build without build_graph", {LATER, GRAPH})):
        wall = sum(min(r["stages"][s][0] for r in runs) for s in first["stages"] if s not in skip)
        cpu = sum(min(r["stages"][s][1] for r in runs) for s in first["stages"] if s not in skip)
        print(f"{label}: wall {wall:.2f} s = {n / wall:,.0f} records/s; "
              f"cpu {cpu:.2f} s = {n / cpu:,.0f} records/s")
    print(f"peak RSS {max(r['peak_rss_mb'] for r in runs):,.0f} MB "
          f"(best of {len(runs)} runs per stage; records, corpus, graph and reload held at once)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default="/tmp/corpus/cs.CV")
    ap.add_argument("--out", default=None, help="KG folder to write (default: a temporary one)")
    ap.add_argument("--runs", type=int, default=3, help="fresh child processes; best per stage")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one_run(args.folder, args.out)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-kg-") as scratch:
        command = [sys.executable, __file__, args.folder, "--out", args.out or scratch, "--child"]
        report([json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
                for _ in range(args.runs)])


if __name__ == "__main__":
    main()
