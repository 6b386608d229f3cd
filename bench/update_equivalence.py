"""Issue 11's equivalence acceptance: a KG built from all but the last N days and then updated
one day at a time equals a full build of every day.

    python bench/update_equivalence.py CORPUS SCRATCH [--days 30] [--order sorted|shuffled]
                                       [--revise] [--seed 1]

CORPUS is a folder of daily digests (``*.md``, searched recursively, one file a day). The
script copies the last N days aside, builds from the folder without them (a hard-linked copy of
the rest), then moves the days in one at a time (in date order, or shuffled) and runs
`arxiv-kg update --exports` after each. `--revise` adds, after the last day, a copy of an early
day's file under a new name: its records revise papers the KG already has (duplicates; the
newest version wins). The result is compared with `arxiv-kg build` of the same final folder:
tables row for row, summary.json and variants.json byte for byte, the stores' triples as sets
and the fresh exports byte for byte (bench/compare_kg.py). Prints the wall time of every step.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_kg import compare

from graph.generations import open_kg

CLI = str(Path(sys.executable).parent / "arxiv-kg")


def run(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([CLI, *args, "--quiet"], check=True)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("scratch", type=Path)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--order", choices=("sorted", "shuffled"), default="sorted")
    ap.add_argument("--revise", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    files = sorted(args.corpus.rglob("*.md"))
    shutil.rmtree(args.scratch, ignore_errors=True)
    inputs, kg, full = args.scratch / "in", args.scratch / "kg", args.scratch / "full"
    for f in files:  # hard links: the corpus is read only and large
        target = inputs / f.relative_to(args.corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(f, target)
    later = [inputs / f.relative_to(args.corpus) for f in files[-args.days:]]
    aside = args.scratch / "aside"
    aside.mkdir()
    for f in later:
        f.rename(aside / f"{len(list(aside.iterdir())):04d}-{f.name}")
    held = sorted(aside.iterdir())
    print(f"{len(files) - len(later)} files, then {len(later)} days one at a time ({args.order})")
    print(f"base build: {run('build', str(inputs), '--out', str(kg)):.1f} s")
    if args.order == "shuffled":
        random.Random(args.seed).shuffle(held)
    walls = []
    for item in held:
        original = later[int(item.name[:4])]
        item.rename(original)
        walls.append(run("update", "--kg", str(kg), "--exports"))
        print(f"update {original.name}: {walls[-1]:.1f} s")
    if args.revise:
        # A copy of an early day under a new name (duplicates of papers the KG has), and an
        # early file changed in place (its records withdrawn and read again, plus another day's).
        early, changed = files[len(files) // 3], inputs / files[len(files) // 2].relative_to(args.corpus)
        shutil.copyfile(early, inputs / f"revised-{early.name}")
        text = changed.read_text(encoding="utf-8", errors="surrogateescape")
        changed.unlink()  # a hard link to the corpus: write a new file
        changed.write_text(text + "\n" + files[-1].read_text(encoding="utf-8", errors="surrogateescape"),
                           encoding="utf-8", errors="surrogateescape")
        walls.append(run("update", "--kg", str(kg), "--exports"))
        print(f"update with revisions (a copy of {early.name}): {walls[-1]:.1f} s")
    print(f"updates: {len(walls)}, mean {sum(walls) / max(len(walls), 1):.1f} s, max {max(walls, default=0):.1f} s")
    print(f"full build: {run('build', str(inputs), '--out', str(full)):.1f} s")
    with open_kg(kg) as a, open_kg(full) as b:
        same = compare(a.path, b.path)
    print("EQUIVALENT" if same else "DIFFERENT")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
