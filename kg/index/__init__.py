"""Artifacts built with the store: compact adjacency, global metrics, search index.

Each builder has the form ``build_X(store, folder) -> None`` and runs inside the
store's atomic build (the store is writable, ``folder`` is the store's artifact
folder); readers open the folder read-only. :data:`BUILDERS` lists them in the order
they must run: the metrics read the adjacency, the search index reads both.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from exokg.index.adjacency import Adjacency, build_adjacency, load_adjacency
from exokg.index.metrics import METRICS_GRAPH, Metrics, build_metrics, load_metrics
from exokg.index.search import Hit, build_search_index, search

__all__ = ["BUILDERS", "METRICS_GRAPH", "Adjacency", "Hit", "Metrics", "build_adjacency",
           "build_index", "build_metrics", "build_search_index", "load_adjacency",
           "load_metrics", "search"]

#: The builders, in the order they run.
BUILDERS = (build_adjacency, build_metrics, build_search_index)


def build_index(store: ox.Store, folder: Path) -> None:
    """Build every artifact of :data:`BUILDERS` into ``folder``, in order (the store's
    artifact ``index``; see :data:`exokg.store.ARTIFACT_BUILDERS`)."""
    for builder in BUILDERS:
        builder(store, folder)
