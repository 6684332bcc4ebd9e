"""The app's rdflib graph: one place says where every blueprint's graph comes from.

With the SPARQL service (``exokg.server.sparql``) it is the service's on-disk store, read
through oxrdflib and keyed by the store's data version, so the pages, the API and
``/sparql`` all show the same data (``--data`` files included). Without the service
(an app built for a unit test), the bundled graph is built once.
"""

from __future__ import annotations

from flask import Flask, current_app
from rdflib import Graph

__all__ = ["app_graph"]


def app_graph(app: Flask | None = None) -> tuple[Graph, str | None]:
    """The graph and its data version (``None`` for a graph built in process)."""
    app = app or current_app._get_current_object()
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
