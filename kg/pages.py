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
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

import pyoxigraph as ox
from exokg.bounds import integer_in
from exokg.describe import (
    EXTERNAL_PREDICATES,
    IDENTITY_PREDICATES,
    NOT_FACTS,
    OBJECT_FACT_PREDICATES,
    evidence_summary,
    finding_record,
    group_findings,
    label_of,
    node_facts,
)
from exokg.display import MARK_CLOSE, MARK_OPEN, VIEW_CHARS
from exokg.errors import NodeNotFound
from exokg.facet_counts import count_facets, facet_values
from exokg.labels import preferred_label
from exokg.rdf_terms import TripleIndex, rdflib_triples, triples_graph
from exokg.sparql.results import Results
from exokg.vocab import EXO, RDF
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

__all__ = ["DESCRIPTION_CAP", "Description", "LABEL_CHUNK",
           "PAGE_FACTS", "PAGE_SIZE",
           "Reader", "StoreReader", "VALUES_READ", "all_finding_records", "chunks", "describe",
           "description_graph", "share", "value_order",
           "entity_page", "facts_of", "find_node", "finding_count", "finding_graph", "finding_page",
           "finding_query", "finding_records", "iri_term", "is_iri", "node_exists", "page_number",
           "RESULT_PAGE_CHARS", "RESULT_PAGE_ROWS", "cut_text", "result_pages"]

logger = logging.getLogger(__name__)

#: Findings per page of an entity page (and of /api/evidence's list).
PAGE_SIZE = 100

#: A node's own statements read at most (the labels of what they point to come apart):
#: its RDF descriptions (``/id/...ttl``) hold as many.
DESCRIPTION_CAP = 2000

#: A node's own statements an entity page (and its JSON twin) lists at most: a hub's page
#: stays about as large as when its description was cut at 2,000 triples with their labels.
PAGE_FACTS = 500

_PREFIXES = (f"PREFIX exo: <{EXO}>\nPREFIX rdf: <{RDF}>\n"
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")



def cut_text(source: str, target: str, size: int) -> str:
    """A SPARQL ``BIND`` of ``?target``: ``?source``, or, for a literal of more than
    ``size`` characters that is no number, its first ``size`` and the mark of a cut with
    the whole length (:func:`exokg.display.clip` reads it), with its language; of another
    datatype than a string's (``rdf:HTML``), as a plain string, which the cut no longer
    fits. A page then reads no more of a long text than it could show.

    >>> "SUBSTR(STR(?o0), 1, 4000)" in cut_text("o0", "o", 4000)
    True
    """
    v = f"?{source}"
    cut = (f'CONCAT(SUBSTR(STR({v}), 1, {size}), "{MARK_OPEN}", STR(STRLEN(STR({v}))), '
           f'"{MARK_CLOSE}")')
    # isLiteral first: on an IRI the rest is an error, and false && error is false
    long_text = f"isLiteral({v}) && !isNumeric({v}) && STRLEN(STR({v})) > {size}"
    return (f'BIND(IF({long_text}, IF(LANG({v}) = "", {cut}, STRLANG({cut}, LANG({v}))), '
            f'{v}) AS ?{target})')


def facts_of(var: str, predicates: Iterable[str] = OBJECT_FACT_PREDICATES, *,
             cut: int = 0) -> str:
    """The statements of ``?var`` (bound before) by these predicates, as ``?var ?q ?v``
    (a text cut at ``cut`` characters when given: :func:`cut_text`).

    The predicate is bound before the pattern, so an engine reads each node's statements
    of these predicates by index. As ``?x ?q ?v FILTER(?q IN (...))`` Oxigraph read every
    statement of the node first: a page of miR-21's findings at 10^6 findings (each names
    miR-21, the subject of 76,000 statements) took 1.1-2.2 s, against 11 ms. In an
    ``OPTIONAL`` because a ``VALUES ?q`` block joined beside the pattern made Oxigraph
    read the whole store's statements of those predicates (2.6 s for ten nodes' labels).

    >>> facts_of("x", ["urn:p"])
    'OPTIONAL { VALUES ?q { <urn:p> } ?x ?q ?v }'
    """
    values = " ".join(map(iri_term, predicates))
    if cut:  # the cut after the OPTIONAL: inside it, Oxigraph read it for every node
        return (f"OPTIONAL {{ VALUES ?q {{ {values} }} ?{var} ?q ?v0 }} "
                f"{cut_text('v0', 'v', cut)}")
    return f"OPTIONAL {{ VALUES ?q {{ {values} }} ?{var} ?q ?v }}"

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


def page_number(raw: str | int | None, pages: int) -> int:
    """The page asked for (``?page=``, or a caller's ``int``), 1 when none; pages count
    from 1 to ``pages``.

    >>> page_number(None, 3), page_number("2", 3)
    (1, 2)
    >>> page_number("4", 3)
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: page must be an integer from 1 to 3, not '4'
    """
    if raw is None or isinstance(raw, str) and raw.strip() == "":
        return 1
    return integer_in("page", raw, 1, max(pages, 1))


#: A page of query results (the query page and its JSON twin) holds at most this many rows
#: and this many characters of their values (at least one row): 10,000 rows of a
#: ``SELECT *`` made a page of 4 MB.
RESULT_PAGE_ROWS, RESULT_PAGE_CHARS = 500, 150_000


def result_pages(sizes: Iterable[int], *, rows: int = RESULT_PAGE_ROWS,
                 chars: int = RESULT_PAGE_CHARS) -> list[int]:
    """Where each page of results starts, for rows whose values hold ``sizes`` characters:
    a page ends at ``rows`` rows or before it passes ``chars`` characters (a row longer
    than that is a page of its own). The same answer gives the same pages.

    >>> result_pages([10, 10, 10], rows=2, chars=100), result_pages([60, 60, 10], chars=100)
    ([0, 2], [0, 1])
    >>> result_pages([])
    [0]
    """
    starts, used, count = [0], 0, 0
    for index, size in enumerate(sizes):
        if count and (count == rows or used + size > chars):
            starts.append(index)
            used, count = 0, 0
        used, count = used + size, count + 1
    return starts


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
    """Whether ``node`` is the subject or the object of a triple (indexed lookups); ``False``
    for what is no IRI (:func:`is_iri`), without a query. A node the data only points to
    (a sample type no triple describes) has a page of what points to it: the graph
    queries and the drawings link to it, and its page was a 404."""
    term = iri_term(node) if is_iri(node) else None
    return term is not None and bool(reader.select(
        f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} }}").boolean)


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


#: Most values of one predicate read to choose its first ones when a description is cut;
#: a predicate with more (at 10^6 findings miR-21 cites 75,986 studies) shows its count
#: alone. The choice is made here, not by the engine's ``ORDER BY``: Oxigraph sorts IRIs by
#: reading each one's text at every comparison (10 s for miR-21's studies, against 26 ms
#: to count them), and Virtuoso's order of mixed terms is no total order (see
#: :mod:`exokg.sparql.paging`).
VALUES_READ = 10_000

#: IRIs named in one query reading labels (``VALUES``): a bounded query, whatever the cap.
LABEL_CHUNK = 500

#: What a cut description keeps first: what the node is, and its links outside the graph.
_FIRST = frozenset(map(str, IDENTITY_PREDICATES + EXTERNAL_PREDICATES))


def value_order(term: Node) -> tuple[int, str, str, str]:
    """The order of a predicate's values in a cut description: IRIs, then literals (then
    blank nodes), each by text (code points), then language and datatype.

    >>> from rdflib import Literal
    >>> sorted([Literal("b"), URIRef("urn:z"), Literal("a", lang="en"), URIRef("urn:a")],
    ...        key=value_order)
    [rdflib.term.URIRef('urn:a'), rdflib.term.URIRef('urn:z'), \
rdflib.term.Literal('a', lang='en'), rdflib.term.Literal('b')]
    """
    if isinstance(term, Literal):
        return 1, str(term), term.language or "", str(term.datatype or "")
    return (0 if isinstance(term, URIRef) else 2), str(term), "", ""


@dataclass(frozen=True)
class Description:
    """A node's own statements as a page shows them, read by :func:`describe`.

    ``graph`` holds the kept statements (and those of their blank nodes), the labels of
    the IRIs they point to and of their predicates, and a study's number; ``counts`` is
    each predicate's number of values, ``kept`` how many of them ``graph`` holds.
    """

    graph: Graph
    counts: dict[str, int]
    kept: dict[str, int]

    @property
    def cut(self) -> dict[str, int]:
        """The predicates some of whose values were left out, with their number of values."""
        return {p: n for p, n in self.counts.items() if self.kept.get(p, 0) < n}

    @property
    def truncated(self) -> bool:
        """Whether any statement of the node was left out."""
        return bool(self.cut)


def share(counts: dict[str, int], budget: int) -> dict[str, int]:
    """How many values of each predicate fit in ``budget``: all of them while an even
    share of what is left allows, else that share (none beyond :data:`VALUES_READ`
    values), from the predicate with fewest values up (ties by IRI): the same everywhere.

    >>> share({"b": 50, "a": 1, "c": 3}, 10)
    {'b': 6, 'a': 1, 'c': 3}
    >>> share({"b": 50, "a": 1}, 0), share({"b": 10**6, "a": 1}, 10)
    ({'b': 0, 'a': 0}, {'b': 0, 'a': 1})
    """
    left, kept = max(budget, 0), {}
    ordered = sorted(counts.items(), key=lambda item: (item[1], item[0]))
    for rank, (predicate, count) in enumerate(ordered):
        even = left // (len(ordered) - rank)
        kept[predicate] = count if count <= even else even if count <= VALUES_READ else 0
        left -= kept[predicate]
    return {p: kept[p] for p in counts}


def describe(reader: Reader, node: str, *, cap: int = DESCRIPTION_CAP,
             cut: int = 0) -> Description:
    """The node's own statements, at most ``cap`` of them, with the labels of what they
    point to: the same on every engine, read at a cost bounded by what is kept. For a
    page, texts cut at ``cut`` characters (:func:`cut_text`); whole for the RDF
    descriptions.

    Bounded reads: the number of values of each of the node's predicates (a ``GROUP BY``
    that needs no value's text: 27 ms for miR-21's 76,010 statements at 10^6 findings on
    Oxigraph); the predicates kept whole; the
    values of each cut predicate (at most :data:`VALUES_READ`), of which the first in
    :func:`value_order` are kept; the labels of exactly the kept IRIs and of the
    predicates (``VALUES``, :data:`LABEL_CHUNK` IRIs a query). When the node has more
    statements than ``cap`` (a hub cites thousands of studies), its types, names, comment
    and external links are kept first (within :data:`DESCRIPTION_CAP` even under a
    smaller cap, so that a cut never costs a page its title or its links), and the rest
    of the cap is shared by the other predicates (:func:`share`).

    >>> from exokg.store import open_store, prepare_store
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     reader = StoreReader(open_store(prepare_store(tmp).path))
    ...     cut = describe(reader, "https://w3id.org/exokg/id/content/mir-21", cap=23)
    >>> cut.truncated, sum(cut.kept.values()), sum(cut.counts.values())
    (True, 23, 27)
    >>> {p.rpartition("#")[2]: (cut.kept[p], n) for p, n in cut.cut.items()}  # kept of all
    {'citedIn': (2, 5), 'isolatedBy': (2, 3)}
    """
    term, subject = iri_term(node), URIRef(node)
    rows = reader.select(_PREFIXES + f"SELECT ?p (COUNT(?o) AS ?n) WHERE {{ {term} ?p ?o }} "
                         "GROUP BY ?p").rows
    counts = {str(p): int(n) for p, n in rows  # type: ignore[call-overload]
              if p is not None and n is not None}
    kept = share({p: n for p, n in counts.items() if p in _FIRST}, max(cap, DESCRIPTION_CAP))
    kept |= share({p: n for p, n in counts.items() if p not in _FIRST},
                  cap - sum(kept.values()))
    whole = sorted(p for p, n in kept.items() if n == counts[p])
    graph = Graph()
    if whole:
        chosen = "" if len(whole) == len(counts) else \
            f"VALUES ?p {{ {' '.join(map(iri_term, whole))} }} "
        # the blank nodes' statements joined to a sub-select of the blank nodes alone: as
        # OPTIONAL { ?o ?q ?v FILTER(isBlank(?o)) } Oxigraph read every statement of each
        # IRI value before the filter (a finding naming miR-21: 100 ms at 10^6, 0.1 ms so)
        own, blank = (f"{term} ?p ?o0 {cut_text('o0', 'o', cut)}",
                      f"?o ?q ?v0 {cut_text('v0', 'v', cut)}") if cut else \
            (f"{term} ?p ?o", "?o ?q ?v")
        graph, capped = reader.construct(_PREFIXES + f"""CONSTRUCT {{ {term} ?p ?o . ?o ?q ?v }}
WHERE {{ {{ {chosen}{own} }} UNION {{
  {{ SELECT DISTINCT ?o WHERE {{ {chosen}{term} ?p ?o FILTER(isBlank(?o)) }} }} {blank} }} }}""")
        if capped:  # the service's row cap cut it (a small MAX_ROWS): say what came
            for predicate in whole:
                kept[predicate] = len(set(graph.objects(subject, URIRef(predicate))))
    for predicate in sorted(p for p, n in kept.items()
                            if 0 < n < counts[p] and p not in whole):
        read = f"?o0 {cut_text('o0', 'o', cut)}" if cut else "?o"
        values = reader.select(f"SELECT ?o WHERE {{ {term} {iri_term(predicate)} {read} }}")
        if values.truncated:  # under a smaller row cap than this read: none, not any
            kept[predicate] = 0
            continue
        first = sorted((row[0] for row in values.rows if row[0] is not None),
                       key=value_order)[:kept[predicate]]
        for value in first:  # a blank node's statements are not read apart: none here
            graph.add((subject, URIRef(predicate), value))
    named = set(counts) | {str(o) for o in graph.objects(subject) if isinstance(o, URIRef)}
    for chunk in chunks(sorted(named), LABEL_CHUNK):
        labels, _ = reader.construct(_PREFIXES + f"""CONSTRUCT {{ ?x ?q ?v }}
WHERE {{ VALUES ?x {{ {" ".join(map(iri_term, chunk))} }} {facts_of("x", cut=cut)} }}""")
        graph += labels
    return Description(graph, counts, kept)


_Item = TypeVar("_Item")


def chunks(items: Sequence[_Item], size: int) -> Iterable[Sequence[_Item]]:
    """``items`` in consecutive runs of at most ``size``.

    >>> [list(c) for c in chunks([1, 2, 3], 2)]
    [[1, 2], [3]]
    """
    return (items[start:start + size] for start in range(0, len(items), size))


def description_graph(reader: Reader, node: str, *,
                      cap: int = DESCRIPTION_CAP) -> tuple[Graph, bool]:
    """:func:`describe`'s ``(graph, truncated)``: the node's own statements (and those of
    its blank nodes), the labels of what they point to and of their predicates, a
    study's number."""
    description = describe(reader, node, cap=cap)
    return description.graph, description.truncated


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


def finding_query(findings: Sequence[str], *, cut: int = 0) -> str:
    """The CONSTRUCT of :func:`finding_graph` (texts cut at ``cut`` characters when
    given: :func:`cut_text`)."""
    values = " ".join(iri_term(f) for f in findings)
    if not cut:
        return _PREFIXES + f"""CONSTRUCT {{ ?f ?p ?o . ?o ?q ?v }}
WHERE {{ VALUES ?f {{ {values} }} ?f ?p ?o .
  {facts_of("o")} }}"""
    # the cuts last, into variables of their own: ?o joined as read (a ?o made by a BIND
    # before the OPTIONAL made Oxigraph read the facts of every node: 45 s against 0.06 s
    # for a page of miR-21's findings at 10^5)
    return _PREFIXES + f"""CONSTRUCT {{ ?f ?p ?oc . ?o ?q ?v }}
WHERE {{ VALUES ?f {{ {values} }} ?f ?p ?o .
  {facts_of("o", cut=cut)} {cut_text("o", "oc", cut)} }}"""


def finding_graph(reader: Reader, findings: Sequence[str]) -> Graph:
    """The findings' statements with the labels (and a study's number) of what they name."""
    if not findings:
        return Graph()
    graph, _ = reader.construct(finding_query(findings))
    return graph


def finding_records(reader: Reader, findings: Sequence[str], *,
                    cut: int = 0) -> list[dict[str, Any]]:
    """:func:`exokg.describe.finding_record` of each finding, in the order given (read
    from a plain index of the answer's triples: an rdflib graph of them cost a typical
    molecule's page a fifth of its time), texts cut at ``cut`` characters (0: whole)."""
    triples = reader.construct_triples(finding_query(findings, cut=cut))[0] \
        if findings else []
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
    comment facts external``; a cut fact has its number of values as ``count``: at most
    :data:`PAGE_FACTS` statements are listed, see :func:`describe`), ``facts_truncated``,
    ``incoming``, ``findings`` and ``groups`` (this page's, as
    :func:`exokg.describe.group_findings`), ``evidence`` (over all the node's findings),
    ``facets`` (counts by table, disease, direction, sample and study; ``None`` without
    the artifact) and ``paging`` (``page pages size count has_next has_prev first
    last``).

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
        when ``node`` is in no triple.
    InvalidQuery
        for a page out of range (the message names the range).
    """
    description = describe(reader, node, cap=PAGE_FACTS, cut=VIEW_CHARS)
    graph, subject = description.graph, URIRef(node)
    # no statement of its own: a node the data only points to still has its page
    if not description.counts and not node_exists(reader, node):
        raise NodeNotFound(f"no node {node} in the graph", suggestions=[])
    data = node_facts(graph, subject)
    facts, cut = _facts_within(_counted_facts(data["facts"], description))
    data["facts"], data["facts_truncated"] = facts, description.truncated or cut
    data["external"], _ = _within(data["external"], LIST_CHARS)
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
    number = page_number(page, paging["pages"])
    paging = _paging(count, number, size)
    ids: list[str] | None = [node] if is_finding else [] if not count else \
        facets.finding_page(node, number, size) if stored is not None else None
    if ids is None:
        ids = finding_page(reader, node, number, size=size)
    findings = finding_records(reader, ids, cut=VIEW_CHARS)
    if stored is not None and stored.evidence is not None:  # a hub: summarised at build
        evidence, facet_counts = stored.evidence, stored.facets
    else:  # at most a page of findings (without the artifact: any number, paged through)
        every = findings if count <= size else all_finding_records(reader, node, count,
                                                                   cut=VIEW_CHARS)
        evidence = evidence_summary(every, node)
        facet_counts = count_facets(map(facet_values, every))
    incoming, incoming_cut = _within(
        stored.incoming if stored is not None else _incoming(reader, node), LIST_CHARS)
    data["incoming_truncated"] = incoming_cut
    data.update({"incoming": incoming, "findings": findings,
                 "groups": group_findings(findings), "evidence": evidence,
                 "facets": facet_counts, "paging": paging})
    return data


#: The characters (as JSON) an entity page's facts, and each of its lists of external
#: and incoming links, hold at most: 2,000 statements of 3,000 characters, or 300 links
#: by predicates of 20,000-character IRIs, made pages and twins of 6 to 16 MB.
LIST_CHARS = 100_000


def _size(item: Any) -> int:
    return len(json.dumps(item, ensure_ascii=False, default=str))


def _within(items: list[Any], most: int) -> tuple[list[Any], bool]:
    """The first of ``items`` that hold at most ``most`` characters as JSON (the first
    one whatever its size), and whether any were left out.

    >>> _within([{"a": 1}] * 3, 20)
    ([{'a': 1}, {'a': 1}], True)
    """
    kept: list[Any] = []
    used = 0
    for item in items:
        used += _size(item)
        if kept and used > most:
            return kept, True
        kept.append(item)
    return kept, False


def _facts_within(facts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """``facts`` within :data:`LIST_CHARS`: the predicates in order, each with its first
    values that fit (and its number of values, ``count``, when some are left out); and
    whether any were.

    >>> facts = [{"predicate": "p", "values": [{"value": "x" * 60}] * 3}]
    >>> kept, cut = _facts_within(facts * 2000)
    >>> cut, len(kept) < 2000, kept[0]["values"] == facts[0]["values"]
    (True, True, True)
    """
    kept: list[dict[str, Any]] = []
    left = LIST_CHARS
    for fact in facts:
        head = {k: v for k, v in fact.items() if k != "values"}
        left -= _size(head)
        if kept and left < 0:
            return kept, True
        values, cut = _within(fact["values"], max(left, 0))
        left -= sum(map(_size, values))
        if cut:
            kept.append({**head, "values": values,
                         "count": fact.get("count", len(fact["values"]))})
            return kept, True
        kept.append(fact)
    return kept, False


def _counted_facts(facts: list[dict[str, Any]],
                   description: Description) -> list[dict[str, Any]]:
    """``facts`` (:func:`exokg.describe.node_facts`'s), each predicate that was cut with
    its number of values (``count``), one with none kept listed without values."""
    cut = description.cut
    if not cut:
        return facts
    listed = {f["predicate"] for f in facts}
    facts = [{**f, "count": cut[f["predicate"]]} if f["predicate"] in cut else f
             for f in facts]
    facts += [{"predicate": p, "predicate_label": label_of(description.graph, URIRef(p)),
               "values": [], "count": n}
              for p, n in cut.items() if p not in listed and URIRef(p) not in NOT_FACTS]
    return sorted(facts, key=lambda f: str(f["predicate"]))


def all_finding_records(reader: Reader, node: str, count: int, *,
                        predicate: str | None = None,
                        cut: int = 0) -> list[dict[str, Any]]:
    """:func:`finding_records` of all ``count`` findings naming ``node``, a page at a time
    (for a node with at most a page of them, or a store without the facets artifact)."""
    out: list[dict[str, Any]] = []
    for number in range(1, math.ceil(count / PAGE_SIZE) + 1):
        out += finding_records(reader, finding_page(reader, node, number, predicate=predicate),
                               cut=cut)
    return out


def _incoming(reader: Reader, node: str) -> list[dict[str, Any]]:
    """Links into ``node`` from anything but a finding, counted per predicate."""
    term = iri_term(node)
    rows = reader.select(_PREFIXES + f"""SELECT ?p ?n ?l WHERE {{
  {{ SELECT ?p (COUNT(?s) AS ?n)
     WHERE {{ ?s ?p {term} FILTER NOT EXISTS {{ ?s a exo:Finding }} }} GROUP BY ?p }}
  OPTIONAL {{ ?p rdfs:label ?l }} }}""").rows
    names: dict[str, list[str]] = {}
    for p, _, lab in rows:
        if p is not None and lab is not None:
            names.setdefault(str(p), []).append(str(lab))
    labels = {p: cast(str, preferred_label(values)) for p, values in names.items()}
    return incoming_rows(((str(p), int(n)) for p, n, _ in rows  # type: ignore[call-overload]
                          if p is not None and n is not None), labels)


def incoming_rows(pairs: Iterable[tuple[str, int]],
                  labels: dict[str, str]) -> list[dict[str, Any]]:
    """``[{"predicate", "predicate_label", "count"}]`` sorted by predicate, as
    :func:`exokg.describe.describe_node` gives them (``labels``: predicates' labels)."""
    return [{"predicate": p, "count": n,
             "predicate_label": labels.get(p) or label_of(Graph(), URIRef(p))}
            for p, n in sorted(dict(pairs).items())]
