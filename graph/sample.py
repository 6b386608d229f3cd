"""The small digest sample bundled with the package, used when `build` gets no input."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def sample_dir() -> Path:
    # Installed as plain package data (not zipped), so the folder exists on disk.
    return Path(str(resources.files("graph") / "data" / "sample"))
