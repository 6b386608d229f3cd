"""Merge duplicate records into papers and author spellings into identities."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from graph.names import author_key
from graph.records import Author, Paper, Record


def merge_records(records: Iterable[Record]) -> tuple[tuple[Paper, ...], dict[str, Author]]:
    """One Paper per arXiv ID (newest version's fields) and one Author per identity key."""
    by_id: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_id[r.arxiv_id].append(r)
    papers = tuple(_paper(by_id[i]) for i in sorted(by_id))
    return papers, _authors(papers, [_newest(by_id[p.arxiv_id]).authors for p in papers])


def _newest(group: list[Record]) -> Record:
    if len(group) == 1:
        return group[0]
    # max() keeps the first of equals; sorting by source first makes the choice
    # independent of the order in which files were read.
    return max(sorted(group, key=lambda r: _source_order(r.source)), key=lambda r: (r.version, r.updated))


def _paper(group: list[Record]) -> Paper:
    best = _newest(group)
    return Paper(
        arxiv_id=best.arxiv_id, version=best.version,
        versions=tuple(sorted({r.version for r in group})), title=best.title, dois=best.dois,
        primary_category=best.primary_category, categories=best.categories,
        subject_classes=best.subject_classes, published=best.published, updated=best.updated,
        authors=tuple(map(author_key, best.authors)), comment=best.comment,
        journal_ref=best.journal_ref, abstract=best.abstract, repositories=best.repositories,
        links=best.links, mentions=best.mentions,
        sources=tuple(sorted((r.source for r in group), key=_source_order)),
    )


def _authors(papers: tuple[Paper, ...], names: list[tuple[str, ...]]) -> dict[str, Author]:
    """Identities with their spellings counted once per paper; the most frequent is the name."""
    spellings: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for name, count in Counter(n for group in names for n in group).items():
        spellings[author_key(name)].append((-count, name))
    papers_per_key = Counter(k for p in papers for k in set(p.authors))
    authors = {}
    for key in sorted(spellings):
        ranked = sorted(spellings[key]) if len(spellings[key]) > 1 else spellings[key]
        authors[key] = Author(key=key, name=ranked[0][1], spellings=tuple(n for _, n in ranked),
                              papers=papers_per_key[key])
    return authors


def _source_order(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return file, int(line)
