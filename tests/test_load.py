"""Loading the SPARQL store in a child process (graph.rdf.load.StoreLoader) and the tables'
streaming reads (graph.tables.scan)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.rdf.load import StoreLoader, StoreLoadError
from graph.rdf.store import open_store
from graph.tables import scan
from graph.tables.persist import iso

EX = "http://example.org/"


def _chunk(n: int, tag: str = "v") -> bytes:
    return "".join(f'<{EX}s{i}> <{EX}p> "{tag}{i}" .\n' for i in range(n)).encode("utf-8")


def test_loader_loads_what_is_written_to_it(tmp_path: Path) -> None:
    with StoreLoader(tmp_path / "store") as loader:
        for _ in range(3):
            loader.write(_chunk(1000))  # the same triples three times: stored once
        loader.write(_chunk(10, tag="w"))
        stats = loader.close()
    assert stats.triples == 1010 == len(open_store(tmp_path))
    assert stats.load_s >= 0 and stats.optimize_s >= 0 and stats.cpu_s >= 0


def test_loader_reports_bad_ntriples_and_keeps_the_old_store(tmp_path: Path) -> None:
    with StoreLoader(tmp_path / "store") as loader:
        loader.write(_chunk(5))
        loader.close()
    with StoreLoader(tmp_path / "store") as loader:
        loader.write(b'<http://example.org/s> <http://example.org/p> "no closing quote .\n')
        with pytest.raises(StoreLoadError, match="invalid N-Triples"):
            loader.close()
    assert len(open_store(tmp_path)) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_leaving_the_block_by_an_error_stops_the_loader(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), StoreLoader(tmp_path / "store") as loader:
        loader.write(_chunk(5))
        raise RuntimeError("the renderer failed")
    assert list(tmp_path.iterdir()) == []  # no store, no temporary folder


_UTC = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(timezone.utc))


@given(st.lists(st.one_of(_UTC, _UTC.map(lambda d: d.replace(microsecond=0)), st.none()), max_size=20))
def test_iso_texts_are_the_isoformat_of_each_timestamp(stamps) -> None:
    texts = scan.iso_texts(pa.array(stamps, pa.timestamp("us", tz="UTC"))).to_pylist()
    assert texts == [None if s is None else iso(s) for s in stamps]


def test_iso_texts_of_another_zone_are_utc() -> None:
    paris = timezone(timedelta(hours=2))
    stamps = pa.array([datetime(2021, 5, 31, 9, 0, tzinfo=paris)], pa.timestamp("ms", tz="+02:00"))
    assert scan.iso_texts(stamps).to_pylist() == ["2021-05-31T07:00:00+00:00"]
