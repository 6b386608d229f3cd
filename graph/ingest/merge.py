"""Merge duplicate records into papers and author spellings into identities."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from itertools import chain

from graph.ingest.names import author_key
from graph.model.records import Author, Paper, Record


def merge_records(records: Iterable[Record]) -> tuple[tuple[Paper, ...], dict[str, Author]]:
    """One Paper per arXiv ID (newest version's fields) and one Author per identity key."""
    by_id: dict[str, list[Record]] = {}
    for r in records:
        group = by_id.get(r.paper.arxiv_id)
        if group is None:
            by_id[r.paper.arxiv_id] = [r]
        else:
            group.append(r)
    groups = [by_id[i] for i in sorted(by_id)]
    newest = [g[0] if len(g) == 1 else _newest(g) for g in groups]
    # A paper seen once is its record's paper as it stands: no second object to build.
    papers = tuple(best.paper if len(g) == 1 else _merged(best, g) for best, g in zip(newest, groups))
    return papers, _authors(papers, [r.author_names for r in newest])


def _newest(group: list[Record]) -> Record:
    # max() keeps the first of equals; sorting by source first makes the choice
    # independent of the order in which files were read.
    in_order = sorted(group, key=lambda r: _source_order(r.paper.sources[0]))
    return max(in_order, key=lambda r: (r.paper.version, r.paper.updated))


def _merged(best: Record, group: list[Record]) -> Paper:
    """The newest record's paper, with every version and source of the group."""
    return replace(
        best.paper, versions=tuple(sorted({r.paper.version for r in group})),
        sources=tuple(sorted((r.paper.sources[0] for r in group), key=_source_order)),
    )


def _authors(papers: tuple[Paper, ...], names: list[tuple[str, ...]]) -> dict[str, Author]:
    """Identities with their spellings counted once per paper; the most frequent is the name."""
    counts = Counter(chain.from_iterable(names))
    papers_per_key = Counter(chain.from_iterable(map(set, (p.authors for p in papers))))
    first, ranked = _spellings(counts)
    authors = {}
    # Built in first-seen order and only then sorted: walking the keys in sorted order
    # jumps around memory for every lookup, which costs more than the extra dict.
    for key, name in first.items():
        spellings = ranked.get(key, (name,))
        authors[key] = Author(key, spellings[0], spellings, papers_per_key[key])
    return {key: authors[key] for key in sorted(authors)}


def _spellings(counts: Counter[str]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """First spelling seen per key, and every spelling, most frequent first, for keys with several.

    Most keys have one spelling; keeping those out of the ranking saves a tuple and a sort each.
    """
    first: dict[str, str] = {}
    several: dict[str, list[tuple[int, str]]] = {}
    for name, count in counts.items():
        key = author_key(name)
        seen = first.setdefault(key, name)
        if seen is not name:
            several.setdefault(key, [(-counts[seen], seen)]).append((-count, name))
    return first, {key: tuple(name for _, name in sorted(found)) for key, found in several.items()}


def _source_order(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return file, int(line)
