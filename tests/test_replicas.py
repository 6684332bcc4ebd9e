"""Two `exokg serve` replicas behind HAProxy (deploy/haproxy.cfg), one killed with -9 mid-load.

Both topologies of deploy/README.md run every test (the ``cluster`` fixture's parameters):

- ``embedded``: each replica has its own embedded store built from the same inputs;
- ``shared-oxigraph``: both replicas serve one Oxigraph server (``exokg serve --store-url``,
  each with its own copy of the artifacts ``exokg index --store-url`` wrote), as N web
  machines in front of one engine would.

Either way both replicas give the same data version, ETags and bodies (a SPARQL answer, an
entity page, its JSON twin, an API answer, a whole-graph export), so a client's ETag from
one is a 304 at the other. Under a steady client load (three clients, bounded in requests),
replica 1's whole process group is killed with SIGKILL; once HAProxy's health check has
marked it down no client request fails; the requests caught in between are retried on
replica 2 by HAProxy (retry-on, redispatch) and counted.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import networkx as nx
import pytest
import requests
from _remote_engines import wait_answering
from conftest import REPO, RUN_DIR, _free_port

HAPROXY = shutil.which("haproxy") or next(
    (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None)
QUERY = "SELECT ?label WHERE { ?m <http://www.w3.org/2000/01/rdf-schema#label> ?label } " \
        "ORDER BY ?label LIMIT 20"
PATHS = [("/sparql", {"query": QUERY}), ("/sparql", {"query": "ASK { ?s ?p ?o }"}),
         ("/healthz", None), ("/.well-known/void", None)]
#: What both replicas must answer alike: (path, parameters, Accept).
SAME = [("/sparql", {"query": QUERY}, "application/sparql-results+json"),
        ("/id/content/mir-21", None, "text/html"),
        ("/id/content/mir-21.json", None, "application/json"),
        ("/api/neighborhood", {"node": "miR-21"}, "application/json"),
        ("/api/export", {"format": "turtle"}, "text/turtle")]
#: The topologies of deploy/README.md that the ``cluster`` fixture builds.
TOPOLOGIES = ["embedded", "shared-oxigraph"]


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _replica(store_args: list[str], **settings: str) -> tuple[subprocess.Popen, str]:
    """``exokg serve STORE_ARGS`` (``--store DIR``, or ``--store-url URL --store DIR``);
    ``settings``: ``EXOKG_*`` variables."""
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}, **settings}
    # its own session: -9 goes to the master, its worker and executors at once
    proc = subprocess.Popen(
        [sys.executable, "-m", "exokg", "serve", "--host", "127.0.0.1", "--port", str(port),
         *store_args, "--workers", "1", "--threads", "4", "--executors", "1",
         "--timeout", "10", "--no-access-log"], cwd=RUN_DIR, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"127.0.0.1:{port}"
    try:
        wait_answering(proc, f"http://{url}/healthz", "exokg serve", 120.0)
    except BaseException:
        _kill_group(proc)
        raise
    return proc, url


def _stats(stats_url: str) -> dict[str, dict[str, str]]:
    text = requests.get(f"{stats_url}/stats;csv", timeout=5).text.lstrip("# ")
    return {f"{r['pxname']}/{r['svname']}": r for r in csv.DictReader(io.StringIO(text))}


def _store_args(request: pytest.FixtureRequest, tmp_path_factory, name: str) -> list[str]:
    """A replica's store: its own embedded one, or the session's Oxigraph server (one
    engine for all replicas) with its own copy of the artifacts, as on its own machine."""
    if request.param == "embedded":
        return ["--store", str(tmp_path_factory.mktemp(name))]
    remote = request.getfixturevalue("oxigraph_store")
    artifacts = tmp_path_factory.mktemp(name) / "artifacts"
    shutil.copytree(remote.artifacts, artifacts)
    return ["--store-url", remote.query_url, "--store", str(artifacts)]


def _balancer(procs: list[subprocess.Popen], url1: str, url2: str,
              **settings: str) -> tuple[str, str, str]:
    """HAProxy with deploy/haproxy.cfg in front of the two replicas (its process added to
    ``procs``), both marked up; ``settings``: more of its environment. Returns its URL,
    its address and its statistics' URL."""
    bind, stats = f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "EXOKG_LB_BIND": bind, "EXOKG_LB_STATS": stats,
           "EXOKG_REPLICA1": url1, "EXOKG_REPLICA2": url2, **settings}
    procs.append(subprocess.Popen([HAPROXY, "-db", "-f", str(REPO / "deploy" / "haproxy.cfg")],
                                  env=env, cwd=RUN_DIR, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True))
    stats_url = f"http://{stats}"
    deadline = time.monotonic() + 30
    while True:
        try:
            servers = _stats(stats_url)
            if all(servers.get(f"replicas/{s}", {}).get("status") == "UP" for s in ("r1", "r2")):
                return f"http://{bind}", bind, stats_url
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("haproxy did not mark both replicas up within 30 s")
        time.sleep(0.2)


@pytest.fixture(scope="module", params=TOPOLOGIES)
def cluster(request, tmp_path_factory):
    if HAPROXY is None:
        pytest.fail("haproxy is not installed (Debian: haproxy, installed by "
                    "tools/install-test-deps)")
    procs: list[subprocess.Popen] = []
    try:
        r1, url1 = _replica(_store_args(request, tmp_path_factory, "replica1"))
        procs.append(r1)
        r2, url2 = _replica(_store_args(request, tmp_path_factory, "replica2"))
        procs.append(r2)
        lb, bind, stats_url = _balancer(procs, url1, url2)
        yield {"lb": lb, "host": bind, "stats": stats_url, "replicas": [r1, r2],
               "urls": [f"http://{url1}", f"http://{url2}"]}
    finally:
        for proc in reversed(procs):
            _kill_group(proc)


def _same_from_both(cluster, path: str, params: dict | None, accept: str) -> str | None:
    """Ask both replicas for ``path`` directly and through the balancer: the same status,
    media type, ETag (where one is sent) and body from each; a client's ETag from one
    replica is a 304 at the other. Returns the ETag."""
    # Each replica asked directly with the Host a client of the balancer sends (HAProxy
    # passes it on): a page may name the address it was asked at.
    headers = {"Accept": accept, "Host": cluster["host"]}
    answers = [requests.get(f"{u}{path}", params=params, headers=headers, timeout=30)
               for u in cluster["urls"]]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].headers["Content-Type"] == answers[1].headers["Content-Type"]
    assert answers[0].content == answers[1].content and answers[0].content
    etag = answers[0].headers.get("ETag")
    assert answers[1].headers.get("ETag") == etag
    if etag is not None:
        again = requests.get(f"{cluster['urls'][1]}{path}", params=params, timeout=30,
                             headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        head = requests.head(f"{cluster['urls'][1]}{path}", params=params, timeout=30,
                             headers=headers)
        assert head.status_code == 200 and head.headers["ETag"] == etag
    # and through the balancer, whichever replica answers
    via = [requests.get(f"{cluster['lb']}{path}", params=params, headers={"Accept": accept},
                        timeout=30) for _ in range(4)]
    assert {v.headers.get("ETag") for v in via} == {etag}
    assert {v.content for v in via} == {answers[0].content}
    return etag


@pytest.mark.parametrize(("path", "params", "accept"), SAME,
                         ids=[p + (f"?{next(iter(q))}" if q else "") for p, q, _ in SAME])
def test_replicas_give_the_same_etag_and_body(cluster, path, params, accept):
    etag = _same_from_both(cluster, path, params, accept)
    # every one carries a strong ETag (server/etags.py), the same from both replicas
    assert etag is not None and not etag.startswith("W/")


@pytest.mark.parametrize("cluster", ["shared-oxigraph"], indirect=True)
def test_replicas_of_one_remote_store_give_the_same_void(cluster):
    """VoID names when the store was loaded: replicas of one remote store read the
    engine's one, so even VoID is the same (embedded replicas each name their own load,
    deploy/README.md)."""
    assert _same_from_both(cluster, "/.well-known/void", None, "text/turtle") is not None


def test_replicas_report_the_same_data_version(cluster):
    health = [requests.get(f"{u}/healthz", timeout=30).json() for u in cluster["urls"]]
    assert health[0]["data_version"] == health[1]["data_version"]
    assert health[0]["triples"] == health[1]["triples"] > 0


#: A query far past the replicas' 10 s time limit (the review's ~3,000 triples, cubed).
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


# The balancer's rule, not the store's: one topology suffices (on the shared Oxigraph
# server the query would run on for the engine's own 30 s after the replica gave up).
@pytest.mark.parametrize("cluster", ["embedded"], indirect=True)
def test_a_query_past_the_time_limit_is_not_run_again_on_another_replica(cluster):
    retried = ("wretr", "wredis")
    before = _stats(cluster["stats"])["queries/BACKEND"]
    started = time.monotonic()
    answer = requests.get(f"{cluster['lb']}/sparql", params={"query": SLOW}, timeout=60)
    took = time.monotonic() - started
    after = _stats(cluster["stats"])["queries/BACKEND"]
    assert answer.status_code == 503 and "time limit" in answer.text
    # once, on one replica (each retry ran it for another 10 s on the other)
    assert [after[k] for k in retried] == [before[k] for k in retried]
    assert took < 20


# The balancer's rule again: one topology suffices.
@pytest.mark.parametrize("cluster", ["embedded"], indirect=True)
def test_a_whole_graph_export_may_be_silent_longer_than_any_other_answer(cluster):
    """A network format reads the whole store before its first byte (about 30 s at 10^5
    findings): the balancer waits for it up to the export's own limit, not the limit of
    bounded answers, and runs it on one replica only. Here every other answer may keep
    the balancer waiting 1 ms at most, far less than this export takes; under that
    limit the balancer answered 504, after three retries."""
    procs: list[subprocess.Popen] = []
    try:
        lb, _, stats = _balancer(procs, *(u.removeprefix("http://") for u in cluster["urls"]),
                                 EXOKG_LB_SERVER_TIMEOUT="1ms")
        params = {"format": "graphml"}
        direct = requests.get(f"{cluster['urls'][0]}/api/export", params=params, timeout=60)
        via = requests.get(f"{lb}/api/export", params=params, timeout=60)
        assert direct.status_code == via.status_code == 200
        assert via.content == direct.content
        graph = nx.read_graphml(io.BytesIO(via.content))
        assert graph.number_of_nodes() > 100
        counters = _stats(stats)["exports/BACKEND"]
        assert (counters["wretr"], counters["wredis"]) == ("0", "0")
    finally:
        for proc in procs:
            _kill_group(proc)


def test_an_export_stopped_at_its_time_limit_is_not_run_again(tmp_path):
    """An export past EXPORT_TIMEOUT is a 503 from its replica, as a busy one's: the
    exports backend retried it on the other replica (each retry a whole-store read)."""
    procs: list[subprocess.Popen] = []
    try:
        urls = []
        for name in ("r1", "r2"):  # a limit no export meets
            proc, url = _replica(["--store", str(tmp_path / name)],
                                 EXOKG_EXPORT_TIMEOUT="1e-9")
            procs.append(proc)
            urls.append(url)
        lb, _, stats = _balancer(procs, *urls)
        answer = requests.get(f"{lb}/api/export", params={"format": "graphml"}, timeout=60)
        assert answer.status_code == 503 and "time limit" in answer.text
        counters = _stats(stats)["exports/BACKEND"]
        assert (counters["wretr"], counters["wredis"]) == ("0", "0")
        # a neighbourhood's export is bounded: it stays with the other pages
        before = _stats(stats)["exports/BACKEND"]["stot"]
        small = requests.get(f"{lb}/api/export", params={"format": "graphml", "node": "miR-21"},
                             timeout=60)
        assert small.status_code == 200 and _stats(stats)["exports/BACKEND"]["stot"] == before
    finally:
        for proc in reversed(procs):
            _kill_group(proc)


def test_a_replica_killed_mid_load_fails_no_request_once_marked_down(cluster):
    lb, stats = cluster["lb"], cluster["stats"]
    results: list[tuple[float, float, str]] = []  # (started, ended, "ok" or what failed)
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        session = requests.Session()
        for i in range(2000):  # bounded: a few seconds of load at most
            if stop.is_set():
                return
            path, params = PATHS[(i + n) % len(PATHS)]
            started = time.monotonic()
            try:
                r = session.get(f"{lb}{path}", params=params, timeout=15)
                outcome = "ok" if r.status_code == 200 else f"status {r.status_code}"
            except requests.RequestException as err:
                outcome = type(err).__name__
            with lock:
                results.append((started, time.monotonic(), outcome))

    clients = [threading.Thread(target=client, args=(n,)) for n in range(3)]
    for c in clients:
        c.start()
    try:
        time.sleep(1.5)
        killed = time.monotonic()
        _kill_group(cluster["replicas"][0])
        deadline = killed + 20
        while _stats(stats)["replicas/r1"]["status"] == "UP" and time.monotonic() < deadline:
            time.sleep(0.05)
        down = time.monotonic()
        assert _stats(stats)["replicas/r1"]["status"] != "UP", "r1 was never marked down"
        time.sleep(2.0)
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=30)
    counters = _stats(stats)
    retries, redispatches = (sum(int(counters[f"{b}/BACKEND"][k]) for b in ("replicas", "queries"))
                             for k in ("wretr", "wredis"))
    after = [r for r in results if r[0] >= down]
    between = [r for r in results if killed <= r[0] < down]
    failed_between = [r for r in between if r[2] != "ok"]
    print(f"\nkill -> marked down: {down - killed:.2f} s; requests before kill "
          f"{sum(r[0] < killed for r in results)}, between {len(between)} "
          f"({len(failed_between)} failed), after {len(after)}; HAProxy retries "
          f"{retries}, redispatches {redispatches}")
    assert len(after) > 0 and len(between) + len(after) > 10
    assert [r for r in after if r[2] != "ok"] == []
    # Before the mark-down, requests that met the dead replica were retried on the other
    # one (none failed in the runs reported in deploy/README.md); one whose answer was cut
    # mid-body cannot be retried, so that window is reported above, not asserted.
