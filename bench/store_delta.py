"""The SPARQL store delta of an update, timed part by part: what `arxiv-kg update` spends in its
"SPARQL store delta" step.

    python bench/store_delta.py KG [--runs 5]

KG is a KG folder whose current generation was written by `arxiv-kg update` (its parent, the
generation before, is kept). The papers and authors whose rows differ between the two
(graph.tables.update.changed_rows) are what the update handed to the delta. Each run makes the
current generation's store again, in a scratch folder beside KG (the backup hard-links files:
same file system), and is timed whole (graph.rdf.delta.apply_delta: the store is copied while
the triples are compared) and then part by part, one after the other: the rendering of the
affected subjects of both generations and their diff, the store's read-only open and backup,
its open, the removals and additions, the flush, the close. Prints wall and CPU seconds per part, the
minimum over the runs, and checks that the store made has the triple count it should.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.generations import GENERATIONS, open_current, open_kg
from graph.rdf import delta
from graph.rdf.store import store_path
from graph.tables.update import changed_rows


@contextmanager
def scratch_generation(kg: Path, tables_of: Path) -> Iterator[Path]:
    """A folder with `tables_of`'s tables (symbolic links) and no store."""
    folder = Path(tempfile.mkdtemp(prefix=".bench-delta-", dir=kg.parent))
    try:
        for table in tables_of.glob("*.parquet"):
            (folder / table.name).symlink_to(table)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def timed(figures: dict[str, list[tuple[float, float]]], name: str, work: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    figures.setdefault(name, []).append((time.perf_counter() - wall, time.process_time() - cpu))
    return result


def change(store: ox.Store, removed: list[ox.Quad], added: list[ox.Quad]) -> None:
    for quad in removed:
        store.remove(quad)
    store.extend(added)


def one_run(old: Path, new: Path, kg: Path, papers: frozenset[str], authors: frozenset[str],
            base_iri: str, old_triples: int, figures: dict[str, list[tuple[float, float]]]) -> int:
    with scratch_generation(kg, new) as folder:
        made = timed(figures, "apply_delta (whole step)", lambda: delta.apply_delta(
            old, folder, papers, authors, base_iri=base_iri, old_triples=old_triples))
        shutil.rmtree(store_path(folder))
        removed, added = timed(figures, "render both generations + diff",
                               lambda: delta._diff(old, folder, papers, authors, base_iri))
        source = timed(figures, "open previous store read-only", partial(ox.Store.read_only, str(store_path(old))))
        timed(figures, "backup (checkpoint)", partial(source.backup, str(store_path(folder))))
        del source
        store = timed(figures, "open the new store", partial(ox.Store, str(store_path(folder))))
        timed(figures, f"remove {len(removed):,} + add {len(added):,} triples",
              partial(change, store, removed, added))
        timed(figures, "flush", store.flush)
        count = len(store)
        held = [store]
        del store
        timed(figures, "close", held.clear)  # the last reference: RocksDB closes
    if count != made.triples:
        sys.exit(f"the store has {count:,} triples, the delta says {made.triples:,}")
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kg", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    current = open_current(args.kg, hold=False)
    parent = current.manifest.get("parent")
    if parent is None or not (args.kg / GENERATIONS / parent).is_dir():
        sys.exit(f"{args.kg}: the current generation has no parent kept; run `arxiv-kg update` first")
    old = args.kg / GENERATIONS / parent
    started = time.perf_counter()
    papers, authors = changed_rows(old, current.path)
    print(f"{current.name} from {parent}: {len(papers):,} papers and {len(authors):,} authors "
          f"changed (found in {time.perf_counter() - started:.1f} s)")
    old_triples = open_kg(old, hold=False).manifest["store"]["triples"]
    figures: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.runs):
        count = one_run(old, current.path, args.kg, papers, authors,
                        current.manifest["settings"]["base_iri"], old_triples, figures)
    print(f"store after the delta: {count:,} triples; minimum of {args.runs} runs:")
    for name, runs in figures.items():
        print(f"  {name:40s} {min(w for w, _ in runs):6.3f} s wall  {min(c for _, c in runs):6.3f} s CPU")


if __name__ == "__main__":
    main()
