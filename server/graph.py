"""Where the pages read the store from: the SPARQL service and the artifacts built with it.

Pages read the store only through the service's bounded read path
(:meth:`~exokg.sparql.SparqlService.select` / ``construct``) and through the facets
artifact (:mod:`exokg.facets`), read by IRI. :func:`app_graph`, an rdflib view of the
whole store, is left only for the API routes that still project it (scale work in
progress); no page uses it.
"""

from __future__ import annotations

import logging
import threading

from exokg.facets import Facets, store_facets
from exokg.sparql import SparqlService
from flask import Flask, current_app
from rdflib import Graph

__all__ = ["app_facets", "app_graph", "app_reader"]

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()


def app_reader(app: Flask | None = None) -> SparqlService:
    """The bounded read path of the app (its SPARQL service)."""
    from exokg.server.sparql import get_service

    return get_service(app)


def app_facets(app: Flask | None = None) -> Facets:
    """The facets artifact of the app's store (per data version)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    info = app_reader(app).info
    cached = app.extensions.get("exokg_facets")
    if cached is None or cached[0] != info.version:
        with _LOCK:
            cached = app.extensions.get("exokg_facets")
            if cached is None or cached[0] != info.version:
                cached = (info.version, store_facets(info))
                app.extensions["exokg_facets"] = cached
    return cached[1]


def app_graph(app: Flask | None = None) -> tuple[Graph, str | None]:
    """The whole store as an rdflib graph, and its data version.

    Only the API's projection still reads it (``exokg.server.api.projection``); pages
    do not. To be removed when the API reads through the service.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    service = app.extensions.get("exokg.sparql")
    if service is not None:
        info = service.info
        cached = app.extensions.get("exokg_graph_store")
        if cached is None or cached[0] != info.version:
            from exokg.store import open_graph
            from exokg.vocab import bind_prefixes

            cached = (info.version, bind_prefixes(open_graph(info.path)))
            app.extensions["exokg_graph_store"] = cached
        return cached[1], cached[0]
    graph = app.extensions.get("exokg_graph")
    if graph is None:
        from exokg.build import build_graph

        graph = app.extensions["exokg_graph"] = build_graph(app.config.get("RECORDS_DIRS") or ())
    return graph, app.extensions.get("exokg_graph_version")
