"""The index artifacts built by the fast readers equal a straightforward reference computation.

A generated store holds what the readers must tell apart: typed nodes (several classes
each), Findings and schema terms with edges (left out, at either end of an edge),
untyped role individuals and untyped subjects (nodes), an untyped IRI whose only edge
goes to a Finding (not a node), blank nodes, literal values of exo: properties, and a
named graph (not part of the network, counted in the statistics). The reference is
networkx's projection of the default graph (:func:`exokg.network.project`), networkx's
own metrics, the names read with rdflib, and the statistics as plain COUNT queries.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import networkx as nx
import numpy as np
import pyoxigraph as ox
import pytest
from exokg.curie import external_curie
from exokg.index import BUILDERS, METRICS_GRAPH, build_index, load_adjacency, load_metrics
from exokg.index.search import SEARCH_FILE
from exokg.network import compress, project
from exokg.store import dataset_stats
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

EXO = Namespace("https://w3id.org/exokg/vocab#")
ID = Namespace("https://w3id.org/exokg/id/")
KINDS = ("MicroRNA", "LongNonCodingRNA", "CircularRNA", "MessengerRNA", "Protein")


def _generated() -> Graph:
    rng = random.Random(7)
    g = Graph()
    contents = [ID[f"content/c{i}"] for i in range(60)]
    diseases = [ID[f"disease/d{i}"] for i in range(8)]
    refs = [ID[f"ref/{i}"] for i in range(12)]
    for i, c in enumerate(contents):
        g.add((c, RDF.type, EXO.ExosomalContent))
        g.add((c, RDF.type, EXO[rng.choice(KINDS)]))
        if i % 7:  # some without any label: the local name stands in
            g.add((c, RDFS.label, Literal(f"miR-{i}")))
        if i % 5 == 0:
            g.add((c, RDFS.label, Literal(f"hsa-mir-{i}-x")))  # a second label
            g.add((c, SKOS.altLabel, Literal(f"MIR{i}")))
            g.add((c, EXO.xref, Literal(f"hgnc:{1000 + i}")))
            g.add((c, SKOS.exactMatch, URIRef(f"https://identifiers.org/hgnc:{2000 + i}")))
            g.add((c, SKOS.narrowMatch, URIRef(f"http://purl.obolibrary.org/obo/GO_{i:07d}")))
        g.add((c, EXO.sampleSize, Literal(rng.randrange(10, 99))))  # a literal, no edge
        for ref in rng.sample(refs, rng.randrange(0, 4)):
            g.add((c, EXO.citedIn, ref))
        g.add((c, rng.choice([EXO.upregulatedIn, EXO.downregulatedIn]),
               rng.choice(diseases)))
        if i % 3 == 0:
            g.add((c, EXO.hasRole, rng.choice([EXO.Biomarker, EXO.TherapeuticTarget])))
        if i % 4 == 0:
            g.add((c, EXO.regulates, rng.choice(contents)))
    for d in diseases:
        g.add((d, RDF.type, EXO.Disease))
        g.add((d, RDFS.label, Literal(f"disease {d[-1]}")))
    for n, ref in enumerate(refs):
        g.add((ref, RDF.type, EXO.Reference))
        g.add((ref, EXO.refNumber, Literal(n + 1)))
    for i in range(200):
        f = ID[f"finding/f{i}"]
        g.add((f, RDF.type, EXO.Finding))
        g.add((f, RDFS.label, Literal(f"finding {i}")))
        g.add((f, EXO.content, rng.choice(contents)))
        g.add((f, EXO.disease, rng.choice(diseases)))
        g.add((f, EXO.role, EXO.Biomarker))
        g.add((f, PROV.wasDerivedFrom, rng.choice(refs)))
    # two predicates between one pair: two edges, one neighbour
    g.add((contents[9], EXO.citedIn, refs[0]))
    g.add((contents[9], PROV.wasDerivedFrom, refs[0]))
    # an edge into a Finding (dropped), a content that is also a Finding (left out)
    g.add((contents[1], EXO.regulates, ID["finding/f3"]))
    g.add((contents[2], RDF.type, EXO.Finding))
    # an untyped subject (a node) and an untyped IRI whose only edge ends at a Finding
    g.add((ID["other/untyped"], EXO.regulates, contents[4]))
    g.add((ID["other/orphan"], EXO.regulates, ID["finding/f5"]))
    # schema terms and blank nodes never make nodes
    g.add((EXO.Protein, RDF.type, OWL.Class))
    g.add((EXO.Protein, EXO.regulates, contents[5]))
    g.add((BNode(), EXO.regulates, contents[6]))
    g.add((contents[7], EXO.regulates, BNode()))
    return g


def _store(g: Graph, named: bytes = b"") -> ox.Store:
    store = ox.Store()
    store.bulk_load(g.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    if named:
        store.load(named, format=ox.RdfFormat.N_QUADS)
    return store


NAMED = (b'<https://w3id.org/exokg/id/content/c9> <https://w3id.org/exokg/vocab#regulates> '
         b'<https://w3id.org/exokg/id/content/c8> <http://example.org/g> .\n'
         b'<https://w3id.org/exokg/id/content/c9> <http://www.w3.org/1999/02/22-rdf-syntax-ns#'
         b'type> <https://w3id.org/exokg/vocab#Protein> <http://example.org/g> .\n')


@pytest.fixture(scope="module")
def graph() -> Graph:
    return _generated()


@pytest.fixture(scope="module")
def G(graph) -> nx.MultiDiGraph:
    return project(graph)


@pytest.fixture(scope="module")
def built(graph, tmp_path_factory) -> tuple[ox.Store, Path]:
    store = _store(graph, NAMED)
    folder = tmp_path_factory.mktemp("index")
    build_index(store, folder)
    return store, folder


def test_the_generated_graph_has_every_case(G) -> None:
    assert str(ID["other/untyped"]) in G and str(ID["other/orphan"]) not in G
    assert G.nodes[str(EXO.Biomarker)]["kind"] == "Role"
    assert str(ID["content/c2"]) not in G and str(ID["finding/f3"]) not in G


def test_nodes_edges_and_classes_equal_the_projection(built, G) -> None:
    adj = load_adjacency(built[1])
    iris = [adj.iri(i) for i in range(adj.n)]
    assert iris == sorted(G) and adj.iris() == iris
    edges = [(iris[u], iris[int(v)], adj.predicates[int(p)]) for u in range(adj.n)
             for v, p in zip(adj.out_neighbors(u),
                             adj.out_pred[adj.out_indptr[u]:adj.out_indptr[u + 1]], strict=True)]
    assert sorted(edges) == sorted(G.edges(keys=True))
    assert len(edges) == len(set(edges))
    incoming = sorted((iris[int(v)], iris[u]) for u in range(adj.n) for v in adj.in_neighbors(u))
    assert incoming == sorted((s, o) for s, o, _ in G.edges(keys=True))
    for i, iri in enumerate(iris):
        assert adj.node_class(i) == G.nodes[iri]["class"] and adj.kind(i) == G.nodes[iri]["kind"]
        assert adj.node_id(iri) == i
    # a neighbourhood's node cap ranks by distinct neighbours each way, as the projection
    assert adj.prominence.tolist() == [len(G.succ[iri]) + len(G.pred[iri]) for iri in iris]
    # parallel edges (two predicates between one pair) count once: not the degree
    assert any(int(adj.prominence[i]) < G.degree(iri) for i, iri in enumerate(iris))
    # the kinds in order of first appearance, the predicates all exo:/prov: ones, sorted
    first = list(dict.fromkeys(G.nodes[iri]["class"] for iri in iris))
    assert list(adj.kind_names) == first
    preds = sorted({str(p) for _, p, _ in _default(built[0])
                    if str(p).startswith(str(EXO)) or p == PROV.wasDerivedFrom})
    assert list(adj.predicates) == [compress(p) for p in preds]


def _default(store: ox.Store) -> list[tuple]:
    return [(q.subject, URIRef(q.predicate.value), q.object)
            for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())]


def test_metrics_equal_networkx(built, G) -> None:
    store, folder = built
    adj, m = load_adjacency(folder), load_metrics(folder)
    U = nx.Graph(G)
    ranks, between = nx.pagerank(U, alpha=0.85, tol=1e-12, max_iter=1000), \
        nx.betweenness_centrality(U)
    refs = {n for n, d in G.nodes(data=True) if d["kind"] == "Reference"}
    content = 0
    for i in range(adj.n):
        iri = adj.iri(i)
        assert m.degree[i] == G.degree(iri)
        assert m.studies[i] == len({v for _, v, k in G.out_edges(iri, keys=True)
                                    if k == "exo:citedIn" and v in refs})
        assert abs(m.pagerank[i] - ranks[iri]) < 1e-6
        assert m.betweenness[i] == pytest.approx(between[iri], rel=1e-12, abs=1e-15)
        content += G.nodes[iri]["kind"] in KINDS
    (count,) = next(iter(store.query(
        f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{METRICS_GRAPH}> {{ ?s ?p ?o }} }}")))
    assert int(count.value) == 3 * adj.n + content


def _reference_names(graph: Graph, G: nx.MultiDiGraph) -> tuple[set, set, set]:
    """(entity rows, (iri, field, name) of the names table, words rows) from rdflib."""
    entities, names, words = set(), set(), set()
    for iri, data in G.nodes(data=True):
        s = URIRef(iri)
        labels = sorted(str(o) for o in graph.objects(s, RDFS.label))
        label = labels[0] if labels else iri.rstrip("/#").replace("#", "/").rsplit("/")[-1]
        entities.add((iri, label, compress(iri), data["class"]))
        names |= {(iri, "label", label), (iri, "curie", compress(iri))}
        words.add((label, iri, "label"))
        for other in labels[1:]:  # a node's other labels are its alternative names
            if other != label:
                names.add((iri, "altLabel", other))
                words.add((other, iri, "altLabel"))
        for alt in graph.objects(s, SKOS.altLabel):
            names.add((iri, "altLabel", str(alt)))
            words.add((str(alt), iri, "label" if str(alt) == label else "altLabel"))
        names |= {(iri, "xref", str(o)) for o in graph.objects(s, EXO.xref)}
        for pred, field in ((SKOS.exactMatch, "xref"), (SKOS.closeMatch, "xref"),
                            (SKOS.narrowMatch, "related"), (SKOS.broadMatch, "related"),
                            (SKOS.relatedMatch, "related")):
            names |= {(iri, field, external_curie(str(o)) or compress(str(o)))
                      for o in graph.objects(s, pred)}
    return entities, names, words


def test_search_rows_equal_the_names_read_with_rdflib(built, graph, G) -> None:
    adj = load_adjacency(built[1])
    con = sqlite3.connect(built[1] / SEARCH_FILE)
    try:
        entities = {row for row in con.execute("SELECT iri, label, curie, class FROM entity")}
        fields = ("label", "altLabel", "curie", "xref", "related")
        names = {(adj.iri(e), fields[f], name) for e, f, name in
                 con.execute("SELECT entity, field, name FROM names")}
        words = {(text, adj.iri(int(e)), field) for text, e, field in
                 con.execute("SELECT text, entity, field FROM words")}
    finally:
        con.close()
    assert (entities, names, words) == _reference_names(graph, G)


def _reference_stats(store: ox.Store) -> dict:
    def rows(query: str) -> list:
        return [tuple(t.value for t in sol)
                for sol in store.query(query, use_default_graph_as_union=True)]

    ((subjects, objects),) = rows("SELECT (COUNT(DISTINCT ?s) AS ?a) (COUNT(DISTINCT ?o) AS ?b) "
                                  "{ ?s ?p ?o }")
    order = lambda pairs: sorted(((k, int(n)) for k, n in pairs), key=lambda kv: (-kv[1], kv[0]))  # noqa: E731
    return {"triples": len(store), "distinct_subjects": int(subjects),
            "distinct_objects": int(objects),
            "classes": order(rows("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) "
                                  "{ ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c")),
            "properties": order(rows("SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")),
            "literal_properties": sorted(p for (p,) in rows(
                "SELECT DISTINCT ?p { ?s ?p ?o FILTER(isLiteral(?o)) }")),
            "graphs": sorted(g.value for g in store.named_graphs()),
            "graph_triples": {g: int(n) for g, n in sorted(rows(
                "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"))}}


@pytest.mark.parametrize("named", [b"", NAMED])
def test_statistics_equal_plain_count_queries(graph, named, tmp_path) -> None:
    store = _store(graph, named)
    build_index(store, tmp_path)  # with the metrics' named graph, as a store build has it
    assert dataset_stats(store) == _reference_stats(store)


def test_build_index_equals_the_builders_in_turn(built, graph, tmp_path) -> None:
    store = _store(graph, NAMED)
    for build in BUILDERS:
        build(store, tmp_path)
    one = built[1]
    for path in sorted((one / "adjacency").iterdir()) + sorted((one / "metrics").glob("*.npy")):
        other = tmp_path / path.relative_to(one)
        if path.suffix == ".npy":
            assert np.array_equal(np.load(path), np.load(other)), path.name
        else:
            assert path.read_bytes() == other.read_bytes(), path.name
    assert not list(one.rglob("*.nq"))  # the triples' file is gone once loaded
    tables = ("SELECT * FROM entity ORDER BY id", "SELECT * FROM names ORDER BY rowid",
              "SELECT text, entity, field FROM words ORDER BY rowid")
    a, b = sqlite3.connect(one / SEARCH_FILE), sqlite3.connect(tmp_path / SEARCH_FILE)
    try:
        for query in tables:
            assert a.execute(query).fetchall() == b.execute(query).fetchall()
    finally:
        a.close()
        b.close()
