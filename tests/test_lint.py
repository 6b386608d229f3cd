"""The code checks the house rules name: ruff (pyproject's [tool.ruff]) finds nothing, and mypy
finds no error in the type hints of graph/, exporters/ and arxiv_kg/ ([tool.mypy])."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def check(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


def test_ruff_finds_nothing():
    done = check("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_no_error_in_the_type_hints():
    done = check("mypy", "--cache-dir", "/dev/null")
    assert done.returncode == 0, done.stdout + done.stderr
