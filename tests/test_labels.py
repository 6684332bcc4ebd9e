"""A node with several labels is named alike by every view, the others kept as names."""

from __future__ import annotations

import io

import networkx as nx
import pytest
from _web import data_client

NODE = "https://w3id.org/exokg/id/content/two"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An app over a --data file whose node has two labels (one with a language) and an
    alternative label, and links to a disease."""
    yield from data_client(
        tmp_path_factory.mktemp("labels"),
        f'<{NODE}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
        '<https://w3id.org/exokg/vocab#MicroRNA> .\n'
        f'<{NODE}> <http://www.w3.org/2000/01/rdf-schema#label> "Two B"@de .\n'
        f'<{NODE}> <http://www.w3.org/2000/01/rdf-schema#label> "Two A" .\n'
        f'<{NODE}> <http://www.w3.org/2004/02/skos/core#altLabel> "Deux" .\n'
        f'<{NODE}> <https://w3id.org/exokg/vocab#regulates> '
        '<https://w3id.org/exokg/id/disease/d1> .\n'
        '<https://w3id.org/exokg/id/disease/d1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
        '<https://w3id.org/exokg/vocab#Disease> .\n')


def test_the_entity_page_names_it_by_the_least_label_and_keeps_the_other(client):
    # the page took whichever label the store gave first ("Two B"); the other was on no page
    page = client.get("/id/content/two.json").get_json()
    assert page["label"] == "Two A"
    assert page["alt_labels"] == ["Deux", "Two B"]
    assert "Two B" in client.get("/id/content/two").get_data(as_text=True)


@pytest.mark.parametrize("name", ["Two A", "Two B", "two b", "Deux"])
def test_every_label_finds_and_resolves_it(client, name):
    hits = client.get("/api/entities", query_string={"q": name}).get_json()["results"]
    assert hits and hits[0]["id"] == NODE and hits[0]["label"] == "Two A"
    hood = client.get("/api/neighborhood", query_string={"node": name})
    assert hood.status_code == 200, hood.get_json()
    assert hood.get_json()["center"]["id"] == NODE


def test_the_network_and_its_exports_name_it_alike(client):
    hood = client.get("/api/neighborhood", query_string={"node": NODE}).get_json()
    (node,) = [n for n in hood["nodes"] if n["id"] == NODE]
    assert node["label"] == "Two A" and node["alt_labels"] == ["Deux"]
    graphml = client.get("/api/export", query_string={"format": "graphml"}).data
    G = nx.read_graphml(io.BytesIO(graphml))
    assert G.nodes[NODE]["label"] == "Two A"


def test_a_neighbourhood_s_rdf_states_each_label_as_the_store_does(client):
    """Its other labels are no skos:altLabel the store does not hold."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDFS, SKOS

    ttl = client.get("/api/neighborhood", query_string={"node": NODE, "format": "turtle"})
    g = Graph().parse(data=ttl.data, format="turtle")
    node = URIRef(NODE)
    assert set(g.objects(node, RDFS.label)) == {Literal("Two A"), Literal("Two B", lang="de")}
    assert set(g.objects(node, SKOS.altLabel)) == {Literal("Deux")}
