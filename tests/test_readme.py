"""The README's promise: its test command is exactly what CI runs."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_ci_runs_the_readme_test_command():
    setup = shell_blocks((ROOT / "README.md").read_text())[:2]
    assert setup[0].endswith("arxiv-kg build")
    assert setup[1].endswith("pytest")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert setup[1] in ci_lines


def test_out_folder_is_kept_empty_in_git():
    assert (ROOT / "out" / ".gitignore").read_text().split() == ["*", "!.gitignore"]
