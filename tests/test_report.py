"""`arxiv-kg report` on the bundled sample: one self-contained page whose numbers are those of
summary.json, `stats` and `authors`, byte-identical from run to run."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import current, private_copy
from reference import project

from arxiv_kg.cli import main
from graph.generations import writing
from graph.model.records import Corpus
from graph.report import counts, figures, quality
from graph.report.selection import Filters, select
from graph.tables.persist import write_table
from graph.tables.schema import REJECTED as REJECTED_TABLE

SECTIONS = ["overview", "production", "authors", "collaboration", "categories", "code", "quality"]


class Cells(HTMLParser):
    """The page's `data-key` cells, table rows by table id, section ids and every src/href."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: list[str] = []
        self.links: list[str] = []
        self._key: str | None = None
        self._table: str | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.links += [v for k, v in attrs if k in ("src", "href", "xlink:href") and v]
        if tag == "section":
            self.sections.append(a["id"])
        elif tag == "table" and "id" in a:
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "span") and "data-key" in a:
            self._key = a["data-key"]
            self.keys[self._key] = ""
        if tag == "td" and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span"):
            self._key = None
        elif tag == "tr" and self._row:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._key:
            self.keys[self._key] += data
        if self._row is not None and self._row:
            self._row[-1] += data


def parsed(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def number(text: str) -> float:
    return float(text.replace(",", "").replace("%", "").strip())


def run(runner: CliRunner, *args: str, ok: bool = True):
    result = runner.invoke(main, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
        assert "Traceback" not in result.output
    return result


@pytest.fixture
def report(sample_report: Path) -> Path:
    return sample_report


REJECTED = [{"file": "a.md", "line": 0, "reason": "empty file"},
            {"file": "b.md", "line": 12, "reason": "a line of 2,000,000 characters"},
            {"file": "c.md", "line": 0, "reason": "empty file"}]
FILTERS = ["--since", "2021", "--category", "cs.LG", "--max-authors", "10"]


@pytest.fixture(scope="module")
def filtered(sample_kg: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report, with FILTERS, of a copy of the sample KG with rejections, built (as it were)
    before data quality was recorded: no quality section, no quality table (one page rendered
    for several tests)."""
    kg = private_copy(sample_kg, tmp_path_factory.mktemp("kg-with-quality") / "kg")
    replaced = ("quality.parquet", "summary.json", REJECTED_TABLE.file)
    with writing(kg) as draft:  # a generation like the sample's, with those files changed
        base = draft.base
        assert base is not None
        for name in base.manifest["files"]:
            if name not in replaced:
                draft.reuse(name)
        draft.extra.update({k: v for k, v in base.manifest.items()
                            if k not in ("format", "generation", "parent", "files")})
        summary = json.loads((base.path / "summary.json").read_text())
        (draft.path / "summary.json").write_text(json.dumps({k: v for k, v in summary.items() if k != "quality"}))
        write_table(pa.Table.from_pylist(REJECTED, schema=REJECTED_TABLE.schema),
                    draft.path / REJECTED_TABLE.file)
    return run(CliRunner(), "report", "--kg", str(kg), "-o", "-", *FILTERS, "--quiet").stdout


def test_help_has_an_example(runner: CliRunner) -> None:
    result = run(runner, "report", "--help")
    assert "Example:" in result.stdout and "arxiv-kg report" in result.stdout


def test_same_kg_gives_a_byte_identical_file(report: Path, sample_kg: Path, tmp_path: Path) -> None:
    # Another process with another hash seed: no set or dict order may leak into the page.
    again = tmp_path / "again.html"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "arxiv_kg", "report", "--kg", str(sample_kg),
                    "-o", str(again), "--quiet"], check=True, env=env)
    assert again.read_bytes() == report.read_bytes()


def test_page_is_self_contained_and_small(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    cells = parsed(html)
    assert cells.sections == SECTIONS
    assert "<script" not in html.lower()  # readable with scripts off: there are none
    # Links go to the page's own anchors; images are inline (the heat map's colour bar).
    assert all(link.startswith(("#", "data:image/png;base64,")) for link in cells.links)
    assert not re.search(r"url\((?!#)", html)  # no stylesheet or image fetched
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # the figures' SVG ids do not collide
    assert html.count("<svg") >= 12
    assert report.stat().st_size < 5_000_000


def test_overview_matches_summary_json(report: Path, sample_kg: Path) -> None:
    summary = json.loads((current(sample_kg) / "summary.json").read_text())
    keys = parsed(report.read_text(encoding="utf-8")).keys
    for key in ("files", "records", "papers", "authors", "categories", "repositories", "links"):
        assert number(keys[key]) == summary[key], key
    assert number(keys["rejected"]) == len(summary["rejected"])
    assert number(keys["lotka-authors"]) == summary["authors"]


def test_network_figures_match_stats_and_authors(report: Path, sample_kg: Path,
                                                 runner: CliRunner) -> None:
    cells = parsed(report.read_text(encoding="utf-8"))
    stats = json.loads(run(runner, "stats", "--kg", str(sample_kg), "--format", "json",
                           "--quiet").stdout)["stats"]
    for key in ("nodes", "edges", "components", "giant_nodes", "communities"):
        assert number(cells.keys[key]) == stats[key], key
    assert number(cells.keys["giant_share"]) == pytest.approx(100 * stats["giant_share"], abs=0.005)
    assert number(cells.keys["modularity"]) == pytest.approx(stats["modularity"], abs=5e-5)
    for by, table, column in (("pagerank", "top-by-pagerank", "pagerank"),
                              ("papers", "top-by-papers", "papers")):
        rows = json.loads(run(runner, "authors", "--kg", str(sample_kg), "--by", by, "--top", "5",
                              "--format", "json", "--quiet").stdout)["rows"]
        shown = cells.tables[table][:5]
        assert [r[1] for r in shown] == [r["name"] for r in rows]
        assert [number(r[2]) for r in shown] == pytest.approx([r[column] for r in rows], rel=1e-5)


def test_filters_are_stated_and_select_the_projections_papers(filtered: str,
                                                              sample_corpus: Corpus) -> None:
    cells = parsed(filtered)
    proj = project(sample_corpus, since="2021", category="cs.LG", max_authors=10)
    assert number(cells.keys["selected-papers"]) == proj.papers_used + proj.papers_left_out
    assert number(cells.keys["nodes"]) == len(proj.keys)
    stated = re.search(r'<dl class="filters".*?</dl>', filtered, re.DOTALL)[0]
    assert "2021" in stated and "cs.LG" in stated and ">10<" in stated


@pytest.mark.parametrize("since,until", [("2021", "2021-05"), ("2021-05-31", "2021-05-31"),
                                         ("2005", None), (None, "2005-05"), ("2099", None)])
def test_selection_follows_the_projections_date_rules(sample_kg: Path, sample_corpus: Corpus,
                                                       since: str | None,
                                                       until: str | None) -> None:
    sel = select(current(sample_kg), Filters(since=since, until=until, max_authors=0))
    proj = project(sample_corpus, since=since, until=until, max_authors=0)
    assert sorted(sel.papers["arxiv_id"].to_pylist()) == sorted(p.arxiv_id for p in proj.papers)


def test_a_short_range_is_shown_per_month(sample_kg: Path) -> None:
    sel = select(current(sample_kg), Filters(since="2021", until="2026"))
    assert sel.unit == "year" and sel.periods[0] == "2021" and sel.periods[-1] == "2026"
    sel = select(current(sample_kg), Filters(since="2021", until="2021"))
    assert sel.unit == "month" and sel.periods == ("2021-05",)


def test_an_empty_selection_still_makes_a_page(sample_kg: Path, runner: CliRunner) -> None:
    html = run(runner, "report", "--kg", str(sample_kg), "-o", "-", "--since", "2099",
               "--quiet").stdout
    cells = parsed(html)
    assert cells.sections == SECTIONS
    assert number(cells.keys["selected-papers"]) == 0 and number(cells.keys["nodes"]) == 0
    assert "Nothing to draw" in html


@pytest.mark.parametrize("args,message", [(["--since", "May 2021"], "since must be a date"),
                                          (["--kg", "no-such-kg"], "no knowledge graph here")])
def test_bad_input_is_one_line_without_traceback(sample_kg: Path, runner: CliRunner, tmp_path: Path,
                                                 args: list[str], message: str) -> None:
    result = run(runner, "report", "--kg", str(sample_kg), "-o", str(tmp_path / "r.html"), *args,
                 ok=False)
    assert message in result.output
    assert not (tmp_path / "r.html").exists()


def test_rejected_records_are_listed_by_reason(filtered: str) -> None:
    assert parsed(filtered).tables["rejected-reasons"] == [
        ["empty file", "2", "a.md:0, c.md:0"], ["a line of N characters", "1", "b.md:12"]]


def test_count_axes_have_whole_distinct_ticks() -> None:
    svg = figures.svg("t", lambda: figures.ranked_bars([("", (("a", 2), ("b", 1)), "n", "{:,}")]))
    ticks = re.findall(r">([\d,.]+)</text>", svg)
    labels = ticks[:-2]  # the last two are the bars' own values
    assert labels == sorted(set(labels), key=float) and all("." not in t for t in labels)


def test_lotka_fits_an_exact_power_law() -> None:
    rows = [(f"a{n}-{i}", f"p{n}-{j}") for n in range(1, 8) for i in range(round(4900 / n ** 2))
            for j in range(n)]
    law = counts.lotka(pa.table({"author_key": [a for a, _ in rows],
                                 "arxiv_id": [p for _, p in rows]}))
    assert law.distribution[:3] == ((1, 4900), (2, 1225), (3, 544))
    assert law.exponent == pytest.approx(2.0, abs=0.01)
    assert law.constant == pytest.approx(4900, rel=0.02)
    assert counts.lotka(pa.table({"author_key": ["a"], "arxiv_id": ["p"]})).exponent is None


def test_rejections_are_grouped_by_reason_without_their_numbers() -> None:
    table = pa.table({"file": ["a.md", "b.md", "c.md"], "line": [3, 7, 0],
                      "reason": ["a line of 1,048,577 characters", "a line of 2,000,000 characters",
                                 "malformed field line '- **Foo'"]})
    grouped = quality.rejected_by_reason(table)
    assert grouped[0] == quality.Counted("a line of N characters", 2, ("a.md:3", "b.md:7"))
    assert grouped[1].label == "malformed field line '…'"


def test_quality_rows_are_the_summarys_rules_with_the_tables_examples(sample_kg: Path) -> None:
    summary = json.loads((current(sample_kg) / "summary.json").read_text())
    rows = quality.name_quality(sample_kg, summary)
    table = pq.read_table(sample_kg / "quality.parquet").to_pylist()
    by_rule = Counter(f"{r['field']}: {r['rule']} ({r['action']})" for r in table)
    assert {r.label: r.count for r in rows} == by_rule and len(rows) > 1
    assert [r.count for r in rows] == sorted((r.count for r in rows), reverse=True)
    first = next(r for r in table if f"{r['field']}: {r['rule']} ({r['action']})" == rows[0].label)
    assert rows[0].examples[0].startswith(f"{first['file']}:{first['line']}: {first['original']}")
    assert quality.name_quality(sample_kg, {}) == () and quality.name_quality(sample_kg, {"quality": []}) == ()


def test_the_quality_section_is_rendered_when_present(filtered: str, report: Path, sample_kg: Path) -> None:
    summary = json.loads((current(sample_kg) / "summary.json").read_text())
    expected = quality.name_quality(sample_kg, summary)
    assert parsed(report.read_text(encoding="utf-8")).tables["name-classes"] == [
        [r.label, f"{r.count:,}", "; ".join(r.examples)] for r in expected]
    assert "name-classes" not in parsed(filtered).tables


def test_lotka_exponent_shown_is_fitted_on_every_authorship(report: Path,
                                                           sample_corpus: Corpus) -> None:
    rows = [(k, p.arxiv_id) for p in sample_corpus.papers for k in p.authors]
    law = counts.lotka(pa.table({"author_key": [k for k, _ in rows],
                                 "arxiv_id": [p for _, p in rows]}))
    keys = parsed(report.read_text(encoding="utf-8")).keys
    assert keys["lotka-exponent"] == f"{law.exponent:.2f}"
