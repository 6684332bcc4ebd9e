"""The service's own status: ``/healthz`` (a real query) and ``/.well-known/void`` (VoID).

Both read the app's :class:`~exokg.sparql.SparqlService`; VoID is negotiated and
validated like the service description (:func:`exokg.server.sparql.graph_reply`).
"""

from __future__ import annotations

import logging

from exokg.errors import StillBuilding
from exokg.server.errors import retry_headers
from exokg.server.sparql import get_config, get_service, graph_reply
from exokg.sparql.describe import void_graph
from flask import Blueprint, Flask, Response, jsonify, request

__all__ = ["bp", "init_app"]

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.route("/.well-known/void", methods=["GET"])
def void() -> Response:
    """The VoID description of the dataset, in the negotiated RDF format."""
    service = get_service()
    base = get_config().public_base_iri
    endpoint = request.host_url.rstrip("/") + "/sparql"
    info, tag = service.snapshot()  # once: a remote store's is read again now and then
    info.require_complete("the VoID description (its statistics)")
    graph = void_graph(base.rstrip("/") + "/dataset", endpoint, info)
    # the body names when the store was loaded (dcterms:modified, which differs between
    # replicas built from the same inputs) and the --data files' names
    reply = graph_reply(graph, environ=request.environ, config=get_config(),
                        version=tag,
                        extra=[info.built, *(src.rsplit("/", 1)[-1] for src in info.sources)])
    return Response(reply.body, status=reply.status, headers=reply.headers)


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    """200 with the store's counts when a real query answers, else 503 (also while the
    store's build goes on: see ``exokg serve``'s early serving)."""
    try:
        service = get_service()
        service.info.require_complete("not ready")  # a balancer sends nothing here yet
        report = service.health()
    except StillBuilding as err:  # loaded, not ready: said, but not logged at every probe
        response = jsonify({"ok": False, "complete": False, "error": str(err)})
        response.status_code = 503
        response.headers.update(retry_headers(err))
        return response
    except Exception as err:  # noqa: BLE001 - any failure means unhealthy
        logger.warning("health check failed: %s", err)
        response = jsonify({"ok": False, "error": str(err)})
        response.status_code = 503
        return response
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the blueprint (after :mod:`exokg.server.sparql`, which holds the service)."""
    app.register_blueprint(bp)
