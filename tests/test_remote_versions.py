"""A remote store's derived graphs answer for the version served, or not at all.

The metrics' named graph <https://w3id.org/exokg/graph/metrics> is one graph in the
engine, written by `exokg index` for one data version. A real `exokg serve --store-url`
over a real Oxigraph server must never answer it for another version than the one it
serves: after `exokg load` of a new version (not indexed yet) a query naming it answers
503 naming `exokg index`, after `exokg index` it holds the new version's metrics, after a
roll-back (`exokg load` of the older inputs again) it answers 503 until `exokg index`
writes that version's metrics again (from its kept artifacts, without a rebuild).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import requests
from _remote_engines import start_oxigraph, start_virtuoso, stop
from conftest import exokg, start_server, stop_server
from exokg.index import METRICS_GRAPH
from exokg.sparql.remote import NO_NAMED_GRAPH
from exokg.vocab import EXO

SRJ = "application/sparql-results+json"
RANKS = f"SELECT ?n ?r WHERE {{ GRAPH <{METRICS_GRAPH}> {{ ?n <{EXO.pageRank}> ?r }} }}"
#: the same, naming its own dataset (the engine's graphs, as they are)
RANKS_FROM = RANKS.replace("WHERE", f"FROM NAMED <{METRICS_GRAPH}> WHERE", 1)
_PARENT, _, _NAME = METRICS_GRAPH.rpartition("/")
#: other spellings of the graph's name, which the engine resolves (a relative IRI on a
#: BASE, a \u escape): refused while it holds another version, like the plain one
SPELLED = [f"BASE <{_PARENT}/> " + RANKS_FROM.replace(f"<{METRICS_GRAPH}>", f"<{_NAME}>"),
           RANKS_FROM.replace(f"<{METRICS_GRAPH}>",
                              f"<{METRICS_GRAPH[:-1]}\\u{ord(METRICS_GRAPH[-1]):04x}>")]
#: no graph named: the metrics graph is not among those a query reads
ANY_GRAPH = f"SELECT ?n ?r WHERE {{ GRAPH ?g {{ ?n <{EXO.pageRank}> ?r }} }}"


def _run(*args: str) -> dict:
    done = exokg(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _ask(url: str, query: str = RANKS) -> requests.Response:
    return requests.post(f"{url}/sparql", data={"query": query}, headers={"Accept": SRJ},
                         timeout=30)


def _ranks(url: str) -> dict[str, str]:
    answers = []
    for query in (RANKS, RANKS_FROM):
        r = _ask(url, query)
        assert r.status_code == 200, r.text
        answers.append({b["n"]["value"]: b["r"]["value"]
                        for b in r.json()["results"]["bindings"]})
    assert answers[0] == answers[1]
    return answers[0]


def _not_indexed(url: str, version: str) -> None:
    """The metrics graph is refused for ``version``, naming the command that builds it
    (never another version's metrics, never an empty answer that looks whole)."""
    for query in (RANKS, RANKS_FROM, *SPELLED):
        r = _ask(url, query)
        assert r.status_code == 503, (query, r.text[:500])
        assert "exokg index" in r.text and version in r.text
        assert int(r.headers["Retry-After"]) > 0
    r = _ask(url, ANY_GRAPH)
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []
    # the graphs a query sees: none made up, none unpublished (GRAPH ?g {} binds every
    # named graph of the dataset, empty or not)
    r = _ask(url, "SELECT ?g WHERE { GRAPH ?g { } }")
    assert r.status_code == 200
    seen = {b["g"]["value"] for b in r.json()["results"]["bindings"] if "g" in b}
    assert not seen & {METRICS_GRAPH, NO_NAMED_GRAPH}, seen
    # a language tag "from" names no dataset
    r = _ask(url, 'SELECT ?s WHERE { ?s ?p "x"@from }')
    assert r.status_code == 200, r.text[:300]


def _serving(url: str, version: str) -> None:
    """Wait (bounded) until the replica serves ``version`` (it reads it every 2 s)."""
    deadline = time.monotonic() + 30
    while requests.get(f"{url}/healthz", timeout=10).json()["data_version"] != version:
        assert time.monotonic() < deadline, f"the replica never served {version}"
        time.sleep(0.2)


def _published(url: str) -> dict[str, str]:
    """The metrics, once the replica has read that they were published (bounded)."""
    deadline = time.monotonic() + 30
    while _ask(url).status_code == 503 or not (ranks := _ranks(url)):
        assert time.monotonic() < deadline, "the indexed metrics were never answered"
        time.sleep(0.2)
    return ranks


@pytest.fixture(params=["oxigraph", "virtuoso"])
def engine(request) -> list[str]:
    """A fresh engine: the ``exokg load``/``index`` options that write to it."""
    if request.param == "oxigraph":
        proc, base = start_oxigraph()
        yield ["--store-url", f"{base}/query", "--update-url", f"{base}/update"]
        stop(proc)
        return
    from test_remote_virtuoso import isql

    proc, base, folder = start_virtuoso()
    try:  # deploy/README.md's recipe for a private, loopback-only engine
        isql(proc, "GRANT SPARQL_UPDATE TO \"SPARQL\"; "
                   "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);")
        # no --graph-store-url: load and index find Virtuoso's own (/sparql-graph-crud)
        yield ["--store-url", f"{base}/sparql", "--update-url", f"{base}/sparql"]
    finally:
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def test_metrics_graph_answers_only_the_served_version(tmp_path, engine):
    remote, query = engine, engine[1]
    artifacts = str(tmp_path / "artifacts")
    v1 = _run("load", *remote)
    assert _run("index", *remote, "--store", artifacts)["version"] == v1["version"]
    server, url = start_server(["--store-url", query, "--store", artifacts, "--workers", "1",
                                "--no-access-log"])
    try:
        ranks_v1 = _ranks(url)
        assert ranks_v1, "an indexed version answers its metrics"
        # v2: the review's graph without its highest-ranked entity, so that node has no
        # metrics in v2 and its neighbours' ranks change
        hub = max((n for n in ranks_v1 if "/id/" in n), key=lambda n: float(ranks_v1[n]))
        built = exokg("build", "--format", "nt")
        assert built.returncode == 0, built.stderr
        v2_data = tmp_path / "v2.nt"
        v2_data.write_text("".join(line for line in built.stdout.splitlines(keepends=True)
                                   if f"<{hub}>" not in line))

        v2 = _run("load", *remote, "--data", str(v2_data))
        assert v2["version"] != v1["version"]
        _serving(url, v2["version"])
        _not_indexed(url, v2["version"])  # not v1's metrics
        # the service description lists the graphs that hold the version: its ETag
        # changes when index writes the metrics, with the version unchanged
        before = requests.get(f"{url}/sparql", timeout=30).headers["ETag"]

        assert _run("index", *remote, "--store", artifacts)["version"] == v2["version"]
        ranks_v2 = _published(url)
        assert ranks_v2 and ranks_v2 != ranks_v1
        assert requests.get(f"{url}/sparql", timeout=30).headers["ETag"] != before
        assert hub not in ranks_v2  # v2's own nodes

        back = _run("load", *remote)  # the roll-back: v1's inputs again
        assert back["version"] == v1["version"] and back["sent"] is False
        _serving(url, v1["version"])
        _not_indexed(url, v1["version"])  # not v2's metrics
        # v1's artifacts are kept: index writes its metrics again without rebuilding them
        meta = next(Path(artifacts).glob(f"remote-{v1['version']}-*")) / "meta.json"
        built_at = meta.stat().st_mtime_ns
        assert _run("index", *remote, "--store", artifacts)["version"] == v1["version"]
        assert _published(url) == ranks_v1
        assert meta.stat().st_mtime_ns == built_at
    finally:
        stop_server(server)
