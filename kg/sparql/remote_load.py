"""Loading a remote store: a named graph per data version, then one switch-over.

:func:`load_remote` builds the data as ``exokg build`` / ``exokg serve`` do (the
bundled graph with your records, or your RDF files, validated as they are parsed),
then writes it to the engine through its bulk path, the SPARQL 1.1 Graph Store
Protocol (an HTTP PUT of N-Triples, which Oxigraph server and Virtuoso's
``/sparql-graph-crud`` both take), into the graph ``urn:exokg:version:<version>``.
Only once that graph is whole does it record the version's facts and name it the
current graph in the control graph (:data:`~exokg.sparql.remote.CONTROL_GRAPH`):
the new current is inserted before the old one is deleted, and readers take the
newest, so a reader sees either the old graph or the new one, never a half-loaded
one. Graphs older than the previous version are dropped. The graphs ``exokg index``
derives (the metrics) are left as they are: each is stamped with the version it holds,
and readers expose it to that version only (:mod:`exokg.sparql.remote_write`).

The data version is the one ``exokg serve`` gives the same inputs
(:func:`exokg.store.input_version`: the inputs and the declared build format), so a remote
store and an embedded one built from the same data send the same ETags.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from exokg.errors import RDF_PARSE_ERRORS, ConfigError, not_valid_rdf
from exokg.rdf_terms import rdf12_problem
from exokg.sparql.remote import (
    CONTROL_GRAPH,
    CURRENT,
    INFO,
    STORE_NODE,
    RemoteEndpoint,
    RemoteStore,
    check_engine,
)
from exokg.sparql.remote_write import (
    graph_store_endpoint,
    http_request,
    sparql_literal,
    sparql_update,
)
from exokg.store import bundled_ntriples, dataset_stats, input_version, rdf_format

__all__ = ["LoadResult", "build_payload", "load_remote", "version_graph"]

logger = logging.getLogger(__name__)

_VERSION_GRAPH = "urn:exokg:version:"


def version_graph(version: str) -> str:
    """The named graph holding one data version.

    >>> version_graph("0123abcd")
    'urn:exokg:version:0123abcd'
    """
    return _VERSION_GRAPH + version


@dataclass
class LoadResult:
    """What a load did: the version, its graph, triples, seconds, and whether the
    data was sent (``False``: that version was loaded already)."""

    version: str
    graph: str
    triples: int
    seconds: float
    sent: bool
    dropped: list[str]


def build_payload(folder: Path, *, data_files: Sequence[Path | str] = (),
                  records_dirs: Sequence[Path | str] = ()) -> tuple[str, list[str], Path]:
    """Write the data as one N-Triples file in ``folder``; ``(version, sources, path)``.

    Raises
    ------
    ConfigError
        for a missing or unparseable data file, or one with named graphs (a version is
        one graph).
    RecordError
        for a bad record (file, row, column), as ``exokg build``.
    """
    out = folder / "data.nt"
    # the embedded store's version of the same inputs: the same ETags either way
    files, dirs, version, sources = input_version(data_files, records_dirs)
    if not files:
        out.write_bytes(bundled_ntriples(dirs))
        return version, sources, out
    with out.open("wb") as sink:
        for f in files:
            try:
                quads = ox.parse(path=str(f), format=rdf_format(f))
                ox.serialize(_default_graph_only(quads, f), sink, ox.RdfFormat.N_TRIPLES)
            except RDF_PARSE_ERRORS as err:
                raise not_valid_rdf(f, err) from None
    return version, sources, out


def _default_graph_only(quads, path: Path):
    for quad in quads:
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            raise ConfigError(f"{path}: named graph {quad.graph_name} -- a remote store holds "
                              "each data version as one graph; load default-graph data "
                              "(Turtle, N-Triples)")
        triple = ox.Triple(quad.subject, quad.predicate, quad.object)
        problem = rdf12_problem(triple)
        if problem is not None:
            raise ConfigError(f"{path}: {problem}")
        yield triple


def _loaded_versions(endpoint: RemoteEndpoint) -> dict[str, dict]:
    """The versions the store holds, and their facts; checks the engine (which it is, and
    that it answers whole: :func:`~exokg.sparql.remote.check_engine`)."""
    rows, server = endpoint.select_reply(f"SELECT ?g ?info WHERE {{ GRAPH <{CONTROL_GRAPH}> "
                                         f"{{ ?g <{INFO}> ?info }} }}", timeout=30.0)
    check_engine(endpoint, server=server)
    return {g.value: json.loads(info.value) for g, info in rows
            if g is not None and info is not None}


def _current_graphs(endpoint: RemoteEndpoint) -> list[str]:
    rows = endpoint.select(f"SELECT ?g WHERE {{ GRAPH <{CONTROL_GRAPH}> "
                           f"{{ <{STORE_NODE}> <{CURRENT}> ?g }} }}", timeout=30.0)
    return [r[0].value for r in rows if r[0] is not None]


def _bulk_loaded(store: RemoteStore, path: Path) -> bool:
    """Whether the version graph already holds as many triples as the data (loaded by the
    engine's bulk loader); an incomplete graph is sent again whole."""
    with path.open("rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    return lines > 0 and len(store) == lines


def load_remote(store_url: str, update_url: str, *, graph_store_url: str | None = None,
                data_files: Sequence[Path | str] = (), records_dirs: Sequence[Path | str] = (),
                keep: int = 2, timeout: float = 3600.0,
                bulk_dir: Path | str | None = None) -> LoadResult:
    """Load the data into the remote store and make it the current version.

    Parameters
    ----------
    store_url
        the SPARQL query endpoint (``http://host:7878/query``).
    update_url
        the SPARQL Update endpoint (``http://host:7878/update``).
    graph_store_url
        the Graph Store Protocol endpoint (default: the engine's own beside ``update_url``,
        :func:`~exokg.sparql.remote_write.graph_store_endpoint`).
    keep
        versions kept (the current and the previous by default: readers that started on
        the previous one finish on it).
    bulk_dir
        the engine's own bulk loader loads the data (Virtuoso's ``ld_dir`` and
        ``rdf_loader_run``, see deploy/README.md): the N-Triples are left in this folder
        as ``exokg-<version>.nt`` for it, and the load stops there (``sent`` false);
        once the engine has loaded the version graph, run again without ``bulk_dir``:
        the graph is found whole and only recorded and switched to.

    Raises
    ------
    ConfigError, RecordError
        for bad input (nothing is sent).
    RemoteUnavailable, ExoKGError
        when the engine cannot be reached or refuses a step (the current version stays).
    """
    started = time.monotonic()
    endpoint = RemoteEndpoint(store_url)
    with tempfile.TemporaryDirectory(prefix="exokg-load-") as tmp:
        version, sources, path = build_payload(Path(tmp), data_files=data_files,
                                               records_dirs=records_dirs)
        graph = version_graph(version)
        if bulk_dir is not None:
            target = Path(bulk_dir) / f"exokg-{version}.nt"
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
            logger.info("wrote %s for the bulk loader, into graph %s", target, graph)
            return LoadResult(version, graph, 0, time.monotonic() - started, False, [])
        loaded = _loaded_versions(endpoint)
        gsp = graph_store_endpoint(update_url, graph_store_url, endpoint.engine)
        in_store = RemoteStore(store_url, graph=graph, timeout=timeout)
        sent = False
        if graph not in loaded:
            size = os.path.getsize(path)
            sent = not _bulk_loaded(in_store, path)
            if sent:
                logger.info("loading %d bytes of N-Triples into %s", size, graph)
                with path.open("rb") as body:
                    http_request("PUT", f"{gsp}?graph={quote(graph, safe='')}", body=body,
                                 headers={"Content-Type": "application/n-triples",
                                          "Content-Length": str(size)}, timeout=timeout)
            else:
                logger.info("%s was loaded by the engine's bulk loader", graph)
            stats = dataset_stats(in_store)  # type: ignore[arg-type]
            facts = {"version": version, "triples": stats["triples"], "sources": sources,
                     "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "loaded": time.time(), "stats": stats}
            # recorded only now that the graph is whole: a failed PUT is sent again
            sparql_update(update_url, f"INSERT DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{graph}> "
                                      f"<{INFO}> {sparql_literal(json.dumps(facts))} }} }}",
                          timeout)
            loaded[graph] = facts
    # The switch: the new current first, then the old ones out (never none current).
    old = [g for g in _current_graphs(endpoint) if g != graph]
    sparql_update(update_url, f"INSERT DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{STORE_NODE}> "
                              f"<{CURRENT}> <{graph}> }} }}", timeout)
    if old:
        sparql_update(update_url, " ;\n".join(
            f"DELETE DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{STORE_NODE}> <{CURRENT}> <{g}> }} }}"
            for g in old), timeout)
    order = sorted(loaded, key=lambda g: (g == graph, loaded[g].get("loaded", 0)),
                   reverse=True)
    dropped = order[max(1, keep):]
    for g in dropped:
        sparql_update(update_url, f"DELETE WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ <{g}> <{INFO}> "
                                  f"?i }} }} ;\nDROP SILENT GRAPH <{g}>", timeout)
    result = LoadResult(version, graph, int(loaded[graph]["triples"]),
                        time.monotonic() - started, sent, dropped)
    logger.info("version %s is current (%d triples, %.1f s)", version, result.triples,
                result.seconds)
    return result
