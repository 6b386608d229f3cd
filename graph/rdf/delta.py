"""The SPARQL store of a new generation by delta: never a reload of millions of triples.

    triples = apply_delta(old_kg, new_kg, papers, authors, base_iri=..., old_triples=...)

The new generation's store starts as a backup of the previous one (``Store.backup``: a RocksDB
checkpoint, hard links to the immutable files, so it costs nothing). The subjects the update
may have changed (the affected papers and their signatures, the affected authors, and the
categories, classes, repositories, links and papers only mentioned that may differ, which are
few) are rendered from the old tables and from the new ones by graph.rdf.subjects, the very
code that renders a full build's RDF, reading only those rows; the triples only in the old set
are removed and those only in the new set added. The store is copied and opened while the
triples are compared (a thread: RocksDB and the table reads leave the GIL). The store of a
killed update is in an unpublished draft, so it is simply thrown away: the changes need no
transaction of their own.

The triple count stays exact without counting the store: each affected subject's triples in
the store are exactly its old set (the store matched the old tables), so the removed triples
are all there and the added ones are not.
"""
from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.crash import crash_point
from graph.rdf.mapping import subject_lines
from graph.rdf.store import store_path
from graph.rdf.subjects import subjects_of


@dataclass(frozen=True)
class Delta:
    """What a delta did to the store."""

    added: int
    removed: int
    triples: int  # in the store afterwards


def apply_delta(old_kg: Path, new_kg: Path, papers: Collection[str], authors: Collection[str], *,
                base_iri: str, old_triples: int) -> Delta:
    """Make `new_kg`'s store: `old_kg`'s, with the affected subjects' triples replaced."""
    with ThreadPoolExecutor(1) as pool:
        diffed = pool.submit(_diff, old_kg, new_kg, papers, authors, base_iri)
        store = _copy(old_kg, new_kg)
        try:
            removed, added = diffed.result()
            crash_point("store:diffed")
            for quad in removed:
                store.remove(quad)
            store.extend(added)
            crash_point("store:updated")
            store.flush()
        finally:
            del store  # closes RocksDB
    return Delta(len(added), len(removed), old_triples - len(removed) + len(added))


def _copy(old_kg: Path, new_kg: Path) -> ox.Store:
    """`new_kg`'s store, opened: a backup of `old_kg`'s."""
    source = ox.Store.read_only(str(store_path(old_kg)))
    source.backup(str(store_path(new_kg)))
    del source
    crash_point("store:backup")
    return ox.Store(str(store_path(new_kg)))


def _diff(old_kg: Path, new_kg: Path, papers: Collection[str], authors: Collection[str],
          base_iri: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The triples to remove and those to add."""
    before, after = ({line for subject, pairs in found for line in subject_lines(subject, pairs)}
                     for found in subjects_of([old_kg, new_kg], base_iri, papers, authors))
    return _quads(before - after), _quads(after - before)


def _quads(lines: set[str]) -> list[ox.Quad]:
    """The N-Triples lines as Oxigraph reads them (its own terms: no escape is ours to get right)."""
    return list(ox.parse("".join(sorted(lines)).encode("utf-8"), ox.RdfFormat.N_TRIPLES))
