"""The networkx projection: nodes, edges, attributes, lookup, cache, and back to RDF."""

from __future__ import annotations

import json

import pytest
from exokg.errors import NodeNotFound
from exokg.network import (
    compress,
    expand,
    graph_json,
    project,
    resolve_node,
    to_rdf,
)
from exokg.vocab import EXO, EXOID, RDF, SHORTCUT_PREDICATES
from rdflib import Graph, Literal, URIRef

MIR21 = str(EXOID["content/mir-21"])
HCC = str(EXOID["disease/hcc"])


def test_nodes_are_entities_with_attributes(G):
    data = G.nodes[MIR21]
    assert data["label"] == "miR-21"
    assert data["curie"] == "exoid:content/mir-21"
    assert data["class"] == "exo:MicroRNA"
    assert data["kind"] == "MicroRNA"
    assert "hsa-miR-21" in data["alt_labels"]
    assert not any(d["kind"] == "Finding" for _, d in G.nodes(data=True))
    assert isinstance(G.nodes[str(EXOID["ref/28"])]["refNumber"], int)


def test_every_shortcut_triple_is_an_edge(graph, G):
    findings = set(graph.subjects(RDF.type, EXO.Finding))
    shortcuts = [(s, p, o) for p in SHORTCUT_PREDICATES for s, o in graph.subject_objects(p)
                 if s not in findings]
    for s, p, o in shortcuts:
        assert G.has_edge(str(s), str(o), key=compress(str(p)))
    assert G.number_of_edges() == len(shortcuts)


def test_findings_on_request(graph, GF):
    findings = set(map(str, graph.subjects(RDF.type, EXO.Finding)))
    assert findings <= set(GF)
    f = str(EXOID["finding/t1-18"])
    assert GF.nodes[f]["kind"] == "Finding"
    assert GF.nodes[f]["sampleSize"] == 54
    assert GF.has_edge(f, str(EXOID["content/mir-638"]), key="exo:content")
    assert GF.has_edge(f, str(EXOID["ref/28"]), key="prov:wasDerivedFrom")


def test_role_individuals_get_a_kind(G):
    assert G.nodes[str(EXO.Biomarker)]["kind"] == "Role"


@pytest.mark.parametrize("name", [MIR21, "exoid:content/mir-21", "miR-21", "MIR-21",
                                  " mir-21 ", "hsa-miR-21"])
def test_resolve_node(G, name):
    assert resolve_node(G, name) == MIR21


def test_resolve_external_curie_when_links_exist(G):
    xrefs = [x for _, d in G.nodes(data=True) for x in d.get("xrefs", ())]
    if xrefs:  # exokg.links adds them; without it there is nothing to resolve
        node = next(n for n, d in G.nodes(data=True) if xrefs[0] in d.get("xrefs", ()))
        assert resolve_node(G, xrefs[0]) == node
    with pytest.raises(NodeNotFound):
        resolve_node(G, "MONDO:9999999")


def test_unknown_node_suggests_close_matches(G):
    with pytest.raises(NodeNotFound) as err:
        resolve_node(G, "miR-21x")
    assert err.value.suggestions[0] == "miR-21"
    assert err.value.status == 404


def test_curies():
    assert compress(expand("exo:regulates")) == "exo:regulates"
    assert expand("exoid:content/mir-21") == MIR21
    assert compress("urn:x") == "urn:x"


def test_to_rdf_round_trip(G, GF):
    for graph in (G, GF):
        back = project(to_rdf(graph), findings=graph.graph["findings"])
        assert set(back.nodes) == set(graph.nodes)
        assert set(back.edges(keys=True)) == set(graph.edges(keys=True))
        for node, data in graph.nodes(data=True):
            assert back.nodes[node] == data


def test_projection_skips_schema_terms():
    g = Graph()
    g.add((EXO.MicroRNA, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
    g.add((URIRef(MIR21), RDF.type, EXO.MicroRNA))
    g.add((URIRef(MIR21), EXO.sampleNote, Literal("x")))
    G = project(g)
    assert list(G) == [MIR21]
    assert G.nodes[MIR21]["sampleNote"] == "x"


def test_graph_json_is_sorted(G):
    data = graph_json(G)
    assert [n["id"] for n in data["nodes"]] == sorted(G.nodes)
    assert {"source", "target", "predicate"} == set(data["edges"][0])


def test_an_exo_property_named_like_a_node_attribute_keeps_its_prefix(tmp_path):
    """exo:label, exo:kind, exo:curie overwrote the node's own label, kind and CURIE in
    every network export (a node came out labelled with its exo:label)."""
    import networkx as nx
    from conftest import exokg

    data = tmp_path / "clash.ttl"
    data.write_text(
        "@prefix exo: <https://w3id.org/exokg/vocab#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/exokg/id/content/n7> a exo:MicroRNA ; rdfs:label \"n7\" ;\n"
        "  exo:label \"not the label\" ; exo:kind \"k\" ; exo:curie \"c\" ; exo:id \"i\" ;\n"
        "  exo:parent \"p\" .\n")
    out = tmp_path / "clash.graphml"
    done = exokg("export", "--data", str(data), "--store", str(tmp_path / "store"),
                 "--format", "graphml", "--out", str(out))
    assert done.returncode == 0, done.stderr
    node = nx.read_graphml(out).nodes["https://w3id.org/exokg/id/content/n7"]
    assert (node["label"], node["kind"], node["curie"]) == ("n7", "MicroRNA",
                                                            "exoid:content/n7")
    assert (node["exo:label"], node["exo:kind"], node["exo:curie"], node["exo:id"]) == (
        "not the label", "k", "c", "i")
    # Cytoscape.js reads a node's "parent" as the compound node it sits in
    out = tmp_path / "clash.cyjs"
    done = exokg("export", "--data", str(data), "--store", str(tmp_path / "store"),
                 "--format", "cytoscape", "--out", str(out))
    assert done.returncode == 0, done.stderr
    node = json.loads(out.read_text())["elements"]["nodes"][0]["data"]
    assert node["exo:parent"] == "p" and "parent" not in node


def test_to_rdf_keeps_the_language_and_type_of_the_literals_it_projected():
    """A neighbourhood's or a path's RDF (to_rdf of the projection) wrote "m1"@en as
    "m1": the projection keeps plain values, which the network formats take."""
    from exokg.network import TAGGED, node_json, project_triples
    from exokg.vocab import RDFS, SKOS

    m1, hcc = URIRef("https://w3id.org/exokg/id/content/m1"), URIRef(
        "https://w3id.org/exokg/id/disease/hcc")
    triples = [(m1, RDF.type, EXO.MicroRNA), (m1, RDFS.label, Literal("m1", lang="en")),
               (m1, SKOS.altLabel, Literal("m-eins", lang="de")),
               (m1, SKOS.altLabel, Literal("m one")),
               (m1, EXO.note, Literal("eine Notiz", lang="de")),
               (m1, EXO.upregulatedIn, hcc), (hcc, RDF.type, EXO.Disease),
               (hcc, RDFS.label, Literal("HCC"))]
    G = project_triples(triples)
    assert G.nodes[str(m1)]["label"] == "m1" and G.nodes[str(m1)]["note"] == "eine Notiz"
    assert TAGGED not in node_json(G, str(m1))  # hidden from the JSON and the exporters
    out = set(to_rdf(G))
    assert set(triples) <= out
    assert (m1, RDFS.label, Literal("m1")) not in out
    assert (m1, EXO.note, Literal("eine Notiz")) not in out


QUERY_RESULT = """
@prefix ex: <http://example.org/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/exokg/id/content/mir-21> skos:exactMatch <http://www.wikidata.org/entity/Q1> ,
        <http://www.mirbase.org/mature/MIMAT0000076> ;
    rdfs:label "miR-21", "MIR21", "hsa-miR-21" ;
    ex:seenIn _:study ; <tag:example.org,2020:note> "a note" .
_:study ex:year 2020 .
"""


def test_a_query_result_keeps_its_statements_and_reads_back():
    """A query's result: a mapping to an IRI no CURIE names was dropped, a blank node's
    statements too; an attribute of a tag: IRI came back as an exo: property."""
    G = project(Graph().parse(data=QUERY_RESULT, format="turtle"), every_statement=True)
    mir = "https://w3id.org/exokg/id/content/mir-21"
    study = next(n for n in G if n.startswith("_:"))
    assert G.has_edge(mir, "http://www.wikidata.org/entity/Q1", "skos:exactMatch")
    assert G.has_edge(mir, study, "http://example.org/seenIn")
    assert G.nodes[study]["http://example.org/year"] == 2020
    assert G.nodes[mir]["label"] == "MIR21"  # of three labels, the least, whatever the hash
    back = to_rdf(G)
    assert (URIRef(mir), URIRef("tag:example.org,2020:note"), Literal("a note")) in back
    assert len(list(back.triples((None, URIRef("http://example.org/year"), None)))) == 1
    H = project(back, every_statement=True)
    assert sorted(H.edges(keys=True)) == sorted(G.edges(keys=True))
