"""Benchmark parse + build on a folder of digests (default: the dev corpus).

    python bench/bench_build.py [FOLDER] [--out DIR]

Prints records/s, wall time per stage and peak RSS. Unpack the dev corpus first:
    mkdir -p /tmp/corpus && tar xJf ../shared/corpus/cvpapers-dev.tar.xz -C /tmp/corpus
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time

from graph.kg import build_graph
from graph.merge import merge_records
from graph.names import variant_groups
from graph.normalise import normalise
from graph.parse import expand_inputs, parse_file
from graph.persist import load_corpus, save_corpus
from graph.records import Corpus, RawRecord


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default="/tmp/corpus/cs.CV")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="bench-kg-")
    t = {}
    t0 = time.perf_counter()
    files, _ = expand_inputs([args.folder])
    raws = [item for f in files for item in parse_file(f) if isinstance(item, RawRecord)]
    t["parse"] = time.perf_counter() - t0
    s = time.perf_counter()
    records = [normalise(r) for r in raws]
    t["normalise"] = time.perf_counter() - s
    s = time.perf_counter()
    papers, authors = merge_records(records)
    t["merge"] = time.perf_counter() - s
    s = time.perf_counter()
    corpus = Corpus(papers=papers, authors=authors, variants=variant_groups(authors),
                    files=len(files), records=len(records))
    t["variants"] = time.perf_counter() - s
    s = time.perf_counter()
    save_corpus(corpus, out)
    t["save"] = time.perf_counter() - s
    parse_build = time.perf_counter() - t0
    s = time.perf_counter()
    load_corpus(out)
    t["load"] = time.perf_counter() - s
    s = time.perf_counter()
    g = build_graph(corpus)
    t["build_graph"] = time.perf_counter() - s
    n = len(records)
    for stage, secs in t.items():
        print(f"{stage:12s} {secs:7.3f} s")
    print(f"records      {n:,} -> {len(papers):,} papers, {len(authors):,} authors; "
          f"graph {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges")
    print(f"parse+build  {parse_build:7.3f} s = {n / parse_build:,.0f} records/s "
          f"(+ graph: {n / (parse_build + t['build_graph']):,.0f} records/s)")
    print(f"peak RSS     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
