"""What an entity page shows, read through bounded SPARQL: one node, one page of findings.

The page of a node reads a handful of small queries whatever the size of the store: the
node's own statements with the labels of what they point to (capped), one page of its
findings (``ORDER BY`` table and row, ``LIMIT``/``OFFSET``) with their values and labels,
and, from the facets artifact built with the store (:mod:`exokg.facets`), its evidence
summary, facet counts and incoming links. Each query result is turned into a small rdflib
graph and read by the same functions as the whole-graph description
(:mod:`exokg.describe`), so that a page of the review's data shows exactly what the
whole-graph description shows.

Every function takes a *reader*: any object with ``select(query, *, max_rows=None) ->
Results`` and ``construct(query, *, max_rows=None) -> (Graph, truncated)``, such as the
server's :class:`~exokg.sparql.SparqlService` or :class:`StoreReader` over a pyoxigraph
store (tests, the artifact builder).

>>> from exokg.store import open_store, prepare_store
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     reader = StoreReader(open_store(prepare_store(tmp).path))
...     page = entity_page(reader, "https://w3id.org/exokg/id/content/mir-21")
>>> page["label"], page["paging"]["count"], page["paging"]["pages"]
('miR-21', 5, 1)
>>> [s["study"]["number"] for s in page["groups"][0]["studies"]]
[21, 22, 23, 24, 46]
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

import pyoxigraph as ox
from exokg.describe import (
    EXTERNAL_PREDICATES,
    IDENTITY_PREDICATES,
    evidence_summary,
    finding_record,
    group_findings,
    node_facts,
)
from exokg.errors import InvalidQuery, NodeNotFound
from exokg.facet_counts import count_facets, facet_values
from exokg.rdf_terms import TripleIndex, rdflib_triples, triples_graph
from exokg.sparql.results import Results
from exokg.vocab import EXO, RDF
from rdflib import Graph, URIRef
from rdflib.term import Node

__all__ = ["DESCRIPTION_CAP", "PAGE_SIZE", "Reader", "StoreReader", "all_finding_records",
           "description_graph",
           "entity_page", "find_node", "finding_count", "finding_graph", "finding_page",
           "finding_query", "finding_records", "iri_term", "is_iri", "node_exists", "page_number"]

logger = logging.getLogger(__name__)

#: Findings per page of an entity page (and of /api/evidence's list).
PAGE_SIZE = 100

#: Rows of a node's own description read at most (its statements and their labels).
DESCRIPTION_CAP = 2000

_PREFIXES = (f"PREFIX exo: <{EXO}>\nPREFIX rdf: <{RDF}>\n"
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")

#: What is read of the nodes a description points to: their names, and a study's number.
OBJECT_FACTS = "(rdfs:label, skos:prefLabel, exo:refNumber, exo:retracted)"

_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


class Reader(Protocol):
    """The bounded read path: :class:`~exokg.sparql.SparqlService`'s two methods."""

    def select(self, query: str, *, max_rows: int | None = None) -> Results: ...

    def construct(self, query: str, *,
                  max_rows: int | None = None) -> tuple[Graph, bool]: ...

    def construct_triples(self, query: str, *, max_rows: int | None = None
                          ) -> tuple[list[tuple[Node, Node, Node]], bool]: ...


class StoreReader:
    """A :class:`Reader` straight over a pyoxigraph store (no executors, no limits).

    For the artifact builder, which runs inside the store build, and for tests.
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def select(self, query: str, *, max_rows: int | None = None) -> Results:
        answer: Any = self.store.query(query)
        results = Results.from_json(answer.serialize(format=ox.QueryResultsFormat.JSON))
        if max_rows and len(results.rows) > max_rows:
            return Results(results.vars, results.rows[:max_rows], truncated=True)
        return results

    def construct(self, query: str, *,
                  max_rows: int | None = None) -> tuple[Graph, bool]:
        triples, truncated = self._construct(query, max_rows)
        return triples_graph(triples), truncated

    def construct_triples(self, query: str, *, max_rows: int | None = None
                          ) -> tuple[list[tuple[Node, Node, Node]], bool]:
        triples, truncated = self._construct(query, max_rows)
        return list(rdflib_triples(triples)), truncated

    def _construct(self, query: str, max_rows: int | None) -> tuple[list[Any], bool]:
        answer: Any = self.store.query(query)
        triples = list(answer)
        truncated = bool(max_rows) and len(triples) > (max_rows or 0)
        return (triples[:max_rows] if max_rows else triples), truncated


def iri_term(iri: str) -> str:
    """``iri`` written as a SPARQL IRI term, refusing what would break out of ``<...>``.

    >>> iri_term("https://w3id.org/exokg/id/disease/hcc")
    '<https://w3id.org/exokg/id/disease/hcc>'
    >>> iri_term("a> } DROP ALL {")
    Traceback (most recent call last):
    ...
    exokg.errors.NodeNotFound: not an IRI: 'a> } DROP ALL {'
    """
    if not iri or _BAD_IRI.search(iri):
        raise NodeNotFound(f"not an IRI: {iri!r}", suggestions=[])
    return f"<{iri}>"


def page_number(raw: str | None, pages: int) -> int:
    """The page asked for (``?page=``), 1 when none; pages count from 1 to ``pages``.

    >>> page_number(None, 3), page_number("2", 3)
    (1, 2)
    >>> page_number("4", 3)
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: page must be from 1 to 3, not 4
    """
    if raw is None or raw.strip() == "":
        return 1
    try:
        number = int(raw)
    except ValueError:
        raise InvalidQuery(f"page must be an integer from 1 to {max(pages, 1)}, "
                           f"not {raw!r}") from None
    if not 1 <= number <= max(pages, 1):
        raise InvalidQuery(f"page must be from 1 to {max(pages, 1)}, not {number}")
    return number


def is_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI a store can hold: the one check of a node named
    from outside (a URL path, a parameter) before any query is written with it.

    >>> is_iri("https://w3id.org/exokg/id/content/mir-21")
    True
    >>> [is_iri(t) for t in ("mir-21", "https://x/%zz", "https://x/\x7f", "https://x/\ufffd")]
    [False, False, False, False]
    """
    if not text or _BAD_IRI.search(text):
        return False
    try:
        ox.NamedNode(text)  # percent-escapes, code points, scheme: as the store checks them
    except ValueError:
        return False
    return True


def node_exists(reader: Reader, node: str) -> bool:
    """Whether ``node`` is the subject of a triple (one indexed lookup); ``False`` for
    what is no IRI (:func:`is_iri`), without a query."""
    return is_iri(node) and bool(reader.select(f"ASK {{ {iri_term(node)} ?p ?o }}").boolean)


def find_node(reader: Reader, name: str) -> list[str]:
    """The nodes ``name`` names exactly: an IRI, a CURIE of ExoKG's prefixes, or a label,
    alternative label or external identifier (``exo:xref``) as written; at most 20.

    Spelling variants and near misses are the search index's job, not this lookup's.
    """
    from exokg.curie import expand_curie

    text = (name or "").strip()
    if not text:
        return []
    for iri in dict.fromkeys((text, expand_curie(text))):
        if "://" in iri and node_exists(reader, iri):
            return [iri]
    # a JSON string is a SPARQL string literal, as long as characters outside the BMP stay
    # as they are (JSON would escape them as surrogate pairs, which SPARQL refuses)
    literal = json.dumps(text, ensure_ascii=False)
    rows = reader.select(_PREFIXES + f"""SELECT DISTINCT ?n WHERE {{
  {{ ?n rdfs:label {literal} }} UNION {{ ?n skos:altLabel {literal} }}
  UNION {{ ?n exo:xref {literal} }} FILTER(isIRI(?n)) }} ORDER BY ?n LIMIT 20""").rows
    return [str(row[0]) for row in rows if row[0] is not None]


def description_graph(reader: Reader, node: str, *,
                      cap: int = DESCRIPTION_CAP) -> tuple[Graph, bool]:
    """The node's own statements (and those of its blank nodes), the labels of what they
    point to and of their predicates, a study's number: ``(graph, truncated)``.

    When the cap cuts the description (a hub cites thousands of studies), the node's
    types, names, comment and external links are read apart, so that a cut never costs
    the page its title or its links.
    """
    term = iri_term(node)
    graph, truncated = reader.construct(_description_query(term, ""), max_rows=cap)
    if truncated:
        kept = ", ".join(iri_term(str(p)) for p in IDENTITY_PREDICATES + EXTERNAL_PREDICATES)
        # a node has few of these: bounded by the default cap, not by the one that cut
        own, _ = reader.construct(_description_query(term, f"FILTER(?p IN ({kept}))"),
                                  max_rows=DESCRIPTION_CAP)
        graph += own
    return graph, truncated


def _description_query(term: str, restriction: str) -> str:
    return _PREFIXES + f"""CONSTRUCT {{ {term} ?p ?o . ?o ?q ?v . ?p ?pq ?pv }}
WHERE {{ {term} ?p ?o . {restriction}
  OPTIONAL {{ ?o ?q ?v FILTER(isBlank(?o) || ?q IN {OBJECT_FACTS}) }}
  OPTIONAL {{ ?p ?pq ?pv FILTER(?pq IN (rdfs:label, skos:prefLabel)) }} }}"""


#: "?f is a finding", written so that engines start from the node's few links: as
#: ``?f a exo:Finding`` Oxigraph joined all of the store's findings first (2.2 s for a
#: molecule's count at 10^6 findings, 12 ms this way).
IS_FINDING = ". ?f rdf:type ?f_type FILTER(?f_type = exo:Finding)"


def finding_count(reader: Reader, node: str) -> int:
    """How many findings name ``node`` (a bounded count over the node's incoming links)."""
    term = iri_term(node)
    rows = reader.select(_PREFIXES + f"""SELECT (COUNT(DISTINCT ?f) AS ?n)
WHERE {{ ?f ?p {term} FILTER(?p != rdf:type) {IS_FINDING} }}""").rows
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0  # type: ignore[call-overload]


def finding_page(reader: Reader, node: str, page: int, *, size: int = PAGE_SIZE,
                 predicate: str | None = None) -> list[str]:
    """The IRIs of the findings naming ``node`` on ``page`` (by table, row, IRI).

    ``predicate`` restricts to one predicate (``/api/evidence``: ``exo:content``).
    """
    term = iri_term(node)
    link = f"{iri_term(predicate)} {term}" if predicate else f"?p {term} FILTER(?p != rdf:type)"
    query = _PREFIXES + f"""SELECT DISTINCT ?f ?t ?r WHERE {{ ?f {link} {IS_FINDING}
  OPTIONAL {{ ?f exo:sourceTable ?t }} OPTIONAL {{ ?f exo:sourceRow ?r }} }}
ORDER BY ?t ?r ?f LIMIT {size} OFFSET {(page - 1) * size}"""
    return [str(row[0]) for row in reader.select(query).rows if row[0] is not None]


def finding_query(findings: Sequence[str]) -> str:
    """The CONSTRUCT of :func:`finding_graph`."""
    values = " ".join(iri_term(f) for f in findings)
    return _PREFIXES + f"""CONSTRUCT {{ ?f ?p ?o . ?o ?q ?v }}
WHERE {{ VALUES ?f {{ {values} }} ?f ?p ?o .
  OPTIONAL {{ ?o ?q ?v FILTER(?q IN {OBJECT_FACTS}) }} }}"""


def finding_graph(reader: Reader, findings: Sequence[str]) -> Graph:
    """The findings' statements with the labels (and a study's number) of what they name."""
    if not findings:
        return Graph()
    graph, _ = reader.construct(finding_query(findings))
    return graph


def finding_records(reader: Reader, findings: Sequence[str]) -> list[dict[str, Any]]:
    """:func:`exokg.describe.finding_record` of each finding, in the order given (read
    from a plain index of the answer's triples: an rdflib graph of them cost a typical
    molecule's page a fifth of its time)."""
    triples = reader.construct_triples(finding_query(findings))[0] if findings else []
    graph = cast(Graph, TripleIndex(triples))
    return [finding_record(graph, URIRef(f)) for f in findings]


def _paging(count: int, page: int, size: int) -> dict[str, Any]:
    pages = max(1, math.ceil(count / size))
    return {"page": page, "pages": pages, "size": size, "count": count,
            "has_next": page < pages, "has_prev": page > 1,
            "first": (page - 1) * size + 1 if count else 0,
            "last": min(page * size, count)}


def entity_page(reader: Reader, node: str, *, page: int | str | None = None,
                size: int = PAGE_SIZE, facets: Any = None) -> dict[str, Any]:
    """Everything an entity page shows about ``node``, one page of findings at a time.

    Keys: those of :func:`exokg.describe.node_facts` (``iri label types alt_labels
    comment facts external``), ``facts_truncated``, ``incoming``, ``findings`` and
    ``groups`` (this page's, as :func:`exokg.describe.group_findings`), ``evidence``
    (over all the node's findings), ``facets`` (counts by table, disease, direction,
    sample and study; ``None`` without the artifact) and ``paging`` (``page pages size
    count has_next has_prev first last``).

    Parameters
    ----------
    reader
        the bounded read path.
    node
        the node's IRI.
    page
        the page of findings (1 when ``None``); a string is checked as ``?page=`` is.
    facets
        the store's :class:`exokg.facets.Facets` (evidence, counts and incoming links
        read by IRI); without it they are computed by bounded queries (small stores).

    Raises
    ------
    NodeNotFound
        when ``node`` is the subject of no triple.
    InvalidQuery
        for a page out of range (the message names the range).
    """
    graph, truncated = description_graph(reader, node)
    subject = URIRef(node)
    if next(graph.predicate_objects(subject), None) is None:
        raise NodeNotFound(f"no node {node} in the graph", suggestions=[])
    data = node_facts(graph, subject)
    data["facts_truncated"] = truncated
    is_finding = (subject, RDF.type, EXO.Finding) in graph
    # a finding's page is about that finding alone: nothing to read from the artifact
    stored = facets.node(node) if facets is not None and not is_finding else None
    if is_finding:
        count = 1
    elif stored is not None:
        count = stored.count
    else:
        count = finding_count(reader, node)
    paging = _paging(count, 1, size)
    number = page if isinstance(page, int) else page_number(page, paging["pages"])
    if not 1 <= number <= paging["pages"]:
        raise InvalidQuery(f"page must be from 1 to {paging['pages']}, not {number}")
    paging = _paging(count, number, size)
    ids: list[str] | None = [node] if is_finding else [] if not count else \
        facets.finding_page(node, number, size) if stored is not None else None
    if ids is None:
        ids = finding_page(reader, node, number, size=size)
    findings = finding_records(reader, ids)
    if stored is not None and stored.evidence is not None:  # a hub: summarised at build
        evidence, facet_counts = stored.evidence, stored.facets
    else:  # at most a page of findings (without the artifact: any number, paged through)
        every = findings if count <= size else all_finding_records(reader, node, count)
        evidence, facet_counts = evidence_summary(every), count_facets(map(facet_values, every))
    incoming = stored.incoming if stored is not None else _incoming(reader, node)
    data.update({"incoming": incoming, "findings": findings,
                 "groups": group_findings(findings), "evidence": evidence,
                 "facets": facet_counts, "paging": paging})
    return data


def all_finding_records(reader: Reader, node: str, count: int, *,
                        predicate: str | None = None) -> list[dict[str, Any]]:
    """:func:`finding_records` of all ``count`` findings naming ``node``, a page at a time
    (for a node with at most a page of them, or a store without the facets artifact)."""
    out: list[dict[str, Any]] = []
    for number in range(1, math.ceil(count / PAGE_SIZE) + 1):
        out += finding_records(reader, finding_page(reader, node, number, predicate=predicate))
    return out


def _incoming(reader: Reader, node: str) -> list[dict[str, Any]]:
    """Links into ``node`` from anything but a finding, counted per predicate."""
    term = iri_term(node)
    rows = reader.select(_PREFIXES + f"""SELECT ?p ?n ?l WHERE {{
  {{ SELECT ?p (COUNT(?s) AS ?n)
     WHERE {{ ?s ?p {term} FILTER NOT EXISTS {{ ?s a exo:Finding }} }} GROUP BY ?p }}
  OPTIONAL {{ ?p rdfs:label ?l }} }}""").rows
    labels = {str(p): str(lab) for p, _, lab in rows if p is not None and lab is not None}
    return incoming_rows(((str(p), int(n)) for p, n, _ in rows  # type: ignore[call-overload]
                          if p is not None and n is not None), labels)


def incoming_rows(pairs: Iterable[tuple[str, int]],
                  labels: dict[str, str]) -> list[dict[str, Any]]:
    """``[{"predicate", "predicate_label", "count"}]`` sorted by predicate, as
    :func:`exokg.describe.describe_node` gives them (``labels``: predicates' labels)."""
    from exokg.describe import label_of

    return [{"predicate": p, "count": n,
             "predicate_label": labels.get(p) or label_of(Graph(), URIRef(p))}
            for p, n in sorted(dict(pairs).items())]
