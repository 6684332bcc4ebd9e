"""A remote store: `exokg serve --store-url` over Oxigraph server gives the embedded answers.

Oxigraph server runs on loopback (once per session: tests/conftest.py `oxigraph_store`);
`exokg load` puts the bundled graph in it; a real `exokg serve --store-url` answers the
SPARQL protocol, the example questions and every surface of the review's graph (entity
pages and their twins, the API, the whole-graph exports), and its answers (bodies and
ETags) are compared with the embedded store's (`live_server`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import requests
from _remote_engines import start_oxigraph, stop
from _sweep import GROUPS, assert_same_surfaces, surfaces
from conftest import DATA, exokg, server_log, start_server, stop_server
from exokg.errors import InvalidQuery, QueryTimeout
from exokg.examples import EXAMPLES
from exokg.formats import formats
from exokg.sparql.remote import RemoteEndpoint, RemoteFailed, RemotePool, RemoteStore
from rdflib import Graph
from rdflib.compare import isomorphic

SRJ = "application/sparql-results+json"
FORMATS = [SRJ, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]


def load(base: str, *args: str) -> dict:
    done = exokg("load", "--store-url", f"{base}/query", "--update-url", f"{base}/update",
                 *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def oxigraph(oxigraph_store):
    """The session's Oxigraph server (tests/conftest.py), loaded and indexed."""
    return oxigraph_store.base


@pytest.fixture(scope="module")
def loaded(oxigraph_store):
    return oxigraph_store.loaded


@pytest.fixture(scope="module")
def remote_server(oxigraph_server):
    return oxigraph_server


@pytest.fixture(scope="module")
def tight_remote(oxigraph, loaded):
    proc, url = start_server(["--store-url", f"{oxigraph}/query", "--workers", "1",
                              "--timeout", "2", "--max-rows", "5", "--no-access-log"])
    yield url
    stop_server(proc)


def sparql(url: str, query: str, accept: str = SRJ, **params) -> requests.Response:
    return requests.post(f"{url}/sparql", data={"query": query, **params},
                         headers={"Accept": accept}, timeout=60)


def assert_same_version(remote: str, embedded: str, loaded: dict) -> None:
    """The remote server reports the version and size the load recorded, as embedded."""
    got = requests.get(f"{remote}/healthz", timeout=10).json()
    want = requests.get(f"{embedded}/healthz", timeout=10).json()
    assert got["data_version"] == want["data_version"] == loaded["version"]
    assert got["triples"] == want["triples"] == loaded["triples"]


def assert_same_answer(remote: str, embedded: str, example, formats=FORMATS) -> None:
    """An example question gives the embedded answer: the same bytes and ETag for
    solutions (in each of ``formats``), the same graph for CONSTRUCT/DESCRIBE."""
    if example.kind in ("CONSTRUCT", "DESCRIBE"):
        got, want = (sparql(u, example.sparql, "application/n-triples")
                     for u in (remote, embedded))
        assert got.status_code == want.status_code == 200
        assert len(got.text) > 0
        assert isomorphic(Graph().parse(data=got.text, format="nt"),
                          Graph().parse(data=want.text, format="nt"))
        return
    for accept in formats:
        got, want = (sparql(u, example.sparql, accept) for u in (remote, embedded))
        assert got.status_code == want.status_code == 200, got.text
        assert got.content == want.content
        assert got.headers["ETag"] == want.headers["ETag"]


def test_load_records_the_embedded_data_version(remote_server, live_server, loaded):
    assert_same_version(remote_server, live_server, loaded)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.slug)
def test_example_questions_answer_as_embedded(remote_server, live_server, example):
    assert_same_answer(remote_server, live_server, example)


def test_same_etag_gives_304(remote_server, live_server):
    query = EXAMPLES[0].sparql
    etag = requests.get(f"{live_server}/sparql", params={"query": query},
                        headers={"Accept": SRJ}, timeout=60).headers["ETag"]
    r = requests.get(f"{remote_server}/sparql", params={"query": query},
                     headers={"Accept": SRJ, "If-None-Match": etag}, timeout=30)
    assert r.status_code == 304
    # a POST is not revalidated (RFC 9110: 412), on either engine alike
    posted = [requests.post(f"{url}/sparql", data={"query": query}, timeout=30,
                            headers={"Accept": SRJ, "If-None-Match": "*"}).status_code
              for url in (remote_server, live_server)]
    assert posted == [412, 412]


@pytest.mark.parametrize("query,accept", [
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", SRJ),
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o", "text/csv"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples"),
])
def test_row_cap_cuts_remote_answers(tight_remote, live_server, query, accept):
    r = sparql(tight_remote, query, accept)
    assert r.status_code == 200
    assert r.headers["X-Result-Truncated"] == "true"
    if accept == SRJ:
        rows = r.json()["results"]["bindings"]
        full = sparql(live_server, query + " LIMIT 5").json()["results"]["bindings"]
        assert rows == full
    elif accept == "text/csv":
        assert len(r.text.strip().splitlines()) == 1 + 5
    else:
        assert len(Graph().parse(data=r.text, format="nt")) == 5


def test_small_answers_are_not_marked_truncated(tight_remote):
    r = sparql(tight_remote, "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }")
    assert r.status_code == 200 and "X-Result-Truncated" not in r.headers
    assert len(r.json()["results"]["bindings"]) == 3


def test_time_limit_stops_remote_query(tight_remote):
    r = sparql(tight_remote, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert r.status_code == 503 and "Retry-After" not in r.headers  # it would run as long
    assert "time limit" in r.text
    # the service is still there
    assert sparql(tight_remote, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_a_cancelled_remote_query_drops_its_connection(oxigraph, loaded):
    from exokg.errors import QueryCancelled
    from exokg.sparql.cancel import CancelToken

    pool = RemotePool(f"{oxigraph}/query", size=1)
    token = CancelToken()
    runaway = {"q": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
               "solutions": SRJ, "graph": None, "cap": 0}
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = pool.execute(runaway, timeout=60.0, cancel=token)
        except Exception as err:  # noqa: BLE001 - inspected below
            result["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # the engine is working on it
    token.cancel()
    thread.join(timeout=15)
    assert isinstance(result.get("error"), QueryCancelled)
    # the query slot is free again, and the next query gets a fresh connection
    ask = {**runaway, "q": "ASK { ?s ?p ?o }"}
    assert json.loads(b"".join(pool.execute(ask, timeout=30.0).chunks))["boolean"] is True
    pool.close()


@pytest.mark.parametrize("query,status,words", [
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403, "read-only"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 403, "SERVICE"),
    ("SELECT * WHERE { ?s ?p }", 400, "syntax"),
])
def test_checks_before_forwarding(remote_server, query, status, words):
    r = sparql(remote_server, query)
    assert r.status_code == status
    assert words in r.text


def test_update_never_reaches_the_store(remote_server, oxigraph):
    sparql(remote_server, "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
    r = requests.post(f"{oxigraph}/query", data={"query": "ASK { GRAPH ?g { <urn:x:a> ?p ?o } }"},
                      headers={"Accept": SRJ}, timeout=10)
    assert r.json()["boolean"] is False


def test_protocol_dataset_is_forwarded(remote_server, loaded):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    mine = sparql(remote_server, q, **{"default-graph-uri": loaded["graph"]}).json()
    none = sparql(remote_server, q, **{"default-graph-uri": "urn:exokg:nothing"}).json()
    assert int(mine["results"]["bindings"][0]["n"]["value"]) == loaded["data_triples"]
    assert int(none["results"]["bindings"][0]["n"]["value"]) == 0


def test_remote_store_adapter_reads_like_pyoxigraph(oxigraph, loaded):
    store = RemoteStore(f"{oxigraph}/query")
    assert store.graph == loaded["graph"]
    assert len(store) == loaded["triples"]
    rows = list(store.query("SELECT ?label WHERE { ?m <http://www.w3.org/2000/01/rdf-schema#label>"
                            " ?label } ORDER BY ?label LIMIT 2"))
    assert [r["label"].value for r in rows] == sorted(r["label"].value for r in rows)
    assert store.query("ASK { ?s ?p ?o }")


# --- every surface, byte for byte -----------------------------------------------------------

def _engine_graph(path: str) -> bool:
    """A CONSTRUCT answer of /sparql: its statements come in the engine's own order (the
    same graph, compared as such by test_example_questions_answer_as_embedded)."""
    rdf = {quote(f.media_type) for f in formats("rdf")}
    return path.startswith("/sparql?") and path.rpartition("&format=")[2] in rdf


@pytest.mark.parametrize("group", GROUPS)
def test_every_surface_answers_as_embedded(remote_server, live_server, group):
    paths = [path for path in surfaces(group) if not _engine_graph(path)]
    assert len(paths) >= 12
    assert_same_surfaces(remote_server, live_server, paths)


def test_whole_graph_export_is_not_cut_at_the_row_cap(tight_remote, live_server):
    """The row cap (5 here) cuts queries, never a whole-graph export of a remote store."""
    got = requests.get(f"{tight_remote}/api/export", params={"format": "ntriples"}, timeout=60)
    want = requests.get(f"{live_server}/api/export", params={"format": "ntriples"}, timeout=60)
    assert got.status_code == 200 and "X-Result-Truncated" not in got.headers
    assert got.content == want.content


def test_a_cut_description_is_the_same_over_either_store(tmp_path):
    """A hub citing more studies (2,100) than a description holds (2,000 statements; a
    page lists 500) gives the same entity page, JSON twin and Turtle over Oxigraph server
    as over the embedded store: the cut keeps the first studies in a stated order (IRIs
    by code points), each with its label, and says how many there are (main cut a
    CONSTRUCT in each engine's own order, and its pages differed: issue 12's miR-122 at
    10^6 findings)."""
    from exokg.pages import PAGE_FACTS
    from hubgen import BASE, HUB, write_hub_graph

    data = write_hub_graph(tmp_path / "hub.nt", findings=40, cited=2100)
    proc, base = start_oxigraph()
    servers = []
    try:
        load(base, "--data", str(data))
        indexed = exokg("index", "--store-url", f"{base}/query", "--update-url",
                        f"{base}/update", "--store", str(tmp_path / "artifacts"))
        assert indexed.returncode == 0, indexed.stderr
        servers.append(start_server(["--store", str(tmp_path / "store"), "--data", str(data),
                                     "--workers", "1", "--no-access-log"]))
        servers.append(start_server(["--store-url", f"{base}/query", "--store",
                                     str(tmp_path / "artifacts"), "--workers", "1",
                                     "--no-access-log"]))
        (_, embedded), (_, remote) = servers
        path = "/id/" + HUB.removeprefix(BASE)
        assert_same_surfaces(embedded, remote, [path, f"{path}.json", f"{path}.ttl"])
        page = requests.get(f"{remote}{path}.json", timeout=60).json()
        cited = [f for f in page["facts"] if f["predicate"].endswith("#citedIn")][0]
        first = sorted(f"{BASE}ref/{n}" for n in range(1, 2101))[:PAGE_FACTS - 2]
        assert page["facts_truncated"] is True and cited["count"] == 2100
        assert [v["iri"] for v in cited["values"]] == first
        assert all(v["label"] == f"Reference [{v['iri'].rpartition('/')[2]}]"
                   for v in cited["values"])
        html = requests.get(f"{remote}{path}", timeout=60).text
        assert f"the first {PAGE_FACTS - 2} of 2,100" in html
        assert 'id="facts-truncated"' in html
    finally:
        for server, _ in servers:
            stop_server(server)
        stop(proc)


# --- loading -------------------------------------------------------------------------------

def _bigger(tmp_path, extra: int, *, pad: int = 0) -> str:
    """The bundled graph plus ``extra`` triples (with literals ``pad`` characters longer),
    as N-Triples (a load that takes a while)."""
    done = exokg("build", "--format", "nt")
    assert done.returncode == 0, done.stderr
    lines = [f"<urn:extra:s{i}> <urn:extra:p> \"{i}{'x' * pad}\" ." for i in range(extra)]
    path = tmp_path / "bigger.nt"
    path.write_text(done.stdout + "\n".join(lines) + "\n")
    return str(path)


def test_reader_never_sees_a_half_loaded_graph(tmp_path):
    proc, base = start_oxigraph()
    try:
        first = load(base)
        bigger = _bigger(tmp_path, 200_000)
        pool = RemotePool(f"{base}/query", refresh=0.0)  # reads the version on every call
        seen: set[int] = set()
        errors: list[BaseException] = []
        stop_reading = threading.Event()

        def read() -> None:
            job = {"q": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "solutions": SRJ,
                   "graph": None, "cap": 0}
            while not stop_reading.is_set():
                try:
                    body = b"".join(pool.execute(job, timeout=30).chunks)
                    seen.add(int(json.loads(body)["results"]["bindings"][0]["n"]["value"]))
                except BaseException as err:  # noqa: BLE001 - reported below
                    errors.append(err)
                    return

        reader = threading.Thread(target=read)
        reader.start()
        try:
            second = load(base, "--data", bigger)
        finally:
            stop_reading.set()
            reader.join(timeout=60)
        assert not errors
        assert seen <= {first["triples"], second["triples"]}, seen
        assert first["triples"] in seen
        assert second["triples"] == first["triples"] + 200_000
        assert pool.info().version == second["version"]
        # loading the same data again sends nothing and keeps it current
        again = load(base, "--data", bigger)
        assert again["sent"] is False and again["version"] == second["version"]
        # a third version drops the first (two are kept)
        third = load(base, "--data", str(DATA / "external-mondo.ttl"))
        assert third["dropped"] == [first["graph"]]
    finally:
        stop(proc)


def test_bad_input_loads_nothing(tmp_path, oxigraph, loaded):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <urn:ex:> .\nex:a ex:b .\n")
    done = exokg("load", "--store-url", f"{oxigraph}/query", "--update-url",
                 f"{oxigraph}/update", "--data", str(bad))
    assert done.returncode == 2
    assert "bad.ttl" in done.stderr and "Traceback" not in done.stderr
    quads = exokg("load", "--store-url", f"{oxigraph}/query", "--update-url",
                  f"{oxigraph}/update", "--data", str(DATA / "graphs.trig"))
    assert quads.returncode == 2 and "named graph" in quads.stderr
    assert RemotePool(f"{oxigraph}/query").info().version == loaded["version"]


def test_unreachable_store_is_a_clear_error():
    from conftest import _free_port

    port = _free_port()
    done = exokg("load", "--store-url", f"http://127.0.0.1:{port}/query", "--update-url",
                 f"http://127.0.0.1:{port}/update")
    assert done.returncode == 2
    assert "cannot be reached" in done.stderr and "Traceback" not in done.stderr
    served = exokg("serve", "--store-url", f"http://127.0.0.1:{port}/query", "--port",
                   str(_free_port()), timeout=60)
    assert served.returncode == 2
    assert "cannot be reached" in served.stderr and "Traceback" not in served.stderr


def test_bulk_loader_path_records_and_switches(tmp_path):
    """--bulk-dir leaves the N-Triples for the engine's own loader; once the engine has
    loaded them (here: a Graph Store PUT standing in for Virtuoso's ld_dir), a second run
    finds the graph whole, sends nothing, and switches to it."""
    proc, base = start_oxigraph()
    try:
        staged = load(base, "--bulk-dir", str(tmp_path))
        files = list(tmp_path.glob("exokg-*.nt"))
        assert [f.name for f in files] == [f"exokg-{staged['version']}.nt"]
        assert staged["sent"] is False
        assert RemotePool(f"{base}/query").info().sources == [f"{base}/query"]  # not current
        r = requests.put(f"{base}/store", params={"graph": staged["graph"]},
                         data=files[0].read_bytes(),
                         headers={"Content-Type": "application/n-triples"}, timeout=60)
        assert r.status_code in (201, 204)
        done = load(base)
        assert done["sent"] is False and done["version"] == staged["version"]
        assert RemotePool(f"{base}/query").info().version == staged["version"]
    finally:
        stop(proc)


def test_index_builds_artifacts_from_the_remote_store(tmp_path, monkeypatch):
    """`exokg index`'s library call runs every registered artifact builder against the
    remote store (a probe builder here, beside the real ones): the artifacts are kept by
    data version, found by the serving side, and named graphs a builder writes are read."""
    import pyoxigraph as ox
    from exokg import store as store_module
    from exokg.sparql.remote_index import index_remote, remote_folder

    def probe(store, folder):
        rows = list(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        (folder / "count.txt").write_text(rows[0][0].value)
        quads = folder / "probe.nq"
        quads.write_text('<urn:probe:a> <urn:probe:b> "1" <urn:exokg:probe> .\n')
        store.bulk_load(path=str(quads), format=ox.RdfFormat.N_QUADS)

    monkeypatch.setitem(store_module.ARTIFACT_BUILDERS, "probe", probe)
    proc, base = start_oxigraph()
    try:
        first = load(base)
        info = index_remote(f"{base}/query", tmp_path, update_url=f"{base}/update")
        assert info.version == first["version"]
        assert info.artifacts == sorted(store_module.ARTIFACT_BUILDERS)
        assert (remote_folder(tmp_path, first["version"]) / "artifacts" / "probe" /
                "count.txt").read_text() == str(first["triples"])
        pool = RemotePool(f"{base}/query", artifacts_dir=str(tmp_path))
        assert pool.info().folder == info.folder
        assert pool.info().artifact_dir("probe").is_dir()
        job = {"q": "SELECT ?o WHERE { GRAPH <urn:exokg:probe> { ?s ?p ?o } }",
               "solutions": SRJ, "graph": None, "cap": 0}
        rows = json.loads(b"".join(pool.execute(job, timeout=10).chunks))
        assert [b["o"]["value"] for b in rows["results"]["bindings"]] == ["1"]
        # again: nothing to build; a new version has no artifacts until indexed
        assert index_remote(f"{base}/query", tmp_path, update_url=f"{base}/update") == info
        # code of another build format (an upgrade) does not read them: it indexes anew
        from exokg import build_format
        monkeypatch.setattr(build_format, "BUILD_FORMAT", build_format.BUILD_FORMAT + 1)
        assert RemotePool(f"{base}/query", artifacts_dir=str(tmp_path)).info().artifacts == []
        again = index_remote(f"{base}/query", tmp_path, update_url=f"{base}/update")
        assert again.version == info.version and again.folder != info.folder
        assert again.artifacts == info.artifacts
        monkeypatch.undo()
        monkeypatch.setitem(store_module.ARTIFACT_BUILDERS, "probe", probe)
        load(base, "--data", str(DATA / "external-mondo.ttl"))
        after = RemotePool(f"{base}/query", artifacts_dir=str(tmp_path)).info()
        assert after.version != info.version and after.artifacts == []
    finally:
        stop(proc)



def test_a_second_index_of_one_store_is_refused(tmp_path):
    """While one `exokg index` of a store runs with a store folder, a second one with the
    same folder exits 2 in one line naming the first's process, and writes nothing; once
    the first is done, an index runs."""
    from exokg.store_dir import index_lock

    proc, base = start_oxigraph()
    try:
        load(base)
        args = ("index", "--store-url", f"{base}/query", "--update-url", f"{base}/update",
                "--store", str(tmp_path))
        with index_lock(tmp_path, f"{base}/query"):
            refused = exokg(*args)
            assert refused.returncode == 2
            lines = refused.stderr.strip().splitlines()
            assert len(lines) == 1 and "another 'exokg index'" in lines[0], refused.stderr
            assert "run one at a time" in lines[0]
            assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".index-")]
        done = exokg(*args)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["artifacts"]
    finally:
        stop(proc)

def test_metric_graphs_are_written_in_bounded_batches(tmp_path, monkeypatch):
    """An artifact's named graphs go to the remote store a batch at a time (PUT, then
    POST): each graph ends up whole, replacing what it held, never the data graph."""
    from exokg.sparql import remote_index
    from exokg.sparql.remote_index import IndexStore

    monkeypatch.setattr(remote_index, "WRITE_BATCH", 3)
    sent = []

    def recording(method, url, *, body, **kwargs):
        sent.append((method, url.rsplit("graph=", 1)[1], body.count(b"\n")))
        return real(method, url, body=body, **kwargs)

    real = remote_index.http_request
    monkeypatch.setattr(remote_index, "http_request", recording)
    quads = tmp_path / "metrics.nq"
    quads.write_text("".join(
        f'<urn:n:{i}> <urn:p> "{i}" <urn:g:{"a" if i % 4 else "b"}> .\n' for i in range(10)))
    proc, base = start_oxigraph()
    try:
        requests.put(f"{base}/store?graph={quote('urn:g:a', safe='')}",
                     data=b'<urn:stale> <urn:p> "old" .\n',
                     headers={"Content-Type": "application/n-triples"}, timeout=10)
        store = IndexStore(f"{base}/query", graph=None, graph_store_url=f"{base}/store",
                           update_url=f"{base}/update")
        store.bulk_load(path=str(quads), format=ox.RdfFormat.N_QUADS)
        assert sorted(store.written) == ["urn:g:a", "urn:g:b"]
        assert max(n for _, _, n in sent) <= 3  # no request holds a whole graph
        firsts = {g: m for m, g, _ in reversed(sent)}
        assert set(firsts.values()) == {"PUT"}  # each graph replaced, then appended to
        rows = requests.post(f"{base}/query", data={"query": (
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")},
            headers={"Accept": "application/sparql-results+json"}, timeout=10).json()
        counts = {b["g"]["value"]: int(b["n"]["value"]) for b in rows["results"]["bindings"]}
        assert counts == {"urn:g:a": 7, "urn:g:b": 3}  # the stale triple replaced
    finally:
        stop(proc)


@pytest.fixture
def canned():
    """A loopback HTTP server that answers every POST with the reply set in ``reply``
    (status, headers, body): an engine's error replies, which a real engine gives only
    under load or timing."""
    import http.server

    reply: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(reply["status"])
            for name, value in reply["headers"].items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply["body"])))
            self.end_headers()
            self.wfile.write(reply["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql", reply
    server.shutdown()
    server.server_close()


_SRJ_TRUE = b'{"head": {}, "boolean": true}'


@pytest.mark.parametrize("status,headers,body,error,words", [
    # Virtuoso's two answers at its own time limit: a partial 200, or a 500 when the
    # statement ran asynchronously (openlink/virtuoso-opensource#983)
    (200, {"X-SQL-State": "S1TAT", "Content-Type": SRJ}, _SRJ_TRUE, QueryTimeout,
     "at its time limit of 2 s (its partial answer is not sent)"),
    (500, {}, b"Virtuoso HY008 Error SR203: Async statement killed by SQLCancel.",
     QueryTimeout, "at its time limit of 2 s: Virtuoso HY008"),
    # the words SR203 or timeout in the query that the engine echoes say nothing
    (500, {}, b"Virtuoso 42000 Error SR185: Undefined procedure\n\nSPARQL query:\n"
     b'ASK { ?s ?p "Virtuoso HY008 Error SR203 timeout" }', RemoteFailed, "answered 500"),
    (504, {}, b"Gateway Timeout", QueryTimeout, "stopped the query: Gateway Timeout"),
    (400, {}, b"Virtuoso 37000 Error SP030", InvalidQuery, "SP030"),
    (500, {}, b"Virtuoso 42000 Error SR185: Undefined procedure", RemoteFailed,
     "answered 500: Virtuoso 42000"),
])
def test_engine_error_replies_are_named(canned, status, headers, body, error, words):
    """Each engine reply maps to one error, with the engine's words: a time limit is a
    timeout (503, retry), a syntax error a 400, anything else the store's failure."""
    url, reply = canned
    reply.update(status=status, headers=headers, body=body)
    endpoint = RemoteEndpoint(url, timeout_param="timeout")
    with pytest.raises(error, match=re.escape(words)):
        endpoint.request("ASK { ?s ?p ?o }", accept=SRJ, timeout=2.0)
    if error is QueryTimeout and "time limit" in words:
        # the engine's limit set in its URL, not sent by exokg: not named
        with pytest.raises(QueryTimeout, match=r"at its time limit(?! of)"):
            RemoteEndpoint(url).request("ASK { ?s ?p ?o }", accept=SRJ, timeout=2.0)
    reply.update(status=200, headers={"Content-Type": SRJ}, body=_SRJ_TRUE)
    assert endpoint.request("ASK { ?s ?p ?o }", accept=SRJ, timeout=2.0).readall() \
        == _SRJ_TRUE


def test_store_gone_is_a_clear_503():
    """The remote store stops: /sparql and /healthz answer 503 naming it (HAProxy then
    takes the replica out), never a traceback or a hang."""
    proc, base = start_oxigraph()
    server = None
    try:
        load(base)
        server, url = start_server(["--store-url", f"{base}/query", "--workers", "1",
                                    "--timeout", "5", "--no-access-log"])
        assert sparql(url, "ASK { ?s ?p ?o }").json()["boolean"] is True
        stop(proc)
        r = sparql(url, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        assert r.status_code == 503 and "remote store" in r.text
        assert r.headers["Retry-After"] == "5"
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 503
    finally:
        if server is not None:
            stop_server(server)
        stop(proc)


def test_etags_follow_a_reload():
    """A load switches the remote store's version: the serving replica sees the new version
    (read again every 2 s), and an answer's ETag changes with it, so a client's old
    validator no longer gets 304."""
    import time

    proc, base = start_oxigraph()
    server = None
    try:
        first = load(base)
        server, url = start_server(["--store-url", f"{base}/query", "--workers", "1",
                                    "--no-access-log"])
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        before = sparql(url, query)
        second = load(base, "--data", str(DATA / "external-mondo.ttl"))
        deadline = time.monotonic() + 30
        while requests.get(f"{url}/healthz", timeout=10).json()["data_version"] \
                != second["version"]:
            assert time.monotonic() < deadline, "the replica never saw the new version"
            time.sleep(0.2)
        after = requests.post(f"{url}/sparql", data={"query": query},
                              headers={"Accept": SRJ, "If-None-Match": before.headers["ETag"]},
                              timeout=30)
        assert after.status_code == 200
        assert after.headers["ETag"] != before.headers["ETag"]
        assert after.headers["X-ExoKG-Data-Version"] == second["version"] != first["version"]
        assert after.json() != before.json()
    finally:
        if server is not None:
            stop_server(server)
        stop(proc)


def test_engine_gone_mid_export_breaks_the_stream_visibly(tmp_path):
    """The engine dies while a whole-graph export streams (its 200 already sent): the
    chunked body ends without its last chunk, so no client takes it for the whole graph,
    as when an embedded store's executor dies mid-dump (the same error path: the stream
    raises, the server aborts the response). The next export is a clean 503."""
    import signal

    proc, base = start_oxigraph()
    server = None
    try:
        load(base, "--data", _bigger(tmp_path, 60_000, pad=400))  # ~30 MB of N-Triples
        # the export time limit holds over the whole stream, and a stream closed midway
        # hands its query slot back (one slot here: the next dump gets it)
        pool = RemotePool(f"{base}/query", size=1)
        job = {"dump": "application/n-triples"}
        with pytest.raises(QueryTimeout):
            b"".join(pool.execute(job, timeout=0.001).chunks)
        chunks = pool.execute(job, timeout=60).chunks
        assert next(chunks)
        chunks.close()  # type: ignore[attr-defined]
        chunks = pool.execute(job, timeout=60).chunks
        assert next(chunks).startswith(b"<")
        chunks.close()  # type: ignore[attr-defined]
        server, url = start_server(["--store-url", f"{base}/query", "--workers", "1",
                                    "--no-access-log"])
        with requests.get(f"{url}/api/export", params={"format": "ntriples"}, stream=True,
                          timeout=60) as response:
            assert response.status_code == 200
            body = response.iter_content(1 << 16)
            received = len(next(body))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                for chunk in body:
                    received += len(chunk)
        assert 0 < received < 30_000_000
        again = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=60)
        assert again.status_code == 503 and "remote store" in again.json()["error"]
        log = server_log(server)
        assert "GET /api/export: the answer was cut after" in log and "remote store" in log
        assert "Traceback" not in log
    finally:
        if server is not None:
            stop_server(server)
        stop(proc)


#: Answers whose XML forms cannot hold a literal's U+0000 / U+0001.
_CTL_SELECT = 'SELECT ("a\\u0000b" AS ?x) {}'
_CTL_CONSTRUCT = 'CONSTRUCT { <http://a/s> <http://a/p> "a\\u0001b" } {}'


@pytest.fixture(scope="module")
def uncapped_remote(oxigraph_store):
    """A server over the remote store whose answers stream (``MAX_ROWS`` 0)."""
    proc, url = start_server(["--store-url", oxigraph_store.query_url, "--store",
                              oxigraph_store.artifacts, "--workers", "1", "--max-rows", "0",
                              "--no-access-log"])
    yield url
    stop_server(proc)


@pytest.mark.parametrize("server", ["remote_server", "uncapped_remote"])
@pytest.mark.parametrize(("query", "accept", "answered"), [
    (_CTL_SELECT, "application/sparql-results+xml", None),
    (_CTL_SELECT, "application/sparql-results+xml, */*;q=0.1",
     "application/sparql-results+json"),
    (_CTL_CONSTRUCT, "application/rdf+xml", None),
    (_CTL_CONSTRUCT, "application/rdf+xml, text/turtle;q=0.2", "text/turtle"),
])
def test_an_answer_xml_cannot_carry_over_the_remote_store(request, server, query, accept,
                                                          answered):
    """The remote store's answers were written as XML whatever they held (malformed)."""
    url = request.getfixturevalue(server)
    r = requests.get(f"{url}/sparql", params={"query": query}, headers={"Accept": accept},
                     timeout=60)
    if answered is None or server == "uncapped_remote":
        # streamed answers are the engine's own bytes: refused, never malformed
        assert r.status_code == 406, r.text
        assert "XML 1.0 cannot carry" in r.text
    else:
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].split(";")[0] == answered


def test_a_remote_answer_held_whole_past_its_bound_is_422(oxigraph, loaded):
    """An answer cut at MAX_ROWS is held whole in the web worker: one row of a doubled
    string (268 MB) was, with no bound."""
    from exokg.server import create_app

    binds = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(15))
    big = f'SELECT ?s15 {{ BIND("0123456789abcdef" AS ?s0) {binds} }}'  # 512 KB
    app = create_app({"TESTING": True, "STORE_URL": f"{oxigraph}/query",
                      "MAX_ANSWER_BYTES": 100_000})
    client = app.test_client()
    try:
        r = client.get("/sparql", query_string={"query": big}, headers={"Accept": SRJ})
        assert r.status_code == 422, r.data[:300]
        assert r.json["error"].startswith("the answer is larger than 100,000 bytes "
                                          "(MAX_ANSWER_BYTES)"), r.json
        r = client.get("/sparql", query_string={"query": "SELECT (1 AS ?x) {}"},
                       headers={"Accept": SRJ})
        assert r.status_code == 200
    finally:
        app.extensions["exokg.sparql"].close()


@pytest.mark.parametrize("server,rows", [("remote_server", 2), ("tight_remote", 7),
                                         ("uncapped_remote", 7)])
def test_remote_csv_quotes_an_iri_holding_a_comma(request, server, rows):
    """Oxigraph server writes such an IRI unquoted, as pyoxigraph does: the service writes
    CSV itself from the engine's JSON, cut at the row cap or not."""
    url = request.getfixturevalue(server)
    values = " ".join(f'(<http://ex.org/a,{i}> "x,{i}")' for i in range(rows))
    r = sparql(url, f"SELECT ?s ?x {{ VALUES (?s ?x) {{ {values} }} }}", "text/csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    shown = 5 if server == "tight_remote" else rows
    got = list(csv.reader(io.StringIO(r.text, newline="")))
    assert got == [["s", "x"]] + [[f"http://ex.org/a,{i}", f"x,{i}"] for i in range(shown)]


@pytest.mark.parametrize("server", ["remote_server", "tight_remote"])
def test_remote_xml_keeps_a_carriage_return(request, server):
    """The XML pyoxigraph writes from the engine's JSON carries a literal's ``\\r`` as
    ``&#13;`` (written as it is, a parser reads a line feed)."""
    from xml.etree import ElementTree

    url = request.getfixturevalue(server)
    r = sparql(url, 'SELECT ?x { VALUES ?x { "a\\r\\nb" 1 2 3 4 5 6 } }',
               "application/sparql-results+xml")
    assert r.status_code == 200
    literals = [e.text for e in ElementTree.fromstring(r.content).iter()
                if e.tag.endswith("literal")]
    assert "a\r\nb" in literals, literals
