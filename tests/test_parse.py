"""The digest reader: record splitting, continuation lines and bad input."""
from __future__ import annotations

import io
import os
import threading

import pytest
from conftest import digest, record

from graph.errors import printable
from graph.ingest import parse as parse_module
from graph.ingest.parse import (
    MAX_LINE,
    Source,
    expand_inputs,
    parse_bytes,
    parse_file,
    read_digest,
)
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


def test_files_outside_the_working_folder_are_labelled_by_name_and_told_apart(tmp_path, monkeypatch):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "day.md").write_text("x")
    (tmp_path / "c" / "own.md").write_text("x")
    monkeypatch.chdir(tmp_path / "c")
    files, _ = expand_inputs([str(tmp_path / "a" / "day.md"), "../b/day.md", "./own.md"])
    assert [f.label for f in files] == ["a/day.md", "b/day.md", "own.md"]


def test_a_pipe_named_as_an_input_is_read(tmp_path):
    fifo = tmp_path / "day.md"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(digest(record()),))
    writer.start()
    (source,), problems = expand_inputs([str(fifo)])
    items = list(parse_file(source))
    writer.join()
    assert problems == [] and [type(i) for i in items] == [RawRecord]


def test_stdin_beyond_the_size_bound_is_refused_not_read_whole(monkeypatch):
    monkeypatch.setattr(parse_module, "MAX_FILE", 100)
    monkeypatch.setattr(parse_module, "_CHUNK", 16)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * 101)))
    assert "larger than" in read_digest(Source("-", "<stdin>")).reason
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * 100)))
    assert read_digest(Source("-", "<stdin>")) == b"x" * 100


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_utf16_and_utf32_are_decoded_like_utf8(codec):
    text = digest(record("2105.00001v1", title="Über Bäume"), record("2105.00002v1"))
    assert parse(text.encode(codec)) == parse(text)


def test_a_nul_before_a_record_mark_does_not_hide_the_record():
    text = digest(record("2105.00001v1"), record("2105.00002v1")).replace("\n### ", "\n\x00### ")
    items = parse(text)
    assert [i.fields["Arxiv ID"][-12:] for i in items] == ["2105.00001v1", "2105.00002v1"]
    assert [i.controls for i in items] == [1, 1]  # each NUL counts for the record it begins


def test_a_record_cut_inside_its_last_line_is_rejected():
    text = digest(record("2105.00001v1"), record("2105.00002v1")).rstrip("\n")
    items = parse(text)
    assert isinstance(items[0], RawRecord)
    assert items[1] == Rejected("day.md", 15, "record cut off at end of file (no newline after its last line)")


@pytest.mark.parametrize("name, shown", [
    ("plain.md", "plain.md"), ("Über.md", "Über.md"), ("a\nb.md", "a\\x0ab.md"), ("a\x1b[31m.md", "a\\x1b[31m.md"),
    ("bad-\udcff.md", "bad-\\xff.md"), ("line\u2028sep.md", "line\\u2028sep.md"), ("c1-\x85.md", "c1-\\x85.md"),
])
def test_printable_escapes_what_could_split_or_forge_a_line(name, shown):
    assert printable(name) == shown
    assert len(printable(name).splitlines()) == 1
