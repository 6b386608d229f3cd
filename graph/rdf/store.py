"""The embedded SPARQL store: a pyoxigraph (RocksDB) store on disk at ``<kg>/store/``.

Why pyoxigraph: on this project's measurements (shared notes, formats.md) it answers a
GROUP BY over 1.3M triples in 0.12 s where rdflib's in-memory engine needs ~2 s, and it
bulk-loads N-Triples without holding them in memory. The store is written once by
graph.rdf.load (bulk load, then one compaction) and afterwards only ever opened read-only.

Queries run with the project's common prefixes predefined (pyoxigraph's ``prefixes=``
option, so the query text is never edited and error positions stay the user's own; a
PREFIX the query declares wins). Updates and federated SERVICE calls are refused before
anything runs: the store is read-only anyway, and SERVICE would let a query make this
process fetch arbitrary URLs.

Result serialisation is pyoxigraph's own (SPARQL JSON/XML/CSV/TSV, Turtle, N-Triples);
only the terminal table is formatted here.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Literal as Kind

import pyoxigraph as ox

from graph.errors import ArxivKGError, KGNotFound
from graph.rdf.mapping import PREFIXES  # queries and data share them
from graph.texttable import table_line

STORE_DIR = "store"
QUERIES_DIR = Path(str(resources.files("queries")))  # installed beside graph/ as package data
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class QueryError(ArxivKGError):
    """A query that cannot be answered (bad syntax, refused, failed while running)."""


class QuerySyntaxError(QueryError):
    """The query text is not SPARQL 1.1; the message names line and column."""


class QueryRefused(QueryError):
    """An update or a SERVICE call sent to the read-only store."""


class QueryTimeout(QueryError):
    """The query ran past its time limit."""


class FormatError(QueryError):
    """The requested output format does not fit the query form (e.g. Turtle for SELECT)."""


@dataclass(frozen=True)
class QueryResult:
    """A materialised answer. `kind` is select (rows), ask (boolean) or graph (triples)."""

    kind: Kind["select", "ask", "graph"]
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[ox.Triple, ...] = ()
    truncated: bool = False  # the row/triple cap cut the answer short

    def __len__(self) -> int:
        return len(self.triples) if self.kind == "graph" else len(self.rows)


@dataclass(frozen=True)
class OutputFormat:
    name: str
    media_type: str
    kinds: frozenset[str]


_RESULTS = frozenset({"select", "ask"})
FORMATS: dict[str, OutputFormat] = {f.name: f for f in (
    OutputFormat("table", "text/plain; charset=utf-8", frozenset({"select", "ask", "graph"})),
    OutputFormat("json", ox.QueryResultsFormat.JSON.media_type, _RESULTS),
    OutputFormat("xml", ox.QueryResultsFormat.XML.media_type, _RESULTS),
    OutputFormat("csv", ox.QueryResultsFormat.CSV.media_type, _RESULTS),
    OutputFormat("tsv", ox.QueryResultsFormat.TSV.media_type, _RESULTS),
    OutputFormat("turtle", ox.RdfFormat.TURTLE.media_type, frozenset({"graph"})),
    OutputFormat("ntriples", ox.RdfFormat.N_TRIPLES.media_type, frozenset({"graph"})),
)}

_RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
_GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES}


# --- opening --------------------------------------------------------------------------

def store_path(kg_dir: str | os.PathLike[str]) -> Path:
    return Path(kg_dir) / STORE_DIR


def open_store(kg_dir: str | os.PathLike[str]) -> ox.Store:
    """Open `<kg_dir>/store` read-only; KGNotFound if it was never built."""
    path = store_path(kg_dir)
    if not (path / "CURRENT").is_file():
        raise KGNotFound(f"{path}: no SPARQL store here; run `arxiv-kg build --out {kg_dir}` first")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise KGNotFound(f"{path}: cannot open the SPARQL store ({_one_line(str(exc))})") from None


# --- running queries ------------------------------------------------------------------

# Strings, IRIs and comments are blanked before keyword checks so that e.g. a literal
# "delete" or an IRI ending in /service never trips them.
_OPAQUE = re.compile(r'''"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|'''
                     r'''"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>|#[^\n]*''')
_PROLOGUE = re.compile(r"\s*(?:(?:BASE|PREFIX\s+[^\s:]*:)\s*<[^>]*>\s*)*", re.IGNORECASE)
_DECLARED = re.compile(r"PREFIX\s+([^\s:]*):", re.IGNORECASE)
_PREFIXED_NAME = re.compile(r"(?<![\w?$:.\-])([A-Za-z][\w.\-]*)?:")
_UPDATE_VERBS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                 "WITH"}
_SERVICE = re.compile(r"(?<![\w?$:-])SERVICE(?![\w:-])", re.IGNORECASE)


def _blank(sparql: str) -> str:
    """The query with strings, IRI contents and comments blanked, positions unchanged."""
    def blank(m: re.Match[str]) -> str:
        shape = re.sub(r"[^\n]", " ", m.group())
        return f"<{shape[1:-1]}>" if m.group().startswith("<") else shape
    return _OPAQUE.sub(blank, sparql)


def refuse_writes(sparql: str) -> None:
    """Raise QueryRefused for SPARQL Update and for SERVICE (outbound HTTP) queries."""
    text = _blank(sparql)
    rest = text[_PROLOGUE.match(text).end():]
    first = re.match(r"[A-Za-z]+", rest)
    if first and first.group().upper() in _UPDATE_VERBS:
        raise QueryRefused("the store is read-only: SPARQL Update is not accepted")
    if _SERVICE.search(text):
        raise QueryRefused("federated SERVICE calls are not allowed")


def execute(store: ox.Store, sparql: str, *, limit: int | None = None) -> QueryResult:
    """Run a read-only query to completion in this thread; at most `limit` rows/triples."""
    refuse_writes(sparql)
    try:
        answer = store.query(sparql, prefixes=PREFIXES)
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(kind="ask", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            return _select_result(answer, limit)
        triples = tuple(islice(answer, None if limit is None else limit + 1))
    except SyntaxError as exc:
        raise QuerySyntaxError(_syntax_message(str(exc), sparql)) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {_one_line(str(exc))}") from None
    return QueryResult(kind="graph", triples=triples[:limit], truncated=_over(triples, limit))


def _select_result(answer: ox.QuerySolutions, limit: int | None) -> QueryResult:
    names = tuple(v.value for v in answer.variables)
    rows = tuple(tuple(sol[n] for n in names)
                 for sol in islice(answer, None if limit is None else limit + 1))
    return QueryResult(kind="select", variables=names, rows=rows[:limit],
                       truncated=_over(rows, limit))


def _over(items: tuple, limit: int | None) -> bool:
    return limit is not None and len(items) > limit


def run_query(store: ox.Store, sparql: str, *, timeout_s: float | None = None,
              limit: int | None = None) -> QueryResult:
    """`execute` with a time limit, for one-shot processes such as the CLI.

    pyoxigraph cannot cancel a query, but it releases the GIL while evaluating, so the
    query runs in a daemon thread that is abandoned on timeout: the caller reports the
    error and exits, and the work stops with the process. Long-lived processes must not
    use this (abandoned work would pile up); graph.rdf.server kills a worker process instead.
    """
    refuse_writes(sparql)  # cheap, and keeps refusals out of the worker thread
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["result"] = execute(store, sparql, limit=limit)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=work, name="sparql-query", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise QueryTimeout(f"query stopped after {timeout_s:g} s (time limit)")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]


def _syntax_message(raw: str, sparql: str) -> str:
    # pyoxigraph reports an undeclared prefix as whatever token it expected instead, so
    # look for one first: that is the likeliest mistake with predefined prefixes.
    unknown = _first_unknown_prefix(sparql)
    if unknown:
        name, line, col = unknown
        return (f"SPARQL syntax error at line {line}, column {col}: unknown prefix {name}: "
                f"(predefined: {', '.join(sorted(PREFIXES))})")
    m = re.match(r"error at (\d+):(\d+): (.*)", raw, re.DOTALL)
    if not m:
        return f"SPARQL syntax error: {_one_line(raw)}"
    return f"SPARQL syntax error at line {m.group(1)}, column {m.group(2)}: {_one_line(m.group(3))}"


def _first_unknown_prefix(sparql: str) -> tuple[str, int, int] | None:
    text = _blank(sparql)
    known = set(PREFIXES) | set(_DECLARED.findall(text))
    for m in _PREFIXED_NAME.finditer(text):
        name = m.group(1) or ""
        if name not in known and name != "_":  # "_:" starts a blank node
            line = text.count("\n", 0, m.start()) + 1
            return name, line, m.start() - _line_start(text, m.start()) + 1
    return None


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _one_line(text: str, width: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


# --- serialising answers --------------------------------------------------------------

def serialize(result: QueryResult, fmt: str, *, width: int | None = None) -> bytes:
    """Render `result` as one of FORMATS; `width` truncates the table for a terminal."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise FormatError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    if result.kind not in spec.kinds:
        valid = [n for n, f in FORMATS.items() if result.kind in f.kinds]
        form = "CONSTRUCT/DESCRIBE" if result.kind == "graph" else "SELECT/ASK"
        raise FormatError(f"format {fmt!r} does not fit a {form} query; use one of {', '.join(valid)}")
    if fmt == "table":
        return render_table(result, width=width).encode("utf-8")
    if result.kind == "graph":
        return ox.serialize(result.triples, format=_GRAPH_FORMATS[fmt], prefixes=_used_prefixes(result))
    return _as_solutions(result).serialize(format=_RESULT_FORMATS[fmt])


def _as_solutions(result: QueryResult) -> ox.QuerySolutions | ox.QueryBoolean:
    # pyoxigraph only serialises its own result objects; SPARQL TSV writes every term in
    # its exact N-Triples form (str(term)), so parsing it back is lossless and lets the
    # library's serialisers handle the materialised, possibly capped, answer.
    if result.kind == "ask":
        text = "true" if result.boolean else "false"
    else:
        header = "\t".join(f"?{v}" for v in result.variables)
        body = "".join("\t".join("" if t is None else str(t) for t in row) + "\n"
                       for row in result.rows)
        text = f"{header}\n{body}"
    return ox.parse_query_results(text.encode("utf-8"), ox.QueryResultsFormat.TSV)


def _used_prefixes(result: QueryResult) -> dict[str, str]:
    iris = {t.value for tr in result.triples for t in (tr.subject, tr.predicate, tr.object)
            if isinstance(t, ox.NamedNode)}
    return {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}


_SIMPLE_LOCAL = re.compile(r"[A-Za-z_][\w.-]*(?<!\.)$")
_NUMERIC = {f"{PREFIXES['xsd']}{t}" for t in ("integer", "decimal", "double", "float", "int",
                                               "long", "nonNegativeInteger")}
MIN_COLUMN = 6


def term_text(term: Term | None) -> str:
    """A short, human-readable form of a term for the table (prefixed IRIs, bare values)."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns) and _SIMPLE_LOCAL.match(term.value[len(ns):]):
                return f"{prefix}:{term.value[len(ns):]}"
        return term.value
    if isinstance(term, ox.Literal):
        text = " ".join(term.value.split())  # one row per line, whatever the abstract holds
        return f"{text}@{term.language}" if term.language else text
    return str(term)


def render_table(result: QueryResult, *, width: int | None = None) -> str:
    """Aligned plain-text table; with `width`, the widest columns are cut to fit."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    if result.kind == "graph":
        header = ("subject", "predicate", "object")
        rows = [(tr.subject, tr.predicate, tr.object) for tr in result.triples]
    else:
        header, rows = result.variables, result.rows
    cells = [[term_text(t) for t in row] for row in rows]
    widths = _fit([max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)], width)
    numeric = [bool(rows) and all(_is_number(r[i]) for r in rows if r[i] is not None)
               for i in range(len(header))]
    lines = [table_line(header, widths, [False] * len(header)), "  ".join("-" * w for w in widths)]
    lines += [table_line(r, widths, numeric) for r in cells]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _is_number(term: Term) -> bool:
    return isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC


def _fit(widths: list[int], total: int | None) -> list[int]:
    widths = list(widths)
    if total is None:
        return widths
    budget = total - 2 * (len(widths) - 1)
    while sum(widths) > budget:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= MIN_COLUMN:
            break
        widths[widest] -= 1
    return widths


# --- the shipped example queries ------------------------------------------------------

@dataclass(frozen=True)
class ShippedQuery:
    name: str
    path: Path
    description: str  # first line of the header comment


def shipped_queries(folder: Path = QUERIES_DIR) -> dict[str, ShippedQuery]:
    """The documented example queries in `queries/*.rq`, by file stem."""
    return {path.stem: ShippedQuery(path.stem, path, _summary(path.read_text("utf-8")))
            for path in sorted(folder.glob("*.rq"))}


def _summary(text: str) -> str:
    """The header comment's first paragraph, on one line."""
    words: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#") or (words and not line.strip("# ")):
            break
        words += line.lstrip("#").split()
    return " ".join(words)
