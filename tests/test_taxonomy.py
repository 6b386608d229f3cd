"""arXiv category taxonomy: names, archives, legacy codes and the fallback for unknown codes."""
from __future__ import annotations

import re

import pytest
from conftest import graph_of

from graph.model.taxonomy import ARCHIVES, CATEGORIES, archive_name, category_info


@pytest.mark.parametrize("code, name, archive", [
    ("cs.CV", "Computer Vision and Pattern Recognition", "cs"),
    ("cs.LG", "Machine Learning", "cs"),
    ("stat.ML", "Machine Learning", "stat"),
    ("eess.IV", "Image and Video Processing", "eess"),
    ("eess.SY", "Systems and Control", "eess"),
    ("cs.SY", "Systems and Control", "cs"),
    ("math-ph", "Mathematical Physics", "math-ph"),
    ("math.MP", "Mathematical Physics", "math"),
    ("q-bio.NC", "Neurons and Cognition", "q-bio"),
    ("q-fin.EC", "Economics", "q-fin"),
    ("econ.GN", "General Economics", "econ"),
    ("cond-mat.mes-hall", "Mesoscale and Nanoscale Physics", "cond-mat"),
    ("physics.med-ph", "Medical Physics", "physics"),
    ("astro-ph.IM", "Instrumentation and Methods for Astrophysics", "astro-ph"),
    ("nlin.CD", "Chaotic Dynamics", "nlin"),
    ("quant-ph", "Quantum Physics", "quant-ph"),
    ("hep-th", "High Energy Physics - Theory", "hep-th"),
    # bare archives used as categories on old papers, and legacy archives
    ("astro-ph", "Astrophysics", "astro-ph"),
    ("cond-mat", "Condensed Matter", "cond-mat"),
    ("q-bio", "Quantitative Biology", "q-bio"),
    ("cmp-lg", "Computation and Language", "cmp-lg"),
    ("chao-dyn", "Chaotic Dynamics", "chao-dyn"),
    ("alg-geom", "Algebraic Geometry", "alg-geom"),
    ("supr-con", "Superconductivity", "supr-con"),
])
def test_known_categories(code, name, archive):
    assert category_info(code) == (name, archive)


@pytest.mark.parametrize("archive, name", [
    ("cs", "Computer Science"), ("eess", "Electrical Engineering and Systems Science"),
    ("math", "Mathematics"), ("q-bio", "Quantitative Biology"), ("q-fin", "Quantitative Finance"),
    ("stat", "Statistics"), ("econ", "Economics"), ("physics", "Physics"),
    ("cmp-lg", "Computation and Language"),
])
def test_archive_names(archive, name):
    assert archive_name(archive) == name


@pytest.mark.parametrize("code, archive", [("cs.XY", "cs"), ("foo-bar", "foo-bar"), ("x.y.z", "x"), ("", "")])
def test_unknown_codes_fall_back_to_the_code_and_its_prefix(code, archive):
    assert category_info(code) == (code, archive)


def test_unknown_archive_name_is_the_code():
    assert archive_name("zz-top") == "zz-top"


def test_every_category_belongs_to_a_known_archive_named_by_its_prefix():
    assert len(CATEGORIES) > 150
    for code, (name, archive) in CATEGORIES.items():
        assert archive in ARCHIVES, code
        assert code == archive or code.startswith(archive + "."), code
        assert name and name != code and name.strip() == name, code
        assert re.fullmatch(r"[a-z-]+(\.[A-Za-z-]+)?", code), code


def test_every_current_archive_has_categories_or_is_one():
    for archive in ("cs", "math", "physics", "q-bio", "q-fin", "stat", "eess", "econ", "nlin",
                    "astro-ph", "cond-mat"):
        assert sum(code.startswith(archive + ".") for code in CATEGORIES) >= 3, archive


def test_the_knowledge_graph_uses_the_taxonomy(sample_graph):
    cats = {d["code"]: d for _, d in sample_graph.nodes(data=True) if d["type"] == "Category"}
    assert cats["cs.CV"]["name"] == "Computer Vision and Pattern Recognition"
    assert cats["cs.CV"]["archive"] == "cs"
    assert all(d["name"] != code for code, d in cats.items()), "a sample category has no name"


def test_build_graph_accepts_unknown_categories(tmp_path):
    from graph.model.records import Author, Corpus, Paper

    paper = Paper(arxiv_id="2101.00001", version=1, versions=(1,), title="T", dois=(),
                  primary_category="zz.QQ", categories=("zz.QQ",), subject_classes=(),
                  published="2021-01-01T00:00:00+00:00", updated="2021-01-01T00:00:00+00:00",
                  authors=("a",), comment=None, journal_ref=None, abstract="", repositories=(),
                  links=(), mentions=(), sources=("d.md:1",))
    g = graph_of(Corpus(papers=(paper,), authors={"a": Author("a", "A", ("A",), 1)}), tmp_path)
    assert g.nodes["category:zz.QQ"]["name"] == "zz.QQ"
    assert g.nodes["category:zz.QQ"]["archive"] == "zz"
