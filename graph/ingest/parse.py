"""Streaming reader for arXiv listing digests (Markdown, one file a day).

A digest looks like::

    # Arxiv Papers in cs.CV on 2021-05-31
    ### <title>
    - **Arxiv ID**: http://arxiv.org/abs/2105.14656v2
    - **Authors**: A, B, C
      continuation lines are indented by two spaces
    ...

The reader only splits records and fields; graph.ingest.normalise interprets values.
It never raises on bad input: problems come back as Rejected items, each naming its file
(control characters escaped) and line.
"""
from __future__ import annotations

import bisect
import codecs
import contextlib
import errno
import os
import re
import stat
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO, NamedTuple

from graph.errors import printable
from graph.model.records import RawRecord, Rejected

MAX_LINE = 256 * 1024  # longer than any real field (900-author lists are ~20 kB)
# Files are read whole (the pipeline hashes each one), so a size bound keeps a sparse or runaway
# file from exhausting memory. A day's digest is at most ~0.2 MB and the whole cs.CV archive
# concatenated (`cat **/*.md | arxiv-kg build -`) is ~0.33 GB, so 1 GiB refuses only what
# cannot be a digest, and bounds a file's peak memory to a few GB.
MAX_FILE = 1 << 30
_CHUNK = 1 << 20  # read size for pipes and stdin, whose size is not known in advance
_SNIFF = 8192  # bytes looked at to tell binary and UTF-16 files from UTF-8 text
_INDENT = re.compile(r"\n[ \t]+")
# Searched for, not `"\n " in chunk`: the engine scans for the rare "\n" (2.7x faster on records,
# measured), str's search for the frequent " ".
_CONTINUED = re.compile("\n ")
_BAD_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of invalid UTF-8
# C0 controls but tab, line feed and carriage return: no text field holds them, and NUL and
# ESC would reach titles, the RDF and terminals.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

Item = RawRecord | Rejected


@dataclass(frozen=True, slots=True)
class Source:
    """A digest to read, and the name records cite it by (their `file`)."""

    path: str
    label: str
    note: str = ""  # a warning to report once: why the label is not the file's name as is


@dataclass(frozen=True, slots=True)
class Input:
    """An input as `build` was given it, kept so that `update` expands it again from any
    folder into the same labels: where it is, and the label its files are named from."""

    path: str  # absolute, or "-" for stdin
    label: str  # a file's own label, or the folder's name that its files' labels start with
    given: str  # the argument as typed, which names it when it cannot be reached


def as_input(item: str) -> Input:
    """The Input of a command-line argument, as it is now."""
    if item == "-":
        return Input("-", "<stdin>", item)
    path = os.path.abspath(item)
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.stat(item).st_mode):
            return Input(path, os.path.basename(path), item)
    return Input(path, _file_label(item), item)


def expand_inputs(inputs: Iterable[str | Input]) -> tuple[list[Source], list[Rejected]]:
    """Resolve files, folders (recursive ``*.md``) and ``-`` to a sorted list of sources.

    Labels never depend on where the data lives: files inside a folder are labelled from the
    folder's own name down (``cs.CV/2021/05/20210531.md``), a file given by absolute path by
    its name (more of its path only if two inputs share a name). Entries of a folder that
    cannot be read (unlistable folders, dangling or looping links, pipes, too-long paths,
    links to folders, which are not followed) come back as problems, one each.
    """
    files: list[Source] = []
    problems: list[Rejected] = []
    for given in (item if isinstance(item, Input) else as_input(item) for item in inputs):
        if given.path == "-":
            files.append(Source("-", given.label))
            continue
        try:
            is_folder = stat.S_ISDIR(os.stat(given.path).st_mode)
        except OSError as exc:
            problems.append(Rejected(printable(given.given), 0, _unreachable(given.path, exc)))
            continue
        if not is_folder:  # pipes such as <(zcat day.md.gz) too, when named on purpose
            files.append(_source(given.path, given.label))
            continue
        found, trouble = _digests_under(given.path)
        problems.extend(Rejected(printable(_label(given, p)), 0, why) for p, why in trouble)
        if not found and not trouble:
            problems.append(Rejected(printable(given.label), 0, "folder holds no *.md digest files"))
        files.extend(map(_source, found, _labels(given, found)))
    return _distinct_labels(files), problems


def _label(folder: Input, path: str) -> str:
    """The label of `path` under `folder`: the folder's label, then the way down."""
    return os.path.normpath(os.path.join(folder.label, os.path.relpath(path, folder.path)))


def _labels(folder: Input, paths: list[str]) -> list[str]:
    """_label of each of `paths`, files that _digests_under found in `folder`, by slicing:
    os.scandir made them the folder's path joined with plain names, so the way down is their
    tail, and normpath can change the folder's label only (12k relpath calls took longer than
    all the rest of an update that finds nothing new)."""
    start = len(os.path.join(folder.path, ""))
    head = os.path.normpath(os.path.join(folder.label, "_"))[:-1]
    return [head + path[start:] for path in paths]


def _unreachable(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "dangling symlink" if os.path.islink(path) else "no such file or folder"
    return "symlink loop" if exc.errno == errno.ELOOP else f"cannot open: {_why(exc)}"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _file_label(path: str) -> str:
    norm = os.path.normpath(path)
    outside = os.path.isabs(norm) or norm.split(os.sep)[0] == os.pardir
    return os.path.basename(norm) if outside else norm


def _source(path: str, label: str) -> Source:
    shown = printable(label)
    if shown == label:
        return Source(path, label)
    what = "is not valid UTF-8" if _BAD_BYTE.search(label) else "holds control characters"
    return Source(path, shown, f"file name {what}; shown with \\x escapes")


def _distinct_labels(files: list[Source]) -> list[Source]:
    """Sources whose labels collide (x.md given from two folders) take as many more folders
    of their path as tell them apart, so no two files share a label."""
    groups: dict[str, list[Source]] = defaultdict(list)
    for f in files:
        groups[f.label].append(f)
    if all(len(g) == 1 for g in groups.values()):
        return files
    return [f if len(groups[f.label]) == 1 else replace(f, label=_longer_label(f, groups[f.label]))
            for f in files]


def _longer_label(source: Source, group: list[Source]) -> str:
    mine = os.path.abspath(source.path).split(os.sep)
    others = [p for p in (os.path.abspath(s.path).split(os.sep) for s in group) if p != mine]
    for k in range(len(source.label.split(os.sep)) + 1, len(mine)):
        if all(p[-k:] != mine[-k:] for p in others):
            return printable(os.sep.join(mine[-k:]))
    return source.label  # the same file given twice


def _digests_under(folder: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Every ``*.md`` file under `folder`, sorted by path components, and (path, why) for each
    entry that cannot be read.

    An explicit stack of folders, so depth is not limited by recursion (os.walk recurses, and
    drops the errors it meets). Like rglob, it does not descend into symlinked folders.
    """
    found: list[str] = []
    trouble: list[tuple[str, str]] = []
    stack = [folder]
    while stack:
        parent = stack.pop()
        try:
            with os.scandir(parent) as entries:
                for entry in entries:
                    try:
                        _visit(entry, stack, found, trouble)
                    except OSError as exc:  # one entry's trouble must not hide its siblings
                        trouble.append((entry.path, f"cannot open: {_why(exc)}"))
        except OSError as exc:
            trouble.append((parent, f"cannot list folder: {_why(exc)}"))
    # By components: a NUL, which no path holds, sorts before any character (and is faster
    # than splitting).
    found.sort(key=lambda p: p.replace(os.sep, "\0"))
    return found, trouble


def _visit(entry: os.DirEntry[str], stack: list[str], found: list[str],
           trouble: list[tuple[str, str]]) -> None:
    if entry.is_dir(follow_symlinks=False):
        stack.append(entry.path)
        return
    digest = entry.name.endswith(".md")
    if digest and entry.is_file(follow_symlinks=False):
        found.append(entry.path)
        return
    if not (digest or entry.is_symlink()):
        return
    try:
        mode = os.stat(entry.path).st_mode
    except OSError as exc:
        if digest:
            trouble.append((entry.path, _unreachable(entry.path, exc)))
        return
    if stat.S_ISDIR(mode):
        trouble.append((entry.path, "symlink to a folder, not followed (name it as an input to read it)"))
    elif digest and stat.S_ISREG(mode):
        found.append(entry.path)
    elif digest:
        trouble.append((entry.path, "not a regular file (a pipe, socket or device): not read"))


def read_digest(source: Source) -> bytes | Rejected:
    """The bytes of one digest, or why they cannot be read."""
    try:
        data = _read(source.path)
    except OSError as exc:
        return Rejected(source.label, 0, f"cannot read: {_why(exc)}")
    if data is None:
        return Rejected(source.label, 0, f"larger than {MAX_FILE >> 20:,} MiB, the most a digest "
                                         "file may hold: not read (split it)")
    return data


def _read(path: str) -> bytes | None:
    """A file's bytes, or None if it holds more than MAX_FILE (found before reading them)."""
    if path == "-":
        return _read_bounded(sys.stdin.buffer, 0)
    with open(path, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            return _read_bounded(fh, 0)
        return None if info.st_size > MAX_FILE else _read_bounded(fh, info.st_size)


def _read_bounded(fh: BinaryIO, expected: int) -> bytes | None:
    """Read to the end in one call for a file of known size, else chunk by chunk up to MAX_FILE."""
    data = fh.read(expected) if expected else b""
    chunks, total = [data], len(data)
    while total <= MAX_FILE:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return data if len(chunks) == 1 else b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    return None


def parse_file(source: Source) -> Iterator[Item]:
    """Yield the raw records of one digest, and a Rejected for each unusable part."""
    data = read_digest(source)
    if isinstance(data, Rejected):
        yield data
        return
    yield from parse_bytes(data, source.label)


class _Text(NamedTuple):
    text: str
    check_bytes: bool  # invalid UTF-8 was kept as surrogates: records holding it are rejected
    controls: list[int]  # the line of each C0 control character removed, in order


def parse_bytes(data: bytes, label: str) -> Iterator[Item]:
    if not data.strip():
        yield Rejected(label, 0, "empty file")
        return
    decoded = _decode(data, label)
    if isinstance(decoded, Rejected):
        yield decoded
        return
    found = False
    for item in _records(decoded, label):
        found = found or isinstance(item, RawRecord)
        yield item
    if not found and not decoded.text.lstrip().startswith("# Arxiv Papers"):
        yield Rejected(label, 1, "not an arXiv digest (no '# Arxiv Papers' header, no '### ' records)")


def _decode(data: bytes, label: str) -> _Text | Rejected:
    """UTF-8 (a BOM dropped), or UTF-16/32 told by a BOM or by UTF-16's zero bytes."""
    codec = _wide_codec(data)
    if codec:
        try:
            text = data.decode(codec).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            return Rejected(label, 0, f"{codec.upper()} file that does not decode "
                                      f"({exc.reason} at byte {exc.start:,})")
        return _without_controls(text, False, _CONTROLS.search(text) is not None)
    head = data[:_SNIFF].removeprefix(codecs.BOM_UTF8)
    if b"\x00" in head and not head.lstrip().startswith((b"# Arxiv Papers", b"### ")):
        return Rejected(label, 0, "binary file, not a Markdown digest")
    # One C pass over the bytes is ~8x faster than a regex search of the text.
    controls = len(data.translate(None, _CONTROL_BYTES)) != len(data)
    try:
        return _without_controls(data.decode("utf-8-sig"), False, controls)
    except UnicodeDecodeError:
        # surrogateescape keeps going past invalid UTF-8; records that contain it are rejected.
        return _without_controls(data.decode("utf-8-sig", "surrogateescape"), True, controls)


def _wide_codec(data: bytes) -> str | None:
    for bom, codec in _BOMS:  # UTF-32's BOM starts with UTF-16's, so it is tried first
        if data.startswith(bom):
            return codec
    # Without a BOM: ASCII in UTF-16 puts a zero byte in every pair, all on one side, and a
    # digest starts with "#".
    head = data[:_SNIFF]
    pairs = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    guess = "utf-16-le" if even == 0 and odd * 2 > pairs else "utf-16-be" if odd == 0 and even * 2 > pairs else None
    if guess and head[:pairs * 2].decode(guess, "replace").lstrip().startswith("#"):
        return guess
    return None


def _without_controls(text: str, check_bytes: bool, any_controls: bool) -> _Text:
    """The text with C0 controls removed before records are split (a NUL before `### ` would
    hide a record), and the line each one stood on, so that records can count theirs."""
    if not any_controls:
        return _Text(text, check_bytes, [])
    lines, line, pos = [], 1, 0
    for match in _CONTROLS.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        lines.append(line)
    return _Text(_CONTROLS.sub("", text), check_bytes, lines)


def _records(decoded: _Text, label: str) -> Iterator[Item]:
    # str.split on the record marker runs at C speed; a regex or a Python loop over
    # lines is several times slower on a 340 MB archive.
    text, check_bytes, marks = decoded
    pieces = text.split("\n### ")
    cut = len(pieces) - 1 if not text.endswith("\n") else -1  # a digest ends with a newline
    line = 1  # where the current piece starts
    for i, piece in enumerate(pieces):
        end = line + piece.count("\n") + 1
        if i or piece.startswith("### "):  # the first piece is the header, or a headerless record
            if i == cut:
                yield Rejected(label, line, "record cut off at end of file (no newline after its last line)")
            else:
                controls = bisect.bisect_left(marks, end) - bisect.bisect_left(marks, line) if marks else 0
                yield _record(piece if i else piece[4:], label, line, check_bytes, controls)
        line = end


def _record(chunk: str, label: str, line: int, check_bytes: bool, controls: int) -> Item:
    if len(chunk) > MAX_LINE:
        longest = max(chunk.split("\n"), key=len)
        if len(longest) > MAX_LINE:
            return Rejected(label, line, f"a line of {len(longest):,} characters")
    if check_bytes and _BAD_BYTE.search(chunk):
        return Rejected(label, line, "invalid UTF-8 in record")
    if _CONTINUED.search(chunk):  # continuation lines, indented, join the line before with one space
        chunk = _join_continuations(chunk)
    head, *parts = chunk.split("\n- **")
    fields: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition("**:")
        if not sep:
            return Rejected(label, line, f"malformed field line '- **{part[:40]}'")
        fields[name] = _one_line(value)
    return RawRecord(label, line, _one_line(head), fields, controls)


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
