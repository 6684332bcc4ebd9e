"""The validator rule of the web service: one strong ETag for every cacheable GET/HEAD.

An ETag is known before the handler runs. :func:`request_etag` makes it from all a body
depends on: the running code (:func:`exokg.release.make_etag`), the store's data version,
the URL as the client sent it (scheme, ``Host``, path, query string: pages and the API
print it), the representation the ``Accept`` header picks, and the settings that change
bodies (:data:`BODY_SETTINGS`). So two replicas on the same data give the same ETag for
the same URL, and an ``If-None-Match`` that names it is answered 304 before any query
runs: a revalidation costs the store nothing. Where the data may hold blank nodes, whose
names are each build's own, the version names the build too
(:attr:`exokg.store_layout.StoreInfo.tag`).

The rule, in one place:

- :func:`init_app` (called by the app factory) answers the surfaces of :func:`_surfaces`
  (entity pages and their JSON/RDF twins, the other pages, ``/api/*`` including the
  whole-graph exports, which are deterministic, ``/openapi.json``) with ``ETag``,
  ``Cache-Control: public, no-cache`` and, where ``Accept`` picks the representation,
  ``Vary: Accept``; ``HEAD`` gets the same ETag as ``GET``.
- No ETag on an error (any status but 200/206/304), on a response that sets a cookie, on
  any method but GET/HEAD, on ``/healthz`` and on static files (which carry their own).
  A handler may set the same ETag itself (:func:`current_etag`: a ``Range`` request's
  ``If-Range`` is judged against it); the part of a file (206) gets the rule too.
- ``/sparql`` (its answers, keyed by the query in the library, and the service
  description) and VoID answer in their own handlers, with ETags from the same
  :func:`exokg.release.make_etag` (the description and VoID through
  :func:`request_etag`).
- ``If-None-Match: *`` means "any representation": it is a 304 only once the handler has
  found one (a 404 stays a 404).
- An ``If-Match`` that names neither the ETag nor ``*`` is a 412 where the answer would
  have been a 200 (a missing node stays a 404: RFC 9110, 13.2.1), in the request's form.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from exokg.config import Config
from exokg.errors import ExoKGError, PreconditionFailed
from exokg.release import make_etag
from exokg.server.errors import site_error
from exokg.sparql.service import check_if_match, etag_matches, if_match_holds
from flask import Flask, Response, g, request
from werkzeug.http import parse_range_header
from werkzeug.wsgi import get_current_url

__all__ = ["BODY_SETTINGS", "CACHE_CONTROL", "current_etag", "init_app", "judge_now",
           "range_request", "request_etag"]

logger = logging.getLogger(__name__)

#: Sent with every ETag: any cache may keep the body, and must revalidate it each time.
CACHE_CONTROL = "public, no-cache"

#: The settings a body prints or is cut by (the base of its IRIs, row caps, the limits
#: the service description states); replicas behind one balancer share them.
BODY_SETTINGS = ("public_base_iri", "max_rows", "max_radius", "query_timeout",
                 "max_body_bytes", "service_allowlist")

_KEY = "exokg_etag"


def request_etag(environ: Mapping[str, Any], config: Config, *, version: str,
                 representation: str, extra: Iterable[str] = ()) -> str:
    """The strong ETag of the answer to the GET request ``environ``.

    Parameters
    ----------
    environ
        the WSGI environ: its URL (scheme, host, path and query string, as sent) is part
        of the tag.
    config
        the settings; those of :data:`BODY_SETTINGS` are part of the tag.
    version
        the store's data version.
    representation
        what content negotiation picked (a format's name; ``""`` where nothing is
        negotiated).
    extra
        anything else this body depends on (VoID: the time its store was loaded).

    Examples
    --------
    >>> from exokg.config import Config
    >>> env = {"wsgi.url_scheme": "http", "HTTP_HOST": "kg.example", "PATH_INFO": "/id/x",
    ...        "QUERY_STRING": "page=2"}
    >>> tag = request_etag(env, Config.load({}), version="v1", representation="html")
    >>> tag == request_etag(dict(env), Config.load({}), version="v1", representation="html")
    True
    >>> tag != request_etag(env, Config.load({}), version="v1", representation="json")
    True
    >>> tag != request_etag(env, Config.load({"MAX_ROWS": 5}), version="v1",
    ...                     representation="html")
    True
    """
    settings = [f"{name}={getattr(config, name)!r}" for name in BODY_SETTINGS]
    return make_etag(version, get_current_url(dict(environ)), representation, *settings, *extra)


def current_etag() -> str | None:
    """The ETag the rule gives the request being answered (``None``: it gives none), for a
    handler that needs it before its answer is made: a ``Range`` request's ``If-Range``.
    """
    found = g.get(_KEY)
    return found[0] if found is not None else None


def judge_now() -> Response | None:
    """The rule's preconditions judged before the handler does its work, by a handler that
    knows its resource exists (a whole-graph export of a known format): raises
    :class:`~exokg.errors.PreconditionFailed` for a false ``If-Match``, and gives the 304
    of an ``If-None-Match: *``, so that neither first runs the work it would throw away
    (a network format's scan of the store). Else ``None``: the handler answers."""
    found = g.get(_KEY)
    if found is None:
        return None
    check_if_match(request.headers.get("If-Match"), found[0])
    if etag_matches(request.headers.get("If-None-Match"), found[0]):
        return _validators(Response(status=304), *found)
    return None


#: The preconditions the rule judges itself (werkzeug's own answered a false If-Match
#: with a 412 that carried the whole file).
_PRECONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
                  "HTTP_IF_UNMODIFIED_SINCE")


def range_request(environ: Mapping[str, Any]) -> dict[str, Any]:
    """The request as werkzeug's range handling (``make_conditional``) is to see it: its
    ``Range`` and ``If-Range`` only, the other preconditions being the rule's. A
    ``Range`` that is not one valid range of bytes (several parts, another unit, not
    valid), or under a weak ``If-Range``, is left out: the whole answer is then a 200
    (RFC 9110, 14.2 lets a server ignore a ``Range``, and has it ignore a unit it does
    not know or a range not valid; 13.1.5 has ``If-Range`` compared strongly), where
    werkzeug answered 416 or 206. A valid range past the end stays a 416.

    >>> env = {"HTTP_RANGE": "bytes=0-9", "HTTP_IF_MATCH": '"a"', "REQUEST_METHOD": "GET"}
    >>> range_request(env)
    {'HTTP_RANGE': 'bytes=0-9', 'REQUEST_METHOD': 'GET'}
    >>> "HTTP_RANGE" in range_request({**env, "HTTP_RANGE": "bytes=0-1,5-9"})
    False
    >>> "HTTP_RANGE" in range_request({**env, "HTTP_IF_RANGE": 'W/"a"'})
    False
    >>> ["HTTP_RANGE" in range_request({**env, "HTTP_RANGE": asked})
    ...  for asked in ("items=0-9", "bytes=abc", "bytes=5-2", "bytes=99-")]
    [False, False, False, True]
    """
    kept = {key: value for key, value in environ.items() if key not in _PRECONDITIONS}
    asked = kept.get("HTTP_RANGE")
    if asked is not None:
        parsed = parse_range_header(asked)
        if (parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1
                or kept.get("HTTP_IF_RANGE", "").lstrip().startswith("W/")):
            del kept["HTTP_RANGE"]
    return kept


def _surfaces() -> dict[str, Callable[[], str] | None]:
    """Blueprint name -> what its ``Accept`` negotiation picks (``None``: its answers do
    not depend on ``Accept``); the blueprints that get the rule."""
    from exokg.server.ld import negotiate
    from exokg.server.ui import wants_json

    return {"ld": negotiate, "ui": lambda: "json" if wants_json() else "html",
            "api": None, "openapi": None}


def _validators(response: Response, etag: str, vary: bool) -> Response:
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    if vary:
        response.vary.add("Accept")
    return response


def init_app(app: Flask) -> None:
    """Install the rule (after :mod:`exokg.server.sparql`, which holds the service)."""
    from exokg.server.sparql import get_config, get_service

    surfaces = _surfaces()
    config = get_config(app)

    @app.before_request
    def _revalidate() -> Response | None:
        if request.method not in ("GET", "HEAD") or request.blueprint not in surfaces:
            return None
        negotiate = surfaces[request.blueprint]
        try:
            version = get_service(app).data_tag
        except ExoKGError as err:  # no store: the handler answers (or fails) as it would
            logger.debug("no ETag for %s: %s", request.path, err)
            return None
        etag = request_etag(request.environ, config, version=version,
                            representation=negotiate() if negotiate else "")
        setattr(g, _KEY, (etag, negotiate is not None))
        if not if_match_holds(request.headers.get("If-Match"), etag):
            return None  # the handler tells whether there is a resource to be a 412 of
        wanted = request.headers.get("If-None-Match")
        if wanted and "*" not in wanted and etag_matches(wanted, etag):
            return Response(status=304)  # no handler, no query
        return None

    @app.after_request
    def _validate(response: Response) -> Response:
        found = g.pop(_KEY, None)
        if (found is None or response.status_code not in (200, 206, 304)
                or "Set-Cookie" in response.headers
                or response.headers.get("ETag", found[0]) != found[0]):
            return response
        etag, vary = found
        try:
            check_if_match(request.headers.get("If-Match"), etag)
        except PreconditionFailed as err:
            response.close()
            return site_error(err)
        if response.status_code in (200, 206) and etag_matches(
                request.headers.get("If-None-Match"), etag):
            response.close()  # If-None-Match: *, now that a representation exists
            response = Response(status=304)
        return _validators(response, etag, vary)
