"""Duplicates become one paper; spellings become one author identity."""
from __future__ import annotations

import re

from conftest import digest, record
from hypothesis import given
from hypothesis import strategies as st

from graph.ingest.names import clean_authors, loose_key, split_authors, twin_key
from graph.ingest.text import clean, strip_accents
from graph.tables.variants import variant_groups


def test_duplicates_keep_newest_version_and_record_sources(corpus_of):
    old = record("2105.00001v1", title="Old title", authors="Ann Lee")
    new = record("2105.00001v3", title="New title", authors="Ann Lee, Bo Chen")
    corpus = corpus_of(digest(new, old), digest(old))
    papers, authors = corpus.papers, corpus.authors
    (paper,) = papers
    assert (paper.title, paper.version, paper.versions) == ("New title", 3, (1, 3))
    assert paper.sources == ("f0.md:2", "f0.md:15", "f1.md:2")
    assert paper.authors == ("ann lee", "bo chen")
    assert authors["ann lee"].papers == 1


def test_equal_versions_tie_break_on_first_source(corpus_of):
    a = digest(record("2105.00001v2", title="A", authors="J.P. Smith"))
    b = digest(record("2105.00001v2", title="B", authors="J. P. SMITH"))
    first, second = corpus_of(a, b), corpus_of(b, a)
    assert [p.title for p in first.papers] == ["A"]
    assert [p.title for p in second.papers] == ["B"]  # the first source wins a tie: f0.md in both runs
    assert set(first.authors) == set(second.authors) == {"j. p. smith"}


def test_display_name_is_the_most_frequent_spelling(corpus_of):
    authors = corpus_of(digest(
        record("2105.00001v1", authors="Ann LEE"), record("2105.00002v1", authors="Ann Lee"),
        record("2105.00003v1", authors="Ann Lee"))).authors
    assert authors["ann lee"].name == "Ann Lee"
    assert authors["ann lee"].spellings == ("Ann Lee", "Ann LEE")
    assert authors["ann lee"].papers == 3


def test_initials_and_case_share_an_identity():
    assert {n.casefold() for n in split_authors("J.P. Smith, J. P. Smith, j.p. smith")} == {"j. p. smith"}


def test_likely_variants_are_reported_not_merged():
    keys = ["josé garcía", "jose garcia", "j. smith", "john smith", "wei-wei li", "weiwei li",
            "y. wang", "yi wang", "yu wang"]
    groups = {g.keys: (g.reason, g.confidence) for g in variant_groups(keys)}
    assert groups[("jose garcia", "josé garcía")] == ("accents", "high")
    assert groups[("j. smith", "john smith")] == ("initials", "high")
    assert groups[("wei-wei li", "weiwei li")] == ("hyphens", "low")  # right 20-50% of the time
    assert not any("y. wang" in g for g in groups)  # ambiguous initials are not guessed


def test_variant_reasons_name_what_differs():
    groups = {g.keys: (g.reason, g.confidence) for g in variant_groups(
        ["jo smith", "josmith", "o'brien a", "obrien a", "jean-pierre x", "jean pierre x"])}
    assert groups == {("jo smith", "josmith"): ("spacing", "medium"),
                      ("o'brien a", "obrien a"): ("apostrophes", "medium"),
                      ("jean pierre x", "jean-pierre x"): ("hyphens+spacing", "low")}


def test_a_lost_first_letter_is_listed_only_with_one_fit():
    names = {"ane doe": "ane Doe", "jane doe": "Jane Doe", "an xu": "An Xu", "yan xu": "Yan Xu",
             "nan xu": "Nan Xu"}
    groups = [(g.keys, g.reason) for g in variant_groups(list(names), list(names.values()))]
    assert groups == [(("ane doe", "jane doe"), "first letter lost")]  # "An Xu" is capitalised


@given(st.text(alphabet="Jp.-é ", max_size=12))
def test_initials_are_spaced_wherever_a_dot_joins_two_letters(name):
    names, changes = clean_authors(name)
    if not changes:  # names the cleaner changes are tested in test_cleaning.py
        spaced = re.sub(r"(?<=\w)\.(?=\w)", ". ", clean(name))
        assert names == (() if not spaced else (spaced,))


@given(st.text(alphabet="ab .-'’`é\u0301\t", max_size=12))
def test_loose_key_folds_accents_joiners_dots_and_spaces(key):
    folded = re.sub(r"[\-‐‑–'’`]", "", strip_accents(key)).replace(".", " ")
    assert loose_key(key) == " ".join(folded.split())


def naive_variant_groups(keys: list[str]) -> tuple[tuple[str, ...], ...]:
    """Same twin key, or an abbreviated name ("j. p. smith") whose initials fit exactly one
    full name (key), found by comparing every pair."""
    loose = {k: loose_key(k) for k in keys}
    groups = {tuple(sorted(k for k in keys if twin_key(k) == twin_key(key))) for key in keys}
    for key in keys:
        *initials, surname = loose[key].split(" ")
        if not initials or any(len(i) != 1 for i in initials):
            continue
        fits = [k for k in keys if _abbreviates(loose[k], initials, surname)]
        if len(fits) == 1:
            groups.add(tuple(sorted(fits + [k for k in keys if loose[k] == loose[key]])))
    return tuple(sorted(g for g in groups if len(g) > 1))


def _abbreviates(full: str, initials: list[str], surname: str) -> bool:
    *given, last = full.split(" ")
    return (last == surname and len(given) == len(initials) and any(len(g) > 1 for g in given)
            and [g[0] for g in given] == initials)


@given(st.sets(st.sampled_from(["j. smith", "john smith", "jo smith", "j smith", "j. p. smith",
                                "john paul smith", "wei-wei li", "weiwei li", "w. li", "wei li",
                                "josé garcía", "jose garcia", "j. garcia", "y. wang", "yi wang",
                                "yu wang", "madonna", "j.", "x y z", "xy z", "josmith"])))
def test_variant_groups_agree_with_comparing_every_pair(keys):
    assert tuple(g.keys for g in variant_groups(keys)) == naive_variant_groups(sorted(keys))


@given(st.one_of(st.text(max_size=20),
                 st.text(alphabet="abcé ._-'’`0123456789İ", max_size=20)))
def test_property_twin_key_is_the_key_without_accents_and_non_word_characters(key):
    """twin_key's fast path for ASCII keys gives what its definition gives on any string."""
    assert twin_key(key) == re.sub(r"[\W_]+", "", strip_accents(key))
