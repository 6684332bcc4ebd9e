"""Two `exokg serve` replicas behind HAProxy (deploy/haproxy.cfg), one killed with -9 mid-load.

Each replica has its own embedded store built from the same inputs, so both give the same
data version, ETags and bodies. Under a steady client load (three clients, bounded in
requests), replica 1's whole process group is killed with SIGKILL; once HAProxy's health
check has marked it down no client request fails; the requests caught in between are retried
on replica 2 by HAProxy (retry-on, redispatch) and counted.
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


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _replica(store: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}
    # its own session: -9 goes to the master, its worker and executors at once
    proc = subprocess.Popen(
        [sys.executable, "-m", "exokg", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--store", str(store), "--workers", "1", "--threads", "4", "--executors", "1",
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


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if HAPROXY is None:
        pytest.fail("haproxy is not installed (Debian: haproxy, installed by "
                    "tools/install-test-deps)")
    procs: list[subprocess.Popen] = []
    try:
        r1, url1 = _replica(tmp_path_factory.mktemp("replica1"))
        procs.append(r1)
        r2, url2 = _replica(tmp_path_factory.mktemp("replica2"))
        procs.append(r2)
        bind, stats = f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"
        env = {**os.environ, "EXOKG_LB_BIND": bind, "EXOKG_LB_STATS": stats,
               "EXOKG_REPLICA1": url1, "EXOKG_REPLICA2": url2}
        lb = subprocess.Popen([HAPROXY, "-db", "-f", str(REPO / "deploy" / "haproxy.cfg")],
                              env=env, cwd=RUN_DIR, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(lb)
        stats_url = f"http://{stats}"
        deadline = time.monotonic() + 30
        while True:
            try:
                servers = _stats(stats_url)
                if all(servers.get(f"replicas/{s}", {}).get("status") == "UP"
                       for s in ("r1", "r2")):
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("haproxy did not mark both replicas up within 30 s")
            time.sleep(0.2)
        yield {"lb": f"http://{bind}", "stats": stats_url, "replicas": [r1, r2],
               "urls": [f"http://{url1}", f"http://{url2}"]}
    finally:
        for proc in reversed(procs):
            _kill_group(proc)


def test_replicas_give_the_same_etag_and_body(cluster):
    answers = [requests.get(f"{u}/sparql", params={"query": QUERY},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
               for u in cluster["urls"]]
    assert all(a.status_code == 200 for a in answers)
    assert answers[0].headers["ETag"] == answers[1].headers["ETag"]
    assert answers[0].content == answers[1].content
    assert answers[0].headers["X-ExoKG-Data-Version"] == \
        answers[1].headers["X-ExoKG-Data-Version"]
    # and through the balancer, whichever replica answers
    via = [requests.get(f"{cluster['lb']}/sparql", params={"query": QUERY},
                        headers={"Accept": "application/sparql-results+json"}, timeout=30)
           for _ in range(4)]
    assert {v.headers["ETag"] for v in via} == {answers[0].headers["ETag"]}


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
    backend = _stats(stats)["replicas/BACKEND"]
    after = [r for r in results if r[0] >= down]
    between = [r for r in results if killed <= r[0] < down]
    failed_between = [r for r in between if r[2] != "ok"]
    print(f"\nkill -> marked down: {down - killed:.2f} s; requests before kill "
          f"{sum(r[0] < killed for r in results)}, between {len(between)} "
          f"({len(failed_between)} failed), after {len(after)}; HAProxy retries "
          f"{backend['wretr']}, redispatches {backend['wredis']}")
    assert len(after) > 0 and len(between) + len(after) > 10
    assert [r for r in after if r[2] != "ok"] == []
    # Before the mark-down, requests that met the dead replica were retried on the other
    # one (none failed in the runs reported in deploy/README.md); one whose answer was cut
    # mid-body cannot be retried, so that window is reported above, not asserted.
