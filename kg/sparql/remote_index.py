"""The artifacts of a remote store: built from it, kept locally, keyed by its data version.

The artifacts an embedded store is built with (the registry
:data:`exokg.store.ARTIFACT_BUILDERS`: search index, metrics, adjacency ...) are built for a
remote store by :func:`index_remote` (``exokg index --store-url``): each builder gets a
:class:`IndexStore`, which reads the remote store's current version graph as a
``pyoxigraph.Store`` is read, and writes what a builder bulk-loads (the metrics' named
graph) to the engine through the Graph Store Protocol; a copy of what was written is kept
with the artifacts, so that a version the store switches back to (a roll-back) gets its
graphs written again by ``exokg index`` without a rebuild. Such a graph is one graph in
the engine, shared by every version: it is stamped with the version it holds once whole,
and readers expose it to that version only (:mod:`exokg.sparql.remote_write`). The
artifacts go to
``STORE_DIR/remote-<version>-format<build format>/``, laid out as an embedded store's version folder
(``meta.json``, ``artifacts/<name>/``); ``exokg serve --store-url URL --store STORE_DIR``
finds them by the remote store's current version (:func:`remote_artifacts`), so pages
that read artifacts change when the remote data changes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from exokg import build_format
from exokg.config import Config
from exokg.errors import ConfigError
from exokg.sparql.remote import CONTROL_GRAPH, INFO, RemotePool, RemoteStore, read_current
from exokg.sparql.remote_write import (
    graph_store_endpoint,
    http_request,
    publish,
    sparql_literal,
    sparql_update,
    unpublish,
)
from exokg.store import ARTIFACT_BUILDERS, dataset_stats, resolve_builder
from exokg.store_dir import index_lock
from exokg.store_layout import ARTIFACTS_DIR, META_FILE, StoreInfo, write_meta

__all__ = ["PAGE_ROWS", "WRITTEN_DIR", "WRITE_BATCH", "IndexStore", "index_remote",
           "remote_artifacts", "remote_folder"]

logger = logging.getLogger(__name__)


def remote_folder(store_dir: Path | str, version: str) -> Path:
    """The local folder of a remote data version's artifacts under this code's build format.

    The remote data version is fixed when ``exokg load`` ran; artifacts built by code of
    another :data:`~exokg.build_format.BUILD_FORMAT` (another artifact layout) are not
    this code's to read, so after an upgrade that bumps it ``exokg index`` builds them
    again (until then the pages that need them answer 503 naming the command).

    >>> remote_folder("/var/lib/exokg", "0123456789abcdef").name  # doctest: +ELLIPSIS
    'remote-0123456789abcdef-format...'
    """
    return Path(store_dir).expanduser() / f"remote-{version}-format{build_format.BUILD_FORMAT}"


def remote_artifacts(store_dir: Path | str | None, version: str) -> tuple[str, list[str]]:
    """``(folder, artifact names)`` built for this version by ``exokg index``, or
    ``("", [])`` when none were."""
    if not store_dir:
        return "", []
    folder = remote_folder(store_dir, version)
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", []
    if meta.get("version") != version:
        return "", []
    return str(folder), [str(a) for a in meta.get("artifacts", [])]


#: Triples written to a remote store per Graph Store request (bounded memory on both ends).
WRITE_BATCH = 100_000
#: The folder (in a version's artifact folder) keeping what the builders wrote to the
#: engine, as N-Quads, to write it again after a roll-back.
WRITTEN_DIR = "written"
#: Rows per page of the builders' reads: the setting ``PAGE_ROWS``'s default.
PAGE_ROWS: int = Config.page_rows


class IndexStore(RemoteStore):
    """A remote store as the artifact builders use one: :meth:`query` (read; every
    SELECT in pages of ``page_rows`` rows, :mod:`exokg.sparql.paging`) and
    :meth:`bulk_load` (named graphs written through the Graph Store Protocol, each
    unpublished first; the data graph itself is never written).

    Parameters
    ----------
    update_url
        the SPARQL Update endpoint (to unpublish a graph before it is written).
    keep
        a folder where each file :meth:`bulk_load` writes is kept (``None``: not kept).
    """

    def __init__(self, url: str, *, graph: str | None, graph_store_url: str,
                 update_url: str, timeout: float = 3600.0, page_rows: int = PAGE_ROWS,
                 keep: Path | None = None) -> None:
        super().__init__(url, graph=graph, timeout=timeout, page_rows=page_rows)
        self.graph_store_url = graph_store_url
        self.update_url = update_url
        self.keep = keep
        self.written: list[str] = []

    def bulk_load(self, *, path: str, format: ox.RdfFormat) -> None:  # noqa: A002 - as pyoxigraph
        """Write the named graphs of the file at ``path`` into the remote store, each
        replaced whole: its first :data:`WRITE_BATCH` triples by a Graph Store ``PUT``,
        the rest appended by ``POST`` (at 10^6 findings the metrics are 4.8 M triples:
        one request held them all in memory, here and in the engine)."""
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            kept = self.keep / f"{len(list(self.keep.iterdir())):04d}.nq"
            try:  # the builder removes its file: a second name keeps it, without a copy
                os.link(path, kept)
            except OSError:
                shutil.copyfile(path, kept)
        batches: dict[str, list[ox.Triple]] = {}
        sent: dict[str, int] = {}
        for quad in ox.parse(path=path, format=format):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise ConfigError(f"{path}: an artifact builder wrote to the default graph; "
                                  "a remote store's data graph is written by 'exokg load' only")
            batch = batches.setdefault(quad.graph_name.value, [])
            batch.append(ox.Triple(quad.subject, quad.predicate, quad.object))
            if len(batch) >= WRITE_BATCH:
                self._send(quad.graph_name.value, batch, sent)
        for name, batch in batches.items():
            if batch or name not in sent:
                self._send(name, batch, sent)
        for name, count in sent.items():
            self.written.append(name)
            logger.info("wrote %d triples into <%s>", count, name)

    def _send(self, name: str, batch: list[ox.Triple], sent: dict[str, int]) -> None:
        if name not in sent:  # no reader may read it half written
            unpublish(self.endpoint, self.update_url, name, timeout=self.timeout)
        data = ox.serialize(batch, None, ox.RdfFormat.N_TRIPLES) or b""
        http_request("POST" if name in sent else "PUT",
                     f"{self.graph_store_url}?graph={quote(name, safe='')}", body=data,
                     headers={"Content-Type": "application/n-triples"}, timeout=self.timeout)
        sent[name] = sent.get(name, 0) + len(batch)
        batch.clear()


def index_remote(store_url: str, store_dir: Path | str, *, update_url: str,
                 graph_store_url: str | None = None, timeout: float = 3600.0,
                 page_rows: int = PAGE_ROWS) -> StoreInfo:
    """Build every registered artifact from the remote store's current version.

    Parameters
    ----------
    store_url, update_url, graph_store_url
        as :func:`exokg.sparql.remote_load.load_remote`.
    store_dir
        where the artifacts go (:func:`remote_folder` inside).
    timeout
        seconds each query (each page of one) may take.
    page_rows
        rows per page of the builders' SELECT answers (setting ``PAGE_ROWS``): below
        the engine's own answer cap (Virtuoso: 1,048,576 over HTTP); 0: unpaged.

    Returns
    -------
    StoreInfo
        the version's description, with ``folder`` and ``artifacts`` set.

    Raises
    ------
    ConfigError
        when the remote store holds no version loaded by ``exokg load``, or another
        ``exokg index`` of it runs with ``store_dir`` (:func:`exokg.store_dir.index_lock`).
    RemoteIncomplete
        when the engine cut an answer (a page) at its own row limit, or answers some
        queries short (:func:`exokg.sparql.remote.check_engine`): nothing is written.
    """
    started = time.monotonic()
    pool = RemotePool(store_url)  # the engine checked before anything is written here
    info, graph = pool.info(), pool.graph
    if graph is None:
        raise ConfigError(f"the store at {store_url} holds no data loaded by 'exokg load'")
    store_dir = Path(store_dir).expanduser()  # the lock beside the folders it guards
    with index_lock(store_dir, store_url) as prefix:
        return _index(store_url, pool, info, graph, store_dir, prefix, started,
                      update_url=update_url, graph_store_url=graph_store_url,
                      timeout=timeout, page_rows=page_rows)


def _index(store_url: str, pool: RemotePool, info: StoreInfo, graph: str, store_dir: Path,
           prefix: str, started: float, *, update_url: str, graph_store_url: str | None,
           timeout: float, page_rows: int) -> StoreInfo:
    names = sorted(ARTIFACT_BUILDERS)
    folder = remote_folder(store_dir, info.version)
    gsp = graph_store_endpoint(update_url, graph_store_url, pool.endpoint.engine)
    if remote_artifacts(store_dir, info.version) == (str(folder), names):
        kept = sorted((folder / WRITTEN_DIR).glob("*.nq"))
        _, facts = read_current(pool.endpoint, timeout=timeout)
        if not (facts or {}).get("unpublished"):
            logger.info("artifacts of version %s are built already", info.version)
            return _with(info, folder, names)
        if kept:  # a roll-back: this version's graphs hold another's data; write them again
            store = IndexStore(store_url, graph=graph, timeout=timeout, page_rows=page_rows,
                               graph_store_url=gsp, update_url=update_url)
            for path in kept:
                store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
            return _published(store, store_url, update_url, graph, folder, names, timeout)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=folder.parent))
    try:
        store = IndexStore(store_url, graph=graph, timeout=timeout, page_rows=page_rows,
                           graph_store_url=gsp, update_url=update_url,
                           keep=tmp / WRITTEN_DIR)
        for name in names:
            (tmp / ARTIFACTS_DIR / name).mkdir(parents=True)
            resolve_builder(ARTIFACT_BUILDERS[name])(store, tmp / ARTIFACTS_DIR / name)  # type: ignore[arg-type]
            logger.info("artifact %s built at %.1f s", name, time.monotonic() - started)
        result = _with(info, folder, names)
        write_meta(tmp, result)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if store.written:
        return _published(store, store_url, update_url, graph, folder, names, timeout)
    return result


def _published(store: IndexStore, store_url: str, update_url: str, graph: str,
               folder: Path, names: list[str], timeout: float) -> StoreInfo:
    """Stamp the graphs ``store`` wrote as holding ``graph``'s version, and record them
    with its statistics (readers add them to their dataset; VoID counts them)."""
    store.named = sorted(set(store.named) | set(store.written))
    _record_graphs(store_url, update_url, graph, store.named, dataset_stats(store),  # type: ignore[arg-type]
                   timeout)
    return _with(RemotePool(store_url).info(), folder, names)


def _with(info: StoreInfo, folder: Path, names: list[str]) -> StoreInfo:
    fields: dict[str, Any] = {**info.to_dict(), "folder": str(folder), "artifacts": names}
    return StoreInfo(**fields)


def _record_graphs(store_url: str, update_url: str, graph: str, graphs: list[str],
                   stats: dict[str, Any], timeout: float) -> None:
    """Record the version's named graphs and its statistics counted with them, and stamp
    the graphs as holding it (one update)."""
    rows = RemoteStore(store_url, graph=graph).endpoint.select(
        f"SELECT ?info WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ <{graph}> <{INFO}> ?info }} }}",
        timeout=timeout)
    if not rows or rows[0][0] is None:
        return
    old = rows[0][0].value
    facts = json.loads(old)
    facts.update(graphs=graphs, stats=stats, triples=stats["triples"])
    sparql_update(update_url, f"DELETE DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{graph}> <{INFO}> "
                              f"{sparql_literal(old)} }} }} ;\nINSERT DATA {{ GRAPH "
                              f"<{CONTROL_GRAPH}> {{ <{graph}> <{INFO}> "
                              f"{sparql_literal(json.dumps(facts))} }} }} ;\n"
                              f"{publish(graphs, graph)}", timeout)
