"""A report (graph.analysis.reports.Report) as a terminal table, CSV or JSON on stdout."""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable

import orjson

from graph.analysis.reports import Report, cell
from graph.texttable import table_line

FORMATS = ("table", "csv", "json")
SIGNIFICANT = 10  # digits kept in JSON and CSV: enough for any use, stable across platforms


def render(fmt: str, settings: dict, report: Report, note: Callable[[str], None]) -> str:
    """The text to print; with CSV, the notes go to `note` (stderr) so stdout stays one table."""
    rows = report.rows
    if fmt == "json":
        doc = {"settings": settings, **report.meta}
        if report.rows_in_json:
            doc["rows"] = rows
        return orjson.dumps(_rounded(doc), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
                            | orjson.OPT_APPEND_NEWLINE).decode()
    notes = [n for n in report.notes if n]
    if fmt == "csv":
        for line in notes:
            note(line)
        return _csv(rows)
    table = _table(rows) if report.rows_in_table else []
    return "\n".join(notes + ([""] if notes and table else []) + table) + "\n"


def _rounded(obj: object) -> object:
    if isinstance(obj, float):
        return float(f"{obj:.{SIGNIFICANT}g}") if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


def _csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(rows[0].keys())
    for row in rows:
        writer.writerow(["" if v is None else _rounded(v) for v in row.values()])
    return buf.getvalue()


def _table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    heads = [h for h in rows[0] if h != "key"]  # the name column says it; csv/json keep keys
    cells = [[cell(row[h]) for h in heads] for row in rows]
    numeric = [all(isinstance(row[h], (int, float)) or row[h] is None for row in rows)
               for h in heads]
    widths = [max(len(h), *(len(c[j]) for c in cells)) for j, h in enumerate(heads)]
    lines = [table_line(heads, widths, numeric).rstrip()]
    lines += [table_line(c, widths, numeric).rstrip() for c in cells]
    return lines
