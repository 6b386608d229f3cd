"""Time the RDF exports (N-Triples, Turtle, JSON-LD) of a KG folder and extrapolate.

Usage: python bench/bench_rdf.py KG_DIR [OUT_DIR] [--target-triples N]

Prints, per format: wall time and CPU time (on a shared machine CPU time is the steadier
figure), output size and the process's peak RSS so far (resource.getrusage ru_maxrss); then
the same for all three written in one pass (exporters.ntriples.write_rdf), and a linear
extrapolation to --target-triples (default 5,000,000: the whole cs.CV archive). Linear
because the work is: one pass over the graph, per-subject rendering, and one sort of the
subject index (n log n, but a small share of the time).
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import networkx as nx

from exporters import jsonld, ntriples, turtle
from exporters.base import ExportOptions
from graph.fsutil import atomic_write
from graph.tables.kg import build_graph
from graph.tables.persist import load_corpus

MODULES = (ntriples, turtle, jsonld)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, write, size: float | None = None) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    write()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    size_text = f"{size():8.1f} MB  " if size else ""
    print(f"{label:10s} {wall:6.2f} s (CPU {cpu:5.2f} s)  {size_text}peak RSS {peak_rss_mb():.0f} MB")
    return wall, cpu


def write_one(graph: nx.DiGraph, module, path: Path, options: ExportOptions) -> None:
    with atomic_write(path) as fh:
        module.write(graph, fh, options)


def write_all(graph: nx.DiGraph, out: Path, options: ExportOptions) -> None:
    paths = [out / f"one-pass.{m.EXPORTER.extension}" for m in MODULES]
    with atomic_write(paths[0]) as nt, atomic_write(paths[1]) as ttl, atomic_write(paths[2]) as js:
        ntriples.write_rdf(graph, [(fh, m.renderer(options)) for fh, m in zip((nt, ttl, js), MODULES)],
                           options)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kg_dir")
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--target-triples", type=int, default=5_000_000)
    args = ap.parse_args()
    out = Path(args.out_dir or tempfile.mkdtemp(prefix="bench-rdf-"))
    out.mkdir(parents=True, exist_ok=True)
    options = ExportOptions()

    t0 = time.perf_counter()
    graph = build_graph(load_corpus(args.kg_dir))
    print(f"load + build_graph: {time.perf_counter() - t0:.2f} s, {graph.number_of_nodes():,} nodes, "
          f"{graph.number_of_edges():,} edges, peak RSS {peak_rss_mb():.0f} MB")
    each = [0.0, 0.0]
    for m in MODULES:
        path = out / f"kg.{m.EXPORTER.extension}"
        wall, cpu = timed(m.EXPORTER.name, lambda: write_one(graph, m, path, options),
                          lambda: path.stat().st_size / 1e6)
        each = [each[0] + wall, each[1] + cpu]
    one = timed("one pass", lambda: write_all(graph, out, options))
    with open(out / "kg.nt", "rb") as fh:
        triples = sum(1 for _ in fh)
    scale = args.target_triples / triples
    print(f"triples: {triples:,}; one by one {each[0]:.2f} s (CPU {each[1]:.2f} s), "
          f"one pass {one[0]:.2f} s (CPU {one[1]:.2f} s)")
    print(f"extrapolated to {args.target_triples:,} triples (x{scale:.2f}), CPU: one by one "
          f"{each[1] * scale:.1f} s, one pass {one[1] * scale:.1f} s")


if __name__ == "__main__":
    main()
