"""Duplicates become one paper; spellings become one author identity."""
from __future__ import annotations

from conftest import digest, record

from graph.names import split_authors, variant_groups
from graph.parse import parse_bytes
from graph.normalise import normalise
from graph.merge import merge_records


def corpus_of(*texts: str):
    records = [normalise(r) for i, t in enumerate(texts) for r in parse_bytes(t.encode(), f"f{i}.md")]
    return merge_records(records)


def test_duplicates_keep_newest_version_and_record_sources():
    old = record("2105.00001v1", title="Old title", authors="Ann Lee")
    new = record("2105.00001v3", title="New title", authors="Ann Lee, Bo Chen")
    papers, authors = corpus_of(digest(new, old), digest(old))
    (paper,) = papers
    assert (paper.title, paper.version, paper.versions) == ("New title", 3, (1, 3))
    assert paper.sources == ("f0.md:2", "f0.md:15", "f1.md:2")
    assert paper.authors == ("ann lee", "bo chen")
    assert authors["ann lee"].papers == 1


def test_equal_versions_tie_break_on_first_source():
    a = digest(record("2105.00001v2", title="A", authors="J.P. Smith"))
    b = digest(record("2105.00001v2", title="B", authors="J. P. SMITH"))
    first, second = corpus_of(a, b), corpus_of(b, a)
    assert [p.title for p in first[0]] == ["A"]
    assert [p.title for p in second[0]] == ["B"]  # the first source wins a tie: f0.md in both runs
    assert set(first[1]) == set(second[1]) == {"j. p. smith"}


def test_display_name_is_the_most_frequent_spelling():
    papers, authors = corpus_of(digest(
        record("2105.00001v1", authors="Ann LEE"), record("2105.00002v1", authors="Ann Lee"),
        record("2105.00003v1", authors="Ann Lee")))
    assert authors["ann lee"].name == "Ann Lee"
    assert authors["ann lee"].spellings == ("Ann Lee", "Ann LEE")
    assert authors["ann lee"].papers == 3


def test_initials_and_case_share_an_identity():
    assert {n.casefold() for n in split_authors("J.P. Smith, J. P. Smith, j.p. smith")} == {"j. p. smith"}


def test_likely_variants_are_reported_not_merged():
    keys = ["josé garcía", "jose garcia", "j. smith", "john smith", "wei-wei li", "weiwei li",
            "y. wang", "yi wang", "yu wang"]
    groups = variant_groups(keys)
    assert ("jose garcia", "josé garcía") in groups
    assert ("j. smith", "john smith") in groups
    assert ("wei-wei li", "weiwei li") in groups
    assert not any("y. wang" in g for g in groups)  # ambiguous initials are not guessed
