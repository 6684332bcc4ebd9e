"""The SPARQL surface: ``/sparql`` (SPARQL 1.1 Protocol), ``/.well-known/void``, ``/healthz``.

A thin skin over :class:`kg.sparql.SparqlService`: it reads the protocol's
parameters, hands the query over, and sends the answer (streamed when large).
It also installs the structured access log and CORS for these routes.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import time
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_options_header

from kg.errors import InvalidQuery, QueryRefused
from kg.sparql import QueryRequest, SparqlService
from kg.sparql.describe import service_description, void_graph
from kg.sparql.negotiate import negotiate

__all__ = ["bp", "get_service", "init_app"]

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("exokg.access")

bp = Blueprint("sparql", __name__)

_EXTENSION = "exokg.sparql"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept, If-None-Match",
    "Access-Control-Expose-Headers": "ETag, X-Result-Truncated, X-Result-Max-Rows, "
                                     "X-ExoKG-Data-Version",
    "Access-Control-Max-Age": "86400",
}
_FORM = "application/x-www-form-urlencoded"
_DIRECT = "application/sparql-query"
_UPDATE = "application/sparql-update"


def get_service(app: Flask | None = None) -> SparqlService:
    """The app's :class:`SparqlService` (one per process)."""
    app = app or current_app
    return app.extensions[_EXTENSION]


# --- protocol parameters -------------------------------------------------------------

def _read_body() -> bytes:
    cap = current_app.config["MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > cap:
        raise RequestEntityTooLarge(f"request body over {cap} bytes")
    data = request.stream.read(cap + 1)
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


def _params() -> list[tuple[str, str]]:
    """The protocol parameters of this request, in order, repeated ones kept."""
    params = list(request.args.items(multi=True))
    if request.method != "POST":
        return params
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    mimetype = mimetype.lower()
    if mimetype == _FORM:
        text = _decode(_read_body(), options.get("charset"))
        try:
            params += parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                                errors="strict")
        except UnicodeDecodeError as err:
            raise InvalidQuery(f"a form value is not valid UTF-8: {err}") from None
        return params
    if mimetype == _DIRECT:
        params.append(("query", _decode(_read_body(), options.get("charset"))))
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


# --- routes --------------------------------------------------------------------------

def _graph_response(graph, *, etag_seed: str) -> Response:
    fmt_name = request.args.get("format")
    _, fmt = negotiate(request.headers.get("Accept"), format_name=fmt_name)
    if fmt is None:
        _, fmt = negotiate(None)
    etag = '"' + hashlib.sha256(f"{etag_seed}\x00{fmt.name}".encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Vary": "Accept", "Cache-Control": "public, no-cache"}
    if request.if_none_match and etag.strip('"') in request.if_none_match:
        return Response(status=304, headers=headers)
    mime = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    return Response(fmt.writer(graph), headers={**headers, "Content-Type": mime})


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    service = get_service()
    params = _params()
    if request.method == "GET" and not params:
        graph = service_description(request.base_url, service.info, current_app.config)
        return _graph_response(graph, etag_seed=f"sd\x00{service.info.version}\x00"
                                                f"{request.base_url}")
    text = _one(params)
    answer = service.query(QueryRequest(
        query=text, accept=request.headers.get("Accept"),
        format_name=next((v for k, v in params if k == "format"), None),
        default_graphs=[v for k, v in params if k == "default-graph-uri"] or None,
        named_graphs=[v for k, v in params if k == "named-graph-uri"] or None,
        if_none_match=request.headers.get("If-None-Match")))
    g.exokg_answer = answer
    if answer.status == 304:
        return Response(status=304, headers=answer.headers)
    if isinstance(answer.body, bytes):
        return Response(answer.body, headers=answer.headers)
    return Response(answer.body, headers=answer.headers, direct_passthrough=True)


@bp.route("/.well-known/void", methods=["GET"])
def void() -> Response:
    service = get_service()
    base = current_app.config["PUBLIC_BASE_IRI"]
    endpoint = request.host_url.rstrip("/") + "/sparql"
    graph = void_graph(base.rstrip("/") + "/dataset", endpoint, service.info)
    return _graph_response(graph, etag_seed=f"void\x00{service.info.version}\x00{endpoint}")


@bp.route("/healthz", methods=["GET"])
def healthz() -> Response:
    try:
        report = get_service().health()
    except Exception as err:  # noqa: BLE001 - any failure means unhealthy
        logger.warning("health check failed: %s", err)
        response = jsonify({"ok": False, "error": str(err)})
        response.status_code = 503
        return response
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _cors(response: Response) -> Response:
    for key, value in _CORS.items():
        response.headers.setdefault(key, value)
    return response


# --- access log ----------------------------------------------------------------------

def _log_start() -> None:
    g.exokg_started = time.monotonic()


def _log_end(response: Response) -> Response:
    if not current_app.config.get("ACCESS_LOG", True) or not access_logger.isEnabledFor(
            logging.INFO):
        return response
    started = g.get("exokg_started", time.monotonic())
    answer = g.get("exokg_answer")
    entry = {"method": request.method, "path": request.path, "status": response.status_code}

    def write() -> None:
        entry["ms"] = round((time.monotonic() - started) * 1000, 2)
        if answer is not None:
            entry["rows"] = answer.info.get("rows")
            entry["cache"] = answer.info.get("cache")
            if answer.info.get("truncated"):
                entry["truncated"] = True
        access_logger.info(json.dumps(entry))

    if response.is_streamed:
        response.call_on_close(write)
    else:
        write()
    return response


def init_app(app: Flask) -> None:
    """Register the blueprint, the per-process :class:`SparqlService` and the access log."""
    service = SparqlService(app.config)
    app.extensions[_EXTENSION] = service
    app.register_blueprint(bp)
    app.before_request(_log_start)
    app.after_request(_log_end)
    atexit.register(service.close)


