"""``exokg serve`` on a store being built: the loaded store answers SPARQL early, what
needs the artifacts answers 503 with ``Retry-After`` until they are built, then the
workers are replaced by workers on the complete store (kg/cli/serve.py), against real
server processes.

The build is held in its artifact phase by a builder that waits for a file
(``tests/probe_builders.py``), registered by the command that starts the server.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests
from conftest import server_log, start_server, stop_server, wait_for_log
from exokg.cli.serve import EVERY_WORKER_COMPLETE

TESTS = Path(__file__).resolve().parent
#: ``exokg`` with one more artifact, whose builder waits for the file ``GATE_FILE``;
#: each check of a store (:func:`exokg.store_layout.check_store`) is logged.
GATED = ("-c", f"import sys; sys.path.insert(0, {str(TESTS)!r}); "
               "import exokg.store_layout as layout; check = layout.check_store; "
               "layout.check_store = lambda info, **kw: print('exokg-test: checked', "
               "info.folder, file=sys.stderr, flush=True) or check(info, **kw); "
               "from exokg.store import register_artifact; "
               "register_artifact('zz-gate', 'probe_builders:wait_for_gate'); "
               "from exokg.cli import main; sys.exit(main())")
#: ``GATED``, whose workers take ``WARM_UP_SECONDS`` more to warm up (at 10^5 findings a
#: worker on the complete store warms up for 2-3 s).
SLOW = (GATED[0], "import os, time, exokg.server.warmup as w; f = w.warm_up; "
                  "w.warm_up = lambda app: time.sleep(float(os.environ['WARM_UP_SECONDS'])) "
                  "or f(app); " + GATED[1])
ASK = {"query": "ASK { ?s ?p ?o }"}
COUNT = {"query": "SELECT (COUNT(*) AS ?n) { ?s a <https://w3id.org/exokg/vocab#Finding> }"}


def _gated(tmp_path: Path, *, complete: bool = False, warm_up: float = 0.0):
    """A server on a store whose build waits, once loaded, for ``tmp_path/gate``; its
    workers warm up ``warm_up`` seconds longer."""
    gate = tmp_path / "gate"
    proc, url = start_server(["--store", str(tmp_path / "store"), "--workers", "2",
                              "--executors", "1", "--no-access-log"],
                             env={"GATE_FILE": str(gate), "EXOKG_EARLY_TRIPLES": "1",
                                  "WARM_UP_SECONDS": str(warm_up)},
                             launcher=SLOW if warm_up else GATED, complete=complete)
    return proc, url, gate


def _health(url: str) -> requests.Response:
    return requests.get(f"{url}/healthz", timeout=10)


def _workers(proc) -> set[int]:
    """The server's worker processes: forked, they share its command line (its build and
    multiprocessing's resource tracker do not)."""
    master = psutil.Process(proc.pid)
    workers = set()
    for child in master.children():
        with contextlib.suppress(psutil.Error):  # exiting, or gone: no longer a worker
            if child.cmdline() == master.cmdline():
                workers.add(child.pid)
    return workers


def _leftovers(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir() if p.name.startswith((".early-", ".building-")))


def test_sparql_answers_while_the_artifacts_build_then_everything(tmp_path):
    proc, url, gate = _gated(tmp_path)
    try:
        health = _health(url)  # not ready: a balancer sends nothing here yet
        assert health.status_code == 503 and health.headers["Retry-After"] == "30"
        assert health.json()["complete"] is False
        early = requests.get(f"{url}/sparql", params=COUNT,
                             headers={"Accept": "application/sparql-results+json"}, timeout=10)
        assert early.status_code == 200
        assert early.json()["results"]["bindings"][0]["n"]["value"] == "66"
        early_version = early.headers["X-ExoKG-Data-Version"]
        assert early_version.endswith("-early")
        for path in ["/healthz", "/", "/id/content/mir-21", "/api/neighborhood?node=miR-21",
                     "/api/entities?q=miR-21", "/api/rank?metric=degree",
                     "/api/evidence?node=miR-21", "/search?q=miR-21", "/.well-known/void"]:
            r = requests.get(url + path, timeout=10)
            assert r.status_code == 503, path
            assert r.headers["Retry-After"] == "30", path
            assert "/sparql answers, but its indexes are still being built" in r.text, path
        page = requests.get(f"{url}/id/content/mir-21", headers={"Accept": "text/html"},
                            timeout=10)  # a page for a browser, its JSON twin for a script
        assert page.headers["Content-Type"].startswith("text/html")
        # what does not exist is still a 404 (without suggestions: they need the index)
        assert requests.get(f"{url}/id/content/no-such-mir", timeout=10).status_code == 404
        twin = requests.get(f"{url}/.json", timeout=10)
        assert twin.status_code == 503 and twin.json()["status"] == 503
        log = server_log(proc)
        assert "serving the loaded store early" in log
        assert "StillBuilding" not in log  # expected, said in each reply: no warning each time
        # the loaded copy, just made, is not checked again by each worker (at 10^6
        # findings a check counts 22 M triples)
        assert "exokg-test: checked" not in log

        gate.write_text("go")
        assert EVERY_WORKER_COMPLETE in wait_for_log(proc, EVERY_WORKER_COMPLETE, tries=600)
        # both workers replaced, and the early copy gone with the last of them
        assert _leftovers(tmp_path / "store") == []
        assert all(requests.get(f"{url}/", timeout=10).status_code == 200 for _ in range(8))
        assert _health(url).json()["data_version"] == early_version[:16]
        late = requests.get(f"{url}/sparql", params=COUNT,
                            headers={"Accept": "application/sparql-results+json"}, timeout=10)
        assert late.json()["results"]["bindings"][0]["n"]["value"] == "66"
        assert late.headers["ETag"] != early.headers["ETag"]  # another data version
        rank = requests.get(f"{url}/api/rank", params={"metric": "studies", "limit": 1},
                            timeout=10)
        assert rank.status_code == 200 and rank.json()["results"][0]["label"] == "miR-21"
        assert "replacing the workers" in server_log(proc)
    finally:
        stop_server(proc)


@pytest.mark.parametrize("replace", ["built", "SIGHUP"])
def test_no_request_is_refused_while_the_workers_are_replaced(tmp_path, replace):
    if replace == "SIGHUP":  # an operator's reload of a server on a complete store
        (tmp_path / "gate").write_text("go")
    proc, url, gate = _gated(tmp_path, warm_up=2.5, complete=replace == "SIGHUP")
    workers = _workers(proc)
    answers: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def ask() -> None:  # a new connection each time, as clients of a balancer make
        while not stop.is_set():
            try:
                answers.append(requests.get(f"{url}/sparql", params=ASK, timeout=30)
                               .status_code)
            except requests.ConnectionError as err:
                failures.append(repr(err))
            time.sleep(0.01)

    pollers = [threading.Thread(target=ask) for _ in range(3)]
    try:
        for poller in pollers:
            poller.start()
        time.sleep(0.5)
        if replace == "SIGHUP":
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while workers & _workers(proc) and time.monotonic() < deadline:
                time.sleep(0.1)
        else:
            gate.write_text("go")
            assert EVERY_WORKER_COMPLETE in wait_for_log(proc, EVERY_WORKER_COMPLETE,
                                                         tries=600)
        time.sleep(0.5)
        replaced = _workers(proc)
    finally:
        stop.set()
        for poller in pollers:
            poller.join()
        stop_server(proc)
    # refused: no worker listened; reset or closed unanswered: the kernel resets what the
    # old worker had queued but not accepted (net.ipv4.tcp_migrate_req=0), a balancer
    # retries those
    assert [f for f in failures if "Connection refused" in f] == []
    assert len(failures) <= len(workers), failures
    assert len(answers) > 100 and set(answers) == {200}
    assert len(workers) == len(replaced) == 2 and not replaced & workers


def test_a_build_failing_after_the_load_stops_the_server_with_its_error(tmp_path):
    proc, url, gate = _gated(tmp_path)
    try:
        assert requests.get(f"{url}/sparql", params=ASK, timeout=10).status_code == 200
        gate.write_text("fail")
        proc.wait(timeout=60)
    finally:
        stop_server(proc)
    log = server_log(proc)
    assert proc.returncode == 2
    assert "exokg serve: the store build failed" in log and "the gate said fail" in log
    assert "Traceback" not in log
    assert _leftovers(tmp_path / "store") == []
    assert not [p for p in (tmp_path / "store").iterdir() if not p.name.startswith(".")]


@pytest.mark.parametrize("stop", ["SIGKILL", "SIGTERM"])
def test_stopping_the_server_during_the_build_leaves_nothing_the_next_start_keeps(tmp_path,
                                                                                 stop):
    proc, url, gate = _gated(tmp_path)
    children = psutil.Process(proc.pid).children(recursive=True)
    # the build (a spawned child) waits at the gate meanwhile
    assert any("spawn_main" in " ".join(c.cmdline()) for c in children)
    started = time.monotonic()
    proc.send_signal(getattr(signal, stop))
    proc.wait(timeout=30)  # a SIGTERM does not wait for the build to end
    assert time.monotonic() - started < 30
    if stop == "SIGTERM":
        assert proc.returncode == 0 and "Traceback" not in server_log(proc)
    deadline = time.monotonic() + 15  # workers, executors and the build die with it
    while [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [c.pid for c in children
                if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    proc, url, _ = _gated(tmp_path)
    try:
        gate.write_text("go")
        assert EVERY_WORKER_COMPLETE in wait_for_log(proc, EVERY_WORKER_COMPLETE, tries=600)
        assert _leftovers(tmp_path / "store") == []
        assert requests.get(f"{url}/", timeout=10).status_code == 200
    finally:
        stop_server(proc)


def test_a_store_already_built_is_served_complete_from_the_start(tmp_path):
    (tmp_path / "gate").write_text("go")
    proc, url, _ = _gated(tmp_path, complete=True)
    stop_server(proc)
    proc, url, _ = _gated(tmp_path)
    try:
        assert _health(url).status_code == 200
        assert "serving the loaded store early" not in wait_for_log(proc, "warmed up")
    finally:
        stop_server(proc)
