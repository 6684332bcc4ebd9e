"""Describe one node of the graph: what its Linked Data page and its entity page show.

Pure functions over an rdflib ``Graph`` (no Flask): the concise bounded description
of a node (the triples a Turtle/JSON-LD/N-Triples page serves), and the review's
findings about a node grouped by table and study, with an evidence summary.

>>> from exokg.build import build_graph
>>> from exokg.vocab import EXOID
>>> graph = build_graph(links=False)
>>> cbd = concise_bounded_description(graph, EXOID["content/mir-21"])
>>> (EXOID["content/mir-21"], RDFS.label, Literal("miR-21")) in cbd
True
>>> (EXOID["disease/hcc"], RDFS.label, Literal("hepatocellular carcinoma")) in cbd
True
>>> groups = group_findings(findings_about(graph, EXOID["content/mir-21"]))
>>> [(g["table"], len(g["studies"])) for g in groups]
[(1, 5)]
>>> evidence_summary(findings_about(graph, EXOID["content/mir-21"]))["studies"]
5
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from exokg.curie import local_name
from exokg.errors import DataError, NodeNotFound
from exokg.evidence import Finding, summarize
from exokg.labels import other_names, preferred_label
from exokg.records import MAX_ROW, MAX_SAMPLE_SIZE
from exokg.review import TABLE_TITLES
from exokg.vocab import EXO, OWL, RDF, RDFS, SKOS, bind_prefixes
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

__all__ = [
    "EXTERNAL_PREDICATES", "IDENTITY_PREDICATES", "NOT_FACTS", "OBJECT_FACT_PREDICATES",
    "concise_bounded_description", "describe_node", "evidence_summary",
    "findings_about", "finding_record", "finding_row", "group_findings", "label_of", "node_exists",
    "node_facts", "projected_number",
]

#: Predicates whose objects' labels are added to a description.
_LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel)


def node_exists(graph: Graph, node: Node) -> bool:
    """Whether ``node`` is the subject of at least one triple of ``graph``."""
    return next(graph.predicate_objects(node), None) is not None


def _require(graph: Graph, node: Node) -> None:
    if not node_exists(graph, node):
        raise NodeNotFound(f"no node {node} in the graph")


def _local_name(node: Node) -> str:
    return str(node) if isinstance(node, Literal) else local_name(str(node))


def label_of(graph: Graph, node: Node) -> str:
    """The node's ``rdfs:label`` (or ``skos:prefLabel``), else its IRI's last segment.

    >>> label_of(Graph(), URIRef("https://w3id.org/exokg/vocab#Up"))
    'Up'
    """
    if isinstance(node, Literal):
        return str(node)
    for predicate in _LABEL_PREDICATES:
        value = preferred_label(str(v) for v in graph.objects(node, predicate))
        if value is not None:
            return value
    return _local_name(node)


def concise_bounded_description(graph: Graph, node: URIRef, *,
                                with_labels: bool = True) -> Graph:
    """The concise bounded description of ``node``, plus the labels of what it points to.

    The CBD is every triple whose subject is ``node``, and recursively those of the
    blank nodes among their objects. With ``with_labels``, the ``rdfs:label`` of each
    IRI object is added, so that a client can show names without a second request.

    Raises
    ------
    NodeNotFound
        when ``node`` is the subject of no triple.
    """
    _require(graph, node)
    out = bind_prefixes(Graph())
    for prefix, namespace in graph.namespaces():
        if prefix not in dict(out.namespaces()):
            out.bind(prefix, namespace)
    todo: list[Node] = [node]
    seen: set[Node] = set()
    while todo:
        subject = todo.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for predicate, obj in graph.predicate_objects(subject):
            out.add((subject, predicate, obj))
            if isinstance(obj, BNode):
                todo.append(obj)
    if with_labels:
        for obj in set(out.objects()):
            if isinstance(obj, URIRef) and obj != node:
                for predicate in _LABEL_PREDICATES:
                    for label in graph.objects(obj, predicate):
                        out.add((obj, predicate, label))
    return out


def _ref(graph: Graph, node: Node | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return {"iri": str(node), "label": label_of(graph, node)}


def _refs(graph: Graph, nodes: Iterable[Node]) -> list[dict[str, Any]]:
    refs = [{"iri": str(n), "label": label_of(graph, n)} for n in nodes]
    return sorted(refs, key=lambda r: r["label"].lower())


#: The whole numbers a finding reads, and the values each may take: a sample size as the
#: records take it (:data:`exokg.records.MAX_SAMPLE_SIZE`), the others up to the largest
#: row number (JSON clients read them exactly; a negative n would be summed into totals).
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    str(EXO.sampleSize): (1, MAX_SAMPLE_SIZE), str(EXO.sourceTable): (0, MAX_ROW),
    str(EXO.sourceRow): (0, MAX_ROW), str(EXO.refNumber): (0, MAX_ROW)}

#: Digits a whole number in range has at most (a longer text is out of range: Python's
#: ``int()`` refuses more than 4,300 digits with a ValueError of its own).
_DIGITS = len(str(MAX_ROW)) + 2


def whole_number(text: str) -> int | None:
    """The whole number ``text`` writes (a sign, ASCII digits, spaces around), or ``None``.

    >>> whole_number(" +0012 "), whole_number("1.5"), whole_number("9" * 5000)
    (12, None, None)
    """
    text = text.strip()
    digits = text.lstrip("+-")
    if not digits.isascii() or not digits.isdigit() or len(text) - len(digits) > 1 \
            or len(digits) > _DIGITS:
        return None
    return int(text)


def checked_number(number: Any, subject: object, predicate: str, shown: str) -> int:
    """``number`` (a literal's value) if it is a whole number in the range
    :data:`NUMBER_RANGES` gives ``predicate``; else :class:`~exokg.errors.DataError`
    naming ``subject``, the property and the value as written (``shown``).

    >>> checked_number(12, "urn:f", str(EXO.sampleSize), '"12"')
    12
    >>> checked_number(-5, "urn:f", str(EXO.sampleSize), '"-5"')
    Traceback (most recent call last):
    exokg.errors.DataError: <urn:f> exo:sampleSize "-5" is not a whole number from 1 to 10,000,000
    """
    low, high = NUMBER_RANGES[predicate]
    if isinstance(number, int) and not isinstance(number, bool) and low <= number <= high:
        return number
    raise DataError(f"<{subject}> exo:{local_name(predicate)} {shown} is not a whole number "
                    f"from {low:,} to {high:,}", subject=str(subject), predicate=predicate,
                    value=shown)


def _at_most_one(subject: object, predicate: str, shown: list[str]) -> None:
    """A :class:`~exokg.errors.DataError` when ``subject`` has more than one value (``shown``
    as written) for ``predicate``: which one a summary adds up would be chance."""
    if len(shown) > 1:
        listed = ", ".join(shown[:3]) + (", ..." if len(shown) > 3 else "")
        raise DataError(f"<{subject}> exo:{local_name(predicate)} has {len(shown)} values "
                        f"({listed}); it has one at most", subject=str(subject),
                        predicate=predicate, value=shown[1])


def _int(graph: Graph, subject: Node | None, predicate: URIRef) -> int | None:
    """The whole number ``subject`` has for ``predicate`` (:func:`checked_number`), or
    ``None`` when it has none. Two values (which one a summary adds up would be
    chance), or an IRI or a blank node there, are a :class:`~exokg.errors.DataError`."""
    values = sorted(graph.objects(subject, predicate), key=lambda v: v.n3()) \
        if subject is not None else []
    if not values:
        return None
    _at_most_one(subject, str(predicate), [v.n3() for v in values])
    value = values[0]
    if not isinstance(value, Literal):
        return checked_number(None, subject, str(predicate), value.n3())
    number = value.value
    if isinstance(number, str):  # a plain "12"
        number = whole_number(number)
    return checked_number(number, subject, str(predicate), value.n3())


def projected_number(subject: str, predicate: str, value: Any,
                     linked: Sequence[str] = ()) -> int | None:
    """:func:`_int`'s rule for a finding's number as a networkx projection holds it:
    ``value`` the node's attribute (a tuple when the graph gives several), ``linked`` the
    IRIs the property links the node to (an IRI is an edge there, not a value).

    >>> projected_number("urn:f", str(EXO.sampleSize), 12)
    12
    >>> projected_number("urn:f", str(EXO.sampleSize), (118, 119))
    Traceback (most recent call last):
    ...
    exokg.errors.DataError: <urn:f> exo:sampleSize has 2 values (118, 119); it has one at most
    """
    values = [*(value if isinstance(value, tuple) else () if value is None else (value,)),
              *(f"<{iri}>" for iri in linked)]
    if not values:
        return None
    _at_most_one(subject, predicate, list(map(str, values)))
    if linked:
        return checked_number(None, subject, predicate, values[0])
    number, shown = value, value.n3() if isinstance(value, Literal) else f'"{value}"'
    if isinstance(number, Literal):  # one rdflib could not read as its datatype
        number = number.value
    if isinstance(number, str):
        number = whole_number(number)
    return checked_number(number, subject, predicate, shown)


def _bool(value: Node | None) -> bool | None:
    return bool(value.value) if isinstance(value, Literal) else None


def finding_record(graph: Graph, finding: URIRef) -> dict[str, Any]:
    """One finding as a plain dict: the values of its row, with labels, and its wording.

    Keys: ``iri label table row study contents disease expression samples sample_size
    sample_size_note isolation detections source drug animal_model clinical_sample
    function roles printed``; the study carries its ``number``.
    """
    value = graph.value
    study = value(finding, EXO.citedIn)
    study_rec = _ref(graph, study)
    if study_rec is not None:
        study_rec["number"] = _int(graph, study, EXO.refNumber)
        study_rec["retracted"] = any(_bool(o) for o in graph.objects(study, EXO.retracted))
    expression = value(finding, EXO.expression)
    printed = {str(p).rsplit("printed", 1)[1]: str(o)
               for p, o in graph.predicate_objects(finding)
               if str(p).startswith(str(EXO.printed))}
    return {
        "iri": str(finding),
        "label": label_of(graph, finding),
        "table": _int(graph, finding, EXO.sourceTable),
        "row": _int(graph, finding, EXO.sourceRow),
        "study": study_rec,
        "contents": _refs(graph, graph.objects(finding, EXO.content)),
        "disease": _ref(graph, value(finding, EXO.disease)),
        # the direction's name in the vocabulary (Up, Down), as the evidence rules read it,
        # whatever label a data file gives it ("upregulated")
        "expression": _local_name(expression) if expression is not None else None,
        "samples": _refs(graph, graph.objects(finding, EXO.sample)),
        "sample_size": _int(graph, finding, EXO.sampleSize),
        "sample_size_note": str(value(finding, EXO.sampleSizeNote) or "") or None,
        "isolation": _ref(graph, value(finding, EXO.isolatedBy)),
        "detections": _refs(graph, graph.objects(finding, EXO.detectedBy)),
        "source": _ref(graph, value(finding, EXO.exosomeSource)),
        "drug": _ref(graph, value(finding, EXO.drug)),
        "animal_model": _bool(value(finding, EXO.animalModel)),
        "clinical_sample": _bool(value(finding, EXO.clinicalSample)),
        "function": str(value(finding, EXO.function) or ""),
        "roles": _refs(graph, graph.objects(finding, EXO.role)),
        "retracted": any(_bool(o) for o in graph.objects(finding, EXO.retracted)),
        "printed": dict(sorted(printed.items())),
    }


def findings_about(graph: Graph, node: URIRef) -> list[dict[str, Any]]:
    """The findings that name ``node`` (any predicate), or ``node`` itself if a finding.

    Sorted by table and row.
    """
    nodes: set[Node]
    if (node, RDF.type, EXO.Finding) in graph:
        nodes = {node}
    else:
        nodes = {s for s in graph.subjects(None, node) if (s, RDF.type, EXO.Finding) in graph}
    records = [finding_record(graph, f) for f in nodes if isinstance(f, URIRef)]
    return sorted(records, key=lambda r: (r["table"] or 0, r["row"] or 0, r["iri"]))


def group_findings(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group finding records by table, then by study (the cited reference).

    Returns ``[{"table", "title", "studies": [{"study", "findings"}]}]``, tables in
    order and studies by reference number; a study's ``findings`` are the IRIs of its
    records, each given once, in the list grouped (a page's twin held every finding twice).

    >>> rec = {"iri": "urn:f1", "table": 1, "study": {"iri": "urn:r", "number": 3}}
    >>> group_findings([rec])[0]["studies"][0]["findings"]
    ['urn:f1']
    """
    by_table: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    studies: dict[str, dict[str, Any] | None] = {}
    for rec in findings:
        key = rec["study"]["iri"] if rec["study"] else ""
        studies[key] = rec["study"]
        by_table[rec["table"] or 0][key].append(rec)

    def study_order(key: str) -> tuple[int, str]:
        study = studies[key]
        number = study.get("number") if study else None
        return (number if number is not None else 10**6, key)

    return [
        {"table": table, "title": TABLE_TITLES.get(table, ""),
         "studies": [{"study": studies[key],
                      "findings": [rec["iri"] for rec in by_table[table][key]]}
                     for key in sorted(by_table[table], key=study_order)]}
        for table in sorted(by_table)
    ]


def finding_row(record: dict[str, Any]) -> Finding:
    """A :func:`finding_record` as the evidence rules read it (:class:`exokg.evidence.Finding`)."""
    study = record["study"] or {}
    return Finding(
        record["iri"],
        molecules=tuple((c["iri"], c["label"]) for c in record["contents"]),
        diseases=(record["disease"]["label"],) if record["disease"] else (),
        directions=(record["expression"],) if record["expression"] else (),
        study=study.get("iri"), ref_number=study.get("number"),
        sample_size=record["sample_size"], table=record["table"],
        roles=tuple(r["label"] for r in record["roles"]), retracted=bool(record["retracted"]))


def evidence_summary(findings: Iterable[dict[str, Any]], node: str | None = None
                     ) -> dict[str, Any]:
    """How much the review says about ``node``: :func:`exokg.evidence.summarize` of its
    findings.

    The same summary (same fields, same conflict rule) as ``/api/evidence`` and
    ``exokg evidence``.
    """
    return summarize((finding_row(rec) for rec in findings), node)


#: What a page does not list among a node's facts: its label is the page's title.
NOT_FACTS = frozenset({RDFS.label})

#: What is read of the nodes a description points to: their names, and a study's number
#: and retraction (the pages' queries and the facets builder read the same).
OBJECT_FACT_PREDICATES = (str(RDFS.label), str(SKOS.prefLabel), str(EXO.refNumber),
                          str(EXO.retracted))

#: The links of a node outside the graph, which an entity page lists as external.
EXTERNAL_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch, SKOS.narrowMatch,
                       SKOS.broadMatch, OWL.sameAs, RDFS.seeAlso, EXO.xref)
#: What says what a node is: its types, names and comment.
IDENTITY_PREDICATES = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, RDFS.comment)


def node_facts(graph: Graph, node: URIRef) -> dict[str, Any]:
    """What an entity page says of ``node`` itself, from its own statements.

    Keys: ``iri label types alt_labels comment facts external``. ``facts`` are the
    node's outgoing statements (``{"predicate", "predicate_label", "values":
    [{"iri"|"value", "label"}]}``), ``external`` its links outside the graph
    (every SKOS mapping property, ``owl:sameAs``, ``rdfs:seeAlso``, ``exo:xref``).
    ``graph`` needs only the node's statements and the labels of what they point to.
    """
    facts: dict[Node, list[dict[str, Any]]] = defaultdict(list)
    external: list[dict[str, Any]] = []
    external_predicates = set(EXTERNAL_PREDICATES)
    for predicate, obj in sorted(graph.predicate_objects(node)):
        if predicate in NOT_FACTS:
            continue
        if isinstance(obj, Literal):
            item = {"value": str(obj), "label": str(obj),
                    "datatype": str(obj.datatype) if obj.datatype else None}
        else:
            item = {"iri": str(obj), "label": label_of(graph, obj)}
        if predicate in external_predicates:
            external.append({"predicate": str(predicate),
                             "predicate_label": label_of(graph, predicate), **item})
        facts[predicate].append(item)
    label = label_of(graph, node)
    return {
        "iri": str(node),
        "label": label,
        "types": _refs(graph, graph.objects(node, RDF.type)),
        "alt_labels": other_names(label, *(map(str, graph.objects(node, p))
                                           for p in (*_LABEL_PREDICATES, SKOS.altLabel))),
        # the least, as the label: the same comment whatever order the store gives
        "comment": preferred_label(str(o) for o in graph.objects(node, RDFS.comment)) or None,
        "facts": [{"predicate": str(p), "predicate_label": label_of(graph, p), "values": v}
                  for p, v in facts.items()],
        "external": external,
    }


def describe_node(graph: Graph, node: URIRef) -> dict[str, Any]:
    """Everything an entity page shows about ``node``, as plain data, over a whole graph.

    Keys: those of :func:`node_facts`, ``incoming`` (links from anything but a finding,
    counted per predicate), ``findings`` (all of them), ``groups`` and ``evidence``.
    The pages read the same through bounded queries (:func:`exokg.pages.entity_page`);
    this whole-graph form is their reference.

    Raises :class:`~exokg.errors.NodeNotFound` when ``node`` is the subject of no triple.
    """
    _require(graph, node)
    incoming: dict[Node, int] = defaultdict(int)
    for subject, predicate in graph.subject_predicates(node):
        if (subject, RDF.type, EXO.Finding) not in graph:
            incoming[predicate] += 1
    findings = findings_about(graph, node)
    facts = node_facts(graph, node)
    return {
        **{k: facts[k] for k in ("iri", "label", "types", "alt_labels", "comment", "facts")},
        "incoming": [{"predicate": str(p), "predicate_label": label_of(graph, p), "count": n}
                     for p, n in sorted(incoming.items())],
        "external": facts["external"],
        "findings": findings,
        "groups": group_findings(findings),
        "evidence": evidence_summary(findings, str(node)),
    }
