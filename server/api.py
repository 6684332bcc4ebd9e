"""The graph API: search, neighborhoods, paths, ranks, evidence and exports as GET URLs.

Every route is a thin skin over :mod:`exokg.algorithms` and :mod:`exokg.io`; each answers JSON
``{"ok": true, ...}`` (or a file with ``format=``) and every result is a shareable URL.

=====================  ==========================================================
``/api/entities``      ``q`` (label, alternative label, CURIE), ``type``, ``limit``
``/api/neighborhood``  ``node``, ``depth`` 1-3, ``predicates``, ``types``,
                       ``direction`` (both/out/in), ``limit``, ``findings``, ``format``
``/api/path``          ``source``, ``target``, ``k``, ``predicates``, ``types``, ``format``
``/api/rank``          ``metric`` (degree/pagerank/betweenness/studies), ``type``, ``limit``
``/api/evidence``      ``node``, ``page``
``/api/conflicts``     ``page``
``/api/export``        ``format``, ``findings`` (the whole graph), or ``node``+``depth``
``/api/formats``       the export formats
=====================  ==========================================================

Errors: unknown node 404 (with ``suggestions``), bad parameter 400, unknown format 406
(with ``formats``), each as ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

from exokg import formats as registry
from exokg.bounds import integer_in
from exokg.chunks import Chunks, close_chunks
from exokg.errors import (
    AmbiguousNode,
    ExoKGError,
    InvalidQuery,
    NodeNotFound,
    QueryCancelled,
    UnknownFormat,
)
from exokg.formats import GRAPH_KINDS, Format, format_names, get_format
from exokg.server.asgi import FILE_KEY
from exokg.server.errors import retry_headers
from exokg.server.etags import current_etag, judge_now, range_request
from exokg.server.params import link, many, one
from exokg.server.sparql import get_service
from exokg.sparql.cancel import CancelToken
from exokg.sparql.export_files import ExportFiles, file_name
from exokg.store_source import StoreSource, index_folder
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, send_file

__all__ = ["DEFAULT_NODE_LIMIT", "bp", "graph_source", "init_app"]

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")

#: Nodes a neighborhood returns unless ``limit`` asks for more (up to ``MAX_ROWS``).
DEFAULT_NODE_LIMIT = 500


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


# ---------------------------------------------------------------- the graph

def graph_source(*, findings: bool = False) -> StoreSource:
    """The store as the graph queries read it: bounded SPARQL through the app's service
    and the artifacts built with the store. One per request (it remembers the nodes the
    request has seen); the memory-mapped artifacts are shared by the process."""
    service = get_service()
    service.info.require_complete("a graph query or a search")  # never a scan meanwhile
    sources = g.setdefault("exokg_graph_sources", {})
    if findings not in sources:
        sources[findings] = StoreSource(service, findings=findings,
                                        artifacts=index_folder(service.info))
    return sources[findings]


# ---------------------------------------------------------------- parameters

def _arg(name: str, *, required: bool = False, default: str | None = None) -> str | None:
    value = one(name)
    value = default if value is None else value
    if required and not (value or "").strip():
        raise InvalidQuery(f"parameter {name!r} is required")
    return value


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = one(name)
    return default if raw is None else integer_in(name, raw, low, high)


def _list(*names: str) -> list[str] | None:
    """Comma-separated values of one or more parameters; given but empty is a 400."""
    given = [name for name in names if many(name)]
    values = [part.strip() for name in given for raw in many(name)
              for part in raw.split(",") if part.strip()]
    if given and not values:
        raise InvalidQuery(f"{given[0]} is empty: name at least one, or leave it out")
    return values or None


def _bool(name: str) -> bool:
    raw = (one(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise InvalidQuery(f"{name} must be true or false, not {raw!r}")


def _max_rows() -> int:
    return int(current_app.config.get("MAX_ROWS") or 10000)


def _ok(**payload: Any) -> Response:
    response = jsonify({"ok": True, **payload, "url": request.url})
    return response


def _file(obj, fmt_name: str, stem: str) -> Response:
    """A small graph (a neighbourhood, paths) written whole, as a download."""
    from exokg.io import export

    fmt = _graph_format(fmt_name)
    start = time.perf_counter()
    data = export(obj, fmt.name)
    logger.info("export %s (%s): %d bytes in %.1f ms", stem, fmt.name, len(data),
                1000 * (time.perf_counter() - start))
    return _download(data, fmt, stem)


def _download(body: bytes | Iterator[bytes], fmt: Format, stem: str) -> Response:
    return Response(body, content_type=_media(fmt), headers=_attachment(fmt, stem))


def _media(fmt: Format) -> str:
    media = fmt.media_type
    if media.startswith("text/") or media.endswith(("+xml", "+json", "/json")):
        media += "; charset=utf-8"
    return media


def _attachment(fmt: Format, stem: str) -> dict[str, str]:
    from exokg.io import download_name

    return {"Content-Disposition": f'attachment; filename="{download_name(stem, fmt.name)}"'}


def _kept(files: ExportFiles | None, name: str, fmt: Format, stem: str) -> Response | None:
    """The whole-graph export ``name`` when it is kept as a file
    (:mod:`exokg.sparql.export_files`), with its length, or the part a ``Range`` asks
    (``If-Range`` judged on the ETag), read from the file outside the request's thread
    (:data:`~exokg.server.asgi.FILE_KEY`); ``None`` when it is not kept (or has just
    been removed)."""
    path = files.kept(name) if files is not None else None
    if path is None:
        return None
    try:
        response = send_file(path, mimetype=fmt.media_type, conditional=False, etag=False,
                             max_age=None)
    except OSError:  # removed since it was found (by hand, or with its code's version)
        return None
    size = response.content_length or 0  # send_file's own stat of the file
    del response.headers["Last-Modified"]  # validated by its ETag, as every answer is
    response.headers.update({"Content-Type": _media(fmt), **_attachment(fmt, stem)})
    etag = current_etag()
    if etag is not None:
        response.headers["ETag"] = etag
    response.make_conditional(range_request(request.environ), accept_ranges=True,
                              complete_length=size)
    if request.method == "GET":
        part = response.content_range
        if (response.status_code == 206 and part is not None and part.start is not None
                and part.stop is not None):
            request.environ[FILE_KEY] = (str(path), part.start, part.stop - part.start)
        elif response.status_code == 200:
            request.environ[FILE_KEY] = (str(path), 0, size)
    return response


def _streamed(chunks: Iterator[bytes], fmt: Format, stem: str) -> Response:
    """A whole-graph download, streamed (chunked: no Content-Length). The first chunk is
    read here, so that a refusal or a busy service is an HTTP error, not a cut body."""
    start = time.perf_counter()
    try:
        first = next(chunks, b"")
    except BaseException:
        close_chunks(chunks)
        raise

    def body() -> Iterator[bytes]:
        size = len(first)
        try:
            yield first
            for chunk in chunks:
                size += len(chunk)
                yield chunk
        except QueryCancelled:
            # its client hung up: the reads stopped (the access log says 499)
            logger.info("export %s (%s) stopped after %d bytes: its client went away",
                        stem, fmt.name, size)
            raise
        finally:
            close_chunks(chunks)  # a client gone midway: the executor is stopped
            logger.info("export %s (%s): %d bytes streamed in %.1f ms", stem, fmt.name,
                        size, 1000 * (time.perf_counter() - start))
    # closed unread too (an answer replaced after its handler): a generator never started
    # runs no finally, and a follower of an export's write (no finalizer) stayed counted
    return _download(Chunks(body(), then=lambda: close_chunks(chunks)), fmt, stem)


def _format() -> str | None:
    raw = one("format")
    # format names are read without regard to case (Turtle, turtle): JSON is json too
    if raw is None or raw.strip().lower() in ("", "json"):
        return None
    _graph_format(raw)  # 406 before any work
    return raw


def _graph_format(name: str) -> Format:
    return get_format(name, kinds=GRAPH_KINDS)


def _format_links(endpoint: str) -> dict[str, str]:
    """The request's URL in each graph format: built once, with ``format`` last, then
    the format's name appended (a URL build per format was a third of a path's work)."""
    base = link(endpoint, but="format", format="")  # ends in "format="
    return {name: base + quote_plus(name) for name in format_names(*GRAPH_KINDS)}


# ---------------------------------------------------------------- routes

@bp.get("/entities")
def entities() -> Response:
    """Search by label, alternative label, CURIE or mapped identifier (the search index)."""
    from exokg.algorithms import search

    q = _arg("q", required=True)
    limit = _int("limit", 20, 1, _SEARCH_MAX)
    # one more than asked (within the search's bound): whether more match than are sent
    hits = search(graph_source(), q or "", types=_list("type", "types"),
                  limit=min(limit + 1, _SEARCH_MAX))
    return _ok(q=q, count=min(len(hits), limit), results=hits[:limit],
               truncated=len(hits) > limit or len(hits) == _SEARCH_MAX)


#: The most matches a search answers (its index's bound).
_SEARCH_MAX = 1000


@bp.get("/neighborhood")
def neighborhood() -> Response:
    """The ego graph of a node, filterable by predicate, kind and direction."""
    from exokg.algorithms import neighborhood as ego
    from exokg.network import graph_json, node_json
    from exokg.server.ui import local_url

    fmt = _format()
    max_depth = int(current_app.config.get("MAX_RADIUS") or 3)
    depth = _int("depth", 1, 1, min(max_depth, 3))
    H = ego(graph_source(findings=_bool("findings")), _arg("node", required=True) or "",
            depth=depth, predicates=_list("predicates"), types=_list("types", "type"),
            direction=_arg("direction", default="both") or "",
            limit=_int("limit", DEFAULT_NODE_LIMIT, 1, max(_max_rows(), 1)))
    center = H.graph["center"]
    if fmt:
        return _file(H, fmt, f"{H.nodes[center].get('label', center)} depth {depth}")
    doc, center_json = graph_json(H), node_json(H, center)
    for item in (center_json, *doc["nodes"]):
        item["url"] = local_url(item["id"])  # its page, or "" where no link is safe
    return _ok(center=center_json, depth=depth, direction=H.graph["direction"],
               truncated=H.graph["truncated"],
               counts={"nodes": len(doc["nodes"]), "edges": len(doc["edges"])},
               **doc, formats=_format_links("api.neighborhood"))


@bp.get("/path")
def path() -> Response:
    """The k shortest simple paths between two nodes, each edge with its predicate."""
    from exokg.algorithms import k_shortest_paths, paths_graph

    fmt = _format()
    source_ = graph_source(findings=_bool("findings"))
    source, target = _arg("source", required=True) or "", _arg("target", required=True) or ""
    paths = k_shortest_paths(source_, source, target, k=_int("k", 3, 1, 10),
                             predicates=_list("predicates"), types=_list("types", "type"))
    if fmt:
        return _file(paths_graph(source_, paths), fmt, f"path {source} {target}")
    return _ok(source=source, target=target, count=len(paths), paths=paths,
               truncated=paths.truncated, formats=_format_links("api.path"))


@bp.get("/rank")
def rank() -> Response:
    """The top entities by degree, PageRank, betweenness or number of studies, as
    computed when the store was built."""
    from exokg.algorithms import rank as rank_

    metric = _arg("metric", default="degree") or ""  # metric= (empty) is a 400
    rows = rank_(graph_source(), metric, types=_list("type", "types"),
                 limit=_int("limit", 20, 1, 1000))
    return _ok(metric=metric, count=len(rows), results=rows)


@bp.get("/evidence")
def evidence() -> Response:
    """The evidence summary of a molecule, with a conflict flag: the summary from the
    facets artifact, the findings one page at a time (``page``)."""
    from exokg.facets import evidence_answer, evidence_node
    from exokg.server.graph import app_facets, app_reader

    reader, facets = app_reader(), app_facets()
    node = evidence_node(graph_source(), facets, _arg("node", required=True) or "")
    answer = evidence_answer(reader, facets, node, page=one("page"))
    answer["next"] = link("api.evidence", but="page",
                          page=answer["page"] + 1) if answer["has_next"] else None
    return _ok(**answer)


@bp.get("/conflicts")
def conflicts() -> Response:
    """Every molecule whose studies disagree on its direction (from the facets artifact),
    a page at a time (``page``): ``count`` is the number of molecules in all."""
    from exokg.pages import PAGE_SIZE, page_number
    from exokg.server.graph import app_facets

    facets = app_facets()
    count = facets.conflict_count()
    pages = max(1, -(-count // PAGE_SIZE))
    number = page_number(one("page"), pages)
    rows = facets.conflicts(page=number, size=PAGE_SIZE)
    return _ok(count=count, results=rows, page=number, pages=pages,
               next=link("api.conflicts", but="page", page=number + 1)
               if number < pages else None)


#: The export's parameters that only a neighbourhood (``node``) reads.
_NEIGHBOURHOOD_ONLY = ("depth", "direction", "limit", "predicates", "types", "type")


@bp.get("/export")
def export() -> Response:
    """The whole graph (or a neighborhood: ``node``, ``depth``) as a file.

    The whole graph streams from the store (:func:`exokg.io.stream_graph`): the one
    request that reads everything, so it is not cut at ``MAX_ROWS``; it runs under
    ``EXPORT_TIMEOUT``. With ``EXPORT_FILES`` it is written once into a file of the data
    version, which its first readers follow as it grows and every later one is sent
    (:mod:`exokg.sparql.export_files`). ``findings`` applies to the network formats.
    ``HEAD`` answers the download's headers without running the export.
    """
    from exokg.io import stream_graph

    fmt = _arg("format", required=True) or ""
    node = one("node")
    if node is not None and not node.strip():  # else the whole graph, for a node left out
        raise InvalidQuery("node must not be empty (leave it out for the whole graph)")
    if node:
        return neighborhood()
    alone = [name for name in _NEIGHBOURHOOD_ONLY if name in request.args]
    if alone:  # they shape a neighbourhood: the whole graph would ignore them
        raise InvalidQuery(f"{', '.join(alone)}: given with node (a neighbourhood), not "
                           "for the whole graph")
    findings = _bool("findings")  # checked for every format, used by the network ones
    graph_format = _graph_format(fmt)
    findings = findings and graph_format.kind == "network"
    stem = "graph with findings" if findings else "graph"
    if not graph_format.streams and graph_format.kind == "network":
        # a drawing past its cap is refused from the network's node count (a lower bound
        # with the findings as nodes too), before the export reads the whole graph to find
        # out (17 to 23 s at 10^5 findings)
        _refuse_a_drawing_too_large()
    judged = judge_now()  # before a scan of the store that a 412 or 304 would throw away
    if judged is not None:
        return judged
    service = get_service()
    files = service.export_files
    name = file_name(graph_format.extension, findings=findings)
    kept = _kept(files, name, graph_format, stem)
    if kept is not None:
        return kept
    if request.method == "HEAD":
        # the headers only: the export is not run (a GraphML export reads and lays out the
        # whole graph before its first byte; 21 s at 10^5 triples, for nothing)
        return _download(iter(()), graph_format, stem)

    def write(cancel: CancelToken | None = None) -> Iterator[bytes]:
        return stream_graph(service, graph_format.name, findings=findings, cancel=cancel)
    chunks = files.follow(name, write) if files is not None else None
    if chunks is None:
        kept = _kept(files, name, graph_format, stem)
        if kept is not None:  # written since it was looked for
            return kept
        chunks = write()  # not kept (exokg.sparql.export_files says when): from the store
    return _streamed(chunks, graph_format, stem)


def _refuse_a_drawing_too_large() -> None:
    from exokg.io.store_rows import DRAW_MAX_NODES, too_large_to_draw

    if not get_service().info.complete:
        return  # no node count before the artifacts: the GET finds out
    adjacency = graph_source().adjacency
    if adjacency is not None and adjacency.n > DRAW_MAX_NODES:
        raise too_large_to_draw(DRAW_MAX_NODES)


@bp.get("/formats")
def formats() -> Response:
    """The export formats: name, media type, extension, aliases, kind."""
    return _ok(formats=[{"name": fmt.name, "media_type": fmt.media_type,
                         "extension": fmt.extension, "aliases": list(fmt.aliases),
                         "kind": fmt.kind, "label": fmt.label}
                        for fmt in sorted(registry.formats(*GRAPH_KINDS), key=lambda f: f.name)])


# ---------------------------------------------------------------- errors

@bp.errorhandler(ExoKGError)
def _error(err: ExoKGError):
    body: dict[str, Any] = {"ok": False, "error": str(err), "status": err.status}
    if isinstance(err, NodeNotFound):
        body["suggestions"] = err.suggestions
    if isinstance(err, AmbiguousNode):
        body["candidates"] = err.candidates
    if isinstance(err, UnknownFormat):
        body["formats"] = format_names(*GRAPH_KINDS)
    return jsonify(body), err.status, retry_headers(err)
