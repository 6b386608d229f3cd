"""`arxiv-kg query` and `arxiv-kg serve`: SPARQL over the KG's embedded store."""
from __future__ import annotations

import re
import shutil
import signal
import sys
from pathlib import Path

import click

from arxiv_kg.common import domain_errors, kg_option, quiet_option, warn
from graph.errors import InputError
from graph.generations import open_kg
from graph.rdf.server import (
    DEFAULT_HOST,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_ROWS,
    DEFAULT_MEMORY_MB,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT_S,
    DEFAULT_WORKERS,
    ServerOptions,
    start,
    stop,
)
from graph.rdf.store import FORMATS, open_store, shipped_queries, stream_query

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


@click.command()
@kg_option
@click.argument("query_arg", metavar="QUERY", required=False)
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True,
              help="table, or SPARQL results json/xml/csv/tsv; turtle/ntriples/rdfxml/jsonld for "
                   "CONSTRUCT/DESCRIBE. Every format streams; the table sizes its columns from "
                   "the first 1,000 rows.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_TIMEOUT_S, show_default=True,
              help="Stop the query after this many seconds, writing the answer included.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Print at most this many rows (or triples).")
@click.option("--list", "list_queries", is_flag=True, help="List the shipped example queries and exit.")
@quiet_option
@domain_errors
def query(kg_dir: str, query_arg: str | None, fmt: str, timeout_s: float, limit: int | None,
          list_queries: bool, quiet: bool) -> None:
    """Run a read-only SPARQL query against the knowledge graph's store.

    QUERY is SPARQL text, @FILE.rq, - for stdin, or the name of a shipped
    example query (see --list). The prefixes schema, dcterms, bibo, skos,
    dblp, akg, rdf, rdfs, xsd and owl are predefined.

    \b
    Example:
      arxiv-kg query top-authors
      arxiv-kg query 'SELECT (COUNT(*) AS ?n) { ?p a schema:ScholarlyArticle }'
      arxiv-kg query @my.rq --format csv > out.csv
      arxiv-kg query ego-network --format turtle
    """
    if list_queries:
        for q in shipped_queries().values():
            click.echo(f"{q.name:28} {q.description}")
        return
    if query_arg is None:
        raise click.UsageError("missing QUERY (SPARQL text, @file.rq, - or a name from --list)")
    sparql = _read_query(query_arg)
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    out = sys.stdout.buffer  # bytes: pyoxigraph writes its serialisations straight into it
    generation = open_kg(kg_dir)  # held while the query runs: no writer removes it
    store = open_store(generation.path)
    written = stream_query(store, sparql, out, fmt, timeout_s=timeout_s, limit=limit, width=width)
    out.flush()
    if written.count is not None:
        more = f" (cut at --limit {limit})" if written.truncated else ""
        warn(f"{written.count} {'triples' if written.kind == 'graph' else 'rows'}{more}", quiet)


def _read_query(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        try:
            return Path(arg[1:]).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read query file {arg[1:]}: {exc}") from None
    if _NAME.fullmatch(arg):
        shipped = shipped_queries()
        if arg in shipped:
            return shipped[arg].path.read_text("utf-8")
        raise InputError(f"{arg!r} is neither SPARQL nor a shipped query; "
                         f"shipped: {', '.join(shipped)}")
    return arg


@click.command()
@kg_option
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to bind; the default accepts only local connections.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port (0 picks a free one).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_TIMEOUT_S, show_default=True, help="Per-query time limit in seconds.")
@click.option("--max-rows", type=click.IntRange(min=1), default=DEFAULT_MAX_ROWS, show_default=True,
              help="Cap on rows (or triples) per answer; cut answers carry X-Result-Truncated: true.")
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS,
              show_default=True, help="Queries that may start at once; as many again are kept "
                                      "for queries that run long.")
@click.option("--max-connections", type=click.IntRange(min=1), default=DEFAULT_MAX_CONNECTIONS,
              show_default=True, help="Open connections at most; idle ones make room, busy ones get 503.")
@click.option("--memory-limit", "memory_mb", type=click.IntRange(min=0), default=DEFAULT_MEMORY_MB,
              show_default=True, help="MB of memory one query may use (503 past it); 0: no limit.")
@quiet_option
@domain_errors
def serve(kg_dir: str, host: str, port: int, timeout_s: float, max_rows: int, workers: int,
          max_connections: int, memory_mb: int, quiet: bool) -> None:
    """Serve the knowledge graph as a read-only SPARQL 1.1 endpoint.

    GET, HEAD or POST /sparql (query= or application/sparql-query), with
    content negotiation (SPARQL JSON/XML/CSV/TSV; Turtle, N-Triples, RDF/XML,
    JSON-LD) and CORS, so browser tools such as YASGUI can use it. Updates
    and SERVICE are refused. Open / in a browser for a small query page.
    Requests are logged to stderr. The KG's current generation when the server starts is
    the one served: restart it to serve an update.

    \b
    Example:
      arxiv-kg serve --kg out/
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 5' \\
           http://127.0.0.1:7878/sparql
    """
    generation = open_kg(kg_dir)  # served as it is now; a later update needs a restart
    options = ServerOptions(kg_dir=str(generation.path), host=host, port=port, timeout_s=timeout_s, max_rows=max_rows,
                            workers=workers, quiet=quiet, max_connections=max_connections, memory_mb=memory_mb)
    server = start(options)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the server as cleanly as Ctrl-C
    if host not in ("127.0.0.1", "localhost", "::1"):
        warn(f"warning: listening on {host}: other machines can query this endpoint", quiet=False)
    click.echo(f"SPARQL endpoint at {server.url} (query page at {server.url[:-len('sparql')]}); "
               "Ctrl-C stops", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop(server)


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


COMMANDS = [query, serve]
