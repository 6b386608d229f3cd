"""Benchmark parse + build on a folder of digests (default: the dev corpus).

    python bench/bench_build.py [FOLDER] [--out DIR]

Prints wall and CPU seconds per stage, records/s and peak RSS. CPU time is the steadier
figure on a shared machine. Unpack the dev corpus first:
    mkdir -p /tmp/corpus && tar xJf ../shared/corpus/cvpapers-dev.tar.xz -C /tmp/corpus
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from typing import Any

from graph.gcpause import paused_gc
from graph.kg import build_graph
from graph.merge import merge_records
from graph.names import variant_groups
from graph.normalise import normalise
from graph.parse import expand_inputs, parse_file
from graph.persist import load_corpus, save_corpus
from graph.records import Corpus, RawRecord

STAGES: list[tuple[str, float, float]] = []


def timed(name: str, fn: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    with paused_gc():  # as graph.pipeline does
        result = fn()
    STAGES.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default="/tmp/corpus/cs.CV")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="bench-kg-")
    files, _ = expand_inputs([args.folder])
    raws = timed("parse", lambda: [i for f in files for i in parse_file(f) if isinstance(i, RawRecord)])
    records = timed("normalise", lambda: [normalise(r) for r in raws])
    papers, authors = timed("merge", lambda: merge_records(records))
    variants = timed("variants", lambda: variant_groups(authors))
    corpus = Corpus(papers=papers, authors=authors, variants=variants, files=len(files),
                    records=len(records))
    timed("save", lambda: save_corpus(corpus, out))
    g = timed("build_graph", lambda: build_graph(corpus))
    timed("load (later commands)", lambda: load_corpus(out))
    for name, wall, cpu in STAGES:
        print(f"{name:22s} wall {wall:6.3f} s   cpu {cpu:6.3f} s")
    n = len(records)
    wall = sum(w for name, w, _ in STAGES if not name.startswith("load"))
    cpu = sum(c for name, _, c in STAGES if not name.startswith("load"))
    print(f"{n:,} records -> {len(papers):,} papers, {len(authors):,} authors; "
          f"graph {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges")
    print(f"parse+build: wall {wall:.2f} s = {n / wall:,.0f} records/s; "
          f"cpu {cpu:.2f} s = {n / cpu:,.0f} records/s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
