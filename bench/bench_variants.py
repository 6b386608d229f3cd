"""Time write_variants (read the authors table, find the variant groups, write variants.json)
on a KG's authors table, wall and CPU, with the SHA-256 of the variants.json it wrote.

    python bench/bench_variants.py /tmp/kg-arch/current --runs 5
    python bench/bench_variants.py /tmp/kg-arch/current --code /tmp/old-checkout   # another tree's code

The authors table is copied to a scratch folder first: the KG is only read. With --code the
graph package is imported from that tree, so two versions can be run one after the other
(interleave them: on a busy machine timings drift); the same SHA-256 means byte-identical files.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kg", type=Path, help="a KG folder (its authors.parquet is copied)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the source tree to import graph from (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from graph.tables.build import write_variants

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        shutil.copy(args.kg / "authors.parquet", out / "authors.parquet")
        for run in range(1, args.runs + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            groups = write_variants(out)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            digest = hashlib.sha256((out / "variants.json").read_bytes()).hexdigest()[:16]
            print(f"{args.code.name} run {run}: {wall:.3f} s wall, {cpu:.3f} s CPU, "
                  f"{groups:,} groups, variants.json sha256 {digest}")


if __name__ == "__main__":
    main()
