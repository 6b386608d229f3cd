"""Merge duplicate records into papers and author spellings into identities."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from graph.names import author_key, display_names
from graph.records import Author, Paper, Record


def merge_records(records: Iterable[Record]) -> tuple[tuple[Paper, ...], dict[str, Author]]:
    """One Paper per arXiv ID (newest version's fields) and one Author per identity key."""
    by_id: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_id[r.arxiv_id].append(r)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    papers = tuple(_paper(by_id[i], spellings) for i in sorted(by_id))
    names = display_names(spellings)
    counts = Counter(key for p in papers for key in dict.fromkeys(p.authors))
    authors = {key: Author(key=key, name=names[key],
                           spellings=tuple(s for s, _ in sorted(spellings[key].items(),
                                                                 key=lambda kv: (-kv[1], kv[0]))),
                           papers=counts[key])
               for key in sorted(spellings)}
    return papers, authors


def _newest(group: list[Record]) -> Record:
    # max() keeps the first of equals; sorting by source first makes the choice
    # independent of the order in which files were read.
    return max(sorted(group, key=lambda r: r.source), key=lambda r: (r.version, r.updated))


def _paper(group: list[Record], spellings: dict[str, Counter[str]]) -> Paper:
    best = _newest(group)
    keys = []
    for name in best.authors:
        key = author_key(name)
        spellings[key][name] += 1
        keys.append(key)
    return Paper(
        arxiv_id=best.arxiv_id, version=best.version,
        versions=tuple(sorted({r.version for r in group})), title=best.title, dois=best.dois,
        primary_category=best.primary_category, categories=best.categories,
        subject_classes=best.subject_classes, published=best.published, updated=best.updated,
        authors=tuple(keys), comment=best.comment, journal_ref=best.journal_ref,
        abstract=best.abstract, repositories=best.repositories, links=best.links,
        mentions=best.mentions, sources=tuple(sorted((r.source for r in group), key=_source_order)),
    )



def _source_order(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return file, int(line)
