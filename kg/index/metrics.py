"""Global metrics of the network, computed once when the store is built.

Degree, PageRank, betweenness and study count of every node of the projection's
network (:mod:`exokg.index.adjacency`), with the definitions of
:func:`exokg.algorithms.rank`:

``degree``
    edges in and out of the ``MultiDiGraph`` (one per subject, predicate, object);
``studies``
    distinct references the node is ``exo:citedIn`` (independent studies);
``pagerank``
    PageRank of the simple undirected graph, ``alpha = 0.85``, as ``nx.pagerank``
    computes it (power iteration to an L1 change below ``n * 1e-12``);
``betweenness``
    normalized betweenness of the same graph (Brandes, endpoints excluded). Exact up to
    :data:`EXACT_LIMIT` nodes; above, estimated from :func:`sample_size` BFS sources
    drawn with a fixed seed, rescaled as ``nx.betweenness_centrality(k=...)`` rescales.
    Each source costs one vectorized BFS over the whole graph (about 0.2 s per
    million edges here), so the sample is what keeps the build's time bounded; the top
    of the ranking (the hubs) is stable under it, the tail is not.

The numbers are written twice: as ``.npy`` arrays in ``folder / "metrics"`` (indexed
by node id, for the API's rank) and as triples in the named graph
:data:`METRICS_GRAPH` (``exo:degree``, ``exo:pageRank``, ``exo:betweenness``,
``exo:studyCount``), so SPARQL users can query and join them. They go into a named
graph, not the default graph, because every fact of the default graph traces to a
row of the review's tables (or to the user's records); computed numbers are not the
review's statements, they change whenever the data change, and a user who asks the
default graph for what the review says must not get them mixed in. ``GRAPH
<https://w3id.org/exokg/graph/metrics> { ... }`` asks for them explicitly.

The computations take a CSR graph (``indptr``, ``indices``); here a path a - b - c:

>>> import numpy as np
>>> indptr, indices = np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1])
>>> betweenness(indptr, indices).tolist(), pagerank(indptr, indices).round(3).tolist()
([0.0, 1.0, 0.0], [0.257, 0.486, 0.257])
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyoxigraph as ox
from exokg.errors import ExoKGError
from exokg.index.adjacency import Adjacency, entry_rows, kind_name, load_adjacency
from exokg.vocab import CONTENT_CLASSES, EXO, XSD

__all__ = ["EXACT_LIMIT", "METRICS_DIR", "METRICS_GRAPH", "Metrics", "betweenness",
           "build_metrics", "compute_metrics", "load_metric_triples", "load_metrics",
           "pagerank", "ranked_by_class", "sample_size"]

logger = logging.getLogger(__name__)

#: The named graph of the computed metrics.
METRICS_GRAPH = "https://w3id.org/exokg/graph/metrics"
METRICS_DIR = "metrics"
#: Up to this many nodes betweenness is exact (as :func:`exokg.algorithms.rank` has it).
EXACT_LIMIT = 5000
_SEED = 0
_ALPHA = 0.85
_CONTENT_KINDS = frozenset(kind_name(f"exo:{c.split('#')[-1]}") for c in CONTENT_CLASSES)
_NAMES = ("degree", "studies", "pagerank", "betweenness")
_LINES = 100_000  # N-Quads lines formatted at a time
_QUADS = "metrics.nq"  # the triples' file, removed once loaded


def sample_size(n: int) -> int | None:
    """BFS sources for betweenness: ``None`` (all, exact) up to 5,000 nodes, then 500 up
    to 20,000, then 64 (the sizes :func:`exokg.algorithms.rank` samples).

    >>> sample_size(66), sample_size(10_000), sample_size(1_000_000)
    (None, 500, 64)
    """
    return None if n <= EXACT_LIMIT else 500 if n <= 20_000 else 64


def pagerank(indptr: np.ndarray, indices: np.ndarray, *, alpha: float = _ALPHA,
             tol: float = 1e-12, max_iter: int = 1000) -> np.ndarray:
    """PageRank of a simple undirected graph in CSR form (uniform teleport, dangling nodes
    spread uniformly), as ``nx.pagerank`` of that ``nx.Graph``.

    >>> import numpy as np
    >>> pagerank(np.array([0, 1, 2]), np.array([1, 0])).round(3).tolist()
    [0.5, 0.5]
    """
    n = len(indptr) - 1
    if n == 0:
        return np.zeros(0)
    degree = np.diff(indptr).astype(np.float64)
    dangling = degree == 0
    rows = entry_rows(indptr)
    x = np.full(n, 1.0 / n)
    inv = np.divide(1.0, degree, out=np.zeros(n), where=~dangling)
    for _ in range(max_iter):
        spread = np.bincount(rows, weights=(x * inv)[indices], minlength=n)
        new = alpha * spread + (alpha * x[dangling].sum() + 1.0 - alpha) / n
        if np.abs(new - x).sum() < n * tol:
            return new
        x = new
    logger.warning("pagerank did not converge in %d iterations", max_iter)
    return x


def betweenness(indptr: np.ndarray, indices: np.ndarray, *,
                sources: np.ndarray | None = None) -> np.ndarray:
    """Normalized betweenness (Brandes, endpoints excluded) of a simple undirected graph.

    ``sources=None`` is exact (``nx.betweenness_centrality(G)``); a sample of sources
    is rescaled as ``nx.betweenness_centrality(G, k=len(sources))`` does. Each BFS is
    level by level over numpy arrays, so a source costs a few passes over the edges.

    >>> import numpy as np
    >>> betweenness(np.array([0, 1, 3, 4]), np.array([1, 0, 2, 1])).tolist()  # a-b-c
    [0.0, 1.0, 0.0]
    """
    n = len(indptr) - 1
    total = np.zeros(n)
    starts = np.arange(n) if sources is None else np.asarray(sources)
    for s in starts:
        _accumulate(indptr, indices, int(s), total)
    return _rescale(total, n, None if sources is None else starts)


def _expand(indptr: np.ndarray, indices: np.ndarray,
            frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges (u, v) leaving the nodes of ``frontier``."""
    counts = indptr[frontier + 1] - indptr[frontier]
    u = np.repeat(frontier, counts)
    first = np.repeat(indptr[frontier] - np.cumsum(counts) + counts, counts)
    return u, indices[first + np.arange(len(u))]


def _accumulate(indptr: np.ndarray, indices: np.ndarray, s: int, total: np.ndarray) -> None:
    n = len(indptr) - 1
    dist = np.full(n, -1, dtype=np.int64)
    sigma = np.zeros(n)
    dist[s], sigma[s] = 0, 1.0
    levels: list[tuple[np.ndarray, np.ndarray]] = []  # per level: edges to the next level
    frontier = np.array([s], dtype=np.int64)
    mark = np.zeros(n, dtype=bool)  # the next frontier, sorted and unique, without a sort
    depth = 0
    while len(frontier):
        u, v = _expand(indptr, indices, frontier)
        fresh = v[dist[v] < 0]
        dist[fresh] = depth + 1
        down = dist[v] == depth + 1
        u, v = u[down], v[down]
        sigma += np.bincount(v, weights=sigma[u], minlength=n)
        levels.append((u, v))
        mark[v] = True
        frontier = np.flatnonzero(mark)
        mark[frontier] = False
        depth += 1
    delta = np.zeros(n)
    for u, v in reversed(levels):
        delta += np.bincount(u, weights=sigma[u] / sigma[v] * (1.0 + delta[v]), minlength=n)
    delta[s] = 0.0
    total += delta


def _rescale(total: np.ndarray, n: int, sampled: np.ndarray | None) -> np.ndarray:
    """networkx's normalization (``normalized=True, endpoints=False``), sampled or not."""
    big_n = n - 1
    if big_n < 2:
        return total
    if sampled is None:
        return total * (1.0 / (big_n * (big_n - 1)))
    k = len(sampled)
    out = total * (1.0 / (k * (big_n - 1)))
    if k > 1:
        out[sampled] = total[sampled] * (1.0 / ((k - 1) * (big_n - 1)))
    return out


def _studies(adj: Adjacency) -> np.ndarray:
    """Per node: its out-edges ``exo:citedIn`` to a Reference (each target once)."""
    n = adj.n
    if "exo:citedIn" not in adj.predicates or n == 0:
        return np.zeros(n, dtype=np.int64)
    cited = adj.predicates.index("exo:citedIn")
    ref_codes = [i for i, c in enumerate(adj.kind_names) if kind_name(c) == "Reference"]
    rows = entry_rows(adj.out_indptr)
    keep = (np.asarray(adj.out_pred) == cited) & np.isin(adj.kinds[adj.out_indices], ref_codes)
    return np.bincount(rows[keep], minlength=n).astype(np.int64)


@dataclass(frozen=True)
class Metrics:
    """The metrics of every node, indexed by adjacency node id (memory-mapped); and per
    metric the node ids ranked within each node class (:func:`ranked_by_class`)."""

    degree: np.ndarray
    studies: np.ndarray
    pagerank: np.ndarray
    betweenness: np.ndarray
    info: dict
    #: per metric, the node ids grouped by class code, best first within each class
    ranked: dict[str, np.ndarray]
    #: where each class code's ids start in a ``ranked`` array (one more than codes)
    class_starts: np.ndarray

    def get(self, metric: str) -> np.ndarray:
        """The array of ``degree``, ``studies``, ``pagerank`` or ``betweenness``."""
        if metric not in _NAMES:
            raise ExoKGError(f"unknown metric {metric!r}; known: {', '.join(_NAMES)}")
        return getattr(self, metric)

    def best(self, metric: str, code: int, count: int) -> np.ndarray:
        """The ids of the first ``count`` nodes of class ``code`` by ``metric`` (highest
        first, ties by id): a slice, whatever the number of nodes."""
        start, end = int(self.class_starts[code]), int(self.class_starts[code + 1])
        return np.asarray(self.ranked[metric][start:min(end, start + count)])


def ranked_by_class(values: np.ndarray, classes: np.ndarray,
                    codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Node ids grouped by class code, each group highest value first (ties by id), and
    where each code's group starts: a ranking of one class reads its first ids only.

    >>> ids, starts = ranked_by_class(np.array([0.1, 0.5, 0.5, 0.2]), np.array([1, 0, 1, 1]), 2)
    >>> ids.tolist(), starts.tolist()
    ([1, 2, 3, 0], [0, 1, 4])
    """
    order = np.lexsort((np.arange(len(values)), -values, classes))
    starts = np.concatenate([[0], np.cumsum(np.bincount(classes, minlength=codes))])
    return order.astype(np.int32), starts.astype(np.int64)


def _literal(value: float | int, datatype: str) -> str:
    return f'"{value!r}"^^<{datatype}>' if isinstance(value, float) else \
        f'"{value}"^^<{datatype}>'


def _write_quads(adj: Adjacency, values: dict[str, np.ndarray], path: Path) -> None:
    """The metrics as N-Quads in :data:`METRICS_GRAPH`, into the file ``path``."""
    graph = f"<{METRICS_GRAPH}>"
    props = {"degree": (f"<{EXO.degree}>", str(XSD.integer)),
             "pagerank": (f"<{EXO.pageRank}>", str(XSD.double)),
             "betweenness": (f"<{EXO.betweenness}>", str(XSD.double)),
             "studies": (f"<{EXO.studyCount}>", str(XSD.integer))}
    content = np.isin(adj.kinds, [i for i, c in enumerate(adj.kind_names)
                                  if kind_name(c) in _CONTENT_KINDS])
    iris = adj.iris()
    with path.open("w", encoding="utf-8") as fh:
        for name, (prop, datatype) in props.items():
            # repr: the shortest text that reads back as the same double (str for ints)
            tail = f'"^^<{datatype}> {graph} .\n'
            numbers = values[name].tolist()
            nodes = (np.flatnonzero(content) if name == "studies"  # studyCount's domain
                     else np.arange(adj.n)).tolist()       # is exo:ExosomalContent
            for start in range(0, len(nodes), _LINES):
                fh.write("".join([f'<{iris[i]}> {prop} "{numbers[i]!r}{tail}'
                                  for i in nodes[start:start + _LINES]]))


def load_metric_triples(store: ox.Store, folder: Path) -> None:
    """Bulk-load the N-Quads :func:`compute_metrics` wrote into the store, then remove
    the file. Oxigraph releases the GIL meanwhile, so other builders can go on."""
    start = time.perf_counter()
    path = Path(folder) / METRICS_DIR / _QUADS
    try:
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    finally:
        path.unlink(missing_ok=True)
    logger.info("metric triples loaded in %.1f s", time.perf_counter() - start)


def build_metrics(store: ox.Store, folder: Path) -> None:
    """Compute the metrics from the adjacency and write them as arrays and as triples.

    Parameters
    ----------
    store
        the store being built; the triples go into its named graph :data:`METRICS_GRAPH`.
    folder
        the artifact folder, which must hold the adjacency (run
        :func:`~exokg.index.adjacency.build_adjacency` first).
    """
    compute_metrics(folder)
    load_metric_triples(store, folder)


def compute_metrics(folder: Path) -> None:
    """Compute the metrics from the adjacency of ``folder``: the arrays, ``metrics.json``
    and the N-Quads of the triples (for :func:`load_metric_triples`)."""
    start = time.perf_counter()
    adj = load_adjacency(folder)
    out = Path(folder) / METRICS_DIR
    out.mkdir(parents=True, exist_ok=True)
    n = adj.n
    degree = (np.diff(adj.out_indptr) + np.diff(adj.in_indptr)).astype(np.int64)
    studies = _studies(adj)
    indptr, indices = adj.undirected()
    timings = {}
    t = time.perf_counter()
    ranks = pagerank(indptr, indices)
    timings["pagerank_s"] = round(time.perf_counter() - t, 3)
    k = sample_size(n)
    sources = None if k is None else np.sort(
        np.random.default_rng(_SEED).choice(n, size=k, replace=False))
    t = time.perf_counter()
    between = betweenness(indptr, indices, sources=sources)
    timings["betweenness_s"] = round(time.perf_counter() - t, 3)
    del indptr, indices
    values = {"degree": degree, "studies": studies, "pagerank": ranks,
              "betweenness": between}
    classes = np.asarray(adj.kinds, dtype=np.int64)
    starts = np.zeros(1, dtype=np.int64)
    for name, array in values.items():
        np.save(out / f"{name}.npy", array)
        ids, starts = ranked_by_class(array, classes, len(adj.kind_names))
        np.save(out / f"ranked-{name}.npy", ids)
    np.save(out / "class-starts.npy", starts)  # the same for every metric
    info = {"nodes": n, "alpha": _ALPHA, "betweenness": "exact" if k is None else
            f"sampled: {k} BFS sources, seed {_SEED}, networkx's k-sample rescaling",
            "graph": METRICS_GRAPH, **timings}
    (out / "metrics.json").write_text(json.dumps(info, indent=1))
    _write_quads(adj, values, out / _QUADS)
    logger.info("metrics of %d nodes in %.1f s", n, time.perf_counter() - start)


def load_metrics(folder: Path) -> Metrics:
    """Open the metrics of an artifact folder read-only (memory-mapped).

    Raises
    ------
    ExoKGError
        when the folder holds no metrics.
    """
    path = Path(folder) / METRICS_DIR
    try:
        info = json.loads((path / "metrics.json").read_text())
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r").view(np.ndarray)
                  for name in _NAMES}
        ranked = {name: np.load(path / f"ranked-{name}.npy", mmap_mode="r").view(np.ndarray)
                  for name in _NAMES}
        starts = np.load(path / "class-starts.npy")
    except (OSError, ValueError) as err:
        raise ExoKGError(f"{path}: no metrics artifact ({err})") from None
    return Metrics(info=info, ranked=ranked, class_starts=starts, **arrays)
