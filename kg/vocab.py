"""The vocabulary's IRIs, in one place.

Every other module names ExoKG terms through these namespaces, never as string
literals, so that the public contract (``shared/spec/vocabulary.md``) lives here.

>>> from exokg.vocab import EXO, EXOID
>>> str(EXO.Finding)
'https://w3id.org/exokg/vocab#Finding'
>>> str(EXOID["content/mir-21"])
'https://w3id.org/exokg/id/content/mir-21'
"""

from __future__ import annotations

from exokg import review
from rdflib import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, Namespace

__all__ = [
    "EXO", "EXOID", "DCTERMS", "OWL", "PROV", "RDF", "RDFS", "SKOS", "XSD", "PREFIXES",
    "CONTENT_CLASSES", "ROLE_OF_TABLE", "SHORTCUT_PREDICATES", "bind_prefixes",
]

EXO = Namespace(review.BASE_IRI + "vocab#")
EXOID = Namespace(review.BASE_IRI + "id/")

#: The prefixes ExoKG writes and that its SPARQL examples assume.
PREFIXES: dict[str, str] = {
    "exo": str(EXO),
    "exoid": str(EXOID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
}

#: The five molecule kinds; every exo:ExosomalContent has exactly one of them.
CONTENT_CLASSES = tuple(EXO[kind] for kind in review.CONTENT_KINDS)

#: What the review proposes the content of each table is.
ROLE_OF_TABLE = {table: EXO[role] for table, role in review.ROLE_OF_TABLE.items()}

#: The materialized content -> value edges of the vocabulary.
SHORTCUT_PREDICATES = (EXO.regulates, EXO.upregulatedIn, EXO.downregulatedIn,
                       EXO.isolatedBy, EXO.detectedBy, EXO.citedIn, EXO.hasRole)


def bind_prefixes(graph):
    """Bind ExoKG's prefixes on ``graph`` (replacing rdflib's defaults) and return it."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph
