"""One test per quirk of the digest format, from parsed raw record to typed Record."""
from __future__ import annotations

import pytest

from graph.ingest.normalise import (
    Invalid,
    normalise,
    parse_arxiv_id,
    parse_categories,
    parse_dois,
    parse_timestamp,
)
from graph.model.records import Notice, Paper, RawRecord, Record, Rejected

FIELDS = {"Arxiv ID": "http://arxiv.org/abs/2105.14656v2", "DOI": "None",
          "Categories": "**eess.IV**, cs.CV, cs.LG", "Published": "2021-05-31 00:49:34+00:00",
          "Updated": "2021-12-01 16:27:33+00:00", "Authors": "Parnian Afshar, Arash Mohammadi",
          "Comment": "None", "Journal": "None", "Summary": "An abstract."}


def make(**overrides: str) -> Record | Rejected:
    fields = {**FIELDS, **overrides}
    return normalise(RawRecord("d.md", 7, "A  Title\twith space", {k: v for k, v in fields.items() if v}))


def paper(**overrides: str) -> Paper:
    r = make(**overrides)
    assert isinstance(r, Record), r
    return r.paper


def test_a_record_is_its_paper_as_seen_once():
    r = make()
    assert (r.paper.arxiv_id, r.paper.version, r.paper.versions) == ("2105.14656", 2, (2,))
    assert r.paper.sources == ("d.md:7",)
    assert r.paper.updated == "2021-12-01T16:27:33+00:00"
    assert r.author_names == ("Parnian Afshar", "Arash Mohammadi")
    assert r.paper.authors == ("parnian afshar", "arash mohammadi")


@pytest.mark.parametrize("value, expected", [
    ("http://arxiv.org/abs/2105.14656v2", ("2105.14656", 2)),
    ("https://arxiv.org/abs/2105.14656v12", ("2105.14656", 12)),
    ("http://arxiv.org/abs/0704.0001v1", ("0704.0001", 1)),
    ("http://arxiv.org/abs/cs/9902010v1", ("cs/9902010", 1)),
    ("math-ph/9903036v2", ("math-ph/9903036", 2)),
    ("http://arxiv.org/abs/math.GT/0309136v1", ("math/0309136", 1)),
    ("http://arxiv.org/abs/2105.14656", ("2105.14656", 1)),
])
def test_arxiv_id_drops_version(value, expected):
    assert parse_arxiv_id(value) == expected


@pytest.mark.parametrize("value", ["http://example.org/abs/1", "2105", "None", "arxiv.org/abs/2105.1x"])
def test_malformed_arxiv_id_is_rejected(value):
    with pytest.raises(Invalid, match="malformed Arxiv ID"):
        parse_arxiv_id(value)


def test_several_dois_deduplicated_case_insensitively():
    assert parse_dois("10.1007/ABC_19 10.1007/abc_19 https://doi.org/10.1109/X.1") == ("10.1007/ABC_19", "10.1109/X.1")
    assert parse_dois("None") == ()


def test_primary_category_and_subject_classes():
    assert parse_categories("**eess.IV**, cs.CV, cs.LG") == ("eess.IV", ("eess.IV", "cs.CV", "cs.LG"), (), ())
    primary, cats, subjects, changes = parse_categories("**cs.RO**, cs.CV, 68T40, 74Pxx, I.2.9; G.1.6; I.5.4.m")
    assert (primary, cats) == ("cs.RO", ("cs.RO", "cs.CV"))
    assert subjects == ("MSC:68T40", "MSC:74Pxx", "ACM:I.2.9", "ACM:G.1.6", "ACM:I.5.4.m")
    assert [(c.action, c.original) for c in changes] == [("flagged", "I.5.4.m")]  # not in CCS 1998


def test_old_records_with_acm_classes():
    assert parse_categories("**cs.DM**, cs.CG, cs.CV, G.2.1; F.2.2; I.4.6; I.5.1")[2] == (
        "ACM:G.2.1", "ACM:F.2.2", "ACM:I.4.6", "ACM:I.5.1")


def test_timestamps_become_xsd_datetime():
    assert parse_timestamp("2021-05-31 00:49:34+00:00", "Published") == "2021-05-31T00:49:34+00:00"
    assert parse_timestamp("2021-05-31T00:49:34Z", "Published") == "2021-05-31T00:49:34+00:00"


@pytest.mark.parametrize("value", ["2021-13-31 00:49:34+00:00", "yesterday", "2021-05-31", "2021-02-30 00:00:00+00:00"])
def test_malformed_timestamp_rejects_the_record(value):
    r = make(Published=value)
    assert isinstance(r, Rejected) and r.reason.startswith("malformed Published timestamp")
    assert (r.file, r.line) == ("d.md", 7)


def test_updated_defaults_to_published_and_is_checked():
    assert paper(Updated="").updated == "2021-05-31T00:49:34+00:00"
    assert paper(Updated=FIELDS["Published"]).updated == "2021-05-31T00:49:34+00:00"
    assert make().notices == ()


@pytest.mark.parametrize("value", ["2021-02-30 00:00:00+00:00", "soon", "None"])
def test_a_malformed_updated_keeps_the_record_with_a_notice(value):
    r = make(Updated=value)
    assert isinstance(r, Record) and r.paper.updated == r.paper.published == "2021-05-31T00:49:34+00:00"
    if value == "None":  # absent, as everywhere in digests: nothing to warn about
        assert r.notices == ()
    else:
        assert r.notices == (Notice("d.md", 7, f"malformed Updated timestamp {value!r}; using Published"),)


def test_none_means_absent_and_whitespace_is_collapsed():
    r = paper(Comment="None", Journal="IEEE  TPAMI", DOI="None")
    assert (r.comment, r.journal_ref, r.dois, r.title) == (None, "IEEE TPAMI", (), "A Title with space")


@pytest.mark.parametrize("missing", ["Arxiv ID", "Published", "Authors", "Summary"])
def test_truncated_record_is_rejected(missing):
    r = make(**{missing: ""})
    assert isinstance(r, Rejected) and r.reason == f"truncated record: no {missing}"


@pytest.mark.parametrize("authors, expected", [
    ("Reginald B. Adams, Jr., Ann Lee", ("Reginald B. Adams Jr.", "Ann Lee")),
    ("OpenAI, :, Aaron Hurst, Adam Lerer", ("OpenAI", "Aaron Hurst", "Adam Lerer")),
    ("NVIDIA, Linus", ("NVIDIA", "Linus")),
    ("J.P. Lewis, J. P. Lewis", ("J. P. Lewis", "J. P. Lewis")),
    ("Am√©lie Dupont, Bart≈Çomiej Wo≈∫niak", ("Amélie Dupont", "Bartłomiej Woźniak")),
    ("Jo√£o GuimarÃ£es", ("João Guimarães",)),
])
def test_author_quirks(authors, expected):
    assert make(Authors=authors).author_names == expected


def test_nine_hundred_authors():
    names = ", ".join(f"Author Number{i}" for i in range(950))
    assert len(make(Authors=names).author_names) == 950


def test_links_and_mentions_come_from_summary_and_comment():
    r = paper(Summary="Code: github.com/Megvii/YOLOX.git. See arXiv:1704.02685.",
              Comment="Project page https://example.org/proj")
    assert r.repositories == ("https://github.com/megvii/yolox",)
    assert r.mentions == ("1704.02685",)
    assert [link.url for link in r.links] == ["https://example.org/proj"]


def test_a_paper_does_not_mention_itself():
    assert paper(Summary="Extends arXiv:2105.14656v1.").mentions == ()
