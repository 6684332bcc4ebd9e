"""Linked Data: every ``<PUBLIC_BASE_IRI>id/...`` IRI has a page at ``/id/...``.

Content negotiation (``Accept``) or a suffix picks the representation:

============================  ==============================================
``text/html`` (browsers)       the entity page (facts by table and study,
                               evidence, neighborhood graph)
``application/json``, .json    the same page's data (its JSON twin)
``text/turtle``, .ttl          the node's concise bounded description (CBD)
``application/ld+json``, .jsonld  plus the labels of what it points to, in any
``application/n-triples``, .nt    RDF syntax of the format registry
============================  ==============================================

The ontology is served likewise at ``/vocab`` (``/vocab.ttl``, ``/vocab.jsonld``,
``/vocab.nt``, ``/vocab.json``). Request paths map to IRIs under the setting
``PUBLIC_BASE_IRI`` (default ``https://w3id.org/exokg/``), so a deployment behind
a w3id redirect serves the IRIs it is redirected for. An unknown IRI is a 404 page
(or ``{"ok": false}`` for JSON).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any
from urllib.parse import urlencode

from exokg import review
from exokg.bounds import SEARCH_MAX
from exokg.curie import compact_iri
from exokg.describe import concise_bounded_description
from exokg.display import suggested
from exokg.errors import InvalidQuery, StillBuilding, UnknownFormat
from exokg.formats import (
    GRAPH_KINDS,
    Format,
    formats,
    get_format,
    page_suffixes,
    split_page_suffix,
)
from exokg.pages import (
    DESCRIPTION_CAP,
    VALUES_READ,
    description_graph,
    entity_page,
    node_exists,
)
from exokg.server.graph import app_facets, app_reader
from exokg.server.params import one
from exokg.server.ui import (
    CANONICAL_BASE,
    bad_request_page,
    base_iri,
    compact,
    error_page,
    local_url,
    render_page,
    search_entities,
    still_building_page,
)
from exokg.sparql.negotiate import preferred
from exokg.vocab import OWL, RDF, RDFS, SKOS, bind_prefixes
from flask import Blueprint, Flask, Response, request, url_for
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection

__all__ = ["bp", "init_app", "negotiate", "iri_for_path"]

logger = logging.getLogger(__name__)

bp = Blueprint("ld", __name__)
bp.register_error_handler(StillBuilding, still_building_page)
bp.register_error_handler(InvalidQuery, bad_request_page)

def _rdf_formats() -> list[Format]:
    return formats("rdf", by_name=True)




def negotiate(fmt: str | None = None) -> str:
    """The representation to serve: ``html``, ``json`` or an RDF format's name.

    An explicit suffix wins; otherwise the ``Accept`` header, with HTML preferred
    on a tie (so ``*/*`` and browsers get the page).
    """
    if fmt is not None:
        return page_suffixes()[fmt]
    # text/html only: an offer of XHTML, which the page is not sent as, answered
    # `application/*` with HTML
    offers: list[str | Format] = ["text/html", "application/json", *_rdf_formats()]
    best = preferred(request.headers.get("Accept"), offers)
    if best is None or best == "text/html":
        return "html"
    if best == "application/json":
        return "json"
    assert isinstance(best, Format)
    return best.name


def iri_for_path(path: str) -> URIRef:
    """The IRI that ``/id/<path>`` stands for, under the public base IRI."""
    return URIRef(base_iri() + "id/" + path)


def _find_node(path: str) -> str | None:
    """The node of ``/id/<path>``: under the public base, else under the canonical base."""
    reader = app_reader()
    for base in dict.fromkeys((base_iri(), CANONICAL_BASE)):
        node = base + "id/" + path
        if node_exists(reader, node):  # no query for a path that makes no IRI (a 404)
            return node
    return None


def _rdf_response(graph: Graph, fmt_name: str, *, canonical: str,
                  truncated: bool = False) -> Response:
    fmt = get_format(fmt_name, "rdf")
    body = fmt.writer(graph)
    if truncated and fmt.name == "turtle":
        note = (f"# truncated: this description was cut at {DESCRIPTION_CAP} rows (a "
                f"predicate of more than {VALUES_READ} values lists none)\n")
        body = note.encode() + (body if isinstance(body, bytes) else body.encode())
    # werkzeug adds "; charset=utf-8" to a text/* mimetype; JSON(-LD) and N-Triples are
    # UTF-8 by definition and go without the parameter (as they always have)
    response = Response(body, mimetype=fmt.media_type)
    response.headers["Content-Location"] = f"{canonical}.{fmt.extension}"
    if truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Max-Rows"] = str(DESCRIPTION_CAP)
    response.vary.add("Accept")
    return response


def _alternates(path_url: str) -> list[dict[str, str]]:
    return [{"label": f.label or f.name, "media_type": f.media_type,
             "url": f"{path_url}.{f.extension}"}
            for f in _rdf_formats() if f.name in ("turtle", "jsonld", "ntriples", "rdfxml")]


def _with_links(response: Response, path_url: str) -> Response:
    existing = response.headers.get("Link")
    links = [existing] if existing else []
    links += [f'<{a["url"]}>; rel="alternate"; type="{a["media_type"]}"'
              for a in _alternates(path_url)]
    response.headers["Link"] = ", ".join(links)
    return response


@bp.route("/id/<path:path>")
def resource(path: str) -> Response:
    node = _find_node(path)
    suffix = None
    if node is None:
        stem, suffix = split_page_suffix(path)
        if suffix is not None:
            node = _find_node(stem)
            path = stem
    try:
        want = negotiate(suffix)
    except KeyError:
        want = "html"
    fmt = "json" if want not in ("html",) else None
    if node is None:
        return error_page(404, f"no node {iri_for_path(path)} in the graph", fmt=fmt,
                          suggestions=_suggestions(path))
    page_url = url_for("ld.resource", path=path)
    if want not in ("html", "json"):
        try:
            get_format(want, "rdf")
        except UnknownFormat as err:
            return error_page(406, str(err), fmt="json")
        graph, truncated = description_graph(app_reader(), node)
        # a node whose every value was cut (more than VALUES_READ of its one predicate),
        # or that the data only points to, exists: its description is empty (and says
        # when it was cut)
        empty = (URIRef(node), None, None) not in graph
        return _rdf_response(bind_prefixes(Graph()) if empty
                             else concise_bounded_description(graph, URIRef(node)), want,
                             canonical=page_url, truncated=truncated)
    try:
        data = entity_page_data(node, page=one("page"), path=path,
                                json_twin=want == "json" or request.path.endswith(".json"))
    except InvalidQuery as err:
        return error_page(400, str(err), fmt=fmt)
    response = render_page("entity.html", data, fmt=want,
                           html_extra={"alternates": _alternates(page_url),
                                       "page_url": page_url,
                                       # the groups name their findings by IRI
                                       "finding_of": {f["iri"]: f for f in
                                                      data.get("findings", ())}})
    return _with_links(response, page_url)


def _suggestions(path: str, limit: int = 5) -> list[dict[str, Any]]:
    """Close matches for a missing ``/id/<path>``: the search for its last segment as
    written, with spaces, then shortened a character at a time (a typo at the end)."""
    name = path.rsplit("/", 1)[-1][:SEARCH_MAX]  # no name is longer than a search reads
    tries = [name, name.replace("-", " ")] + [name[:-k] for k in (1, 2) if len(name) > k + 2]
    for text in dict.fromkeys(t for t in tries if t.strip()):
        try:
            hits = search_entities(text, limit=limit)
        except StillBuilding:  # no index yet: the 404 without suggestions
            return []
        if hits:  # a long-named node by its CURIE, as the API's suggestions name it
            return [{**hit, "label": suggested(hit["label"], compact_iri(hit["iri"]))}
                    for hit in hits]
    return []


def _page_links(paging: dict[str, Any], path: str, json_twin: bool) -> dict[str, Any]:
    """``next``/``prev`` URLs of a paged entity page (the JSON twin's are JSON URLs)."""
    target = path + ".json" if json_twin else path

    def link(number: int) -> str:
        args: dict[str, Any] = {"page": number} if number > 1 else {}
        return url_for("ld.resource", path=target, **args)

    return {**paging, "next": link(paging["page"] + 1) if paging["has_next"] else None,
            "prev": link(paging["page"] - 1) if paging["has_prev"] else None}


def entity_page_data(node: str, *, page: str | int | None = None, path: str | None = None,
                     json_twin: bool = False) -> dict[str, Any]:
    """The entity page's dict: :func:`exokg.pages.entity_page` (read through the service
    and the facets artifact) plus links and formats.

    Raises
    ------
    NodeNotFound
        for a node that is the subject of no triple.
    InvalidQuery
        for a page out of range.
    """
    facets = app_facets()
    data = entity_page(app_reader(), node, page=page, facets=facets)
    data["title"] = data["label"]
    data["curie"] = compact(node)
    data["page_url"] = local_url(node)
    if path is not None:
        data["paging"] = _page_links(data["paging"], path, json_twin)
    data["formats"] = [{"name": f.name, "label": f.label or f.name, "kind": f.kind,
                        "extension": f.extension}
                       for f in formats(*GRAPH_KINDS, by_name=True)]
    data["table_titles"] = {str(k): v for k, v in review.TABLE_TITLES.items()}
    data["neighborhood"] = {"api": "/api/neighborhood", "node": node, "depth": 1}
    if facets.is_molecule(node):  # the evidence summary is a molecule's: else a 400
        data["evidence_api"] = "/api/evidence?" + urlencode({"node": node})
    return data


# ---------------------------------------------------------------- the ontology

@cache
def _ontology_bytes() -> bytes:
    from exokg.resources import ontology_path

    return (ontology_path() / "exokg.ttl").read_bytes()


def ontology_graph() -> Graph:
    """The ontology (``exokg.ontology/exokg.ttl``) as an rdflib graph."""
    graph = bind_prefixes(Graph())
    graph.parse(data=_ontology_bytes(), format="turtle")
    return graph


def _term_text(graph: Graph, term: Any) -> str:
    """A CURIE, or ``A or B`` for an ``owl:unionOf`` class expression."""
    if isinstance(term, BNode):
        members = graph.value(term, OWL.unionOf)
        if members is not None:
            return " or ".join(compact(str(m)) for m in Collection(graph, members))
        return "(class expression)"
    return compact(term)


def vocab_page_data(graph: Graph) -> dict[str, Any]:
    """The terms of the ontology: classes, object/datatype/annotation properties, individuals."""
    sections = [("Classes", OWL.Class), ("Object properties", OWL.ObjectProperty),
                ("Datatype properties", OWL.DatatypeProperty),
                ("Annotation properties", OWL.AnnotationProperty),
                ("Individuals", OWL.NamedIndividual)]
    from exokg.vocab import EXO

    out = []
    for title, cls in sections:
        terms = []
        for term in sorted(set(graph.subjects(RDF.type, cls)), key=str):
            if not str(term).startswith(str(EXO)):
                continue
            definition = graph.value(term, SKOS.definition) or graph.value(term, RDFS.comment)
            terms.append({
                "iri": str(term), "curie": compact(str(term)),
                "name": str(term).split("#", 1)[1],
                "label": str(graph.value(term, RDFS.label) or ""),
                "definition": str(definition or ""),
                "parents": sorted(_term_text(graph, o)
                                  for p in (RDFS.subClassOf, RDFS.subPropertyOf)
                                  for o in graph.objects(term, p)),
                "domain": sorted(_term_text(graph, o) for o in graph.objects(term, RDFS.domain)),
                "range": sorted(_term_text(graph, o) for o in graph.objects(term, RDFS.range)),
                "types": sorted(compact(str(o)) for o in graph.objects(term, RDF.type)
                                if o != OWL.NamedIndividual),
            })
        if terms:
            out.append({"title": title, "terms": terms})
    ontology = next(iter(graph.subjects(RDF.type, OWL.Ontology)), None)
    meta = {}
    if ontology is not None:
        from exokg.vocab import DCTERMS

        meta = {"iri": str(ontology), "title": str(graph.value(ontology, DCTERMS.title) or ""),
                "description": str(graph.value(ontology, DCTERMS.description) or ""),
                "version": str(graph.value(ontology, OWL.versionInfo) or "")}
    return {"title": meta.get("title") or "ExoKG vocabulary", "ontology": meta,
            "sections": out, "terms": sum(len(s["terms"]) for s in out)}


@bp.route("/vocab")
@bp.route("/vocab.<fmt>")
def vocab(fmt: str | None = None) -> Response:
    try:
        want = negotiate(fmt)
    except KeyError:
        suffixes = ", ".join(f".{f.extension}" for f in _rdf_formats())
        return error_page(406, f"unknown format {fmt!r}; try {suffixes} or .json", fmt="json")
    if want == "turtle":
        response = Response(_ontology_bytes(), mimetype="text/turtle")  # charset=utf-8 added
        response.vary.add("Accept")
        return response
    graph = ontology_graph()
    if want not in ("html", "json"):
        return _rdf_response(graph, want, canonical=url_for("ld.vocab"))
    response = render_page("vocab.html", vocab_page_data(graph), fmt=want,
                           html_extra={"alternates": _alternates(url_for("ld.vocab"))})
    return _with_links(response, url_for("ld.vocab"))


def init_app(app: Flask) -> None:
    """Register the Linked Data routes."""
    app.register_blueprint(bp)

