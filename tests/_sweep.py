"""Every surface of the review's graph, asked of two servers and compared byte for byte.

The route list is derived, not written out: the nodes of the bundled graph
(:func:`review_paths`), the formats of the registry (:mod:`exokg.formats`) and the
example questions (:mod:`exokg.examples`), so a new node, format or example is swept as
soon as it exists. :func:`assert_same_surfaces` asks two servers each path and wants
the same status, media type, download name, ETag and body, byte for byte, for the same
URL (both asked with one ``Host``); the only allowed difference is the documented time of
VoID's ``dcterms:modified`` (and so VoID's ETag).

Used by the remote-store tests (embedded vs a remote engine) and the determinism tests
(two processes under different ``PYTHONHASHSEED``).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from urllib.parse import quote, urlsplit

import requests
from exokg.build import build_graph
from exokg.examples import EXAMPLES
from exokg.formats import GRAPH_KINDS, formats
from exokg.vocab import EXOID
from rdflib import URIRef

__all__ = ["GROUPS", "assert_same_surfaces", "review_paths", "surfaces"]

#: The groups of :func:`surfaces`.
GROUPS = ("entity pages", "api", "downloads", "site", "queries", "exports")

_RANKS = ("degree", "pagerank", "betweenness", "studies")
#: Nodes whose neighbourhood is downloaded in every graph format (with the parameters
#: that change what a download holds: depth, findings, filters).
_DOWNLOADED = ("node=miR-21&depth=2", "node=HCC&findings=true", "node=miR-638",
               "node=exoid:disease/hcc&depth=2&direction=in&limit=30",
               "node=miR-122&predicates=exo:upregulatedIn,exo:citedIn")
_PATHS = ("source=miR-122&target=miR-21&k=3", "source=miR-21&target=HCC&findings=true")


@cache
def review_paths() -> tuple[str, ...]:
    """The path (under /id/) of every node of the review's graph."""
    graph = build_graph()
    return tuple(sorted(str(s)[len(str(EXOID)):] for s in set(graph.subjects())
                        if isinstance(s, URIRef) and str(s).startswith(str(EXOID))))


def _graph_formats() -> list[str]:
    return [f.name for f in formats(*GRAPH_KINDS, by_name=True)]


def _rdf_suffixes() -> list[str]:
    return [f".{f.extension}" for f in formats("rdf", by_name=True)]


def _queries() -> list[str]:
    """Each example question on the query page (and its JSON twin), asked of /sparql in
    every format of its kind, and downloaded from the query page in every format."""
    from exokg.server.ui import TABLE_DOWNLOADS

    out = []
    for example in EXAMPLES:
        query = quote(example.sparql)
        out += [f"/query?example={example.slug}", f"/query.json?example={example.slug}"]
        if example.kind in ("CONSTRUCT", "DESCRIBE"):
            out += [f"/sparql?query={query}&format={quote(f.media_type)}"
                    for f in formats("rdf")]
            out += [f"/query.{name}?query={query}" for name in _graph_formats()]
        else:
            out += [f"/sparql?query={query}&format={quote(f.media_type)}"
                    for f in formats("results")]
            out += [f"/query.{name}?query={query}" for name in TABLE_DOWNLOADS]
    return out


def surfaces(group: str) -> list[str]:
    """The paths of one group of :data:`GROUPS`.

    ``entity pages``: every node's page, its JSON twin and its description in every RDF
    syntax; ``api``: every node's evidence and neighbourhood, the ranks, searches,
    conflicts and errors; ``downloads``: neighbourhoods and paths in every graph format;
    ``site``: the home, search, vocabulary (in every syntax), VoID, OpenAPI and 404
    pages; ``queries``: :func:`_queries`; ``exports``: the whole graph in every graph
    format, with and without findings.
    """
    nodes = review_paths()
    if group == "entity pages":
        return [f"/id/{n}{suffix}" for n in nodes
                for suffix in ("", ".json", *_rdf_suffixes())]
    if group == "api":
        iri = str(EXOID)
        return ([f"/api/evidence?node={iri}{n}" for n in nodes]
                + [f"/api/neighborhood?node={iri}{n}" for n in nodes]
                + [f"/api/rank?metric={m}" for m in _RANKS]
                + ["/api/rank?metric=studies&type=MicroRNA&limit=3",
                   "/api/entities?q=mir-21", "/api/entities?q=carcinoma&type=Disease",
                   "/api/neighborhood?node=miR-21&depth=2&findings=true",
                   "/api/path?source=miR-122&target=miR-21&k=3", "/api/conflicts",
                   "/api/conflicts?page=2", "/api/formats", "/api/neighborhood?node=miR-21x"])
    if group == "downloads":
        return ([f"/api/neighborhood?{args}&format={f}" for args in _DOWNLOADED
                 for f in _graph_formats()]
                + [f"/api/path?{args}&format={f}" for args in _PATHS
                   for f in _graph_formats()])
    if group == "site":
        return ["/", "/.json", "/search?q=mir-21", "/search.json?q=hepatocellular",
                "/vocab", "/vocab.json", *(f"/vocab{s}" for s in _rdf_suffixes()),
                "/.well-known/void", "/query", "/query.json", "/openapi.json",
                "/id/content/nope", "/id/content/nope.json"]
    if group == "queries":
        return _queries()
    assert group == "exports", group
    return [f"/api/export?format={f}&findings={flag}" for f in _graph_formats()
            for flag in ("false", "true")]


#: VoID's ``dcterms:modified``: when each store was loaded (documented as such).
_MODIFIED = re.compile(rb'(dcterms:modified\s+)"[^"]*"')


def _without_modified(void: bytes) -> bytes:
    """A VoID description (Turtle) with the time its store was loaded blanked out."""
    out, found = _MODIFIED.subn(rb'\1"(modified)"', void)
    assert found == 1, void[:500]
    return out


def _get(session: requests.Session, url: str, host: str) -> requests.Response:
    return session.get(url, headers={"Host": host}, timeout=120)


def assert_same_surfaces(first: str, second: str, paths: list[str]) -> None:
    """Each path answers on the server at ``second`` as on the one at ``first``: the same
    status, media type, download name and ETag, and the same body byte for byte (VoID's
    ``dcterms:modified``, the time each store was loaded, and so VoID's ETag aside).

    Both servers are asked at once for the same URL: with the ``Host`` of ``first``, as
    replicas behind a balancer are (a page may name the address it was asked at). Every
    answer but an error carries an ETag, and an equal ETag means equal bytes.
    """
    sessions = requests.Session(), requests.Session()
    host = urlsplit(first).netloc
    with ThreadPoolExecutor(2) as pool:
        for path in paths:
            want, got = pool.map(_get, sessions, (f"{first}{path}", f"{second}{path}"),
                                 (host, host))
            assert got.status_code == want.status_code, (path, got.text[:300])
            for header in ("Content-Type", "Content-Disposition"):
                assert got.headers.get(header) == want.headers.get(header), (path, header)
            for answer in (want, got):  # the validator rule: every answer but an error
                assert ("ETag" in answer.headers) == (answer.status_code == 200), path
            if path != "/.well-known/void":
                assert got.headers.get("ETag") == want.headers.get("ETag"), path
            if got.headers.get("ETag") and got.headers.get("ETag") == want.headers.get("ETag"):
                # a strong validator promises the same bytes
                assert got.content == want.content, (path, "same ETag, other bytes")
            bodies = [got.content, want.content]
            if path == "/.well-known/void":
                bodies = [_without_modified(body) for body in bodies]
            assert bodies[0] == bodies[1], path
