"""Queries over the projection: search, neighborhood, paths, rank, evidence, conflicts."""

from __future__ import annotations

import re

import pytest
from exokg.algorithms import (
    conflicts,
    evidence,
    k_shortest_paths,
    neighborhood,
    paths_graph,
    rank,
    search,
)
from exokg.errors import InvalidQuery, NodeNotFound
from exokg.vocab import EXOID

MIR21 = str(EXOID["content/mir-21"])


def _labels(H) -> set[str]:
    return {d["label"] for _, d in H.nodes(data=True)}


# ------------------------------------------------------------------ search

def test_search_ranks_exact_label_first(G):
    hits = search(G, "MIR-21")
    assert hits[0]["label"] == "miR-21" and hits[0]["score"] == 100
    assert all(h["score"] <= 100 for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_alt_label_curie_and_type(G):
    assert search(G, "hsa-miR-21")[0]["id"] == MIR21
    assert search(G, "exoid:content/mir-21")[0]["id"] == MIR21
    assert all(h["kind"] == "Disease" for h in search(G, "carcinoma", types=["Disease"]))
    assert search(G, "zzzz-nothing") == []
    with pytest.raises(InvalidQuery):
        search(G, "  ")


# ------------------------------------------------------------------ neighborhood

def test_neighborhood_of_mir21_depth2(G):
    H = neighborhood(G, "miR-21", depth=2)
    kinds = {d["kind"] for _, d in H.nodes(data=True)}
    assert {"hepatocellular carcinoma", "hepatoblastoma", "qRT-PCR"} <= _labels(H)
    assert {"Reference", "IsolationMethod", "DetectionMethod", "Disease"} <= kinds
    assert H.nodes[MIR21]["depth"] == 0
    assert H.graph["center"] == MIR21 and not H.graph["truncated"]
    assert max(d["depth"] for _, d in H.nodes(data=True)) == 2
    for u, v, k in H.edges(keys=True):  # induced: only edges of the projection
        assert G.has_edge(u, v, key=k)


def test_neighborhood_is_a_new_graph(G):
    before = (G.number_of_nodes(), G.number_of_edges())
    H = neighborhood(G, "miR-21")
    H.add_node("x")
    assert (G.number_of_nodes(), G.number_of_edges()) == before
    assert "depth" not in G.nodes[MIR21]


def test_neighborhood_filters(G):
    H = neighborhood(G, "miR-21", predicates=["upregulatedIn"])
    assert _labels(H) == {"miR-21", "hepatocellular carcinoma", "hepatoblastoma"}
    assert {k for _, _, k in H.edges(keys=True)} == {"exo:upregulatedIn"}
    H = neighborhood(G, "miR-21", types=["Reference"])
    assert {d["kind"] for n, d in H.nodes(data=True) if n != MIR21} == {"Reference"}
    H = neighborhood(G, "exoid:disease/hcc", direction="out")
    assert H.number_of_nodes() == 1
    H = neighborhood(G, "exoid:disease/hcc", direction="in", types=["MicroRNA"])
    assert "miR-21" in _labels(H) and "miR-638" in _labels(H)


def test_neighborhood_limit_truncates_nearest_and_best_connected_first(G):
    H = neighborhood(G, "miR-21", depth=2, limit=5)
    assert H.number_of_nodes() == 5 and H.graph["truncated"]
    assert "hepatocellular carcinoma" in _labels(H)
    assert all(d["depth"] <= 1 for _, d in H.nodes(data=True))


@pytest.mark.parametrize("kwargs", [{"depth": 0}, {"depth": 4}, {"depth": 7},
                                    {"direction": "up"}, {"limit": 0}])
def test_neighborhood_bad_arguments(G, kwargs):
    with pytest.raises(InvalidQuery):
        neighborhood(G, "miR-21", **kwargs)


def test_neighborhood_unknown_node(G):
    with pytest.raises(NodeNotFound) as err:
        neighborhood(G, "miR-2l")
    assert "miR-21" in err.value.suggestions


def test_neighborhood_with_findings_walks_the_evidence(GF):
    H = neighborhood(GF, "miR-638", depth=2)
    assert {"Finding", "Reference", "Disease"} <= {d["kind"] for _, d in H.nodes(data=True)}


# ------------------------------------------------------------------ paths

def test_paths_between_mir122_and_mir21(G):
    paths = k_shortest_paths(G, "miR-122", "miR-21", k=3)
    assert len(paths) == 3
    assert [p["length"] for p in paths] == sorted(p["length"] for p in paths)
    first = paths[0]
    assert first["nodes"][0]["label"] == "miR-122" and first["nodes"][-1]["label"] == "miR-21"
    for path in paths:
        for step in path["steps"]:
            assert step["predicates"] and step["direction"] in ("forward", "backward")
            for key in step["predicates"]:
                assert G.has_edge(step["source"], step["target"], key=key)
    assert len({tuple(n["id"] for n in p["nodes"]) for p in paths}) == 3


def test_paths_filtered_by_predicate(G):
    paths = k_shortest_paths(G, "miR-122", "miR-21", k=2, predicates=["regulates"])
    assert paths[0]["nodes"][1]["label"] == "hepatocellular carcinoma"
    assert all(s["predicates"] == ["exo:regulates"] for p in paths for s in p["steps"])


def test_paths_errors_and_no_path(G):
    with pytest.raises(InvalidQuery):
        k_shortest_paths(G, "miR-21", "miR-21")
    with pytest.raises(InvalidQuery):
        k_shortest_paths(G, "miR-122", "miR-21", k=0)
    with pytest.raises(NodeNotFound):
        k_shortest_paths(G, "miR-122", "nothing-like-this")
    assert k_shortest_paths(G, "miR-122", "miR-21", types=["Drug"]) == []


def test_paths_graph(G):
    H = paths_graph(G, k_shortest_paths(G, "miR-122", "miR-21", k=3))
    assert {"miR-122", "miR-21"} <= _labels(H)
    assert H.number_of_nodes() == 5


# ------------------------------------------------------------------ rank

@pytest.mark.parametrize("metric", ["degree", "pagerank", "betweenness", "studies"])
def test_rank(G, metric):
    rows = rank(G, metric, types=["ExosomalContent"], limit=5)
    assert len(rows) == 5 and [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[0]["label"] == "miR-21"


def test_rank_studies_counts_references(G):
    top = rank(G, "studies", types=["MicroRNA"], limit=1)[0]
    refs = {v for v, keys in G.succ[top["id"]].items() if "exo:citedIn" in keys}
    assert top["score"] == len(refs) == 5


def test_rank_bad_metric(G):
    with pytest.raises(InvalidQuery):
        rank(G, "closeness")


# ------------------------------------------------------------------ evidence

def test_evidence_of_mir638_is_a_conflict(GF):
    ev = evidence(GF, "miR-638")
    assert ev["node"]["label"] == "miR-638"
    assert [(f["table"], f["expression"], f["ref_number"], f["sample_size"])
            for f in ev["findings"]] == [(1, ["Up"], 28, 54), (2, ["Down"], 50, 147)]
    assert (ev["studies"], ev["total_n"], ev["directions"]) == (2, 201, {"Down": 1, "Up": 1})
    assert ev["conflict"] is True
    assert ev["conflicts"] == [{"molecule": "miR-638", "disease": "hepatocellular carcinoma",
                                "up": [28], "down": [50]}]
    groups = {(g["disease"], g["role"]): g for g in ev["groups"]}
    assert groups["hepatocellular carcinoma", "Biotherapeutic"]["total_n"] == 147


def test_evidence_of_mir21_has_no_conflict(GF):
    ev = evidence(GF, "miR-21")
    assert ev["studies"] == 5 and ev["conflict"] is False
    assert {g["disease"] for g in ev["groups"]} == {"hepatocellular carcinoma",
                                                    "hepatoblastoma"}


def test_evidence_needs_findings(G):
    with pytest.raises(InvalidQuery):
        evidence(G, "miR-638")


def test_conflicts_lists_the_reviews_two(GF):
    rows = conflicts(GF)
    assert [(r["node"]["label"], c["up"], c["down"]) for r in rows for c in r["conflicts"]] == \
        [("miR-125b", [19], [58]), ("miR-638", [28], [50])]
    assert all(c["molecule"] == r["node"]["label"] for r in rows for c in r["conflicts"])


def test_equally_short_paths_are_the_same_k_from_either_end():
    """Three paths of three steps, k=2: sorted by their nodes read from the source, each
    direction kept a different two (s-a1-b1-t and s-a1-b2-t; s-a1-b1-t and s-a2-b1-t)."""
    import networkx as nx
    from exokg.algorithms import k_shortest_paths

    G = nx.MultiDiGraph()
    iri = "https://e.org/{}".format
    for n in ("s", "a1", "a2", "b1", "b2", "t"):
        G.add_node(iri(n), label=n, kind="MicroRNA", curie=f"e:{n}")
    for u, v in (("s", "a1"), ("s", "a2"), ("a1", "b1"), ("a1", "b2"), ("a2", "b1"),
                 ("b1", "t"), ("b2", "t")):
        G.add_edge(iri(u), iri(v), key="exo:p", predicate="exo:p")
    there = k_shortest_paths(G, iri("s"), iri("t"), k=2)
    back = k_shortest_paths(G, iri("t"), iri("s"), k=2)
    assert [[n["label"] for n in p["nodes"]] for p in there] == \
        [[n["label"] for n in reversed(p["nodes"])] for p in back] == \
        [["s", "a1", "b1", "t"], ["s", "a1", "b2", "t"]]


_ONE_FINDING = """@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://e/f1> a exo:Finding ; exo:content <http://e/m> ; %s .
<http://e/m> a exo:MicroRNA ; <http://www.w3.org/2000/01/rdf-schema#label> "miR-1" .
"""


@pytest.mark.parametrize(("value", "said"), [
    ("exo:sampleSize 118, 119", "has 2 values (118, 119)"),
    ('exo:sampleSize "abc"^^xsd:integer', 'exo:sampleSize "abc"^^<http://www.w3.org/2001/'),
    ("exo:sampleSize -5", 'exo:sampleSize "-5" is not a whole number'),
    ('exo:sampleSize "3.0"^^xsd:decimal', 'exo:sampleSize "3.0" is not a whole number'),
    ("exo:sampleSize <http://e/12>", "exo:sampleSize <http://e/12> is not a whole number"),
    ('exo:sourceRow "x"', 'exo:sourceRow "x" is not a whole number'),
])
def test_evidence_over_a_projection_reads_numbers_by_the_build_s_rule(value, said):
    """A projection keeps what the data holds: two values summed as a tuple (TypeError),
    -5 added to total_n, an IRI read as no n. The store's build refuses each."""
    from exokg.errors import DataError
    from exokg.network import project
    from rdflib import Graph

    G = project(Graph().parse(data=_ONE_FINDING % value, format="turtle"), findings=True)
    with pytest.raises(DataError, match=re.escape(said)):
        evidence(G, "miR-1")


def test_evidence_over_a_projection_reads_a_plain_whole_number():
    from exokg.network import project
    from rdflib import Graph

    for value in ("exo:sampleSize 12", 'exo:sampleSize "12"'):
        G = project(Graph().parse(data=_ONE_FINDING % value, format="turtle"), findings=True)
        assert evidence(G, "miR-1")["total_n"] == 12


@pytest.mark.parametrize("types", [["Disease"], ["Disease", "Reference"], ["exo:SampleType"]])
def test_studies_is_refused_outside_the_molecules(types):
    """exo:studyCount counts the studies a molecule is exo:citedIn: asked of diseases,
    the ranking listed every one with 0 (HCC's 51 studies as none)."""
    from exokg.build import build_graph
    from exokg.errors import InvalidQuery
    from exokg.network import project

    G = project(build_graph())
    with pytest.raises(InvalidQuery, match="studies counts the studies a molecule is"):
        rank(G, "studies", types=types)
    mixed = rank(G, "studies", types=["MicroRNA", *types], limit=3)
    assert [r["label"] for r in mixed][0] == "miR-21" and mixed[0]["score"] > 0
    assert len(rank(G, "degree", types=types, limit=1)) == 1  # other metrics answer
