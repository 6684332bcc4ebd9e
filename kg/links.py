"""Writing ExoKG's links to external ontologies and databases into a graph.

:func:`add_links` writes the SSSOM mappings and the references' identification (read
by :mod:`exokg.sssom`) into a graph: ``<entity> skos:exactMatch <IRI>`` and
``<entity> exo:xref "CURIE"`` for each mapping (IRIs by :func:`exokg.curie.converter`),
and for references ``rdfs:seeAlso`` (never ``owl:sameAs``: the identifications are
inferred), ``exo:identificationStatus``, ``exo:identificationEvidence``,
``dcterms:title`` ... and ``exo:retracted``. :func:`unmapped` lists the entities of a
graph that no mapping links, with the reason.

>>> from exokg.curie import converter
>>> converter().expand("MONDO:0007256")
'http://purl.obolibrary.org/obo/MONDO_0007256'
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import NamedTuple

from exokg.curie import converter
from exokg.labels import preferred_label
from exokg.review import ID_NAMESPACE_OF_CLASS
from exokg.sssom import (
    KINDS,
    PREDICATES,
    XREF_PREDICATES,
    Mapping,
    ReferenceInfo,
    UnmappedNote,
    bundled,
)
from exokg.vocab import DCTERMS, EXO, EXOID, RDF, RDFS, XSD
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

__all__ = ["Unmapped", "add_links", "unmapped"]

logger = logging.getLogger(__name__)

#: The class of each kind's entities in the graph.
_CLASSES_OF_KIND = {kind: tuple(EXO[cls] for cls, of in ID_NAMESPACE_OF_CLASS.items()
                                if of == kind) for kind in KINDS}
_NO_NOTE = "no curated mapping and not listed in data/mappings/unmapped.tsv"


class Unmapped(NamedTuple):
    """An entity of a graph with no mapping: its IRI, label, kind and the reason."""

    iri: URIRef
    label: str
    kind: str
    reason: str


def _citation(ref: ReferenceInfo) -> str:
    parts = [ref.first_author, ref.title, ref.journal, ref.year]
    return ". ".join(p.rstrip(".") for p in parts if p) + "." if any(parts) else ""


def _add_reference(graph: Graph, ref: ReferenceInfo) -> None:
    node = EXOID[f"ref/{ref.ref}"]
    add = graph.add
    add((node, EXO.identificationStatus, Literal(ref.status)))
    evidence = ref.evidence
    if ref.disagreement:
        evidence += f" | differs from the review's table: {ref.disagreement}"
    if evidence:
        add((node, EXO.identificationEvidence, Literal(evidence)))
    if ref.title:
        add((node, DCTERMS.title, Literal(ref.title)))
    if ref.year:
        add((node, DCTERMS.date, Literal(ref.year, datatype=XSD.gYear)))
    citation = _citation(ref)
    if citation:
        add((node, DCTERMS.bibliographicCitation, Literal(f"{citation} (inferred)")))
    if ref.retracted:
        add((node, EXO.retracted, Literal(True)))
        for finding in sorted(graph.subjects(EXO.citedIn, node), key=str):
            if (finding, RDF.type, EXO.Finding) in graph:
                add((finding, EXO.retracted, Literal(True)))


def _in_graph(graph: Graph, node: Node) -> bool:
    return (node, None, None) in graph


def add_links(graph: Graph, mappings: Iterable[Mapping] | None = None, *,
              references: Iterable[ReferenceInfo] | None = None) -> Graph:
    """Add the external links and the references' identification to ``graph``.

    For each mapping whose subject is in the graph: ``<subject> <predicate> <object
    IRI>`` and, when the object identifies the subject itself (an exact or close match, a
    study's ``rdfs:seeAlso``), ``<subject> exo:xref "CURIE"`` (as the ontology defines
    it). For each cited study in the graph:
    ``exo:identificationStatus``, ``exo:identificationEvidence`` and the fields that
    were seen (``dcterms:title``, ``dcterms:date`` as ``xsd:gYear``,
    ``dcterms:bibliographicCitation``), and ``exo:retracted true`` on a retracted
    study and on every ``exo:Finding`` ``exo:citedIn`` it. Entities not in the
    graph are skipped, so a partial graph gets the links of what it holds.

    Parameters
    ----------
    graph
        the graph to add to; it is changed in place (the same triples each time).
    mappings
        default: the bundled SSSOM file.
    references
        default: the bundled ``data/references.tsv``.

    Returns
    -------
    rdflib.Graph
        ``graph`` itself.

    Examples
    --------
    >>> from exokg.vocab import SKOS
    >>> g = Graph()
    >>> _ = g.add((EXOID["disease/hcc"], RDF.type, EXO.Disease))
    >>> _ = add_links(g)
    >>> mondo = URIRef("http://purl.obolibrary.org/obo/MONDO_0007256")
    >>> (EXOID["disease/hcc"], SKOS.exactMatch, mondo) in g
    True
    >>> (EXOID["disease/hcc"], EXO.xref, Literal("MONDO:0007256")) in g
    True
    """
    if mappings is None:
        mappings = bundled()[0]
    if references is None:
        references = bundled()[2]
    conv = converter()
    added = 0
    for mapping in sorted(mappings):
        subject = EXOID[mapping.subject_path]
        if not _in_graph(graph, subject):
            continue
        iri = conv.expand(mapping.object_id, strict=True)
        graph.add((subject, PREDICATES[mapping.predicate_id], URIRef(iri)))
        if mapping.predicate_id in XREF_PREDICATES:  # names the entity itself
            graph.add((subject, EXO.xref, Literal(mapping.object_id)))
        added += 1
    for ref in sorted(references, key=lambda r: r.ref):
        if _in_graph(graph, EXOID[f"ref/{ref.ref}"]):
            _add_reference(graph, ref)
    logger.info("added %d external links", added)
    return graph


def _kind_of(graph: Graph, node: Node) -> str | None:
    types = set(graph.objects(node, RDF.type))
    for kind, classes in _CLASSES_OF_KIND.items():
        if types.intersection(classes):
            return kind
    return None


def unmapped(graph: Graph, *, mappings: Iterable[Mapping] | None = None,
             notes: Iterable[UnmappedNote] | None = None) -> list[Unmapped]:
    """The entities of ``graph`` that no mapping links, each with the reason.

    Entities are the nodes typed as a content (any of the five kinds), disease,
    sample type, isolation or detection method, exosome source, drug or reference.
    The reason comes from ``data/mappings/unmapped.tsv``; an entity missing from it
    too is reported as not curated.

    Parameters
    ----------
    graph
        a graph of ExoKG entities (e.g. :func:`exokg.build.build_graph`).
    mappings, notes
        default: the bundled mappings and unmapped list.

    Returns
    -------
    list of Unmapped
        ``(iri, label, kind, reason)`` tuples, sorted by kind (in :data:`KINDS`
        order) and IRI.

    Examples
    --------
    >>> g = Graph()
    >>> _ = g.add((EXOID["content/lnc-fam72d-3"], RDF.type, EXO.LongNonCodingRNA))
    >>> _ = g.add((EXOID["disease/hcc"], RDF.type, EXO.Disease))
    >>> [(u.kind, u.iri.rsplit("/", 1)[1]) for u in unmapped(g)]
    [('content', 'lnc-fam72d-3')]
    """
    if mappings is None:
        mappings = bundled()[0]
    if notes is None:
        notes = bundled()[1]
    linked = {EXOID[m.subject_path] for m in mappings}
    reasons = {EXOID[n.subject_id.split(":", 1)[1]]: n.reason for n in notes}
    classes = {c for group in _CLASSES_OF_KIND.values() for c in group}
    nodes = {s for c in classes for s in graph.subjects(RDF.type, c)
             if isinstance(s, URIRef)}
    result = []
    for node in nodes - linked:
        kind = _kind_of(graph, node)
        assert kind is not None  # typed with one of the classes above
        label = preferred_label(str(o) for o in graph.objects(node, RDFS.label)) or ""
        result.append(Unmapped(node, label, kind, reasons.get(node, _NO_NOTE)))
    result.sort(key=lambda u: (KINDS.index(u.kind), str(u.iri)))
    return result
