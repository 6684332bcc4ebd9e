"""One error handler: an :class:`~exokg.errors.ExoKGError` becomes its ``.status`` and a body.

Everywhere the body is JSON, ``{"ok": false, "error": message, "status": status}``.
On the SPARQL surface (``/sparql``) clients expect the protocol's plain-text error
message, so there it is ``text/plain`` unless the client prefers JSON; HTTP errors
raised by Flask there (405, 413) get the same treatment, and so do those under
``/api/`` (an unknown route is a JSON 404, a wrong method a JSON 405). Elsewhere an HTTP
error is the site's error page, or its JSON twin (``.json``, ``Accept``).

:func:`error_reply` is pure of Flask (a status, headers and a body from an exception,
the path and the Accept header): the Flask handlers here and the WSGI fast path of
``/sparql`` (:mod:`exokg.server.sparql`) both send what it returns.
"""

from __future__ import annotations

import json
import logging

from exokg.errors import ExoKGError
from exokg.sparql.negotiate import preferred
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

__all__ = ["error_parts", "error_reply", "error_response", "init_app", "log_failure",
           "retry_headers", "site_error"]

logger = logging.getLogger(__name__)

_SPARQL_PATHS = ("/sparql",)
#: Paths whose HTTP errors (an unknown route, a wrong method) are JSON, not HTML pages.
_JSON_PATHS = ("/api/", "/sparql")


#: The headers an error's own body sets (the others of an HTTPException are kept).
_BODY_HEADERS = frozenset({"content-type", "content-length"})

#: An error body's media types, plain text first (it wins a tie).
_ERROR_TYPES = ("text/plain", "application/json", "application/sparql-results+json")


def _wants_json(accept: str | None) -> bool:
    best = preferred(accept, _ERROR_TYPES)
    return isinstance(best, str) and "json" in best


def retry_headers(err: Exception) -> dict[str, str]:
    """``Retry-After`` for an error that says when to come back (its ``retry_after``).

    >>> from exokg.errors import ArtifactMissing, InvalidQuery
    >>> retry_headers(ArtifactMissing("x")), retry_headers(InvalidQuery("x"))
    ({'Retry-After': '30'}, {})
    """
    seconds = getattr(err, "retry_after", None)
    return {} if seconds is None else {"Retry-After": str(seconds)}


def error_parts(message: str, status: int, *, path: str, accept: str | None
                ) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` of an error: plain text on /sparql unless JSON is
    preferred, else ``{"ok": false, "error": ..., "status": ...}``."""
    if path.startswith(_SPARQL_PATHS) and not _wants_json(accept):
        return status, {"Content-Type": "text/plain; charset=utf-8"}, (message + "\n").encode()
    body = json.dumps({"error": message, "ok": False, "status": status},
                      separators=(",", ":")) + "\n"
    return status, {"Content-Type": "application/json"}, body.encode()


def error_reply(err: Exception, *, method: str, path: str, accept: str | None
                ) -> tuple[int, dict[str, str], bytes]:
    """``(status, headers, body)`` for an :class:`ExoKGError` or an ``HTTPException``
    (keeping its ``Allow`` and ``Retry-After`` headers); logs server-side failures."""
    if isinstance(err, HTTPException):
        status, headers, body = error_parts(err.description or err.name, err.code or 500,
                                            path=path, accept=accept)
        for key, value in err.get_headers():  # Allow, Retry-After, Content-Range ...
            if key.lower() not in _BODY_HEADERS:
                headers[key] = value
        return status, headers, body
    status = getattr(err, "status", 500)
    log_failure(err, method, path)
    status, headers, body = error_parts(str(err), status, path=path, accept=accept)
    return status, {**headers, **retry_headers(err), **getattr(err, "headers", {})}, body


def log_failure(err: Exception, method: str, path: str) -> None:
    """A server-side failure (5xx) in the log. An expected condition (a store still
    building) is said in the reply and in the access log: not a warning at every request
    of the window (a 501 is: a program to install)."""
    if getattr(err, "status", 500) >= 500 and not getattr(err, "expected", False):
        logger.warning("%s %s: %s: %s", method, path, type(err).__name__, err)


def error_response(message: str, status: int) -> Response:
    """The error body for the current request (plain text on /sparql, else JSON)."""
    status, headers, body = error_parts(message, status, path=request.path,
                                        accept=request.headers.get("Accept"))
    return Response(body, status=status, headers=headers)


def _reply(err: Exception) -> Response:
    status, headers, body = error_reply(err, method=request.method, path=request.path,
                                        accept=request.headers.get("Accept"))
    return Response(body, status=status, headers=headers)


def site_error(err: ExoKGError | HTTPException) -> Response:
    """``err`` in the current request's form: JSON (or /sparql's text) under /api and
    /sparql; elsewhere the site's error page, or its JSON twin (``.json``, ``Accept``),
    not Flask's bare HTML. The error's own headers are kept (``Allow``, ``Retry-After``,
    ``Content-Range`` ...)."""
    if (request.path + "/").startswith(_JSON_PATHS):
        return _reply(err)
    from exokg.server.ui import error_page

    if isinstance(err, HTTPException):
        status, message = err.code or 500, err.description or err.name
        extra = list(err.get_headers())
    else:
        log_failure(err, request.method, request.path)
        status, message = err.status, str(err)
        extra = [*retry_headers(err).items(), *getattr(err, "headers", {}).items()]
    response = error_page(status, message, fmt="json" if request.path.endswith(".json") else None)
    for key, value in extra:
        if key.lower() not in _BODY_HEADERS:
            response.headers[key] = value
    return response


def _refuse_bad_params() -> None:
    """Refuse URL parameters that are not UTF-8 or hold a NUL, before any view runs, so
    that each route answers it in its own form (the 400 page, JSON, /sparql's text)."""
    from exokg.server.middleware import query_params

    query_params(request.environ.get("QUERY_STRING", ""))


def init_app(app: Flask) -> None:
    # a page's own error (a 503 at the time limit, a 422) is the site's error page, as a
    # 404 is: it was JSON on every path
    app.register_error_handler(ExoKGError, site_error)
    app.register_error_handler(HTTPException, site_error)
    # first, before the ETag rule's hook reads anything of the request
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_bad_params)
