"""`exokg index` over a remote store reads its answers in pages, each below the engine's cap.

Here the pages are tiny (7 rows), so every large read of the artifact builders spans many
pages: the artifacts built that way from Oxigraph server serve the same entity pages,
search and neighbourhoods as the embedded store's, through HTTP (the Virtuoso twin is in
tests/test_remote_virtuoso.py, with the cut page that must fail). The Python adapter's
paged and streamed answers are checked against the unpaged ones.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from _sweep import assert_same_surfaces, review_paths, surfaces
from conftest import exokg, start_server, stop_server
from exokg.sparql.remote import RemoteStore

#: Rows per page: small enough that every large read of the review's graph is paged.
PAGE = 7


def artifact_surfaces() -> list[str]:
    """Surfaces that read the artifacts: entity pages and evidence (facets), search (the
    search index), neighbourhoods, paths and ranks (adjacency, metrics), home (counts);
    every fourth node's."""
    nodes = review_paths()[::4]
    per_node = [f"/id/{n}{suffix}" for n in nodes for suffix in ("", ".json")]
    api = [p for p in surfaces("api") if not p.startswith(("/api/evidence?", "/api/neighbor"))]
    api += [p for p in surfaces("api") if p.startswith(("/api/evidence?", "/api/neighbor"))
            and p.rpartition("/id/")[2] in nodes]
    site = [p for p in surfaces("site") if p in ("/", "/.json") or p.startswith("/search")]
    return per_node + api + site


@pytest.fixture(scope="module")
def paged_oxigraph_server(oxigraph_store, tmp_path_factory):
    """`exokg serve --store-url` over the session's Oxigraph server, with artifacts that
    `exokg index --page-rows 7` built."""
    artifacts = str(tmp_path_factory.mktemp("paged-artifacts"))
    done = exokg("index", "--store-url", oxigraph_store.query_url, "--update-url",
                 f"{oxigraph_store.base}/update", "--store", artifacts,
                 "--page-rows", str(PAGE))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == oxigraph_store.loaded["version"]
    proc, url = start_server(["--store-url", oxigraph_store.query_url, "--store", artifacts,
                              "--workers", "1", "--threads", "4", "--timeout", "10",
                              "--no-access-log"])
    yield url
    stop_server(proc)


def test_artifacts_read_in_pages_serve_as_embedded(paged_oxigraph_server, live_server):
    paths = artifact_surfaces()
    assert any(p.startswith("/api/entities") for p in paths)
    assert len([p for p in paths if p.startswith("/api/neighborhood?node=http")]) > 10
    assert_same_surfaces(paged_oxigraph_server, live_server, paths)


@pytest.mark.parametrize("query", [
    # duplicate rows across page edges (a predicate per triple)
    "SELECT ?p WHERE { ?s ?p ?o }",
    # an aggregate (hash order in Oxigraph, so different between two runs)
    "PREFIX exo: <https://w3id.org/exokg/vocab#>\n"
    "SELECT ?o ?p (COUNT(?s) AS ?n) WHERE { ?s ?p ?o MINUS { ?s a exo:Finding } } GROUP BY ?o ?p",
    # unbound values, and a projection order that is not alphabetical
    "SELECT ?s ?label WHERE { ?s a ?c OPTIONAL { ?s <http://www.w3.org/2000/01/rdf-schema#label> "
    "?label } }",
])
def test_paged_answer_is_the_whole_answer(oxigraph_store, query):
    """Parts of about 50 rows give the rows of the answer asked at once: each once, none
    lost."""
    page = 50  # each part costs a whole evaluation: fewer parts than PAGE's
    whole = RemoteStore(oxigraph_store.query_url).query(query)
    paged = RemoteStore(oxigraph_store.query_url, page_rows=page).query(query)
    assert isinstance(paged, type(whole)) and paged.variables == whole.variables
    want = Counter(tuple(s) for s in whole)
    got = Counter(tuple(s) for s in paged)
    assert sum(want.values()) > 5 * page
    assert got == want


def test_an_answer_dropped_unread_does_not_spoil_the_next(oxigraph_store):
    """A streamed answer left half read closes its connection instead of pooling it: the
    queries after it (on the same adapter) get their own, whole answers."""
    store = RemoteStore(oxigraph_store.query_url)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    total = int(next(iter(store.query(count)))[0].value)
    for _ in range(3):
        answer = iter(store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"))
        next(answer)
        del answer
        assert int(next(iter(store.query(count)))[0].value) == total
        triples = list(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))
        assert len(triples) == total


def test_a_half_read_paged_answer_is_freed_where_it_is_dropped():
    """A paged answer holds no reference cycle: dropped half-read, it is freed at once, in
    the dropping thread. pyoxigraph's solutions may be freed only in the thread that made
    them; in a cycle they waited for the cyclic GC, which ran in another builder's thread
    and crashed the process (a segfault in CI)."""
    import gc
    import weakref

    import pyoxigraph as ox
    from exokg.sparql.paging import PagedSolutions

    store = ox.Store()
    store.extend([ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(str(i)))
                  for i in range(50)])
    gc.disable()  # only reference counting may free it
    try:
        paged = PagedSolutions(store.query, "SELECT ?s ?o { ?s <urn:p> ?o }", PAGE)
        assert next(paged)["s"].value.startswith("urn:s")
        ref = weakref.ref(paged)
        del paged
        assert ref() is None
    finally:
        gc.enable()
