"""Whole-graph exports streamed from the store: the same documents as the writers give for
the graph, read back by their real readers, sent chunked by a real server and written
atomically by the CLI.

The store-reading tests run once per store (``conftest.STORES``): the embedded store,
and Oxigraph server as the remote store (the service and ``exokg export`` with
``STORE_URL``, the server ``exokg serve --store-url``), with the same expected answers.
The row-cap test of a remote store is tests/test_remote.py's (it needs a second server
with tight limits over the remote store)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile

import networkx as nx
import pandas as pd
import pytest
import requests
from conftest import (
    RUN_DIR,
    STORES,
    executor_ticks,
    server_for,
    server_log,
    start_server,
    stop_server,
)
from exokg.cli._output import write_stream
from exokg.config import Config
from exokg.errors import ConfigError, TooLargeToDraw
from exokg.formats import formats, get_format
from exokg.io import export, stream_graph
from exokg.io.store_rows import store_graph, store_rows
from exokg.sparql import SparqlService
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

STREAMED = [f.name for f in formats("network") if f.streams]
RDF_READERS = {"ntriples": "nt", "turtle": "turtle", "rdfxml": "xml", "jsonld": "json-ld",
               "nquads": "nquads", "trig": "trig"}


def _store_settings(request, store: str, store_dir) -> dict[str, str]:
    """The settings (as ``EXOKG_*`` names without the prefix) that open ``store``."""
    if store == "embedded":
        return {"STORE_DIR": str(store_dir)}
    remote = request.getfixturevalue(f"{store}_store")
    return {"STORE_URL": remote.query_url, "STORE_DIR": remote.artifacts}


@pytest.fixture(scope="module", params=STORES)
def store(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def settings(request, store, store_dir) -> dict[str, str]:
    return _store_settings(request, store, store_dir)


@pytest.fixture(scope="module")
def service(settings):
    service = SparqlService(Config.load({**settings, "EXECUTORS": 1}))
    yield service
    service.close()


def _sorted(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """G with its nodes and edges in the order the store's rows come (sorted)."""
    H = nx.MultiDiGraph(name=G.graph.get("name"))
    H.add_nodes_from(sorted(G.nodes(data=True)))
    H.add_edges_from((u, v, k, d) for u, v, k, d in
                     sorted(G.edges(keys=True, data=True), key=lambda e: e[:3]))
    return H


def _edges(H) -> set[tuple[str, str, str]]:
    return {(str(u), str(v), str(d.get("predicate", k)))
            for u, v, k, d in H.edges(keys=True, data=True)}


def test_registry_says_which_formats_stream():
    assert set(STREAMED) == {"graphml", "gexf", "cytoscape", "cx2", "csv", "kgx"}
    assert all(get_format(name, "rdf").stream_path == "dump" for name in RDF_READERS)
    assert not get_format("dot", "network").streams and not get_format("svg", "network").streams


def test_store_rows_are_the_projection(service, G, GF):
    for H, findings in ((G, False), (GF, True)):
        with store_rows(service, findings=findings) as (nodes, edges):
            assert [(n, dict(d)) for n, d in nodes] == sorted(H.nodes(data=True))
            rows = [(u, v, k, d["predicate"], d["_source_label"], d["_target_label"])
                    for u, v, k, d in edges]
        assert rows == [(u, v, k, d["predicate"], H.nodes[u]["label"], H.nodes[v]["label"])
                        for u, v, k, d in sorted(H.edges(keys=True, data=True),
                                                 key=lambda e: e[:3])]


def _document(name: str, data: bytes):
    """An export as its reader reads it, attributes and all (their order aside)."""
    if name in ("csv", "kgx"):
        return data  # fixed columns: the bytes themselves
    if name == "cx2":
        return json.loads(data)
    reader = {"graphml": nx.read_graphml, "gexf": nx.read_gexf}.get(name)
    H = reader(io.BytesIO(data)) if reader else nx.cytoscape_graph(json.loads(data))
    return (list(H.nodes(data=True)), list(H.edges(keys=True, data=True)))


@pytest.mark.parametrize("findings", [False, True])
@pytest.mark.parametrize("name", STREAMED)
def test_streamed_network_export_is_the_writers_document(name, findings, service, G, GF):
    """The document to_<fmt> writes for the projection (rows in IRI order): the same
    bytes for the tables, the same nodes, edges and attributes for the others (whose
    attribute order follows the order of each node's triples, which is the store's)."""
    streamed = b"".join(stream_graph(service, name, findings=findings))
    assert _document(name, streamed) == _document(name, export(_sorted(GF if findings
                                                                     else G), name))


def _read_back(name: str, data: bytes, tmp_path) -> tuple[set[str], set[tuple[str, str, str]]]:
    """Nodes and edges of an export, as its real reader reads them."""
    if name == "graphml":
        H = nx.read_graphml(io.BytesIO(data))
        return set(H), _edges(H)
    if name == "gexf":
        H = nx.read_gexf(io.BytesIO(data))
        return set(H), _edges(H)
    if name == "cytoscape":
        H = nx.cytoscape_graph(json.loads(data))
        return set(H), _edges(H)
    if name == "cx2":
        from ndex2.cx2 import CX2Network

        path = tmp_path / "graph.cx2"
        path.write_bytes(data)
        network = CX2Network()
        network.create_from_raw_cx2(str(path))
        iri = {i: n["v"]["represents"] for i, n in network.get_nodes().items()}
        return set(iri.values()), {(iri[e["s"]], iri[e["t"]], e["v"]["interaction"])
                                   for e in network.get_edges().values()}
    if name == "csv":
        table = pd.read_csv(io.BytesIO(data))
        return (set(table.source) | set(table.target),
                set(zip(table.source, table.target, table.predicate, strict=True)))
    archive = zipfile.ZipFile(io.BytesIO(data))
    nodes = pd.read_csv(archive.open("nodes.tsv"), sep="\t")
    edges = pd.read_csv(archive.open("edges.tsv"), sep="\t")
    curie_to_iri = dict(zip(nodes["id"], nodes["iri"], strict=True))
    return set(nodes.iri), {(curie_to_iri[s], curie_to_iri[o], p) for s, o, p in
                            zip(edges.subject, edges.object, edges.original_predicate,
                                strict=True)}


def _streamed_or_kept(response: requests.Response) -> None:
    """A whole-graph export is chunked while its file is written, and sent with its
    length once kept (``exokg.sparql.export_files``; the remote store's are streamed)."""
    length = response.headers.get("Content-Length")
    if length is None:
        assert response.headers["Transfer-Encoding"] == "chunked"
    else:
        assert int(length) == len(response.content)


@pytest.mark.parametrize("name", STREAMED)
def test_live_server_streams_network_formats(name, served, GF, tmp_path):
    fmt = get_format(name, "network")
    response = requests.get(f"{served}/api/export", params={"format": name,
                                                                "findings": "true"},
                            stream=True, timeout=60)
    assert response.status_code == 200
    _streamed_or_kept(response)
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="exokg-graph-with-findings.{fmt.extension}"'
    nodes, edges = _read_back(name, response.content, tmp_path)
    if name != "csv":  # an edge list holds only the nodes with an edge
        assert nodes == set(GF)
    assert edges == _edges(GF)


@pytest.mark.parametrize("name", sorted(RDF_READERS))
def test_live_server_streams_rdf_as_the_stores_dump(name, served, graph):
    response = requests.get(f"{served}/api/export", params={"format": name},
                            stream=True, timeout=60)
    assert response.status_code == 200
    _streamed_or_kept(response)
    fmt = get_format(name, "rdf")
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="exokg-graph.{fmt.extension}"'
    if name in ("nquads", "trig", "jsonld"):  # the syntaxes that hold named graphs
        back = Dataset().parse(data=response.content, format=RDF_READERS[name])
        assert isomorphic(back.default_graph, graph)
        metrics = back.graph(URIRef("https://w3id.org/exokg/graph/metrics"))
        assert len(metrics) > 0  # every graph of the store, as the dump's docs say
    else:
        assert isomorphic(Graph().parse(data=response.content, format=RDF_READERS[name]),
                          graph)


def test_whole_graph_export_is_not_cut_at_the_row_cap(small_server):
    """The small server caps results at 5 rows; its whole-graph export is whole."""
    response = requests.get(f"{small_server}/api/export", params={"format": "ntriples"},
                            timeout=60)
    assert response.status_code == 200
    triples = Graph().parse(data=response.content, format="nt")
    assert len(triples) > 5


def test_drawing_formats_draw_a_small_whole_graph_and_refuse_a_big_one(service, G, client):
    assert export(store_graph(service), "dot") == export(_sorted(G), "dot")
    with pytest.raises(TooLargeToDraw, match="more than 100 nodes, too many to draw"):
        store_graph(service, max_nodes=100)
    response = client.get("/api/export?format=svg")
    # (the body says why, should it fail: CI saw one 500 in session 25, unexplained)
    assert response.status_code == 200 and b"<svg" in response.data, response.data[:1000]


def test_cli_writes_the_same_stream_as_http(request, store, settings, tmp_path):
    served = server_for(request, store)
    out = tmp_path / "graph.graphml"
    env_store = {f"EXOKG_{k}": v for k, v in settings.items()}
    done = subprocess.run([sys.executable, "-m", "exokg", "export", "--format", "graphml",
                           "--findings", "--out", str(out)], cwd=RUN_DIR, capture_output=True,
                          text=True, env={**_env(), **env_store}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"bytes (GraphML (yEd, Gephi, Cytoscape, igraph)) to {out}" in done.stderr
    http = requests.get(f"{served}/api/export?format=graphml&findings=1", timeout=60)
    assert out.read_bytes() == http.content
    assert [p.name for p in tmp_path.iterdir()] == ["graph.graphml"]  # no temporary left


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}


def test_write_stream_leaves_nothing_when_the_stream_fails(tmp_path):
    def chunks():
        yield b"half a file"
        raise ConfigError("the export stopped")

    target = tmp_path / "out.nt"
    target.write_bytes(b"the old file")
    with pytest.raises(ConfigError, match="the export stopped"):
        write_stream(chunks(), str(target), what=lambda size: f"{size} bytes")
    assert target.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.nt"]
    size = write_stream(iter([b"a", b"bc"]), str(target), what=lambda size: f"{size} bytes")
    assert size == 3 and target.read_bytes() == b"abc"


def test_executor_gone_mid_export_breaks_the_stream_visibly(tmp_path):
    """The executor dumping the store dies while the export streams (its 200 already
    sent): the chunked body ends without its last chunk, never as if whole, and the
    server says why (tests/test_remote.py checks the same of a remote engine)."""
    import signal

    data = tmp_path / "big.nt"
    data.write_text("".join(f'<urn:x:s{i}> <urn:x:p> "{i}{"x" * 400}" .\n'
                            for i in range(60_000)))  # ~25 MB of N-Triples
    server, url = start_server(["--store", str(tmp_path / "store"), "--data", str(data),
                                "--workers", "1", "--executors", "1", "--no-access-log"])
    try:
        with requests.get(f"{url}/api/export", params={"format": "ntriples"}, stream=True,
                          timeout=60) as response:
            assert response.status_code == 200
            body = response.iter_content(1 << 16)
            received = len(next(body))
            executors = executor_ticks(server.pid)
            assert executors
            for pid in executors:
                os.kill(pid, signal.SIGKILL)
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                for chunk in body:
                    received += len(chunk)
        assert 0 < received < data.stat().st_size
        log = server_log(server)
        assert "GET /api/export: the answer was cut after" in log and "executor" in log
        assert "Traceback" not in log
        # a new executor answers the next one whole: at once, or, while it still starts
        # on a busy machine, after the 503's Retry-After
        for _ in range(5):
            again = requests.get(f"{url}/api/export", params={"format": "ntriples"},
                                 timeout=60)
            if again.status_code != 503:
                break
            assert "executor" in again.text and "Retry-After" in again.headers, again.text
            time.sleep(float(again.headers["Retry-After"]))
        assert again.status_code == 200 and len(again.content) == data.stat().st_size
    finally:
        stop_server(server)


def test_an_export_killed_mid_stream_leaves_no_file_behind(tmp_path):
    """A process killed with -9 while it spools an export's rows (OOM killer, an operator)
    leaves no temporary file behind in its TMPDIR: files that pile up there on every crash
    would fill a server's disk."""
    import select
    import signal
    import textwrap

    temp = tmp_path / "tmp"
    temp.mkdir()
    script = tmp_path / "spool.py"
    script.write_text(textwrap.dedent(f"""
        import time

        from exokg.config import Config
        from exokg.io.store_rows import store_rows
        from exokg.sparql import SparqlService

        if __name__ == "__main__":  # the executors are spawned: they import this file
            service = SparqlService(Config.load({{"STORE_DIR": {str(tmp_path / "store")!r},
                                                  "EXECUTORS": 1}}))
            with store_rows(service, findings=True) as (nodes, edges):
                print(sum(1 for _ in nodes), flush=True)
                time.sleep(120)
    """))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")},
           "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True, text=True)
    try:
        # bounded: a failing script's executors would keep the pipe open
        assert select.select([proc.stdout], [], [], 120)[0], "the export did not start"
        assert int(proc.stdout.readline()) > 0  # inside the export, its rows spooled
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert [p.name for p in temp.iterdir()] == []


def test_a_scan_given_up_while_its_read_ahead_waits_closes_the_dump_once_it_wakes():
    """Ctrl-C during ``exokg export`` closed the dump's stream from the consumer while the
    read-ahead thread was inside it: "ValueError: generator already executing" took the
    place of the interrupt (a traceback, exit 1)."""
    import threading
    import time

    from exokg.io.store_rows import _triples

    closed = threading.Event()

    def dump():
        try:
            # more than the parser's first read, so that it asks for no more yet
            yield b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n" * 2000
            time.sleep(1.5)  # the executor slow to send the next frame
            yield b"<http://example.org/b> <http://example.org/p> <http://example.org/c> .\n"
        finally:
            closed.set()

    triples = _triples(dump())
    assert str(next(triples).subject) == "<http://example.org/a>"
    triples.close()  # what the consumer's error (the interrupt) does; raised nothing
    assert closed.wait(5)
