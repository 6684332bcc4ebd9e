"""RDF syntaxes, written by rdflib's serializers (N-Triples sorted, so downloads are stable).

The registry (:mod:`exokg.formats`, kind ``"rdf"``) names these functions; each takes an
rdflib graph and returns UTF-8 bytes.

>>> from rdflib import Graph, Literal, URIRef
>>> g = Graph()
>>> _ = g.add((URIRef("https://x.org/b"), URIRef("https://x.org/p"), Literal("b")))
>>> _ = g.add((URIRef("https://x.org/a"), URIRef("https://x.org/p"), Literal("a")))
>>> to_ntriples(g).decode().splitlines()[0]
'<https://x.org/a> <https://x.org/p> "a" .'
"""

from __future__ import annotations

from exokg.build import to_sorted_ntriples
from rdflib import Dataset, Graph

__all__ = ["to_jsonld", "to_nquads", "to_ntriples", "to_rdfxml", "to_trig", "to_turtle"]


def _as_dataset(graph: Graph) -> Dataset:
    """A Dataset holding ``graph`` as its default graph, with its prefixes."""
    dataset = Dataset()
    for prefix, namespace in graph.namespaces():
        dataset.bind(prefix, namespace, override=True, replace=True)
    default = dataset.default_graph
    for triple in graph:
        default.add(triple)
    return dataset


def _serialize(graph: Graph, rdflib_format: str, *, quads: bool = False) -> bytes:
    if quads and not graph.context_aware:
        graph = _as_dataset(graph)  # rdflib writes quads only from a Dataset
    return graph.serialize(format=rdflib_format, encoding="utf-8")


def to_turtle(graph: Graph) -> bytes:
    """Turtle."""
    return _serialize(graph, "turtle")


def to_ntriples(graph: Graph) -> bytes:
    """N-Triples, sorted (the same graph gives the same bytes)."""
    return to_sorted_ntriples(graph)


def to_jsonld(graph: Graph) -> bytes:
    """JSON-LD."""
    return _serialize(graph, "json-ld")


def to_rdfxml(graph: Graph) -> bytes:
    """RDF/XML."""
    return _serialize(graph, "xml")


def to_nquads(graph: Graph) -> bytes:
    """N-Quads (a plain graph becomes the default graph)."""
    return _serialize(graph, "nquads", quads=True)


def to_trig(graph: Graph) -> bytes:
    """TriG (a plain graph becomes the default graph)."""
    return _serialize(graph, "trig", quads=True)
