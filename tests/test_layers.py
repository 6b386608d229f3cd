"""The layers contract in pyproject.toml: data flows one way, nothing reaches backwards."""
from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_module_reaches_backwards(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # import-linter reads [tool.importlinter] from ./pyproject.toml
    status = lint_imports(config_filename=os.path.join(ROOT, "pyproject.toml"), no_cache=True,
                          no_logo=True)
    out = capsys.readouterr().out
    assert status == EXIT_STATUS_SUCCESS, out
    assert "0 broken" in out
