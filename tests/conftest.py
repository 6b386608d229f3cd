"""Shared fixtures: the bundled sample built once per session, and small digest helpers."""
from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from reference import load_corpus, save_corpus

from arxiv_kg.cli import main
from graph.model.records import Corpus
from graph.tables.build import write_kg
from graph.tables.ingest import staged
from graph.tables.kg import build_graph

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def sample_kg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KG folder built by `arxiv-kg build` from the bundled sample (214 papers)."""
    out = tmp_path_factory.mktemp("sample-kg")
    result = CliRunner().invoke(main, ["build", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def sample_gen(sample_kg: Path) -> Path:
    """The sample KG's current generation folder: where its tables, exports and store are."""
    return current(sample_kg)


def current(kg: Path) -> Path:
    """The folder of a KG's current generation."""
    return Path(os.path.realpath(kg / "current"))


def private_copy(kg: Path, folder: Path) -> Path:
    """A copy of a KG folder that a test may change (its links kept, analysis caches left out)."""
    return Path(shutil.copytree(kg, folder, symlinks=True, ignore=shutil.ignore_patterns("cache")))


@pytest.fixture(scope="session")
def sample_report(sample_kg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of the sample KG, written by `arxiv-kg report`."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(main, ["report", "--kg", str(sample_kg), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def sample_corpus(sample_gen: Path) -> Corpus:
    return load_corpus(sample_gen)


@pytest.fixture(scope="session")
def sample_graph(sample_gen: Path) -> nx.DiGraph:
    return build_graph(sample_gen)


def kg_of(corpus: Corpus, folder: Path) -> Path:
    """A KG folder holding a hand-made corpus's tables (papers sorted by ID, as ingest does)."""
    save_corpus(replace(corpus, papers=tuple(sorted(corpus.papers, key=lambda p: p.arxiv_id))), folder)
    return folder


def graph_of(corpus: Corpus, folder: Path) -> nx.DiGraph:
    """The networkx view of a hand-made corpus, through its tables."""
    return build_graph(kg_of(corpus, folder))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def corpus_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """corpus_of(text, ...): digests f0.md, f1.md, ... built by the engine and read back."""
    monkeypatch.chdir(tmp_path)

    def build(*texts: str) -> Corpus:
        names = [f"f{i}.md" for i in range(len(texts))]
        for name, text in zip(names, texts):
            Path(name).write_text(text, encoding="utf-8")
        out = Path("kg")
        with staged(names, out, jobs=1) as found:
            write_kg(found, out, jobs=1)
        return load_corpus(out)

    return build


def digest(*records: str, day: str = "2021-05-31") -> str:
    """A digest file's text with the given record blocks."""
    return f"# Arxiv Papers in cs.CV on {day}\n" + "\n\n\n".join(records) + "\n"


def record(arxiv_id: str = "2105.14656v2", *, title: str = "A Title", authors: str = "Ann Lee, Bo Chen",
           categories: str = "**cs.CV**, cs.LG", published: str = "2021-05-31 00:49:34+00:00",
           updated: str = "2021-06-01 10:00:00+00:00", doi: str = "None", comment: str = "None",
           journal: str = "None", summary: str = "An abstract.") -> str:
    """One record block in the digest layout, with every field overridable."""
    return (f"### {title}\n- **Arxiv ID**: http://arxiv.org/abs/{arxiv_id}\n- **DOI**: {doi}\n"
            f"- **Categories**: {categories}\n- **Links**: [PDF](http://arxiv.org/pdf/{arxiv_id})\n"
            f"- **Published**: {published}\n- **Updated**: {updated}\n- **Authors**: {authors}\n"
            f"- **Comment**: {comment}\n- **Journal**: {journal}\n- **Summary**: {summary}")


def request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
            method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one HTTP request; error statuses are answers too."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()
