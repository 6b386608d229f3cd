"""Run a command and print the peak of the summed RSS of it and all its descendants.

Usage: python bench/tree_rss.py [--every 0.2] -- COMMAND [ARGS...]

`/usr/bin/time -v` reports the largest single process's peak ("Maximum resident set size"):
a build whose store is loaded by a child process (graph.rdf.load.StoreLoader) holds both at
once, so this samples /proc every --every seconds and reports the whole tree's peak too (shared
pages are counted in each process, so it is an upper bound). Linux only. Prints the command's
own output unchanged, then one line: wall seconds, peak tree RSS, and the processes alive then.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=float, default=0.2)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.perf_counter()
    proc = subprocess.Popen(command)
    peak, at_peak = 0.0, 0
    while proc.poll() is None:
        pids = tree(proc.pid)
        total = sum(rss_mb(p) for p in pids)
        if total > peak:
            peak, at_peak = total, len(pids)
        time.sleep(args.every)
    print(f"tree_rss: {time.perf_counter() - started:.1f} s wall, peak RSS of the process tree "
          f"{peak:,.0f} MB ({at_peak} processes)", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
