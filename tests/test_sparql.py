"""Unit tests of exokg.sparql (no HTTP server) and the in-process Flask surface."""

from __future__ import annotations

import json
import time

import pytest
from exokg.config import Config
from exokg.errors import ConfigError, InvalidQuery, QueryRefused, QueryTimeout, UnknownFormat
from exokg.formats import formats, get_format
from exokg.sparql import QueryRequest, SparqlService, check_query, inspect_query, negotiate
from exokg.sparql.cache import ResultCache
from exokg.sparql.negotiate import negotiate_for


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


# every character Python or SPARQL might read as the end of a line or as white space
_BREAKS = [chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\xa0", "\u2028", "\u2029",
                                         "\ufeff"]


@pytest.mark.parametrize("char", _BREAKS, ids=[f"U+{ord(c):04X}" for c in _BREAKS])
def test_a_service_after_a_comment_is_seen_wherever_oxigraph_reads_it(char):
    """The check ended a comment at a line feed only; Oxigraph ends it at a carriage
    return too, and ran the SERVICE call behind ``# x\r`` (the allowlist bypassed). For
    each character after a comment: either the check sees the SERVICE, or Oxigraph does
    not read the query at all."""
    import pyoxigraph as ox

    query = f"SELECT * {{ # x{char} SERVICE <http://127.0.0.1:1/> {{ ?s ?p ?o }} }}"
    if inspect_query(query).services:
        with pytest.raises(QueryRefused):
            check_query(inspect_query(query), allowlist=[])
        return
    try:
        list(ox.Store().query(query))
    except SyntaxError:
        return  # not a query Oxigraph runs
    except OSError:  # it ran the call (port 1 refuses it): the check missed it
        pass
    pytest.fail(f"Oxigraph reads a SERVICE after a comment ended by U+{ord(char):04X}")


class _Listener:
    """A loopback port that counts the connections made to it (a SERVICE call's)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.calls = self.sock.getsockname()[1], 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.calls += 1
            conn.close()

    def called_by(self, query: str) -> bool:
        """Whether Oxigraph calls this port to run ``query`` (a syntax error: no)."""
        import pyoxigraph as ox

        before = self.calls
        try:
            list(ox.Store().query(query))
        except SyntaxError:
            return False
        except OSError:  # the call failed: it was made
            pass
        return self.calls > before


@pytest.fixture(scope="module")
def listener():
    found = _Listener()
    yield found
    found.sock.close()


@pytest.mark.parametrize("query", [
    # Oxigraph reads a keyword with nothing between it and the next token
    "PREFIX : <http://127.0.0.1:PORT/> SELECT * { SERVICE:x { ?s ?p ?o } }",
    "PREFIX e: <http://127.0.0.1:PORT/> SELECT * { SERVICEe:x { ?s ?p ?o } }",
    "SELECT * { SERVICESILENT<http://127.0.0.1:PORT/> { ?s ?p ?o } }",
    # an IRI's \\u escape, a name's U+00B7, U+0301, U+2040: the check's token ended early
    "SELECT * { BIND(<http://x/\\u0041#> AS ?a) SERVICE <http://127.0.0.1:PORT/> { ?s ?p ?o } }",
    "SELECT * { BIND(<http://x/\\u0041'> AS ?a) SERVICE <http://127.0.0.1:PORT/> { ?s ?p ?o } "
    "BIND(<http://y/'> AS ?b) }",
    *(f"PREFIX ex: <http://e/> SELECT * {{ BIND(ex:a{c}\\#b AS ?x) "
      "SERVICE <http://127.0.0.1:PORT/> { ?s ?p ?o } }" for c in ("\u00b7", "\u0301", "\u2040")),
])
def test_a_service_call_oxigraph_makes_is_refused(listener, query):
    """Each ran its call past the allowlist (found by a review of the comment fix)."""
    query = query.replace("PORT", str(listener.port))
    assert listener.called_by(query)
    with pytest.raises((QueryRefused, InvalidQuery)):
        check_query(inspect_query(query), allowlist=[])


_PIECES = [" SERVICE <ENDPOINT> { ?s ?p ?o } ", " SERVICE SILENT <ENDPOINT> { ?s ?p ?o } ",
           "SERVICE:a { ?s ?p ?o }", "SERVICE", "SILENT", " ", "\r", "\n", "#", '"', "'",
           "\\", "u0041", "<", ">", "<ENDPOINT>", "{", "}", "?s ?p ?o", "ex:", ":", "a",
           "\u00b7", "\u0301", "BIND(", " AS ?x)", ".", "(", ")", "<http://x/"]


def test_no_service_call_oxigraph_makes_passes_the_check(listener):
    """Whatever the pieces, a query Oxigraph calls an endpoint for is refused here."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    endpoint = f"http://127.0.0.1:{listener.port}/"

    @settings(max_examples=600, deadline=None, derandomize=True)
    @given(st.lists(st.sampled_from(_PIECES), max_size=12))
    def check(pieces):
        query = (f"PREFIX ex: <http://e/> PREFIX : <{endpoint}> SELECT * {{ "
                 + "".join(pieces).replace("ENDPOINT", endpoint) + " }")
        if listener.called_by(query):
            with pytest.raises((QueryRefused, InvalidQuery)):
                check_query(inspect_query(query), allowlist=[])

    check()


def test_a_comment_ended_by_a_carriage_return_hides_no_depth():
    """The depth check, blind past ``# x\r`` too, let a 40,000-deep expression reach the
    executor (it crashed with signal 11)."""
    query = "SELECT * { # x\r FILTER(" + "STR(" * 40000 + "1" + ")" * 40001 + " }"
    assert inspect_query(query).too_deep_at is not None


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
    sol, graph = negotiate(None, format_name="xml")  # one name, a format of each kind
    assert (sol.name, graph.name) == ("sparql-xml", "rdfxml")
    assert negotiate(None, format_name="csv") == (get_format("csv", "results"), None)


@pytest.mark.parametrize("names,accept,solutions,graph", [
    # SPARQLWrapper: format=n3&output=n3&results=n3 (only format= counts) with a Turtle Accept
    (["n3"], "application/turtle,text/turtle,text/rdf+n3,application/n-triples",
     None, "turtle"),
    (["rdf+xml", "application/rdf+xml"], "application/rdf+xml", None, "rdfxml"),
    (["tsv", "text/tab-separated-values"], "text/tab-separated-values", "sparql-tsv", None),
    (["nope", "ttl", "csv"], "*/*", None, "turtle"),  # the first known value decides
    (["graphml"], None, "sparql-json", "turtle"),  # not a SPARQL format: Accept decides
    (["nope"], "image/png", None, None),
])
def test_negotiate_repeated_and_unknown_format_names(names, accept, solutions, graph):
    sol, gr = negotiate(accept, format_name=names)
    assert (sol.name if sol else None, gr.name if gr else None) == (solutions, graph)


def test_not_acceptable_names_what_is_served():
    served = [f.media_type for f in formats("results")]
    with pytest.raises(UnknownFormat) as err:
        negotiate_for("SELECT", "text/turtle")
    assert str(err.value).endswith(", ".join(served) + " (SELECT, ASK)")
    with pytest.raises(UnknownFormat, match="text/turtle, application/n-triples"):
        negotiate_for("CONSTRUCT", "application/sparql-results+json")
    with pytest.raises(UnknownFormat, match="for a SPARQL query"):
        negotiate_for(None, "image/png")
    assert negotiate_for("ASK", None, format_name=["n3", "json"])[0].name == "sparql-json"


def test_cache_bounds():
    cache = ResultCache(max_entries=3, max_bytes=100)
    for i in range(5):
        cache.put(str(i), b"x" * 10, {})
    assert len(cache) == 3 and cache.get("0") is None and cache.get("4") is not None
    cache.put("big", b"x" * 95, {})
    assert cache.get("big") is not None and len(cache) == 1


def test_settings():
    c = Config.load({"MAX_ROWS": 7},
                    environ={"EXOKG_QUERY_TIMEOUT": "1.5",
                             "EXOKG_SERVICE_ALLOWLIST": "http://a/sparql, https://b/q",
                             "EXOKG_MAX_ROWS": "9"})  # flags > environment > defaults
    assert (c.max_rows, c.query_timeout, c.service_allowlist) == \
        (7, 1.5, ("http://a/sparql", "https://b/q"))
    assert c.public_base_iri == "https://w3id.org/exokg/" and c.max_radius == 3
    assert c.store_dir is not None and c.store_dir.endswith("exokg/store")
    assert (c.executors, c.memory_triples) == (3, 100_000)  # one table, one set of defaults
    for bad in ({"NOPE": 1}, {"TESTING": True}, {"max_rows": 7}, {"MAX_ROWS": "7"},
                {"DEBUG": 1}, {"WORKERS": 0}, {"QUERY_TIMEOUT": -1},
                {"QUERY_TIMEOUT": float("nan")}, {"SERVICE_ALLOWLIST": ("a",)},
                {"PUBLIC_BASE_IRI": "https://x/no-slash"}, {"QUERY_MEMORY": -1},
                {"EXECUTORS": 257}, {"THREADS": 1025}, {"EXPORT_TIMEOUT": 604_801.0},
                {"WORKERS": 64, "EXECUTORS": 17},
                {"BODY_TIMEOUT": 1e9}):
        with pytest.raises(ConfigError):
            Config.load(bad, environ={})
    with pytest.raises(ConfigError):
        Config.load({}, environ={"EXOKG_DEBUG": "maybe"})
    with pytest.raises(ConfigError):
        Config(max_rows="7")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        c.max_rows = 8  # type: ignore[misc]


def test_create_app_rejects_a_bad_setting_and_a_blueprint_that_does_not_import(
        monkeypatch, store_dir):
    import exokg.server
    from exokg.server import create_app

    with pytest.raises(ConfigError, match="NOPE"):
        create_app({"NOPE": 1})
    monkeypatch.setattr(exokg.server, "BLUEPRINT_MODULES",
                        (*exokg.server.BLUEPRINT_MODULES, "exokg.server.no_such_surface"))
    with pytest.raises(ModuleNotFoundError, match="no_such_surface"):
        create_app({"STORE_DIR": str(store_dir)})


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = SparqlService(Config.load(
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
    assert second.cached and second.body == first.body and second.etag == first.etag
    assert (first.media_type, first.truncated) == ("application/sparql-results+json", False)
    again = service.query(QueryRequest(q, if_none_match=first.etag))
    assert again.not_modified and again.body == b""


def test_etag_follows_the_code_as_well_as_the_data(service, monkeypatch):
    """An upgrade keeps the store (its data version) but not the ETags: the bodies follow
    the code, so a client's cached answer is not confirmed by a 304."""
    q = "ASK { ?s ?p ?o }"
    first = service.query(QueryRequest(q))
    monkeypatch.setattr("exokg.release.code_version", lambda: "the next release")
    upgraded = service.query(QueryRequest(q, if_none_match=first.etag))
    assert not upgraded.not_modified and upgraded.etag != first.etag
    assert upgraded.data_version == first.data_version and _body(upgraded) == _body(first)


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
    assert answer.truncated and answer.max_rows == 100
    cached = service.query(QueryRequest("SELECT ?s { ?s ?p ?o }"))
    assert cached.cached and cached.truncated
    assert body["truncated"] is True and len(body["results"]["bindings"]) == 100


def test_select_and_construct_use_the_bounded_path(service):
    from exokg.sparql.service import issued_queries, start_recording

    start_recording()
    q = "SELECT ?f { ?f a <https://w3id.org/exokg/vocab#Finding> }"
    results = service.select(q, max_rows=7)
    assert len(results.rows) == 7 and results.truncated
    assert len(service.select(q, max_rows=1000).rows) == 66  # the service's cap (100) holds
    assert len(service.select("SELECT ?s { ?s ?p ?o }", max_rows=500).rows) == 100
    graph, cut = service.construct(
        "CONSTRUCT WHERE { <https://w3id.org/exokg/id/content/mir-21> ?p ?o }")
    assert len(graph) > 10 and not cut
    assert [entry["query"] for entry in issued_queries()][:2] == [q, q]
    with pytest.raises(InvalidQuery):
        service.select("SELECT * { ?s ?p }")


def test_access_log_lists_the_queries_a_request_issued(store_dir, caplog):
    import logging

    from exokg.server import create_app

    app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "EXECUTORS": 1,
                      "LOG_QUERIES": True})
    try:
        with caplog.at_level(logging.INFO, logger="exokg.access"):
            assert app.test_client().get("/id/content/mir-21.json").status_code == 200
            assert app.test_client().get("/sparql?query=ASK%7B%7D").status_code == 200
    finally:
        app.extensions["exokg.sparql"].close()
    entries = [json.loads(r.getMessage()) for r in caplog.records if r.name == "exokg.access"]
    assert all(isinstance(e["queries"], list) for e in entries)


def test_health(service):
    report = service.health()
    assert report["ok"] and report["answer"] and report["triples"] > 3000


# --- in-process Flask (app/client fixtures) ----------------------------------------

def test_client_sparql(client):
    r = client.get("/sparql", query_string={"query": "ASK {}"})
    assert r.status_code == 200 and r.get_json()["boolean"] is True
    r = client.post("/sparql", data="ASK {}", content_type="application/sparql-query")
    assert r.status_code == 200


def test_void_and_the_home_page_say_what_the_total_is_made_of(client):
    """VoID's total holds the metrics' named graph, the home page's count the default
    graph's: each named graph is now a counted subset, so the two add up (they
    disagreed, 3,610 against 3,113, with nothing to say why)."""
    from rdflib import Graph, Namespace

    void, sd = Namespace("http://rdfs.org/ns/void#"), Namespace(
        "http://www.w3.org/ns/sparql-service-description#")
    g = Graph().parse(data=client.get("/.well-known/void",
                                      headers={"Accept": "text/turtle"}).data, format="turtle")
    (dataset,) = g.subjects(void.sparqlEndpoint, None)
    total = int(g.value(dataset, void.triples))
    subsets = {str(g.value(s, sd.name)): int(g.value(s, void.triples))
               for s in g.objects(dataset, void.subset)}
    default = int(client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
        headers={"Accept": "application/json"}).get_json()["results"]["bindings"][0]["n"]["value"])
    in_metrics = int(client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/exokg/graph/metrics> "
                 "{ ?s ?p ?o } }"}, headers={"Accept": "application/json"}
    ).get_json()["results"]["bindings"][0]["n"]["value"])
    assert subsets == {"https://w3id.org/exokg/graph/metrics": in_metrics}
    assert total == default + in_metrics
    home = client.get("/.json").get_json()["counts"]
    assert home["triples"] == default
    assert home["named_graphs"] == {"count": 1, "triples": in_metrics, "listed": [
        {"graph": "https://w3id.org/exokg/graph/metrics", "triples": in_metrics,
         "metrics": True}]}
    page = client.get("/").get_data(as_text=True)
    assert f"{default:,} triples in the default graph; {in_metrics:,} in the named graph" in page
    described = Graph().parse(data=client.get("/sparql", headers={
        "Accept": "text/turtle"}).data, format="turtle")
    (graph,) = described.objects(None, sd.defaultGraph)
    assert int(described.value(graph, void.triples)) == default


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


def test_many_named_graphs_are_counted_and_the_largest_named(tmp_path, monkeypatch):
    """A data file of thousands of named graphs would have listed each on the home page
    and in VoID: the largest are named, the rest counted."""
    from exokg.server import create_app, ui
    from exokg.sparql import describe
    from rdflib import RDFS, Graph, Namespace

    monkeypatch.setattr(describe, "GRAPHS_DESCRIBED", 3)
    data = tmp_path / "graphs.trig"
    data.write_text("".join(
        f"<https://example.org/g{n}> {{ " + " ".join(
            f"<https://example.org/s{n}-{k}> <https://example.org/p> {k} ." for k in range(n + 1))
        + " }\n" for n in range(12)), encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(tmp_path / "store"),
                      "DATA_FILES": [str(data)], "EXECUTORS": 1})
    try:
        client = app.test_client()
        named = client.get("/.json").get_json()["counts"]["named_graphs"]
        user = sum(range(1, 13))
        # the default graph is empty: no network, no metrics' graph
        assert named["count"] == 12 and named["triples"] == user
        assert len(named["listed"]) == ui.GRAPHS_NAMED
        assert [g["triples"] for g in named["listed"]] == sorted(
            (g["triples"] for g in named["listed"]), reverse=True)
        assert f"in {named['count']:,} named graphs in all" in client.get("/").get_data(
            as_text=True)
        void = Namespace("http://rdfs.org/ns/void#")
        g = Graph().parse(data=client.get("/.well-known/void",
                                          headers={"Accept": "text/turtle"}).data,
                          format="turtle")
        assert len(list(g.triples((None, void.subset, None)))) == 3
        assert any(f"12 named graphs hold {user} of the triples" in str(c)
                   for c in g.objects(None, RDFS.comment))
    finally:
        app.extensions["exokg.sparql"].close()
