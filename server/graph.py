"""Where the pages read the store from: the SPARQL service and the artifacts built with it.

Pages read the store only through the service's bounded read path
(:meth:`~exokg.sparql.SparqlService.select` / ``construct``) and through the facets
artifact (:mod:`exokg.facets`), read by IRI; never through an rdflib or networkx view of
the whole store.
"""

from __future__ import annotations

import logging
import threading

from exokg.facets import Facets, store_facets
from exokg.sparql import SparqlService
from flask import Flask, current_app

__all__ = ["app_facets", "app_reader"]

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
