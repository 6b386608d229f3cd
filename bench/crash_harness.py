"""Issue 11's crash acceptance: SIGKILL a build and an update at every named crash point
(graph.crash), then check what is left.

    python bench/crash_harness.py SCRATCH [--tmpfs]

A base KG is built from the bundled sample's first two days. The runs killed are a rebuild
of all three days over that KG, and an update adding the third day (its store delta
included). The points are learnt from an unkilled run of each (ARXIV_KG_CRASH_LOG). After
each kill:

* the KG still opens, its manifest's hashes match (graph.generations.verify), its summary is
  the base's, and `arxiv-kg stats` and `arxiv-kg query count-papers` work on it;
* a rerun of the same command completes, and gives the unkilled run's summary and store size;
* nothing temporary is left in the folder (drafts, half-swapped links, staging, *.tmp).

With --tmpfs (needs root), the disk is also filled: a build with every export into a 3 MB
tmpfs holding a small KG must fail with one line, leave that KG as it was and no draft.
Prints one line per point and a tally; exits non-zero on any failure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from graph.crash import AT, LOG
from graph.generations import open_kg, verify
from graph.sample import sample_dir

CLI = str(Path(sys.executable).parent / "arxiv-kg")
TEMPORARY = (".draft-", ".current.", ".staging-", ".subjects-", ".new")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], check=False, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def summary(kg: Path) -> tuple[dict, int | None]:
    with open_kg(kg) as g:
        return json.loads((g.path / "summary.json").read_text()), g.manifest.get("store", {}).get("triples")


def leftovers(kg: Path) -> list[str]:
    found = []
    for root, dirs, files in os.walk(kg):
        for name in [*dirs, *files]:
            if name.startswith(TEMPORARY) or name.endswith(".tmp"):
                found.append(os.path.relpath(os.path.join(root, name), kg))
    return found


def problems_after_kill(kg: Path, base: tuple[dict, int | None], done: tuple[dict, int | None]) -> list[str]:
    """A killed writer leaves the previous generation, or (killed after the one rename that
    publishes) the whole new one: never a mix, never nothing."""
    out = []
    try:
        if summary(kg) not in (base, done):
            out.append("summary or store size neither the previous generation's nor the new one's")
        with open_kg(kg) as g:
            if bad := verify(g):
                out.append(f"manifest mismatch: {bad[:2]}")
    except Exception as exc:  # noqa: BLE001 - the harness reports any failure to open
        return [f"KG unusable: {exc}"]
    for args in (("stats", "--kg", str(kg)), ("query", "--kg", str(kg), "count-papers")):
        done = cli(*args)
        if done.returncode != 0:
            out.append(f"{args[0]} failed: {done.stderr.strip()[-200:]}")
    return out


def points_of(args: list[str], kg: Path, log: Path) -> list[str]:
    log.unlink(missing_ok=True)
    done = cli(*args, env={LOG: str(log)})
    assert done.returncode == 0, done.stderr
    return list(dict.fromkeys(log.read_text().split("\n")[:-1]))


def tmpfs_check(scratch: Path, days: list[Path]) -> list[str]:
    mnt = scratch / "tmpfs"
    mnt.mkdir()
    if subprocess.run(check=False, args=["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)]).returncode:
        return ["(tmpfs: cannot mount here; skipped)"]
    try:
        kg = mnt / "kg"
        done = cli("build", str(days[0]), "--out", str(kg), "--formats", "none", "--no-store", "-q")
        if done.returncode:
            return [f"small build failed: {done.stderr.strip()}"]
        before = summary(kg)
        full = cli("build", *map(str, days), "--out", str(kg), "--formats", "kg.ttl,kg.nt,kg.jsonld,kg.graphml",
                   "-q")
        out = []
        lines = full.stderr.strip().splitlines()
        if full.returncode != 1 or len(lines) != 1 or "No space left" not in lines[0]:
            out.append(f"disk full: exit {full.returncode}, stderr {lines[-3:]}")
        if summary(kg) != before:
            out.append("disk full: the previous generation changed")
        if left := leftovers(kg):
            out.append(f"disk full: left {left}")
        print(f"disk full (3 MB tmpfs): {lines[-1] if lines else ''}")
        return out
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scratch", type=Path)
    ap.add_argument("--tmpfs", action="store_true")
    ap.add_argument("--only", choices=("build", "update"))
    args = ap.parse_args()
    scratch = args.scratch
    shutil.rmtree(scratch, ignore_errors=True)
    days = sorted(sample_dir().glob("*.md"))
    inputs = scratch / "in"
    inputs.mkdir(parents=True)
    for d in days[:2]:
        shutil.copy(d, inputs / d.name)
    base_kg = scratch / "base"
    assert cli("build", str(inputs), "--out", str(base_kg), "-q").returncode == 0
    base = summary(base_kg)
    shutil.copy(days[2], inputs / days[2].name)  # the new day, for the killed runs
    runs = {"build": lambda kg: ["build", str(inputs), "--out", str(kg), "-q"],
            "update": lambda kg: ["update", "--kg", str(kg), "-q"]}
    failures, killed = [], 0
    for kind, command in runs.items():
        if args.only not in (None, kind):
            continue
        probe = scratch / f"probe-{kind}"
        shutil.copytree(base_kg, probe, symlinks=True)
        points = points_of(command(probe), probe, scratch / "points.log")
        expected = summary(probe)
        for point in points:
            kg = scratch / "kg"
            shutil.rmtree(kg, ignore_errors=True)
            shutil.copytree(base_kg, kg, symlinks=True)
            done = cli(*command(kg), env={AT: point})
            problems = [] if done.returncode == -9 else [f"not killed (exit {done.returncode})"]
            killed += done.returncode == -9
            problems += problems_after_kill(kg, base, expected)
            rerun = cli(*command(kg))
            if rerun.returncode != 0:
                problems.append(f"rerun failed: {rerun.stderr.strip()[-200:]}")
            elif summary(kg) != expected:
                problems.append("rerun differs from an unkilled run")
            if left := leftovers(kg):
                problems.append(f"left behind: {left}")
            print(f"{kind:6s} {point:40s} {'ok' if not problems else '; '.join(problems)}", flush=True)
            failures += [f"{kind} {point}: {p}" for p in problems]
    if args.tmpfs:
        failures += [p for p in tmpfs_check(scratch, days) if not p.startswith("(")]
    print(f"{killed} kills, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
