"""Hostile inputs for `arxiv-kg` (issue 9): every way found to lose a build or a record.

Each case makes its files in a fresh folder, runs `arxiv-kg` commands and checks that
  - nothing raised (no traceback) and the exit code is the one expected;
  - stderr holds exactly one line per problem (`rejected: file:line: ...`, `warning: ...` or
    `Error: ...`), and no other line but progress (so a file name cannot forge one);
  - the KG holds exactly the good records' papers, whole.
tests/test_hostile.py runs every case. As a script it prints a table of what each printed:

    python tests/hostile.py [--child] [CASE ...]     # --child: each command in its own process

Run it from outside the checkout with PYTHONPATH set to another one to see how that one fares.
Cases that root would read or write through (an unreadable folder) and a full disk use mocks;
bench/hostile_disk.py fills a real tmpfs.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner
from conftest import digest, record
from reference import load_corpus

from arxiv_kg.cli import main

MAX_FILE = 1 << 30  # graph.ingest.parse.MAX_FILE; the table also runs against older checkouts
# What arxiv-kg prints on stderr when all is well; any other line counts as a problem line.
# A step's timing line ("reading digests (2 workers): 0.2 s"), progress bars and counts.
PROGRESS = re.compile(r"^[A-Za-z][\w ()+,.-]*: [\d.]+ s$|^loading |^building the |^writing |^wrote "
                      r"|^Reading digests|^[\d,]+ (?:rows|triples)\b")
FAST = ["--formats", "none", "--no-store"]


@dataclass
class Setup:
    """What a case runs and what must come of it."""

    commands: list[list[str]]  # every command but the last must succeed; the last is checked
    papers: set[str] | None  # arXiv IDs the KG must hold afterwards (None: not checked)
    lines: list[str]  # one problem line must contain each of these, and no other line may appear
    exit_code: int = 0
    fault: Callable[[], contextlib.AbstractContextManager] | None = None
    kg: Path | None = None  # where the KG is, for `papers` and `check`
    check: Callable[[Path], list[str]] | None = None  # more checks on the KG; returns failures
    damage: Callable[[Path], None] | None = None  # done to the KG before the last command
    cleanup: Callable[[], None] | None = None  # for trees that shutil.rmtree cannot remove


@dataclass
class Outcome:
    exit_code: int
    problem_lines: list[str]
    traceback: str | None
    failures: list[str] = field(default_factory=list)
    skipped: str = ""


CASES: dict[str, Callable[[Path], Setup]] = {}


def case(fn: Callable[[Path], Setup]) -> Callable[[Path], Setup]:
    CASES[fn.__name__] = fn
    return fn


# --- helpers ---------------------------------------------------------------------------

def ids(*numbers: int) -> set[str]:
    return {f"2105.{n:05d}" for n in numbers}


def day(*numbers: int, **fields: str) -> str:
    """A digest with one record per number (fields apply to each)."""
    return digest(*(record(f"2105.{n:05d}v1", **fields) for n in numbers))


def folder_with_good(tmp: Path) -> Path:
    """`in/` holding good.md (papers 1 and 2), which every folder case keeps."""
    src = tmp / "in"
    src.mkdir()
    (src / "good.md").write_text(day(1, 2))
    return src


def build(src: Path | str, tmp: Path, *extra: str) -> list[str]:
    return ["build", str(src), "--out", str(tmp / "kg"), *FAST, *extra]


def folder_case(tmp: Path, lines: list[str], kept: set[str] = frozenset(), **setup) -> Setup:
    return Setup([build(tmp / "in", tmp)], ids(1, 2) | kept, lines, kg=tmp / "kg", **setup)


def when_root(patch: Callable[[], contextlib.AbstractContextManager]):
    """Root reads and writes through permissions: fake the refusal only then."""
    return patch if os.geteuid() == 0 else None


def refuse(target: str, path: str, exc: OSError):
    """A patch of `target` (os.scandir, tempfile.mkstemp, ...) that raises `exc` for `path`."""
    real = _resolve(target)

    def fake(*args, **kwargs):
        if path in str(args[0] if args else kwargs.get("dir", "")):
            raise exc
        return real(*args, **kwargs)

    return lambda: mock.patch(target, fake)


def _resolve(target: str):
    module, _, name = target.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


def disk_full_on(*names: str):
    """fsync fails with ENOSPC for files whose name contains one of `names`: what a full disk
    does to atomic_write (tmpfs shows the same, see bench/hostile_disk.sh)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if any(n in os.readlink(f"/proc/self/fd/{fd}") for n in names):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    return lambda: mock.patch("os.fsync", fsync)


def summary(kg: Path) -> dict:
    return json.loads((kg / "summary.json").read_text())


# --- cases: names and folders ----------------------------------------------------------

@case
def non_utf8_file_name(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    Path(os.fsdecode(os.fsencode(src) + b"/bad-\xff.md")).write_text(day(3))
    return folder_case(tmp, ["in/bad-\\xff.md:0: file name is not valid UTF-8"], ids(3))


@case
def newline_in_file_name(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    name = "day\nrejected: forged.md:1: fake.md"
    (src / name).write_text(digest(record("2105.00003v1"), record("bogus")))
    shown = "in/day\\x0arejected: forged.md:1: fake.md"
    return folder_case(tmp, [f"rejected: {shown}:15: malformed Arxiv ID",
                             f"warning: {shown}:0: file name holds control characters"], ids(3))


@case
def folder_1000_deep(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    deep = src.joinpath(*["d"] * 1000)
    # coreutils walk by folder handle; Python's mkdir(parents=True) and rmtree recurse (< 3.13).
    subprocess.run(["mkdir", "-p", str(deep)], check=True)
    (deep / "deep.md").write_text(day(3))

    def unmake() -> None:
        subprocess.run(["rm", "-rf", str(src / "d")], check=True)

    return folder_case(tmp, [], ids(3), cleanup=unmake)


@case
def path_longer_than_the_system_limit(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    fd = os.open(src, os.O_RDONLY)
    try:  # step by step, relative to a folder handle: the whole path is too long to name
        for _ in range(24):
            os.mkdir("x" * 200, dir_fd=fd)
            fd, old = os.open("x" * 200, os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        with open(os.open("far.md", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as fh:
            fh.write(day(3))
    finally:
        os.close(fd)
    return folder_case(tmp, [": cannot list folder: File name too long"])


@case
def unreadable_sub_folder(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    (src / "locked").mkdir()
    (src / "locked" / "day.md").write_text(day(3))
    (src / "locked").chmod(0)
    denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(src / "locked"))
    return folder_case(tmp, ["in/locked:0: cannot list folder: Permission denied"],
                       fault=when_root(refuse("os.scandir", str(src / "locked"), denied)),
                       cleanup=lambda: (src / "locked").chmod(0o755))


@case
def dangling_md_symlink(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    (src / "gone.md").symlink_to(tmp / "nowhere.md")
    return folder_case(tmp, ["in/gone.md:0: dangling symlink"])


@case
def looping_md_symlink(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    (src / "loop.md").symlink_to(src / "loop.md")
    return folder_case(tmp, ["in/loop.md:0: symlink loop"])


@case
def symlinked_sub_folder(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    (tmp / "elsewhere").mkdir()
    (tmp / "elsewhere" / "day.md").write_text(day(3))
    (src / "2021").symlink_to(tmp / "elsewhere")
    return folder_case(tmp, ["in/2021:0: symlink to a folder, not followed"])


@case
def pipe_named_md(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    os.mkfifo(src / "pipe.md")
    return folder_case(tmp, ["in/pipe.md:0: not a regular file"])


@case
def huge_sparse_file(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    with open(src / "huge.md", "wb") as fh:
        fh.truncate(int(os.environ.get("HOSTILE_HUGE", MAX_FILE + 1)))  # sparse: no disk used
    return folder_case(tmp, ["in/huge.md:0: larger than 1,024 MiB"])


@case
def absolute_file_paths(tmp: Path) -> Setup:
    for name in ("a", "b"):
        (tmp / name).mkdir()
    (tmp / "a" / "day.md").write_text(day(1))
    (tmp / "b" / "day.md").write_text(day(2))
    (tmp / "b" / "other.md").write_text(day(3))

    def relative(kg: Path) -> list[str]:
        corpus = load_corpus(kg)
        labels = sorted(s.file for s in corpus.sources)
        cited = {s.rsplit(":", 1)[0] for p in corpus.papers for s in p.sources}
        wrong = labels != ["a/day.md", "b/day.md", "other.md"] or cited != set(labels)
        return [f"sources should be relative and distinct: {labels}, cited {sorted(cited)}"] * wrong

    return Setup([["build", str(tmp / "a" / "day.md"), str(tmp / "b" / "day.md"), str(tmp / "b" / "other.md"),
                   "--out", str(tmp / "kg"), *FAST]], ids(1, 2, 3), [], kg=tmp / "kg", check=relative)


# --- cases: file contents --------------------------------------------------------------

def no_controls_left(count: int) -> Callable[[Path], list[str]]:
    def check(kg: Path) -> list[str]:
        texts = [t for p in load_corpus(kg).papers for t in (p.title, p.abstract, *p.author_names)]
        bad = [t for t in texts if any(ord(c) < 32 for c in t)]
        removed = summary(kg).get("control_characters_removed")
        return ([f"control characters kept: {bad[:3]}"] * bool(bad)
                + [f"control_characters_removed is {removed}, not {count}"] * (removed != count))
    return check


def content_case(tmp: Path, data: bytes, lines: list[str], kept: set[str], **setup) -> Setup:
    src = folder_with_good(tmp)
    (src / "x.md").write_bytes(data)
    return folder_case(tmp, lines, kept, **setup)


@case
def nul_past_8k(tmp: Path) -> Setup:
    text = digest(*(record(f"2105.{n:05d}v1") for n in range(3, 33)), record("2105.00033v1", title="Ti\x00tle"))
    line = 2 + 13 * 30
    return content_case(tmp, text.encode(), [f"in/x.md:{line}: removed 1 control character"],
                        ids(*range(3, 34)), check=no_controls_left(1))


@case
def nul_in_first_8k(tmp: Path) -> Setup:
    text = digest(record("2105.00003v1", title="Ti\x00\x00tle"), record("2105.00004v1"))
    return content_case(tmp, text.encode(), ["in/x.md:2: removed 2 control characters"], ids(3, 4),
                        check=no_controls_left(2))


@case
def escape_and_bell_characters(tmp: Path) -> Setup:
    text = digest(record("2105.00003v1", summary="An \x1b[31mabstract\x1b[0m.", authors="Ann\x07 Lee"))
    return content_case(tmp, text.encode(), ["in/x.md:2: removed 3 control characters"], ids(3),
                        check=no_controls_left(3))


@case
def utf8_bom_before_a_record(tmp: Path) -> Setup:
    text = "\ufeff" + digest(record("2105.00003v1"), record("2105.00004v1")).split("\n", 1)[1]
    return content_case(tmp, text.encode(), [], ids(3, 4))


@case
def utf16_le_with_bom(tmp: Path) -> Setup:
    return content_case(tmp, day(3, 4).encode("utf-16"), [], ids(3, 4))


@case
def utf16_be_without_bom(tmp: Path) -> Setup:
    return content_case(tmp, day(3, 4, title="Über Bäume").encode("utf-16-be"), [], ids(3, 4))


@case
def utf16_that_does_not_decode(tmp: Path) -> Setup:
    data = day(3).encode("utf-16") + "\ud800".encode("utf-16-le", "surrogatepass")
    return content_case(tmp, data, ["in/x.md:0: UTF-16 file that does not decode"], set())


@case
def crlf_line_ends(tmp: Path) -> Setup:
    text = day(3, comment="Accepted at\n  CVPR").replace("\n", "\r\n")
    return content_case(tmp, text.encode(), [], ids(3))


@case
def malformed_updated(tmp: Path) -> Setup:
    text = digest(record("2105.00003v1", updated="2021-02-30 00:00:00+00:00"))
    return content_case(tmp, text.encode(), ["warning: in/x.md:2: malformed Updated timestamp"], ids(3))


def complete_copy_wins(kg: Path) -> list[str]:
    (paper,) = [p for p in load_corpus(kg).papers if p.arxiv_id == "2105.00003"]
    whole = paper.version == 1 and paper.author_names == ("Ann Lee", "Bo Chen") and paper.abstract
    return [] if whole else [f"the cut copy won: v{paper.version} {paper.author_names} {paper.abstract!r}"]


def cut_case(tmp: Path, cut: str, lines: list[str]) -> Setup:
    src = folder_with_good(tmp)
    (src / "a.md").write_text(digest(record("2105.00003v1")))
    newer = digest(record("2105.00004v1"), record("2105.00003v2"))
    (src / "b.md").write_text(newer[:newer.rindex(cut) + len(cut)])  # inside the second record
    return folder_case(tmp, lines, ids(3, 4), check=complete_copy_wins)


@case
def record_cut_inside_a_line(tmp: Path) -> Setup:
    return cut_case(tmp, "Ann Lee, Bo Ch", ["in/b.md:15: record cut off at end of file"])


@case
def record_cut_at_a_line_end(tmp: Path) -> Setup:
    return cut_case(tmp, "Ann Lee, Bo Chen\n", ["in/b.md:15: truncated record: no Summary"])


# --- cases: writing, and opening what was written --------------------------------------

@case
def out_is_dev_null(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    return Setup([["build", str(src), "--out", "/dev/null", *FAST]], None,
                 ["Error: cannot write to /dev/null"], exit_code=1)


@case
def out_under_a_file(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    return Setup([["build", str(src), "--out", str(src / "good.md" / "kg"), *FAST]], None,
                 ["Error: cannot write to"], exit_code=1)


@case
def out_not_writable(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    (tmp / "ro").mkdir()
    (tmp / "ro").chmod(0o555)
    denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp / "ro"))
    return Setup([["build", str(src), "--out", str(tmp / "ro" / "kg"), *FAST]], None,
                 ["Error: "], exit_code=1,
                 fault=when_root(refuse("tempfile.mkstemp", str(tmp / "ro"), denied)))


def full_disk_case(tmp: Path, names: tuple[str, ...], *options: str) -> Setup:
    src = folder_with_good(tmp)
    return Setup([["build", str(src), "--out", str(tmp / "kg"), *options]], None,
                 ["No space left on device"], exit_code=1, fault=disk_full_on(*names))


@case
def disk_full_during_save(tmp: Path) -> Setup:
    return full_disk_case(tmp, (".parquet",), *FAST)


@case
def disk_full_during_export(tmp: Path) -> Setup:
    return full_disk_case(tmp, (".kg.ttl",), "--formats", "kg.ttl", "--no-store")


@case
def disk_full_during_store_load(tmp: Path) -> Setup:
    src = folder_with_good(tmp)
    # The store loads in a child process (graph.rdf.load.StoreLoader); a stand-in child says
    # what pyoxigraph's loader said when a tmpfs filled up (bench/hostile_disk.py) and fails.
    child = tmp / "full-disk-loader"
    child.write_text("#!/bin/sh\ncat >/dev/null\necho 'SPARQL store: IO error: No space left on "
                     "device: While appending to file: db/000001.sst' >&2\nexit 1\n")
    child.chmod(0o755)
    return Setup([["build", str(src), "--out", str(tmp / "kg"), "--formats", "kg.nt"]], None,
                 ["No space left on device"], exit_code=1,
                 fault=lambda: mock.patch("graph.rdf.load.sys.executable", str(child)))


def damaged_kg_case(tmp: Path, damage: Callable[[Path], None], command: list[str], line: str,
                    store: bool = False) -> Setup:
    """Build a KG, damage it, then run `command` on it."""
    src = folder_with_good(tmp)
    kg = tmp / "kg"
    options = ["--formats", "none"] if store else FAST
    return Setup([["build", str(src), "--out", str(kg), *options], [*command, "--kg", str(kg)]], None,
                 [line], exit_code=1, kg=kg, damage=damage)


def truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


@case
def truncated_papers_table(tmp: Path) -> Setup:
    return damaged_kg_case(tmp, lambda kg: truncate_half(kg / "papers.parquet"), ["authors"],
                           "papers.parquet in generation g000001 has")


@case
def garbage_variants_file(tmp: Path) -> Setup:
    return damaged_kg_case(tmp, lambda kg: (kg / "variants.json").write_text("[[\"a\""),
                           ["report", "-o", str(tmp / "report.html")], "variants.json in generation g000001 has")


@case
def table_written_by_another_program(tmp: Path) -> Setup:
    def replace_authors(kg: Path) -> None:
        pq.write_table(pa.table({"name": ["x"]}), kg / "authors.parquet")
    return damaged_kg_case(tmp, replace_authors, ["stats"], "authors.parquet in generation g000001 has")


def overwrite_sst_middles(kg: Path) -> None:
    """Damage data blocks in the middle of the store's large files, so that the query starts
    and meets the damage while it reads rows (small files are read when the store opens)."""
    for sst in (kg / "store").glob("*.sst"):
        size = sst.stat().st_size
        if size > 48 * 1024:
            with open(sst, "r+b") as fh:
                fh.seek(size // 2)
                fh.write(b"\xff" * 4096)


@case
def store_with_a_truncated_file(tmp: Path) -> Setup:
    def damage(kg: Path) -> None:
        truncate_half(max((kg / "store").glob("*.sst"), key=lambda p: p.stat().st_size))
    return damaged_kg_case(tmp, damage, ["query", "count-papers"], "in generation g000001 has", store=True)


@case
def store_with_damaged_blocks(tmp: Path) -> Setup:
    setup = damaged_kg_case(tmp, overwrite_sst_middles, ["query", "SELECT * { ?s ?p ?o }", "--format", "csv"],
                            "the SPARQL store in", store=True)
    # Enough triples that the damage is met while rows are read, not when the query starts.
    (tmp / "in" / "more.md").write_text(day(*range(3, 203)))
    return setup


# --- running and checking --------------------------------------------------------------

@dataclass
class _Result:
    """What a command left: click's Result, or the same read from a child process."""

    exit_code: int
    stderr: str
    exception: BaseException | None = None


def run_case(name: str, tmp: Path, child: bool = False) -> Outcome:
    """Make case `name` under `tmp`, run its commands (in this process, or each in a child
    process as a user would, when `child`), and check the result."""
    setup = CASES[name](tmp)
    if child and setup.fault:
        return Outcome(0, [], None, skipped="the fault is a mock, which a child process does not get")
    try:
        result = _run(setup, _in_child if child else _in_process)
        if isinstance(result, Outcome):
            return result
        outcome = Outcome(result.exit_code, [line for line in result.stderr.splitlines()
                                             if not PROGRESS.match(line)], _traceback(result))
        outcome.failures = _failures(setup, outcome)
        return outcome
    finally:
        if setup.cleanup:
            setup.cleanup()


def _in_process(args: list[str]) -> _Result:
    result = CliRunner().invoke(main, args)
    return _Result(result.exit_code, result.stderr, result.exception)


def _in_child(args: list[str]) -> _Result:
    done = subprocess.run([sys.executable, "-m", "arxiv_kg", *args], capture_output=True, text=True,
                          errors="backslashreplace", check=False)
    lines = done.stderr.splitlines()
    raised = "Traceback (most recent call last)" in done.stderr
    return _Result(done.returncode, done.stderr, RuntimeError(lines[-1]) if raised else None)


def _run(setup: Setup, invoke: Callable[[list[str]], _Result]) -> _Result | Outcome:
    """The last command's result, or an Outcome if an earlier command failed."""
    with setup.fault() if setup.fault else contextlib.nullcontext():
        for i, args in enumerate(setup.commands):
            result = invoke(args)
            if i < len(setup.commands) - 1:
                if result.exit_code:
                    return Outcome(result.exit_code, [], _traceback(result), [f"set-up failed: {result.output}"])
                if setup.damage and i == len(setup.commands) - 2:
                    setup.damage(setup.kg)
    return result


def _traceback(result: _Result) -> str | None:
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return None
    return f"{type(exc).__name__}: {str(exc)[:150]}"


def _failures(setup: Setup, outcome: Outcome) -> list[str]:
    failures = [f"traceback: {outcome.traceback}"] if outcome.traceback else []
    if outcome.exit_code != setup.exit_code:
        failures.append(f"exit code {outcome.exit_code}, not {setup.exit_code}")
    for expected in setup.lines:
        matching = [line for line in outcome.problem_lines if expected in line]
        if len(matching) != 1:
            failures.append(f"{len(matching)} lines contain {expected!r}, not 1")
    extra = [line for line in outcome.problem_lines if not any(e in line for e in setup.lines)]
    failures.extend(f"unexpected line: {line}" for line in extra)
    if setup.papers is not None and not outcome.traceback and setup.kg:
        failures.extend(_kept(setup))
    return failures


def _kept(setup: Setup) -> list[str]:
    try:
        found = {p.arxiv_id for p in load_corpus(setup.kg).papers}
    except Exception as exc:  # noqa: BLE001 - a KG that does not load is this check's answer
        return [f"KG unreadable: {type(exc).__name__}: {exc}"]
    lost, extra = sorted(setup.papers - found), sorted(found - setup.papers)
    failures = [f"lost papers {lost}"] * bool(lost) + [f"unexpected papers {extra}"] * bool(extra)
    return failures + (setup.check(setup.kg) if setup.check and not failures else [])


def main_table(args: list[str]) -> int:
    child = "--child" in args
    names = [a for a in args if a != "--child"] or list(CASES)
    failed = 0
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"hostile-{name}-") as tmp:
            outcome = run_case(name, Path(tmp), child)
        failed += bool(outcome.failures)
        print(_row(name, outcome).replace(tmp, "$TMP"))
    print(f"{failed} of {len(names)} cases failed", file=sys.stderr)
    return 1 if failed else 0


def _row(name: str, outcome: Outcome) -> str:
    """A Markdown table row: the case, its exit code, what it printed, the verdict."""
    if outcome.skipped:
        return f"| {name} | - | - | skipped: {outcome.skipped} |"
    shown = " \\| ".join(line[:110] for line in outcome.problem_lines) or "(no problem line)"
    if outcome.traceback:
        shown = f"TRACEBACK {outcome.traceback}"
    verdict = "; ".join(outcome.failures)[:200]
    return f"| {name} | exit {outcome.exit_code} | {shown} | {'FAIL: ' + verdict if verdict else 'ok'} |"


if __name__ == "__main__":
    sys.exit(main_table(sys.argv[1:]))
