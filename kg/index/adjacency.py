"""The compact integer adjacency of the network, built once with the store.

The graph is the networkx projection's (:func:`exokg.network.project`, without
Findings): the nodes are the typed IRIs that are neither schema terms nor
``exo:Finding`` rows, plus every IRI at either end of an edge between two such
nodes; the edges are the triples whose predicate is an ``exo:`` property or
``prov:wasDerivedFrom``, one per (subject, predicate, object), as the projection's
``MultiDiGraph`` keeps them.

It is read from a :class:`pyoxigraph.Store` with streamed SPARQL (the default
graph, as the projection reads it) and written as memory-mapped ``.npy`` arrays:

``nodes.iri`` + ``nodes.offsets.npy``
    the node IRIs in sorted (code point) order, UTF-8, one blob; a node's id is its
    position, so an IRI is found by bisection without loading a dict;
``nodes.kind.npy``
    each node's class as an index into ``adjacency.json``'s ``kinds`` (class CURIEs);
``out.indptr.npy``, ``out.indices.npy``, ``out.pred.npy``
    CSR of the out-edges (targets and predicate indexes into ``predicates``);
``in.*``
    the same for the in-edges, so both directions are walked without a transpose;
``adjacency.json``
    sizes, the predicate CURIEs, the kind names and the format version.

About 13 bytes per edge (4 + 2 each way, plus the row pointers) and under 100 bytes
per node (the IRI and three numbers).

>>> import pyoxigraph as ox, tempfile
>>> from pathlib import Path
>>> store = ox.Store()
>>> store.load(b'''
...   @prefix exo: <https://w3id.org/exokg/vocab#> .
...   <https://w3id.org/exokg/id/content/a> a exo:MicroRNA ;
...       exo:citedIn <https://w3id.org/exokg/id/ref/1> .
...   <https://w3id.org/exokg/id/ref/1> a exo:Reference .''', format=ox.RdfFormat.TURTLE)
>>> with tempfile.TemporaryDirectory() as tmp:
...     build_adjacency(store, Path(tmp))
...     adj = load_adjacency(Path(tmp))
...     a = adj.node_id("https://w3id.org/exokg/id/content/a")
...     [adj.iri(int(v)) for v in adj.out_neighbors(a)], adj.kind(a)
(['https://w3id.org/exokg/id/ref/1'], 'MicroRNA')
"""

from __future__ import annotations

import heapq
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyoxigraph as ox
from exokg.errors import ExoKGError

# the projection's own rules for a node's class and kind, kept in one place
from exokg.network import _VALUE_KINDS, _local_name, _most_specific, compress
from exokg.vocab import EXO, OWL, PROV, RDF, RDFS

__all__ = ["ADJACENCY_DIR", "Adjacency", "build_adjacency", "edge_predicates",
           "excluded_filter", "excluded_types", "kind_name", "load_adjacency", "select"]

logger = logging.getLogger(__name__)

#: The artifact's folder inside the store's artifact folder.
ADJACENCY_DIR = "adjacency"
_FORMAT = "exokg-adjacency-1"
_CHUNK = 200_000  # rows turned into numpy arrays at a time: bounds the build's memory


def select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT query, streamed (the default graph only)."""
    result = store.query(query)
    if not isinstance(result, ox.QuerySolutions):
        raise ExoKGError(f"not a SELECT query: {query[:60]}")
    return result


def excluded_types(store: ox.Store) -> list[str]:
    """The store's classes whose instances the projection leaves out (sorted).

    Schema terms (typed in the OWL, RDFS or RDF namespace) and ``exo:Finding`` rows are
    not network nodes (the rule of :func:`exokg.network.project`).
    """
    types = (sol[0].value for sol in select(store, "SELECT DISTINCT ?t { ?x a ?t }"))
    return sorted(t for t in types if t == str(EXO.Finding)
                  or t.startswith((str(OWL), str(RDFS), str(RDF))))


def excluded_filter(var: str, types: list[str]) -> str:
    """A SPARQL ``MINUS`` that drops solutions whose ``?var`` has one of the ``types``.

    A hash anti-join inside Oxigraph: no per-row lookups or string functions, and the
    dropped rows (a million Findings) never reach Python.
    """
    if not types:
        return ""
    values = " ".join(f"<{t}>" for t in types)
    return f"MINUS {{ ?{var} a ?{var}_x VALUES ?{var}_x {{ {values} }} }}"


def edge_predicates(store: ox.Store) -> list[str]:
    """The store's predicates that make network edges, sorted (``exo:`` and prov's)."""
    preds = (sol[0].value for sol in select(store, "SELECT DISTINCT ?p { ?s ?p ?o }"))
    return sorted(p for p in preds if p.startswith(str(EXO)) or p == str(PROV.wasDerivedFrom))


def _edges_query(pred: str, excluded: list[str]) -> str:
    return (f"SELECT ?s ?o {{ ?s <{pred}> ?o FILTER(isIRI(?s) && isIRI(?o)) "
            f"{excluded_filter('s', excluded)} {excluded_filter('o', excluded)} }}")


def _typed_nodes_query(excluded: list[str]) -> str:
    return (f"SELECT ?n (GROUP_CONCAT(STR(?t); separator=' ') AS ?types) {{ ?n a ?t "
            f"FILTER(isIRI(?n) && isIRI(?t)) {excluded_filter('n', excluded)} }} "
            f"GROUP BY ?n ORDER BY ?n")


def _untyped_nodes_query(preds: Iterable[str], excluded: list[str]) -> str:
    """Untyped IRIs at an end of an edge whose other end is a node (``exo:Biomarker``)."""
    values = " ".join(f"<{p}>" for p in preds)
    sides = []
    for this, other in (("s", "o"), ("o", "s")):
        sides.append(f"{{ VALUES ?p {{ {values} }} ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o)) "
                     f"MINUS {{ ?{this} a ?any }} {excluded_filter(other, excluded)} "
                     f"BIND(?{this} AS ?n) }}")
    return f"SELECT DISTINCT ?n {{ {' UNION '.join(sides)} }} ORDER BY ?n"


def _nodes(store: ox.Store, preds: list[str], excluded: list[str]
           ) -> Iterator[tuple[str, str]]:
    """(IRI, space-separated types) of every node, in IRI order: two sorted streams merged."""
    typed = ((sol[0].value, sol[1].value) for sol in select(store, _typed_nodes_query(excluded)))
    untyped = ((sol[0].value, "") for sol in select(store, _untyped_nodes_query(preds,
                                                                                excluded)))
    return heapq.merge(typed, untyped)


def _class_of(iri: str, types: list[str]) -> str:
    """The CURIE of the node's class as the projection gives it (``""`` when none)."""
    cls = _most_specific(types)
    if cls:
        return compress(cls)
    return compress(str(EXO[_VALUE_KINDS[iri]])) if iri in _VALUE_KINDS else ""


def kind_name(cls: str) -> str:
    """The kind (``MicroRNA``) of a class CURIE (``exo:MicroRNA``), as the projection names it.

    >>> kind_name("exo:MicroRNA"), kind_name("")
    ('MicroRNA', '')
    """
    return _local_name(cls.split(":", 1)[-1]) if cls else ""


class _HashIndex:
    """IRI -> node id during the build, from 64-bit hashes (no dict of strings)."""

    def __init__(self, hashes: np.ndarray) -> None:
        self._order = np.argsort(hashes, kind="stable")
        self._sorted = hashes[self._order]
        if len(self._sorted) > 1 and not np.all(np.diff(self._sorted) != 0):
            raise ExoKGError("adjacency: two node IRIs share a 64-bit hash; rebuild")

    def ids(self, iris: list[str]) -> np.ndarray:
        h = np.fromiter((hash(i) for i in iris), dtype=np.int64, count=len(iris))
        pos = np.searchsorted(self._sorted, h).clip(0, max(len(self._sorted) - 1, 0))
        if len(h) and not np.array_equal(self._sorted[pos], h):
            raise ExoKGError("adjacency: an edge names a node the node query did not give")
        return self._order[pos].astype(np.int32)


def _write_nodes(store: ox.Store, preds: list[str], excluded: list[str],
                 folder: Path) -> tuple[np.ndarray, list[str]]:
    """Stream the nodes (sorted) into the IRI blob; return their hashes and the kinds."""
    offsets = [0]
    hashes: list[int] = []
    kinds: list[str] = []
    kind_codes: list[int] = []
    code_of: dict[tuple[str, str], int] = {}
    previous = ""
    with (folder / "nodes.iri").open("wb") as blob:
        for iri, types in _nodes(store, preds, excluded):
            if iri <= previous and offsets[-1]:
                raise ExoKGError("adjacency: the store did not give the nodes in IRI order")
            previous = iri
            # the kind depends only on the types (and on the IRI for untyped values)
            key = (types, "" if types else iri)
            code = code_of.get(key)
            if code is None:
                kind = _class_of(iri, types.split())
                if kind not in kinds:
                    kinds.append(kind)
                code = code_of[key] = kinds.index(kind)
            data = iri.encode()
            blob.write(data)
            offsets.append(offsets[-1] + len(data))
            hashes.append(hash(iri))
            kind_codes.append(code)
    np.save(folder / "nodes.offsets.npy", np.asarray(offsets, dtype=np.int64))
    np.save(folder / "nodes.kind.npy", np.asarray(kind_codes, dtype=np.uint8))
    return np.asarray(hashes, dtype=np.int64), kinds


def _edge_chunks(store: ox.Store, preds: list[str], excluded: list[str]
                 ) -> Iterator[tuple[list[str], list[int], list[str]]]:
    for index, pred in enumerate(preds):  # one query per predicate: index scans
        s_list: list[str] = []
        o_list: list[str] = []
        for sol in select(store, _edges_query(pred, excluded)):
            s_list.append(sol[0].value)
            o_list.append(sol[1].value)
            if len(s_list) >= _CHUNK:
                yield s_list, [index] * len(s_list), o_list
                s_list, o_list = [], []
        if s_list:
            yield s_list, [index] * len(s_list), o_list


def _csr(n: int, rows: np.ndarray, cols: np.ndarray, preds: np.ndarray, folder: Path,
         name: str) -> None:
    order = np.lexsort((preds, cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    np.save(folder / f"{name}.indptr.npy", indptr)
    np.save(folder / f"{name}.indices.npy", cols[order])
    np.save(folder / f"{name}.pred.npy", preds[order])


def build_adjacency(store: ox.Store, folder: Path) -> None:
    """Write the network's compact adjacency into ``folder / "adjacency"``.

    Parameters
    ----------
    store
        the store being built (its default graph is read).
    folder
        the store's artifact folder.
    """
    start = time.perf_counter()
    out = Path(folder) / ADJACENCY_DIR
    out.mkdir(parents=True, exist_ok=True)
    preds, excluded = edge_predicates(store), excluded_types(store)
    hashes, kinds = _write_nodes(store, preds, excluded, out)
    n = len(hashes)
    index = _HashIndex(hashes)
    del hashes
    src_parts, dst_parts, pred_parts = [], [], []
    for s_list, p_list, o_list in _edge_chunks(store, preds, excluded):
        src_parts.append(index.ids(s_list))
        dst_parts.append(index.ids(o_list))
        pred_parts.append(np.asarray(p_list, dtype=np.uint16))
    src = np.concatenate(src_parts) if src_parts else np.zeros(0, np.int32)
    dst = np.concatenate(dst_parts) if dst_parts else np.zeros(0, np.int32)
    pred = np.concatenate(pred_parts) if pred_parts else np.zeros(0, np.uint16)
    del src_parts, dst_parts, pred_parts
    _csr(n, src, dst, pred, out, "out")
    _csr(n, dst, src, pred, out, "in")
    meta = {"format": _FORMAT, "nodes": n, "edges": int(len(src)),
            "predicates": [compress(p) for p in preds], "kinds": kinds}
    (out / "adjacency.json").write_text(json.dumps(meta, indent=1))
    logger.info("adjacency: %d nodes, %d edges in %.1f s", n, len(src),
                time.perf_counter() - start)


@dataclass(frozen=True)
class Adjacency:
    """The memory-mapped adjacency (see the module docs); ids are ``int`` positions."""

    offsets: np.ndarray
    blob: np.ndarray
    kinds: np.ndarray
    kind_names: tuple[str, ...]
    predicates: tuple[str, ...]
    out_indptr: np.ndarray
    out_indices: np.ndarray
    out_pred: np.ndarray
    in_indptr: np.ndarray
    in_indices: np.ndarray
    in_pred: np.ndarray

    @property
    def n(self) -> int:
        """The number of nodes."""
        return len(self.offsets) - 1

    def iri(self, node: int) -> str:
        """The IRI of node ``node``."""
        return bytes(self.blob[self.offsets[node]:self.offsets[node + 1]]).decode()

    def node_class(self, node: int) -> str:
        """The CURIE of the node's class (``exo:MicroRNA``; ``""`` when untyped)."""
        return self.kind_names[int(self.kinds[node])]

    def kind(self, node: int) -> str:
        """The node's kind (``MicroRNA``, ``Disease`` ...; ``""`` when untyped)."""
        return kind_name(self.node_class(node))

    def node_id(self, iri: str) -> int | None:
        """The id of ``iri``, or ``None`` when it is not a node (bisection, O(log n))."""
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.iri(mid) < iri:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < self.n and self.iri(lo) == iri else None

    def out_neighbors(self, node: int) -> np.ndarray:
        """The targets of the node's out-edges (one per edge, sorted)."""
        return self.out_indices[self.out_indptr[node]:self.out_indptr[node + 1]]

    def in_neighbors(self, node: int) -> np.ndarray:
        """The sources of the node's in-edges (one per edge, sorted)."""
        return self.in_indices[self.in_indptr[node]:self.in_indptr[node + 1]]

    def undirected(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR ``(indptr, indices)`` of the simple undirected graph (networkx's ``nx.Graph``).

        Each neighbour once, whatever the predicates and directions; a self-loop once.
        """
        n = self.n
        rows = np.concatenate([_rows(self.out_indptr), _rows(self.in_indptr)])
        cols = np.concatenate([self.out_indices, self.in_indices]).astype(np.int64)
        keys = np.unique(rows * n + cols)
        rows, cols = keys // max(n, 1), (keys % max(n, 1)).astype(np.int32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols


def _rows(indptr: np.ndarray) -> np.ndarray:
    """The row of each CSR entry."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))


def load_adjacency(folder: Path) -> Adjacency:
    """Open the adjacency of an artifact folder read-only (memory-mapped).

    Raises
    ------
    ExoKGError
        when the folder holds no adjacency of this format.
    """
    path = Path(folder) / ADJACENCY_DIR
    try:
        meta = json.loads((path / "adjacency.json").read_text())
    except (OSError, ValueError) as err:
        raise ExoKGError(f"{path}: no adjacency artifact ({err})") from None
    if meta.get("format") != _FORMAT:
        raise ExoKGError(f"{path}: adjacency format {meta.get('format')!r}, not {_FORMAT!r}")

    def arr(name: str) -> np.ndarray:
        return np.load(path / f"{name}.npy", mmap_mode="r")

    blob_path = path / "nodes.iri"
    blob = (np.memmap(blob_path, dtype=np.uint8, mode="r") if blob_path.stat().st_size
            else np.zeros(0, np.uint8))
    return Adjacency(offsets=arr("nodes.offsets"), blob=blob, kinds=arr("nodes.kind"),
                     kind_names=tuple(meta["kinds"]), predicates=tuple(meta["predicates"]),
                     out_indptr=arr("out.indptr"), out_indices=arr("out.indices"),
                     out_pred=arr("out.pred"), in_indptr=arr("in.indptr"),
                     in_indices=arr("in.indices"), in_pred=arr("in.pred"))
