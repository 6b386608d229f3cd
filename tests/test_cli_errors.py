"""arxiv_kg.common.domain_errors: what reaches the user when the core or the system fails."""
from __future__ import annotations

import errno

import click
import pytest

from arxiv_kg.common import domain_errors, kg_option
from graph.errors import InputError


def command(exc: BaseException) -> click.Command:
    @click.command()
    @kg_option
    @domain_errors
    def cmd(kg_dir: str) -> None:
        raise exc

    return cmd


@pytest.mark.parametrize("exc, line", [
    (OSError(errno.ENOSPC, "No space left on device", "out/a\nb.parquet"),
     "Error: out/a\\x0ab.parquet: No space left on device"),
    (OSError(errno.EXDEV, "Invalid cross-device link", "a", None, "b"), "Error: a -> b: Invalid cross-device link"),
    (OSError("IO error: No space left on device: While appending to file: x.sst"),
     "Error: IO error: No space left on device: While appending to file: x.sst"),
    (InputError("no usable records in evil\rname"), "Error: no usable records in evil\\x0dname"),
    (RuntimeError("Corruption: CURRENT file corrupted"),
     "Error: the SPARQL store in kg is damaged (Corruption: CURRENT file corrupted); "
     "rebuild it with `arxiv-kg build <digests> --out kg`"),
])
def test_failures_become_one_line_with_exit_1(runner, exc, line):
    result = runner.invoke(command(exc), ["--kg", "kg"])
    assert (result.exit_code, result.stderr) == (1, line + "\n")


def test_a_closed_stdout_ends_quietly(runner):
    result = runner.invoke(command(BrokenPipeError(errno.EPIPE, "Broken pipe")))
    assert (result.exit_code, result.output) == (1, "")


def test_a_programming_error_keeps_its_traceback(runner):
    result = runner.invoke(command(RuntimeError("a bug")))
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "a bug"
