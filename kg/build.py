"""Build the RDF graph: normalized findings and entities in the ExoKG vocabulary.

>>> graph = build_graph()
>>> from exokg.vocab import EXO, EXOID, RDF
>>> len(set(graph.subjects(RDF.type, EXO.Finding)))
66
>>> (EXOID["content/mir-21"], EXO.upregulatedIn, EXOID["disease/hcc"]) in graph
True
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from exokg import review
from exokg.entities import Entity, EntityTable, Finding, load_entities, normalize
from exokg.errors import RecordError
from exokg.records import read_records
from exokg.vocab import DCTERMS, EXO, EXOID, PROV, RDF, RDFS, SKOS, XSD, bind_prefixes
from rdflib import Graph, Literal, URIRef

__all__ = ["REVIEW", "build_graph", "entity_iri", "findings_graph", "load_findings",
           "to_sorted_ntriples"]

logger = logging.getLogger(__name__)

#: The review every bundled finding comes from.
REVIEW = EXOID["review/wei-2022"]
_PRINTED = {"content": EXO.printedContent, "sample": EXO.printedSample,
            "isolation": EXO.printedIsolation, "detection": EXO.printedDetection,
            "source": EXO.printedSource, "drug": EXO.printedDrug,
            "animal_model": EXO.printedAnimalModel,
            "clinical_sample": EXO.printedClinicalSample, "direction": EXO.printedDirection,
            "ref": EXO.printedRef}


def entity_iri(entity: Entity | str) -> URIRef:
    """The IRI of an entity (or of an entity id such as ``"content/mir-21"``).

    >>> str(entity_iri("disease/hcc"))
    'https://w3id.org/exokg/id/disease/hcc'
    """
    return EXOID[entity if isinstance(entity, str) else entity.id]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "records"


def load_findings(records_dirs: Sequence[Path | str] = (), *,
                  include_bundled: bool = True) -> tuple[list[tuple[str, Finding]], EntityTable]:
    """Read and normalize the bundled records and those of ``records_dirs``.

    Each folder may hold an ``entities.tsv`` that adds entities. Returns
    ``(dataset, finding)`` pairs, where ``dataset`` is ``""`` for the review's own
    records and the folder's name for a user's.

    Raises
    ------
    RecordError
        for the first bad record, before anything is built.
    """
    dirs = [Path(d) for d in records_dirs]
    # a link that leads nowhere (or to itself) is read, and refused, not passed over
    extra = [d / "entities.tsv" for d in dirs if os.path.lexists(d / "entities.tsv")]
    entities = load_entities(*extra)
    sets: list[tuple[str, Path | None]] = [("", None)] if include_bundled else []
    sets += [(_slug(d.resolve().name), d) for d in dirs]
    names = [name for name, _ in sets]
    if len(set(names)) != len(names):
        raise RecordError("two records folders have the same name; rename one",
                          file=", ".join(str(d) for d in dirs))
    findings = []
    for dataset, folder in sets:
        for record in read_records(folder):
            findings.append((dataset, normalize(record, entities)))
    return findings, entities


def _finding_iri(dataset: str, finding: Finding) -> URIRef:
    local = f"t{finding.record.table}-{finding.record.row}"
    return EXOID[f"finding/{dataset}/{local}" if dataset else f"finding/{local}"]


def _finding_label(finding: Finding) -> str:
    rec = finding.record
    subject = finding.printed.get("content") or finding.printed.get("drug", "")
    return f"Table {rec.table}, row {rec.row}: {subject}"


def _add_entity(graph: Graph, entity: Entity, *, bundled: bool) -> None:
    node = entity_iri(entity)
    graph.add((node, RDF.type, EXO[entity.cls]))
    if entity.field == "content":
        graph.add((node, RDF.type, EXO.ExosomalContent))
    graph.add((node, RDFS.label, Literal(entity.label)))
    for alt in entity.alt_labels:
        if alt != entity.label:
            graph.add((node, SKOS.altLabel, Literal(alt)))
    if entity.comment:
        graph.add((node, RDFS.comment, Literal(entity.comment)))
    if entity.cls == "Reference" and bundled:  # a user's reference is no study the review cites
        number = int(entity.id.rsplit("/", 1)[1]) if entity.id.startswith("ref/") and \
            entity.id.rsplit("/", 1)[1].isdigit() else None
        if number is not None:
            graph.add((node, EXO.refNumber, Literal(number, datatype=XSD.integer)))
        graph.add((node, DCTERMS.isReferencedBy, REVIEW))


def _add_review(graph: Graph) -> None:
    graph.add((REVIEW, RDF.type, EXO.Review))
    graph.add((REVIEW, RDFS.label, Literal(review.LABEL)))
    graph.add((REVIEW, DCTERMS.bibliographicCitation, Literal(review.CITATION_WITH_DOI)))
    graph.add((REVIEW, DCTERMS.identifier, Literal(f"doi:{review.DOI}")))
    graph.add((REVIEW, DCTERMS.license, URIRef(review.LICENSE_URL)))
    graph.add((REVIEW, RDFS.seeAlso, URIRef(review.DOI_URL)))


def _add_finding(graph: Graph, node: URIRef, finding: Finding, *, bundled: bool) -> None:
    rec = finding.record
    add = graph.add
    add((node, RDF.type, EXO.Finding))
    add((node, RDFS.label, Literal(_finding_label(finding))))
    add((node, EXO.sourceTable, Literal(rec.table, datatype=XSD.integer)))
    add((node, EXO.sourceRow, Literal(rec.row, datatype=XSD.integer)))
    if bundled:
        add((node, DCTERMS.source, REVIEW))
    for column, text in finding.printed.items():
        add((node, _PRINTED[column], Literal(text)))
    ref = entity_iri(finding.ref)
    add((node, EXO.citedIn, ref))
    add((node, PROV.wasDerivedFrom, ref))
    add((node, EXO.function, Literal(finding.function)))
    roles = [EXO[r] for r in finding.roles]
    for role in roles:
        add((node, EXO.role, role))
    values: list[tuple[URIRef, URIRef]] = []  # shortcut (predicate, object) for each content
    if finding.disease is not None:
        disease = entity_iri(finding.disease)
        add((node, EXO.disease, disease))
        values.append((EXO.regulates, disease))
        if finding.expression:
            add((node, EXO.expression, EXO[finding.expression]))
            values.append((EXO.upregulatedIn if finding.expression == "Up"
                           else EXO.downregulatedIn, disease))
    for sample in finding.samples:
        add((node, EXO.sample, entity_iri(sample)))
    if finding.sample_size is not None:
        add((node, EXO.sampleSize, Literal(finding.sample_size, datatype=XSD.integer)))
    if finding.sample_size_note:
        add((node, EXO.sampleSizeNote, Literal(finding.sample_size_note)))
    if finding.isolation is not None:
        add((node, EXO.isolatedBy, entity_iri(finding.isolation)))
        values.append((EXO.isolatedBy, entity_iri(finding.isolation)))
    for detection in finding.detections:
        add((node, EXO.detectedBy, entity_iri(detection)))
        values.append((EXO.detectedBy, entity_iri(detection)))
    if finding.source is not None:
        add((node, EXO.exosomeSource, entity_iri(finding.source)))
    if finding.drug is not None:
        add((node, EXO.drug, entity_iri(finding.drug)))
    if finding.animal_model is not None:
        add((node, EXO.animalModel, Literal(finding.animal_model)))
    if finding.clinical_sample is not None:
        add((node, EXO.clinicalSample, Literal(finding.clinical_sample)))
    values.append((EXO.citedIn, ref))
    values += [(EXO.hasRole, role) for role in roles]
    for content in finding.contents:
        c = entity_iri(content)
        add((node, EXO.content, c))
        for predicate, obj in values:
            add((c, predicate, obj))


def findings_graph(findings: Iterable[tuple[str, Finding]], entities: EntityTable) -> Graph:
    """The RDF graph of normalized findings and of every entity of the table."""
    graph = bind_prefixes(Graph())
    _add_review(graph)
    for entity in entities:
        _add_entity(graph, entity, bundled=entity.id not in entities.origin)
    seen: dict[URIRef, str] = {}
    for dataset, finding in findings:
        node = _finding_iri(dataset, finding)
        if node in seen:
            rec = finding.record
            raise RecordError(f"finding {node} is defined twice (also {seen[node]})",
                              file=rec.file, row=rec.line, column="row")
        seen[node] = f"{finding.record.file} line {finding.record.line}"
        _add_finding(graph, node, finding, bundled=not dataset)
    return graph


def build_graph(records_dirs: Sequence[Path | str] = (), *, include_bundled: bool = True,
                links: bool = True) -> Graph:
    """Build the whole graph from the review's records (and a user's, if given).

    Nothing is returned half-built: any bad record raises before the graph exists.

    Parameters
    ----------
    records_dirs
        folders of further records (``table1.tsv`` ... and an optional ``entities.tsv``).
    include_bundled
        include the review's own 66 findings.
    links
        add the external mappings of ``data/mappings`` (skos:exactMatch ...).

    Raises
    ------
    RecordError
        naming file, row and column of the first bad record.
    """
    findings, entities = load_findings(records_dirs, include_bundled=include_bundled)
    graph = findings_graph(findings, entities)
    if links:
        from exokg.links import add_links  # the mappings refer to entities built above

        add_links(graph)
    logger.info("built %d triples from %d findings", len(graph), len(findings))
    return graph


def to_sorted_ntriples(graph: Graph) -> bytes:
    """N-Triples with lines sorted: the same graph gives the same bytes.

    >>> g = Graph(); g.add((EXOID["a"], RDFS.label, Literal("a")))  # doctest: +ELLIPSIS
    <Graph ...>
    >>> to_sorted_ntriples(g)
    b'<https://w3id.org/exokg/id/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .\\n'
    """
    text = graph.serialize(format="nt", encoding="utf-8")
    lines = sorted(set(line for line in text.split(b"\n") if line.strip()))
    return b"".join(line + b"\n" for line in lines)
