"""How fast this machine is right now: the CPU time of a fixed piece of the build's own work,
to print beside any other benchmark's figures.

    python bench/speed_index.py [--rounds 40] [--runs 5]

This project's machine runs the same work in up to 1.6x more CPU time at one hour than at
another (measured 2026-12-03: 2.8-4.4 s of CPU for the same `bench/ingest_profile.py` run, with
load average 0 and no other process), so a wall time means little without the speed it was
measured at. The work is parsing and normalising the bundled sample (graph/data/sample, as
`arxiv-kg build` with no arguments reads it) `--rounds` times, the caches cleared before each
round as a fresh ingest worker starts; prints the best of `--runs` as milliseconds of CPU per
1,000 records (lower is faster).
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_profile import clear_caches, read_all  # noqa: E402

from graph.ingest.parse import expand_inputs  # noqa: E402
from graph.sample import sample_dir  # noqa: E402


def one_run(sources: list, rounds: int) -> tuple[float, int]:
    """CPU seconds and records of `rounds` cold reads of `sources`."""
    spent, records = 0.0, 0
    gc.collect()
    gc.disable()  # as in an ingest worker (graph.gcpause)
    try:
        for _ in range(rounds):
            clear_caches()
            start = time.process_time()
            records += read_all(sources)
            spent += time.process_time() - start
    finally:
        gc.enable()
    return spent, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sources = expand_inputs([str(sample_dir())])[0]
    best = min((one_run(sources, args.rounds) for _ in range(args.runs)), key=lambda r: r[0])
    spent, records = best
    print(f"speed index: {spent / records * 1e6:.1f} ms CPU per 1,000 records "
          f"({records:,} records, best of {args.runs}; lower is faster)")


if __name__ == "__main__":
    main()
