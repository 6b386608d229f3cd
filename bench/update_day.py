"""Issue 11's update target: `arxiv-kg update` of one new day on an archive-sized KG, timed whole
and step by step, for one or more executables interleaved run by run.

    python bench/update_day.py --run EXE KG [--run EXE2 KG2 ...] DAY [DAY ...]

Each `--run` pairs an `arxiv-kg` executable with a KG folder of its own (copies of one KG: each
update adds a generation to it). Each DAY is a folder holding one new day (say, a day's digest
with its arXiv IDs changed by sed); round by round, every executable updates its KG with the
same DAY, one after the other, so that a machine whose load drifts treats them alike. A run
is `/usr/bin/time -v EXE update --kg KG DAY`. Prints each run's wall, CPU (user + system: less
moved by the load of other processes than the wall) and peak RSS, then per executable the best
and the median of those and of each step the update prints on stderr (`step: 1.2 s`).

With `--rewind`, each run's generation is removed after it and `current` pointed back at the
one it was made from, so that every run updates the same KG and one DAY serves every round
(the generation before that one may have been collected by the first run: an update needs
only its base).

On a machine shared with other work, its load moves the wall by seconds; raising this
session's scheduling group (`echo -15 > /proc/self/autogroup`, as root; 0 restores it) gives
figures close to a quiet machine's, for every executable alike.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

_STEP = re.compile(r"^(?P<step>[^:]+): (?P<seconds>\d+(?:\.\d+)?) s$")
_TIME = {"wall": re.compile(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$"),
         "user": re.compile(r"User time \(seconds\): ([\d.]+)$"),
         "sys": re.compile(r"System time \(seconds\): ([\d.]+)$"),
         "rss": re.compile(r"Maximum resident set size \(kbytes\): (\d+)$")}


def run(exe: str, kg: str, day: str) -> dict[str, float]:
    """The figures of one update: wall, cpu, rss (MB) and each step's seconds."""
    proc = subprocess.run(["/usr/bin/time", "-v", exe, "update", "--kg", kg, day],
                          capture_output=True, text=True)
    if proc.returncode != 0 or "(splice)" not in proc.stdout and "(full)" not in proc.stdout:
        sys.exit(f"{exe} update --kg {kg} {day} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    figures: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        line = line.strip()
        if step := _STEP.match(line):
            figures[re.sub(r"g\d{6,}", "gN", step["step"])] = float(step["seconds"])
        for name, pattern in _TIME.items():
            if found := pattern.search(line):
                figures[name] = _seconds(found.groups()) if name == "wall" else float(found[1])
    figures["cpu"] = figures.pop("user") + figures.pop("sys")
    figures["rss"] /= 1024
    return figures


def rewind(kg: str) -> None:
    """Point `current` back at the generation the current one was made from, and remove it."""
    current = Path(kg) / "current"
    made = current.resolve()
    parent = json.loads((made / "manifest.json").read_bytes())["parent"]
    link = Path(kg) / ".current.rewind"
    link.symlink_to(f"generations/{parent}")
    os.replace(link, current)
    shutil.rmtree(made)


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds = parts
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", nargs=2, action="append", metavar=("EXE", "KG"), required=True)
    ap.add_argument("--rewind", action="store_true")
    ap.add_argument("--rounds", type=int, default=1, help="runs per DAY (with --rewind)")
    ap.add_argument("days", nargs="+")
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {exe: [] for exe, _ in args.run}
    for day in [d for d in args.days for _ in range(args.rounds if args.rewind else 1)]:
        for exe, kg in args.run:
            figures = run(exe, kg, day)
            if args.rewind:
                rewind(kg)
            results[exe].append(figures)
            print(f"{day}  wall {figures['wall']:5.2f} s  cpu {figures['cpu']:5.2f} s  "
                  f"{figures['rss']:5.0f} MB  {exe}", flush=True)
    for exe, runs in results.items():
        print(f"\n{exe}: {len(runs)} runs, best / median")
        names = list(dict.fromkeys(name for figures in runs for name in figures))
        for name in names:
            values = [figures.get(name, 0.0) for figures in runs]
            unit = "MB" if name == "rss" else "s"
            print(f"  {name:40s} {min(values):7.2f} / {statistics.median(values):7.2f} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
