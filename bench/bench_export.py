"""Time every registered exporter on a KG folder: wall time, peak RSS, output size.

Each (format, graph) pair runs in a fresh child process, so one writer's peak RSS does not
hide another's: the child loads the corpus, builds the graph, then writes the export; it
reports the RSS before writing and the process peak after, so the writer's own cost shows.

    /work/venv/bin/python bench/bench_export.py /tmp/kg-dev
    /work/venv/bin/python bench/bench_export.py /tmp/kg-dev --graph coauthors --formats graphml,gexf
    /work/venv/bin/python bench/bench_export.py /tmp/kg-dev --verify   # also read every file back

--verify reads each output back with parsers that did not write it (networkx and igraph for
GraphML, networkx for GEXF, pyoxigraph for the RDF formats), in another child process, and
prints what they counted.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exporters import EXPORTERS  # noqa: E402
from exporters.base import ExportOptions  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def run_one(kg: str, fmt: str, kind: str, out_dir: str) -> dict:
    """In the child: load, build, write once; return the figures as a dict."""
    import networkx as nx

    from exporters.files import export_source, write_file

    exporter = EXPORTERS[fmt]
    t0 = time.perf_counter()
    t1 = time.perf_counter()  # nothing is loaded up front: the graph reads the tables itself
    graph = export_source(kg, kind, exporter)
    t2 = time.perf_counter()
    rss_before = _current_rss_mb()
    path = Path(out_dir) / f"{kind}.{exporter.extension}"
    write_file(graph, exporter, path, ExportOptions(color_by="community" if kind == "coauthors" else "type"))
    t3 = time.perf_counter()
    counts = (graph.number_of_nodes(), graph.number_of_edges()) if isinstance(graph, nx.Graph) else (0, 0)
    return {"format": exporter.name, "graph": kind, "nodes": counts[0],
            "edges": counts[1], "load_s": t1 - t0, "build_s": t2 - t1,
            "write_s": t3 - t2, "rss_before_write_mb": rss_before, "peak_rss_mb": _rss_mb(),
            "size_mb": path.stat().st_size / 1e6}


def read_back(path: str, fmt: str) -> str:
    """In a child: parse `path` with independent readers; return what they counted."""
    if fmt == "graphml":
        import igraph
        import networkx as nx

        g, ig = nx.read_graphml(path), igraph.Graph.Read_GraphML(path)
        return (f"networkx {g.number_of_nodes():,} nodes {g.number_of_edges():,} edges; "
                f"igraph {ig.vcount():,} nodes {ig.ecount():,} edges")
    if fmt == "gexf":
        import networkx as nx

        g = nx.read_gexf(path, version="1.3")
        return f"networkx {g.number_of_nodes():,} nodes {g.number_of_edges():,} edges"
    import pyoxigraph as ox

    rdf_format = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                  "jsonld": ox.RdfFormat.JSON_LD}[fmt]
    with open(path, "rb") as fh:
        return f"pyoxigraph {sum(1 for _ in ox.parse(fh, format=rdf_format)):,} triples"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kg", help="KG folder written by `arxiv-kg build`")
    parser.add_argument("--graph", choices=["kg", "coauthors", "both"], default="both")
    parser.add_argument("--formats", help="comma-separated names (default: every registered format)")
    parser.add_argument("--keep", help="folder to keep the outputs in (default: a temporary one)")
    parser.add_argument("--verify", action="store_true", help="read every output back (see above)")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "GRAPH"), help=argparse.SUPPRESS)
    parser.add_argument("--read", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.kg, args.child[0], args.child[1], args.keep)))
        return
    if args.read:
        print(read_back(args.read[1], args.read[0]))
        return
    names = args.formats.split(",") if args.formats else list(EXPORTERS)
    exporters = {id(EXPORTERS[n]): EXPORTERS[n] for n in names}.values()
    kinds = ["kg", "coauthors"] if args.graph == "both" else [args.graph]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or tmp
        print(f"{'format':9} {'graph':9} {'nodes':>9} {'edges':>9} {'load s':>7} {'build s':>8} "
              f"{'write s':>8} {'RSS before MB':>13} {'peak RSS MB':>11} {'size MB':>8}")
        for exporter in exporters:
            for kind in kinds:
                if kind in exporter.graphs:
                    _report(args.kg, exporter, kind, out, args.verify)


def _child(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)


def _report(kg: str, exporter, kind: str, out: str, verify: bool) -> None:
    fmt = exporter.name
    done = _child(kg, "--child", fmt, kind, "--keep", out)
    if done.returncode:
        print(f"{fmt:9} {kind:9} failed: {done.stderr.strip().splitlines()[-1]}")
        return
    r = json.loads(done.stdout)
    print(f"{r['format']:9} {r['graph']:9} {r['nodes']:>9,} {r['edges']:>9,} {r['load_s']:>7.1f} "
          f"{r['build_s']:>8.1f} {r['write_s']:>8.1f} {r['rss_before_write_mb']:>13.0f} "
          f"{r['peak_rss_mb']:>11.0f} {r['size_mb']:>8.1f}")
    if verify:
        started = time.perf_counter()
        read = _child(kg, "--read", fmt, str(Path(out) / f"{kind}.{exporter.extension}"))
        result = read.stdout.strip() if read.returncode == 0 else "FAILED"
        if read.stderr.strip():  # warnings count as failures for the acceptance figures
            result += f"; stderr: {read.stderr.strip()[-300:]}"
        print(f"{'':19} read back in {time.perf_counter() - started:.1f} s: {result}")


if __name__ == "__main__":
    main()
