"""Time the co-authorship analyses: projection, every per-author measure, network figures.

Usage:
  python bench/bench_analysis.py KG_DIR [KG_DIR ...]      # folders written by `arxiv-kg build`
  python bench/bench_analysis.py --synthetic              # archive-sized synthetic corpus
  options: --max-authors N (default 0: no cap) --k K (256) --seed S (0) --nx-pagerank

The synthetic corpus stands in for the whole cs.CV archive (about 192k papers, 256k authors,
3.4M co-author edges without a cap). Team sizes up to 50 follow the dev corpus; a Pareto tail of
hyper-authored papers (51 to 1,000 authors) makes about a third of all pairs, as in the archive.
Authors are reused preferentially and teams recur, so the graph has clustering, a giant
component and small components like the real one.

Prints one line per step: seconds, and peak RSS so far (resource.getrusage ru_maxrss).
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.analysis import measures as metrics  # noqa: E402
from graph.analysis.projection import project  # noqa: E402
from graph.model.records import Author, Corpus, Paper  # noqa: E402
from graph.tables.persist import load_corpus  # noqa: E402

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
    if args.synthetic:
        with _step("synthetic corpus"):
            corpus = synthetic_corpus(args.seed)
        bench(corpus, args)
    for kg in args.kg:
        print(f"\n== {kg}")
        with _step("load_corpus"):
            corpus = load_corpus(kg)
        bench(corpus, args)


def bench(corpus: Corpus, args: argparse.Namespace) -> None:
    with _step("project"):
        proj = project(corpus, max_authors=args.max_authors)
    print(f"   papers {len(corpus.papers):,}, left out {proj.papers_left_out:,}, "
          f"authors {len(proj.keys):,}, edges {len(proj.edges):,}")
    with _step("igraph graph"):
        net = metrics.Network.of(proj)
    start, cpu = time.perf_counter(), _cpu()
    sampling = net.sampling(args.k, args.seed)
    print(f"   betweenness / harmonic: {sampling.describe()}")
    print("   (betweenness runs the sampled pass that harmonic and path lengths reuse)")
    for measure in metrics.MEASURES:
        with _step(f"measure {measure}"):
            metrics.analyse(net, k=args.k, seed=args.seed, measures=[measure])
    with _step("network stats"):
        stats = metrics.network_stats(net, k=args.k, seed=args.seed)
    print(f"   all measures and stats: {time.perf_counter() - start:.2f} s wall, "
          f"{_cpu() - cpu:.2f} s CPU")
    print("   " + ", ".join(f"{k} {_fmt(v)}" for k, v in stats.items()))
    if args.nx_pagerank:
        _nx_pagerank(proj)


def _nx_pagerank(proj) -> None:
    import networkx as nx

    with _step("networkx graph"):
        g = proj.graph
    try:
        with _step("networkx pagerank"):
            reference = nx.pagerank(g, weight="weight")
    except ImportError as exc:  # networkx's pagerank needs scipy
        print(f"   networkx pagerank skipped: {exc}")
        return
    ours = dict(zip(proj.keys, metrics.analyse(proj, measures=["pagerank"]).columns["pagerank"]))
    print(f"   L1 distance to igraph: {sum(abs(reference[k] - ours[k]) for k in ours):.2e} "
          f"(networkx's default stopping rule allows an L1 change of n * 1e-6 = "
          f"{len(ours) * 1e-6:.2e} per iteration)")


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
    return _corpus(lists, len(history))


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


def _corpus(lists: list[list[int]], authors: int) -> Corpus:
    papers = tuple(Paper(arxiv_id=f"s{i:07d}", version=1, versions=(1,), title=f"Paper {i}",
                         dois=(), primary_category="cs.CV", categories=("cs.CV",),
                         subject_classes=(), published="2020-01-01T00:00:00+00:00",
                         updated="2020-01-01T00:00:00+00:00",
                         authors=tuple(f"a{a:07d}" for a in team), comment=None, journal_ref=None,
                         abstract="", repositories=(), links=(), mentions=(), sources=())
                   for i, team in enumerate(lists))
    names = {f"a{a:07d}": Author(f"a{a:07d}", f"Author {a}", (f"Author {a}",), 0)
             for a in range(authors)}
    return Corpus(papers=papers, authors=names)


class _step:
    """Context manager printing a step's wall time, CPU time (this process and its workers)
    and the peak RSS so far. On a busy machine CPU time is the steadier figure."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> None:
        self.start, self.cpu = time.perf_counter(), _cpu()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            wall, cpu = time.perf_counter() - self.start, _cpu() - self.cpu
            print(f"{self.label:<24} {wall:7.2f} s wall {cpu:7.2f} s CPU   peak RSS "
                  f"{_rss_mb(resource.RUSAGE_SELF):,.0f} MB (workers "
                  f"{_rss_mb(resource.RUSAGE_CHILDREN):,.0f} MB)", flush=True)


def _cpu() -> float:
    own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kg", nargs="*", help="KG folders written by `arxiv-kg build`")
    p.add_argument("--synthetic", action="store_true",
                   help="bench an archive-sized synthetic corpus")
    p.add_argument("--max-authors", type=int, default=0)
    p.add_argument("--k", type=int, default=metrics.DEFAULT_K)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nx-pagerank", action="store_true", help="also time networkx's pagerank")
    args = p.parse_args()
    if not args.kg and not args.synthetic:
        p.error("give KG folders or --synthetic")
    return args


if __name__ == "__main__":
    main()
