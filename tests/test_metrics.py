"""graph.analysis.measures agrees with networkx's reference implementations (see its docstring)."""
from __future__ import annotations

import contextlib
import multiprocessing
import random

import networkx as nx
import pytest
from reference import project

from graph.analysis import measures as metrics

TOL = 1e-9
FLOAT_MEASURES = ("strength", "pagerank", "eigenvector", "betweenness", "harmonic", "clustering")
INT_MEASURES = ("papers", "degree", "core")


def _with_weights(g: nx.Graph, seed: int, choices: tuple[float, ...]) -> nx.Graph:
    rng = random.Random(seed)
    for u, v in g.edges:
        g[u][v]["weight"] = rng.choice(choices)
    for node in g:
        g.nodes[node]["papers"] = rng.randint(1, 9)
    return g


def _author_like(g: nx.Graph, seed: int) -> nx.Graph:
    """String node ids in a shuffled (not sorted) order, as the sampling must follow G's order."""
    nodes = list(g)
    random.Random(seed).shuffle(nodes)
    h = nx.Graph()
    h.add_nodes_from((f"author {n}", g.nodes[n]) for n in nodes)
    h.add_edges_from((f"author {u}", f"author {v}", d) for u, v, d in g.edges(data=True))
    return h


def _random_graph() -> nx.Graph:
    g = nx.gnm_random_graph(300, 1200, seed=1)
    g.add_nodes_from(range(300, 306))  # authors without co-authors
    g.add_edges_from([(400, 401), (401, 402), (410, 411)])  # small components
    return _author_like(_with_weights(g, 1, (1, 2, 3, 5)), 1)


def _clustered_graph() -> nx.Graph:
    g = nx.powerlaw_cluster_graph(400, 3, 0.4, seed=2)
    return _author_like(_with_weights(g, 2, (0.5, 1 / 3, 1.0, 0.25, 1.5)), 2)


def _karate() -> nx.Graph:
    return nx.karate_club_graph()  # integer weights already on every edge


GRAPHS = ("random", "clustered", "karate", "sample")


@pytest.fixture(params=GRAPHS)
def graph(request: pytest.FixtureRequest) -> nx.Graph:
    if request.param == "sample":
        return project(request.getfixturevalue("sample_corpus"), max_authors=0).graph
    return {"random": _random_graph, "clustered": _clustered_graph, "karate": _karate}[
        request.param]()


def _reference(g: nx.Graph, measure: str) -> dict:
    n = len(g)
    return {
        "papers": lambda: {v: d.get("papers", 0) for v, d in g.nodes(data=True)},
        "degree": lambda: dict(g.degree()),
        "strength": lambda: dict(g.degree(weight="weight")),
        "pagerank": lambda: nx.pagerank(g, weight="weight", tol=1e-14, max_iter=10_000),
        "eigenvector": lambda: nx.eigenvector_centrality(g, weight="weight", tol=1e-14,
                                                         max_iter=100_000),
        "betweenness": lambda: nx.betweenness_centrality(g),
        "harmonic": lambda: {v: h / (n - 1) for v, h in nx.harmonic_centrality(g).items()},
        "core": lambda: nx.core_number(g),
        "clustering": lambda: nx.clustering(g),
    }[measure]()


@pytest.mark.parametrize("measure", FLOAT_MEASURES + INT_MEASURES)
def test_exact_measure_equals_networkx(graph: nx.Graph, measure: str) -> None:
    ours = metrics.analyse(graph, k=0, measures=[measure])
    assert ours.sampling.exact
    got = dict(zip(ours.keys, ours.columns[measure]))
    expected = _reference(graph, measure)
    assert got.keys() == expected.keys()
    if measure in INT_MEASURES:
        assert got == expected
    else:
        worst = max(abs(got[v] - expected[v]) for v in got)
        assert worst <= TOL, f"{measure}: max difference {worst}"


def _tied_components() -> list[nx.Graph]:
    twins = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3))
    twins.add_edge(6, 7)
    # A triangle of weight 2 and a 5-clique of weight 1 share the top eigenvalue 4.
    heavy = nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(5))
    for u, v in heavy.edges:
        heavy[u][v]["weight"] = 2 if u < 3 else 1
    heavy.add_node(99)
    return [twins, heavy, nx.empty_graph(5)]


@pytest.mark.parametrize("g", _tied_components(),
                         ids=["twin triangles", "weighted tie", "no edges"])
def test_eigenvector_when_components_share_the_top_eigenvalue(g: nx.Graph) -> None:
    got = metrics.analyse(g, measures=["eigenvector"]).columns["eigenvector"]
    expected = nx.eigenvector_centrality(g, weight="weight", tol=1e-15, max_iter=100_000)
    assert max(abs(x - expected[v]) for v, x in zip(g, got)) <= TOL


def _mid_size_graphs() -> list[nx.Graph]:
    scattered = nx.gnm_random_graph(4000, 20_000, seed=9)
    clustered = nx.powerlaw_cluster_graph(20_000, 3, 0.3, seed=10)
    clustered.add_nodes_from(range(20_000, 20_300))  # authors without co-authors: dangling
    return [_author_like(_with_weights(scattered, 9, (1, 2, 0.5)), 9),
            _author_like(_with_weights(clustered, 10, (1, 0.5, 1 / 3, 2)), 10)]


@pytest.mark.parametrize("g", _mid_size_graphs(), ids=["random 4k", "clustered 20k"])
def test_pagerank_within_1e6_l1_of_networkx_run_to_convergence(g: nx.Graph) -> None:
    # networkx's default tol stops when the L1 change is below n * 1e-6, so the reference is
    # run to convergence; the claim is about the PageRank vector, not about a stopping rule.
    got = metrics.analyse(g, measures=["pagerank"]).columns["pagerank"]
    expected = nx.pagerank(g, weight="weight", tol=1e-13, max_iter=10_000)
    assert sum(abs(a - expected[v]) for v, a in zip(g, got)) <= 1e-6
    assert sum(got) == pytest.approx(1.0, abs=1e-12)
    ranked = sorted(zip(got, g), reverse=True)[:10]
    assert [v for _, v in ranked] == sorted(expected, key=expected.get, reverse=True)[:10]


@pytest.mark.parametrize(("k", "seed"), [(2, 0), (20, 7), (33, 123)])
def test_sampled_betweenness_equals_networkx(graph: nx.Graph, k: int, seed: int) -> None:
    ours = metrics.analyse(graph, k=k, seed=seed, measures=["betweenness"])
    assert (ours.sampling.exact, ours.sampling.k, ours.sampling.seed) == (False, k, seed)
    expected = nx.betweenness_centrality(graph, k=k, seed=seed)
    worst = max(abs(b - expected[v]) for v, b in zip(ours.keys, ours.columns["betweenness"]))
    assert worst <= TOL


@pytest.mark.parametrize(("k", "seed"), [(5, 1), (30, 99)])
def test_sampled_harmonic_is_networkx_from_the_same_sources(graph: nx.Graph, k: int,
                                                            seed: int) -> None:
    ours = metrics.analyse(graph, k=k, seed=seed, measures=["harmonic"])
    sources = random.Random(seed).sample(list(graph), k)
    n = len(graph)
    partial = nx.harmonic_centrality(graph, sources=sources)
    worst = max(abs(h - partial[v] * n / (k * (n - 1)))
                for v, h in zip(ours.keys, ours.columns["harmonic"]))
    assert worst <= TOL


def test_sampled_harmonic_estimates_the_exact_value() -> None:
    g = _clustered_graph()
    exact = metrics.analyse(g, k=0, measures=["harmonic"]).columns["harmonic"]
    estimate = metrics.analyse(g, k=300, seed=5, measures=["harmonic"]).columns["harmonic"]
    mean_exact, mean_estimate = sum(exact) / len(exact), sum(estimate) / len(estimate)
    assert mean_estimate == pytest.approx(mean_exact, rel=0.05)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_parallel_pass_gives_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    g = _clustered_graph()
    serial = metrics.analyse(g, k=100, seed=3, measures=["betweenness", "harmonic"])
    monkeypatch.setattr(metrics, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(metrics, "_workers", lambda work, chunks: 2)
    parallel = metrics.analyse(g, k=100, seed=3, measures=["betweenness", "harmonic"])
    assert parallel.columns == serial.columns  # bit for bit: chunks are summed in one order


def test_exact_path_measures_on_a_large_graph_estimate_then_report_progress(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Above EXACT_MAX_NODES an exact request (k=0) runs the chunked pass over every node:
    # one line with an estimate first, then progress, and networkx's exact values.
    monkeypatch.setattr(metrics, "EXACT_MAX_NODES", 10)
    monkeypatch.setattr(metrics, "ESTIMATE_MIN_S", 0.0)
    g = _random_graph()
    notices: list[str] = []
    reports: list[tuple[int, int]] = []

    @contextlib.contextmanager
    def progress(label: str):
        assert label == "breadth-first searches"
        yield lambda done, total: reports.append((done, total))

    net = metrics.Network.of(g)
    net.hooks = metrics.Hooks(notice=notices.append, progress=progress)
    result = metrics.analyse(net, k=0, measures=["betweenness", "harmonic"])
    stats = metrics.network_stats(net, k=0)
    n = len(g)
    # Two passes (betweenness, then distances for harmonic and paths), each announced.
    assert len(notices) == 2
    assert all(f"{n:,} breadth-first searches, about" in notice for notice in notices)
    assert reports.count((n, n)) == 2 and all(total == n for _, total in reports)
    between = nx.betweenness_centrality(g)
    harmonic = nx.harmonic_centrality(g)
    for v, b, h in zip(result.keys, result.columns["betweenness"], result.columns["harmonic"]):
        assert b == pytest.approx(between[v], abs=TOL)
        assert h == pytest.approx(harmonic[v] / (n - 1), abs=TOL)
    giant = g.subgraph(max(nx.connected_components(g), key=len))
    assert stats["path_method"] == "exact" and stats["diameter"] == nx.diameter(giant)
    assert stats["average_path_length"] == pytest.approx(
        nx.average_shortest_path_length(giant), abs=TOL)


def test_components_are_networkx_components_numbered_by_size(graph: nx.Graph) -> None:
    ids = dict(zip(graph, metrics.analyse(graph, measures=["component"]).columns["component"]))
    comps = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(map(str, c))))
    for number, comp in enumerate(comps, start=1):
        assert {ids[v] for v in comp} == {number}


def test_communities_partition_the_graph_with_the_reported_modularity(graph: nx.Graph) -> None:
    result = metrics.analyse(graph, seed=4, measures=["community"])
    ids = result.columns["community"]
    groups: dict[int, set] = {}
    for v, c in zip(result.keys, ids):
        groups.setdefault(c, set()).add(v)
    assert sorted(groups) == list(range(1, result.communities.count + 1))
    sizes = [len(groups[c]) for c in sorted(groups)]
    assert sizes == sorted(sizes, reverse=True)
    assert all(nx.is_connected(graph.subgraph(members)) for members in groups.values())  # Leiden
    expected = nx.community.modularity(graph, list(groups.values()), weight="weight")
    assert result.communities.modularity == pytest.approx(expected, abs=TOL)
    assert result.communities.seed == 4 and "leiden" in result.communities.method


def test_communities_depend_on_the_seed_only(graph: nx.Graph) -> None:
    first = metrics.analyse(graph, seed=11, measures=["community"]).columns["community"]
    random.seed(12345)  # the global RNG must not matter
    again = metrics.analyse(graph.copy(), seed=11, measures=["community"]).columns["community"]
    assert first == again


def test_network_stats_equal_networkx(graph: nx.Graph) -> None:
    stats = metrics.network_stats(graph, k=0)
    giant = graph.subgraph(max(nx.connected_components(graph), key=len))
    n = len(graph)
    assert stats["nodes"] == n and stats["edges"] == graph.number_of_edges()
    assert stats["density"] == pytest.approx(nx.density(graph), abs=TOL)
    assert stats["average_degree"] == pytest.approx(2 * graph.number_of_edges() / n, abs=TOL)
    assert stats["degree_assortativity"] == pytest.approx(
        nx.degree_assortativity_coefficient(graph), abs=TOL)
    assert stats["average_clustering"] == pytest.approx(nx.average_clustering(graph), abs=TOL)
    assert stats["transitivity"] == pytest.approx(nx.transitivity(graph), abs=TOL)
    assert stats["isolated_nodes"] == nx.number_of_isolates(graph)
    assert stats["components"] == nx.number_connected_components(graph)
    assert stats["giant_nodes"] == len(giant)
    assert stats["giant_share"] == pytest.approx(len(giant) / n, abs=TOL)
    assert stats["giant_edges"] == giant.number_of_edges()
    assert stats["path_method"] == "exact"
    assert stats["diameter"] == nx.diameter(giant)
    assert stats["average_path_length"] == pytest.approx(
        nx.average_shortest_path_length(giant), abs=TOL)


def test_sampled_path_lengths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "EXACT_MAX_NODES", 10)
    g = _random_graph()
    stats = metrics.network_stats(g, k=30, seed=8)
    giant = g.subgraph(max(nx.connected_components(g), key=len))
    sources = [s for s in random.Random(8).sample(list(g), 30) if s in giant]
    lengths = [nx.single_source_shortest_path_length(giant, s) for s in sources]
    assert stats["path_sources"] == len(sources)
    assert "estimated" in stats["path_method"] and "seed 8" in stats["path_method"]
    expected_mean = sum(sum(d.values()) for d in lengths) / (len(sources) * (len(giant) - 1))
    assert stats["average_path_length"] == pytest.approx(expected_mean, abs=TOL)
    assert max(max(d.values()) for d in lengths) <= stats["diameter"] <= nx.diameter(giant)


def test_component_sizes_count_every_node(graph: nx.Graph) -> None:
    sizes = metrics.component_sizes(graph)
    expected: dict[int, int] = {}
    for comp in nx.connected_components(graph):
        expected[len(comp)] = expected.get(len(comp), 0) + 1
    assert sizes == sorted(expected.items(), reverse=True)


def test_projection_and_its_networkx_graph_give_the_same_measures(sample_corpus) -> None:
    proj = project(sample_corpus, counting="fractional")
    direct = metrics.author_measures(proj, k=50, seed=2)
    via_nx = metrics.author_measures(proj.graph, k=50, seed=2)  # other edge order: other roundings
    assert direct.keys() == via_nx.keys()
    for key, values in direct.items():
        assert values == pytest.approx(via_nx[key], rel=TOL, abs=1e-15)


def test_author_measures_and_annotate(graph: nx.Graph) -> None:
    measures = metrics.author_measures(graph)
    assert set(measures) == set(graph)
    assert all(tuple(m) == metrics.MEASURES for m in measures.values())
    annotated = metrics.annotate(graph.copy(), measures)
    node = next(iter(graph))
    assert {m: annotated.nodes[node][m] for m in metrics.MEASURES} == measures[node]


def test_sampling_rules() -> None:
    g = _karate()
    net = metrics.Network.of(g)
    assert net.sampling(None, 0).exact  # small graphs are exact by default
    assert net.sampling(len(g), 0).exact  # k >= n samples every node
    assert net.sampling(10, 3) == metrics.Sampling(exact=False, k=10, seed=3)
    for bad in (1, -2):
        with pytest.raises(metrics.SamplingError):
            net.sampling(bad, 0)


def test_default_sampling_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "EXACT_MAX_NODES", 20)
    monkeypatch.setattr(metrics, "DEFAULT_K", 8)
    net = metrics.Network.of(_karate())  # 34 nodes
    assert net.sampling(None, 5) == metrics.Sampling(exact=False, k=8, seed=5)
    assert net.sampling(0, 5).exact


@pytest.mark.parametrize("g", [nx.Graph(), nx.empty_graph(1), nx.empty_graph(3), nx.path_graph(2)],
                         ids=["empty", "one", "three isolated", "one edge"])
def test_degenerate_graphs(g: nx.Graph) -> None:
    measures = metrics.author_measures(g)
    assert set(measures) == set(g)
    stats = metrics.network_stats(g)
    assert stats["nodes"] == len(g) and stats["components"] == nx.number_connected_components(g)
    if len(g):
        assert sum(m["pagerank"] for m in measures.values()) == pytest.approx(1.0)
