"""The SPARQL surface: ``/sparql`` (SPARQL 1.1 Protocol).

A thin skin over :class:`exokg.sparql.SparqlService`: it reads the protocol's
parameters, hands the query over, and turns the domain answer
(:class:`~exokg.sparql.QueryAnswer`) into a status and headers (streamed when large).
CORS, security headers and the access log are :mod:`exokg.server.middleware`'s.

One implementation, two doors. :func:`sparql_reply` (pure of Flask: a WSGI environ
in, a :class:`Reply` out) holds the whole protocol logic. The Flask route calls it,
and so does :class:`SparqlFastPath`, a raw WSGI layer in front of Flask that answers
``GET``/``POST /sparql`` without Flask's request machinery: on a small graph most of
a request's time was Flask's, not the query's. Other methods (``OPTIONS``, ``HEAD``,
``PUT`` ...) and every other path go on to Flask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from exokg.config import Config
from exokg.errors import (
    ExoKGError,
    InvalidQuery,
    PreconditionFailed,
    QueryRefused,
    UnsupportedEncoding,
)
from exokg.server.asgi import CANCEL_KEY
from exokg.server.errors import error_reply
from exokg.server.etags import CACHE_CONTROL, request_etag
from exokg.server.middleware import ANSWER_KEY, query_params
from exokg.sparql import QueryAnswer, QueryRequest, SparqlService
from exokg.sparql.describe import service_description
from exokg.sparql.negotiate import negotiate
from exokg.sparql.service import check_if_match, etag_matches
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.wsgi import get_current_url, get_input_stream

__all__ = ["Reply", "SparqlFastPath", "answer_reply", "bp", "get_config", "get_service",
           "graph_reply", "init_app", "sparql_reply"]

logger = logging.getLogger(__name__)

bp = Blueprint("sparql", __name__)

_EXTENSION = "exokg.sparql"
_CONFIG = "exokg.config"
_FORM = "application/x-www-form-urlencoded"
_DIRECT = "application/sparql-query"
_UPDATE = "application/sparql-update"
_STATUS = {200: "200 OK", 304: "304 Not Modified"}


def get_service(app: Flask | None = None) -> SparqlService:
    """The app's :class:`SparqlService` (one per process)."""
    app = app or current_app
    return app.extensions[_EXTENSION]


def get_config(app: Flask | None = None) -> Config:
    """The app's typed :class:`~exokg.config.Config`."""
    app = app or current_app
    return app.extensions[_CONFIG]


@dataclass
class Reply:
    """What to send for one request: status, headers, body (bytes or chunks)."""

    status: int
    headers: dict[str, str]
    body: bytes | Iterable[bytes]


# --- protocol parameters (pure: a WSGI environ in) ----------------------------------

def _read_body(environ: dict[str, Any], cap: int) -> bytes:
    coding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if coding not in ("", "identity"):
        raise UnsupportedEncoding(f"a request body with Content-Encoding {coding!r} is not "
                                  "read here; send it uncompressed")
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > cap:
        raise RequestEntityTooLarge(f"request body over {cap} bytes")
    data = get_input_stream(environ).read(cap + 1)
    if len(data) > cap:
        raise RequestEntityTooLarge(f"request body over {cap} bytes")
    return data


def _decode(data: bytes, charset: str | None) -> str:
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii"):
        raise InvalidQuery(f"charset {charset!r} is not supported; send UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidQuery(f"the request body is not valid UTF-8: {err}") from None


def _url_params(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The URL's parameters (a query string that is not UTF-8, or holds a NUL, is refused
    before any view: :func:`exokg.server.errors.init_app`)."""
    text = environ.get("QUERY_STRING", "")
    return list(query_params(text)) if text else []


def request_params(environ: dict[str, Any], *, max_body: int) -> list[tuple[str, str]]:
    """The protocol parameters of a request, in order, repeated ones kept.

    Raises
    ------
    InvalidQuery, QueryRefused, RequestEntityTooLarge
        for a body of another media type, an update, a body over ``max_body`` bytes.
    """
    params = _url_params(environ)
    if environ.get("REQUEST_METHOD") != "POST":
        return params
    mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    mimetype = mimetype.lower()
    if mimetype == _FORM:
        text = _decode(_read_body(environ, max_body), options.get("charset"))
        try:
            params += parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                errors="strict")
        except UnicodeDecodeError as err:
            raise InvalidQuery(f"a form value is not valid UTF-8: {err}") from None
        return params
    if mimetype == _DIRECT:
        params.append(("query", _decode(_read_body(environ, max_body), options.get("charset"))))
        return params
    if mimetype == _UPDATE:
        if any(k == "query" for k, _ in params):
            raise InvalidQuery("a request may carry a query or an update, not both")
        raise QueryRefused("SPARQL Update is not allowed: this endpoint is read-only")
    raise InvalidQuery(
        f"POST to /sparql needs Content-Type {_FORM} or {_DIRECT}, not "
        f"{mimetype or 'none'!r}")


def _one(params: list[tuple[str, str]]) -> str:
    queries = [v for k, v in params if k == "query"]
    updates = [v for k, v in params if k == "update"]
    if queries and updates:
        raise InvalidQuery("a request may carry a query or an update, not both")
    if updates:
        raise QueryRefused("SPARQL Update is not allowed: this endpoint is read-only")
    if len(queries) != 1:
        raise InvalidQuery("give exactly one 'query' parameter" if queries else
                           "missing 'query' parameter (GET /sparql without parameters "
                           "returns the service description)")
    if not queries[0].strip():
        raise InvalidQuery("the 'query' parameter is empty")
    return queries[0]


# --- replies (pure) ------------------------------------------------------------------

def graph_reply(graph, *, environ: Mapping[str, Any], config: Config, version: str,
                extra: Iterable[str] = ()) -> Reply:
    """A description graph (service description, VoID) in the negotiated RDF format,
    with the ETag of :func:`exokg.server.etags.request_etag` (``extra``: what else the
    body depends on) and 304 on a match."""
    names = [v for k, v in _url_params(environ) if k == "format"]
    _, fmt = negotiate(environ.get("HTTP_ACCEPT"), format_name=names)
    if fmt is None:
        _, fmt = negotiate(None)
    assert fmt is not None  # Turtle, without an Accept header
    etag = request_etag(environ, config, version=version, representation=fmt.name,
                        extra=extra)
    headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": CACHE_CONTROL}
    check_if_match(environ.get("HTTP_IF_MATCH"), etag)
    if etag_matches(environ.get("HTTP_IF_NONE_MATCH"), etag):
        return Reply(304, headers, b"")
    mime = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Reply(200, {**headers, "Content-Type": mime}, fmt.writer(graph))


def answer_reply(answer: QueryAnswer) -> Reply:
    """The HTTP form of a query's answer: 304 or 200, validators, the media type and the
    truncation headers."""
    headers = {"ETag": answer.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept",
               "X-ExoKG-Data-Version": answer.data_version}
    if answer.not_modified:
        return Reply(304, headers, b"")
    media_type = answer.media_type or ""
    headers["Content-Type"] = (f"{media_type}; charset=utf-8" if media_type.startswith("text/")
                               else media_type)
    if answer.truncated:
        headers["X-Result-Truncated"] = "true"
        headers["X-Result-Max-Rows"] = str(answer.max_rows)
    return Reply(200, headers, answer.body)


def sparql_reply(service: SparqlService, environ: dict[str, Any], config: Config) -> Reply:
    """Answer one ``GET``/``POST /sparql`` request: a query's answer (200 or 304), or the
    service description for a ``GET`` without parameters.

    Raises
    ------
    ExoKGError
        a refused or failed query (its ``status``: 400, 403, 406, 503 ...).
    HTTPException
        a body over ``MAX_BODY_BYTES`` (413).
    """
    params = request_params(environ, max_body=config.max_body_bytes)
    if not params and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        base_url = get_current_url(environ, strip_querystring=True)
        info, tag = service.snapshot()  # one read: the body and its ETag agree
        graph = service_description(base_url, info, config)
        return graph_reply(graph, environ=environ, config=config, version=tag)
    text = _one(params)
    default = [v for k, v in params if k == "default-graph-uri"]
    named = [v for k, v in params if k == "named-graph-uri"]
    answer = service.query(QueryRequest(
        query=text, accept=environ.get("HTTP_ACCEPT"),
        format_name=[v for k, v in params if k == "format"],
        default_graphs=default or None, named_graphs=named or None,
        if_none_match=environ.get("HTTP_IF_NONE_MATCH"), if_match=environ.get("HTTP_IF_MATCH"),
        cancel=environ.get(CANCEL_KEY)))
    environ[ANSWER_KEY] = answer  # for the access log
    if answer.not_modified and environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        raise PreconditionFailed(
            "If-None-Match names this answer, and a POST is not answered 304 (RFC 9110, "
            "13.1.2): send the query with GET to revalidate it, or leave If-None-Match out")
    return answer_reply(answer)


# --- the WSGI fast path --------------------------------------------------------------

class SparqlFastPath:
    """WSGI middleware answering ``GET``/``POST /sparql`` through :func:`sparql_reply`
    before any Flask machinery; every other request goes to ``wsgi_app`` (Flask).

    Sends what the Flask route would: the same reply and the same error bodies
    (:func:`exokg.server.errors.error_reply`).
    """

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.config = get_config(app)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != "/sparql" or method not in ("GET", "POST"):
            return self.wsgi_app(environ, start_response)
        try:
            reply = sparql_reply(get_service(self.app), environ, self.config)
        except (ExoKGError, HTTPException) as err:
            reply = Reply(*error_reply(err, method=method, path="/sparql",
                                       accept=environ.get("HTTP_ACCEPT")))
        headers = list(reply.headers.items())
        body = reply.body
        if isinstance(body, bytes):
            if reply.status != 304:
                headers.append(("Content-Length", str(len(body))))
            # a list: the server sends it in one go (granian: without iterating in Python)
            chunks: Iterable[bytes] = [body] if body else []
        else:
            chunks = body
        start_response(_STATUS.get(reply.status) or _status_line(reply.status), headers)
        return chunks


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


# --- Flask routes --------------------------------------------------------------------

def _response(reply: Reply) -> Response:
    if isinstance(reply.body, bytes):
        return Response(reply.body, status=reply.status, headers=reply.headers)
    return Response(reply.body, status=reply.status, headers=reply.headers,
                    direct_passthrough=True)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """The same protocol as :class:`SparqlFastPath` (which answers GET/POST first when
    installed); reached through Flask for HEAD, or when the fast path is off."""
    return _response(sparql_reply(get_service(), request.environ, get_config()))


def init_app(app: Flask) -> None:
    """Register the blueprint, the per-process :class:`SparqlService` (closed by the
    server's lifecycle, see :mod:`exokg.cli.serve`), and the WSGI fast path for
    ``/sparql`` in front of Flask."""
    app.extensions[_EXTENSION] = SparqlService(get_config(app))
    app.register_blueprint(bp)
    app.wsgi_app = SparqlFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
