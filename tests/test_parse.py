"""The digest reader: record splitting, continuation lines and bad input."""
from __future__ import annotations

from conftest import digest, record

from graph.ingest.parse import MAX_LINE, Source, expand_inputs, parse_bytes
from graph.model.records import RawRecord, Rejected


def parse(text: str | bytes) -> list:
    data = text.encode() if isinstance(text, str) else text
    return list(parse_bytes(data, "day.md"))


def test_fields_and_line_numbers():
    items = parse(digest(record("2105.00001v1"), record("2105.00002v3", title="Second")))
    assert [type(i) for i in items] == [RawRecord, RawRecord]
    assert [i.line for i in items] == [2, 15]
    assert items[1].title == "Second"
    assert items[1].fields["Arxiv ID"] == "http://arxiv.org/abs/2105.00002v3"
    assert list(items[0].fields) == ["Arxiv ID", "DOI", "Categories", "Links", "Published",
                                     "Updated", "Authors", "Comment", "Journal", "Summary"]


def test_continuation_lines_join_with_one_space():
    text = digest(record(comment="Accepted at the European Congress\n  on Digital Pathology",
                         categories="**cs.CV**, I.5;\n  I.5.4", doi="10.1/a\n  10.2/b"))
    fields = parse(text)[0].fields
    assert fields["Comment"] == "Accepted at the European Congress on Digital Pathology"
    assert fields["Categories"] == "**cs.CV**, I.5; I.5.4"
    assert fields["DOI"] == "10.1/a 10.2/b"


def test_title_continuation_and_missing_header():
    items = parse("### A long title\n  that wraps\n- **Arxiv ID**: 2105.00001v1\n")
    assert items[0].title == "A long title that wraps"
    assert items[0].line == 1


def test_empty_binary_and_not_a_digest():
    assert parse(b"") == [Rejected("day.md", 0, "empty file")]
    assert "binary" in parse(b"\x89PNG\x00\x00IHDR")[0].reason
    assert "not an arXiv digest" in parse("hello\nworld\n")[0].reason


def test_invalid_utf8_rejects_only_that_record():
    good, bad = record("2105.00001v1"), record("2105.00002v1", title="Caf\udce9")
    data = digest(good, bad).encode("utf-8", "surrogateescape")
    items = parse(data)
    assert isinstance(items[0], RawRecord)
    assert items[1] == Rejected("day.md", 15, "invalid UTF-8 in record")


def test_megabyte_line_is_rejected_with_its_record():
    items = parse(digest(record("2105.00001v1", summary="x" * (MAX_LINE + 10)), record("2105.00002v1")))
    assert isinstance(items[0], Rejected) and "characters" in items[0].reason
    assert items[0].line == 2
    assert isinstance(items[1], RawRecord)


def test_expand_inputs_reports_missing_and_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "d.md").write_text("x")
    (tmp_path / "a" / "notes.txt").write_text("x")
    files, problems = expand_inputs([str(tmp_path / "a"), str(tmp_path / "empty"), str(tmp_path / "nope")])
    assert files == [Source(str(tmp_path / "a" / "b" / "d.md"), "a/b/d.md")]  # labelled from the folder down
    assert [p.reason for p in problems] == ["folder holds no *.md digest files", "no such file or folder"]


def test_expand_inputs_sorts_by_path_and_labels_symlinks_by_their_own_path(tmp_path):
    (tmp_path / "cs.CV" / "2021-b").mkdir(parents=True)
    (tmp_path / "cs.CV" / "2021").mkdir()
    (tmp_path / "outside.md").write_text("x")
    (tmp_path / "cs.CV" / "2021-b" / "x.md").write_text("x")
    (tmp_path / "cs.CV" / "2021" / "y.md").write_text("x")
    (tmp_path / "cs.CV" / "link.md").symlink_to(tmp_path / "outside.md")
    files, problems = expand_inputs([str(tmp_path / "cs.CV")])
    assert [f.label for f in files] == ["cs.CV/2021/y.md", "cs.CV/2021-b/x.md", "cs.CV/link.md"]
    assert problems == []


def test_continuation_lines_drop_trailing_blanks_and_stray_lines_join_too():
    fields = parse(digest(record(comment="Accepted  \t\n  at CVPR\nstray line",
                                 journal="IEEE\n\tTPAMI")))[0].fields
    assert fields["Comment"] == "Accepted at CVPR stray line"
    assert fields["Journal"] == "IEEE TPAMI"


def test_a_joined_continuation_can_make_a_field_line():
    # Joining comes first, so "-" then "  **Journal**: ..." is the field line "- **Journal**: ...".
    (item,) = parse("### T\n- **Arxiv ID**: 2105.00001v1\n- **Comment**: x\n-\n  **Journal**: IEEE\n")
    assert item.fields == {"Arxiv ID": "2105.00001v1", "Comment": "x", "Journal": "IEEE"}
