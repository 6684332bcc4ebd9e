"""The review's constants (exokg.review) are the ones the graph, the ontology and VoID use."""

from __future__ import annotations

from exokg import review
from exokg.build import build_graph
from exokg.resources import ontology_path
from exokg.vocab import DCTERMS, EXO, OWL, RDF, RDFS
from rdflib import Graph, Literal, URIRef


def test_content_kinds_are_the_ontologys_subclasses_of_exosomal_content():
    onto = Graph().parse(ontology_path() / "exokg.ttl")
    subclasses = {str(c).rsplit("#", 1)[1] for c in onto.subjects(RDFS.subClassOf,
                                                                   EXO.ExosomalContent)
                  if (c, RDF.type, OWL.Class) in onto}
    assert set(review.CONTENT_KINDS) == subclasses == set(review.CONTENT_HEADINGS.values())


def test_the_graph_cites_the_review_from_the_constants():
    graph = build_graph(links=False)
    node = next(graph.subjects(RDF.type, EXO.Review))
    assert graph.value(node, DCTERMS.bibliographicCitation) == \
        Literal(review.CITATION_WITH_DOI)
    assert graph.value(node, DCTERMS.license) == URIRef(review.LICENSE_URL)
    assert str(node).startswith(review.BASE_IRI)
    roles = {str(o).rsplit("#", 1)[1] for o in graph.objects(None, EXO.role)}
    assert roles and roles <= set(review.ROLE_OF_TABLE.values())
