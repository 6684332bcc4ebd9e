"""Graph queries: search, neighborhoods, paths, ranks, evidence.

Search, neighborhoods, paths and ranks take a *source* first: an in-memory projection
``G`` (see :mod:`exokg.network`) or a :class:`~exokg.graph_source.GraphSource` over the
store, whose bounded steps they turn into small networkx graphs (never one of the whole
store). Evidence and conflicts take the projection with findings. Every function
validates its arguments (raising :class:`exokg.errors.InvalidQuery` or
:class:`exokg.errors.NodeNotFound`) and returns new objects; ``G`` is never modified
(private caches of derived views aside, kept in ``G.graph`` under keys starting ``_``).

>>> from exokg.build import build_graph
>>> from exokg.network import project
>>> G = project(build_graph())
>>> [hit["label"] for hit in search(G, "mir-12")][:3]
['miR-122', 'miR-125a', 'miR-125b']
>>> H = neighborhood(G, "miR-21", depth=2)
>>> H.nodes["https://w3id.org/exokg/id/disease/hb"]["depth"]
1
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import networkx as nx
from exokg.bounds import integer_in, search_text
from exokg.describe import projected_number
from exokg.errors import InvalidQuery
from exokg.evidence import Finding, group_by_disease_role, summarize
from exokg.graph_source import REACH_ROWS, GraphSource, ProjectionSource
from exokg.network import compress, node_json, resolve_node
from exokg.review import CONTENT_KINDS
from exokg.terms import known_kinds, parse_kinds, parse_predicates
from exokg.vocab import EXO

__all__ = [
    "DIRECTIONS", "METRICS", "MAX_DEPTH", "PATH_MORE_CAP", "PATH_NODE_CAP", "PATH_SLACK",
    "PATH_WALK_CAP", "Paths",
    "Source", "as_source",
    "compile_networkx", "conflicts", "evidence", "k_shortest_paths", "match_score",
    "neighborhood", "paths_graph", "projection_scores", "rank", "search",
]

logger = logging.getLogger(__name__)

DIRECTIONS = ("both", "out", "in")
METRICS = ("degree", "pagerank", "betweenness", "studies")
MAX_DEPTH = 3


# ---------------------------------------------------------------- argument helpers

#: A query reads a projection (wrapped in a :class:`ProjectionSource`) or any source.
Source: TypeAlias = "GraphSource | nx.MultiDiGraph"


def as_source(G: Source) -> GraphSource:
    """The source of a projection, or the source itself."""
    return ProjectionSource(G) if isinstance(G, nx.MultiDiGraph) else G


def _check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InvalidQuery(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _allowed(kind: str, kinds: frozenset[str] | None) -> bool:
    return kinds is None or kind.lower() in kinds


# ---------------------------------------------------------------- search

def match_score(text: str, label: str, others: Sequence[str]) -> int:
    """How well lower-cased ``text`` names an entity (0: not at all).

    Exact label 100, exact other name 90, label prefix 80, other-name prefix 70, label
    substring 60, other substring 50.

    >>> [match_score(q, "mir-21", ["hsa-mir-21"]) for q in ("mir-21", "mir", "hsa", "x")]
    [100, 80, 70, 0]
    """
    if label == text:
        return 100
    if text in others:
        return 90
    if label.startswith(text):
        return 80
    if any(o.startswith(text) for o in others):
        return 70
    if text in label:
        return 60
    if any(text in o for o in others):
        return 50
    return 0


def search(G: Source, q: str, *, types: Iterable[str] | None = None,
           limit: int = 20) -> list[dict]:
    """Entities whose label, alternative label, CURIE or xref matches ``q``, best first.

    Over a projection: :func:`match_score`, ties to the shorter label, then the label.
    Over the store: its search index (:mod:`exokg.index.search`: miRNA-aware spellings
    such as ``MIR21``, ``hsa-miR-21-5p`` or ``MIMAT0000076``); each hit also says which
    ``field`` and name ``matched``.

    Parameters
    ----------
    G
        a projection or a :class:`~exokg.graph_source.GraphSource`.
    q
        the text, case-insensitive.
    types
        keep only these kinds (``MicroRNA``, ``Disease`` ...); unknown kinds are a 400.
    limit
        at most this many hits.

    Returns
    -------
    list of dict
        nodes as :func:`exokg.network.node_json` gives them, plus ``score``.

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> search(G, "hsa-miR-21")[0]["label"]
    'miR-21'
    """
    q = search_text(q)
    limit = integer_in("limit", limit, 1, 1000)
    source = as_source(G)
    hits = source.search(q, parse_kinds(types), limit)
    H = source.subgraph([node for node, _, _ in hits], edges=False)
    return [{**node_json(H, node), "score": score, **extra}
            for node, score, extra in hits if node in H]


# ---------------------------------------------------------------- neighborhood

def neighborhood(G: Source, node: str, *, depth: int = 1,
                 predicates: Iterable[str] | None = None, types: Iterable[str] | None = None,
                 direction: str = "both", limit: int | None = None) -> nx.MultiDiGraph:
    """The ego graph of ``node``: every node within ``depth`` steps, with the edges among them.

    Built ring by ring from the source's bounded steps (never the whole network): each
    ring's candidates are read for the current frontier only, and the result is a
    networkx graph of the nodes kept.

    Parameters
    ----------
    G
        a projection or a :class:`~exokg.graph_source.GraphSource` (the store).
    node
        IRI, CURIE or label (see :func:`exokg.network.resolve_node`).
    depth
        1 to 3 steps.
    predicates
        follow (and keep) only edges of these predicates (``upregulatedIn``,
        ``exo:citedIn`` or IRIs).
    types
        enter only nodes of these kinds (the centre is always kept).
    direction
        ``both`` (default), ``out`` (along the edges) or ``in`` (against them).
    limit
        at most this many nodes; each ring is filled nearest first and, within a ring,
        best-connected first. ``graph["truncated"]`` says whether nodes were left out
        (also when a ring had more candidates than one step reads,
        :data:`exokg.graph_source.REACH_ROWS`).

    Returns
    -------
    networkx.MultiDiGraph
        a new graph; each node carries its ``depth``; ``graph["center"]`` is the centre.

    Raises
    ------
    NodeNotFound, InvalidQuery

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> H = neighborhood(G, "miR-21", depth=2)
    >>> labels = {d["label"] for _, d in H.nodes(data=True)}
    >>> {"miR-21", "hepatocellular carcinoma", "hepatoblastoma", "qRT-PCR"} <= labels
    True
    >>> neighborhood(G, "miR-21", depth=7)
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: depth must be an integer from 1 to 3, not 7

    See Also
    --------
    networkx.ego_graph : the same idea, without filters or a size limit.
    """
    depth = integer_in("depth", depth, 1, MAX_DEPTH)
    _check_choice("direction", direction, DIRECTIONS)
    if limit is not None:
        limit = integer_in("limit", limit, 1, 10**7)
    preds, kinds = parse_predicates(predicates), parse_kinds(types)
    source = as_source(G)
    center = source.resolve(node)
    start = time.perf_counter()
    rings = getattr(source, "rings", None)  # the same rule in integer ids (the adjacency)
    found = rings(center, depth=depth, direction=direction, predicates=preds, kinds=kinds,
                  limit=limit) if rings is not None else None
    dist, truncated = found or _rings(source, center, depth, direction, preds, kinds, limit)
    H = _keep_edges(source.subgraph(dist), preds)
    for v in H:
        H.nodes[v]["depth"] = dist[v]
    H.graph.update(center=center, depth=depth, direction=direction, truncated=truncated)
    logger.info("neighborhood of %s, depth %d: %d nodes in %.1f ms", center, depth,
                H.number_of_nodes(), 1000 * (time.perf_counter() - start))
    return H


def _rings(source: GraphSource, center: str, depth: int, direction: str,
           preds: frozenset[str] | None, kinds: frozenset[str] | None,
           limit: int | None) -> tuple[dict[str, int], bool]:
    """Each node's ring (its depth) and whether nodes were left out, from the source's
    steps: every candidate of a ring is read, the node cap keeps the best-connected."""
    dist = {center: 0}
    frontier = [center]
    truncated = False
    for level in range(1, depth + 1):
        # every candidate of the ring is read (up to REACH_ROWS), so that the node cap
        # keeps the best-connected ones, as over the whole projection
        reached, cut = source.reach(frontier, direction=direction, predicates=preds,
                                    limit=REACH_ROWS)
        truncated = truncated or cut
        candidates = {v for v, kind in reached.items() if v not in dist and _allowed(kind, kinds)}
        if not candidates:
            break
        room = None if limit is None else limit - len(dist)
        if room is not None and len(candidates) > room:
            truncated = True
            rank_of = source.prominence(candidates)
            candidates = set(sorted(candidates, key=lambda v: (-rank_of[v], v))[:room])
        for v in candidates:
            dist[v] = level
        if truncated:
            break
        frontier = sorted(candidates)
    return dist, truncated


def _keep_edges(H: nx.MultiDiGraph, preds: frozenset[str] | None) -> nx.MultiDiGraph:
    if preds is not None:
        H.remove_edges_from([(u, v, k) for u, v, k in H.edges(keys=True) if k not in preds])
    return H


# ---------------------------------------------------------------- paths

#: Paths up to this many steps longer than the shortest are searched (see k_shortest_paths).
PATH_SLACK = 2
#: Nodes the two searches of a path may visit together before it gives up, when their
#: steps read rows (SPARQL); over the store's adjacency, the nodes the paths are then
#: looked for among (those searches see up to :data:`PATH_WALK_CAP`).
PATH_NODE_CAP = 50_000
#: Paths of one length that are compared before the first ``k`` (by IRI) are kept.
_PATHS_READ = 100


class _TwoSided:
    """Bidirectional breadth-first search between ``s`` and ``t`` over a source's steps.

    ``dist`` holds each side's distances of the nodes it has seen, ``radius`` how far
    each side has grown; every simple path of at most ``sum(radius)`` steps runs through
    :meth:`candidates` only. Over the store's adjacency the walk is
    :class:`_TwoSidedIds`'s.
    """

    def __init__(self, source: GraphSource, s: str, t: str, preds: frozenset[str] | None,
                 kinds: frozenset[str] | None, cap: int) -> None:
        self.preds, self.kinds, self.cap = preds, kinds, cap
        self._reach = functools.partial(source.reach, direction="both", predicates=preds,
                                        limit=cap)
        self.ends = (s, t)
        self.dist: tuple[dict[str, int], dict[str, int]] = ({s: 0}, {t: 0})
        self.frontiers: list[list[str]] = [[s], [t]]
        self.radius = [0, 0]
        self.cuts = [False, False]  # a side's step read fewer neighbours than there are
        self.capped = False  # the search stopped at its node cap

    @property
    def cut(self) -> bool:
        return any(self.cuts)

    @property
    def seen(self) -> int:
        return len(self.dist[0]) + len(self.dist[1])

    def grow(self) -> int | None:
        """Grow the smaller frontier by one step: the shortest length once the sides met,
        ``None`` before; raises :class:`StopIteration` when neither side can grow or the
        node cap is passed. A side whose step was cut (a hub's neighbours read up to the
        cap) grows no further, but the other side still does: from either end, the same
        two steps are taken (from a hub first, the search stopped there and found one
        path where the other way round found ten)."""
        sides = [i for i in (0, 1) if self.frontiers[i] and not self.cuts[i]]
        if self.seen > self.cap:
            self.capped = True
        if not sides or self.capped:
            raise StopIteration
        # on a tie, by the ends' IRIs, not by which is the source: from either end the
        # same steps are taken, and the same paths found
        side = min(sides, key=lambda i: (len(self.frontiers[i]), self.ends[i]))
        reached, cut = self._reach(self.frontiers[side])
        self.radius[side] += 1
        mine, other = self.dist[side], self.dist[1 - side]
        fresh = sorted(v for v, kind in reached.items() if v not in mine
                       and (v in self.ends or _allowed(kind, self.kinds)))
        for v in fresh:
            mine[v] = self.radius[side]
        self.frontiers[side] = fresh
        self.cuts[side] = self.cuts[side] or cut
        met = [mine[v] + other[v] for v in fresh if v in other]
        return min(met) if met else None

    def candidates(self) -> set[str]:
        """The nodes that can lie on a simple path of at most ``sum(radius)`` steps: a
        node a side has not seen is further from that side than its radius."""
        (ds, dt), (rs, rt) = self.dist, self.radius
        length = rs + rt
        return {v for v in ds.keys() | dt.keys()
                if ds.get(v, rs + 1) + dt.get(v, rt + 1) <= length}


#: Nodes a walk over the store's adjacency may have seen and still grow for paths longer
#: than the shortest: a step through a disease adds its 10^5 neighbours, and networkx then
#: looked for a third path among them (0.5 s at 10^5 findings, for two typical molecules).
PATH_MORE_CAP = 10_000
#: Nodes a walk over the store's adjacency (integer ids, no rows read) may see before it
#: gives up: two molecules each named by 10^5 findings meet at their shared disease.
PATH_WALK_CAP = 2_000_000


class _TwoSidedIds:
    """:class:`_TwoSided` over the store's adjacency in id arrays (a source with
    ``node_ids``, ``reach_array``, ``allowed_ids`` and ``iris_of``): the same steps, each
    side's seen nodes a sorted id array beside their distances (as long as what was
    seen, not as the graph), so that a hub's 10^5 neighbours cost milliseconds and a
    molecule's dozen a fraction of one; ``cap`` nodes may be seen, and the paths are
    looked for among at most :data:`PATH_NODE_CAP` candidates."""

    def __init__(self, source: Any, ends: list[int], preds: frozenset[str] | None,
                 kinds: frozenset[str] | None, cap: int) -> None:
        import numpy as np

        self.source, self.preds, self.kinds, self.cap = source, preds, kinds, cap
        self.ends = np.asarray(ends, dtype=np.int64)
        self.ids = [self.ends[:1], self.ends[1:]]  # sorted, per side
        self.dist = [np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)]
        self.frontiers = [self.ends[:1], self.ends[1:]]
        self.radius = [0, 0]
        self.cut = False  # a step was not taken: it would have passed the cap
        self.capped = False  # the search stopped at its node cap
        self.met = False

    @property
    def seen(self) -> int:
        return len(self.ids[0]) + len(self.ids[1])

    def grow(self) -> int | None:
        """As :meth:`_TwoSided.grow`, except that a step that would pass the cap is not
        taken, and once the sides have met it is :data:`PATH_MORE_CAP`."""
        import numpy as np

        cap = min(self.cap, PATH_MORE_CAP) if self.met else self.cap
        sides = [i for i in (0, 1) if len(self.frontiers[i])]
        if self.seen > cap:
            self.capped = True
        if not sides or self.capped:
            raise StopIteration
        # on a tie, by the ends' ids, not by which is the source (as _TwoSided)
        side = min(sides, key=lambda i: (len(self.frontiers[i]), int(self.ends[i])))
        reached = self.source.reach_array(self.frontiers[side], predicates=self.preds)
        new = reached[_distances(self.ids[side], self.dist[side], reached) < 0]
        fresh = new if self.kinds is None else new[  # the ends are always allowed
            (new == self.ends[0]) | (new == self.ends[1])
            | self.source.allowed_ids(new, self.kinds)]
        if self.seen + len(fresh) > cap:
            self.cut = True  # not "no path": one was not looked for
            raise StopIteration
        self.radius[side] += 1
        ids = np.concatenate([self.ids[side], fresh])
        dist = np.concatenate([self.dist[side], np.full(len(fresh), self.radius[side])])
        order = np.argsort(ids, kind="stable")
        self.ids[side], self.dist[side] = ids[order], dist[order]
        self.frontiers[side] = fresh
        met = _distances(self.ids[1 - side], self.dist[1 - side], fresh)
        met = met[met >= 0]
        self.met = self.met or bool(len(met))
        return int(met.min()) + self.radius[side] if len(met) else None

    def candidates(self) -> set[str]:
        """As :meth:`_TwoSided.candidates`; :class:`~exokg.errors.InvalidQuery` when
        there are more than :data:`PATH_NODE_CAP` of them."""
        import numpy as np

        (rs, rt), every = self.radius, np.union1d(self.ids[0], self.ids[1])
        ds, dt = (_distances(self.ids[i], self.dist[i], every) for i in (0, 1))
        d = np.where(ds >= 0, ds, rs + 1) + np.where(dt >= 0, dt, rt + 1)
        ids = every[d <= rs + rt]
        if len(ids) > PATH_NODE_CAP:
            raise InvalidQuery(f"the paths of {rs + rt} steps run through {len(ids)} nodes, "
                               f"more than {PATH_NODE_CAP}; narrow it with predicates= or "
                               "types=")
        return set(self.source.iris_of(ids.tolist()))


def _distances(ids: Any, dist: Any, of: Any) -> Any:
    """The distances of the ids ``of`` in the sorted ``ids`` (``-1`` where absent)."""
    import numpy as np

    at = np.minimum(np.searchsorted(ids, of), len(ids) - 1)
    return np.where(ids[at] == of, dist[at], -1)


class Paths(list):
    """The paths :func:`k_shortest_paths` found (a list), and ``truncated``: a hub's
    neighbours were read up to the cap (paths as short as these may be missing), or fewer
    than ``k`` came back because a bound stopped the search for longer ones."""

    truncated: bool = False


def k_shortest_paths(G: Source, source: str, target: str, *, k: int = 3,
                     predicates: Iterable[str] | None = None,
                     types: Iterable[str] | None = None,
                     node_cap: int | None = None) -> Paths:
    """The ``k`` shortest simple paths between two nodes, each edge with its predicate.

    Edges are walked in either direction (``miR-122 -> HCC <- miR-21``); each step says
    whether it goes along (``forward``) or against (``backward``) the RDF edge.

    What is exact and what is bounded: a bidirectional breadth-first search grows the
    smaller of the two frontiers until they meet, which gives the shortest length ``d``
    exactly. networkx's ``shortest_simple_paths`` then runs on the small graph of the
    nodes that can lie on a path of ``d`` steps; while fewer than ``k`` paths are found,
    the search grows one more step (up to ``d + PATH_SLACK`` steps, and while it has
    seen at most ``node_cap`` nodes) and looks again. Every path up to the length
    searched is found; longer ones are not listed, so fewer than ``k`` come back when
    fewer are that short (or, over the store's adjacency, when looking for the longer ones
    would see more than :data:`PATH_MORE_CAP` nodes or look among more than
    :data:`PATH_NODE_CAP`). Paths of one length come in the order of their nodes' IRIs.
    When the searches pass ``node_cap`` nodes without meeting, or the shortest paths run
    through more than :data:`PATH_NODE_CAP`, the answer is an
    :class:`~exokg.errors.InvalidQuery` (400) saying so; when they run out of nodes
    without meeting, there is no path (an empty list).

    Parameters
    ----------
    G
        a projection or a :class:`~exokg.graph_source.GraphSource` (the store).
    source, target
        IRIs, CURIEs or labels.
    k
        1 to 10 paths.
    predicates
        walk only edges of these predicates.
    types
        pass only through nodes of these kinds (the ends are always allowed).
    node_cap
        nodes the two searches may visit together (default :data:`PATH_NODE_CAP` when
        the steps read rows, :data:`PATH_WALK_CAP` over the store's adjacency in ids).

    Returns
    -------
    Paths
        ``{"length", "nodes": [node...], "steps": [{"source", "target", "predicates",
        "direction"}...]}``, shortest first; empty when the two are not connected;
        ``truncated`` when the search was bounded.

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> paths = k_shortest_paths(G, "miR-122", "miR-21", k=3)
    >>> len(paths), paths[0]["length"]
    (3, 2)
    >>> paths.truncated
    False
    """
    k = integer_in("k", k, 1, 10)
    preds, kinds = parse_predicates(predicates), parse_kinds(types)
    graph_source = as_source(G)
    s, t = graph_source.resolve(source), graph_source.resolve(target)
    if s == t:
        raise InvalidQuery("source and target are the same node")
    start = time.perf_counter()
    node_ids = getattr(graph_source, "node_ids", None)  # the store's adjacency, in ids
    ends: list[int] | None = node_ids([s, t]) if node_ids is not None else None
    search: _TwoSided | _TwoSidedIds = (
        _TwoSided(graph_source, s, t, preds, kinds,
                  PATH_NODE_CAP if node_cap is None else node_cap) if ends is None
        else _TwoSidedIds(graph_source, ends, preds, kinds,
                          PATH_WALK_CAP if node_cap is None else node_cap))
    shortest = None
    try:
        while shortest is None:
            shortest = search.grow()
    except StopIteration:
        if search.seen > search.cap or search.cut:
            raise InvalidQuery(
                f"no path found within {search.cap} nodes of the two ends (searched "
                f"{search.radius[0]} steps from the source, {search.radius[1]} from the "
                "target); narrow it with predicates= or types=") from None
        return Paths()
    found: list[list[str]] = []
    bounded = False  # longer paths were not looked for, for a bound
    while True:
        try:
            nodes = search.candidates()
        except InvalidQuery:
            if not found:
                raise
            bounded = True
            break  # longer paths run through too many nodes: the shorter ones found stand
        found = _simple_paths(graph_source, nodes, s, t, preds, k, sum(search.radius))
        if len(found) >= k or sum(search.radius) >= shortest + PATH_SLACK:
            break
        try:
            search.grow()
        except StopIteration:
            bounded = search.capped or search.cut
            break
    H = _keep_edges(graph_source.subgraph({n for p in found[:k] for n in p}), preds)
    logger.info("%d paths %s -> %s in %.1f ms (%d nodes seen)", min(len(found), k), s, t,
                1000 * (time.perf_counter() - start), search.seen)
    paths = Paths(_path_json(H, path) for path in found[:k])
    # a side read fewer neighbours than a node has (paths as short may be missing), or
    # fewer than k came back because a bound stopped the search for longer ones
    paths.truncated = search.cut or (bounded and len(paths) < k)
    return paths


def _simple_paths(source: GraphSource, nodes: set[str], s: str, t: str,
                  preds: frozenset[str] | None, k: int, length: int) -> list[list[str]]:
    """The simple paths of at most ``length`` steps among ``nodes``: the ``k`` shortest,
    and the others of the ``k``-th one's length, in (length, IRIs) order."""
    U = nx.Graph()
    U.add_nodes_from(sorted(nodes))
    U.add_edges_from(sorted((u, v) for u, key, v in source.edges_among(nodes)
                            if preds is None or key in preds))
    found: list[list[str]] = []
    try:
        for path in nx.shortest_simple_paths(U, s, t):
            if len(path) - 1 > length or (len(found) >= k and len(path) > len(found[k - 1])):
                break
            found.append(path)
            if len(found) >= max(_PATHS_READ, k):
                break
    except nx.NetworkXNoPath:
        pass
    # each path by its nodes read from whichever end sorts first: the same k of many
    # equally short paths whichever end is the source
    found.sort(key=lambda p: (len(p), min(p, p[::-1])))
    return found


def compile_networkx() -> None:
    """Call once each networkx function these queries call, on a two-node graph.

    networkx compiles a decorated function's wrapper (``argmap``) at its first call, a
    millisecond or so each; a worker's warm-up calls this, so that no user's first path
    or ranking pays for it (a warm-up request may take another branch: at 10^6 findings
    its path never built an ``nx.Graph``, and a user's first path then compiled two).

    >>> compile_networkx()
    """
    G = nx.Graph([("a", "b")])
    next(nx.shortest_simple_paths(G, "a", "b"))
    nx.betweenness_centrality(G, k=1, seed=0)
    nx.MultiDiGraph(G)


def _path_json(H: nx.MultiDiGraph, path: list[str]) -> dict:
    steps = []
    for a, b in itertools.pairwise(path):
        forward = list(H._succ[a].get(b, ()))
        backward = list(H._succ[b].get(a, ()))
        if forward:
            steps.append({"source": a, "target": b, "predicates": sorted(forward),
                          "direction": "forward"})
        else:
            steps.append({"source": b, "target": a, "predicates": sorted(backward),
                          "direction": "backward"})
    return {"length": len(path) - 1, "nodes": [node_json(H, n) for n in path],
            "steps": steps}


def paths_graph(G: Source, paths: Sequence[dict]) -> nx.MultiDiGraph:
    """The union of path results as one graph (for exports).

    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> H = paths_graph(G, k_shortest_paths(G, "miR-122", "miR-21", k=1))
    >>> H.number_of_nodes()
    3
    """
    source = as_source(G)
    nodes = {n["id"] for path in paths for n in path["nodes"]}
    S = source.subgraph(nodes)
    H = nx.MultiDiGraph(name=S.graph.get("name", "ExoKG"), findings=source.findings)
    H.add_nodes_from(S.nodes(data=True))
    for path in paths:
        for step in path["steps"]:
            for key in step["predicates"]:
                H.add_edge(step["source"], step["target"], key=key,
                           **S.edges[step["source"], step["target"], key])
    return H


# ---------------------------------------------------------------- rank

def rank(G: Source, metric: str = "degree", *, types: Iterable[str] | None = None,
         limit: int = 20) -> list[dict]:
    """The top entities by a centrality.

    Over the store the scores are those computed when it was built
    (:mod:`exokg.index.metrics`); over a projection they are computed here.

    Parameters
    ----------
    G
        a projection or a :class:`~exokg.graph_source.GraphSource` (the store).
    metric
        ``degree`` (edges in and out), ``pagerank`` and ``betweenness`` (on the
        undirected simple graph; betweenness samples 500 sources above 5,000 nodes and
        64 above 20,000), or
        ``studies`` (distinct references citing the entity: independent studies).
    types
        rank only these kinds (``MicroRNA``, ``ExosomalContent`` ...).
    limit
        1 to 1000.

    Returns
    -------
    list of dict
        nodes with ``score`` and ``rank``, best first (ties by label).

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> rank(G, "studies", types=["MicroRNA"], limit=1)[0]["label"]
    'miR-21'
    """
    _check_choice("metric", metric, METRICS)
    limit = integer_in("limit", limit, 1, 1000)
    kinds = parse_kinds(types)
    if metric == "studies" and kinds and kinds <= _other_kinds():
        # every score 0 (HCC's 51 studies ranked as none): outside exo:studyCount's domain
        raise InvalidQuery("studies counts the studies a molecule is exo:citedIn (the "
                           "domain of exo:studyCount, exo:ExosomalContent): rank molecule "
                           "types by it, other types by degree, pagerank or betweenness")
    source = as_source(G)
    rows = source.top(metric, kinds, limit)
    H = source.subgraph([n for n, _ in rows], edges=False)
    return [{**node_json(H, n), "score": score, "rank": i}
            for i, (n, score) in enumerate(rows, start=1)]


@functools.cache
def _other_kinds() -> frozenset[str]:
    """The vocabulary's kinds (lower-cased) other than the five molecule kinds."""
    return frozenset(k.lower() for k in known_kinds()) - {k.lower() for k in CONTENT_KINDS}


def _undirected(G: nx.MultiDiGraph) -> nx.Graph:
    view = G.graph.get("_undirected")
    if view is None:
        view = nx.Graph()
        view.add_nodes_from(G)
        view.add_edges_from((u, v) for u, v in G.edges())
        G.graph["_undirected"] = view
    return view


def projection_scores(G: nx.MultiDiGraph, metric: str) -> dict[str, float]:
    """Every node's score of ``metric`` in an in-memory projection (cached on ``G``)."""
    cache = G.graph.setdefault("_scores", {})
    if metric not in cache:
        start = time.perf_counter()
        if metric == "degree":
            scores = dict(G.degree())
        elif metric == "studies":
            scores = {n: sum(1 for v, keys in G._succ[n].items()
                             if "exo:citedIn" in keys and G.nodes[v].get("kind") == "Reference")
                      for n in G}
        elif metric == "pagerank":
            scores = _pagerank(_undirected(G))
        else:
            U = _undirected(G)
            n = U.number_of_nodes()
            sample = None if n <= 5000 else 500 if n <= 20000 else 64
            scores = nx.betweenness_centrality(U, k=sample, seed=0)
        if metric in ("pagerank", "betweenness"):
            scores = {n: round(float(s), 8) for n, s in scores.items()}
        cache[metric] = scores
        logger.info("%s of %d nodes in %.2f s", metric, len(scores),
                    time.perf_counter() - start)
    return cache[metric]


def _pagerank(U: nx.Graph, *, alpha: float = 0.85, tol: float = 1e-10,
              max_iter: int = 100) -> dict[str, float]:
    """PageRank by power iteration in pure Python (networkx's own needs SciPy)."""
    n = U.number_of_nodes()
    if n == 0:
        return {}
    rank_ = dict.fromkeys(U, 1.0 / n)
    degree = dict(U.degree())
    adjacency = {u: list(nbrs) for u, nbrs in U.adjacency()}
    for _ in range(max_iter):
        dangling = alpha * sum(rank_[u] for u in U if degree[u] == 0) / n
        base = (1.0 - alpha) / n + dangling
        new = {u: base + alpha * sum(rank_[v] / degree[v] for v in adjacency[u]) for u in U}
        if sum(abs(new[u] - rank_[u]) for u in U) < n * tol:
            return new
        rank_ = new
    return rank_


# ---------------------------------------------------------------- evidence

def _require_findings(G: nx.MultiDiGraph) -> None:
    if not G.graph.get("findings"):
        raise InvalidQuery("evidence needs the projection with findings (findings=True)")


def _label(G, node) -> str:
    return G.nodes[node].get("label", node) if node in G else node


def _finding_json(G: nx.MultiDiGraph, f: str) -> tuple[dict, Finding]:
    """A finding of the projection as the API prints it, and as the evidence rules read it."""
    data = G.nodes[f]
    out = defaultdict(list)
    for v, keys in G._succ[f].items():
        for key in keys:
            out[key].append(v)
    refs = sorted(out.get("exo:citedIn", ()))

    def number(node: str, name: str) -> int | None:  # the build's rule (describe._int)
        linked = [v for v, keys in G._succ[node].items() if f"exo:{name}" in keys]
        return projected_number(node, str(EXO[name]), G.nodes[node].get(name), linked)

    ref_number = number(refs[0], "refNumber") if refs else None
    row = {
        "id": f, "label": data.get("label", f),
        "table": number(f, "sourceTable"), "row": number(f, "sourceRow"),
        "disease": [_label(G, d) for d in sorted(out.get("exo:disease", ()))],
        "expression": [compress(e).split(":")[-1] for e in sorted(out.get("exo:expression", ()))],
        "roles": [_label(G, r) for r in sorted(out.get("exo:role", ()))],
        "samples": [_label(G, s) for s in sorted(out.get("exo:sample", ()))],
        "reference": refs[0] if refs else None,
        "ref_number": ref_number,
        "sample_size": number(f, "sampleSize"),
        "function": data.get("function"),
    }
    finding = Finding(
        f, molecules=tuple((m, _label(G, m)) for m in sorted(out.get("exo:content", ()))),
        diseases=tuple(row["disease"]), directions=tuple(row["expression"]),
        study=row["reference"], ref_number=ref_number, sample_size=row["sample_size"],
        table=row["table"], roles=tuple(row["roles"]),
        retracted=bool(data.get("retracted")))
    return row, finding


def evidence(G: nx.MultiDiGraph, node: str) -> dict:
    """The evidence summary of a molecule: its findings grouped by disease and role.

    Parameters
    ----------
    G
        the projection **with findings** (``project(graph, findings=True)``).
    node
        IRI, CURIE or label.

    Returns
    -------
    dict
        ``node``; ``findings`` (each with table, row, disease, expression, roles, reference,
        sample size, function); ``groups`` (per disease and role, :func:`exokg.evidence.tally`);
        and the fields of :func:`exokg.evidence.summarize` (``count studies total_n
        directions conflict conflicts`` ...), the same summary the entity page shows.

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> GF = project(build_graph(), findings=True)
    >>> ev = evidence(GF, "miR-638")
    >>> ev["conflict"], ev["studies"], ev["total_n"], ev["directions"]
    (True, 2, 201, {'Down': 1, 'Up': 1})
    >>> [(f["table"], f["expression"], f["ref_number"], f["sample_size"]) for f in ev["findings"]]
    [(1, ['Up'], 28, 54), (2, ['Down'], 50, 147)]
    """
    _require_findings(G)
    center = resolve_node(G, node)
    found = sorted((f for f, keys in G._pred[center].items()
                    if "exo:content" in keys and G.nodes[f].get("kind") == "Finding"),
                   key=lambda f: (G.nodes[f].get("sourceTable") or 0,
                                  G.nodes[f].get("sourceRow") or 0, f))
    pairs = [_finding_json(G, f) for f in found]
    rows = [finding for _, finding in pairs]
    return {
        "node": node_json(G, center),
        "findings": [row for row, _ in pairs],
        "groups": group_by_disease_role(rows),
        **summarize(rows, center),
    }


def conflicts(G: nx.MultiDiGraph) -> list[dict]:
    """Every molecule whose studies disagree on its direction in one disease.

    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> GF = project(build_graph(), findings=True)
    >>> [c["node"]["label"] for c in conflicts(GF)][:3]  # doctest: +ELLIPSIS
    [...'miR-638'...]
    """
    _require_findings(G)
    cached = G.graph.get("_conflicts")
    if cached is None:
        cached = G.graph["_conflicts"] = _all_conflicts(G)
    return copy.deepcopy(cached)


def _all_conflicts(G: nx.MultiDiGraph) -> list[dict]:
    out = []
    for node, data in G.nodes(data=True):
        if data.get("kind") not in CONTENT_KINDS:
            continue
        ev = evidence(G, node)
        # a finding about several molecules brings the others' conflicts along: keep this one's
        own = [c for c in ev["conflicts"] if c["molecule"] == ev["node"].get("label")]
        if own:
            out.append({"node": ev["node"], "conflicts": own,
                        "studies": ev["studies"], "directions": ev["directions"]})
    out.sort(key=lambda c: (c["node"].get("label", "").lower(), c["node"]["id"]))
    return out



