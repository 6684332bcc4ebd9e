"""The graph queries over the store (bounded SPARQL, and the artifacts built with the store)
answer as they do over the in-memory projection of the review's graph."""

from __future__ import annotations

import json

import pytest
from exokg import store_source
from exokg.algorithms import k_shortest_paths, neighborhood, rank, search
from exokg.config import Config
from exokg.errors import InvalidQuery, NodeNotFound
from exokg.graph_source import NoMetrics
from exokg.network import graph_json
from exokg.sparql import SparqlService
from exokg.store_source import StoreSource, index_folder

MIR21 = "https://w3id.org/exokg/id/content/mir-21"


@pytest.fixture(scope="module")
def service(store_dir):
    svc = SparqlService(Config.load({"STORE_DIR": str(store_dir), "EXECUTORS": 1}))
    yield svc
    svc.close()


@pytest.fixture(params=["sparql", "artifacts", "artifacts, rows gathered"])
def source(request, service, monkeypatch):
    """The store read through SPARQL only, and through its artifacts (a frontier's rows
    read by slices, as the review's small frontiers are, or gathered by index arrays, as
    a larger one's are)."""
    if request.param == "sparql":
        return StoreSource(service)
    if request.param == "artifacts, rows gathered":
        monkeypatch.setattr(store_source, "_SLICED_ROWS", 0)
    folder = index_folder(service.info)
    assert folder is not None, "the store was built without its index artifact"
    return StoreSource(service, artifacts=folder)


def _json(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("kwargs", [
    {"depth": 1}, {"depth": 2}, {"depth": 3, "limit": 40}, {"depth": 2, "direction": "in"},
    {"depth": 2, "types": ["Reference", "Disease"]}, {"depth": 2, "predicates": ["citedIn"]},
])
def test_neighborhood_equals_the_projections(source, G, kwargs):
    H = neighborhood(source, "miR-21", **kwargs)
    H0 = neighborhood(G, "miR-21", **kwargs)
    assert graph_json(H) == graph_json(H0)
    assert H.graph["truncated"] == H0.graph["truncated"]
    assert [d["depth"] for _, d in sorted(H.nodes(data=True))] == \
        [d["depth"] for _, d in sorted(H0.nodes(data=True))]


@pytest.mark.parametrize("artifacts", [False, True])
@pytest.mark.parametrize(("name", "kwargs"), [
    ("miR-638", {"depth": 2, "limit": 60}), ("miR-21", {"depth": 2}),
    ("hepatocellular carcinoma", {"limit": 30}), ("serum", {"depth": 2, "limit": 120}),
    ("miR-21", {"limit": 5, "types": ["Finding", "Disease"]}),
])
def test_neighborhood_with_findings_equals_the_projections(service, GF, artifacts, name, kwargs):
    folder = index_folder(service.info) if artifacts else None
    H = neighborhood(StoreSource(service, findings=True, artifacts=folder), name, **kwargs)
    H0 = neighborhood(GF, name, **kwargs)
    assert graph_json(H) == graph_json(H0)
    assert H.graph["truncated"] == H0.graph["truncated"]


def test_edges_with_findings_are_read_whole_whatever_the_row_cap(service, GF):
    """Edges among findings, values and the network's nodes: a read that reaches the
    row cap is read again in smaller parts, so that no edge goes missing."""
    nodes = set(neighborhood(GF, "miR-21", depth=2))
    source = StoreSource(service, findings=True, artifacts=index_folder(service.info),
                         max_rows=40)
    expected = sorted((u, k, v) for u, v, k in GF.subgraph(nodes).edges(keys=True))
    assert sorted(source.edges_among(nodes)) == expected


@pytest.mark.parametrize("findings", [False, True])
@pytest.mark.parametrize("artifacts", [False, True])
def test_a_subgraph_past_the_row_cap_is_read_whole(service, G, GF, findings, artifacts):
    """The attributes (and, without the artifacts, the edges) of many nodes: one query
    for them all passed the row cap, and the nodes past it were sent without label or
    kind (a depth-2 neighbourhood of 10,000 nodes at 10^5 findings)."""
    whole = GF if findings else G
    nodes = set(neighborhood(whole, "miR-21", depth=2))
    source = StoreSource(service, findings=findings, max_rows=40,
                         artifacts=index_folder(service.info) if artifacts else None)
    assert len(nodes) > 40
    assert graph_json(source.subgraph(nodes)) == graph_json(whole.subgraph(nodes))


@pytest.mark.parametrize(("names", "ring"), [
    (["miR-21", "hepatocellular carcinoma", "hepatoblastoma"], True),  # read on the out side
    (["hepatocellular carcinoma", "serum", "miR-21", "miR-122"], True),  # on the in side
    (["qRT-PCR", "ultracentrifugation"], False),  # no edge among them
])
def test_edges_among_network_nodes_equal_the_projections_in_order(service, G, names, ring):
    """The adjacency reads the edges among nodes from their sources' or their targets'
    side, whichever holds fewer; the answer is the same, in the out-edges' order: by
    source, target and predicate (the adjacency's predicate order)."""
    source = StoreSource(service, artifacts=index_folder(service.info))
    nodes = {source.resolve(name) for name in names}
    if ring:
        nodes |= set(neighborhood(G, names[0], depth=1))
    order = {p: i for i, p in enumerate(source.adjacency.predicates)}
    expected = sorted(((u, k, v) for u, v, k in G.subgraph(nodes).edges(keys=True)),
                      key=lambda e: (e[0], e[2], order[e[1]]))
    assert source.edges_among(nodes) == expected
    assert ring or not expected


@pytest.mark.parametrize(("a", "b", "k"), [("miR-122", "miR-21", 3), ("miR-122", "miR-21", 10),
                                           ("hepatoblastoma", "exoid:ref/28", 5)])
def test_paths_equal_the_projections(source, G, a, b, k):
    assert _json(k_shortest_paths(source, a, b, k=k)) == _json(k_shortest_paths(G, a, b, k=k))


def test_path_search_stops_at_its_node_cap_with_a_clear_error(source):
    with pytest.raises(InvalidQuery, match="no path found within 3 nodes"):
        k_shortest_paths(source, "miR-122", "miR-21", node_cap=3)


def test_a_path_over_the_adjacency_reads_every_neighbour(service, G):
    """Over the artifacts a path walks the adjacency's arrays, not rows: a hub with more
    neighbours than a step may read rows of (10^5 at 10^6 findings) is walked whole."""
    def walked(paths):  # the nodes and steps (the row cap cuts the nodes' attributes)
        return [([n["id"] for n in p["nodes"]], p["steps"]) for p in paths]

    few = StoreSource(service, artifacts=index_folder(service.info), max_rows=2)
    for a, b in (("miR-122", "miR-21"), ("hepatoblastoma", "exoid:ref/28")):
        assert walked(k_shortest_paths(few, a, b, k=5)) == walked(k_shortest_paths(G, a, b, k=5))


def test_longer_paths_through_too_many_nodes_leave_the_shorter(service, G, monkeypatch):
    """When the search for more paths would look among more than PATH_NODE_CAP nodes,
    the shorter paths found stand (none is a 400 once one path is found)."""
    from exokg import algorithms

    source = StoreSource(service, artifacts=index_folder(service.info))
    every = k_shortest_paths(G, "miR-21", "hepatocellular carcinoma", k=3)
    assert len(every) == 3 and [p["length"] for p in every][:2] == [1, 3]
    monkeypatch.setattr(algorithms, "PATH_NODE_CAP", 2)
    assert _json(k_shortest_paths(source, "miR-21", "hepatocellular carcinoma", k=3)) == \
        _json(every[:1])
    with pytest.raises(InvalidQuery, match="more than 2"):
        k_shortest_paths(source, "miR-122", "miR-21")


def test_longer_paths_are_looked_for_within_their_own_bound(service, G, monkeypatch):
    """Over the adjacency, once the sides meet, the search grows for longer paths only
    while it has seen at most PATH_MORE_CAP nodes: past it, the shortest paths stand."""
    from exokg import algorithms

    source = StoreSource(service, artifacts=index_folder(service.info))
    every = k_shortest_paths(G, "miR-122", "miR-21", k=10)
    shortest = every[0]["length"]
    assert any(p["length"] > shortest for p in every)
    assert _json(k_shortest_paths(source, "miR-122", "miR-21", k=10)) == _json(every)
    monkeypatch.setattr(algorithms, "PATH_MORE_CAP", 3)
    assert _json(k_shortest_paths(source, "miR-122", "miR-21", k=10)) == \
        _json([p for p in every if p["length"] == shortest])


@pytest.mark.parametrize("name", ["miR-21", "MIR-21", MIR21, "exoid:content/mir-21"])
def test_resolve_iri_curie_and_label(source, name):
    assert neighborhood(source, name).graph["center"] == MIR21


def test_unknown_node_suggests_close_names(source):
    with pytest.raises(NodeNotFound) as err:
        neighborhood(source, "miR-21x")
    assert "miR-21" in err.value.suggestions


def test_a_finding_is_found_by_its_label_without_reading_every_label(service):
    """With the index, a finding (which the index does not hold) is looked up by its label
    as written: one literal's look-up, not a case-blind comparison of every name."""
    source = StoreSource(service, findings=True, artifacts=index_folder(service.info))
    asked = []

    class Recording:
        def select(self, query, **kw):
            asked.append(query)
            return service.select(query, **kw)

    source.selector = Recording()
    label = "Table 1, row 3: " + service.select(
        "SELECT ?l { <https://w3id.org/exokg/id/finding/t1-3> "
        "<https://w3id.org/exokg/vocab#printedContent> ?l }").rows[0][0]
    assert source.resolve(label) == "https://w3id.org/exokg/id/finding/t1-3"
    assert asked and not any("LCASE" in q for q in asked)
    with pytest.raises(NodeNotFound):
        source.resolve(label.upper())


@pytest.mark.parametrize("bad", ["<x> } DROP ALL", "http://a b", 'x" } } #'])
def test_hostile_names_are_not_found_not_injected(source, bad):
    with pytest.raises(NodeNotFound):
        neighborhood(source, bad)


def test_search_finds_mir21_first(source):
    assert search(source, "mir-21")[0]["id"] == MIR21
    assert {h["kind"] for h in search(source, "carcinoma", types=["Disease"])} == {"Disease"}


@pytest.mark.parametrize("metric", ["degree", "pagerank", "betweenness", "studies"])
def test_rank_from_the_build_equals_networkx_on_the_projection(service, G, metric):
    """PageRank within 1e-6, betweenness exact (rounded to 8 places as before)."""
    folder = index_folder(service.info)
    assert folder is not None
    source = StoreSource(service, artifacts=folder)
    for types in (None, ["MicroRNA"], ["ExosomalContent"]):
        rows, rows0 = rank(source, metric, types=types), rank(G, metric, types=types)
        assert [r["id"] for r in rows] == [r["id"] for r in rows0]
        assert rows[0]["score"] == pytest.approx(rows0[0]["score"], abs=1e-6)
        assert all(r["score"] == pytest.approx(r0["score"], abs=1e-6)
                   for r, r0 in zip(rows, rows0, strict=True))


@pytest.mark.parametrize("kinds", [None, frozenset({"microrna"}),
                                   frozenset({"reference", "disease"})])
def test_rank_reads_each_class_best_as_a_whole_sort_would(service, kinds, monkeypatch):
    """The ranking reads each class's first ids (ranked at build), not the whole class:
    the same answer as over every node of the classes, ties at the last place included."""
    from exokg import store_source
    from exokg.index.metrics import Metrics

    monkeypatch.setattr(store_source, "_TIE_LABELS", 1)  # so that the read is cut
    source = StoreSource(service, artifacts=index_folder(service.info))
    best = Metrics.best
    for metric in ("degree", "pagerank", "betweenness", "studies"):
        for limit in (1, 2, 3, 5, 10):
            cut = source.top(metric, kinds, limit)
            monkeypatch.setattr(Metrics, "best", lambda self, m, c, n: best(self, m, c, 10**9))
            whole = source.top(metric, kinds, limit)
            monkeypatch.setattr(Metrics, "best", best)
            assert cut == whole and len(cut) == min(limit, len(whole)), (metric, limit)


def test_rank_without_metrics_is_unavailable_not_computed(service):
    with pytest.raises(NoMetrics) as err:
        rank(StoreSource(service), "pagerank")
    assert err.value.status == 503


def test_a_ring_too_large_to_count_keeps_the_best_connected_network_nodes(service, monkeypatch):
    """Beyond PROMINENCE_COUNTED candidates a findings ring is ordered by the network's
    prominence (from the adjacency; findings count 0), not by a count query per node."""
    monkeypatch.setattr("exokg.store_source.PROMINENCE_COUNTED", 1)
    source = StoreSource(service, findings=True, artifacts=index_folder(service.info))
    H = neighborhood(source, "miR-638", depth=1, limit=3)
    kept = {d["label"] for n, d in H.nodes(data=True) if d["depth"] == 1}
    assert H.graph["truncated"] and kept == {"hepatocellular carcinoma", "qRT-PCR"}


@pytest.mark.parametrize(("name", "limit", "kwargs"), [
    ("hepatocellular carcinoma", 12, {}), ("miR-21", 4, {}), ("qRT-PCR", 20, {}),
    ("ultracentrifugation", 5, {}), ("hepatocellular carcinoma", 12, {"direction": "in"}),
    ("miR-21", 3, {"direction": "out"}),
    ("hepatocellular carcinoma", 4, {"predicates": ["upregulatedIn", "exo:disease"]}),
    ("hepatocellular carcinoma", 6, {"types": ["MicroRNA", "Finding"]}),
])
def test_a_ring_filled_by_the_network_is_read_from_the_adjacency(service, monkeypatch,
                                                                   name, limit, kwargs):
    """With Findings as nodes, a ring that the network's nodes alone fill (beyond the
    counted size) is read from the adjacency, findings unread: the rule's own answer."""
    monkeypatch.setattr("exokg.store_source.PROMINENCE_COUNTED", 8)
    folder = index_folder(service.info)
    answers = []
    filled = StoreSource._filled_by_network
    monkeypatch.setattr(StoreSource, "_filled_by_network",
                        lambda *a: answers.append(filled(*a)) or answers[-1])
    H = neighborhood(StoreSource(service, findings=True, artifacts=folder), name,
                     limit=limit, **kwargs)
    assert answers and answers[0] is not None
    monkeypatch.setattr(StoreSource, "rings", lambda self, center, **kw: None)
    H0 = neighborhood(StoreSource(service, findings=True, artifacts=folder), name,
                      limit=limit, **kwargs)
    assert graph_json(H) == graph_json(H0)
    assert H.graph["truncated"] and H0.graph["truncated"]


def test_a_ring_the_network_fills_exactly_is_cut_only_when_findings_are_left(service,
                                                                            monkeypatch):
    """Network nodes exactly as many as the room: the ring is cut when findings are left
    out, and whole (not truncated) when no finding is linked the way asked."""
    monkeypatch.setattr("exokg.store_source.PROMINENCE_COUNTED", 1)
    folder = index_folder(service.info)
    whole = neighborhood(StoreSource(service, findings=True, artifacts=folder), "miR-21",
                         direction="out")
    assert not whole.graph["truncated"]  # nothing links miR-21 to a finding
    limit = whole.number_of_nodes()
    H = neighborhood(StoreSource(service, findings=True, artifacts=folder), "miR-21",
                     direction="out", limit=limit)
    assert not H.graph["truncated"] and graph_json(H) == graph_json(whole)
    both = neighborhood(StoreSource(service, findings=True, artifacts=folder), "miR-21",
                        direction="both", types=["Disease", "Finding"])
    diseases = sum(d["kind"] == "Disease" for _, d in both.nodes(data=True))
    H = neighborhood(StoreSource(service, findings=True, artifacts=folder), "miR-21",
                     direction="both", types=["Disease", "Finding"], limit=diseases + 1)
    assert H.graph["truncated"] and {d["kind"] for _, d in H.nodes(data=True)} == {
        "MicroRNA", "Disease"}


def test_attributes_by_literal_property_equal_those_of_every_statement(service, G):
    """The build's ``literal_properties`` let a node's attributes be read property by
    property (a hub's thousands of edges unread): the same attributes, node for node,
    as reading and filtering every statement of the nodes."""
    from exokg.network import node_json

    by_property = StoreSource(service)
    assert by_property.literal_properties  # the store's statistics have them
    every = StoreSource(service)
    every.literal_properties = None
    nodes = sorted(G.nodes)
    H, H0 = by_property.subgraph(nodes), every.subgraph(nodes)
    assert [node_json(H, n) for n in nodes] == [node_json(H0, n) for n in nodes]
    assert [node_json(H, n) for n in nodes] == [node_json(G, n) for n in nodes]


def test_a_path_from_a_hub_finds_what_the_other_way_finds_and_says_it_was_cut(service):
    """Near the node cap, from the hub first the search stopped there (1 path), from the
    other end it went on (5), and neither said the search was bounded (at 10^4 findings
    the default caps gave 1 and 10)."""
    source = StoreSource(service, findings=True)
    hub, molecule = "hepatocellular carcinoma", "miR-21"
    there = k_shortest_paths(source, hub, molecule, k=10, node_cap=100)
    back = k_shortest_paths(source, molecule, hub, k=10, node_cap=100)
    assert there.truncated and back.truncated
    assert len(there) == len(back) > 1
    assert [[n["id"] for n in p["nodes"]] for p in there] == \
        [[n["id"] for n in reversed(p["nodes"])] for p in back]
    whole = k_shortest_paths(source, hub, molecule, k=10)
    assert not whole.truncated



@pytest.mark.parametrize("gone", ["adjacency/adjacency.json", "metrics/metrics.json"])
def test_an_artifact_unreadable_while_served_is_a_503_naming_no_path(service, tmp_path, gone):
    """A file of the index artifact gone since the store was checked (a folder edited by
    hand): the graph query says so with a 503, as the pages do; the loader's message,
    which holds the server's own path, is logged only."""
    import shutil

    from exokg.errors import StoreChanged

    folder = tmp_path / "index"
    shutil.copytree(index_folder(service.info), folder)
    (folder / gone).unlink()
    source = StoreSource(service, artifacts=folder)
    with pytest.raises(StoreChanged) as err:
        if gone.startswith("adjacency"):
            neighborhood(source, "miR-21")
        else:
            rank(source, "pagerank")
    assert err.value.status == 503 and str(tmp_path) not in str(err.value)
    assert gone.split("/")[0] in str(err.value)
