"""A worker's warm-up: the app answers requests like its users' before it serves.

Without it a worker's first requests pay for what loads lazily: imports, Jinja's
template compilation, the artifacts' first reads (SQLite files, memory-mapped arrays)
and the query executors' cold store caches; at 10^5 findings the first entity page
took four times its tenth. :func:`warm_up` compiles networkx's lazily compiled wrappers
(:func:`exokg.algorithms.compile_networkx`), then runs one request per surface (home, search,
the entity page and its JSON twin of the store's hub and of a typical molecule,
neighbourhood, path, rank, evidence, conflicts, the query page, ``/sparql``) about
nodes drawn from the store's artifacts (:func:`exokg.warmup.representative_nodes`),
in-process and past the access log, records the SPARQL they issue and replays those on
every other executor (each has its own store caches), then empties the result cache,
so that no user's answer comes from the warm-up.

>>> import tempfile
>>> from exokg.server import create_app
>>> app = create_app({"TESTING": True, "STORE_DIR": tempfile.mkdtemp()})
>>> report = warm_up(app)
>>> report["failed"], report["refused"], report["requests"] > 10
([], [], True)
>>> get_service_of(app).close()
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from typing import Any

from exokg.sparql.service import SparqlService, start_recording
from flask import Flask
from werkzeug.test import Client

__all__ = ["get_service_of", "warm_paths", "warm_up"]

logger = logging.getLogger(__name__)


def get_service_of(app: Flask) -> SparqlService:
    """The app's SPARQL service."""
    from exokg.server.sparql import get_service

    return get_service(app)


def _q(**params: str) -> str:
    return urllib.parse.urlencode(params)


def warm_paths(app: Flask, nodes: dict[str, str]) -> list[tuple[str, str]]:
    """The ``(path, Accept)`` requests of the warm-up for the representative ``nodes``."""
    from exokg.server.ui import local_url

    paths = [("/", "text/html"), ("/.json", "application/json"),
             ("/api/conflicts", "application/json"),
             ("/query", "text/html"), ("/sparql?" + _q(query="ASK { ?s ?p ?o }"),
                                       "application/sparql-results+json")]
    molecule, hub, end = nodes.get("molecule"), nodes.get("hub"), nodes.get("path_end")
    with app.test_request_context():
        pages = [local_url(n) for n in (hub, molecule) if n]
    for page in pages:
        if page.startswith("/"):
            paths += [(page, "text/html"), (page + ".json", "application/json")]
    if hub:
        paths.append(("/api/neighborhood?" + _q(node=hub, depth="1"), "application/json"))
    if molecule:
        name = molecule.rstrip("/").rsplit("/", 1)[-1]
        paths += [("/search?" + _q(q=name), "text/html"),
                  ("/api/entities?" + _q(q=name), "application/json"),
                  ("/api/neighborhood?" + _q(node=molecule, depth="2"), "application/json"),
                  ("/api/evidence?" + _q(node=molecule), "application/json"),
                  ("/api/rank?" + _q(metric="pagerank"), "application/json")]
        if end:
            paths.append(("/api/path?" + _q(source=end, target=molecule, k="3"),
                          "application/json"))
    return paths


def warm_up(app: Flask) -> dict[str, Any]:
    """Warm the app and its executors (see the module docs); never raises.

    Returns
    -------
    dict
        ``requests`` made, ``failed`` (paths answered with a 5xx or an error),
        ``refused`` (answered 4xx: the request warmed less than it was meant to),
        ``queries`` replayed, ``executors`` warmed, and ``seconds``.
    """
    from exokg.algorithms import compile_networkx
    from exokg.store_source import index_folder
    from exokg.terms import known_kinds, known_predicates
    from exokg.warmup import representative_nodes

    started = time.perf_counter()
    report: dict[str, Any] = {"requests": 0, "failed": [], "refused": [], "queries": 0,
                              "executors": 0}
    service = get_service_of(app)
    try:
        compile_networkx()
        # the vocabulary, parsed by rdflib on the first type= or predicates= (at 10^6
        # findings a rank by type took 50 ms the first time, 11 ms the tenth)
        known_kinds(), known_predicates()
    except Exception:  # noqa: BLE001 - a warm-up never stops a worker from serving
        logger.exception("warm-up: compiling networkx's wrappers or reading the vocabulary "
                         "failed")
    try:
        nodes = representative_nodes(index_folder(service.info))
    except Exception:  # noqa: BLE001 - a warm-up never stops a worker from serving
        logger.exception("warm-up: choosing the nodes failed")
        nodes = {}
    # the app inside the access-log middleware: warm-up requests are not users'
    client = Client(getattr(app.wsgi_app, "app", app.wsgi_app))
    queries: list[str] = []
    for path, accept in warm_paths(app, nodes):
        issued = start_recording()
        try:
            response = client.get(path, headers={"Accept": accept})
            failed = response.status_code >= 500
            if 400 <= response.status_code < 500:
                report["refused"].append(path)
            response.close()
        except Exception:  # noqa: BLE001
            logger.exception("warm-up: %s failed", path)
            failed = True
        report["requests"] += 1
        if failed:
            report["failed"].append(path)
        queries += [q["query"] for q in issued]
    try:
        # every executor runs what the requests issued (the first one ran it already)
        report["executors"] = service.warm(queries)
        report["queries"] = len(set(queries))
    except Exception:  # noqa: BLE001
        logger.exception("warm-up: replaying the queries failed")
    service.cache.clear()
    report["seconds"] = round(time.perf_counter() - started, 3)
    logger.info("warm-up: %d requests (%d failed, %d refused: %s), %d queries on %d "
                "executors in %.2f s", report["requests"], len(report["failed"]),
                len(report["refused"]), ", ".join(report["refused"]) or "none", report["queries"],
                report["executors"], report["seconds"])
    return report
