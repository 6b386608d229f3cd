"""Issue 11's no-op acceptance: `arxiv-kg update` with nothing new takes at most 1 s and
writes nothing; and the start-up of a few other commands, for comparison.

    python bench/noop_update.py KG [--runs 7] [--exe PATH ...]

KG is a KG folder whose inputs have not changed since its last build or update. Each --exe
(default: the `arxiv-kg` next to this Python) runs, in turn, `update --kg KG`, `info --kg KG`,
`stats --kg KG` and `--help`; the executables are interleaved run by run, so that a machine
whose load drifts treats them alike. Prints, per executable and command, the median wall
seconds with the range, the median CPU seconds (user + system: less moved by the machine's
load than the wall) and the median peak RSS (os.wait4's ru_maxrss: the process alone).
Every update must print "up to date" and leave the KG folder exactly as it was (names, sizes,
modification times and inodes of everything under it, folders included), which is checked
around each update run (`stats` may write its cache into the generation: a reader's right).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def commands(kg: str) -> dict[str, list[str]]:
    return {"update": ["update", "--kg", kg], "info": ["info", "--kg", kg],
            "stats": ["stats", "--kg", kg], "--help": ["--help"]}


def run(argv: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS (MB) and stdout of one run."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed: {out}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def snapshot(kg: Path) -> dict[str, tuple[int, int, int]]:
    """(size, mtime_ns, inode) of the KG folder and everything under it, links not followed."""
    st = os.lstat(kg)
    found = {".": (st.st_size, st.st_mtime_ns, st.st_ino)}
    for parent, dirs, names in os.walk(kg):
        for name in [*dirs, *names]:
            path = os.path.join(parent, name)
            st = os.lstat(path)
            found[os.path.relpath(path, kg)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kg", type=Path)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--exe", action="append", help="an arxiv-kg executable (repeat to compare)")
    args = ap.parse_args()
    exes = args.exe or [str(Path(sys.executable).with_name("arxiv-kg"))]
    changed: dict[str, set[str]] = {exe: set() for exe in exes}
    times: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(args.runs):
        for name, argv in commands(str(args.kg)).items():
            for exe in exes:
                before = snapshot(args.kg) if name == "update" else {}
                wall, cpu, rss, out = run([exe, *argv])
                if name == "update":
                    if "up to date" not in out:
                        sys.exit(f"{exe}: the update was not a no-op: {out}")
                    after = snapshot(args.kg)
                    changed[exe] |= {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
                times.setdefault((exe, name), []).append((wall, cpu, rss))
    for (exe, name), runs in times.items():
        walls = [w for w, _, _ in runs]
        print(f"{name:8s} {statistics.median(walls):5.2f} s ({min(walls):.2f}-{max(walls):.2f}), "
              f"cpu {statistics.median(c for _, c, _ in runs):5.2f} s, "
              f"{statistics.median(r for _, _, r in runs):4.0f} MB  {exe}")
    for exe, names in changed.items():
        print(f"KG folder around {args.runs} updates of {exe}: "
              + (f"{len(names)} entries changed, e.g. {sorted(names)[:5]}" if names else "unchanged"))
    return 1 if any(changed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
