"""Compare two KG folders table by table: rows (pyarrow equality, in order), schema, and bytes.

    python bench/compare_kg.py KG_A KG_B

Prints one line per table and JSON file; exits non-zero if any table's rows, or summary.json
or variants.json, differ. Used to check a new build pipeline against an old one:
    arxiv-kg build /tmp/corpus/cs.CV --out /tmp/old --formats none --no-store   # old checkout
    arxiv-kg build /tmp/corpus/cs.CV --out /tmp/new --formats none --no-store
    python bench/compare_kg.py /tmp/old /tmp/new
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow.parquet as pq

from graph.tables.persist import SUMMARY, VARIANTS
from graph.tables.schema import TABLES


def compare(a: Path, b: Path) -> bool:
    same = True
    for table in TABLES.values():
        left, right = pq.read_table(a / table.file), pq.read_table(b / table.file)
        rows = left.equals(right, check_metadata=True)
        same &= rows
        identical = (a / table.file).read_bytes() == (b / table.file).read_bytes()
        print(f"{table.name:16s} {left.num_rows:>9,} / {right.num_rows:>9,} rows  "
              f"rows {'equal' if rows else 'DIFFER'}  bytes {'identical' if identical else 'differ'}")
    for name in (SUMMARY, VARIANTS):
        identical = (a / name).read_bytes() == (b / name).read_bytes()
        same &= identical
        print(f"{name:16s} bytes {'identical' if identical else 'DIFFER'}")
    return same


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    args = ap.parse_args()
    sys.exit(0 if compare(args.a, args.b) else 1)


if __name__ == "__main__":
    main()
