"""Subject classes and categories: every token shape, validated against the shipped code lists."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.ingest.classes import parse_categories
from graph.model import subjects
from graph.rdf.mapping import DEFAULT_BASE_IRI, subject_iri


@pytest.mark.parametrize("token, codes", [
    # Shapes from the dev corpus's Categories lines.
    ("68T45", ["MSC:68T45"]), ("68u05", ["MSC:68U05"]), ("42c40", ["MSC:42C40"]),
    ("68-xx", ["MSC:68-XX"]), ("68txx", ["MSC:68Txx"]), ("68T", ["MSC:68Txx"]), ("68", ["MSC:68-XX"]),
    ("68-T01", ["MSC:68T01"]), ("68T07 (Primary)", ["MSC:68T07"]), ("68T07(Primary)", ["MSC:68T07"]),
    ("(primary) 65F22 (secondary) 65F99", ["MSC:65F22", "MSC:65F99"]),
    ("Primary : 62G07", ["MSC:62G07"]), ("68U10. Secondary : 62P30", ["MSC:68U10", "MSC:62P30"]),
    ("68T45 68T07", ["MSC:68T45", "MSC:68T07"]), ("MSC 33F05", ["MSC:33F05"]),
    ("ACM-class: I.4.8", ["ACM:I.4.8"]), ("Primary: G.4", ["ACM:G.4"]),
    ("I.2.10 Vision and Scene Understanding", ["ACM:I.2.10"]), ("14J60 (Robotics)", ["MSC:14J60"]),
    ("I2.10", ["ACM:I.2.10"]), ("I 4.1", ["ACM:I.4.1"]), ("1.4.8", ["ACM:I.4.8"]), ("J.2.", ["ACM:J.2"]),
    ("E4", ["ACM:E.4"]), ("I.2.10.f", ["ACM:I.2.10"]), ("I.4.m I.2.7", ["ACM:I.4.m", "ACM:I.2.7"]),
])
def test_every_token_shape_gives_its_codes(token, codes):
    primary, categories, found, changes = parse_categories(f"**cs.CV**, {token}")
    assert (primary, categories, list(found)) == ("cs.CV", ("cs.CV",), codes)
    if token != codes[0].partition(":")[2]:
        assert any(c.action == "cleaned" and c.original == token for c in changes)


def test_a_letter_cut_from_its_numbers_by_a_comma_is_rejoined():
    assert parse_categories("cs.CV, I, 2.7").subjects == ("ACM:I.2.7",)


@pytest.mark.parametrize("value, rule", [
    ("Computer Science", "not a class code"), ("2010", "not a class code"), ("60JC", "not a class code"),
    ("00-01:99-00", "not a class code"), ("org", "not an arXiv category"), ("ams.org", "not an arXiv category"),
    ("none", "not an arXiv category"), ("cs.XY", "not an arXiv category"),
])
def test_free_text_is_rejected_never_silently_dropped(value, rule):
    cls = parse_categories(f"**cs.CV**, {value}")
    assert (cls.categories, cls.subjects) == (("cs.CV",), ())
    assert [(c.action, c.rule, c.original) for c in cls.changes] == [("rejected", rule, value)]


def test_category_case_is_repaired():
    cls = parse_categories("**cs.cv**, EESS.IV")
    assert (cls.primary, cls.categories) == ("cs.CV", ("cs.CV", "eess.IV"))
    assert [c.rule for c in cls.changes] == ["category case", "category case"]


@pytest.mark.parametrize("code, rule", [("68T06", "not an MSC 2010 or 2020 code"),
                                        ("15A51", "not an MSC 2010 or 2020 code"),
                                        ("I.1.5", "not in ACM CCS 1998"), ("I.5.4.m", "not in ACM CCS 1998")])
def test_invalid_codes_are_kept_and_flagged(code, rule):
    cls = parse_categories(f"cs.CV, {code}")
    assert len(cls.subjects) == 1 and cls.subjects[0].endswith(code)
    assert [(c.action, c.rule) for c in cls.changes] == [("flagged", rule)]


@given(st.text(alphabet="68TUxI.1245 -():PrimaySecond*cs", max_size=16))
def test_property_no_token_is_dropped_without_a_change(token):
    cls = parse_categories(token)
    if token.strip().strip("* ") not in ("", "None"):
        assert cls.categories or cls.subjects or cls.changes


@pytest.mark.parametrize("code, edition, iri", [
    ("68T45", "2010", "http://msc2010.org/resources/MSC/2010/68T45"),
    ("68T07", "2020", "https://msc2020.org/resources/MSC/2020/MSC2020/68T07"),  # 2020 only
    ("62-07", "2010", "http://msc2010.org/resources/MSC/2010/62-07"),  # 2010 only
    ("68Uxx", "2010", "http://msc2010.org/resources/MSC/2010/68Uxx"),
])
def test_msc_codes_get_their_editions_iri(code, edition, iri):
    assert subjects.edition("MSC", code) == edition
    assert subject_iri("MSC", code) == iri


def test_acm_codes_are_checked_against_the_1998_tree():
    tree = subjects.acm_tree()
    assert len(tree) == 368 and tree["I.2.10"] == "I.2" and tree["I"] == ""
    assert subjects.edition("ACM", "I.5.4") == "1998" and subjects.edition("ACM", "I.5.4.m") is None
    assert subject_iri("ACM", "I.5.4") == DEFAULT_BASE_IRI + "acm-ccs-1998/I.5.4"
    assert subjects.concept_iri("ACM", "C.7", DEFAULT_BASE_IRI) is None


def test_shipped_code_lists_are_complete():
    assert (len(subjects.msc_codes("2010")), len(subjects.msc_codes("2020"))) == (6198, 6603)
    assert len(subjects.msc_codes("2020") - subjects.msc_codes("2010")) == 518
