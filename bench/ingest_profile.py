"""Time the per-file ingest (parse + normalise + staging rows, as one ingest worker does it) serially.

    python bench/ingest_profile.py [FOLDER] [--every 8] [--runs 3] [--profile]

Reads every `--every`-th digest under FOLDER (default: the archive-sized synthetic corpus) in
one process, and prints the best of `--runs` CPU times for parsing alone, for parsing plus
normalising, so that the cost of normalise (names, classes, links) shows apart, and for the
staging rows a worker then makes of the records (graph.tables.staging.record_batch, in batches
of a task's size; the Parquet write is left out). Caches are cleared before each run, as a
fresh worker starts with empty ones. `--profile` prints a pyinstrument profile of one run of
parsing and normalising (pip install pyinstrument).
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.ingest import cleaning, kinds, names  # noqa: E402
from graph.ingest.parse import expand_inputs, parse_bytes, read_digest  # noqa: E402
from graph.ingest.pipeline import read_flat  # noqa: E402
from graph.tables.staging import record_batch  # noqa: E402

BATCH = 4_700  # records in an 8 MiB task of the archive (graph.tables.ingest.TASK_BYTES)


def clear_caches() -> None:
    for module in (cleaning, kinds, names):
        for value in vars(module).values():
            if hasattr(value, "cache_clear") and not isinstance(value, type):  # lru caches, memos
                value.cache_clear()
    names._KEPT.clear()  # the tokens of lists found untouched: a memo without cache_clear


def parse_only(sources) -> int:
    count = 0
    for source in sources:
        data = read_digest(source)
        count += sum(1 for _ in parse_bytes(data, source.label))
    return count


def read_all(sources) -> int:
    return sum(len(read_flat(source).records) for source in sources)


def stage_all(records) -> int:
    for start in range(0, len(records), BATCH):
        record_batch(records[start:start + BATCH])
    return len(records)


def best_cpu(work, sources, runs: int) -> tuple[float, int]:
    times = []
    result = 0
    for _ in range(runs):
        clear_caches()
        gc.collect()
        gc.disable()  # as in an ingest worker (graph.gcpause)
        start = time.process_time()
        result = work(sources)
        times.append(time.process_time() - start)
        gc.enable()
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="/tmp/synth3/cs.CV")
    parser.add_argument("--every", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    sources = expand_inputs([args.folder])[0][::args.every]
    if args.profile:
        from pyinstrument import Profiler
        clear_caches()
        with Profiler() as profiler:
            read_all(sources)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    parse_s, raw = best_cpu(parse_only, sources, args.runs)
    total_s, kept = best_cpu(read_all, sources, args.runs)
    records = [(place, r) for place, source in enumerate(sources) for r in read_flat(source).records]
    stage_s, _ = best_cpu(stage_all, records, args.runs)
    print(f"{len(sources):,} files, {raw:,} raw records, {kept:,} kept")
    print(f"parse      {parse_s:6.2f} s CPU")
    print(f"normalise  {total_s - parse_s:6.2f} s CPU")
    print(f"total      {total_s:6.2f} s CPU (best of {args.runs})")
    print(f"staging    {stage_s:6.2f} s CPU (rows of the records, best of {args.runs})")


if __name__ == "__main__":
    main()
