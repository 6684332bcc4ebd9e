"""An independent SPARQL client against a real server: rdflib's SPARQLStore.

A user opens an rdflib graph over the endpoint and asks the README's example questions
(:data:`exokg.examples.EXAMPLES`) through it; the rows must be the ones the endpoint gives
directly over the protocol. Pattern calls (``triples``) and ``len()`` go through the store too.
"""

from __future__ import annotations

import pytest
import requests
from exokg.examples import EXAMPLES
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore

EXO = "https://w3id.org/exokg/vocab#"
MIR21 = URIRef("https://w3id.org/exokg/id/content/mir-21")


def _direct(url: str, query: str, kind: str):
    """The answer of the endpoint itself: rows of SELECT, a bool of ASK, triples of a graph."""
    if kind in ("CONSTRUCT", "DESCRIBE"):
        answer = requests.get(f"{url}/sparql", params={"query": query},
                              headers={"Accept": "application/n-triples"}, timeout=60)
        assert answer.status_code == 200, answer.text
        return set(Graph().parse(data=answer.text, format="nt"))
    answer = requests.get(f"{url}/sparql", params={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    if "boolean" in body:
        return body["boolean"]
    names = body["head"]["vars"]
    return [tuple(_json_value(row.get(name)) for name in names)
            for row in body["results"]["bindings"]]


def _json_value(term: dict | None):
    if term is None:
        return None
    if term["type"] == "uri":
        return URIRef(term["value"])
    return Literal(term["value"], lang=term.get("xml:lang"), datatype=term.get("datatype"))


def _through_store(graph: Graph, query: str, kind: str):
    result = graph.query(query)
    if kind in ("CONSTRUCT", "DESCRIBE"):
        return set(result.graph)
    if kind == "ASK":
        return result.askAnswer
    return [tuple(row) for row in result]


@pytest.fixture(scope="module")
def store_graph(live_server):
    """A graph over the endpoint as a user opens it: the store's defaults (results as SPARQL
    XML, graphs as RDF/XML; ``returnFormat="json"`` would ask a CONSTRUCT for results JSON,
    which the server rightly answers 406)."""
    graph = Graph(store=SPARQLStore(f"{live_server}/sparql"))
    yield graph
    graph.close()


def test_select_with_json_results_through_sparqlstore(live_server):
    graph = Graph(store=SPARQLStore(f"{live_server}/sparql", returnFormat="json"))
    try:
        example = next(e for e in EXAMPLES if e.kind == "SELECT")
        assert _through_store(graph, example.sparql, "SELECT") == \
            _direct(live_server, example.sparql, "SELECT")
    finally:
        graph.close()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.slug)
def test_examples_through_sparqlstore_equal_the_endpoint(store_graph, live_server, example):
    direct = _direct(live_server, example.sparql, example.kind)
    assert direct, f"{example.slug} has no answer at all"
    assert _through_store(store_graph, example.sparql, example.kind) == direct


def test_triple_patterns_through_sparqlstore(store_graph, live_server):
    labels = set(store_graph.triples((MIR21, RDFS.label, None)))
    assert labels == {(MIR21, RDFS.label, Literal("miR-21"))}
    assert (MIR21, RDF.type, URIRef(EXO + "MicroRNA")) in store_graph
    facts = set(store_graph.triples((MIR21, None, None)))
    direct = _direct(live_server, f"CONSTRUCT {{ <{MIR21}> ?p ?o }} WHERE {{ <{MIR21}> ?p ?o }}",
                     "CONSTRUCT")
    assert facts == direct and len(facts) > 5
    findings = set(store_graph.subjects(URIRef(EXO + "content"), MIR21))
    assert len(findings) >= 5


def test_len_through_sparqlstore_is_the_triple_count(store_graph, live_server):
    [(count,)] = _direct(live_server, "SELECT (COUNT(*) AS ?c) WHERE { ?s ?p ?o }", "SELECT")
    assert len(store_graph) == int(count) > 1000


def test_a_dataset_over_sparqlstore_is_answered_as_from_its_default_graph(live_server):
    """A Dataset's default graph sends ``default-graph-uri=urn:x-rdflib:default``: answered
    as ``FROM <urn:x-rdflib:default>`` is (a graph the service does not hold: no rows), not
    refused."""
    query = f"SELECT ?l WHERE {{ <{MIR21}> <{RDFS.label}> ?l }}"
    dataset = Dataset(store=SPARQLStore(f"{live_server}/sparql"))
    try:
        rows = [tuple(row) for row in dataset.query(query)]
    finally:
        dataset.close()
    named = query.replace("WHERE", "FROM <urn:x-rdflib:default> WHERE", 1)
    assert rows == _direct(live_server, named, "SELECT")
