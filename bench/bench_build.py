"""Benchmark `arxiv-kg build --formats none --no-store` against the old in-memory pipeline.

    python bench/bench_build.py [FOLDER ...] [--runs 3] [--jobs N] [--old-commit 48c07d9] [--new-only]

For each folder (default: the dev corpus and the archive-sized synthetic corpus) it runs the
build of this checkout and the build of `--old-commit` (the last in-memory pipeline, checked
out from this repository's history into a temporary folder) as fresh processes, interleaved
(old, new, old, new, ...) so that a machine whose speed drifts treats both alike. It prints
each one's best wall time, its CPU time (user + system, workers included) and peak RSS (the
largest single process, as /usr/bin/time -v reports it), the old/new ratios, and the new
build's step lines (stderr) from its fastest run. Unpack the dev corpus first:
    mkdir -p /tmp/corpus && tar xJf ../shared/corpus/cvpapers-dev.tar.xz -C /tmp/corpus
and make the archive-sized one with bench/make_synthetic.py.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = ["/tmp/corpus/cs.CV", "/tmp/synthetic/cs.CV"]


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float
    steps: str


def run_build(code: Path, folder: str, out: Path, extra: list[str]) -> Run:
    """One build in a fresh process, with `code` first on the import path."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "arxiv_kg", "build", folder, "--out", str(out),
               "--formats", "none", "--no-store", *extra]
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own usage, its workers included
        wall = time.perf_counter() - start
        err.seek(0)
        steps = err.read().decode()
    if status:
        raise SystemExit(f"build failed ({status}): {' '.join(command)}\n{steps}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, steps)


def checkout(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def report(folder: str, runs: dict[str, list[Run]]) -> None:
    print(f"\n{folder}: best wall of {len(runs['new'])} runs each, interleaved")
    best = {name: min(rs, key=lambda r: r.wall) for name, rs in runs.items()}
    for name, r in best.items():
        print(f"  {name:3s}  wall {r.wall:6.2f} s   cpu {min(x.cpu for x in runs[name]):6.2f} s   "
              f"peak RSS {max(x.rss_mb for x in runs[name]):6,.0f} MB")
    if "old" in best:
        old, new = best["old"], best["new"]
        print(f"  old/new: wall {old.wall / new.wall:.2f}x, "
              f"peak RSS {max(x.rss_mb for x in runs['old']) / max(x.rss_mb for x in runs['new']):.2f}x")
    print("  new build's steps (fastest run):")
    print("".join(f"    {line}\n" for line in best["new"].steps.splitlines() if line.strip()), end="")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="*", default=DEFAULT_FOLDERS)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="--jobs for the new build (default: its own)")
    ap.add_argument("--old-commit", default="48c07d9", help="the in-memory pipeline to compare with")
    ap.add_argument("--new-only", action="store_true", help="skip the old pipeline")
    args = ap.parse_args()
    extra = ["--jobs", str(args.jobs)] if args.jobs else []
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        root = Path(scratch)
        codes = {"new": REPO}
        if not args.new_only:
            codes = {"old": checkout(args.old_commit, Path(tempfile.mkdtemp(dir=root))), **codes}
        for folder in args.folders:
            runs: dict[str, list[Run]] = {name: [] for name in codes}
            for _ in range(args.runs):
                for name, code in codes.items():
                    # The old pipeline takes no --jobs; both get an empty folder.
                    out = Path(tempfile.mkdtemp(dir=root))
                    runs[name].append(run_build(code, folder, out, extra if name == "new" else []))
            report(folder, runs)


if __name__ == "__main__":
    main()
