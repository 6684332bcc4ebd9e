"""The projection's node and edge rows, read from the store as they stream.

The same nodes and edges as :func:`exokg.network.project` gives for the whole graph
(the rules and attributes are that module's), without a networkx graph of the whole
store: SELECT queries stream through the query executors
(:func:`exokg.sparql.export.select_rows`) and each node's triples, which arrive
together (``ORDER BY ?s``), become one row. Only the untyped values at the end of an
edge (``exo:Up``, the roles: a handful) are held while the rows stream.

Node rows come sorted by IRI and edge rows by (source, target, key); the rows are
re-iterable (:class:`exokg.io._rows.Rows`): each pass runs its query again.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import networkx as nx
import pyoxigraph as ox
from exokg.curie import external_curie
from exokg.errors import TooLargeToDraw
from exokg.io._rows import Edge, Node, Rows
from exokg.network import (
    _FINDING,
    _MATCH,
    _SCHEMA_NAMESPACES,
    _XREF,
    EDGE_NAMESPACES,
    _local_name,
    _node_attributes,
    compress,
)
from exokg.vocab import EXO, PROV, RDF, RDFS, SKOS
from rdflib import Literal

if TYPE_CHECKING:
    from exokg.sparql.service import SparqlService

__all__ = ["DRAW_MAX_NODES", "store_graph", "store_rows"]

logger = logging.getLogger(__name__)

#: The largest whole graph the drawing formats (DOT, SVG) lay out.
DRAW_MAX_NODES = 2000

_SCHEMA_FILTER = " || ".join(f'STRSTARTS(STR(?t), "{ns}")' for ns in _SCHEMA_NAMESPACES)
_EDGE_FILTER = (f'(STRSTARTS(STR(?p), "{EDGE_NAMESPACES[0]}") || ?p = <{PROV.wasDerivedFrom}>)'
                f" && ?p != <{RDF.type}>")


def _kept(var: str, findings: bool) -> str:
    """SPARQL: ``var`` is no schema term (and no Finding, unless ``findings``)."""
    text = f"FILTER NOT EXISTS {{ {var} a ?t . FILTER({_SCHEMA_FILTER}) }}"
    if not findings:
        text += f" FILTER NOT EXISTS {{ {var} a <{EXO.Finding}> }}"
    return text.replace("?t", f"?t_{var[1:]}")


def _edges_query(findings: bool, labels: bool) -> str:
    where = (f"?s ?p ?o . FILTER(isIRI(?s) && isIRI(?o) && {_EDGE_FILTER}) "
             f"{_kept('?s', findings)} {_kept('?o', findings)}")
    if not labels:
        return f"SELECT ?s ?p ?o WHERE {{ {where} }} ORDER BY ?s ?o ?p"
    return (f"SELECT ?s ?p ?o (SAMPLE(?sl) AS ?slabel) (SAMPLE(?ol) AS ?olabel) WHERE {{ "
            f"{where} OPTIONAL {{ ?s <{RDFS.label}> ?sl }} "
            f"OPTIONAL {{ ?o <{RDFS.label}> ?ol }} }} GROUP BY ?s ?p ?o ORDER BY ?s ?o ?p")


def _untyped_ends_query(findings: bool) -> str:
    return (f"SELECT DISTINCT ?n WHERE {{ ?s ?p ?o . FILTER(isIRI(?s) && isIRI(?o) && "
            f"{_EDGE_FILTER}) {_kept('?s', findings)} {_kept('?o', findings)} "
            "VALUES ?end { 0 1 } BIND(IF(?end = 0, ?s, ?o) AS ?n) "
            "FILTER NOT EXISTS { ?n a ?any } }")


def _nodes_query(findings: bool) -> str:
    wanted = (f"?p = <{RDF.type}> && isIRI(?o) || "
              f"?p IN (<{SKOS.exactMatch}>, <{SKOS.closeMatch}>) && isIRI(?o) || "
              f"isLiteral(?o) && (?p IN (<{RDFS.label}>, <{SKOS.altLabel}>) || "
              f'STRSTARTS(STR(?p), "{EDGE_NAMESPACES[0]}"))')
    hidden = "" if findings else f" FILTER NOT EXISTS {{ ?s a <{EXO.Finding}> }}"
    return (f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o . FILTER(isIRI(?s) && ({wanted})){hidden} }} "
            "ORDER BY ?s")


def _python(term: ox.Literal) -> Any:
    """A literal as rdflib's ``toPython`` gives it (what the projection holds)."""
    if term.language:
        return term.value
    return Literal(term.value, datatype=term.datatype.value).toPython()


class _Subject:
    """The triples of one subject, gathered as :func:`exokg.network.project` does."""

    def __init__(self, iri: str) -> None:
        self.iri = iri
        self.types: set[str] = set()
        self.label: str | None = None
        self.alt: list[str] = []
        self.xrefs: list[str] = []
        self.literals: dict[str, list] = defaultdict(list)

    def add(self, p: str, o: Any) -> None:
        if isinstance(o, ox.Literal):
            if p == _LABEL:
                if self.label is None:
                    self.label = o.value
            elif p == _ALT_LABEL:
                self.alt.append(o.value)
            elif p == _XREF:
                self.xrefs.append(o.value)
            else:
                self.literals[p[len(_EXO):]].append(_python(o))
        elif p == _TYPE:
            self.types.add(o.value)
        elif p in _MATCH:
            ext = external_curie(o.value)
            if ext:
                self.xrefs.append(ext)

    def excluded(self, findings: bool) -> bool:
        return any(t.startswith(_SCHEMA_NAMESPACES) for t in self.types) or (
            not findings and _FINDING in self.types)

    def row(self) -> Node:
        s = self.iri
        labels = {s: self.label} if self.label is not None else {}
        alt = {s: self.alt} if self.alt else {}
        xrefs = {s: self.xrefs} if self.xrefs else {}
        return s, _node_attributes(s, self.types, labels, alt, xrefs, {s: self.literals})


_TYPE, _LABEL, _ALT_LABEL, _EXO = str(RDF.type), str(RDFS.label), str(SKOS.altLabel), str(EXO)


def store_rows(service: SparqlService, *, findings: bool = False,
               labels: bool = False) -> tuple[Rows, Rows]:
    """The whole graph's node and edge rows (re-iterable), read from the store.

    Parameters
    ----------
    findings
        Findings as nodes, with their edges (as :func:`exokg.network.project`).
    labels
        give each edge row ``_source_label`` and ``_target_label`` (the CSV edge list).
    """
    from exokg.sparql.export import select_rows

    def nodes() -> Iterator[Node]:
        ends = sorted(row["n"].value for row in select_rows(service,
                                                            _untyped_ends_query(findings)))
        at = 0  # the untyped edge ends not yet written (they merge in IRI order)
        current: _Subject | None = None
        for row in select_rows(service, _nodes_query(findings)):
            s = row["s"].value
            if current is not None and current.iri != s:
                yield from _flush(current)
                current = None
            if current is None:
                stop = bisect.bisect_left(ends, s, lo=at)
                for iri in ends[at:stop]:
                    yield _Subject(iri).row()
                at = stop
                current = _Subject(s)
                if at < len(ends) and ends[at] == s:
                    at += 1
                    current.types.add("")  # an edge end: a node whatever its types
            current.add(row["p"].value, row["o"])
        if current is not None:
            yield from _flush(current)
        for iri in ends[at:]:
            yield _Subject(iri).row()

    def _flush(subject: _Subject) -> Iterator[Node]:
        untyped_end = "" in subject.types
        subject.types.discard("")
        if untyped_end or (subject.types and not subject.excluded(findings)):
            yield subject.row()

    def edges() -> Iterator[Edge]:
        group: list[Edge] = []
        for row in select_rows(service, _edges_query(findings, labels)):
            u, v = row["s"].value, row["o"].value
            key = compress(row["p"].value)
            data: dict[str, Any] = {"predicate": key}
            if labels:
                data["_source_label"] = _label(row["slabel"], u)
                data["_target_label"] = _label(row["olabel"], v)
            if group and group[-1][:2] != (u, v):
                yield from sorted(group, key=lambda e: e[2])
                group.clear()
            group.append((u, v, key, data))
        yield from sorted(group, key=lambda e: e[2])  # keys (CURIEs) sort as the projection's

    return Rows(nodes), Rows(edges)


def _label(term: Any, iri: str) -> str:
    return term.value if term is not None else _local_name(iri)


def store_graph(service: SparqlService, *, findings: bool = False,
                max_nodes: int = DRAW_MAX_NODES) -> nx.MultiDiGraph:
    """The whole graph as networkx, for the drawing formats only: refused above
    ``max_nodes``.

    Raises
    ------
    TooLargeToDraw
        when the graph has more than ``max_nodes`` nodes.
    """
    nodes, edges = store_rows(service, findings=findings)
    G = nx.MultiDiGraph(name="ExoKG", findings=findings)
    for node, data in nodes:
        if G.number_of_nodes() >= max_nodes:
            raise TooLargeToDraw(
                f"the whole graph has more than {max_nodes} nodes, too many to draw as DOT "
                "or SVG; export a neighbourhood (node=, depth=) or a network format "
                "(graphml, gexf, cytoscape, cx2, csv, kgx)")
        G.add_node(node, **data)
    for u, v, key, data in edges:
        G.add_edge(u, v, key=key, **data)
    return G
