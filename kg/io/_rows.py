"""Node and edge rows: what every network writer reads, from a networkx graph or a store.

A network writer (``stream_<fmt>(nodes, edges)``) takes *re-iterable* rows: each
``iter()`` starts again from the first row, so a writer that must declare its
attributes before the rows (GraphML, GEXF, CX2) reads them twice and never keeps them.
A list is re-iterable; so are :func:`graph_nodes` and :func:`graph_edges` over a
networkx graph (sorted: nodes by IRI, edges by source, target and key), and the store's
rows (:mod:`exokg.io.store_rows`, sorted too), which run their queries again for each
pass. Every writer writes its rows in the order it is given them: sorted rows make the
same bytes in every process.

* a node row is ``(iri, attributes)``, the attributes as the projection
  (:mod:`exokg.network`) defines them;
* an edge row is ``(source, target, key, attributes)``; ``attributes["predicate"]``
  is the predicate's CURIE, and a source may add ``_source_label`` and
  ``_target_label`` (the CSV edge list's columns) and ``_source_curie`` and
  ``_target_curie`` (KGX's; else the IRIs compacted). Names starting with ``_`` are
  never written as attributes.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("b", label="B"); G.add_node("a", label="A")
>>> [n for n, _ in graph_nodes(G)]
['a', 'b']
>>> b"".join(encode(["x", "y"]))
b'xy'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import networkx as nx

__all__ = ["Edge", "Node", "Rows", "encode", "graph_edges", "graph_nodes"]

Node = tuple[str, Mapping[str, Any]]
Edge = tuple[str, str, str, Mapping[str, Any]]

#: Bytes gathered before a writer hands a chunk on (a pipe's or a socket's good size).
CHUNK = 1 << 16


class Rows:
    """Re-iterable rows: each ``iter()`` calls ``make`` for a fresh iterator."""

    def __init__(self, make: Callable[[], Iterator[Any]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[Any]:
        return self._make()


def _node_key(row: tuple) -> str:
    return str(row[0])


def _edge_key(row: tuple) -> tuple[str, str, str]:
    return str(row[0]), str(row[1]), str(row[2])


def graph_nodes(G: nx.MultiDiGraph) -> Rows:
    """The node rows of a networkx graph, sorted by IRI.

    Sorted, not in the graph's order: a graph's order may be a set's (a subgraph view
    walks the set of its nodes), which follows Python's per-process string hashing, and
    the same graph must give the same bytes in every process (one ETag for all replicas).
    """
    def make() -> Iterator[Node]:
        for node, data in sorted(G.nodes(data=True), key=_node_key):
            yield str(node), data
    return Rows(make)


def graph_edges(G: nx.MultiDiGraph) -> Rows:
    """The edge rows of a networkx graph, sorted by (source, target, key) (as
    :func:`graph_nodes`, for stable bytes), each with ``_source_label``,
    ``_target_label``, ``_source_curie`` and ``_target_curie``."""
    def make() -> Iterator[Edge]:
        for u, v, key, data in sorted(G.edges(keys=True, data=True), key=_edge_key):
            ends = G.nodes[u], G.nodes[v]
            yield u, v, key, {**data, "_source_label": ends[0].get("label", u),
                              "_target_label": ends[1].get("label", v),
                              "_source_curie": ends[0].get("curie"),
                              "_target_curie": ends[1].get("curie")}
    return Rows(make)


def encode(pieces: Iterable[str], size: int = CHUNK) -> Iterator[bytes]:
    """UTF-8 chunks of about ``size`` bytes from many small strings."""
    buffer: list[str] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            held = 0
    if buffer:
        yield "".join(buffer).encode("utf-8")
