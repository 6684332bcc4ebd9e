"""Virtuoso 7 as the remote store: the example questions answer as the embedded store.

Virtuoso (Debian's virtuoso-opensource, installed by tools/install-test-deps) starts here
in a fresh database folder on loopback; `exokg load` writes the bundled graph through its
Graph Store endpoint (/sparql-graph-crud, after granting SPARQL_UPDATE to the anonymous
SPARQL user over isql -- the deploy/README.md recipe for a private, loopback-only engine);
`exokg serve --store-url` then answers the example questions and serves the entity pages.
Solutions are parsed and serialized again by pyoxigraph, so they equal the embedded answers
byte for byte; so do the entity pages and their JSON twins.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from _remote_engines import start_virtuoso, stop
from _sweep import assert_same_surfaces, review_paths
from conftest import start_server, stop_server
from exokg.examples import EXAMPLES
from exokg.sparql.remote import RemotePool
from test_remote import assert_same_answer, assert_same_version, exokg
from test_remote_paging import PAGE, artifact_surfaces

ISQL = shutil.which("isql-vt") or shutil.which("isql")


@pytest.fixture(scope="module")
def virtuoso_engine():
    """``(process, base URL)`` of the module's Virtuoso."""
    proc, base, folder = start_virtuoso()
    try:
        isql(proc, "GRANT SPARQL_UPDATE TO \"SPARQL\"; "
                   "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);")
        yield proc, base
    finally:
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def virtuoso(virtuoso_engine):
    return virtuoso_engine[1]


def isql(proc, sql: str) -> str:
    """Run ``sql`` as ``dba`` in the Virtuoso of ``proc``; its output."""
    done = subprocess.run([ISQL or "isql-vt", f"127.0.0.1:{proc.isql_port}", "dba", "dba",
                           f"exec={sql}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "*** Error" not in done.stdout, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def virtuoso_server(virtuoso, tmp_path_factory):
    loaded = load_virtuoso(virtuoso)
    artifacts = str(tmp_path_factory.mktemp("virtuoso-artifacts"))
    # in pages of 7 rows: every large read of the builders spans many pages; the Graph
    # Store endpoint found from the engine (load_virtuoso names it)
    done = exokg("index", "--store-url", f"{virtuoso}/sparql", "--update-url",
                 f"{virtuoso}/sparql", "--store", artifacts, "--page-rows", str(PAGE))
    assert done.returncode == 0, done.stderr
    loaded["triples"] = RemotePool(f"{virtuoso}/sparql").info().triples
    proc, url = start_server(["--store-url", f"{virtuoso}/sparql", "--store", artifacts,
                              "--workers", "1",
                              "--threads", "4", "--executors", "2", "--timeout", "10",
                              "--no-access-log"])
    yield url, loaded
    stop_server(proc)


def load_virtuoso(base: str, *args: str) -> dict:
    done = exokg("load", "--store-url", f"{base}/sparql", "--update-url", f"{base}/sparql",
                 "--graph-store-url", f"{base}/sparql-graph-crud", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_virtuoso_holds_the_embedded_data_version(virtuoso_server, live_server):
    url, loaded = virtuoso_server
    assert_same_version(url, live_server, loaded)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.slug)
def test_example_questions_answer_as_embedded(virtuoso_server, live_server, example):
    assert_same_answer(virtuoso_server[0], live_server, example)


@pytest.mark.parametrize("suffix", ["", ".json"])
def test_entity_pages_read_as_embedded(virtuoso_server, live_server, suffix):
    """Every entity page of the review (HTML, and its JSON twin), byte for byte."""
    paths = [f"/id/{node}{suffix}" for node in review_paths()]
    assert len(paths) > 66
    assert_same_surfaces(virtuoso_server[0], live_server, paths)


def test_artifacts_read_in_pages_serve_as_embedded(virtuoso_server, live_server):
    """Artifacts built from Virtuoso in pages of 7 rows: search, neighbourhoods, ranks,
    entity pages and evidence as the embedded store's."""
    assert_same_surfaces(virtuoso_server[0], live_server, artifact_surfaces())


def test_index_fails_when_the_engine_cuts_a_page(virtuoso, virtuoso_server, tmp_path):
    """A page the engine still cuts (its row limit, here 5 rows through Virtuoso's
    ``maxrows`` parameter, below the 7-row pages) stops `exokg index` with one line naming
    the limit and the setting; nothing is written."""
    done = exokg("index", "--store-url", f"{virtuoso}/sparql?maxrows=5", "--update-url",
                 f"{virtuoso}/sparql", "--graph-store-url", f"{virtuoso}/sparql-graph-crud",
                 "--store", str(tmp_path), "--page-rows", str(PAGE))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "row limit of 5 rows" in lines[0] and "PAGE_ROWS" in lines[0]
    assert "Traceback" not in done.stderr
    assert not any(p.name.startswith("remote-") for p in tmp_path.iterdir())


def test_reload_switches_version(virtuoso, virtuoso_server, tmp_path):
    url, first = virtuoso_server
    extra = tmp_path / "extra.nt"
    extra.write_text("<urn:x:a> <urn:x:b> \"c\" .\n")
    second = load_virtuoso(virtuoso, "--data", str(extra))
    assert second["version"] != first["version"] and second["triples"] == 1
    back = load_virtuoso(virtuoso)
    assert back["sent"] is False and back["version"] == first["version"]


def test_engine_time_limit_is_sent_and_a_partial_answer_refused(virtuoso, virtuoso_server):
    """Virtuoso's own time limit (its ``timeout`` parameter: STORE_TIMEOUT_PARAM) stops a
    query with a partial "anytime" answer, or with a 500 (SR203) when the statement ran
    asynchronously; either is refused as a timeout (503), never sent as if whole. exokg's
    own deadline stops the request as well (whichever comes first)."""
    from exokg.errors import QueryTimeout

    heavy = {"q": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
             "solutions": "application/sparql-results+json", "graph": None, "cap": 10}
    # the engine's limit (1 s, in the URL) well inside exokg's (60 s): the engine stops first
    engine_first = RemotePool(f"{virtuoso}/sparql?timeout=1000")
    with pytest.raises(QueryTimeout, match="stopped the query at its time limit"):
        b"".join(engine_first.execute(heavy, timeout=60.0).chunks)
    # both set from QUERY_TIMEOUT: the request is cut at exokg's deadline at the latest
    pool = RemotePool(f"{virtuoso}/sparql", timeout_param="timeout")
    with pytest.raises(QueryTimeout):
        b"".join(pool.execute(heavy, timeout=1.0).chunks)
    ask = {**heavy, "q": "ASK { ?s ?p ?o }"}
    assert b"true" in b"".join(pool.execute(ask, timeout=5.0).chunks)


def _quads(data: bytes) -> set[tuple]:
    """The quads of an N-Quads document, doubles to 6 significant digits (Virtuoso's)."""
    from rdflib import Dataset, Literal
    from rdflib.namespace import XSD

    def value(term):
        if isinstance(term, Literal) and term.datatype == XSD.double:
            return float(f"{float(term):.6g}")
        return term

    return {(s, p, value(o), g) for s, p, o, g in
            Dataset().parse(data=data, format="nquads").quads()}


@pytest.mark.parametrize("name", ["ntriples", "turtle", "nquads", "csv", "kgx", "graphml"])
def test_whole_graph_export_reads_as_embedded(virtuoso_server, live_server, name):
    """A whole-graph export over Virtuoso: the same graph in an RDF syntax (Virtuoso sends
    the triples in its own order), the same bytes for the network tables (written from rows
    sorted by IRI); a node's attributes follow the order of its triples, which is the
    engine's, so a GraphML file is compared as its reader reads it. Virtuoso keeps and
    answers an xsd:double with 6 significant digits (in every result syntax): the metrics
    graph's scores (N-Quads) are equal to that."""
    import requests
    from rdflib import Graph
    from rdflib.compare import isomorphic

    got, want = (requests.get(f"{url}/api/export", params={"format": name, "findings": "true"},
                              timeout=120) for url in (virtuoso_server[0], live_server))
    assert got.status_code == want.status_code == 200, got.text[:300]
    if name in ("ntriples", "turtle"):
        syntax = {"ntriples": "nt", "turtle": "turtle"}[name]
        assert isomorphic(Graph().parse(data=got.content, format=syntax),
                          Graph().parse(data=want.content, format=syntax))
    elif name == "nquads":
        assert _quads(got.content) == _quads(want.content)
    else:
        from test_export_stream import _document

        assert _document(name, got.content) == _document(name, want.content)


def test_answer_cut_by_the_engine_row_limit_is_refused(virtuoso, virtuoso_server):
    """Virtuoso cuts an answer at its ResultSetMaxRows (100,000 here) and says so only in
    an X-SPARQL-MaxRows header: whoever needs the whole answer (no row cap, the artifact
    builders' reads) gets an error naming the limit, never the cut answer as if whole;
    under exokg's own row cap the answer is exokg's, cut and marked by exokg."""
    from exokg.sparql.remote import RemoteIncomplete, RemoteStore

    many = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f }"  # the review's graph squared
    job = {"q": many, "solutions": "application/sparql-results+json", "graph": None}
    pool = RemotePool(f"{virtuoso}/sparql")
    with pytest.raises(RemoteIncomplete, match="row limit of 100000 rows"):
        b"".join(pool.execute({**job, "cap": 0}, timeout=60.0).chunks)
    with pytest.raises(RemoteIncomplete, match="ResultSetMaxRows"):
        list(RemoteStore(f"{virtuoso}/sparql").query(many))
    capped = pool.execute({**job, "cap": 50}, timeout=60.0)
    rows = json.loads(b"".join(capped.chunks))["results"]["bindings"]
    assert capped.truncated and len(rows) == 50
    # over HTTP with no row cap the answer streams as the engine sends it, and so ends
    # with the error (never a clean end after 100,000 rows)
    import requests

    accept = {"Accept": "application/sparql-results+json"}
    proc, unlimited = start_server(["--store-url", f"{virtuoso}/sparql", "--workers", "1",
                                    "--max-rows", "0", "--cache-size", "0",
                                    "--no-access-log"])
    try:
        broken = requests.get(f"{unlimited}/sparql", params={"query": many}, timeout=60,
                              headers=accept, stream=True)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            b"".join(broken.iter_content(1 << 16))
        small = requests.get(f"{unlimited}/sparql", timeout=60, headers=accept,
                             params={"query": "SELECT ?s { ?s ?p ?o } LIMIT 3"})
        assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 3
    finally:
        stop_server(proc)


def test_engine_answering_group_by_short_is_refused(virtuoso_engine, virtuoso_server,
                                                    tmp_path):
    """Virtuoso running a query on several threads (ThreadsPerQuery, the test engine's is 1)
    answers large GROUP BY queries short, with no header or error: readers (exokg serve),
    `exokg load` and `exokg index` refuse such an engine with one line naming the
    setting, and nothing is written."""
    import requests
    from exokg.sparql.remote import RemoteIncomplete

    proc, base = virtuoso_engine
    count = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"

    def triples() -> int:
        answer = requests.get(f"{base}/sparql", params={"query": count}, timeout=60,
                              headers={"Accept": "application/sparql-results+json"})
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    before = triples()
    mine = tmp_path / "data" / "mine.nt"
    mine.parent.mkdir()
    mine.write_text('<https://w3id.org/exokg/id/content/mir-x> '
                    '<http://www.w3.org/2000/01/rdf-schema#label> "miR-x" .\n')
    isql(proc, "__dbf_set('enable_qp', 4);")
    try:
        loaded = exokg("load", "--store-url", f"{base}/sparql", "--update-url",
                       f"{base}/sparql", "--graph-store-url", f"{base}/sparql-graph-crud",
                       "--data", str(mine))
        assert loaded.returncode == 2
        lines = loaded.stderr.strip().splitlines()
        assert len(lines) == 1 and "up to 4 threads (ThreadsPerQuery)" in lines[0], \
            loaded.stderr
        assert triples() == before  # nothing loaded
        with pytest.raises(RemoteIncomplete, match="ThreadsPerQuery = 1") as refused:
            RemotePool(f"{base}/sparql").info()
        assert refused.value.limit == "ThreadsPerQuery" and refused.value.status == 502
        done = exokg("index", "--store-url", f"{base}/sparql", "--update-url",
                     f"{base}/sparql", "--graph-store-url", f"{base}/sparql-graph-crud",
                     "--store", str(tmp_path / "store"))
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "up to 4 threads (ThreadsPerQuery)" in lines[0], done.stderr
        assert not (tmp_path / "store").exists()
    finally:
        isql(proc, "__dbf_set('enable_qp', 1);")
    assert RemotePool(f"{base}/sparql").info().version == virtuoso_server[1]["version"]
