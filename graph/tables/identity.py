"""The identity of a KG folder's contents: what caches of results derived from it are keyed by.

A rebuild rewrites summary.json and the tables (atomically, so with new mtimes), which changes
the identity and so invalidates every cached projection and measure. Hashing the tables'
bytes would be exact but costs seconds at archive scale; their sizes and mtimes cost nothing.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from graph.tables.persist import SUMMARY
from graph.tables.schema import TABLES


def kg_identity(kg_dir: str | os.PathLike[str]) -> str:
    """A hex digest that changes whenever summary.json or any table file changes."""
    kg = Path(kg_dir)
    digest = hashlib.sha256()
    summary = kg / SUMMARY
    digest.update(summary.read_bytes() if summary.is_file() else b"no summary")
    for name in sorted([SUMMARY, *(t.file for t in TABLES.values())]):
        try:
            st = (kg / name).stat()
        except FileNotFoundError:
            digest.update(f"\0{name}:absent".encode())
            continue
        digest.update(f"\0{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()
