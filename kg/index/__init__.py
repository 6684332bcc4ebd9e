"""Artifacts built with the store: compact adjacency, global metrics, search index.

Each builder has the form ``build_X(store, folder) -> None`` and runs inside the
store's atomic build (the store is writable, ``folder`` is the store's artifact
folder); readers open the folder read-only. :data:`BUILDERS` lists them in the order
they must run: the metrics read the adjacency, the search index reads both.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
from exokg.index.adjacency import Adjacency, build_adjacency, load_adjacency, write_adjacency
from exokg.index.metrics import (
    METRICS_GRAPH,
    Metrics,
    build_metrics,
    compute_metrics,
    load_metric_triples,
    load_metrics,
)
from exokg.index.scan import read_network
from exokg.index.search import Hit, build_search_index, search

__all__ = ["BUILDERS", "METRICS_GRAPH", "Adjacency", "Hit", "Metrics", "build_adjacency",
           "build_index", "build_metrics", "build_search_index", "load_adjacency",
           "load_metrics", "search"]

logger = logging.getLogger(__name__)

#: The builders, in the order they run.
BUILDERS = (build_adjacency, build_metrics, build_search_index)


def build_index(store: ox.Store, folder: Path) -> None:
    """Build every artifact of :data:`BUILDERS` into ``folder`` (the store's artifact
    ``index``; see :data:`exokg.store.ARTIFACT_BUILDERS`).

    The same artifacts as running the builders in turn; the metric triples are
    bulk-loaded in a second thread while the search index is built (Oxigraph's loader
    releases the GIL, and the search reads only the default graph).
    """
    start = time.perf_counter()
    write_adjacency(read_network(store), folder)
    logger.info("adjacency written at %.1f s", time.perf_counter() - start)
    compute_metrics(folder)
    with ThreadPoolExecutor(1, thread_name_prefix="metric-triples") as pool:
        loading = pool.submit(load_metric_triples, store, folder)
        build_search_index(store, folder)
        loading.result()
    logger.info("index built in %.1f s", time.perf_counter() - start)
