"""arxiv-kg: the command-line application and, for notebooks, the Python API.

``arxiv_kg.open(path)`` opens a KG folder (see arxiv_kg.api). The API is imported on first
use, so that the CLI's start-up does not pay for it.
"""
from __future__ import annotations

from typing import Any

__all__ = ["KG", "open"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from arxiv_kg import api

        return getattr(api, name)
    raise AttributeError(f"module 'arxiv_kg' has no attribute {name!r}")
