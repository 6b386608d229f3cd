"""Build-step figures for the RDF of a KG folder, and a ratio against a plain rdflib baseline.

Usage: python bench/bench_rdf.py KG_DIR [--subsets 25000,50000,100000] [--skip-store] [--skip-rdflib]

KG_DIR is a folder written by `arxiv-kg build` (only its tables are read). Each step prints wall
and CPU seconds; CPU counts this process and the children it waited for (the store loader),
and is the steadier figure on a shared machine. Steps:

  subjects        the subject stream from the tables (graph.rdf.subjects), nothing rendered
  + N-Triples     the same, each subject rendered as N-Triples in memory
  + Turtle        the same, rendered as Turtle in memory (so each renderer costs the difference)
  column-wise     the N-Triples rendered column by column (graph.rdf.columnar), as the build's
                  main pass renders them: no subject stream
  files           kg.ttl + kg.nt written in one pass (exporters.rdf.write_rdf_files, no store),
                  then by two processes at once (what a build without the store does on 2 cores)
  store alone     bulk load of that kg.nt, then optimize(), in this process (graph.rdf.load)
  build pass      kg.ttl + kg.nt with the store loaded in parallel from the same pass, as
                  `arxiv-kg build` does (its own split: main pass, wait, loader's figures)

Then the baseline, on the first N triples of the same subject stream for each N of --subsets
(rdflib's Turtle serialiser is super-linear, so the whole dev corpus is out of its reach): a
straightforward rdflib.Graph filled with those triples (rdflib terms), serialised as Turtle and
as N-Triples, against our renderers on the same subjects; the ratio is rdflib's time over ours,
both without the subject stream itself (it is the same input for both).
"""
from __future__ import annotations

import argparse
import io
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import rdflib

from exporters import ntriples, turtle
from exporters.base import ExportOptions
from exporters.rdf import write_rdf_files
from graph.rdf import mapping as rdf
from graph.rdf.columnar import ntriples_chunks
from graph.rdf.load import load_store
from graph.rdf.subjects import subjects


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def timed(label: str, step: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, used = time.perf_counter(), cpu()
    result = step()
    wall, used = time.perf_counter() - wall, cpu() - used
    print(f"{label:34s} {wall:7.2f} s wall {used:7.2f} s CPU   peak RSS {peak_rss_mb():6.0f} MB", flush=True)
    return wall, used, result


def rendered(kg: Path, renderers: list) -> int:
    size = 0
    for subject, pairs in subjects(kg):
        for render in renderers:
            size += len(render(subject, pairs))
    return size


def steps(kg: Path, out: Path, skip_store: bool) -> None:
    options = ExportOptions()
    nt, ttl = ntriples.renderer(options).render, turtle.renderer(options).render
    _, gen, _ = timed("subjects", lambda: rendered(kg, []))
    _, with_nt, _ = timed("subjects + N-Triples", lambda: rendered(kg, [nt]))
    _, with_ttl, _ = timed("subjects + Turtle", lambda: rendered(kg, [ttl]))
    print(f"{'  so: N-Triples rendering':34s} {with_nt - gen:7.2f} s CPU; Turtle rendering "
          f"{with_ttl - gen:.2f} s CPU; subjects {gen:.2f} s CPU")
    _, columns, _ = timed("N-Triples column-wise", lambda: sum(map(len, ntriples_chunks(kg))))
    print(f"{'  so: column-wise / subjects + N-Triples':34s} {columns / with_nt:7.2f} of the CPU")
    files = [(out / "kg.ttl", turtle.renderer), (out / "kg.nt", ntriples.renderer)]
    timed("files (one pass, no store)", lambda: write_rdf_files(kg, files, options, cores=1))
    timed("files (two processes, no store)", lambda: write_rdf_files(kg, files, options, cores=2))
    if skip_store:
        return
    timed("store alone (load + optimize)", lambda: print("  ", load_store(out / "store1", out / "kg.nt").text()))
    _, _, run = timed("build pass (files + store)", lambda: write_rdf_files(kg, files, options,
                                                                             store=out / "store2"))
    print("  " + run.text().replace("\n", "\n  "))


# --- the rdflib baseline ------------------------------------------------------------------

def first_subjects(kg: Path, triples: int) -> list[rdf.Subject]:
    out, n = [], 0
    for subject, pairs in subjects(kg):
        if n >= triples:
            break
        out.append((subject, pairs))
        n += len(pairs)
    return out


def rdflib_term(term: rdf.Term) -> rdflib.term.Node:
    kind, value, extra = term
    if kind == rdf.IRI:
        return rdflib.URIRef(value)
    if kind == rdf.LANG_LITERAL:
        return rdflib.Literal(value, lang=extra)
    return rdflib.Literal(value, datatype=rdflib.URIRef(extra))


def rdflib_triples(chosen: list[rdf.Subject]) -> Iterator[tuple]:
    for subject, pairs in chosen:
        s = rdflib.URIRef(subject)
        for predicate, term in pairs:
            yield s, rdflib.URIRef(predicate), rdflib_term(term)


def baseline(kg: Path, sizes: list[int]) -> None:
    options = ExportOptions()
    ours = {"Turtle": turtle.renderer(options), "N-Triples": ntriples.renderer(options)}
    rdflib_formats = {"Turtle": "turtle", "N-Triples": "nt"}
    for size in sizes:
        chosen = first_subjects(kg, size)
        triples = sum(len(p) for _, p in chosen)
        print(f"\nrdflib baseline on the first {len(chosen):,} subjects ({triples:,} triples):")
        _, fill, graph = timed("  rdflib Graph filled", lambda c=chosen: _fill(c))
        for name, renderer in ours.items():
            _, theirs, _ = timed(f"  rdflib serialise {name}",
                                 lambda g=graph, f=rdflib_formats[name]: g.serialize(format=f, encoding="utf-8"))
            _, mine, _ = timed(f"  ours {name}", lambda r=renderer, c=chosen: io.BytesIO().write(
                b"".join(r.render(s, p) for s, p in c)))
            print(f"  {name}: rdflib / ours = {theirs / mine:5.1f}x serialising alone, "
                  f"{(fill + theirs) / mine:5.1f}x with filling the Graph "
                  f"({triples / (fill + theirs):,.0f} vs {triples / mine:,.0f} triples/s)")


def _fill(chosen: list[rdf.Subject]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in rdflib_triples(chosen):
        graph.add(triple)
    return graph


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kg_dir", type=Path)
    ap.add_argument("--subsets", default="25000,50000,100000",
                    help="triples for the rdflib baseline, comma-separated")
    ap.add_argument("--skip-store", action="store_true")
    ap.add_argument("--skip-rdflib", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rdf-") as tmp:
        steps(args.kg_dir, Path(tmp), args.skip_store)
    if not args.skip_rdflib:
        baseline(args.kg_dir, [int(n) for n in args.subsets.split(",")])


if __name__ == "__main__":
    main()
