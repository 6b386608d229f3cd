"""graph.analysis.projection: the co-author network, its weights, its filters and its bound."""
from __future__ import annotations

from collections import Counter
from itertools import combinations

import networkx as nx
import pytest
from conftest import current
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import project

from graph.analysis import projection
from graph.analysis.cache import Cache
from graph.analysis.coauthors import Coauthors, open_coauthors
from graph.analysis.filters import Filters
from graph.analysis.projection import DEFAULT_MAX_AUTHORS, FilterError, Projection, TooManyPairs
from graph.model.records import Author, Corpus, Paper


def paper(number: int, authors: list[str] | tuple[str, ...], *, published: str = "2021-05-31",
          categories: tuple[str, ...] = ("cs.CV",), title: str | None = None) -> Paper:
    date = f"{published}T00:49:34+00:00"
    return Paper(arxiv_id=f"2105.{number:05d}", version=1, versions=(1,),
                 title=title or f"Paper {number}", dois=(), primary_category=categories[0],
                 categories=categories, subject_classes=(), published=date, updated=date,
                 authors=tuple(authors), comment=None, journal_ref=None, abstract="",
                 repositories=(), links=(), mentions=(), sources=())


def corpus(*papers: Paper) -> Corpus:
    counts = Counter(k for p in papers for k in set(p.authors))
    authors = {k: Author(k, k.title(), (k.title(),), n) for k, n in sorted(counts.items())}
    return Corpus(papers=tuple(papers), authors=authors)


def naive(papers: list[Paper], max_authors: int = 0) -> tuple[Counter, dict, Counter]:
    """Reference projection: per pair the joint papers and Newman's sum of 1/(n-1)."""
    joint: Counter = Counter()
    fractional: dict = {}
    authored: Counter = Counter()
    for p in papers:
        authors = sorted(set(p.authors))
        if max_authors and len(authors) > max_authors:
            continue
        authored.update(authors)
        for pair in combinations(authors, 2):
            joint[pair] += 1
            fractional[pair] = fractional.get(pair, 0.0) + 1 / (len(authors) - 1)
    return joint, fractional, authored


def reference(c: Corpus, *, counting: str = "full", max_authors: int = DEFAULT_MAX_AUTHORS,
              category: str | None = None, primary_only: bool = False, since: str | None = None,
              until: str | None = None, min_papers: int = 1,
              include_organisations: bool = False) -> tuple[list, dict, dict]:
    """The projection as the Python code before the columnar engine made it, kept as the
    oracle: (sorted keys, {key: papers}, {(key, key): (joint papers, weight)}), dates compared
    as ISO prefixes and fractional weights summed per paper size in ascending size order;
    organisations left out of every author list unless included."""
    def selected(p: Paper) -> bool:
        if category is not None and (p.primary_category != category if primary_only else
                                     category not in (*p.categories, p.primary_category)):
            return False
        if since is not None and p.published[:len(since)] < since:
            return False
        return until is None or p.published[:len(until)] <= until

    left_out = frozenset() if include_organisations else c.organisation_keys()
    lists = [tuple(k for k in dict.fromkeys(p.authors) if k not in left_out) for p in c.papers if selected(p)]
    used = [a for a in lists if not max_authors or len(a) <= max_authors]
    counts = Counter(k for a in used for k in a)
    keys = sorted(k for k, n in counts.items() if n >= min_papers)
    joint: Counter = Counter()
    by_size: dict[int, Counter] = {}
    for authors in used:
        for pair in combinations(sorted(k for k in authors if counts[k] >= min_papers), 2):
            joint[pair] += 1
            by_size.setdefault(len(authors), Counter())[pair] += 1
    weights = dict.fromkeys(joint, 0.0)
    for size in sorted(by_size):
        for pair, n in by_size[size].items():
            weights[pair] += n / (size - 1)
    chosen = weights if counting == "fractional" else joint
    return keys, {k: counts[k] for k in keys}, {pair: (joint[pair], chosen[pair]) for pair in joint}


def as_reference(proj: Projection) -> tuple[list, dict, dict]:
    keys = proj.keys
    edges = {(keys[a], keys[b]): (p, w) for a, b, p, w in zip(
        proj.sources.tolist(), proj.targets.tolist(), proj.edge_papers.tolist(),
        proj.edge_weights.tolist())}
    return list(keys), dict(zip(keys, proj.paper_counts.tolist())), edges


def same_bits(ours: tuple[list, dict, dict], expected: tuple[list, dict, dict]) -> bool:
    """Equal keys, counts and edges, weights equal to the last bit and of the same type."""
    return ours == expected and all(
        type(ours[2][e][1]) is type(w) and repr(ours[2][e][1]) == repr(w)
        for e, (_, w) in expected[2].items())


def edges_of(proj, attr: str) -> dict:
    return {tuple(sorted((u, v))): d[attr] for u, v, d in proj.graph.edges(data=True)}


SMALL = corpus(paper(1, ["ann", "bob", "cy"]), paper(2, ["bob", "ann"]), paper(3, ["dee"]),
               paper(4, ["cy", "eve"]), paper(5, ["fay", "gus", "fay"]))


def test_full_counting_weights_are_joint_papers() -> None:
    proj = project(SMALL)
    assert edges_of(proj, "papers") == edges_of(proj, "weight") == {
        ("ann", "bob"): 2, ("ann", "cy"): 1, ("bob", "cy"): 1, ("cy", "eve"): 1, ("fay", "gus"): 1}


def test_fractional_counting_adds_one_over_n_minus_one_per_paper() -> None:
    proj = project(SMALL, counting="fractional")
    assert edges_of(proj, "weight") == pytest.approx({
        ("ann", "bob"): 1.5, ("ann", "cy"): 0.5, ("bob", "cy"): 0.5, ("cy", "eve"): 1.0,
        ("fay", "gus"): 1.0})
    assert edges_of(proj, "papers")[("ann", "bob")] == 2


def test_nodes_carry_labels_and_paper_counts() -> None:
    g = project(SMALL).graph
    assert dict(g.nodes(data="papers")) == {"ann": 2, "bob": 2, "cy": 2, "dee": 1, "eve": 1,
                                            "fay": 1, "gus": 1}
    assert g.nodes["ann"]["label"] == "Ann"
    assert g.degree("dee") == 0  # single-author paper: a node, no edge
    assert not any(u == v for u, v in g.edges)  # "fay" twice on paper 5 is no self-loop


def test_max_authors_leaves_out_large_papers_and_counts_them() -> None:
    big = [f"member {i}" for i in range(60)]
    c = corpus(paper(1, big), paper(2, ["ann", "member 1"]), paper(3, ["ann", "bob"]))
    capped = project(c)  # default cap
    assert DEFAULT_MAX_AUTHORS < 60
    assert capped.papers_left_out == 1 and capped.papers_used == 2
    assert set(capped.keys) == {"ann", "bob", "member 1"}
    assert capped.graph.number_of_edges() == 2
    assert capped.settings()["papers_left_out"] == 1
    unlimited = project(c, max_authors=0)
    assert unlimited.papers_left_out == 0
    assert unlimited.graph.number_of_edges() == 60 * 59 // 2 + 2
    assert project(c, max_authors=60).papers_left_out == 0  # the cap itself is allowed


def test_category_filter_any_or_primary() -> None:
    c = corpus(paper(1, ["ann", "bob"], categories=("cs.CV", "cs.LG")),
               paper(2, ["bob", "cy"], categories=("cs.LG", "cs.CV")),
               paper(3, ["cy", "dee"], categories=("eess.IV",)))
    assert set(project(c, category="cs.CV").keys) == {"ann", "bob", "cy"}
    primary = project(c, category="cs.CV", primary_only=True)
    assert set(primary.keys) == {"ann", "bob"}
    assert primary.papers_filtered_out == 2
    assert project(c, category="cs.XX").keys == ()


def test_dates_are_inclusive_prefixes() -> None:
    c = corpus(paper(1, ["ann", "bob"], published="2019-12-31"),
               paper(2, ["bob", "cy"], published="2020-01-01"),
               paper(3, ["cy", "dee"], published="2021-06-15"))
    assert set(project(c, since="2020").keys) == {"bob", "cy", "dee"}
    assert set(project(c, until="2020").keys) == {"ann", "bob", "cy"}
    assert set(project(c, until="2019").keys) == {"ann", "bob"}
    assert set(project(c, since="2019-12-31", until="2020-01").keys) == {"ann", "bob", "cy"}
    assert set(project(c, since="2021-06-16").keys) == set()


def test_dates_must_be_real_calendar_dates() -> None:
    c = corpus(paper(1, ["ann", "bob"], published="2020-02-29"),
               paper(2, ["bob", "cy"], published="2020-12-31"))
    assert set(project(c, since="2020-02-29", until="2020-02-29").keys) == {"ann", "bob"}
    assert set(project(c, until="2020-12-31").keys) == {"ann", "bob", "cy"}
    assert set(project(c, since="2020-12", until="9999").keys) == {"bob", "cy"}  # open-ended
    for bad in ("2021-13-45", "2021-02-29", "2021-00", "2021-04-31", "0000", "2021-1-5"):
        with pytest.raises(FilterError, match="a real one"):
            Filters(since=bad)


@pytest.mark.parametrize("kwargs", [{"since": "2020/01/01"}, {"until": "May 2021"},
                                    {"counting": "harmonic"}, {"max_authors": -1},
                                    {"min_papers": 0}])
def test_bad_filters_raise_filter_error(kwargs: dict) -> None:
    with pytest.raises(FilterError):
        project(SMALL, **kwargs)


def test_min_papers_drops_authors_but_keeps_their_papers_weights() -> None:
    c = corpus(paper(1, ["ann", "bob", "cy"]), paper(2, ["ann", "bob"]), paper(3, ["cy", "dee"]))
    proj = project(c, counting="fractional", min_papers=2)
    assert set(proj.keys) == {"ann", "bob", "cy"}
    # Paper 1 has three authors whatever the filter keeps: 1/2 + 1 for the pair.
    assert edges_of(proj, "weight") == pytest.approx({("ann", "bob"): 1.5, ("ann", "cy"): 0.5,
                                                       ("bob", "cy"): 0.5})


def test_projection_is_deterministic_and_graphs_agree() -> None:
    first, again = project(SMALL, counting="fractional"), project(SMALL, counting="fractional")
    assert first.edges == again.edges and first.edge_weights.tolist() == again.edge_weights.tolist()
    ig_edges = {(first.keys[e.source], first.keys[e.target]): e["weight"]
                for e in first.to_igraph().es}
    assert {tuple(sorted(k)): w for k, w in ig_edges.items()} == edges_of(first, "weight")


def test_joint_papers() -> None:
    proj = project(SMALL)
    assert [p.arxiv_id for p in proj.joint_papers("ann", "bob")] == ["2105.00001", "2105.00002"]
    assert proj.joint_papers("ann", "eve") == []


def test_pairs_are_counted_before_they_are_built() -> None:
    big = paper(7, [f"member {i}" for i in range(60)])
    c = corpus(big, paper(8, [f"member {i}" for i in range(30)]), paper(9, ["ann", "bob"]))
    pairs = 60 * 59 // 2 + 30 * 29 // 2 + 1
    assert project(c, max_authors=0, max_pairs=pairs).papers_used == 3  # the bound is allowed
    with pytest.raises(TooManyPairs) as err:
        project(c, max_authors=0, max_pairs=pairs - 1)
    message = str(err.value)
    assert "\n" not in message and f"{pairs:,} author pairs" in message
    assert "2105.00007 (60 authors), 2105.00008 (30 authors)" in message
    assert "--max-pairs" in message and "--max-authors" in message
    assert project(c, max_authors=50, max_pairs=pairs - 1).papers_left_out == 1
    assert len(project(c, max_authors=0, max_pairs=0).sources) == pairs - 30 * 29 // 2  # 0: none


def test_pairs_made_in_small_blocks_are_the_same(sample_corpus: Corpus,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    whole = [as_reference(project(sample_corpus, max_authors=0, counting=c))
             for c in ("full", "fractional")]
    monkeypatch.setattr(projection, "PAIR_BLOCK", 7)  # fewer than one 9-author paper makes
    blocks = [as_reference(project(sample_corpus, max_authors=0, counting=c))
              for c in ("full", "fractional")]
    assert same_bits(blocks[0], whole[0]) and same_bits(blocks[1], whole[1])


FILTERS = [{}, {"max_authors": 0}, {"counting": "fractional", "max_authors": 0},
           {"counting": "fractional", "min_papers": 2, "max_authors": 0}, {"max_authors": 3},
           {"since": "2021", "until": "2021-05-31"}, {"since": "2026-02-02", "until": "2026-02"},
           {"category": "cs.LG"}, {"category": "cs.CV", "primary_only": True},
           {"category": "eess.IV", "counting": "fractional"}, {"until": "2005"},
           {"include_organisations": True}, {"include_organisations": True, "counting": "fractional"}]


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_sample_projection_is_the_python_reference_to_the_bit(sample_corpus: Corpus,
                                                              filters: dict) -> None:
    proj = project(sample_corpus, **filters)
    expected = reference(sample_corpus, **filters)
    assert same_bits(as_reference(proj), expected)
    assert proj.papers_used + proj.papers_left_out + proj.papers_filtered_out == 214


@pytest.mark.parametrize("filters", [*FILTERS[:6], FILTERS[-1]], ids=str)
def test_projection_from_the_kg_tables_is_the_corpus_projection(sample_kg, sample_corpus: Corpus,
                                                                filters: dict) -> None:
    from_tables = open_coauthors(current(sample_kg), Filters(**filters),
                                 cache=Cache(current(sample_kg), enabled=False)).projection
    assert same_bits(as_reference(from_tables), reference(sample_corpus, **filters))
    assert from_tables.labels == project(sample_corpus, **filters).labels
    assert from_tables.settings() == project(sample_corpus, **filters).settings()


names = st.sampled_from([f"author {i}" for i in range(12)])
author_lists = st.lists(st.lists(names, min_size=1, max_size=7), min_size=1, max_size=25)


def test_organisations_are_no_nodes_unless_included(sample_corpus: Corpus) -> None:
    teams = sample_corpus.organisation_keys()
    assert teams  # the sample lists a team: the check can fail
    assert not teams & set(project(sample_corpus).keys)
    assert teams <= set(project(sample_corpus, include_organisations=True).keys)


@settings(max_examples=150, deadline=None)
@given(author_lists, st.integers(min_value=0, max_value=6))
def test_projection_equals_the_naive_reference(lists: list[list[str]], cap: int) -> None:
    papers = [paper(i, a) for i, a in enumerate(lists)]
    joint, fractional, authored = naive(papers, cap)
    full = project(corpus(*papers), max_authors=cap)
    frac = project(corpus(*papers), max_authors=cap, counting="fractional")
    assert edges_of(full, "weight") == dict(joint)
    assert edges_of(frac, "papers") == dict(joint)
    assert edges_of(frac, "weight") == pytest.approx(fractional)
    assert same_bits(as_reference(frac), reference(corpus(*papers), max_authors=cap,
                                                   counting="fractional"))
    assert dict(full.graph.nodes(data="papers")) == dict(authored)
    assert full.papers_used + full.papers_left_out == len(papers)
    # Newman's property: fractional strength is the number of multi-author papers.
    multi = Counter(k for p in papers for k in set(p.authors)
                    if 1 < len(set(p.authors)) and (not cap or len(set(p.authors)) <= cap))
    strength = dict(frac.graph.degree(weight="weight"))
    assert strength == pytest.approx({k: multi.get(k, 0) for k in frac.keys})


@settings(max_examples=100, deadline=None)
@given(author_lists, st.integers(min_value=1, max_value=4), st.data())
def test_ego_networks_and_chains_are_networkx_searches(lists: list[list[str]], depth: int,
                                                       data: st.DataObject) -> None:
    net = Coauthors(project(corpus(*(paper(i, a) for i, a in enumerate(lists))), max_authors=0))
    g = net.to_networkx()
    keys = net.projection.keys
    a, b = (data.draw(st.integers(0, len(keys) - 1)) for _ in range(2))
    ego = net.ego(a, depth)
    expected = nx.single_source_shortest_path_length(g, keys[a], cutoff=depth)
    assert {keys[i]: d for i, d in zip(ego.members, ego.distances)} == expected
    assert ego.edges == g.subgraph(expected).number_of_edges()
    chain = [keys[i] for i in net.chain(a, b)]
    if not nx.has_path(g, keys[a], keys[b]):
        assert chain == []
    else:
        assert len(chain) - 1 == nx.shortest_path_length(g, keys[a], keys[b])
        assert chain[0] == keys[a] and chain[-1] == keys[b]
        assert all(g.has_edge(u, v) for u, v in zip(chain, chain[1:]))
    assert net.degree(a) == g.degree(keys[a])


def test_sample_corpus_projection(sample_corpus: Corpus) -> None:
    proj = project(sample_corpus, max_authors=0, include_organisations=True)
    joint, _, authored = naive(list(sample_corpus.papers))
    assert set(proj.keys) == set(sample_corpus.authors) == set(authored)
    assert edges_of(proj, "papers") == dict(joint)
    assert all(proj.labels[i] == sample_corpus.authors[k].name for i, k in enumerate(proj.keys))
