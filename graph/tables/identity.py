"""The identity of a KG's contents: what caches of results derived from it are keyed by.

A published generation's identity is the hash of its manifest, which names the generation and
holds every file's SHA-256: a new generation (a build, an update) has another one, so every
cached projection and measure of the old one is left behind. A plain folder of tables (as
tests and benchmarks write them) falls back to the tables' sizes and mtimes.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from graph.generations import MANIFEST
from graph.tables.persist import SUMMARY
from graph.tables.schema import TABLES


def kg_identity(kg_dir: str | os.PathLike[str]) -> str:
    """A hex digest that changes whenever the generation, or any table file, changes."""
    kg = Path(kg_dir)
    manifest = kg / MANIFEST
    if manifest.is_file():
        return hashlib.sha256(manifest.read_bytes()).hexdigest()
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
