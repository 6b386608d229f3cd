"""Compare two KGs: tables row for row, summary.json and variants.json byte for byte, the SPARQL
stores' triples as sets, and the exports both hold fresh byte for byte.

    python bench/compare_kg.py KG_A KG_B [--no-store]

KG_A and KG_B are KG folders (their current generations are compared) or generation folders.
Prints one line per item; exits non-zero if anything differs. Used to check an update against
a full build (bench/bench_update.py), or a new build pipeline against an old one.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pyoxigraph as ox

from graph.generations import open_kg
from graph.tables.persist import SUMMARY, VARIANTS
from graph.tables.schema import TABLES
from graph.tables.state import DEPS, KNOWN, RECUTS


def compare(a: Path, b: Path, *, store: bool = True, say=print) -> bool:
    """True if the two generation folders hold the same KG."""
    same = True
    for table in TABLES.values():
        left, right = pq.read_table(a / table.file), pq.read_table(b / table.file)
        rows = left.equals(right, check_metadata=True)
        same &= rows
        identical = (a / table.file).read_bytes() == (b / table.file).read_bytes()
        say(f"{table.name:16s} {left.num_rows:>9,} / {right.num_rows:>9,} rows  "
            f"rows {'equal' if rows else 'DIFFER'}  bytes {'identical' if identical else 'differ'}")
    for name in (KNOWN, DEPS, RECUTS):  # what the next update's name rules start from
        rows = pq.read_table(a / name).equals(pq.read_table(b / name))
        same &= rows
        say(f"{name:27s} rows {'equal' if rows else 'DIFFER'}")
    for name in (SUMMARY, VARIANTS):
        identical = (a / name).read_bytes() == (b / name).read_bytes()
        same &= identical
        say(f"{name:16s} bytes {'identical' if identical else 'DIFFER'}")
    if store and (a / "store").is_dir() and (b / "store").is_dir():
        left, right = triples_digest(a), triples_digest(b)
        same &= left == right
        say(f"store            {left[0]:>9,} / {right[0]:>9,} triples  "
            f"sets {'equal' if left == right else 'DIFFER'}")
    for name in sorted(fresh_exports(a) & fresh_exports(b)):
        identical = (a / name).read_bytes() == (b / name).read_bytes()
        same &= identical
        say(f"{name:16s} bytes {'identical' if identical else 'DIFFER'}")
    return same


def triples_digest(generation: Path) -> tuple[int, int]:
    """(count, an order-free digest of the triples): a sum of per-triple hashes, so two stores
    are compared without sorting millions of lines."""
    store = ox.Store.read_only(str(generation / "store"))
    total = count = 0
    for quad in store:
        line = f"{quad.subject} {quad.predicate} {quad.object}".encode()
        total = (total + int.from_bytes(hashlib.blake2b(line, digest_size=16).digest(), "big")) % (1 << 128)
        count += 1
    return count, total


def fresh_exports(generation: Path) -> set[str]:
    import orjson

    manifest = orjson.loads((generation / "manifest.json").read_bytes())
    return {name for name, entry in manifest.get("exports", {}).items() if not entry.get("stale")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--no-store", action="store_true")
    args = ap.parse_args()
    with open_kg(args.a) as a, open_kg(args.b) as b:
        sys.exit(0 if compare(a.path, b.path, store=not args.no_store) else 1)


if __name__ == "__main__":
    main()
