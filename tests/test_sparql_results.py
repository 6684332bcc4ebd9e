"""The one parsed form of SELECT/ASK results (exokg.sparql.results), on pyoxigraph's output."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from exokg.errors import InvalidQuery
from exokg.sparql.results import Results, render_table
from rdflib import Literal, URIRef


@pytest.fixture(scope="module")
def store():
    s = ox.Store()
    mir = ox.NamedNode("https://w3id.org/exokg/id/content/mir-21")
    s.add(ox.Quad(mir, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                  ox.Literal("miR-21", language="en")))
    s.add(ox.Quad(mir, ox.NamedNode("https://w3id.org/exokg/vocab#sampleSize"),
                  ox.Literal("79", datatype=ox.NamedNode(
                      "http://www.w3.org/2001/XMLSchema#integer"))))
    return s


def _json(store, query):
    return store.query(query).serialize(format=ox.QueryResultsFormat.JSON)


def test_select_parses_once_and_writes_back_the_same_json(store):
    body = _json(store, "SELECT ?s ?o ?none { ?s ?p ?o } ORDER BY ?o")
    results = Results.from_json(body)
    assert results.vars == ["s", "o", "none"] and results.kind == "SELECT"
    assert results.rows[0][0] == URIRef("https://w3id.org/exokg/id/content/mir-21")
    assert all(row[2] is None for row in results.rows)
    assert results.to_json() == json.loads(body)


def test_text_table(store):
    results = Results.from_json(_json(store, "SELECT ?s ?n { ?s <https://w3id.org/exokg/"
                                              "vocab#sampleSize> ?n }"))
    assert render_table(results).splitlines()[2].startswith("exoid:content/mir-21  79")


def test_ask_reads_as_a_one_cell_table(store):
    results = Results.from_json(store.query("ASK { ?s ?p ?o }").serialize(
        format=ox.QueryResultsFormat.JSON))
    assert (results.kind, results.boolean, results.rows) == ("ASK", True, [[Literal(True)]])
    assert render_table(results) == "true"


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"head": {"vars": ["x"]}}', b"[1]"])
def test_not_sparql_json_is_a_clear_error(body):
    with pytest.raises(InvalidQuery, match="not SPARQL JSON results"):
        Results.from_json(body)

