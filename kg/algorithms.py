"""Queries over the networkx projection: search, neighborhoods, paths, ranks, evidence.

Every function takes the projection ``G`` first (see :mod:`exokg.network`), validates its
arguments (raising :class:`exokg.errors.InvalidQuery` or :class:`exokg.errors.NodeNotFound`)
and returns new objects; ``G`` is never modified (private caches of derived views aside,
kept in ``G.graph`` under keys that start with ``_``).

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
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

import networkx as nx
from exokg.errors import InvalidQuery
from exokg.evidence import Finding, group_by_disease_role, summarize
from exokg.network import compress, expand, node_json, resolve_node
from exokg.review import CONTENT_KINDS

__all__ = [
    "DIRECTIONS", "METRICS", "MAX_DEPTH", "conflicts", "evidence", "k_shortest_paths",
    "neighborhood", "paths_graph", "rank", "search",
]

logger = logging.getLogger(__name__)

DIRECTIONS = ("both", "out", "in")
METRICS = ("degree", "pagerank", "betweenness", "studies")
MAX_DEPTH = 3


# ---------------------------------------------------------------- argument helpers

def _predicates(predicates: Iterable[str] | None) -> frozenset[str] | None:
    """Predicate names as CURIEs: ``upregulatedIn``, ``exo:upregulatedIn`` or the IRI."""
    if not predicates:
        return None
    out: set[str] = set()
    for name in predicates:
        name = name.strip()
        if not name:
            continue
        out.add(compress(expand(name if ":" in name else f"exo:{name}")))
    return frozenset(out) or None


def _types(types: Iterable[str] | None) -> frozenset[str] | None:
    """Kinds, case-insensitive: ``MicroRNA``, ``exo:MicroRNA``; ``ExosomalContent`` = all 5."""
    if not types:
        return None
    out: set[str] = set()
    for name in types:
        name = name.strip().rsplit(":", 1)[-1].rsplit("#", 1)[-1].lower()
        if name in ("exosomalcontent", "content", "molecule"):
            out.update(k.lower() for k in CONTENT_KINDS)
        elif name:
            out.add(name)
    return frozenset(out) or None


def _kind_ok(G: nx.MultiDiGraph, node: str, types: frozenset[str] | None) -> bool:
    return types is None or G.nodes[node].get("kind", "").lower() in types


def _check_choice(name: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InvalidQuery(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _check_int(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidQuery(f"{name} must be an integer from {low} to {high}, not {value!r}")
    return value


# ---------------------------------------------------------------- search

def _search_table(G: nx.MultiDiGraph) -> list[tuple[str, str, tuple[str, ...]]]:
    table = G.graph.get("_search")
    if table is None:
        table = []
        for node, data in G.nodes(data=True):
            if data.get("kind") == "Finding":
                continue
            others = (data.get("curie", ""), *data.get("alt_labels", ()), *data.get("xrefs", ()))
            table.append((node, data.get("label", "").lower(),
                          tuple(o.lower() for o in others if o)))
        G.graph["_search"] = table
    return table


def search(G: nx.MultiDiGraph, q: str, *, types: Iterable[str] | None = None,
           limit: int = 20) -> list[dict]:
    """Entities whose label, alternative label, CURIE or xref matches ``q``, best first.

    Ranking: exact label, exact other name, label prefix, other-name prefix, label
    substring, other substring; ties go to the shorter label, then the label.

    Parameters
    ----------
    G
        a projection.
    q
        the text, case-insensitive.
    types
        keep only these kinds (``MicroRNA``, ``Disease`` ...).
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
    text = (q or "").strip().lower()
    if not text:
        raise InvalidQuery("q must not be empty")
    _check_int("limit", limit, 1, 1000)
    kinds = _types(types)
    scored = []
    for node, label, others in _search_table(G):
        if label == text:
            score = 100
        elif text in others:
            score = 90
        elif label.startswith(text):
            score = 80
        elif any(o.startswith(text) for o in others):
            score = 70
        elif text in label:
            score = 60
        elif any(text in o for o in others):
            score = 50
        else:
            continue
        if _kind_ok(G, node, kinds):
            scored.append((-score, len(label), label, node))
    scored.sort()
    return [{**node_json(G, node), "score": -score} for score, _, _, node in scored[:limit]]


# ---------------------------------------------------------------- neighborhood

def neighborhood(G: nx.MultiDiGraph, node: str, *, depth: int = 1,
                 predicates: Iterable[str] | None = None, types: Iterable[str] | None = None,
                 direction: str = "both", limit: int | None = None) -> nx.MultiDiGraph:
    """The ego graph of ``node``: every node within ``depth`` steps, with the edges among them.

    Parameters
    ----------
    G
        a projection.
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
        best-connected first. ``graph["truncated"]`` says whether nodes were left out.

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
    _check_int("depth", depth, 1, MAX_DEPTH)
    _check_choice("direction", direction, DIRECTIONS)
    if limit is not None:
        _check_int("limit", limit, 1, 10**7)
    center = resolve_node(G, node)
    preds, kinds = _predicates(predicates), _types(types)
    start = time.perf_counter()
    dist = {center: 0}
    frontier = [center]
    truncated = False
    for level in range(1, depth + 1):
        candidates: set[str] = set()
        for u in frontier:
            for v in _steps(G, u, direction, preds):
                if v not in dist and _kind_ok(G, v, kinds):
                    candidates.add(v)
        if not candidates:
            break
        room = None if limit is None else limit - len(dist)
        if room is not None and len(candidates) > room:
            truncated = True
            candidates = _best_connected(G, candidates, room)
        for v in candidates:
            dist[v] = level
        if truncated:
            break
        frontier = sorted(candidates)
    H = _subgraph(G, dist, preds)
    H.graph.update(center=center, depth=depth, direction=direction, truncated=truncated)
    logger.info("neighborhood of %s, depth %d: %d nodes in %.1f ms", center, depth,
                H.number_of_nodes(), 1000 * (time.perf_counter() - start))
    return H


def _prominence(G: nx.MultiDiGraph) -> dict[str, int]:
    """Each node's position when ordered by most neighbours, then IRI (cached on ``G``)."""
    order = G.graph.get("_prominence")
    if order is None:
        succ, pred = G._succ, G._pred  # neighbours, not parallel edges: cheap to count
        ranked = sorted(G, key=lambda v: (-len(succ[v]) - len(pred[v]), v))
        order = G.graph["_prominence"] = {v: i for i, v in enumerate(ranked)}
    return order


def _best_connected(G: nx.MultiDiGraph, candidates: set[str], room: int) -> set[str]:
    """The ``room`` candidates with most neighbours (ties: by IRI)."""
    return set(sorted(candidates, key=_prominence(G).__getitem__)[:room])


def _steps(G: nx.MultiDiGraph, u: str, direction: str, preds: frozenset[str] | None):
    adjacency = []
    if direction in ("both", "out"):
        adjacency.append(G._succ[u])
    if direction in ("both", "in"):
        adjacency.append(G._pred[u])
    for adj in adjacency:
        for v, keys in adj.items():
            if preds is None or not preds.isdisjoint(keys):
                yield v


def _subgraph(G: nx.MultiDiGraph, dist: dict[str, int],
              preds: frozenset[str] | None) -> nx.MultiDiGraph:
    H = nx.MultiDiGraph(name=G.graph.get("name", "ExoKG"), findings=G.graph.get("findings"))
    for v in sorted(dist):
        H.add_node(v, **G.nodes[v], depth=dist[v])
    H.add_edges_from((u, v, key, data) for u in dist for v, keys in G._succ[u].items()
                     if v in dist for key, data in keys.items()
                     if preds is None or key in preds)
    return H


# ---------------------------------------------------------------- paths

def _undirected(G: nx.MultiDiGraph) -> nx.Graph:
    view = G.graph.get("_undirected")
    if view is None:
        view = nx.Graph()
        view.add_nodes_from(G)
        view.add_edges_from((u, v) for u, v in G.edges())
        G.graph["_undirected"] = view
    return view


def k_shortest_paths(G: nx.MultiDiGraph, source: str, target: str, *, k: int = 3,
                     predicates: Iterable[str] | None = None,
                     types: Iterable[str] | None = None) -> list[dict]:
    """The ``k`` shortest simple paths between two nodes, each edge with its predicate.

    Edges are walked in either direction (``miR-122 -> HCC <- miR-21``); each step says
    whether it goes along (``forward``) or against (``backward``) the RDF edge.

    Parameters
    ----------
    G
        a projection.
    source, target
        IRIs, CURIEs or labels.
    k
        1 to 10 paths.
    predicates
        walk only edges of these predicates.
    types
        pass only through nodes of these kinds (the ends are always allowed).

    Returns
    -------
    list of dict
        ``{"length", "nodes": [node...], "steps": [{"source", "target", "predicates",
        "direction"}...]}``, shortest first; empty when the two are not connected.

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> paths = k_shortest_paths(G, "miR-122", "miR-21", k=3)
    >>> len(paths), paths[0]["length"]
    (3, 2)
    """
    _check_int("k", k, 1, 10)
    s, t = resolve_node(G, source), resolve_node(G, target)
    if s == t:
        raise InvalidQuery("source and target are the same node")
    preds, kinds = _predicates(predicates), _types(types)
    U = _undirected(G)
    if preds is not None or kinds is not None:
        U = _filtered_view(G, U, preds, kinds, ends=(s, t))
    start = time.perf_counter()
    try:
        found = list(itertools.islice(nx.shortest_simple_paths(U, s, t), k))
    except nx.NetworkXNoPath:
        found = []
    logger.info("%d paths %s -> %s in %.1f ms", len(found), s, t,
                1000 * (time.perf_counter() - start))
    return [_path_json(G, path, preds) for path in found]


def _filtered_view(G, U, preds, kinds, *, ends) -> nx.Graph:
    def node_ok(n):
        return n in ends or _kind_ok(G, n, kinds)

    def edge_ok(u, v):
        if preds is None:
            return True
        keys = set(G._succ[u].get(v, ())) | set(G._succ[v].get(u, ()))
        return not preds.isdisjoint(keys)

    return nx.subgraph_view(U, filter_node=node_ok, filter_edge=edge_ok)


def _path_json(G: nx.MultiDiGraph, path: list[str], preds) -> dict:
    steps = []
    for a, b in itertools.pairwise(path):
        forward = [k for k in G._succ[a].get(b, ()) if preds is None or k in preds]
        backward = [k for k in G._succ[b].get(a, ()) if preds is None or k in preds]
        if forward:
            steps.append({"source": a, "target": b, "predicates": sorted(forward),
                          "direction": "forward"})
        else:
            steps.append({"source": b, "target": a, "predicates": sorted(backward),
                          "direction": "backward"})
    return {"length": len(path) - 1, "nodes": [node_json(G, n) for n in path],
            "steps": steps}


def paths_graph(G: nx.MultiDiGraph, paths: Sequence[dict]) -> nx.MultiDiGraph:
    """The union of path results as one graph (for exports).

    >>> from exokg.build import build_graph
    >>> from exokg.network import project
    >>> G = project(build_graph())
    >>> H = paths_graph(G, k_shortest_paths(G, "miR-122", "miR-21", k=1))
    >>> H.number_of_nodes()
    3
    """
    H = nx.MultiDiGraph(name=G.graph.get("name", "ExoKG"), findings=G.graph.get("findings"))
    for path in paths:
        for n in path["nodes"]:
            H.add_node(n["id"], **G.nodes[n["id"]])
        for step in path["steps"]:
            for key in step["predicates"]:
                H.add_edge(step["source"], step["target"], key=key,
                           **G.edges[step["source"], step["target"], key])
    return H


# ---------------------------------------------------------------- rank

def rank(G: nx.MultiDiGraph, metric: str = "degree", *, types: Iterable[str] | None = None,
         limit: int = 20) -> list[dict]:
    """The top entities by a centrality.

    Parameters
    ----------
    G
        a projection.
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
    _check_int("limit", limit, 1, 1000)
    kinds = _types(types)
    scores = _scores(G, metric)
    rows = sorted(((-s, G.nodes[n].get("label", ""), n) for n, s in scores.items()
                   if _kind_ok(G, n, kinds) and G.nodes[n].get("kind") != "Finding"))
    return [{**node_json(G, n), "score": -s, "rank": i}
            for i, (s, _, n) in enumerate(rows[:limit], start=1)]


def _scores(G: nx.MultiDiGraph, metric: str) -> dict[str, float]:
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
    ref_number = G.nodes[refs[0]].get("refNumber") if refs else None
    row = {
        "id": f, "label": data.get("label", f),
        "table": data.get("sourceTable"), "row": data.get("sourceRow"),
        "disease": [_label(G, d) for d in sorted(out.get("exo:disease", ()))],
        "expression": [compress(e).split(":")[-1] for e in sorted(out.get("exo:expression", ()))],
        "roles": [_label(G, r) for r in sorted(out.get("exo:role", ()))],
        "samples": [_label(G, s) for s in sorted(out.get("exo:sample", ()))],
        "reference": refs[0] if refs else None,
        "ref_number": ref_number,
        "sample_size": data.get("sampleSize"),
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
        **summarize(rows),
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



