"""ExoKG's own web pages: home, search, the query page; and the page helpers.

Every page is built from one dict, rendered either as HTML (a Jinja template over
``base.html``) or as its JSON twin (same URL plus ``.json``, or ``Accept:
application/json``), as Datasette does; the HTML response carries a ``Link:
rel="alternate"`` header naming the twin.

The browser assets (the SPARQL editor YASQE and Cytoscape.js) are copied into
``server/static/vendor/`` at install time (see ``setup.py``); when they are missing
the pages still work (a plain text area, no graph views) and say how to add them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from exokg import review
from exokg.curie import compact_iri as compact
from exokg.display import NAME_SHOWN, TEXT_SHOWN, VIEW_CHARS, clip, cut, number
from exokg.errors import ExoKGError, InvalidQuery, QueryRefused, StillBuilding, UnknownFormat
from exokg.examples import EXAMPLES, PREFIX_BLOCK, get_example
from exokg.formats import GRAPH_KINDS, formats, get_format
from exokg.rdf_terms import ntriples_graph
from exokg.server.errors import log_failure, retry_headers
from exokg.server.params import link, one
from exokg.sparql.negotiate import preferred
from exokg.sparql.results import Results
from exokg.vocab import EXO, PREFIXES
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
    url_for,
)
from rdflib import BNode, Graph, URIRef

__all__ = [
    "CANONICAL_BASE", "DEFAULT_BASE_IRI", "base_iri", "bp", "compact", "error_page",
    "init_app", "local_url", "missing_assets", "render_page",
    "search_entities", "wants_json",
]

logger = logging.getLogger(__name__)

bp = Blueprint("ui", __name__)

DEFAULT_BASE_IRI = review.BASE_IRI
#: The base IRI the graph's own identifiers use, whatever the public base is.
CANONICAL_BASE = review.BASE_IRI
_VOCAB = str(EXO)
_STATIC = Path(__file__).parent / "static"
VENDOR_FILES = ("yasqe.min.js", "yasqe.min.css", "cytoscape.min.js")

REVIEW = review.REVIEW_PAGE


# ---------------------------------------------------------------- IRIs

def base_iri() -> str:
    """The public base IRI (setting ``PUBLIC_BASE_IRI``), ending in ``/``."""
    base = str(current_app.config.get("PUBLIC_BASE_IRI") or DEFAULT_BASE_IRI)
    return base if base.endswith("/") else base + "/"


#: An IRI a page may link to as it is: http or https, with nothing before the scheme and no
#: whitespace or control character anywhere (browsers drop those, so "java\tscript:" would
#: run). Every other scheme (javascript:, data:, vbscript:, file:, urn:, ...) is text only.
_LINKABLE = re.compile(r"https?://[^\x00-\x20\x7f-\x9f]*", re.IGNORECASE)


def local_url(iri: Any) -> str:
    """Where a link to ``iri`` goes: its page here, the IRI itself, or ``""`` (no link).

    The one rule for every link the pages and their JSON twins draw to a node (templates,
    table cells, graph nodes, search hits): an IRI under the public base IRI links to its
    page on this server (``/id/...``, ``/vocab#Term``; when the app serves the pages); another
    ``http(s)`` IRI links to itself; anything else (``javascript:``, ``data:``, a URN, an IRI
    with control characters) is ``""``, and is shown as text, never as a link.
    """
    text = str(iri)
    for base in _link_bases():
        if text.startswith(base):
            rest = text[len(base):]
            if rest.startswith("id/"):
                return _page_url(rest[3:])
            if rest.startswith("vocab#"):
                return url_for("ld.vocab") + "#" + text.split("#", 1)[1]
            if rest == "vocab":
                return url_for("ld.vocab")
    return text if _LINKABLE.fullmatch(text) else ""


_LINK_BASES = "exokg_link_bases"


def _link_bases() -> tuple[str, ...]:
    """The base IRIs whose IRIs link to pages here, once per app (a page links a node a
    thousand times): the public one and the canonical one; none when the app serves no
    pages (it links IRIs as they are)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    bases = app.extensions.get(_LINK_BASES)
    if bases is None:
        bases = app.extensions[_LINK_BASES] = tuple(dict.fromkeys(
            (base_iri(), CANONICAL_BASE))) if "ld" in app.blueprints else ()
    return bases


#: Page URLs remembered per app (a page of findings links the same diseases, methods
#: and studies over and over; each ``url_for`` costs ~30 us).
_PAGE_URLS = "exokg_page_urls"


def _page_url(path: str) -> str:
    """``url_for("ld.resource", path=path)``, remembered per app and script root (a
    URL built outside a request is not: it is absolute)."""
    if not has_request_context():
        return url_for("ld.resource", path=path)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    build = app.extensions.get(_PAGE_URLS)
    if build is None:
        build = app.extensions[_PAGE_URLS] = lru_cache(maxsize=4096)(_build_page_url)
    return build(path, request.script_root)


def _build_page_url(path: str, script_root: str) -> str:  # script_root: the cache's key
    return url_for("ld.resource", path=path)


def search_entities(text: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Entities matching ``text``, best first: the API's search (:func:`exokg.algorithms.search`
    over the store's search index), shaped for the pages.
    """
    from exokg.algorithms import search
    from exokg.server.api import graph_source

    if not text.strip():
        return []
    return [{"iri": hit["id"], "label": hit["label"], "url": local_url(hit["id"]),
             "types": [hit["class"]] if hit.get("class") else [], "score": hit["score"]}
            for hit in search(graph_source(), text, limit=limit)]


# ---------------------------------------------------------------- rendering

#: A page's media types, the page first: it wins a tie (``*/*``, a browser's Accept).
_PAGE_TYPES = ("text/html", "application/json")


def wants_json(fmt: str | None = None) -> bool:
    """Whether the JSON twin was asked for: a ``.json`` suffix or ``Accept: application/json``."""
    if fmt is not None:
        return fmt == "json"
    return preferred(request.headers.get("Accept"), _PAGE_TYPES) == "application/json"

def missing_assets() -> list[str]:
    """The vendored browser files that are not installed."""
    return [name for name in VENDOR_FILES if not (_STATIC / "vendor" / name).is_file()]


#: Characters a URL keeps as they are (RFC 3986's reserved and unreserved ones); any
#: other (a control character, a space, ``"``, ``<``, non-ASCII) is percent-encoded.
_URL_SAFE = "!#$&'()*+,/:;=?@[]~"


def _json_url() -> str:
    """The request's URL with ``.json`` on its path, percent-encoded: it goes into the
    ``Link`` header (where a control character is no valid header, and ``"`` or ``>``
    would end the link) and into the page."""
    path = request.path  # decoded: a "%" in it is a character of the path
    if not path.endswith(".json"):
        path = path.rstrip("/") + ".json" if path != "/" else "/.json"
    url = quote(path, safe=_URL_SAFE.replace("?", "").replace("#", ""))
    if request.query_string:  # as sent: its escapes stay
        url += "?" + quote(request.query_string.decode("latin-1"), safe=_URL_SAFE + "%",
                           encoding="latin-1")
    return url


#: The longest URL a page names in its ``Link`` header: a header line past 8 KB is
#: refused by common proxies, and Python's http.client fails on one past 64 KB (a page
#: asked for with a long query named it whole).
LINK_HEADER_MAX = 8000


def render_page(template: str, data: Mapping[str, Any], *, fmt: str | None = None,
                status: int = 200, html_extra: Mapping[str, Any] | None = None) -> Response:
    """Render ``data`` as HTML through ``template``, or as its JSON twin.

    ``html_extra`` holds what only the template needs (never part of the JSON).
    """
    if wants_json(fmt):
        response = jsonify({"ok": status < 400, **data})
        response.status_code = status
    else:
        html = render_template(template, data=data, json_url=_json_url(),
                               **(html_extra or {}))
        response = Response(html, status=status, mimetype="text/html")
        json_url = _json_url()
        if len(json_url) <= LINK_HEADER_MAX:  # else the page's own link names it
            response.headers["Link"] = f'<{json_url}>; rel="alternate"; type="application/json"'
    response.vary.add("Accept")
    return response


def error_page(status: int, message: str, *, fmt: str | None = None,
               suggestions: list[dict[str, Any]] | None = None) -> Response:
    """An error as an HTML page or as ``{"ok": false, "error": ...}``; a NUL its message
    quotes (a path asked for) is shown as U+FFFD, as HTML parsers read it."""
    data = {"error": message.replace("\x00", "\ufffd"), "status": status,
            "suggestions": suggestions or []}
    return render_page("error.html", data, fmt=fmt, status=status)


def _asked_fmt() -> str | None:
    """The representation the failed request asked for (``None``: the HTML page)."""
    args = request.view_args or {}
    return args.get("fmt") or ("json" if request.path.endswith(".json") else None)


@bp.errorhandler(StillBuilding)
def still_building_page(err: StillBuilding) -> Response:
    """A page asked while the store's build goes on (``exokg serve`` serves the loaded
    store early): a 503 page, or its JSON twin, that says to come back."""
    response = error_page(503, str(err), fmt=_asked_fmt())
    response.headers.update(retry_headers(err))
    return response


@bp.errorhandler(InvalidQuery)
def bad_request_page(err: InvalidQuery) -> Response:
    """A page asked with a parameter it cannot take (given twice, ...): the 400 page, or
    the JSON of its twin and downloads."""
    fmt = _asked_fmt()
    return error_page(err.status, str(err), fmt=None if fmt is None else "json")


# ---------------------------------------------------------------- home and search

@bp.route("/.json", endpoint="home_json", defaults={"fmt": "json"})
@bp.route("/")
def home(fmt: str | None = None) -> Response:
    stats = _stats()
    classes = {compact(k): v for k, v in stats["classes"].items()
               if k.startswith(_VOCAB)}
    data = {
        "title": "ExoKG: exosomal molecules in liver cancer",
        "review": REVIEW,
        "counts": {"triples": stats["triples"], "classes": classes,
                   "tables": {str(k): v for k, v in stats["tables"].items()},
                   "named_graphs": _named_graphs()},
        "tables": [{"table": t, "title": title, "findings": stats["tables"].get(t, 0)}
                   for t, title in _table_titles().items()],
        "examples": [{**e.as_dict(), "url": url_for("ui.query", example=e.slug)}
                     for e in EXAMPLES],
        "links": {"query": url_for("ui.query"), "search": url_for("ui.search"),
                  "vocab": url_for("ld.vocab"), "sparql": "/sparql"},
    }
    return render_page("home.html", data, fmt=fmt)


def _stats() -> dict[str, Any]:
    """The graph's counts, computed once when the store was built (the facets artifact)."""
    from exokg.server.graph import app_facets

    return app_facets().stats()


#: Named graphs the home page names, the largest first (a data file may hold thousands).
GRAPHS_NAMED = 10


def _named_graphs() -> dict[str, Any]:
    """The named graphs' triples beside the default graph's ``triples`` (ExoKG's metrics
    among them): VoID's total holds them all. ``listed``: the :data:`GRAPHS_NAMED`
    largest; ``count`` and ``triples``: of them all."""
    from exokg.index import METRICS_GRAPH
    from exokg.server.graph import app_reader
    from exokg.sparql.describe import largest_graphs

    info = app_reader().info
    counts = info.stats.get("graph_triples", {})
    return {"count": len(counts), "triples": sum(counts.values()),
            "listed": [{"graph": graph, "triples": n, "metrics": graph == METRICS_GRAPH}
                       for graph, n in largest_graphs(info, GRAPHS_NAMED)]}


def _table_titles() -> dict[int, str]:
    return review.TABLE_TITLES


@bp.route("/search.json", endpoint="search_json", defaults={"fmt": "json"})
@bp.route("/search")
def search(fmt: str | None = None) -> Response:
    """Entities matching ``q``, :data:`SEARCH_PAGE` a page (``page``, up to the search's
    1,000 best). The page said "50 matches" where there were hundreds, and ignored
    ``page``: now it says which matches it shows and links the next page."""
    from exokg.pages import page_number

    text = (one("q") or "").strip()
    number = page_number(one("page"), SEARCH_PAGES)
    first = (number - 1) * SEARCH_PAGE
    endpoint = "ui.search_json" if fmt == "json" else "ui.search"
    # one more than the page shows: whether a next page exists
    # (within the search's bound: the last page has no next to look for)
    found = search_entities(text, limit=min(first + SEARCH_PAGE + 1,
                                            SEARCH_PAGE * SEARCH_PAGES)) if text else []
    results = found[first:first + SEARCH_PAGE]
    has_next = len(found) > first + SEARCH_PAGE and number < SEARCH_PAGES
    data = {"title": f"Search: {text}" if text else "Search", "q": text,
            "results": results, "count": len(results), "page": number,
            "first": first + 1 if results else 0, "last": first + len(results),
            "next": link(endpoint, but="page", page=number + 1) if has_next else None,
            "prev": link(endpoint, but="page", page=number - 1) if number > 1 else None}
    return render_page("search.html", data, fmt=fmt)


#: Matches a search page shows, and the pages a search reaches (its 1,000 best).
SEARCH_PAGE, SEARCH_PAGES = 50, 20


# ---------------------------------------------------------------- query page

#: Asked of the SPARQL service for the page: solutions as SPARQL JSON, graphs as N-Triples.
_PAGE_ACCEPT = "application/sparql-results+json, application/n-triples"


def _ask(sparql: str, accept: str):
    """``sparql``'s answer from the SPARQL service (the executor pool behind ``/sparql``:
    time limit, row cap, read-only), in a type of ``accept``.

    Raises
    ------
    ExoKGError
        :class:`InvalidQuery` (400) for a query that does not parse,
        :class:`QueryRefused` (403) for one the service refuses (an update, SERVICE); the
        service's own error otherwise (503 at the time limit, 406 ...).
    """
    from exokg.server.sparql import get_service
    from exokg.sparql import QueryRequest

    try:
        return get_service().query(QueryRequest(sparql.strip(), accept=accept))
    except QueryRefused as err:  # 403, as /sparql answers it
        raise QueryRefused(f"only read-only queries run here: {err}") from None
    except InvalidQuery as err:
        raise InvalidQuery(f"the query does not parse or run: {err}") from None


def _answer_graph(answer: Any, text: str):
    """``(kind, head, rows, graph, truncated)`` of an answer in SPARQL JSON or N-Triples,
    read whole (:func:`exokg.sparql.service.whole_body`)."""
    from exokg.sparql import inspect_query
    from exokg.sparql.service import whole_body

    body = whole_body(answer)
    truncated = answer.truncated
    if answer.media_type == "application/n-triples":
        graph = Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        ntriples_graph(body, graph)
        kind = inspect_query(text).form or "CONSTRUCT"
        return kind, [], [], graph, truncated
    results = Results.from_json(body, truncated=truncated)
    return results.kind, results.vars, results.rows, None, results.truncated


def _query_graph(sparql: str):
    """Run ``sparql`` (:func:`_ask`); return ``(kind, head, rows, graph, truncated)``."""
    text = sparql.strip()
    if not text:
        return None, [], [], None, False
    started = time.monotonic()
    answer = _ask(text, _PAGE_ACCEPT)
    got = _answer_graph(answer, text)
    logger.info("query page ran a query in %.3f s%s", time.monotonic() - started,
                " (truncated at the row cap)" if got[-1] else "")
    return got


def _cell(term: Any, size: int = VIEW_CHARS) -> dict[str, Any] | None:
    """A value as the query page and its twin hold it: each text of it (the value, a
    datatype IRI, a language tag) cut at ``size`` characters with its whole length (the
    downloads and /sparql hold it whole): one value of 2 million characters, or rows of
    16,000-character datatypes, made a page and its twin of megabytes."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        iri = str(term)
        if len(iri) > size:  # no link: a cut IRI names nothing
            return {"type": "uri", "value": cut(iri, size),
                    "label": cut(iri, min(size, TEXT_SHOWN))}
        return {"type": "uri", "value": iri, "label": compact(term), "url": local_url(term)}
    if isinstance(term, BNode):
        label = cut(str(term), size)
        return {"type": "bnode", "value": label, "label": f"_:{label}"}
    text = cut(str(term), size)
    cell = {"type": "literal", "value": text, "label": text}
    if term.datatype:
        cell["datatype"] = cut(str(term.datatype), size)
    if term.language:
        cell["xml:lang"] = cut(term.language, size)
    return cell


def _cells(row: Sequence[Any]) -> list[dict[str, Any] | None]:
    """A row's cells, each cut so that the row holds at most a page's characters (a
    row of 900 columns of 3,999 characters made a twin of 7 MB)."""
    from exokg.pages import RESULT_PAGE_CHARS

    size = max(40, min(VIEW_CHARS, RESULT_PAGE_CHARS // max(1, 2 * len(row))))
    return [_cell(t, size) for t in row]


def _term_chars(term: Any) -> int:
    """The characters a cell of ``term`` holds at most (its value, datatype, language)."""
    if term is None:
        return 0
    return sum(min(len(str(part)), _CELL_CHARS) for part in (
        term, getattr(term, "datatype", None) or "", getattr(term, "language", None) or ""))


#: The result formats the page writes a SELECT/ASK download in (URL names, registry kind
#: "results"); a CONSTRUCT/DESCRIBE downloads in every graph format of the registry.
TABLE_DOWNLOADS = ("csv", "tsv", "srj")


def _download_links(sparql: str, kind: str | None) -> list[dict[str, str]]:
    if kind is None:
        return []
    if kind in ("CONSTRUCT", "DESCRIBE"):
        return [{"name": f.name, "label": f.label or f.name, "extension": f.extension,
                 "url": url_for("ui.query_download", fmt=f.name, query=sparql)}
                for f in formats(*GRAPH_KINDS, by_name=True)]
    return [{"name": name, "label": fmt.label, "extension": fmt.extension,
             "url": url_for("ui.query_download", fmt=name, query=sparql)}
            for name in TABLE_DOWNLOADS for fmt in [get_format(name, "results")]]


def _graph_elements(graph: Graph) -> dict[str, list[dict[str, Any]]]:
    """A CONSTRUCT result as Cytoscape.js elements: the network its downloads hold (one
    rule, :func:`exokg.io.as_network` of a query's result), each node linked."""
    from exokg.io import as_network

    G = as_network(graph, query_result=True)
    nodes = [{"data": {"id": node, "label": clip(data.get("label") or compact(node)),
                       "url": local_url(node)}}
             for node, data in sorted(G.nodes(data=True))]
    edges = [{"data": {"id": f"e{n}", "source": u, "target": v, "label": key}}
             for n, (u, v, key) in enumerate(sorted(G.edges(keys=True)))]
    return {"nodes": nodes, "edges": edges}


#: The most characters a cell of the query page holds (a text cut at VIEW_CHARS, and
#: its mark).
_CELL_CHARS = VIEW_CHARS + 40


def _result_page(rows: list, raw: str | None, sparql: str, fmt: str | None
                 ) -> tuple[list, dict[str, Any]]:
    """The rows (or triples) of the page asked for (``?page=``, :func:`result_pages`)
    and its paging: counts and the links to the pages beside it (JSON ones in the twin).

    Raises
    ------
    InvalidQuery
        for a page that is not one of the answer's.
    """
    from exokg.pages import page_number, result_pages

    # a value's characters, and a few for its cell
    starts = result_pages(sum(map(_term_chars, row)) + 20 * len(row) for row in rows)
    page = page_number(raw, len(starts))
    first = starts[page - 1]
    last = starts[page] if page < len(starts) else len(rows)
    endpoint = "ui.query_download" if fmt == "json" else "ui.query"

    def link(number: int) -> str:
        args: dict[str, Any] = {"query": sparql}
        if fmt == "json":
            args["fmt"] = "json"
        if number > 1:
            args["page"] = number
        return url_for(endpoint, **args)

    paging = {"page": page, "pages": len(starts), "count": len(rows),
              "first": first + 1 if rows else 0, "last": last,
              "has_next": page < len(starts), "has_prev": page > 1,
              "next": link(page + 1) if page < len(starts) else None,
              "prev": link(page - 1) if page > 1 else None}
    return rows[first:last], paging


def _graph_of(triples: list, whole: Graph) -> Graph:
    """A graph of ``triples``, with the namespaces of ``whole``."""
    graph = Graph(namespace_manager=whole.namespace_manager)
    for triple in triples:
        graph.add(triple)
    return graph


#: The longest query the query page runs, in characters: the page names it in each of
#: up to nineteen links (the editor, the share and JSON links, a download per format;
#: a 65 KB query made a page of 1.2 MB). /sparql runs any query a request holds.
QUERY_PAGE_MAX = 16_384


def _too_long(sparql: str) -> str:
    return (f"the query is {len(sparql):,} characters long: the query page runs queries of "
            f"at most {QUERY_PAGE_MAX:,}; send a longer one to /sparql (POST)")


@bp.route("/query")
def query(fmt: str | None = None) -> Response:
    example = None
    slug = one("example")
    if slug:
        try:
            example = get_example(slug)
        except KeyError:
            return error_page(404, f"no example {slug!r}", fmt=fmt)
    sparql = one("query")
    if sparql is not None and len(sparql) > QUERY_PAGE_MAX:
        return error_page(414, _too_long(sparql), fmt=fmt)
    if sparql is None and example is not None:
        sparql = example.sparql
    run = sparql is not None and sparql.strip() != ""
    data: dict[str, Any] = {
        "title": example.title if example else "Query",
        "query": sparql if sparql is not None else PREFIX_BLOCK + "\nSELECT * WHERE {\n"
                 "  ?s ?p ?o .\n}\nLIMIT 10\n",
        "example": example.as_dict() if example else None,
        "examples": [{"slug": e.slug, "title": e.title, "question": e.question,
                      "url": url_for("ui.query", example=e.slug)} for e in EXAMPLES],
        "kind": None, "head": [], "rows": [], "count": 0, "error": None,
        "downloads": [], "graph": None, "truncated": False,
    }
    status = 200
    if run and sparql is not None:  # (run implies a query; said again for mypy)
        try:
            kind, head, rows, graph, truncated = _query_graph(sparql)
        except ExoKGError as err:  # said on the page, beside the query to mend
            log_failure(err, request.method, request.path)
            data["error"], status = str(err), err.status
        else:
            data["kind"] = kind
            data["truncated"] = truncated
            if truncated:
                data["max_rows"] = current_app.config.get("MAX_ROWS")
            data["downloads"] = _download_links(sparql, kind)
            every = sorted(graph) if graph is not None else rows
            try:
                shown, data["paging"] = _result_page(every, one("page"), sparql, fmt)
            except InvalidQuery as err:
                return error_page(400, str(err), fmt=fmt)
            data["count"] = len(every)
            if graph is not None:
                # the drawing of this page's triples: all 10,000 were drawn, megabytes
                data["graph"] = _graph_elements(_graph_of(shown, graph))
                data["triples"] = [_cells(triple) for triple in shown]
            else:
                data["head"] = head
                data["rows"] = [_cells(row) for row in shown]
    data["share_url"] = url_for("ui.query", query=sparql) if run else url_for("ui.query")
    return render_page("query.html", data, fmt=fmt, status=status,
                       html_extra={"prefixes": PREFIXES})


@bp.route("/query.<fmt>")
def query_download(fmt: str) -> Response:
    """The query's answer as a file: a SELECT's or an ASK's as ``/sparql`` writes it
    (CSV, TSV, SPARQL JSON; streamed, cut at the same row cap), a graph's in a network or
    RDF format (:func:`exokg.io.export` of the answer)."""
    if fmt == "json":  # the query page's JSON twin
        return query(fmt="json")
    sparql = one("query") or ""
    if not sparql.strip():
        return error_page(400, "no query: add ?query=...", fmt="json")
    if len(sparql) > QUERY_PAGE_MAX:
        return error_page(414, _too_long(sparql), fmt="json")
    table = get_format(fmt, "results") if fmt in TABLE_DOWNLOADS else None
    try:
        network = get_format(fmt, kinds=GRAPH_KINDS)
    except UnknownFormat as err:
        if table is None:  # a suffix no download has costs no query
            return error_page(406, str(err), fmt="json")
        network = None
    # CSV names both a table and an edge list: the answer's kind says which
    accept = ", ".join(m for m in (table and table.media_type,
                                   network and "application/n-triples;q=0.9") if m)
    try:
        try:
            answer = _ask(sparql, accept)
        except UnknownFormat:  # nothing in ``accept`` holds this kind of answer
            from exokg.sparql import inspect_query

            kind = inspect_query(sparql).form or "query"
            ways = ", ".join(TABLE_DOWNLOADS) if kind in ("SELECT", "ASK") else \
                "a graph format"
            article = "an" if kind[0] in "AEIOU" else "a"
            return error_page(406, f"{article} {kind} result downloads as {ways}, not "
                                   f"{fmt!r}", fmt="json")
        if table is not None and answer.media_type == table.media_type:
            return _table_download(answer, table)
        kind, _, _, graph, truncated = _answer_graph(answer, sparql)
    except ExoKGError as err:  # the answer's own (an RDF 1.2 term rdflib cannot hold: 406)
        log_failure(err, request.method, request.path)
        return error_page(err.status, str(err), fmt="json")
    assert graph is not None and network is not None, answer.media_type
    from exokg.io import export

    try:
        body = export(graph, network.name, query_result=True)
    except ExoKGError as err:  # a graph the format cannot hold (422)
        return error_page(err.status, str(err), fmt="json")
    response = Response(body, mimetype=network.media_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="exokg-query.{network.extension}"')
    if truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Max-Rows"] = str(current_app.config.get("MAX_ROWS"))
    return response


def _table_download(answer: Any, table: Any) -> Response:
    """A SELECT's or an ASK's answer as ``/sparql`` sends it (its validators, media type
    and truncation headers), streamed, as a file to save."""
    from exokg.server.sparql import answer_reply

    reply = answer_reply(answer)
    # the page's own validators (exokg.server.etags, as on every page): the answer's are
    # /sparql's, which this URL's If-None-Match and If-Match do not name
    headers = {k: v for k, v in reply.headers.items()
               if k not in ("ETag", "Cache-Control", "Vary")}
    response = Response(reply.body, status=reply.status, headers=headers,
                        direct_passthrough=not isinstance(reply.body, bytes))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="exokg-query.{table.extension}"')
    return response


# ---------------------------------------------------------------- app wiring

def _template_globals() -> dict[str, Any]:
    return {"local_url": local_url, "compact": compact, "review": REVIEW,
            "missing_assets": missing_assets(), "urlencode": urlencode}


def init_app(app: Flask) -> None:
    """Register the pages; log once when the browser assets are missing."""
    app.register_blueprint(bp)
    app.context_processor(_template_globals)
    app.jinja_env.filters.setdefault("local_url", local_url)
    app.jinja_env.filters.setdefault("compact", compact)
    app.jinja_env.filters.setdefault("clip", clip)
    app.jinja_env.filters.setdefault("number", number)
    app.jinja_env.globals.setdefault("TEXT_SHOWN", TEXT_SHOWN)
    app.jinja_env.globals.setdefault("NAME_SHOWN", NAME_SHOWN)
    missing = missing_assets()
    if missing:
        logger.warning("web assets missing from %s: %s; the query editor and graph views "
                       "are off. They ship with ExoKG: reinstall it (pip install "
                       "--force-reinstall exokg), or in a checkout run tools/update-web-assets",
                       _STATIC / "vendor",
                       ", ".join(missing))
