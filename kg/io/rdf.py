"""RDF syntaxes, written from one canonical form, so the same graph gives the same bytes.

The registry (:mod:`exokg.formats`, kind ``"rdf"``) names these functions; each takes an
rdflib graph and returns UTF-8 bytes, the same bytes in every process. rdflib's graphs
and some of its serializers follow Python's per-process string hashing (the JSON-LD and
RDF/XML serializers walk sets of subjects and predicates; a parser names blank nodes at
random), so every writer starts from :func:`canonical_ntriples`: blank nodes named by
their content (:func:`rdflib.compare.to_canonical_graph`), statements sorted. N-Triples
and N-Quads are those lines; JSON-LD and RDF/XML are pyoxigraph's serializers over them
(deterministic for a sorted input, as the store's own dumps are); Turtle and TriG are
rdflib's (which sort subjects, predicates and prefixes) over a graph holding them.

>>> from rdflib import Graph, Literal, URIRef
>>> g = Graph()
>>> _ = g.add((URIRef("https://x.org/b"), URIRef("https://x.org/p"), Literal("b")))
>>> _ = g.add((URIRef("https://x.org/a"), URIRef("https://x.org/p"), Literal("a")))
>>> to_ntriples(g).decode().splitlines()[0]
'<https://x.org/a> <https://x.org/p> "a" .'
>>> to_jsonld(g)[:30]
b'[{"@id":"https://x.org/a","htt'
"""

from __future__ import annotations

import pyoxigraph as ox
from exokg.build import to_sorted_ntriples
from exokg.errors import XML_UNFIT, UnknownFormat
from exokg.sparql._executor import xml_exact, xml_unfit
from rdflib import BNode, Dataset, Graph

__all__ = ["canonical_ntriples", "to_jsonld", "to_nquads", "to_ntriples", "to_rdfxml",
           "to_trig", "to_turtle"]


def _has_blank_nodes(graph: Graph) -> bool:
    return any(isinstance(s, BNode) or isinstance(o, BNode) for s, _, o in graph)


def _canonical_graph(graph: Graph) -> Graph:
    """``graph`` with its blank nodes named by content (the same names in every process),
    its prefixes kept; ``graph`` itself when it has no blank nodes."""
    if not _has_blank_nodes(graph):
        return graph
    from rdflib.compare import to_canonical_graph

    out = Graph()
    for prefix, namespace in sorted(graph.namespaces()):
        out.bind(prefix, namespace, override=True, replace=True)
    for triple in to_canonical_graph(graph):
        out.add(triple)
    return out


def canonical_ntriples(graph: Graph) -> bytes:
    """The canonical form every writer starts from: N-Triples, sorted, with blank nodes
    named by their content."""
    return to_sorted_ntriples(_canonical_graph(graph))


def _prefixes(graph: Graph) -> dict[str, str]:
    """The graph's prefixes that name one of its predicates, by prefix."""
    used = sorted({str(p) for p in set(graph.predicates())})
    return {prefix: str(namespace) for prefix, namespace in sorted(graph.namespaces())
            if prefix and any(iri.startswith(str(namespace)) for iri in used)}


def _oxigraph(graph: Graph, rdf_format: ox.RdfFormat) -> bytes:
    triples = ox.parse(canonical_ntriples(graph), ox.RdfFormat.N_TRIPLES)
    return ox.serialize(triples, format=rdf_format, prefixes=_prefixes(graph)) or b""


def _ordered(graph: Graph, *, quads: bool = False) -> Graph:
    """A graph (or a Dataset with it as the default graph) with ``graph``'s prefixes and
    its canonical statements, added in order, for rdflib's serializers."""
    out = Dataset() if quads else Graph()
    for prefix, namespace in sorted(graph.namespaces()):
        out.bind(prefix, namespace, override=True, replace=True)
    target = out.default_graph if isinstance(out, Dataset) else out
    for triple in sorted(_canonical_graph(graph), key=lambda t: tuple(x.n3() for x in t)):
        target.add(triple)
    return out


def to_turtle(graph: Graph) -> bytes:
    """Turtle (rdflib's: subjects, predicates and prefixes sorted)."""
    return _ordered(graph).serialize(format="turtle", encoding="utf-8")


def to_ntriples(graph: Graph) -> bytes:
    """N-Triples, sorted (the same graph gives the same bytes)."""
    return canonical_ntriples(graph)


def to_jsonld(graph: Graph) -> bytes:
    """JSON-LD (expanded, a node object per subject, subjects in order)."""
    return _oxigraph(graph, ox.RdfFormat.JSON_LD)


def to_rdfxml(graph: Graph) -> bytes:
    """RDF/XML (a description per subject, subjects in order).

    Raises
    ------
    UnknownFormat
        when a literal holds what XML 1.0 cannot carry (406): never malformed XML.
    """
    data = _oxigraph(graph, ox.RdfFormat.RDF_XML)
    if xml_unfit("application/rdf+xml", data):
        raise UnknownFormat(XML_UNFIT)
    return xml_exact("application/rdf+xml", data)


def to_nquads(graph: Graph) -> bytes:
    """N-Quads: the graph as the default graph, so its sorted N-Triples lines."""
    return canonical_ntriples(graph)


def to_trig(graph: Graph) -> bytes:
    """TriG (the graph as the default graph)."""
    return _ordered(graph, quads=True).serialize(format="trig", encoding="utf-8")
