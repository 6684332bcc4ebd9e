"""The network's nodes, edges and names, read from a store in a few streamed queries.

The network is the projection's (:func:`exokg.network.project`, without Findings): the
typed IRIs that are neither schema terms nor ``exo:Finding`` rows, plus every IRI at
either end of an edge between two such nodes; the edges are the default graph's
triples whose predicate is an ``exo:`` property or ``prov:wasDerivedFrom``.

What costs time here is not the store's scan but turning its terms into Python
strings (each IRI is a look-up in the store, then a Python object, several us each)
and evaluating ``FILTER`` expressions (which decode their terms too). So:

* no ``FILTER``: term kinds (IRI, blank node, literal) are checked in Python on the
  rows that come out, which are few;
* the Findings (a million rows at 10^6 findings, with their edges, labels and types)
  are dropped inside Oxigraph by one ``MINUS`` on the subject per query, a hash
  anti-join that never decodes them (its set holds the excluded IRIs, about 300 bytes
  each inside Oxigraph while the query runs);
* an edge's object that is not a typed node is rare (role individuals, ``exo:Up``);
  those few are classified after the edge stream with one query per thousand of them
  (excluded, so the edge goes, or untyped, so the IRI is a node) instead of an
  anti-join on both ends or a query for every untyped IRI of the store;
* every edge predicate is read by one ``UNION`` query, so the ``MINUS`` set is built
  once, not once per predicate.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.load(b'''
...   @prefix exo: <https://w3id.org/exokg/vocab#> .
...   <https://w3id.org/exokg/id/content/a> a exo:MicroRNA ;
...       exo:hasRole exo:Biomarker ; exo:citedIn <https://w3id.org/exokg/id/ref/1> .
...   <https://w3id.org/exokg/id/f/1> a exo:Finding ;
...       exo:content <https://w3id.org/exokg/id/content/a> .
...   <https://w3id.org/exokg/id/ref/1> a exo:Reference .''', format=ox.RdfFormat.TURTLE)
>>> net = read_network(store)
>>> [iri.rsplit("/", 1)[-1] for iri in net.iris], net.kinds
(['a', '1', 'vocab#Biomarker'], ['exo:MicroRNA', 'exo:Reference', 'exo:Role'])
>>> sorted((int(s), int(o), net.predicates[p].rsplit("#")[-1])
...        for s, o, p in zip(net.src, net.dst, net.pred))
[(0, 1, 'citedIn'), (0, 2, 'hasRole')]
"""

from __future__ import annotations

import logging
import time
from array import array
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyoxigraph as ox
from exokg.errors import ExoKGError

# the projection's own rules for a node's class, kept in one place
from exokg.network import is_edge_predicate, is_excluded, node_class

__all__ = ["Network", "edge_predicates", "excluded_filter", "node_classes", "node_ids",
           "read_network", "select", "tagged_union"]

logger = logging.getLogger(__name__)

_NAMED = ox.NamedNode
_BATCH = 1000  # IRIs per VALUES block when classifying edge objects


def select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query, streamed (the default graph only)."""
    result = store.query(query)
    if not isinstance(result, ox.QuerySolutions):
        raise ExoKGError(f"not a SELECT query: {query[:60]}")
    return result


def node_classes(store: ox.Store) -> tuple[list[str], list[str]]:
    """The IRI classes of the default graph, sorted: (kept, excluded).

    Instances of an excluded class -- a schema term (a class in the OWL, RDFS or RDF
    namespace) or ``exo:Finding`` -- are not network nodes, whatever other class they
    have (the rule of :func:`exokg.network.project`).
    """
    types = sorted(sol[0].value for sol in select(store, "SELECT DISTINCT ?t { ?x a ?t }")
                   if isinstance(sol[0], _NAMED))
    excluded = [t for t in types if is_excluded([t], findings=False)]
    return [t for t in types if t not in excluded], excluded


def excluded_filter(var: str, types: list[str]) -> str:
    """A SPARQL ``MINUS`` that drops the solutions whose ``?var`` has one of ``types``.

    A hash anti-join inside Oxigraph: the dropped rows never reach Python.
    """
    if not types:
        return ""
    values = " ".join(f"<{t}>" for t in types)
    return f"MINUS {{ ?{var} a ?{var}_x VALUES ?{var}_x {{ {values} }} }}"


def tagged_union(var_s: str, predicates: Iterable[str], var_o: str, tag: str) -> str:
    """``{ ?s <p0> ?o BIND(0 AS ?tag) } UNION ...``: one scan per predicate, each row
    tagged with its predicate's position (an inline integer, nothing to decode)."""
    return " UNION ".join(f"{{ ?{var_s} <{p}> ?{var_o} BIND({i} AS ?{tag}) }}"
                          for i, p in enumerate(predicates))


@dataclass
class Network:
    """The network read from a store; node ids are positions in ``iris`` (sorted)."""

    iris: list[str]
    #: per node, an index into ``kinds`` (class CURIEs, in order of first appearance)
    kind_codes: np.ndarray
    kinds: list[str]
    #: edge predicates (IRIs, sorted); ``pred`` indexes them
    predicates: list[str]
    src: np.ndarray
    dst: np.ndarray
    pred: np.ndarray
    excluded: list[str]


def edge_predicates(store: ox.Store) -> list[str]:
    """The default graph's predicates that make network edges, sorted."""
    preds = (sol[0].value for sol in select(store, "SELECT DISTINCT ?p { ?s ?p ?o }"))
    return sorted(p for p in preds if is_edge_predicate(p))


def _typed_nodes(store: ox.Store, kept: list[str], excluded: list[str]) -> dict[str, int]:
    """IRI -> bit set of its kept classes, for every typed node."""
    if not kept:
        return {}
    flag = {str(i): 1 << i for i in range(len(kept))}
    values = " ".join(f"(<{t}> {i})" for i, t in enumerate(kept))
    bits: dict[str, int] = {}
    get = bits.get
    for sol in select(store, f"SELECT ?n ?b {{ VALUES (?t ?b) {{ {values} }} ?n a ?t "
                             f"{excluded_filter('n', excluded)} }}"):
        node = sol[0]
        if type(node) is _NAMED:
            iri = node.value
            bits[iri] = get(iri, 0) | flag[sol[1].value]
    return bits


def _edge_rows(store: ox.Store, predicates: list[str], excluded: list[str]
               ) -> Iterator[tuple[str, int, str]]:
    """(subject, predicate position, object) of the edges whose subject is not excluded
    and whose two ends are IRIs."""
    if not predicates:
        return
    query = (f"SELECT ?s ?i ?o {{ {{ {tagged_union('s', predicates, 'o', 'i')} }} "
             f"{excluded_filter('s', excluded)} }}")
    position = {str(i): i for i in range(len(predicates))}
    for s, i, o in select(store, query):
        if type(s) is _NAMED and type(o) is _NAMED:
            yield s.value, position[i.value], o.value


def _excluded_among(store: ox.Store, iris: list[str], excluded: list[str]) -> set[str]:
    """Those of ``iris`` that have an excluded class (one query per thousand)."""
    if not excluded:
        return set()
    found: set[str] = set()
    types = " ".join(f"<{t}>" for t in excluded)
    for start in range(0, len(iris), _BATCH):
        values = " ".join(f"<{iri}>" for iri in iris[start:start + _BATCH])
        found.update(sol[0].value for sol in select(
            store, f"SELECT DISTINCT ?n {{ VALUES ?n {{ {values} }} ?n a ?t "
                   f"VALUES ?t {{ {types} }} }}"))
    return found


def read_network(store: ox.Store) -> Network:
    """Read the network's nodes (sorted by IRI, with their classes) and edges.

    Parameters
    ----------
    store
        the store (its default graph is read).
    """
    start = time.perf_counter()
    kept, excluded = node_classes(store)
    # the predicates' scan runs inside Oxigraph (no GIL) while the nodes stream in
    with ThreadPoolExecutor(1, thread_name_prefix="edge-predicates") as pool:
        future = pool.submit(edge_predicates, store)
        bits = _typed_nodes(store, kept, excluded)
        predicates = future.result()
    # provisional ids: typed nodes first, then the other IRIs met at an edge's end
    ids = {iri: i for i, iri in enumerate(bits)}
    extra: list[str] = []
    s_ids, o_ids, p_ids = array("q"), array("q"), array("H")
    get = ids.get
    for s, p, o in _edge_rows(store, predicates, excluded):
        si, oi = get(s), get(o)
        if si is None:  # untyped (the MINUS dropped the excluded subjects)
            si = ids[s] = len(ids)
            extra.append(s)
        if oi is None:  # untyped or excluded: decided below, all at once
            oi = ids[o] = len(ids)
            extra.append(o)
        s_ids.append(si)
        o_ids.append(oi)
        p_ids.append(p)
    del ids
    src, dst = np.frombuffer(s_ids, np.int64), np.frombuffer(o_ids, np.int64)
    pred = np.frombuffer(p_ids, np.uint16)
    n_typed, total = len(bits), len(bits) + len(extra)
    dropped = _excluded_among(store, extra, excluded)
    if dropped:
        gone = np.zeros(total, dtype=bool)
        gone[n_typed:] = [iri in dropped for iri in extra]
        ok = ~(gone[src] | gone[dst])
        src, dst, pred = src[ok], dst[ok], pred[ok]
    # an untyped IRI is a node when an edge kept ends at it
    used = np.zeros(total, dtype=bool)
    used[:n_typed] = True
    used[src] = True
    used[dst] = True
    keep = np.flatnonzero(used)
    every = list(bits)
    every += extra
    iris = [every[i] for i in keep.tolist()]
    del every
    order = np.array(sorted(range(len(iris)), key=iris.__getitem__), dtype=np.int64)
    new_id = np.full(total, -1, dtype=np.int64)
    new_id[keep[order]] = np.arange(len(order))
    iris = [iris[i] for i in order.tolist()]
    kinds, codes = _kinds(iris, bits, kept)
    net = Network(iris=iris, kind_codes=codes, kinds=kinds, predicates=predicates,
                  src=new_id[src].astype(np.int32), dst=new_id[dst].astype(np.int32),
                  pred=pred.copy(), excluded=excluded)
    logger.info("network read: %d nodes (%d untyped), %d edges in %.1f s", len(iris),
                len(iris) - n_typed, len(src), time.perf_counter() - start)
    return net


def _kinds(iris: list[str], bits: dict[str, int], kept: list[str]
           ) -> tuple[list[str], np.ndarray]:
    """Each node's class code, the codes numbered in order of first appearance."""
    kinds: list[str] = []
    index_of: dict[str, int] = {}
    code_of: dict[int | str, int] = {}
    codes = np.empty(len(iris), dtype=np.uint8)
    for node, iri in enumerate(iris):
        key: int | str = bits.get(iri, 0) or iri  # untyped: the class depends on the IRI
        code = code_of.get(key)
        if code is None:
            flags = key if isinstance(key, int) else 0
            types = [t for i, t in enumerate(kept) if flags >> i & 1]
            kind = node_class(iri, types)[0]
            if kind not in index_of:
                index_of[kind] = len(kinds)
                kinds.append(kind)
            code = code_of[key] = index_of[kind]
        codes[node] = code
    if len(kinds) > 256:
        raise ExoKGError(f"adjacency: {len(kinds)} node classes; at most 256 are kept")
    return kinds, codes


def node_ids(iris: Iterable[str]) -> dict[str, int]:
    """IRI -> node id (its position), for looking up many IRIs at once."""
    return {iri: i for i, iri in enumerate(iris)}
