"""Unit tests of exokg.sparql (no HTTP server) and the in-process Flask surface."""

from __future__ import annotations

import json
import time

import pytest
from exokg.errors import ConfigError, InvalidQuery, QueryRefused, QueryTimeout, UnknownFormat
from exokg.server.settings import load_settings
from exokg.sparql import QueryRequest, SparqlService, check_query, inspect_query, negotiate
from exokg.sparql.cache import ResultCache


@pytest.mark.parametrize("text,form,update", [
    ("SELECT * { ?s ?p ?o }", "SELECT", False),
    ("PREFIX select: <http://ex/> # CONSTRUCT in a comment\nASK { ?s select:p 'DELETE' }",
     "ASK", False),
    ("BASE <http://ex/> DESCRIBE <a>", "DESCRIBE", False),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False),
    ("DELETE WHERE { ?s ?p ?o }", None, True),
    ("PREFIX ex: <http://ex/> LOAD <http://ex/data>", None, True),
    ("WITH <http://ex/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", None, True),
])
def test_inspect_query(text, form, update):
    info = inspect_query(text)
    assert (info.form, info.is_update) == (form, update)


def test_service_allowlist():
    q = "PREFIX e: <http://ex/> SELECT * { SERVICE e:sparql { ?s ?p ?o } }"
    with pytest.raises(QueryRefused):
        check_query(inspect_query(q), allowlist=[])
    check_query(inspect_query(q), allowlist=["http://ex/sparql"])
    with pytest.raises(QueryRefused):
        check_query(inspect_query("SELECT * { SERVICE <http://other/> {} }"),
                    allowlist=["http://ex/sparql"])
    # the word inside strings, IRIs and comments is not a SERVICE call
    check_query(inspect_query('SELECT * { ?s <http://ex/SERVICE> "SERVICE <x>" } # SERVICE'),
                allowlist=[])


@pytest.mark.parametrize("accept,solutions,graph", [
    (None, "application/sparql-results+json", "text/turtle"),
    ("text/csv;q=0.4, application/sparql-results+xml;q=0.8", "application/sparql-results+xml",
     None),
    ("application/*", "application/sparql-results+json", "application/n-triples"),
    ("text/*;q=0.5, application/n-triples", "text/csv", "application/n-triples"),
    ("application/json;q=0, */*;q=0.1", "application/sparql-results+xml", "text/turtle"),
    ("image/png", None, None),
])
def test_negotiate(accept, solutions, graph):
    sol, gr = negotiate(accept)
    assert (sol.media_type if sol else None) == solutions
    assert (gr.media_type if gr else None) == graph


def test_negotiate_format_name():
    assert negotiate(None, format_name="tsv")[0].media_type == "text/tab-separated-values"
    assert negotiate(None, format_name="nt")[1].media_type == "application/n-triples"
    with pytest.raises(UnknownFormat):
        negotiate(None, format_name="graphml")  # a network format carries no results
    with pytest.raises(UnknownFormat):
        negotiate(None, format_name="nope")


def test_cache_bounds():
    cache = ResultCache(max_entries=3, max_bytes=100)
    for i in range(5):
        cache.put(str(i), b"x" * 10, {})
    assert len(cache) == 3 and cache.get("0") is None and cache.get("4") is not None
    cache.put("big", b"x" * 95, {})
    assert cache.get("big") is not None and len(cache) == 1


def test_settings():
    s = load_settings({"MAX_ROWS": 7, "TESTING": True},
                      environ={"EXOKG_QUERY_TIMEOUT": "1.5", "EXOKG_SERVICE_ALLOWLIST": "a,b"})
    assert (s["MAX_ROWS"], s["QUERY_TIMEOUT"], s["SERVICE_ALLOWLIST"]) == (7, 1.5, ["a", "b"])
    assert s["PUBLIC_BASE_IRI"] == "https://w3id.org/exokg/" and s["MAX_RADIUS"] == 3
    assert s["STORE_DIR"].endswith("exokg/store")
    for bad in ({"NOPE": 1}, {"MAX_ROWS": "7"}, {"DEBUG": 1}, {"WORKERS": 0},
                {"QUERY_TIMEOUT": -1}):
        with pytest.raises(ConfigError):
            load_settings(bad, environ={})
    with pytest.raises(ConfigError):
        load_settings({}, environ={"EXOKG_DEBUG": "maybe"})


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = SparqlService(load_settings(
        {"STORE_DIR": str(tmp_path_factory.mktemp("store")), "QUERY_TIMEOUT": 1.0,
         "MAX_ROWS": 100, "EXECUTORS": 2}, environ={}))
    yield service
    service.close()


def _body(answer) -> bytes:
    return answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)


def test_service_query_and_cache(service):
    q = "PREFIX exo: <https://w3id.org/exokg/vocab#> SELECT (COUNT(*) AS ?n) { ?f a exo:Finding }"
    first = service.query(QueryRequest(q))
    assert json.loads(_body(first))["results"]["bindings"][0]["n"]["value"] == "66"
    assert first.info["cache"] == "miss" and first.info["rows"] == 1
    second = service.query(QueryRequest(q))
    assert second.cached and second.body == first.body
    assert second.headers["ETag"] == first.headers["ETag"]
    assert service.query(QueryRequest(q, if_none_match=first.headers["ETag"])).status == 304


def test_service_errors(service):
    with pytest.raises(InvalidQuery, match="at line 1, column"):
        service.query(QueryRequest("SELECT * { ?s ?p }"))
    with pytest.raises(QueryRefused):
        service.query(QueryRequest("CLEAR ALL"))
    with pytest.raises(UnknownFormat):
        service.query(QueryRequest("ASK {}", accept="text/turtle"))


def test_service_timeout_kills_and_recovers(service):
    runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    kills = service.pool.kills
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        _body(service.query(QueryRequest(runaway)))
    assert time.monotonic() - started < 2.5
    assert service.pool.kills == kills + 1
    assert json.loads(_body(service.query(QueryRequest("ASK {}"))))["boolean"] is True


def test_service_row_cap(service):
    answer = service.query(QueryRequest("SELECT ?s { ?s ?p ?o }"))
    body = json.loads(_body(answer))
    assert answer.headers["X-Result-Truncated"] == "true"
    assert body["truncated"] is True and len(body["results"]["bindings"]) == 100


def test_health(service):
    report = service.health()
    assert report["ok"] and report["answer"] and report["triples"] > 3000


# --- in-process Flask (app/client fixtures) ----------------------------------------

def test_client_sparql(client):
    r = client.get("/sparql", query_string={"query": "ASK {}"})
    assert r.status_code == 200 and r.get_json()["boolean"] is True
    r = client.post("/sparql", data="ASK {}", content_type="application/sparql-query")
    assert r.status_code == 200


def test_client_errors(client):
    r = client.get("/sparql", query_string={"query": "ASK {"})
    assert r.status_code == 400 and r.mimetype == "text/plain"
    r = client.get("/sparql", query_string={"query": "ASK {"},
                   headers={"Accept": "application/json"})
    assert r.get_json()["ok"] is False
    assert client.put("/sparql").status_code == 405


def test_client_descriptions(client):
    r = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and b"SPARQL11Query" in r.data
    r = client.get("/.well-known/void")
    assert b"void:Dataset" in r.data and b"creativecommons.org/licenses/by-nc/4.0" in r.data
    assert client.get("/healthz").get_json()["ok"] is True
