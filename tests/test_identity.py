"""Corpus-wide name rules, organisations, the quality table and the doctor command."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import digest, record
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import corpus_tables, load_corpus, read_corpus

from arxiv_kg.cli import main
from graph.ingest.identity import _may_recut, list_flags, may_recut, resolve_names
from graph.ingest.names import author_key
from graph.tables.quality import debris, twin_pairs, unlisted


def known(*names: str) -> Counter[str]:
    return Counter(author_key(n) for n in names)


@pytest.mark.parametrize("names, others, expected, rule", [
    (("Avani A. Pendse Jonathan Cohen",), ("Avani A. Pendse", "Jonathan Cohen"),
     ("Avani A. Pendse", "Jonathan Cohen"), "joined names"),
    (("Lei Jiang Xiao-Jun Wu Josef Kittler",), ("Lei Jiang", "Xiao-Jun Wu", "Josef Kittler"),
     ("Lei Jiang", "Xiao-Jun Wu", "Josef Kittler"), "joined names"),
    (("Jane Doeand John Smith",), ("Jane Doe", "John Smith"), ("Jane Doe", "John Smith"), "joined names"),
    (("AlexBronstein", "Ann Lee"), ("Alex Bronstein",), ("Alex Bronstein", "Ann Lee"), "missing space"),
    (("Byung-ilLee",), ("Byung-il Lee",), ("Byung-il Lee",), "missing space"),
    (("Junyu", "Wang", "Rong Song"), ("Junyu Wang",), ("Junyu Wang", "Rong Song"), "name split at a comma"),
    (("Thuong", "Nguyen"), ("Nguyen Thuong",), ("Nguyen Thuong",), "name split at a comma"),
    (("Doe", "Jane", "Smith", "John"), (), ("Jane Doe", "John Smith"), "Surname, Given list"),
])
def test_corpus_rules_recut_names_the_corpus_knows(names, others, expected, rule):
    found, changes = resolve_names(names, known(*names, *others))
    assert found == expected
    assert rule in [c.rule for c in changes]


@pytest.mark.parametrize("names, others", [
    (("Avani A. Pendse Jonathan Cohen",), ("Avani A. Pendse",)),  # one part unknown
    (("Maria da Graca Morais Martin",), ()),  # a long name, nothing known
    (("KamWoh Ng",), ("Kam Woh Ng",)),  # a given name written as one word is a spelling
    (("Kathryn McDonald",), ("Kathryn Mc Donald",)),
    (("Prabhat", "Linus"), ()),  # two mononyms, no known pair, too few for the list shape
    (("Bertrand Thirion", "Ann Lee"), ("Bertr", "Thirion")),
])
def test_corpus_rules_leave_names_alone_without_evidence(names, others):
    assert resolve_names(names, known(*names, *others)) == (names, [])


def test_a_joined_name_seen_on_other_papers_is_kept():
    names = ("Avani A. Pendse Jonathan Cohen",)
    counts = known(*names, "Avani A. Pendse", "Jonathan Cohen") + known(*names)
    assert resolve_names(names, counts)[0] == names


def test_twice_listed_and_organisations_are_flagged_in_place():
    found, changes = resolve_names(("Bo Zhang", "FSVideo Team", "Bo Zhang"), Counter())
    assert found == ("Bo Zhang", "FSVideo Team", "Bo Zhang")
    assert [(c.action, c.rule, c.original) for c in changes] == [("flagged", "listed twice", "Bo Zhang"),
                                                                ("flagged", "organisation", "FSVideo Team")]


DEBRIS_RECORDS = [
    record("2105.00001v1", authors="Jane Doe1, and John Smith, Prof. Ann Lee, M. D., Wei-Wei Li",
           categories="**cs.CV**, 68T07 (Primary), 68u05; org"),
    record("2105.00002v1", authors="Jane Doe, John Smith, Ann Lee, Weiwei Li, the ADNI",
           summary="Code: ttps://github.com/Acme/Tool and https://git.io/fj5vR."),
    record("2105.00003v1", authors="Avani A. Pendse Jonathan Cohen, AlexBronstein",
           categories="cs.CV, I, 2.7, Computer Science"),
    record("2105.00004v1", authors="Avani A. Pendse, Jonathan Cohen, Alex Bronstein"),
]


@pytest.fixture
def debris_folder(tmp_path: Path) -> Path:
    src = tmp_path / "cs.CV"
    src.mkdir()
    for i, rec in enumerate(DEBRIS_RECORDS):
        (src / f"2021052{i}.md").write_text(digest(rec), encoding="utf-8")
    return src


def test_a_build_leaves_no_debris_and_lists_every_twin(debris_folder):
    corpus = read_corpus([str(debris_folder)])
    assert {k: a.kind for k, a in corpus.authors.items()} == {
        "adni": "organisation", "alex bronstein": "person", "ann lee": "person",
        "avani a. pendse": "person", "jane doe": "person", "john smith": "person",
        "jonathan cohen": "person", "wei-wei li": "person", "weiwei li": "person"}
    assert not any(debris(corpus.authors.values()).values())
    pairs = twin_pairs(corpus.authors)
    assert pairs == {("wei-wei li", "weiwei li")} and unlisted(pairs, corpus.variants) == []
    (group,) = corpus.variants
    assert (group.reason, group.confidence) == ("hyphens", "low")
    papers = {p.arxiv_id: p for p in corpus.papers}
    assert papers["2105.00001"].subject_classes == ("MSC:68T07", "MSC:68U05")
    assert papers["2105.00003"].subject_classes == ("ACM:I.2.7",)
    assert papers["2105.00002"].repositories == ("https://github.com/acme/tool", "https://git.io/fj5vR")
    rules = Counter((n.field, n.action, n.rule) for n in corpus.notes)
    assert rules[("Categories", "rejected", "not an arXiv category")] == 1
    assert rules[("Categories", "rejected", "not a class code")] == 1
    assert rules[("Summary/Comment", "cleaned", "broken scheme")] == 1
    assert rules[("Authors", "rejected", "dotted degree")] == 1
    assert rules[("Authors", "cleaned", "joined names")] == 1


def test_tables_are_identical_in_any_file_order(debris_folder):
    files = sorted(str(p) for p in debris_folder.iterdir())
    forward, backward = read_corpus(files), read_corpus(files[::-1])
    assert corpus_tables(forward) == corpus_tables(backward)
    assert forward.variants == backward.variants


def test_build_writes_quality_and_doctor_reads_it(debris_folder, tmp_path, runner):
    out = tmp_path / "kg"
    assert runner.invoke(main, ["build", str(debris_folder), "--out", str(out), "--formats", "none",
                                "--no-store", "--quiet"]).exit_code == 0
    rows = pq.read_table(out / "quality.parquet").to_pylist()
    assert {"file": "cs.CV/20210520.md", "line": 2, "field": "Authors", "action": "cleaned", "rule": "marker",
            "original": "Jane Doe1", "result": "Jane Doe"} in rows
    summary = json.loads((out / "summary.json").read_text())
    assert summary["quality"]["rules"]["Authors"]["marker"] == {"cleaned": 1}
    assert summary["quality"]["rejected"] == sum(r["action"] == "rejected" for r in rows)
    assert load_corpus(out).notes == tuple(sorted(load_corpus(out).notes, key=lambda n: (n.file, n.line)))
    authors = {r["key"]: r["kind"] for r in pq.read_table(out / "authors.parquet").to_pylist()}
    assert authors["adni"] == "organisation"
    variants = json.loads((out / "variants.json").read_text())
    assert variants == [{"confidence": "low", "keys": ["wei-wei li", "weiwei li"], "reason": "hyphens"}]
    result = runner.invoke(main, ["doctor", "--kg", str(out), "--action", "rejected"])
    assert result.exit_code == 0, result.output
    assert "Authors: dotted degree" in result.stdout
    assert "cs.CV/20210520.md:2  'M. D.'" in result.stdout
    assert "cleaned" not in result.stdout
    as_json = json.loads(runner.invoke(main, ["doctor", "--kg", str(out), "--format", "json"]).stdout)
    assert sum(g["count"] for g in as_json) == len(rows)


def test_doctor_on_a_folder_that_is_no_kg(tmp_path, runner):
    result = runner.invoke(main, ["doctor", "--kg", str(tmp_path)])
    assert result.exit_code != 0 and "no knowledge graph here" in result.output
    assert "Traceback" not in result.output


def test_organisation_keys_for_person_rankings(debris_folder):
    assert read_corpus([str(debris_folder)]).organisation_keys() == frozenset({"adni"})


_NAMES = st.lists(st.one_of(st.text(alphabet="aAzZéÉß .-\n÷ǅ'", max_size=12),
                            st.sampled_from(["Jane Doe", "JaneDoe", "Doe", "the ADNI", "NVIDIA", "Jane doe",
                                             "A B C D", "Byung-ilLee", "Jane Doe"])),
                  min_size=1, max_size=5).map(tuple)


@settings(max_examples=300, deadline=None)
@given(_NAMES)
def test_property_may_recut_is_any_name_that_may_be_recut(names):
    """may_recut's one search over the joined list agrees with testing each name alone."""
    assert may_recut(names) == any(map(_may_recut, names))


@settings(max_examples=300, deadline=None)
@given(_NAMES)
def test_property_list_flags_given_the_keys_flags_what_it_finds_alone(names):
    assert list_flags(names, [author_key(n) for n in names]) == list_flags(names)
