"""One row of an aligned plain-text table, shared by the SPARQL and analysis tables."""
from __future__ import annotations

from collections.abc import Sequence

ELLIPSIS = "…"


def table_line(cells: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    """Cells padded to `widths` (cut with an ellipsis if longer), numbers right-aligned."""
    out = []
    for text, w, r in zip(cells, widths, right):
        text = text if len(text) <= w else text[:w - 1] + ELLIPSIS
        out.append(text.rjust(w) if r else text.ljust(w))
    return "  ".join(out)
