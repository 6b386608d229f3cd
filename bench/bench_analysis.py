"""Time the co-authorship analyses: each step beside the same step in plain networkx (with the
ratio), then the analysis commands as a person runs them, first (empty cache) and again.

Usage:
  python bench/bench_analysis.py KG [KG ...]     # folders written by `arxiv-kg build`
  python bench/bench_analysis.py --synthetic      # an archive-sized synthetic KG, written first
  options: --max-authors N (0: no cap) --since DATE (2020) --k K (256) --seed S (0)
           --nx-k K (16: networkx's betweenness runs K sources, scaled up to --k)
           --no-nx  --no-cli  --engines (the projection's self-join in DuckDB, polars, scipy,
           numpy, when installed)

The synthetic corpus stands in for the whole cs.CV archive (about 192k papers, 256k authors,
3.4M co-author edges without a cap). Team sizes up to 50 follow the dev corpus; a Pareto tail of
hyper-authored papers (51 to 1,000 authors) makes about a third of all pairs, as in the archive.
Authors are reused preferentially and teams recur, so the graph has clustering, a giant
component and small components like the real one. (bench/make_synthetic.py makes digests
instead, for `arxiv-kg build`; its KG has 220k authors and 1.4M edges.)

Every figure is wall seconds and CPU seconds (this process and its children); on a busy
machine CPU time is the steadier one. The commands run as child processes, so their figures
include start-up, and their peak RSS is their own.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from graph.analysis import measures as metrics  # noqa: E402
from graph.analysis.cache import Cache  # noqa: E402
from graph.analysis.coauthors import Coauthors, open_coauthors, read_tables  # noqa: E402
from graph.analysis.filters import Filters  # noqa: E402
from graph.analysis.projection import project_tables  # noqa: E402
from graph.generations import writing  # noqa: E402
from graph.model.records import Author, Corpus, Paper  # noqa: E402
from graph.tables.persist import read_table, save_summary  # noqa: E402
from tests.reference import save_corpus, summarise  # noqa: E402  (a hand-made corpus is written as the tests write one)

# Papers with 1..50 distinct authors in the cs.CV dev corpus (27,563 papers).
DEV_TEAM_SIZES = (1126, 3778, 5916, 5768, 4467, 2961, 1567, 822, 419, 257, 128, 92, 64, 28, 22,
                  21, 15, 8, 9, 10, 8, 4, 7, 5, 10, 3, 3, 1, 2, 1, 5, 2, 4, 2, 3, 1, 2, 0, 1, 1,
                  2, 1, 1, 3, 1, 2, 0, 0, 0, 2)
SYNTHETIC_PAPERS = 192_000
HYPER_PAPERS = 184  # papers above 50 authors in the whole archive (issue 3)
HYPER_ALPHA = 1.85  # Pareto shape of the hyper-authored tail: ~45% of pair instances, max ~1,000
NEW_AUTHOR = 0.373  # share of author slots given to a newcomer: ~256k authors
SAME_TEAM = 0.5  # chance a co-author comes from one of the lead author's earlier papers


def main() -> None:
    args = _args()
    kgs = list(args.kg)
    scratch = None
    if args.synthetic:
        scratch = tempfile.mkdtemp(prefix="bench-analysis-")
        with _step("synthetic KG written"):
            write_synthetic_kg(scratch, args.seed)
        kgs.append(scratch)
    try:
        for kg in kgs:
            print(f"\n== {kg}")
            if args.engines:
                engines(kg)
            steps(kg, args)
            if not args.no_cli:
                commands(kg, args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


# ---- steps, beside plain networkx

def steps(kg: str, args: argparse.Namespace) -> None:
    for since in (None, args.since):
        filters = Filters(max_authors=args.max_authors, since=since)
        print(f"\n-- steps, max authors {args.max_authors or 'no limit'}, since {since or '-'}")
        print(f"{'step':<28}{'ours wall':>10}{'CPU':>8}{'networkx wall':>15}{'CPU':>8}"
              f"{'ratio':>8}  note")
        _steps(kg, filters, args)


def _steps(kg: str, filters: Filters, args: argparse.Namespace) -> None:
    ours: dict[str, Any] = {}
    net = _timed_pair("read + project", lambda: _project(kg, filters),
                      None if args.no_nx else lambda: nx_projection(kg, filters), ours)
    g = ours.get("nx")
    proj = net.projection
    print(f"{'':28}{len(proj):,} authors, {len(proj.sources):,} edges, "
          f"{proj.papers_used:,} papers")
    network = net.network
    a, b = pick_pair(net)
    key_a, key_b = proj.keys[a], proj.keys[b]
    sampling = network.sampling(args.k, args.seed)
    plan: list[tuple[str, Callable[[], Any], Callable[[], Any] | None, str]] = [
        ("pagerank", lambda: metrics.measure(network, "pagerank", sampling, args.seed),
         lambda: nx.pagerank(g, weight="weight"), "networkx at its default tol"),
        ("components", lambda: metrics.component_sizes(network),
         lambda: Counter(len(c) for c in nx.connected_components(g)), ""),
        ("ego network, depth 2", lambda: net.ego(a, 2),
         lambda: nx.single_source_shortest_path_length(g, key_a, cutoff=2), ""),
        ("shortest path", lambda: net.chain(a, b), lambda: nx.shortest_path(g, key_a, key_b), ""),
        ("core", lambda: metrics.measure(network, "core", sampling, args.seed),
         lambda: nx.core_number(g), "ours includes the igraph copy"),
        ("clustering + transitivity",
         lambda: (network.clustering, network.g.transitivity_undirected()),
         lambda: (nx.clustering(g), nx.transitivity(g)), ""),
        ("communities", lambda: network.communities(args.seed),
         lambda: nx.community.louvain_communities(g, weight="weight", seed=args.seed),
         "Leiden (igraph) vs Louvain (networkx)"),
        (f"betweenness, k={args.k}", lambda: metrics.measure(network, "betweenness", sampling,
                                                             args.seed),
         lambda: nx.betweenness_centrality(g, k=min(args.nx_k, len(g)), seed=args.seed),
         f"networkx ran {args.nx_k} sources, x{args.k / args.nx_k:g}"),
        ("network stats", lambda: metrics.network_stats(network, k=args.k, seed=args.seed), None,
         "reuses the pass and communities above"),
    ]
    for label, mine, theirs, note in plan:
        scale = args.k / args.nx_k if label.startswith("betweenness") else 1.0
        _timed_pair(label, mine, None if g is None else theirs, ours, scale, note)
    if g is not None:
        _pagerank_accuracy(g, network)


def _project(kg: str, filters: Filters) -> Coauthors:
    proj = project_tables(read_tables(kg, filters), filters, max_pairs=0)
    return Coauthors(proj, kg_dir=kg)


def nx_projection(kg: str, filters: Filters) -> nx.Graph:
    """The projection as plain Python and networkx would make it from the same tables."""
    papers = read_table(kg, "papers", ["arxiv_id", "published"])
    start, end = filters.period()
    if start is not None:
        papers = papers.filter(pc.greater_equal(papers["published"], start))
    if end is not None:
        papers = papers.filter(pc.less(papers["published"], end))
    chosen = set(papers["arxiv_id"].to_pylist())
    rows = read_table(kg, "authorships", ["arxiv_id", "author_key"])
    teams: dict[str, dict[str, None]] = {}
    for paper, key in zip(rows["arxiv_id"].to_pylist(), rows["author_key"].to_pylist()):
        if paper in chosen:
            teams.setdefault(paper, {})[key] = None
    g = nx.Graph()
    for team in teams.values():
        if filters.max_authors and len(team) > filters.max_authors:
            continue
        g.add_nodes_from(team)
        for u, v in combinations(team, 2):
            if g.has_edge(u, v):
                g[u][v]["weight"] += 1
            else:
                g.add_edge(u, v, weight=1)
    return g


def pick_pair(net: Coauthors) -> tuple[int, int]:
    """The author with most papers, and the busiest author four steps away (or the farthest)."""
    papers = net.projection.paper_counts
    a = int(papers.argmax())
    ego = net.ego(a, 4)
    far = ego.members[ego.distances == ego.distances.max()]
    return a, int(far[papers[far].argmax()])


def _pagerank_accuracy(g: nx.Graph, network: metrics.Network) -> None:
    reference = nx.pagerank(g, weight="weight", tol=1e-13, max_iter=10_000)
    ours = dict(zip(network.keys, metrics.measure(network, "pagerank", network.sampling(0, 0), 0)))
    default = nx.pagerank(g, weight="weight")
    print(f"{'':28}PageRank L1 to networkx at tol=1e-13: ours "
          f"{sum(abs(ours[k] - reference[k]) for k in ours):.1e}, networkx's default "
          f"{sum(abs(default[k] - reference[k]) for k in ours):.1e}")


def _timed_pair(label: str, mine: Callable[[], Any], theirs: Callable[[], Any] | None,
                scratch: dict[str, Any], scale: float = 1.0, note: str = "") -> Any:
    wall, cpu, result = _measure(mine)
    line = f"{label:<28}{wall:10.2f}{cpu:8.2f}"
    if theirs is not None:
        nx_wall, nx_cpu, nx_result = _measure(theirs)
        if "nx" not in scratch:
            scratch["nx"] = nx_result
        nx_wall, nx_cpu = nx_wall * scale, nx_cpu * scale
        line += f"{nx_wall:15.2f}{nx_cpu:8.2f}{nx_cpu / max(cpu, 1e-9):7.1f}x"
    print(f"{line}  {note}".rstrip(), flush=True)
    return result


def _measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), _cpu()
    result = fn()
    return time.perf_counter() - wall, _cpu() - cpu, result


# ---- the commands as a person runs them

def commands(kg: str, args: argparse.Namespace) -> None:
    net = open_coauthors(kg, Filters(max_authors=args.max_authors), cache=Cache(kg, enabled=False))
    a, b = (_name(net, i) for i in pick_pair(net))
    targets = [
        (["authors", "--top", "20", "--by", "pagerank", "--max-authors", "0"], "3 s"),
        (["components"], "2 s"),
        (["coauthors", a], "2 s"),
        (["path", a, b], "2 s"),
        (["stats", "--max-authors", "0"], "30 s first, 1 s again"),
        (["authors", "--by", "betweenness", "--max-authors", "0"], "25 s first, 2 s again"),
    ]
    print(f"\n-- commands (child processes; first = empty cache; coauthors/path: {a!r}, {b!r})")
    print(f"{'command':<62}{'run':>6}{'wall':>8}{'CPU':>8}{'RSS MB':>8}  target")
    for argv, target in targets:
        for since in ([], ["--since", args.since]):
            shutil.rmtree(Path(kg) / "cache", ignore_errors=True)
            for run in ("first", "again"):
                wall, cpu, rss, code = _child([*argv, *since, "--kg", kg, "-q"])
                shown = " ".join(argv + since)
                status = "" if code == 0 else f"  (exit {code})"
                print(f"{shown:<62}{run:>6}{wall:8.2f}{cpu:8.2f}{rss:8.0f}  {target}{status}",
                      flush=True)


def _name(net: Coauthors, node: int) -> str:
    """The author's display name when it names them alone, else their key."""
    label = net.projection.labels[node]
    try:
        return label if net.find(label) == node else net.projection.keys[node]
    except Exception:  # ambiguous: several authors share the display name
        return net.projection.keys[node]


def _child(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall and CPU seconds, peak RSS (MB) and exit code of `arxiv-kg ARGV` as a new process.
    GNU time reports the RSS when installed: a child's own rusage would count the pages it
    shared with this (large) process between fork and exec."""
    command = [sys.executable, "-m", "arxiv_kg", *argv]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        timer = ["/usr/bin/time", "-f", "%M", "-o", report.name] if Path("/usr/bin/time").exists() \
            else []
        start = time.perf_counter()
        proc = subprocess.Popen([*timer, *command], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        rss = float(report.read().split()[-1]) / 1024 if timer else usage.ru_maxrss / 1024
    return wall, usage.ru_utime + usage.ru_stime, rss, os.waitstatus_to_exitcode(status)


# ---- the self-join in other engines

def engines(kg: str) -> None:
    """The projection's core, distinct (paper, author) rows -> pairs with joint papers, on the
    same integer arrays in each engine; best of three, CPU seconds (all threads)."""
    import numpy as np

    from graph.analysis.projection import _incidence, _joint

    tables = read_tables(kg, Filters(max_authors=0))
    paper, author, keys = _incidence(tables.papers["arxiv_id"].combine_chunks(),
                                     tables.authorships)
    n = len(keys)
    rows = {"paper": paper.astype(np.int32), "author": author.astype(np.int32)}
    print(f"\n-- self-join engines: {len(paper):,} (paper, author) rows")
    contenders: dict[str, Callable[[], int]] = {
        "numpy pairs (ours)": lambda: len(_joint(paper, author, n)[0]),
        "scipy B^T B": lambda: _product(paper, author, n)}
    try:
        import duckdb
        import pyarrow as pa

        con = duckdb.connect()
        con.register("incidence", pa.table(rows))
        contenders["DuckDB self-join"] = lambda: con.sql(
            "SELECT x.author, y.author, count(*) FROM incidence x JOIN incidence y "
            "ON x.paper = y.paper AND x.author < y.author GROUP BY 1, 2").to_arrow_table().num_rows
    except ImportError:
        print("   DuckDB not installed: skipped")
    try:
        import polars as pl

        frame = pl.DataFrame(rows)
        contenders["polars self-join"] = lambda: len(
            frame.join(frame, on="paper", suffix="_b").filter(pl.col("author") < pl.col("author_b"))
            .group_by("author", "author_b").len())
    except ImportError:
        print("   polars not installed: skipped")
    for label, fn in contenders.items():
        best = min((_measure(fn) for _ in range(3)), key=lambda r: r[1])
        print(f"   {label:<24}{best[0]:8.2f} s wall {best[1]:8.2f} s CPU  {best[2]:,} edges")


def _product(paper: Any, author: Any, n: int) -> int:
    """The incidence matrix B (papers x authors) and the pairs above the diagonal of B^T B."""
    import numpy as np
    import scipy.sparse as sp

    incidence = sp.csr_matrix((np.ones(len(paper), dtype=np.int32), (paper, author)),
                              shape=(int(paper.max()) + 1, n))
    return sp.triu(incidence.T.tocsr() @ incidence, k=1).nnz


# ---- the synthetic archive

def write_synthetic_kg(out: str, seed: int) -> None:
    corpus = synthetic_corpus(seed)
    with writing(out) as draft:  # published as a generation, so the commands open it
        save_corpus(corpus, draft.path)
        save_summary(summarise(corpus), draft.path)


def synthetic_corpus(seed: int, papers: int = SYNTHETIC_PAPERS) -> Corpus:
    """Paper author lists mimicking the archive (see module docstring)."""
    rng = random.Random(seed)
    sizes = rng.choices(range(1, 51), weights=DEV_TEAM_SIZES, k=papers - HYPER_PAPERS)
    sizes += [min(1000, int(51 * rng.paretovariate(HYPER_ALPHA))) for _ in range(HYPER_PAPERS)]
    rng.shuffle(sizes)
    slots: list[int] = []  # one entry per authorship: a uniform pick is a preferential pick
    history: list[list[int]] = []  # papers (author lists) per author
    lists = []
    for size in sizes:
        team = _team(rng, size, slots, history, lists)
        lists.append(team)
        slots.extend(team)
        for a in team:
            history[a].append(len(lists) - 1)
    return _corpus(lists, len(history), rng)


def _team(rng: random.Random, size: int, slots: list[int], history: list[list[int]],
          lists: list[list[int]]) -> list[int]:
    team: dict[int, None] = {}
    lead = _pick(rng, slots, history)
    team[lead] = None
    past = history[lead]
    while len(team) < size:
        if past and rng.random() < SAME_TEAM:
            previous = lists[rng.choice(past)]
            team[rng.choice(previous)] = None
        else:
            team[_pick(rng, slots, history)] = None
    return list(team)


def _pick(rng: random.Random, slots: list[int], history: list[list[int]]) -> int:
    if not slots or rng.random() < NEW_AUTHOR:
        history.append([])
        return len(history) - 1
    return rng.choice(slots)


def _corpus(lists: list[list[int]], authors: int, rng: random.Random) -> Corpus:
    # Publication years spread like the archive's last years, so --since selects about half.
    years = rng.choices((2017, 2018, 2019, 2020, 2021), weights=(1, 2, 3, 4, 5), k=len(lists))
    papers = tuple(Paper(arxiv_id=f"s{i:07d}", version=1, versions=(1,), title=f"Paper {i}",
                         dois=(), primary_category="cs.CV", categories=("cs.CV",),
                         subject_classes=(), published=f"{year}-01-01T00:00:00+00:00",
                         updated=f"{year}-01-01T00:00:00+00:00",
                         authors=tuple(f"a{a:07d}" for a in team), comment=None, journal_ref=None,
                         abstract="", repositories=(), links=(), mentions=(), sources=("s:1",))
                   for i, (team, year) in enumerate(zip(lists, years)))
    counts = Counter(a for team in lists for a in team)
    names = {f"a{a:07d}": Author(f"a{a:07d}", f"Author {a}", (f"Author {a}",), counts[a])
             for a in range(authors)}
    return Corpus(papers=papers, authors=names)


class _step:
    """Context manager printing a step's wall and CPU time and the peak RSS so far."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> None:
        self.start, self.cpu = time.perf_counter(), _cpu()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            print(f"{self.label:<28}{time.perf_counter() - self.start:8.2f} s wall "
                  f"{_cpu() - self.cpu:8.2f} s CPU   peak RSS {_rss_mb():,.0f} MB", flush=True)


def _cpu() -> float:
    own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kg", nargs="*", help="KG folders written by `arxiv-kg build`")
    p.add_argument("--synthetic", action="store_true",
                   help="bench an archive-sized synthetic KG (written to a temporary folder)")
    p.add_argument("--max-authors", type=int, default=0)
    p.add_argument("--since", default="2020")
    p.add_argument("--k", type=int, default=metrics.DEFAULT_K)
    p.add_argument("--nx-k", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-nx", action="store_true", help="skip the networkx side")
    p.add_argument("--no-cli", action="store_true", help="skip the commands")
    p.add_argument("--engines", action="store_true", help="compare self-join engines")
    args = p.parse_args()
    if not args.kg and not args.synthetic:
        p.error("give KG folders or --synthetic")
    return args


if __name__ == "__main__":
    main()
