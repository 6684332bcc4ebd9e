"""The adjacency and the global metrics built with the store (exokg.index).

On the review's graph every number equals networkx's own on the projection's graph
(the one exokg.algorithms.rank ranks): PageRank within 1e-6 of ``nx.pagerank``,
betweenness the exact ``nx.betweenness_centrality`` (to floating-point rounding),
degree and study counts equal to ``rank``'s for every node.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pyoxigraph as ox
import pytest
from exokg.algorithms import rank
from exokg.build import build_graph, to_sorted_ntriples
from exokg.errors import ExoKGError
from exokg.index import BUILDERS, METRICS_GRAPH, load_adjacency, load_metrics
from exokg.index.metrics import betweenness
from exokg.network import project
from exokg.resources import ontology_path
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import OWL, RDFS, SKOS, XSD

EXO = Namespace("https://w3id.org/exokg/vocab#")


@pytest.fixture(scope="module")
def review() -> tuple[ox.Store, int]:
    data = to_sorted_ntriples(build_graph())
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    return store, len(store)


@pytest.fixture(scope="module")
def folder(review, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("artifacts")
    for build in BUILDERS:
        build(review[0], out)
    return out


@pytest.fixture(scope="module")
def G() -> nx.MultiDiGraph:
    return project(build_graph())


@pytest.fixture(scope="module")
def U(G) -> nx.Graph:
    return nx.Graph(G)  # the simple undirected graph rank's pagerank/betweenness use


def _by_iri(folder: Path, metric: str) -> dict[str, float]:
    adj, m = load_adjacency(folder), load_metrics(folder)
    return {adj.iri(i): float(v) for i, v in enumerate(m.get(metric))}


def test_adjacency_has_the_projection_nodes_and_edges(folder, G) -> None:
    adj = load_adjacency(folder)
    assert {adj.iri(i) for i in range(adj.n)} == set(G)
    edges = {(adj.iri(u), adj.iri(int(v)), adj.predicates[int(p)])
             for u in range(adj.n)
             for v, p in zip(adj.out_neighbors(u), adj.out_pred[adj.out_indptr[u]:
                                                                adj.out_indptr[u + 1]],
                             strict=True)}
    assert edges == set(G.edges(keys=True))
    incoming = {(adj.iri(int(v)), adj.iri(u)) for u in range(adj.n) for v in adj.in_neighbors(u)}
    assert incoming == {(s, o) for s, o, _ in G.edges(keys=True)}


def test_adjacency_kinds_and_lookup(folder, G) -> None:
    adj = load_adjacency(folder)
    for i in range(adj.n):
        iri = adj.iri(i)
        assert adj.node_id(iri) == i
        assert adj.kind(i) == G.nodes[iri]["kind"]
        assert adj.node_class(i) == G.nodes[iri]["class"]
    assert adj.node_id("https://w3id.org/exokg/id/content/no-such") is None
    assert adj.node_id("") is None


def test_pagerank_equals_networkx(folder, U) -> None:
    expected = nx.pagerank(U, alpha=0.85, tol=1e-12, max_iter=1000)
    got = _by_iri(folder, "pagerank")
    assert got.keys() == expected.keys()
    assert max(abs(got[n] - expected[n]) for n in expected) < 1e-6


def test_betweenness_is_exact(folder, U) -> None:
    expected = nx.betweenness_centrality(U)
    got = _by_iri(folder, "betweenness")
    assert load_metrics(folder).info["betweenness"] == "exact"
    for node, value in expected.items():
        assert got[node] == pytest.approx(value, rel=1e-12, abs=1e-15), node


def test_sampled_betweenness_follows_networkx_estimator(folder, U) -> None:
    """The estimate from k sources is networkx's: Brandes from those sources, rescaled."""
    adj = load_adjacency(folder)
    indptr, indices = adj.undirected()
    sources = np.arange(0, adj.n, 7)
    got = betweenness(indptr, indices, sources=sources)
    names = [adj.iri(int(s)) for s in sources]
    raw = nx.betweenness_centrality_subset(U, sources=names, targets=list(U), normalized=False)
    k, big_n = len(sources), adj.n - 1
    for i in range(adj.n):
        iri = adj.iri(i)
        scale = 1 / ((k - 1) * (big_n - 1)) if iri in names else 1 / (k * (big_n - 1))
        assert got[i] == pytest.approx(2 * raw[iri] * scale, rel=1e-12, abs=1e-15), iri


@pytest.mark.parametrize("metric", ["degree", "studies"])
def test_counts_equal_rank(folder, G, metric) -> None:
    expected = {row["id"]: row["score"] for row in rank(G, metric, limit=1000)}
    assert len(expected) == G.number_of_nodes()
    assert _by_iri(folder, metric) == expected


def test_mir21_has_the_most_studies(folder) -> None:
    studies = _by_iri(folder, "studies")
    assert max(studies, key=studies.get) == "https://w3id.org/exokg/id/content/mir-21"


def test_metrics_are_triples_of_their_named_graph(review, folder) -> None:
    store, before = review
    adj, m = load_adjacency(folder), load_metrics(folder)
    rows = {(s["n"].value, s["p"].value): s["v"] for s in store.query(
        f"SELECT ?n ?p ?v {{ GRAPH <{METRICS_GRAPH}> {{ ?n ?p ?v }} }}")}
    for i in range(adj.n):
        iri = adj.iri(i)
        assert int(rows[iri, str(EXO.degree)].value) == m.degree[i]
        assert float(rows[iri, str(EXO.pageRank)].value) == m.pagerank[i]
        assert float(rows[iri, str(EXO.betweenness)].value) == m.betweenness[i]
        assert rows[iri, str(EXO.pageRank)].datatype.value == str(XSD.double)
        if adj.kind(i) in ("MicroRNA", "LongNonCodingRNA", "CircularRNA", "MessengerRNA",
                           "Protein"):
            assert int(rows[iri, str(EXO.studyCount)].value) == m.studies[i]
        else:
            assert (iri, str(EXO.studyCount)) not in rows
    # the review's facts stay alone in the default graph
    default = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert default == before


def test_ontology_declares_the_metric_properties() -> None:
    onto = Graph().parse(ontology_path() / "exokg.ttl")
    for name, rng in [("degree", XSD.integer), ("pageRank", XSD.double),
                      ("betweenness", XSD.double), ("studyCount", XSD.integer)]:
        term = EXO[name]
        assert (term, None, OWL.DatatypeProperty) in onto
        assert onto.value(term, RDFS.label) is not None
        assert onto.value(term, SKOS.definition) is not None
        assert onto.value(term, RDFS.range) == rng
        assert onto.value(term, RDFS.domain) is not None
        assert "computed" in str(onto.value(term, SKOS.note)).lower()
    assert onto.value(EXO.studyCount, RDFS.domain) == EXO.ExosomalContent
    assert isinstance(onto.value(EXO.pageRank, RDFS.label), Literal)


def test_missing_artifacts_are_named(tmp_path) -> None:
    with pytest.raises(ExoKGError, match="no adjacency"):
        load_adjacency(tmp_path)
    with pytest.raises(ExoKGError, match="no metrics"):
        load_metrics(tmp_path)


def test_unknown_metric_is_named(folder) -> None:
    with pytest.raises(ExoKGError, match="unknown metric 'closeness'"):
        load_metrics(folder).get("closeness")


def test_metrics_need_the_adjacency(tmp_path) -> None:
    from exokg.index import build_metrics
    with pytest.raises(ExoKGError, match="no adjacency"):
        build_metrics(ox.Store(), tmp_path)


def test_empty_store_builds_empty_artifacts(tmp_path) -> None:
    for build in BUILDERS:
        build(ox.Store(), tmp_path)
    assert load_adjacency(tmp_path).n == 0
    assert len(load_metrics(tmp_path).pagerank) == 0
