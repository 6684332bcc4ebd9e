"""Graph files: the writers the format registry (:mod:`exokg.formats`) names, and ``export``.

Each writer module holds pure ``to_<fmt>(graph) -> bytes`` functions: :mod:`exokg.io.rdf`
over an rdflib graph (kind ``"rdf"``), the others over a networkx projection (kind
``"network"``). The registry names them as strings and imports them on first use, so this
package imports the registry and never the other way round.

:func:`export` writes anything (an rdflib graph, a projection, a neighborhood or path
result) in any graph format: an rdflib graph is projected for a network format, and a
networkx result goes to an RDF syntax through :func:`exokg.network.to_rdf`.

:func:`stream_graph` writes the *whole* graph of a store as a stream of bytes, never
holding it: an RDF syntax is the store's own dump, a network format (the registry's
``stream_path``) is written row by row from the projection's rows read from the store
(:mod:`exokg.io.store_rows`), and the drawing formats (DOT, SVG) lay out the whole graph
only up to :data:`~exokg.io.store_rows.DRAW_MAX_NODES` nodes.

>>> from exokg.build import build_graph
>>> from exokg.network import project
>>> from exokg.algorithms import neighborhood
>>> H = neighborhood(project(build_graph()), "miR-638")
>>> export(H, "graphml")[:38]
b'<?xml version="1.0" encoding="UTF-8"?>'
>>> export(H, "ttl").startswith(b"@prefix")
True
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import networkx as nx
from exokg.errors import NotInFormat
from exokg.formats import GRAPH_KINDS, format_names, get_format
from exokg.sparql.cancel import CancelToken, current_token
from rdflib import Graph

if TYPE_CHECKING:
    from exokg.sparql.service import SparqlService

__all__ = ["as_network", "download_name", "export", "graph_format_names", "stream_graph"]

#: Syntaxes that write no prefixes (none are sent to the executor).
_NO_PREFIXES = frozenset({"ntriples", "nquads"})


def as_network(obj: Graph | nx.MultiDiGraph, *, query_result: bool = False
               ) -> nx.MultiDiGraph:
    """A networkx graph as is; an rdflib graph projected (:func:`exokg.network.project`).

    A ``query_result`` (a CONSTRUCT or DESCRIBE) keeps its statements whatever their
    predicate (``every_statement``): its author chose them. Another graph gets the
    vocabulary's view, with Findings as nodes when it has Findings but no shortcut edge
    between entities (the findings' own ``exo:citedIn``, ``exo:isolatedBy``
    ... are no shortcuts), else the entity view."""
    if isinstance(obj, nx.Graph):
        return obj
    from exokg.network import project
    from exokg.vocab import EXO, RDF, SHORTCUT_PREDICATES

    if query_result:
        return project(obj, every_statement=True)
    found = set(obj.subjects(RDF.type, EXO.Finding))
    findings = bool(found) and not any(
        s not in found for p in SHORTCUT_PREDICATES for s in obj.subjects(p, None))
    return project(obj, findings=findings)


def export(obj: Graph | nx.MultiDiGraph, format: str, *,  # noqa: A002
           query_result: bool = False) -> bytes:
    """Write an rdflib graph or a networkx projection/result in a graph format (a network
    format projects an rdflib graph as :func:`as_network`, ``query_result`` as it says).

    Raises
    ------
    UnknownFormat
        for a name, alias or media type no graph format has.
    NotInFormat
        for an edge list (CSV) of a graph with nodes but no edges: its triples all end in
        literals (node attributes), which an edge list does not hold.
    """
    fmt = get_format(format, kinds=GRAPH_KINDS)
    if fmt.kind == "network":
        network = as_network(obj, query_result=query_result)
        if fmt.edges_only and network.number_of_nodes() and not network.number_of_edges():
            raise NotInFormat(
                f"the {fmt.label} would be empty: this graph's "
                f"{network.number_of_nodes()} nodes have no edges between them (its "
                "triples end in literals); ask for GraphML, KGX or an RDF syntax")
        return fmt.writer(network)
    if isinstance(obj, nx.Graph):
        from exokg.network import to_rdf

        obj = to_rdf(obj)
    return fmt.writer(obj)


def stream_graph(service: SparqlService, format: str, *,  # noqa: A002
                 findings: bool = False,
                 cancel: CancelToken | None = None) -> Iterator[bytes]:
    """The whole graph of the service's store in a graph format, as chunks of bytes.

    Nothing is read until the first chunk is asked for; the reads run in the query
    executors under ``EXPORT_TIMEOUT`` and are not cut at ``MAX_ROWS``, one of the
    exports the worker streams at once (:class:`~exokg.sparql.export.ExportGate`).
    Closing the iterator midway stops them.

    Parameters
    ----------
    findings
        (network formats) Findings as nodes, with their edges.
    cancel
        stops every read when fired, before the first chunk or while streaming
        (default: the token bound to the caller's context, taken now).

    Raises
    ------
    UnknownFormat
        for a name no graph format has (at once).
    TooLargeToDraw
        for DOT or SVG of a graph above the drawing cap (at the first chunk).
    QueryTimeout
        at the export time limit; :class:`~exokg.sparql.pool.ServiceBusy` when the
        worker streams as many exports as it streams at once.
    QueryCancelled
        when ``cancel`` fires.
    """
    from exokg.sparql.export import dump, gated

    fmt = get_format(format, kinds=GRAPH_KINDS)
    cancel = cancel or current_token()
    if fmt.kind == "rdf":
        from exokg.vocab import PREFIXES

        return gated(service, lambda: dump(
            service, fmt.media_type,
            prefixes=None if fmt.name in _NO_PREFIXES else dict(PREFIXES), cancel=cancel))
    from exokg.io.store_rows import store_graph, store_rows

    def rows() -> Iterator[bytes]:
        with store_rows(service, findings=findings, cancel=cancel) as (nodes, edges):
            yield from fmt.streamer(nodes, edges)

    def drawn() -> Iterator[bytes]:
        yield fmt.writer(store_graph(service, findings=findings, cancel=cancel))
    return gated(service, rows if fmt.streams else drawn)


def graph_format_names() -> list[str]:
    """The names of the formats a graph can be written in (RDF syntaxes and graph files)."""
    return format_names(*GRAPH_KINDS)


def download_name(stem: str, format: str) -> str:  # noqa: A002
    """A safe download filename: ``exokg-mir-21.graphml``.

    >>> download_name("miR-21 depth 2", "kgx")
    'exokg-mir-21-depth-2.kgx.zip'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80] or "graph"
    return f"exokg-{slug}.{get_format(format, kinds=GRAPH_KINDS).extension}"
