"""Where a graph query reads the network: the bounded steps of a *source*.

The queries of :mod:`exokg.algorithms` (neighbourhoods, paths, ranks, search) never need
the whole network at once; they ask a source for a few bounded things and build a
small networkx graph of what they found:

``resolve(name)``
    the node an IRI, CURIE, label or identifier names (or :class:`NodeNotFound` with
    suggestions);
``reach(frontier, direction, predicates, limit)``
    the neighbours of a set of nodes, each with its kind, at most ``limit`` of them;
``prominence(nodes)``
    each node's number of distinct neighbours (to keep the best-connected when cut);
``edges_among(nodes)``
    the edges among a set of nodes, ``(source, predicate CURIE, target)``, without
    attributes (a path search's graph);
``subgraph(nodes)``
    those nodes with their attributes and every edge among them, as a projection
    (:func:`exokg.network.project`) of just those triples;
``top(metric, kinds, limit)``, ``search(q, kinds, limit)``
    ranked nodes.

Two sources: :class:`ProjectionSource` here, over an in-memory projection (the tests,
a small graph, a CONSTRUCT result), and :class:`exokg.store_source.StoreSource` over
the store (bounded SPARQL and the artifacts built with the store).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, Protocol

import networkx as nx
from exokg.errors import ExoKGError
from exokg.network import resolve_node
from exokg.sparql.results import Results

__all__ = ["REACH_ROWS", "GraphSource", "NoMetrics", "ProjectionSource", "Selector"]

logger = logging.getLogger(__name__)

#: Neighbours one ``reach`` step reads at most, whatever the node cap (rows of SPARQL).
REACH_ROWS = 50_000


class NoMetrics(ExoKGError):
    """A ranking asked of a store built without its metrics (they are never computed
    at request time)."""

    status = 503



class Selector(Protocol):
    """What reads the store: :meth:`exokg.sparql.SparqlService.select`'s signature."""

    def select(self, query: str, *, max_rows: int | None = None) -> Results: ...


class GraphSource(Protocol):
    """The bounded steps a graph query takes (see the module docs)."""

    findings: bool

    def resolve(self, name: str) -> str: ...

    def reach(self, frontier: Collection[str], *, direction: str,
              predicates: frozenset[str] | None, limit: int) -> tuple[dict[str, str], bool]: ...

    def prominence(self, nodes: Collection[str]) -> dict[str, int]: ...

    def subgraph(self, nodes: Collection[str], *, edges: bool = True
                 ) -> nx.MultiDiGraph: ...

    def edges_among(self, nodes: Collection[str]) -> list[tuple[str, str, str]]: ...

    def top(self, metric: str, kinds: frozenset[str] | None,
            limit: int) -> list[tuple[str, float]]: ...

    def search(self, q: str, kinds: frozenset[str] | None,
               limit: int) -> list[tuple[str, int, dict[str, Any]]]: ...


# ---------------------------------------------------------------- in memory

class ProjectionSource:
    """A source over an in-memory projection ``G`` (every step reads ``G`` directly)."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.G = G
        self.findings = bool(G.graph.get("findings"))

    def resolve(self, name: str) -> str:
        return resolve_node(self.G, name)

    def reach(self, frontier: Collection[str], *, direction: str,
              predicates: frozenset[str] | None, limit: int) -> tuple[dict[str, str], bool]:
        G, out = self.G, {}
        adjacency = ([G._succ] if direction in ("both", "out") else []) + \
                    ([G._pred] if direction in ("both", "in") else [])
        for u in frontier:
            for adj in adjacency:
                for v, keys in adj[u].items():
                    if predicates is None or not predicates.isdisjoint(keys):
                        out[v] = G.nodes[v].get("kind", "")
        return out, False

    def prominence(self, nodes: Collection[str]) -> dict[str, int]:
        succ, pred = self.G._succ, self.G._pred
        return {v: len(succ[v]) + len(pred[v]) for v in nodes}

    def subgraph(self, nodes: Collection[str], *, edges: bool = True) -> nx.MultiDiGraph:
        G, nodes = self.G, set(nodes)
        H = nx.MultiDiGraph(name=G.graph.get("name", "ExoKG"), findings=self.findings)
        H.add_nodes_from((v, G.nodes[v]) for v in sorted(nodes))
        if edges:
            H.add_edges_from((u, v, key, data) for u in nodes
                             for v, keys in G._succ[u].items()
                             if v in nodes for key, data in keys.items())
        return H

    def edges_among(self, nodes: Collection[str]) -> list[tuple[str, str, str]]:
        succ, nodes = self.G._succ, set(nodes)
        return [(u, key, v) for u in nodes for v, keys in succ[u].items() if v in nodes
                for key in keys]

    def top(self, metric: str, kinds: frozenset[str] | None,
            limit: int) -> list[tuple[str, float]]:
        from exokg.algorithms import projection_scores

        G = self.G
        scores = projection_scores(G, metric)
        rows = sorted((-s, G.nodes[n].get("label", ""), n) for n, s in scores.items()
                      if G.nodes[n].get("kind") != "Finding"
                      and (kinds is None or G.nodes[n].get("kind", "").lower() in kinds))
        return [(n, -s) for s, _, n in rows[:limit]]

    def search(self, q: str, kinds: frozenset[str] | None,
               limit: int) -> list[tuple[str, int, dict[str, Any]]]:
        from exokg.algorithms import match_score

        G, text, scored = self.G, q.strip().lower(), []
        for node, data in G.nodes(data=True):
            kind = data.get("kind", "")
            if kind == "Finding" or (kinds is not None and kind.lower() not in kinds):
                continue
            label = data.get("label", "").lower()
            others = [o.lower() for o in (data.get("curie", ""), *data.get("alt_labels", ()),
                                          *data.get("xrefs", ())) if o]
            score = match_score(text, label, others)
            if score:
                scored.append((-score, len(label), label, node))
        scored.sort()
        return [(node, -score, {}) for score, _, _, node in scored[:limit]]
