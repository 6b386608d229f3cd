"""Run every shipped query on oxigraph and on Virtuoso, and compare the answers.

    python bench/virtuoso_compare.py KG_DIR [--timeout 120] [--keep DIR]

KG_DIR is a folder written by `arxiv-kg build` (its store, kg.nt and vocab.ttl). Needs
Debian's virtuoso-opensource (virtuoso-t, isql-vt); CI does not run this.

* Virtuoso: a server of its own, in a temporary folder (database, log, ini), listening on
  two free loopback ports, and stopped (its process group: TERM, then KILL) at the end.
  kg.nt and vocab.ttl are bulk-loaded (ld_dir + rdf_loader_run) into one named graph, and
  every query is sent to its /sparql endpoint with that graph as default-graph-uri, so
  Virtuoso's own system graphs stay out. A query cut off by Virtuoso's time limit (its
  "anytime" partial answers, header X-SQL-State) counts as failed, never as an answer.
* oxigraph: `arxiv-kg query NAME --kg KG_DIR`, the KG's own store, SPARQL JSON for SELECT
  and N-Triples for CONSTRUCT. Times are of the whole process (start-up included).
* How rows are compared: each value is normalised to what it means, not how it is
  written. IRIs and strings as they are (a plain literal equals an xsd:string one), a
  language tag kept; numbers of any XSD numeric type by decimal value (Virtuoso and
  oxigraph may pick integer or decimal and write 21.0 or 21); booleans by truth value
  ("1" = "true"); dateTimes as instants in UTC ("Z" = "+00:00"); other typed literals by
  datatype and text. Same value with another datatype is listed as a note. A column made
  by GROUP_CONCAT is compared as the sorted list of its items: SPARQL leaves their order
  to the engine. Rows must be equal in order; rows equal only as a multiset are reported
  as such.
  CONSTRUCT answers are compared as sets of triples (blank nodes are not compared: the
  shipped queries have none).

Prints the load (triples in the files and in Virtuoso, time) and one line per query:
rows and seconds on each engine and the verdict. Exit status 1 if any query differs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

QUERIES = Path(__file__).resolve().parent.parent / "queries"
GRAPH = "urn:arxiv-kg:compare"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
                             "negativeInteger", "unsignedLong", "unsignedInt")}
FORM = re.compile(r"^\s*(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)
CONCAT = re.compile(r'GROUP_CONCAT\s*\((?:DISTINCT\s+)?[?$]\w+\s*;\s*SEPARATOR\s*=\s*"([^"]*)"\s*\)'
                    r"\s+AS\s+[?$](\w+)", re.IGNORECASE)
INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {load}
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
MaxQueryMem = 2G
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = 100000000
MaxQueryExecutionTime = {timeout}
MaxQueryCostEstimationTime = 400
"""


# --- Virtuoso ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Virtuoso:
    """A Virtuoso server of our own in `folder`, on loopback ports; a context manager."""

    def __init__(self, folder: Path, timeout_s: int) -> None:
        self.db, self.load_dir = folder / "db", folder / "load"
        self.db.mkdir(parents=True)
        self.load_dir.mkdir()
        self.sql_port, self.http_port = free_port(), free_port()
        self.ini = folder / "virtuoso.ini"
        self.ini.write_text(INI.format(db=self.db, load=self.load_dir, sql_port=self.sql_port,
                                       http_port=self.http_port, timeout=timeout_s))
        self.log = folder / "virtuoso.out"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Virtuoso:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([_tool("virtuoso-t"), "+foreground", "+configfile", str(self.ini)],
                                         cwd=self.db, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self._wait_online(deadline=time.monotonic() + 300)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def _wait_online(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"virtuoso-t exited ({self.proc.returncode}); see {self.log}")
            try:
                self.sparql("ASK {}", "application/sparql-results+json", timeout_s=10)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(1)
        raise SystemExit(f"Virtuoso did not come online in time; see {self.log}")

    def bulk_load(self, files: list[Path]) -> None:
        for f in files:
            (self.load_dir / f.name).symlink_to(f.resolve())
        masks = sorted({f"*{f.suffix}" for f in files})
        sql = "".join(f"ld_dir('{self.load_dir}', '{m}', '{GRAPH}'); " for m in masks)
        self.isql(sql + "rdf_loader_run(); checkpoint;")
        errors = self.isql("select ll_file, ll_error from DB.DBA.load_list where ll_error is not null;")
        if "0 Rows." not in errors:
            raise SystemExit(f"Virtuoso bulk load failed:\n{errors}")

    def isql(self, sql: str) -> str:
        done = subprocess.run([_tool("isql-vt"), f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise SystemExit(f"isql-vt failed on {sql!r}:\n{done.stdout}{done.stderr}")
        return done.stdout

    def sparql(self, query: str, accept: str, timeout_s: float) -> tuple[bytes, dict[str, str]]:
        body = urllib.parse.urlencode({"query": query, "default-graph-uri": GRAPH}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/sparql", data=body,
                                         headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            return answer.read(), dict(answer.headers.items())


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} not found: install Debian's virtuoso-opensource")
    return path


# --- answers ----------------------------------------------------------------------------

@dataclass
class Answer:
    rows: list[tuple] | None = None  # normalised; None when the query failed
    error: str = ""
    seconds: float = 0.0
    datatypes: Counter = field(default_factory=Counter)  # (variable, datatype IRI or kind)


def normalise(term: dict) -> tuple:
    """A SPARQL-JSON term as what it means (see the module docstring)."""
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return ("iri", value)
    if kind == "bnode":
        return ("bnode",)
    if "xml:lang" in term:
        return ("lang", value, term["xml:lang"].lower())
    datatype = term.get("datatype", XSD + "string")
    if datatype in NUMERIC:
        try:
            return ("number", Decimal(value).normalize())
        except InvalidOperation:
            return ("number", value)
    if datatype == XSD + "boolean":
        return ("boolean", value in ("true", "1"))
    if datatype == XSD + "dateTime":
        return ("dateTime", _instant(value))
    if datatype == XSD + "string":
        return ("string", value)
    return ("typed", datatype, value)


def _value(term: dict | None, separator: str | None) -> tuple:
    if term is None:
        return ("unbound",)
    if separator is not None:
        return ("items", tuple(sorted(term["value"].split(separator))))
    return normalise(term)


def _instant(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(timezone.utc).isoformat() if moment.tzinfo else moment.isoformat()


def from_json(data: bytes, concat: dict[str, str] | None = None) -> Answer:
    """Normalised rows; `concat` maps a GROUP_CONCAT column to its separator."""
    doc = json.loads(data)
    if "boolean" in doc:
        return Answer(rows=[(("boolean", doc["boolean"]),)])
    names, concat = doc["head"]["vars"], concat or {}
    answer = Answer(rows=[])
    for binding in doc["results"]["bindings"]:
        answer.rows.append(tuple(_value(binding.get(v), concat.get(v)) for v in names))
        for v, term in binding.items():
            answer.datatypes[v, term.get("datatype", term["type"])] += 1
    return answer


def from_ntriples(data: bytes) -> Answer:
    rows = []
    for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        rows.append(tuple(normalise(_json_term(x)) for x in (t.subject, t.predicate, t.object)))
    return Answer(rows=sorted(set(rows), key=repr))


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    if term.language:
        out["xml:lang"] = term.language
    return out


def on_oxigraph(kg: Path, name: str, graph_form: bool, concat: dict[str, str], timeout_s: float) -> Answer:
    fmt = "ntriples" if graph_form else "json"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "arxiv_kg", "query", name, "--kg", str(kg), "--format", fmt,
                           "--timeout", str(timeout_s), "--quiet"], capture_output=True, check=False)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        return Answer(error=done.stderr.decode(errors="replace").strip()[:300], seconds=seconds)
    answer = from_ntriples(done.stdout) if graph_form else from_json(done.stdout, concat)
    answer.seconds = seconds
    return answer


def on_virtuoso(server: Virtuoso, text: str, graph_form: bool, concat: dict[str, str],
                timeout_s: float) -> Answer:
    accept = "application/n-triples" if graph_form else "application/sparql-results+json"
    start = time.monotonic()
    try:
        data, headers = server.sparql(text, accept, timeout_s=timeout_s + 60)
    except urllib.error.HTTPError as exc:
        message = exc.read().decode(errors="replace").strip().splitlines()[0][:300]
        return Answer(error=f"HTTP {exc.code}: {message}", seconds=time.monotonic() - start)
    seconds = time.monotonic() - start
    partial = {k: v for k, v in headers.items() if k.lower().startswith("x-sql-")}
    if partial:  # an "anytime" answer: whatever was found before the time limit
        return Answer(error=f"partial answer {partial}", seconds=seconds)
    answer = from_ntriples(data) if graph_form else from_json(data, concat)
    answer.seconds = seconds
    return answer


def verdict(ox_answer: Answer, v_answer: Answer) -> str:
    if ox_answer.rows is None or v_answer.rows is None:
        return "FAILED: " + "; ".join(f"{who}: {a.error}" for who, a in
                                      (("oxigraph", ox_answer), ("virtuoso", v_answer)) if a.rows is None)
    if ox_answer.rows == v_answer.rows:
        return "same rows"
    if Counter(ox_answer.rows) == Counter(v_answer.rows):
        return "same rows, other order"
    only_ox = Counter(ox_answer.rows) - Counter(v_answer.rows)
    only_v = Counter(v_answer.rows) - Counter(ox_answer.rows)
    return (f"DIFFERENT: {sum(only_ox.values())} rows only on oxigraph (e.g. {next(iter(only_ox), None)}), "
            f"{sum(only_v.values())} only on virtuoso (e.g. {next(iter(only_v), None)})")


def datatype_notes(ox_answer: Answer, v_answer: Answer) -> list[str]:
    ox_types = {v: t for (v, t) in ox_answer.datatypes}
    return [f"?{v}: oxigraph {ox_types[v].removeprefix(XSD)}, virtuoso {t.removeprefix(XSD)}"
            for (v, t) in sorted(v_answer.datatypes) if v in ox_types and ox_types[v] != t]


# --- main -------------------------------------------------------------------------------

def triples_in(files: list[Path]) -> int:
    return sum(1 for f in files for _ in ox.parse(path=str(f), format=ox.RdfFormat.from_extension(f.suffix[1:])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kg", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="per query, seconds, on both engines")
    parser.add_argument("--keep", type=Path, help="keep Virtuoso's folder here (default: a temporary one)")
    args = parser.parse_args()
    files = [args.kg / "kg.nt", args.kg / "vocab.ttl"]
    for f in files:
        if not f.is_file():
            raise SystemExit(f"{f} not found: build the KG with the default --formats (kg.nt)")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="virtuoso-compare-"))
    try:
        return compare(args.kg, files, folder, args.timeout)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def compare(kg: Path, files: list[Path], folder: Path, timeout_s: int) -> int:
    expected = triples_in(files)
    with Virtuoso(folder, timeout_s) as server:
        start = time.monotonic()
        server.bulk_load(files)
        loaded = from_json(server.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                         "application/sparql-results+json", 600)[0]).rows[0][0][1]
        print(f"Virtuoso (127.0.0.1:{server.http_port}): loaded {loaded:,} triples of {expected:,} in "
              f"{', '.join(f.name for f in files)} in {time.monotonic() - start:.1f} s")
        print(f"{'query':28} {'oxigraph':>16} {'virtuoso':>16}  verdict")
        failures = 0
        for path in sorted(QUERIES.glob("*.rq")):
            text = path.read_text("utf-8")
            graph_form = FORM.search(re.sub(r"#.*", "", text)).group(1).upper() in ("CONSTRUCT", "DESCRIBE")
            concat = {var: sep for sep, var in CONCAT.findall(text)}
            ox_answer = on_oxigraph(kg, path.stem, graph_form, concat, timeout_s)
            v_answer = on_virtuoso(server, text, graph_form, concat, timeout_s)
            result = verdict(ox_answer, v_answer)
            failures += result != "same rows"
            print(f"{path.stem:28} {_cell(ox_answer):>16} {_cell(v_answer):>16}  {result}")
            for note in datatype_notes(ox_answer, v_answer):
                print(f"{'':28}   note: datatype differs: {note}")
    print(f"{failures} of {len(list(QUERIES.glob('*.rq')))} queries differ or failed")
    return 1 if failures else 0


def _cell(answer: Answer) -> str:
    rows = "-" if answer.rows is None else f"{len(answer.rows):,}"
    return f"{rows} rows {answer.seconds:5.2f}s"


if __name__ == "__main__":
    sys.exit(main())
