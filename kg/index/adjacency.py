"""The compact integer adjacency of the network, built once with the store.

The graph is the networkx projection's (:func:`exokg.network.project`, without
Findings): the nodes are the typed IRIs that are neither schema terms nor
``exo:Finding`` rows, plus every IRI at either end of an edge between two such
nodes; the edges are the triples whose predicate is an ``exo:`` property or
``prov:wasDerivedFrom``, one per (subject, predicate, object), as the projection's
``MultiDiGraph`` keeps them.

It is read from a :class:`pyoxigraph.Store` by :mod:`exokg.index.scan` (the default
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
``nodes.prominence.npy``
    each node's distinct out-neighbours plus distinct in-neighbours (how a
    neighbourhood's node cap ranks a ring's candidates: read per candidate, it was a
    tenth of a depth-2 neighbourhood's time at 10^6 findings);
``adjacency.json``
    sizes, the predicate CURIEs, the kind names and the format version.

About 13 bytes per edge (4 + 2 each way, plus the row pointers) and under 100 bytes
per node (the IRI and four numbers).

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
...     [adj.iri(int(v)) for v in adj.out_neighbors(a)], adj.kind(a), int(adj.prominence[a])
(['https://w3id.org/exokg/id/ref/1'], 'MicroRNA', 1)
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyoxigraph as ox
from exokg.curie import local_name
from exokg.errors import ExoKGError
from exokg.index.scan import (
    Network,
    edge_predicates,
    excluded_filter,
    node_classes,
    read_network,
    select,
)
from exokg.network import compress

__all__ = ["ADJACENCY_DIR", "Adjacency", "build_adjacency", "edge_predicates", "entry_rows",
           "excluded_filter", "excluded_types", "kind_name", "load_adjacency", "select",
           "write_adjacency"]

logger = logging.getLogger(__name__)

#: The artifact's folder inside the store's artifact folder.
ADJACENCY_DIR = "adjacency"
_FORMAT = "exokg-adjacency-2"


def excluded_types(store: ox.Store) -> list[str]:
    """The store's classes whose instances the projection leaves out (sorted).

    Schema terms (typed in the OWL, RDFS or RDF namespace) and ``exo:Finding`` rows are
    not network nodes (the rule of :func:`exokg.network.project`).
    """
    return node_classes(store)[1]


def kind_name(cls: str) -> str:
    """The kind (``MicroRNA``) of a class CURIE (``exo:MicroRNA``), as the projection names it.

    >>> kind_name("exo:MicroRNA"), kind_name("")
    ('MicroRNA', '')
    """
    return local_name(cls.split(":", 1)[-1]) if cls else ""


def _csr(n: int, rows: np.ndarray, cols: np.ndarray, preds: np.ndarray, folder: Path,
         name: str) -> np.ndarray:
    """Write one direction's CSR; return each row's number of distinct columns."""
    order = np.lexsort((preds, cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    np.save(folder / f"{name}.indptr.npy", indptr)
    rows, cols = rows[order], cols[order]
    np.save(folder / f"{name}.indices.npy", cols)
    np.save(folder / f"{name}.pred.npy", preds[order])
    fresh = np.ones(len(rows), dtype=bool)  # sorted: a column differs from the one before
    fresh[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return np.bincount(rows[fresh], minlength=n)


def write_adjacency(net: Network, folder: Path) -> None:
    """Write the adjacency of a network read by :func:`~exokg.index.scan.read_network`
    into ``folder / "adjacency"``."""
    out = Path(folder) / ADJACENCY_DIR
    out.mkdir(parents=True, exist_ok=True)
    encoded = [iri.encode() for iri in net.iris]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    with (out / "nodes.iri").open("wb") as blob:
        blob.write(b"".join(encoded))
    del encoded
    np.save(out / "nodes.offsets.npy", offsets)
    np.save(out / "nodes.kind.npy", np.asarray(net.kind_codes, dtype=np.uint8))
    n = len(net.iris)
    prominence = (_csr(n, net.src, net.dst, net.pred, out, "out")
                  + _csr(n, net.dst, net.src, net.pred, out, "in"))
    np.save(out / "nodes.prominence.npy", prominence.astype(np.int32))
    meta = {"format": _FORMAT, "nodes": n, "edges": int(len(net.src)),
            "predicates": [compress(p) for p in net.predicates], "kinds": net.kinds}
    (out / "adjacency.json").write_text(json.dumps(meta, indent=1))


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
    net = read_network(store)
    write_adjacency(net, folder)
    logger.info("adjacency: %d nodes, %d edges in %.1f s", len(net.iris), len(net.src),
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
    prominence: np.ndarray

    @property
    def n(self) -> int:
        """The number of nodes."""
        return len(self.offsets) - 1

    def iri(self, node: int) -> str:
        """The IRI of node ``node``."""
        return bytes(self.blob[self.offsets[node]:self.offsets[node + 1]]).decode()

    def iris(self) -> list[str]:
        """Every node's IRI, in id order (one pass over the blob: for builders and
        exports that need them all, where :meth:`iri` per node would cost more)."""
        data = self.blob.tobytes()
        offsets = self.offsets.tolist()
        if data.isascii():  # byte offsets are character offsets: slice the decoded text
            text = data.decode("ascii")
            return [text[a:b] for a, b in zip(offsets, offsets[1:], strict=False)]
        return [data[a:b].decode() for a, b in zip(offsets, offsets[1:], strict=False)]

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
        rows = np.concatenate([entry_rows(self.out_indptr), entry_rows(self.in_indptr)])
        cols = np.concatenate([self.out_indices, self.in_indices]).astype(np.int64)
        keys = np.unique(rows * n + cols)
        rows, cols = keys // max(n, 1), (keys % max(n, 1)).astype(np.int32)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols


def entry_rows(indptr: np.ndarray) -> np.ndarray:
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

    # plain ndarray views of the maps: the same pages, without np.memmap's per-access
    # Python overhead (a few us per element read, which the per-node readers pay)
    def arr(name: str) -> np.ndarray:
        return np.load(path / f"{name}.npy", mmap_mode="r").view(np.ndarray)

    blob_path = path / "nodes.iri"
    blob = (np.memmap(blob_path, dtype=np.uint8, mode="r").view(np.ndarray)
            if blob_path.stat().st_size else np.zeros(0, np.uint8))
    return Adjacency(offsets=arr("nodes.offsets"), blob=blob, kinds=arr("nodes.kind"),
                     kind_names=tuple(meta["kinds"]), predicates=tuple(meta["predicates"]),
                     out_indptr=arr("out.indptr"), out_indices=arr("out.indices"),
                     out_pred=arr("out.pred"), in_indptr=arr("in.indptr"),
                     in_indices=arr("in.indices"), in_pred=arr("in.pred"),
                     prominence=arr("nodes.prominence"))
