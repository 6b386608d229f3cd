"""The SPARQL store of a new generation by delta: never a reload of millions of triples.

    triples = apply_delta(old_kg, new_kg, papers, authors, base_iri=..., old_triples=...)

The new generation's store starts as a backup of the previous one (``Store.backup``: a RocksDB
checkpoint, hard links to the immutable files, so it costs nothing). The subjects the update
may have changed (the affected papers and their signatures, the affected authors, and every
category, class, repository, link and paper only mentioned, which are few) are rendered from
the old tables and from the new ones by graph.rdf.subjects, the very code that renders a full
build's RDF; the triples only in the old set are removed and those only in the new set added,
in one SPARQL update (one transaction). The store of a killed update is in an unpublished
draft, so it is simply thrown away.

The triple count stays exact without counting the store: each affected subject's triples in
the store are exactly its old set (the store matched the old tables), so the removed triples
are all there and the added ones are not.
"""
from __future__ import annotations

from collections.abc import Collection
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
                base_iri: str, old_triples: int, scratch: Path) -> Delta:
    """Make `new_kg`'s store: `old_kg`'s, with the affected subjects' triples replaced."""
    before = _lines(old_kg, base_iri, papers, authors, scratch)
    after = _lines(new_kg, base_iri, papers, authors, scratch)
    removed, added = sorted(before - after), sorted(after - before)
    crash_point("store:diffed")
    source = ox.Store.read_only(str(store_path(old_kg)))
    source.backup(str(store_path(new_kg)))
    del source
    crash_point("store:backup")
    store = ox.Store(str(store_path(new_kg)))
    try:
        if removed or added:
            store.update(_update_text(removed, added))
        crash_point("store:updated")
        store.flush()
    finally:
        del store
    return Delta(len(added), len(removed), old_triples - len(removed) + len(added))


def _lines(kg: Path, base_iri: str, papers: Collection[str], authors: Collection[str],
           scratch: Path) -> set[str]:
    return {line for subject, pairs in subjects_of(kg, base_iri, papers, authors, scratch=scratch)
            for line in subject_lines(subject, pairs)}


def _update_text(removed: list[str], added: list[str]) -> str:
    """One SPARQL update. The N-Triples are parsed and written back by Oxigraph itself, so
    every escape is one its SPARQL parser reads."""
    return (f"DELETE DATA {{ {_terms(removed)} }} ;\n"
            f"INSERT DATA {{ {_terms(added)} }}")


def _terms(lines: list[str]) -> str:
    quads = ox.parse("".join(lines).encode("utf-8"), ox.RdfFormat.N_TRIPLES)
    return "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
