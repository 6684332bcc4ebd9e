"""The ontology (``ontology/exokg.ttl``) and the SHACL shapes (``ontology/shapes.ttl``).

The term lists below are copied from ``shared/spec/vocabulary.md``, the public data
contract: a term missing from the ontology, or renamed, fails here.

Validation runs as ExoKG documents it in ``shapes.ttl``: the ontology mixed in
(``ont_graph``), SHACL-AF on (``advanced=True``, for the SPARQL-based targets) and
``inference="none"``. The valid graph and the five variants the spec names are also
checked under ``inference="rdfs"``, so either setting of the validator works.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from exokg.resources import ontology_path
from owlrl import DeductiveClosure, RDFS_Semantics
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS

EXO = Namespace("https://w3id.org/exokg/vocab#")
ID = Namespace("https://w3id.org/exokg/id/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's XSD warns on pytest's probes
ONTOLOGY_IRI = URIRef("https://w3id.org/exokg/vocab")
REPO = Path(__file__).resolve().parents[1]
INFERENCE = "none"

# -- the vocabulary of shared/spec/vocabulary.md ------------------------------------

CONTENT_KINDS = ["Protein", "MessengerRNA", "MicroRNA", "LongNonCodingRNA", "CircularRNA"]
CLASSES = ["Finding", "ExosomalContent", *CONTENT_KINDS, "Disease", "SampleType",
           "IsolationMethod", "DetectionMethod", "ExosomeSource", "Drug", "Reference", "Role",
           "Expression"]
ROLES = ["Biomarker", "Biotherapeutic", "TherapeuticTarget", "DrugCarrier",
         "TherapeuticFactor"]

#: Properties of a Finding: term -> (OWL property type, range).
FINDING_PROPERTIES = {
    "sourceTable": (OWL.DatatypeProperty, XSD.integer),
    "content": (OWL.ObjectProperty, EXO.ExosomalContent),
    "disease": (OWL.ObjectProperty, EXO.Disease),
    "expression": (OWL.ObjectProperty, EXO.Expression),
    "sample": (OWL.ObjectProperty, EXO.SampleType),
    "sampleSize": (OWL.DatatypeProperty, XSD.integer),
    "isolatedBy": (OWL.ObjectProperty, EXO.IsolationMethod),
    "detectedBy": (OWL.ObjectProperty, EXO.DetectionMethod),
    "exosomeSource": (OWL.ObjectProperty, EXO.ExosomeSource),
    "drug": (OWL.ObjectProperty, EXO.Drug),
    "animalModel": (OWL.DatatypeProperty, XSD.boolean),
    "clinicalSample": (OWL.DatatypeProperty, XSD.boolean),
    "function": (OWL.DatatypeProperty, RDFS.Literal),
    "role": (OWL.ObjectProperty, EXO.Role),
    "citedIn": (OWL.ObjectProperty, EXO.Reference),
}
#: Shortcut edges of a content: term -> range.
SHORTCUT_PROPERTIES = {
    "regulates": EXO.Disease,
    "upregulatedIn": EXO.Disease,
    "downregulatedIn": EXO.Disease,
    "isolatedBy": EXO.IsolationMethod,
    "detectedBy": EXO.DetectionMethod,
    "citedIn": EXO.Reference,
    "hasRole": EXO.Role,
}
#: Shortcut edges that are also properties of a Finding: their domain is both.
SHARED_PROPERTIES = ["isolatedBy", "detectedBy", "citedIn"]

#: ExoKG's additions: term -> (OWL property type, domain or None, range).
PRINTED = ["printedContent", "printedSample", "printedIsolation", "printedDetection",
           "printedSource", "printedDrug", "printedAnimalModel", "printedClinicalSample",
           "printedDirection", "printedRef"]
ADDED_PROPERTIES = {
    "refNumber": (OWL.DatatypeProperty, EXO.Reference, XSD.integer),
    "sourceRow": (OWL.DatatypeProperty, EXO.Finding, XSD.integer),
    "printedCell": (OWL.DatatypeProperty, EXO.Finding, XSD.string),
    **{name: (OWL.DatatypeProperty, EXO.Finding, XSD.string) for name in PRINTED},
    "sampleSizeNote": (OWL.DatatypeProperty, EXO.Finding, XSD.string),
    "xref": (OWL.DatatypeProperty, None, XSD.string),
    "identificationStatus": (OWL.DatatypeProperty, EXO.Reference, XSD.string),
    "identificationEvidence": (OWL.DatatypeProperty, EXO.Reference, XSD.string),
    "retracted": (OWL.DatatypeProperty, None, XSD.boolean),
}

ALL_TERMS = sorted({*CLASSES, "Review", *ROLES, "Up", "Down", *FINDING_PROPERTIES,
                    *SHORTCUT_PROPERTIES, *ADDED_PROPERTIES})

# -- a small valid graph: Table 1 row 8 (miR-21) and Table 4 row 1 (Norcantharidin) --

VALID_TTL = """
@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix finding: <https://w3id.org/exokg/id/finding/> .
@prefix content: <https://w3id.org/exokg/id/content/> .
@prefix disease: <https://w3id.org/exokg/id/disease/> .
@prefix sample: <https://w3id.org/exokg/id/sampletype/> .
@prefix isolation: <https://w3id.org/exokg/id/isolationmethod/> .
@prefix detection: <https://w3id.org/exokg/id/detectionmethod/> .
@prefix source: <https://w3id.org/exokg/id/exosomesource/> .
@prefix drug: <https://w3id.org/exokg/id/drug/> .
@prefix ref: <https://w3id.org/exokg/id/ref/> .
@prefix review: <https://w3id.org/exokg/id/review/> .

review:wei-2022 a exo:Review ; rdfs:label "Wei, Liu, Zhu 2022" .

finding:t1-8 a exo:Finding ;
    rdfs:label "Table 1, row 8: miR-21" ;
    exo:sourceTable 1 ; exo:sourceRow 8 ; dcterms:source review:wei-2022 ;
    exo:content content:mir-21 ; exo:disease disease:hcc ; exo:expression exo:Up ;
    exo:sample sample:serum ; exo:sampleSize 79 ;
    exo:isolatedBy isolation:exoquick ; exo:detectedBy detection:qrt-pcr ;
    exo:function "Related to TNM stage and other prognostic factors" ;
    exo:role exo:Biomarker ;
    exo:citedIn ref:21 ; prov:wasDerivedFrom ref:21 ;
    exo:printedContent "miR-21" ; exo:printedSample "Serum (n = 79)" ;
    exo:printedIsolation "SBI" ; exo:printedRef "[21]" .

content:mir-21 a exo:ExosomalContent , exo:MicroRNA ;
    rdfs:label "miR-21" ; skos:altLabel "hsa-miR-21" ;
    exo:regulates disease:hcc ; exo:upregulatedIn disease:hcc ;
    exo:isolatedBy isolation:exoquick ; exo:detectedBy detection:qrt-pcr ;
    exo:citedIn ref:21 ; exo:hasRole exo:Biomarker .

finding:t4-1 a exo:Finding ;
    rdfs:label "Table 4, row 1: Norcantharidin" ;
    exo:sourceTable 4 ; exo:sourceRow 1 ; dcterms:source review:wei-2022 ;
    exo:drug drug:norcantharidin ; exo:exosomeSource source:bmscs ;
    exo:animalModel true ; exo:clinicalSample false ;
    exo:sampleSizeNote "The review prints no sample size" ;
    exo:function "Induce cell cycle arrest, reduced tumor cell proliferation, increased apoptosis" ;
    exo:role exo:DrugCarrier ;
    exo:citedIn ref:67 ; prov:wasDerivedFrom ref:67 ;
    exo:printedDrug "Norcantharidin" ; exo:printedSource "BMSCs-exosomes" .

disease:hcc a exo:Disease ; rdfs:label "HCC" ;
    exo:xref "MONDO:0007256" ;
    skos:exactMatch <http://purl.obolibrary.org/obo/MONDO_0007256> .
sample:serum a exo:SampleType ; rdfs:label "Serum" .
isolation:exoquick a exo:IsolationMethod ; rdfs:label "ExoQuick (SBI)" .
detection:qrt-pcr a exo:DetectionMethod ; rdfs:label "qRT-PCR" .
source:bmscs a exo:ExosomeSource ; rdfs:label "BMSCs" .
drug:norcantharidin a exo:Drug ; rdfs:label "Norcantharidin" .
ref:21 a exo:Reference ; rdfs:label "[21]" ; exo:refNumber 21 .
ref:67 a exo:Reference ; rdfs:label "[67]" ; exo:refNumber 67 ;
    exo:identificationStatus "unknown" .
"""

T1 = ID["finding/t1-8"]
T4 = ID["finding/t4-1"]
MIR21 = ID["content/mir-21"]
HCC = ID["disease/hcc"]
REF21 = ID["ref/21"]
REF67 = ID["ref/67"]


# -- helpers -------------------------------------------------------------------------

def _ontology_text(name: str) -> str:
    """A file of the ontology, installed or in the checkout."""
    return (ontology_path() / name).read_text("utf-8")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(data=_ontology_text("exokg.ttl"), format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(data=_ontology_text("shapes.ttl"), format="turtle")


def _valid_graph() -> Graph:
    return Graph().parse(data=VALID_TTL, format="turtle")


def _validate(data: Graph, ontology: Graph, shapes: Graph, *,
              inference: str = INFERENCE) -> tuple[bool, Graph, str]:
    """pyshacl's (conforms, report graph, report text), validated the documented way."""
    return validate(data, shacl_graph=shapes, ont_graph=ontology, inference=inference,
                    advanced=True)


def _path_key(report: Graph, path):
    """A result path as a comparable value: the IRI, or a tuple for a sequence path."""
    if path is None or isinstance(path, URIRef):
        return path
    inverse = report.value(path, SH.inversePath)
    if inverse is not None:
        return ("^", inverse)
    return tuple(_path_key(report, step) for step in Collection(report, path))


def _violations(report: Graph) -> set[tuple]:
    """(focus node, result path) of each sh:Violation of a validation report."""
    return {(report.value(r, SH.focusNode), _path_key(report, report.value(r, SH.resultPath)))
            for r in report.subjects(SH.resultSeverity, SH.Violation)}


def _union_members(graph: Graph, node) -> set:
    return set(Collection(graph, graph.value(node, OWL.unionOf)))


# -- the ontology ----------------------------------------------------------------------

def test_ontology_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    for predicate in (DCTERMS.title, DCTERMS.description):
        assert ontology.value(ONTOLOGY_IRI, predicate) is not None, predicate
    assert "MIT" in str(ontology.value(ONTOLOGY_IRI, DCTERMS.license))
    assert (ONTOLOGY_IRI, RDFS.seeAlso, URIRef("https://doi.org/10.4251/wjgo.v14.i1.334")) \
        in ontology


@pytest.mark.parametrize("name", ALL_TERMS)
def test_term_is_declared_with_label_and_definition(ontology: Graph, name: str) -> None:
    term = EXO[name]
    assert set(ontology.objects(term, RDF.type)), f"exo:{name} is not declared"
    labels = [lab for lab in ontology.objects(term, RDFS.label) if lab.language == "en"]
    assert len(labels) == 1, f"exo:{name} needs one English rdfs:label"
    definitions = [*ontology.objects(term, SKOS.definition), *ontology.objects(term, RDFS.comment)]
    assert any(d.language == "en" and len(d) > 10 for d in definitions), \
        f"exo:{name} needs an English definition"


@pytest.mark.parametrize("name", CLASSES + ["Review"])
def test_classes_are_owl_classes(ontology: Graph, name: str) -> None:
    assert (EXO[name], RDF.type, OWL.Class) in ontology


@pytest.mark.parametrize("name", sorted(FINDING_PROPERTIES))
def test_finding_property_type_domain_range(ontology: Graph, name: str) -> None:
    kind, range_ = FINDING_PROPERTIES[name]
    term = EXO[name]
    assert (term, RDF.type, kind) in ontology
    assert ontology.value(term, RDFS.range) == range_
    domains = list(ontology.objects(term, RDFS.domain))
    assert len(domains) == 1
    if name in SHARED_PROPERTIES:  # also a shortcut edge: Finding or content
        assert _union_members(ontology, domains[0]) == {EXO.Finding, EXO.ExosomalContent}
    else:
        assert domains == [EXO.Finding]


@pytest.mark.parametrize("name", sorted(SHORTCUT_PROPERTIES))
def test_shortcut_property_domain_range(ontology: Graph, name: str) -> None:
    term = EXO[name]
    assert (term, RDF.type, OWL.ObjectProperty) in ontology
    assert ontology.value(term, RDFS.range) == SHORTCUT_PROPERTIES[name]
    for domain in ontology.objects(term, RDFS.domain):
        # never exo:Finding alone, which would make every content a Finding
        assert domain == EXO.ExosomalContent or EXO.ExosomalContent in _union_members(
            ontology, domain)


@pytest.mark.parametrize("name", sorted(ADDED_PROPERTIES))
def test_added_property_type_domain_range(ontology: Graph, name: str) -> None:
    kind, domain, range_ = ADDED_PROPERTIES[name]
    term = EXO[name]
    assert (term, RDF.type, kind) in ontology
    assert ontology.value(term, RDFS.range) == range_
    if domain is not None:
        assert ontology.value(term, RDFS.domain) == domain


def test_retracted_is_on_references_and_findings(ontology: Graph) -> None:
    domain = ontology.value(EXO.retracted, RDFS.domain)
    assert _union_members(ontology, domain) == {EXO.Reference, EXO.Finding}


def test_sub_properties(ontology: Graph) -> None:
    for name in ("upregulatedIn", "downregulatedIn"):
        assert (EXO[name], RDFS.subPropertyOf, EXO.regulates) in ontology
    for name in PRINTED:
        assert (EXO[name], RDFS.subPropertyOf, EXO.printedCell) in ontology


def test_review_is_a_bibliographic_resource(ontology: Graph) -> None:
    assert (EXO.Review, RDFS.subClassOf, DCTERMS.BibliographicResource) in ontology


def test_content_kinds_are_disjoint_subclasses(ontology: Graph) -> None:
    for name in CONTENT_KINDS:
        assert (EXO[name], RDFS.subClassOf, EXO.ExosomalContent) in ontology
    kinds = {EXO[name] for name in CONTENT_KINDS}
    assert any(set(Collection(ontology, ontology.value(axiom, OWL.members))) == kinds
               for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses))


@pytest.mark.parametrize(("name", "cls", "label"), [
    *[(role, EXO.Role, None) for role in ROLES],
    ("Up", EXO.Expression, "upregulated"),
    ("Down", EXO.Expression, "downregulated"),
])
def test_value_individuals(ontology: Graph, name: str, cls: URIRef, label: str | None) -> None:
    term = EXO[name]
    assert (term, RDF.type, OWL.NamedIndividual) in ontology
    assert (term, RDF.type, cls) in ontology
    if label is not None:
        assert ontology.value(term, RDFS.label) == Literal(label, lang="en")


def test_rdfs_closure_keeps_contents_out_of_findings(ontology: Graph) -> None:
    """The shortcut edges on a content must not make it an exo:Finding by inference."""
    graph = _valid_graph() + ontology
    DeductiveClosure(RDFS_Semantics).expand(graph)
    assert (MIR21, RDF.type, EXO.Finding) not in graph
    assert (MIR21, EXO.regulates, HCC) in graph


# -- the shapes ------------------------------------------------------------------------

def test_shapes_name_only_declared_terms(ontology: Graph, shapes: Graph) -> None:
    """Every exo: term of the shapes, SPARQL text included, is declared in the ontology."""
    used = {node for triple in shapes for node in triple
            if isinstance(node, URIRef) and node.startswith(str(EXO))}
    for query in shapes.objects(None, SH.select):
        used |= {EXO[name] for name in re.findall(r"\bexo:(\w+)", str(query))}
    undeclared = sorted(term for term in used if not set(ontology.objects(term, RDF.type)))
    assert not undeclared
    assert len(used) > 40


def test_every_constraint_has_a_message(shapes: Graph) -> None:
    """Each property shape, SPARQL constraint and sh:xone says which rule it checks."""
    for node in [*shapes.objects(None, SH.property), *shapes.objects(None, SH.sparql),
                 *shapes.subjects(SH.xone, None)]:
        own = set(shapes.predicates(node)) - {SH.path, SH.sparql}
        if own:  # a property shape with only sh:sparql: its constraints carry the message
            assert shapes.value(node, SH.message) is not None, node


def test_valid_graph_conforms(ontology: Graph, shapes: Graph) -> None:
    conforms, _, text = _validate(_valid_graph(), ontology, shapes)
    assert conforms, text


def test_valid_graph_conforms_with_rdfs_inference(ontology: Graph, shapes: Graph) -> None:
    conforms, _, text = _validate(_valid_graph(), ontology, shapes, inference="rdfs")
    assert conforms, text


def _dup_row(graph: Graph) -> None:
    copy = ID["finding/t1-8-copy"]
    for _, p, o in list(graph.triples((T1, None, None))):
        graph.add((copy, p, o))


#: name -> (triples to remove, triples to add, expected (focus node, path) violation)
VARIANTS = {
    "finding without exo:citedIn": (
        [(T1, EXO.citedIn, REF21)], [], (T1, EXO.citedIn)),
    "finding with two exo:sampleSize": (
        [], [(T1, EXO.sampleSize, Literal(80))], (T1, EXO.sampleSize)),
    "Table-1 finding without exo:content": (
        [(T1, EXO.content, MIR21)], [], (T1, EXO.content)),
    "Table-4 finding without exo:drug": (
        [(T4, EXO.drug, ID["drug/norcantharidin"])], [], (T4, EXO.drug)),
    "content without its exo:regulates edges": (
        [(MIR21, EXO.regulates, HCC), (MIR21, EXO.upregulatedIn, HCC)], [],
        (MIR21, EXO.regulates)),
    "Table-1 finding with a drug": (
        [], [(T1, EXO.drug, ID["drug/norcantharidin"])], (T1, EXO.drug)),
    "Table-4 finding with a content": (
        [], [(T4, EXO.content, MIR21)], (T4, EXO.content)),
    "Table-1 finding without exo:disease": (
        [(T1, EXO.disease, HCC)], [], (T1, EXO.disease)),
    "Table-1 finding without exo:expression": (
        [(T1, EXO.expression, EXO.Up)], [], (T1, EXO.expression)),
    "finding with exo:sourceTable 6": (
        [(T4, EXO.sourceTable, Literal(4))], [(T4, EXO.sourceTable, Literal(6))],
        (T4, EXO.sourceTable)),
    "finding without exo:role": (
        [(T4, EXO.role, None)], [], (T4, EXO.role)),
    "finding without the role of its table": (
        [(T4, EXO.role, None)], [(T4, EXO.role, EXO.Biomarker)], (T4, EXO.role)),
    "finding with an exo:expression that is not Up or Down": (
        [], [(T1, EXO.expression, EXO.Biomarker)], (T1, EXO.expression)),
    "finding with two exo:disease": (
        [], [(T1, EXO.disease, ID["disease/hb"])], (T1, EXO.disease)),
    "finding derived from another reference": (
        [(T4, PROV.wasDerivedFrom, None)], [(T4, PROV.wasDerivedFrom, REF21)],
        (T4, PROV.wasDerivedFrom)),
    "finding without rdfs:label": (
        [(T4, RDFS.label, None)], [], (T4, RDFS.label)),
    "two findings of one row": (
        [], _dup_row, (T1, EXO.sourceRow)),
    "content with two kinds": (
        [], [(MIR21, RDF.type, EXO.Protein)], (MIR21, None)),
    "content with only the generic class": (
        [(MIR21, RDF.type, EXO.MicroRNA)], [], (MIR21, None)),
    "content with a shortcut no finding supports": (
        [], [(MIR21, EXO.citedIn, REF67)], (MIR21, EXO.citedIn)),
    "content without its exo:hasRole edge": (
        [(MIR21, EXO.hasRole, EXO.Biomarker)], [], (MIR21, EXO.hasRole)),
    "reference without exo:refNumber": (
        [(REF67, EXO.refNumber, None)], [], (REF67, EXO.refNumber)),
    "two references with one exo:refNumber": (
        [(REF67, EXO.refNumber, None)], [(REF67, EXO.refNumber, Literal(21))],
        (REF67, (EXO.refNumber, ("^", EXO.refNumber)))),
    "reference with a bad exo:identificationStatus": (
        [], [(REF21, EXO.identificationStatus, Literal("guessed"))],
        (REF21, EXO.identificationStatus)),
    "finding citing a retracted reference, not itself retracted": (
        [], [(REF67, EXO.retracted, Literal(True))], (T4, EXO.retracted)),
    "exo:xref that is not a CURIE": (
        [(HCC, EXO.xref, None)], [(HCC, EXO.xref, Literal("0007256"))], (HCC, EXO.xref)),
}
#: The variants the brief names; they must also fail under RDFS inference.
REQUIRED_VARIANTS = list(VARIANTS)[:5]


def _variant(name: str) -> tuple[Graph, tuple]:
    remove, add, expected = VARIANTS[name]
    graph = _valid_graph()
    for triple in remove:
        graph.remove(triple)
    if callable(add):
        add(graph)
    else:
        for triple in add:
            graph.add(triple)
    return graph, expected


@pytest.mark.parametrize("name", list(VARIANTS))
def test_invalid_variant_names_the_path(ontology: Graph, shapes: Graph, name: str) -> None:
    graph, expected = _variant(name)
    conforms, report, text = _validate(graph, ontology, shapes)
    assert not conforms
    assert expected in _violations(report), text


@pytest.mark.parametrize("name", REQUIRED_VARIANTS)
def test_invalid_variant_fails_with_rdfs_inference(ontology: Graph, shapes: Graph,
                                                   name: str) -> None:
    graph, expected = _variant(name)
    conforms, report, text = _validate(graph, ontology, shapes, inference="rdfs")
    assert not conforms
    assert expected in _violations(report), text


def test_missing_regulates_is_caught_without_inference(ontology: Graph,
                                                       shapes: Graph) -> None:
    """exo:upregulatedIn alone does not stand in for the materialized exo:regulates."""
    graph = _valid_graph()
    graph.remove((MIR21, EXO.regulates, HCC))
    conforms, report, text = _validate(graph, ontology, shapes)
    assert not conforms
    assert _violations(report) == {(MIR21, EXO.regulates)}, text


@pytest.mark.parametrize(("name", "expected"), [
    ("content with a shortcut no finding supports", {(MIR21, EXO.citedIn)}),
    ("content without its exo:hasRole edge", {(MIR21, EXO.hasRole)}),
    ("two references with one exo:refNumber",
     {(REF21, (EXO.refNumber, ("^", EXO.refNumber))),
      (REF67, (EXO.refNumber, ("^", EXO.refNumber)))}),
    ("finding with two exo:sampleSize", {(T1, EXO.sampleSize)}),
    ("Table-4 finding without exo:drug", {(T4, EXO.drug)}),
])
def test_invalid_variant_reports_nothing_else(ontology: Graph, shapes: Graph, name: str,
                                              expected: set) -> None:
    """The cross-node rules flag the broken edge only, not its healthy neighbours."""
    graph, _ = _variant(name)
    _, report, text = _validate(graph, ontology, shapes)
    assert _violations(report) == expected, text


def test_violation_message_names_the_rule(ontology: Graph, shapes: Graph) -> None:
    graph, _ = _variant("Table-1 finding without exo:content")
    _, report, _ = _validate(graph, ontology, shapes)
    messages = {str(m) for r in report.subjects(SH.resultPath, EXO.content)
                for m in report.objects(r, SH.resultMessage)}
    assert "A Finding of Tables 1-3 has at least 1 exo:content." in messages

