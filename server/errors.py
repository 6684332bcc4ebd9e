"""One error handler: an :class:`~kg.errors.ExoKGError` becomes its ``.status`` and a body.

Everywhere the body is JSON, ``{"ok": false, "error": message, "status": status}``.
On the SPARQL surface (``/sparql``) clients expect the protocol's plain-text error
message, so there it is ``text/plain`` unless the client prefers JSON; HTTP errors
raised by Flask there (405, 413) get the same treatment.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from kg.errors import ExoKGError

__all__ = ["error_response", "init_app"]

logger = logging.getLogger(__name__)

_SPARQL_PATHS = ("/sparql",)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(
        ["text/plain", "application/json", "application/sparql-results+json"],
        default="text/plain")
    return "json" in best


def error_response(message: str, status: int) -> Response:
    """The error body for the current request (plain text on /sparql, else JSON)."""
    sparql = request.path.startswith(_SPARQL_PATHS)
    if sparql and not _wants_json():
        return Response(message + "\n", status=status, mimetype="text/plain")
    response = jsonify({"ok": False, "error": message, "status": status})
    response.status_code = status
    return response


def _handle_exokg(err: ExoKGError) -> Response:
    status = getattr(err, "status", 500)
    if status >= 500:
        logger.warning("%s %s: %s: %s", request.method, request.path, type(err).__name__, err)
    return error_response(str(err), status)


def _handle_http(err: HTTPException):
    if not request.path.startswith(_SPARQL_PATHS):
        return err
    response = error_response(err.description or err.name, err.code or 500)
    for key in ("Allow", "Retry-After"):
        if err.get_headers() and dict(err.get_headers()).get(key):
            response.headers[key] = dict(err.get_headers())[key]
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(ExoKGError, _handle_exokg)
    app.register_error_handler(HTTPException, _handle_http)
