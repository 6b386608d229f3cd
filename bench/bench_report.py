"""Time `arxiv-kg report` on a KG folder, stage by stage (wall and CPU), with the file's size
and the peak RSS; run it twice to see that the page is byte-identical.

    python bench/bench_report.py /tmp/kg-arch            # one run
    python bench/bench_report.py /tmp/kg-arch --runs 2   # and compare the two pages

The stages are those `arxiv-kg report` logs on stderr: reading the tables (pyarrow), the
co-author network (load_corpus + projection + PageRank, Leiden, components), then the
figures and the page. On a busy machine compare the CPU figures, not the wall times.
"""
from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.report.build import make_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kg")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    digests = []
    for run in range(1, args.runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        html = make_report(args.kg, log=lambda line: print(f"  {line}"))
        data = html.encode()
        digests.append(hashlib.sha256(data).hexdigest())
        print(f"run {run}: {time.perf_counter() - wall:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU, {len(data):,} bytes, "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if args.runs > 1:
        print("byte-identical" if len(set(digests)) == 1 else "DIFFERENT pages")


if __name__ == "__main__":
    main()
