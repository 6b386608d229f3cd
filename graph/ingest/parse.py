"""Streaming reader for arXiv listing digests (Markdown, one file a day).

A digest looks like::

    # Arxiv Papers in cs.CV on 2021-05-31
    ### <title>
    - **Arxiv ID**: http://arxiv.org/abs/2105.14656v2
    - **Authors**: A, B, C
      continuation lines are indented by two spaces
    ...

The reader only splits records and fields; graph.ingest.normalise interprets values.
It never raises on bad input: problems come back as Rejected items.
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.model.records import RawRecord, Rejected

MAX_LINE = 256 * 1024  # longer than any real field (900-author lists are ~20 kB)
_INDENT = re.compile(r"\n[ \t]+")
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of invalid UTF-8

Item = RawRecord | Rejected


@dataclass(frozen=True, slots=True)
class Source:
    """A digest to read, and the name records cite it by (their `file`)."""

    path: str
    label: str


def expand_inputs(inputs: Iterable[str]) -> tuple[list[Source], list[Rejected]]:
    """Resolve files, folders (recursive ``*.md``) and ``-`` to a sorted list of sources.

    Files inside a folder are labelled from the folder's own name down (``cs.CV/2021/05/
    20210531.md``), not by absolute path, so outputs do not depend on where the data lives.
    """
    files: list[Source] = []
    problems: list[Rejected] = []
    for item in inputs:
        if item == "-":
            files.append(Source("-", "<stdin>"))
        elif os.path.isdir(item):
            found = _digests_under(item)
            if not found:
                problems.append(Rejected(item, 0, "folder holds no *.md digest files"))
            root = os.path.dirname(os.path.abspath(item))
            files.extend(Source(p, os.path.relpath(p, root)) for p in found)
        elif os.path.isfile(item):
            files.append(Source(item, item))
        else:
            problems.append(Rejected(item, 0, "no such file or folder"))
    return files, problems


def _digests_under(folder: str) -> list[str]:
    """Every ``*.md`` file under `folder`, sorted by path components (os.walk: pathlib's rglob
    took 40 µs a file). Like rglob, it does not descend into symlinked folders."""
    found = [os.path.join(parent, name) for parent, _, names in os.walk(folder)
             for name in names if name.endswith(".md")]
    return sorted((p for p in found if os.path.isfile(p)), key=lambda p: p.split(os.sep))


def read_source(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def read_digest(source: Source) -> bytes | Rejected:
    """The bytes of one digest, or why they cannot be read."""
    try:
        return read_source(source.path)
    except OSError as exc:
        return Rejected(source.label, 0, f"cannot read: {exc.strerror or exc}")


def parse_file(source: Source) -> Iterator[Item]:
    """Yield the raw records of one digest, and a Rejected for each unusable part."""
    data = read_digest(source)
    if isinstance(data, Rejected):
        yield data
        return
    yield from parse_bytes(data, source.label)


def parse_bytes(data: bytes, label: str) -> Iterator[Item]:
    if not data.strip():
        yield Rejected(label, 0, "empty file")
        return
    if b"\x00" in data[:8192]:
        yield Rejected(label, 0, "binary file, not a Markdown digest")
        return
    try:
        text, check_bytes = data.decode("utf-8"), False
    except UnicodeDecodeError:
        # surrogateescape keeps going past invalid UTF-8; records that contain it are rejected.
        text, check_bytes = data.decode("utf-8", "surrogateescape"), True
    found = False
    for item in _records(text, label, check_bytes):
        found = found or isinstance(item, RawRecord)
        yield item
    if not found and not text.lstrip().startswith("# Arxiv Papers"):
        yield Rejected(label, 1, "not an arXiv digest (no '# Arxiv Papers' header, no '### ' records)")


def _records(text: str, label: str, check_bytes: bool) -> Iterator[Item]:
    # str.split on the record marker runs at C speed; a regex or a Python loop over
    # lines is several times slower on a 340 MB archive.
    line = 1  # where the current piece starts
    for i, piece in enumerate(text.split("\n### ")):
        if i:
            yield _record(piece, label, line, check_bytes)
        elif piece.startswith("### "):  # a digest without its header line
            yield _record(piece[4:], label, line, check_bytes)
        line += piece.count("\n") + 1


def _record(chunk: str, label: str, line: int, check_bytes: bool) -> Item:
    if len(chunk) > MAX_LINE:
        longest = max(chunk.split("\n"), key=len)
        if len(longest) > MAX_LINE:
            return Rejected(label, line, f"a line of {len(longest):,} characters")
    if check_bytes and _BAD_BYTE.search(chunk):
        return Rejected(label, line, "invalid UTF-8 in record")
    if "\n " in chunk:  # continuation lines, indented, join the line before with one space
        chunk = _join_continuations(chunk)
    head, *parts = chunk.split("\n- **")
    fields: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition("**:")
        if not sep:
            return Rejected(label, line, f"malformed field line '- **{part[:40]}'")
        fields[name] = _one_line(value)
    return RawRecord(label, line, _one_line(head), fields)


def _one_line(value: str) -> str:
    """A value stripped, with any stray (unindented) lines joined by one space."""
    value = value.strip()
    return _join(value) if "\n" in value else value


def _join_continuations(chunk: str) -> str:
    r"""Join indented continuation lines to the line before with one space.

    Same result as re.sub(r"[ \t]*\n[ \t]+", " ", chunk), ten times faster: a pattern that
    starts with an optional blank run is tried at every character, this one at line breaks.
    """
    pieces = _INDENT.split(chunk)
    if len(pieces) == 1:
        return chunk
    last = pieces.pop()
    return " ".join([piece.rstrip(" \t") for piece in pieces]) + " " + last


def _join(value: str) -> str:
    """Join stray unindented lines inside a field with one space, as continuations."""
    return " ".join(part.strip() for part in value.split("\n") if part.strip())
