"""`arxiv-kg query` streams its answer (graph.rdf.store.write_answer): same bytes, flat memory."""
from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from arxiv_kg.cli import main
from graph.rdf.load import create_store
from graph.rdf.store import (
    FORMATS,
    TABLE_SAMPLE,
    FormatError,
    execute,
    open_store,
    serialize,
    store_path,
    write_answer,
)

EX = "http://example.org/"
SELECT = f"SELECT ?s ?o {{ ?s <{EX}p> ?o }} ORDER BY ?s"
CONSTRUCT = f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o }}"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More rows than the table samples; the last one far wider than any before it."""
    folder = tmp_path_factory.mktemp("big")
    n = TABLE_SAMPLE + 200
    lines = [f'<{EX}s{i:05d}> <{EX}p> "{"w" * (300 if i == n - 1 else 5)}" .\n' for i in range(n)]
    create_store(store_path(folder), lines)
    return folder


def written(kg: Path, query: str, fmt: str, **options) -> tuple[bytes, object]:
    out = io.BytesIO()
    info = write_answer(open_store(kg), query, out, fmt, **options)
    return out.getvalue(), info


@pytest.mark.parametrize("fmt", [f for f, spec in FORMATS.items() if "select" in spec.kinds])
@pytest.mark.parametrize("limit", [None, 7])
def test_select_streams_the_same_bytes_as_the_materialised_answer(big: Path, fmt: str, limit) -> None:
    body, info = written(big, SELECT, fmt, limit=limit)
    if fmt == "table":
        # The table pads from a sample: compare the cells, not the padding.
        expected = serialize(execute(open_store(big), SELECT, limit=limit), fmt)
        assert [line.split() for line in body.splitlines()] == [line.split() for line in expected.splitlines()]
    else:
        assert body == serialize(execute(open_store(big), SELECT, limit=limit), fmt)
    rows = TABLE_SAMPLE + 200 if limit is None else limit
    assert (info.kind, info.truncated) == ("select", limit is not None)
    assert info.count == (None if fmt != "table" and limit is None else rows)  # pyoxigraph's own: uncounted


@pytest.mark.parametrize("fmt, rdf_format", [("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES),
                                              ("rdfxml", ox.RdfFormat.RDF_XML), ("jsonld", ox.RdfFormat.JSON_LD)])
def test_construct_streams_every_rdf_format(big: Path, fmt: str, rdf_format) -> None:
    body, info = written(big, CONSTRUCT, fmt, limit=50)
    parsed = {q.triple for q in ox.parse(body, rdf_format)}
    assert parsed == set(execute(open_store(big), CONSTRUCT, limit=50).triples)
    assert (info.count, info.truncated) == (50, True)


def test_a_long_cell_after_the_sample_is_printed_whole(big: Path) -> None:
    body, _ = written(big, SELECT, "table")
    lines = body.decode().splitlines()
    assert len(lines) == 2 + TABLE_SAMPLE + 200
    assert lines[-1].endswith("w" * 300)  # not cut to the sampled width
    assert {len(line) for line in lines[2:-1]} == {len(lines[2])}  # the rest stay aligned
    narrow, _ = written(big, SELECT, "table", width=40)
    assert max(len(line) for line in narrow.decode().splitlines()) <= 40


def test_a_format_that_does_not_fit_writes_nothing(big: Path) -> None:
    out = io.BytesIO()
    with pytest.raises(FormatError, match="does not fit"):
        write_answer(open_store(big), CONSTRUCT, out, "csv")
    assert out.getvalue() == b""


def test_cli_streams_rdfxml_and_jsonld(runner, sample_kg: Path) -> None:
    for fmt, rdf_format in (("rdfxml", ox.RdfFormat.RDF_XML), ("jsonld", ox.RdfFormat.JSON_LD)):
        result = runner.invoke(main, ["query", "--kg", str(sample_kg), "ego-network", "--format", fmt])
        assert result.exit_code == 0, result.output
        triples = list(ox.parse(result.stdout_bytes, rdf_format))
        assert triples and f"{len(triples)} triples" in result.stderr
