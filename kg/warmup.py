"""What a web worker reads before it serves: representative nodes of the store.

A worker's first requests would otherwise pay for everything that loads lazily: the
executors' store caches (pyoxigraph's block cache, the page cache of the store files),
the artifacts' first reads (SQLite, memory-mapped arrays), template compilation and
imports. The worker's start (``exokg serve``) answers a few requests like its users'
before it accepts any, about nodes chosen here from the artifacts built with the store
(never fixed names: any store has them):

``hub``
    the node with the most neighbours (a disease, in the review's graph);
``molecule``
    a typical studied molecule: the one at the 90th percentile by degree of the
    molecules (miRNAs, lncRNAs ...; the median of their long tail has one finding);
``path_end``
    the other end of the warm-up's path from ``molecule``: the molecule ranked just above
    it, a typical one too, so the path is found within the node cap (from the
    best-connected molecule, at 10^6 findings, the search passed the cap after one step
    and the warm-up's path was a 400).

>>> from exokg.store import find_store
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     nodes = representative_nodes(find_store(tmp).artifact_dir("index"))
>>> sorted(nodes)
['hub', 'molecule', 'path_end']
>>> nodes["hub"]
'https://w3id.org/exokg/id/disease/hcc'
"""

from __future__ import annotations

import logging
from pathlib import Path

from exokg.errors import ExoKGError
from exokg.review import CONTENT_KINDS

__all__ = ["representative_nodes"]

logger = logging.getLogger(__name__)


def representative_nodes(folder: Path | str | None) -> dict[str, str]:
    """The ``hub``, a typical ``molecule`` and its ``path_end`` of the store whose
    index artifact is ``folder`` (see the module docs); ``{}`` without the artifact,
    and without the molecule entries when the store has fewer than two molecules."""
    import numpy as np
    from exokg.index import load_adjacency, load_metrics
    from exokg.index.adjacency import kind_name

    if folder is None:
        return {}
    try:
        adj, metrics = load_adjacency(Path(folder)), load_metrics(Path(folder))
    except ExoKGError as err:
        logger.info("no representative nodes: %s", err)
        return {}
    if adj.n == 0:
        return {}
    degree = np.asarray(metrics.degree, dtype=np.int64)
    out = {"hub": adj.iri(int(np.argmax(degree)))}
    codes = [i for i, c in enumerate(adj.kind_names) if kind_name(c) in CONTENT_KINDS]
    molecules = np.flatnonzero(np.isin(adj.kinds, codes))
    if len(molecules) >= 2:
        # stable: among equal degrees, the lower id (IRI order), so a store always
        # warms the same nodes
        ranked = molecules[np.argsort(-degree[molecules], kind="stable")]
        typical = max(1, len(ranked) // 10)
        out["molecule"] = adj.iri(int(ranked[typical]))
        out["path_end"] = adj.iri(int(ranked[typical - 1]))
    return out
