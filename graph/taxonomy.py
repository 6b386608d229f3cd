"""arXiv category names and archives (placeholder: filled in by the RDF work)."""
from __future__ import annotations


def category_info(code: str) -> tuple[str, str]:
    """Return (human-readable name, archive) for an arXiv category code."""
    archive = code.split(".", 1)[0]
    return code, archive
