"""A real full disk: `arxiv-kg build` of the bundled sample into tmpfs mounts that fill up
during the save of the tables, during the exports and during the store load.

    python bench/hostile_disk.py [--keep-going]

Needs `mount -t tmpfs` (root); says so and exits 0 where it is not allowed. The sizes come from
one build on the ordinary disk, so each mount fills up inside the stage named. Prints one row a
stage: the exit code and the `Error:` lines (the last lines of stderr when there are none). One
`Error: ...` line and exit 1 is the expected answer; a traceback is a failure (exit 1 of this
script). Set PYTHONPATH to another checkout to measure that one. tests/hostile.py covers the
same stages with mocks, in the test suite.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

STAGES = ("tables", "exports", "store")


def build(out: Path) -> subprocess.CompletedProcess[str]:
    # Run from elsewhere than the checkout, so that PYTHONPATH can name another one.
    return subprocess.run([sys.executable, "-m", "arxiv_kg", "build", "--out", str(out)],
                          capture_output=True, text=True, check=False, cwd=out.parent.parent)


def stage_sizes(scratch: Path) -> dict[str, int]:
    """Bytes written before each stage ends, from a build on the ordinary disk."""
    out = scratch / "kg"
    build(out).check_returncode()
    size = {p: p.stat().st_size for p in out.rglob("*") if p.is_file()}
    tables = sum(n for p, n in size.items() if p.suffix in (".parquet", ".json"))
    exports = sum(n for p, n in size.items() if p.suffix in (".ttl", ".nt"))
    store = sum(n for p, n in size.items() if "store" in p.parts)
    # A mount half-way into each stage.
    return {"tables": tables // 2, "exports": tables + exports // 2, "store": tables + exports + store // 2}


def full_disk_run(mount: Path, size: int) -> subprocess.CompletedProcess[str] | None:
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={max(size, 4096)}", "tmpfs", str(mount)],
                      capture_output=True, check=False).returncode:
        return None
    try:
        return build(mount / "kg")
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def main() -> int:
    failed = 0
    with tempfile.TemporaryDirectory(prefix="hostile-disk-") as tmp:
        sizes = stage_sizes(Path(tmp))
        mount = Path(tmp) / "mnt"
        mount.mkdir()
        for stage in STAGES:
            done = full_disk_run(mount, sizes[stage])
            if done is None:
                print("mount -t tmpfs is not allowed here: nothing measured")
                return 0
            errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
            bad = "Traceback (most recent call last)" in done.stderr or done.returncode != 1 or len(errors) != 1
            failed += bad
            shown = " | ".join(line.replace(tmp, "$TMP")[:160] for line in (errors or done.stderr.splitlines()[-2:]))
            print(f"| {stage} | {sizes[stage]:,} B | exit {done.returncode} | {shown} | {'FAIL' if bad else 'ok'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
