"""The embedded SPARQL store: a pyoxigraph (RocksDB) store on disk at ``<kg>/store/``.

Why pyoxigraph: on this project's measurements (shared notes, formats.md) it answers a
GROUP BY over 1.3M triples in 0.12 s where rdflib's in-memory engine needs ~2 s, and it
bulk-loads N-Triples without holding them in memory. The store is written once by
graph.rdf.load (bulk load, then one compaction) and afterwards only ever opened read-only.

Queries run with the project's common prefixes predefined (pyoxigraph's ``prefixes=``
option, so the query text is never edited and error positions stay the user's own; a
PREFIX the query declares wins). Updates and federated SERVICE calls are refused before
anything runs: the store is read-only anyway, and SERVICE would let a query make this
process fetch arbitrary URLs. That refusal is decided on rdflib's parse of the query
(`checked_query`); the threads and worker processes that run queries are also denied
new sockets (`forbid_sockets`), so one layer failing is not enough.

Result serialisation is pyoxigraph's own (SPARQL JSON/XML/CSV/TSV; Turtle, N-Triples,
RDF/XML, JSON-LD);
only the terminal table is formatted here.
"""
from __future__ import annotations

import copy
import errno
import functools
import io
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO, cast
from typing import Literal as Kind

import pyoxigraph as ox

from graph.errors import ArxivKGError, KGNotFound
from graph.generations import build_command
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
    OutputFormat("rdfxml", ox.RdfFormat.RDF_XML.media_type, frozenset({"graph"})),
    OutputFormat("jsonld", ox.RdfFormat.JSON_LD.media_type, frozenset({"graph"})),
)}

_RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
_GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                  "rdfxml": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD}


# --- opening --------------------------------------------------------------------------

def store_path(kg_dir: str | os.PathLike[str]) -> Path:
    return Path(kg_dir) / STORE_DIR


def open_store(kg_dir: str | os.PathLike[str]) -> ox.Store:
    """Open `<kg_dir>/store` read-only; KGNotFound if it was never built."""
    path = store_path(kg_dir)
    if not (path / "CURRENT").is_file():
        raise KGNotFound(f"{path}: no SPARQL store here; run `{build_command(kg_dir)}` first")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise KGNotFound(f"{path}: cannot open the SPARQL store ({_one_line(str(exc))})") from None


# --- running queries ------------------------------------------------------------------

# rdflib's pyparsing grammar recurses once per nested group or triple pattern: with Python's
# default limit a block of ~150 patterns already fails. 20,000 frames in a 64 MB thread
# parse ~1,000 patterns or ~300 nested groups; anything deeper is refused, not guessed.
_PARSE_RECURSION = 20_000
_PARSE_STACK = 64 << 20
_PARSE_LOCK = threading.Lock()  # pyparsing is not thread-safe, and the limit is global
_CACHED_TEXT = 64 << 10


def checked_query(sparql: str) -> str:
    """The text to run for `sparql`; QueryRefused or QuerySyntaxError if it may not run.

    Decided on rdflib's parse of the query, never on a scan of its text: a SERVICE anywhere
    in the tree (subqueries, EXISTS, OPTIONAL, ...) is refused, an update is refused, and a
    query that rdflib cannot parse is refused even if pyoxigraph could run it (fail closed).
    Text that is not SPARQL at all gets pyoxigraph's own syntax error.
    """
    # Only short texts are cached: 512 entries of the endpoint's 1 MB maximum would hold 512 MB.
    verdict = _vet(sparql) if len(sparql) <= _CACHED_TEXT else _vet.__wrapped__(sparql)
    if isinstance(verdict, QueryError):
        raise type(verdict)(*verdict.args)  # a fresh exception: the cached one stays clean
    return verdict


@functools.lru_cache(maxsize=512)  # dashboards send the same few queries again and again
def _vet(sparql: str) -> str | QueryError:
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    # The SPARQL spec expands \u escapes before parsing, as rdflib does; pyoxigraph expands
    # them only inside strings and IRIs, so an escaped quote could hide a SERVICE from one
    # parser only. Both get the expanded text: what was checked is what runs.
    try:
        text = expandUnicodeEscapes(sparql)
        text.encode("utf-8")  # \uD800 gives a lone surrogate
    except (ValueError, UnicodeEncodeError):
        return QuerySyntaxError("SPARQL syntax error: an invalid \\u or \\U escape")
    # pyoxigraph ends a comment at CR as well as LF, pyparsing only at LF: without this,
    # "# x\rSERVICE <...> {...}\n" is a comment to rdflib and a SERVICE call to pyoxigraph.
    # Everywhere else CR and LF mean the same in both grammars.
    try:
        form = _in_deep_thread(lambda: _form_of(text.replace("\r", "\n")))
    except RecursionError:
        return QueryRefused("the query is nested too deeply, or has too many patterns in one "
                            "group, to be checked safely; split it")
    if form == "query":
        return text
    if form == "service":
        return QueryRefused("federated SERVICE calls are not allowed")
    if form == "update":
        return QueryRefused("the store is read-only: SPARQL Update is not accepted")
    syntax = _pyoxigraph_syntax_error(text)
    if syntax is not None:
        return QuerySyntaxError(syntax)
    return QueryRefused("this query uses syntax that the safety check (rdflib's SPARQL 1.1 "
                        "parser) cannot read, so it is not run (SPARQL 1.2 syntax, for one)")


class _ServiceFound(Exception):
    """Raised by the checking grammar as soon as it has matched a SERVICE pattern."""


def _form_of(text: str) -> str | None:
    """'query', 'service' or 'update' by rdflib's parse of `text`; None if it does not parse."""
    from pyparsing import ParseBaseException

    query, update = _grammars(guarded="SERVICE" in text.upper())
    for grammar, form in ((query, "query"), (update, "update")):
        try:
            tree = grammar.parse_string(text, parse_all=True)
        except _ServiceFound:
            return "service" if form == "query" else form
        except ParseBaseException:
            continue
        return "service" if form == "query" and _has_service(tree) else form
    return None


@functools.lru_cache(maxsize=2)
def _grammars(guarded: bool):
    """rdflib's query and update grammars; `guarded`: a private copy that stops at SERVICE.

    rdflib's SERVICE rule re-parses the whole query to keep the pattern's text, and with a
    SERVICE inside a SERVICE that recursion never ends (10 s of CPU, then RecursionError).
    The copy raises instead of keeping the text. It is only needed, and only built (0.5 s),
    for a text that holds the word: pyparsing matches keywords on str.upper(), so without
    "SERVICE" in text.upper() no SERVICE can parse and the plain grammar gives the same tree.
    """
    from rdflib.plugins.sparql import parser
    from rdflib.plugins.sparql.parserutils import Comp

    if not guarded:
        return parser.Query, parser.UpdateUnit
    copies: dict[int, object] = {}
    query, update = copy.deepcopy(parser.Query, copies), copy.deepcopy(parser.UpdateUnit, copies)
    for element in copies.values():
        if isinstance(element, Comp) and element.name == "ServiceGraphPattern":
            element.postParse = _stop_at_service  # type: ignore[method-assign,assignment]
    return query, update


def _stop_at_service(*_args) -> None:
    raise _ServiceFound


def _in_deep_thread(work):
    """work() in a thread with a big stack and a high recursion limit, for rdflib's parser."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = work()
        except RecursionError as exc:
            box["error"] = exc

    with _PARSE_LOCK:
        old_stack, old_limit = threading.stack_size(_PARSE_STACK), sys.getrecursionlimit()
        try:
            sys.setrecursionlimit(max(old_limit, _PARSE_RECURSION))
            thread = threading.Thread(target=run, name="sparql-check", daemon=True)
            thread.start()
            thread.join()
        finally:
            threading.stack_size(old_stack)
            sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]


def _has_service(tree) -> bool:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    todo = [tree]  # a list, not recursion: trees can be as deep as the parser allowed
    while todo:
        node = todo.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            todo.extend(node.values())
        elif isinstance(node, dict):
            todo.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            todo.extend(node)
    return False


def _pyoxigraph_syntax_error(sparql: str) -> str | None:
    # Parse-only use of pyoxigraph: Store.query parses first and only then rejects this
    # contradictory pair of options, before anything is evaluated (tests/test_query_guard.py
    # checks that nothing runs), so it yields pyoxigraph's exact syntax error, or None.
    try:
        ox.Store().query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True,
                         default_graph=ox.DefaultGraph())
    except SyntaxError as exc:
        return _syntax_message(str(exc), sparql)
    except ValueError:
        return None
    return None


def execute(store: ox.Store, sparql: str, *, limit: int | None = None) -> QueryResult:
    """Run a read-only query to completion in this thread; at most `limit` rows/triples."""
    with _evaluating(store, sparql) as answer:
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(kind="ask", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            return _select_result(answer, limit)
        triples = tuple(islice(answer, None if limit is None else limit + 1))
    return QueryResult(kind="graph", triples=triples[:limit], truncated=_over(triples, limit))


@contextmanager
def _evaluating(store: ox.Store, sparql: str) -> Iterator[ox.QueryBoolean | ox.QuerySolutions | ox.QueryTriples]:
    """pyoxigraph's lazy answer to a checked query; its errors as QueryError subclasses."""
    sparql = checked_query(sparql)
    try:
        yield store.query(sparql, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QuerySyntaxError(_syntax_message(str(exc), sparql)) from None
    except BrokenPipeError:  # the reader of the output left: not the query's fault
        raise
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {_one_line(str(exc))}") from None


@dataclass(frozen=True)
class Written:
    """What write_answer wrote: `count` rows or triples (None where pyoxigraph wrote them)."""

    kind: Kind["select", "ask", "graph"]
    count: int | None
    truncated: bool


def write_answer(store: ox.Store, sparql: str, out: BinaryIO, fmt: str, *, limit: int | None = None,
                 width: int | None = None) -> Written:
    """Run a read-only query and write its answer to `out` as `fmt`, row by row.

    Memory stays flat whatever the answer's size: pyoxigraph serialises its own lazy
    answer, or, with `limit`, a capped stream of it; the table pads its columns from its
    first TABLE_SAMPLE rows. A format that does not fit the query form is refused before
    anything is written.
    """
    spec = _format(fmt)
    with _evaluating(store, sparql) as answer:
        kind: Kind["select", "ask", "graph"] = "ask" if isinstance(answer, ox.QueryBoolean) else \
            "select" if isinstance(answer, ox.QuerySolutions) else "graph"
        _check_fits(spec, kind)
        if isinstance(answer, ox.QueryBoolean):
            out.write(serialize(QueryResult(kind="ask", boolean=bool(answer)), fmt))
            return Written("ask", None, False)
        if isinstance(answer, ox.QuerySolutions):
            header = tuple(v.value for v in answer.variables)
            rows = _Capped((tuple(sol[n] for n in header) for sol in answer), limit)
        else:
            header, rows = ("subject", "predicate", "object"), _Capped(answer, limit)
        if fmt == "table":
            cells = ((t.subject, t.predicate, t.object) for t in rows) if kind == "graph" else rows
            out.writelines(line.encode("utf-8") for line in table_lines(header, cells, width=width))
        elif kind == "graph":
            ox.serialize(rows, out, _GRAPH_FORMATS[fmt], prefixes=PREFIXES)
        elif limit is None and isinstance(answer, ox.QuerySolutions):
            answer.serialize(out, _RESULT_FORMATS[fmt])  # all in pyoxigraph: twice as fast, uncounted
            return Written("select", None, False)
        else:
            _solutions(header, rows).serialize(out, _RESULT_FORMATS[fmt])
    return Written(kind, rows.count, rows.truncated)


class _Capped:
    """The first `limit` items of an iterable (all if None), counted; `truncated` if more were left."""

    def __init__(self, items: Iterable, limit: int | None) -> None:
        self._items, self._limit = items, limit
        self.count, self.truncated = 0, False

    def __iter__(self) -> Iterator:
        for item in self._items:
            if self._limit is not None and self.count >= self._limit:
                self.truncated = True
                return
            self.count += 1
            yield item


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
    """`execute` with a time limit and no network, for one-shot processes such as the CLI."""
    return _in_query_thread(lambda: execute(store, sparql, limit=limit), timeout_s)


def stream_query(store: ox.Store, sparql: str, out: BinaryIO, fmt: str, *, timeout_s: float | None = None,
                 limit: int | None = None, width: int | None = None) -> Written:
    """`write_answer` with a time limit (writing included) and no network, for the CLI."""
    return _in_query_thread(lambda: write_answer(store, sparql, out, fmt, limit=limit, width=width), timeout_s)


def _in_query_thread(work, timeout_s: float | None):
    """work() in a thread that cannot open sockets, given up after `timeout_s`.

    pyoxigraph cannot cancel a query, but it releases the GIL while evaluating, so the
    query runs in a daemon thread that is abandoned on timeout: the caller reports the
    error and exits, and the work stops with the process. Long-lived processes must not
    use this (abandoned work would pile up); graph.rdf.server kills a worker process instead.
    The check of the query runs in that thread too, so its time counts against the limit.
    """
    box: dict[str, object] = {}

    def run() -> None:
        try:
            forbid_sockets()
            box["result"] = work()
        except BaseException as exc:  # handed to the caller's thread below
            # Without their tracebacks: those hold the frames, and so the pyoxigraph results,
            # which PyO3 reports (one more stderr line) when they die in another thread.
            exc.__context__ = None
            box["error"] = exc.with_traceback(None)

    worker = threading.Thread(target=run, name="sparql-query", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise QueryTimeout(f"query stopped after {timeout_s:g} s (time limit)")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]


def forbid_sockets() -> bool:
    """Make socket() fail with EACCES in the calling thread and in every thread it starts.

    The second layer against SERVICE, independent of the parse check: pyoxigraph has no
    option to turn its HTTP client off, so the thread (or worker process) that evaluates
    queries gets a seccomp filter that denies new sockets, DNS lookups included. Other
    threads are unaffected. False where seccomp or libseccomp is missing (not Linux).
    """
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError):  # RuntimeError: no libseccomp.so
        return False
    try:
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        rules.add_rule(pyseccomp.ERRNO(errno.EACCES), "socket")
        rules.load()
    except OSError:
        return False
    return True


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


# Only for error messages: strings, IRIs and comments are blanked so that a prefix-like
# "a:b" inside them is not blamed. Whether a query may run is never decided on text.
_OPAQUE = re.compile(r'''"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|'''
                     r'''"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>|#[^\n]*''')
_DECLARED = re.compile(r"PREFIX\s+([^\s:]*):", re.IGNORECASE)
_PREFIXED_NAME = re.compile(r"(?<![\w?$:.\-])([A-Za-z][\w.\-]*)?:")


def _blank(sparql: str) -> str:
    """The query with strings, IRI contents and comments blanked, positions unchanged."""
    def blank(m: re.Match[str]) -> str:
        shape = re.sub(r"[^\n]", " ", m.group())
        return f"<{shape[1:-1]}>" if m.group().startswith("<") else shape
    return _OPAQUE.sub(blank, sparql)


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
    _check_fits(_format(fmt), result.kind)
    if fmt == "table":
        return render_table(result, width=width).encode("utf-8")
    if result.kind == "graph":
        return ox.serialize(result.triples, format=_GRAPH_FORMATS[fmt], prefixes=_used_prefixes(result)) or b""
    if result.kind == "ask":
        return ox.parse_query_results(b"true" if result.boolean else b"false",
                                      ox.QueryResultsFormat.TSV).serialize(format=_RESULT_FORMATS[fmt]) or b""
    return _solutions(result.variables, result.rows).serialize(format=_RESULT_FORMATS[fmt]) or b""


def _format(fmt: str) -> OutputFormat:
    spec = FORMATS.get(fmt)
    if spec is None:
        raise FormatError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    return spec


def _check_fits(spec: OutputFormat, kind: str) -> None:
    if kind not in spec.kinds:
        valid = [n for n, f in FORMATS.items() if kind in f.kinds]
        form = "CONSTRUCT/DESCRIBE" if kind == "graph" else "SELECT/ASK"
        raise FormatError(f"format {spec.name!r} does not fit a {form} query; use one of {', '.join(valid)}")


def _solutions(variables: tuple[str, ...], rows: Iterable[tuple[Term | None, ...]]) -> ox.QuerySolutions:
    # pyoxigraph only serialises its own result objects; SPARQL TSV writes every term in
    # its exact N-Triples form (str(term)), so parsing it back is lossless and lets the
    # library's serialisers handle a capped or materialised answer, read lazily.
    header = "\t".join(f"?{v}" for v in variables) + "\n"
    lines = ("\t".join("" if t is None else str(t) for t in row) + "\n" for row in rows)
    stream = io.BufferedReader(_LineStream(chain([header], lines)), buffer_size=1 << 16)
    return cast(ox.QuerySolutions, ox.parse_query_results(stream, ox.QueryResultsFormat.TSV))  # a header: solutions


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


TABLE_SAMPLE = 1000  # rows that set the table's column widths; later rows are not held


def render_table(result: QueryResult, *, width: int | None = None) -> str:
    """Aligned plain-text table; with `width`, the widest columns are cut to fit."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    if result.kind == "graph":
        header: tuple[str, ...] = ("subject", "predicate", "object")
        rows: Iterable = ((tr.subject, tr.predicate, tr.object) for tr in result.triples)
    else:
        header, rows = result.variables, result.rows
    return "".join(table_lines(header, rows, width=width))


def table_lines(header: tuple[str, ...], rows: Iterable[tuple[Term | None, ...]], *,
                width: int | None = None) -> Iterator[str]:
    """The table's lines, streamed: widths and alignment come from the first TABLE_SAMPLE
    rows; a longer cell further down is cut to fit `width`, or else printed whole."""
    rows = iter(rows)
    sample = list(islice(rows, TABLE_SAMPLE))
    cells = [[term_text(t) for t in row] for row in sample]
    widths = _fit([max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)], width)
    numeric = [bool(sample) and all(_is_number(t) for r in sample if (t := r[i]) is not None)
               for i in range(len(header))]
    yield _line(header, widths, [False] * len(header))
    yield _line(["-" * w for w in widths], widths, numeric)
    for row in cells:
        yield _line(row, widths, numeric)
    del sample, cells
    for terms in rows:
        texts = [term_text(t) for t in terms]
        yield _line(texts, widths if width else [max(w, len(t)) for w, t in zip(widths, texts)], numeric)


def _line(cells: list[str] | tuple[str, ...], widths: list[int], right: list[bool]) -> str:
    return table_line(cells, widths, right).rstrip() + "\n"


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


class _LineStream(io.RawIOBase):
    """Expose an iterable of text lines as a binary stream, so bulk_load can pull lazily."""

    BATCH = 4096  # lines joined per chunk: one Python call per line would dominate the load

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines: Iterator[str] = iter(lines)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if not self._pending:
            chunk = "".join(islice(self._lines, self.BATCH)).encode("utf-8")
            if not chunk:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
