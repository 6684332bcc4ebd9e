"""A worker kept busy by slow queries still answers what needs no executor.

Queries wait for a busy executor (or remote query slot) only while the line moves
(:class:`exokg.sparql.pool.WaitingLine`): once no executor has been handed out for
``BUSY_TIMEOUT`` seconds, those waiting and each new query answer 503 at once, so that
slow queries never hold every request thread; ``/healthz`` runs on a thread of its own.
Before, as many slow queries as a worker had threads held it whole: the home page and
``/healthz`` waited up to the time limit.
"""

from __future__ import annotations

import contextlib
import http.client
import queue
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from conftest import executor_ticks, run_in_thread, start_server, stop_server
from exokg.sparql.cancel import CancelToken
from exokg.sparql.pool import ExecutorPool, ServiceBusy, Slots, WaitingLine
from exokg.sparql.remote import RemotePool
from exokg.store import find_store

SRJ = "application/sparql-results+json"
RUNAWAY = ("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
           "?m ?n2 ?o }")
JOB = {"q": RUNAWAY, "solutions": SRJ, "graph": None, "cap": 0}
LIMIT = 60.0  # the queries' time limit: every wait asserted here is far shorter




def _pool(kind: str, request, store_dir, patience: float | None):
    if kind == "executors":
        pool = ExecutorPool(find_store(str(store_dir)).path, size=1, patience=patience)
        pool.start()
        return pool
    return RemotePool(request.getfixturevalue("oxigraph_store").query_url, size=1,
                      patience=patience)


@pytest.mark.parametrize("kind", ["executors", "remote"])
def test_a_line_that_stops_moving_is_left(kind, request, store_dir):
    """One slow query holds the one executor: the query waiting behind it is refused
    once none has freed for ``patience`` seconds, and a new one at once; once the slow
    one stops, the next query runs."""
    pool = _pool(kind, request, store_dir, patience=1.0)
    slow = CancelToken()
    try:
        running = run_in_thread(lambda: pool.execute(JOB, timeout=LIMIT, cancel=slow))
        _until_taken(pool)
        started = time.monotonic()
        with pytest.raises(ServiceBusy, match="freed for 1 s"):
            pool.execute(JOB, timeout=LIMIT)  # waits, then leaves the line
        assert 0.5 < time.monotonic() - started < 3.0
        started = time.monotonic()
        with pytest.raises(ServiceBusy):
            pool.execute(JOB, timeout=LIMIT)  # refused at once
        assert time.monotonic() - started < 0.5
        assert running["thread"].is_alive() and "error" not in running
        slow.cancel()
        running["thread"].join(15)
        # the executor is replaced (a process start, slower on a loaded machine)
        ask = {**JOB, "q": "ASK { ?s ?p ?o }"}
        deadline = time.monotonic() + 30
        while True:
            try:
                assert b"true" in b"".join(pool.execute(ask, timeout=LIMIT).chunks)
                break
            except ServiceBusy:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        slow.cancel()
        pool.close()


def _until_taken(pool, seconds: float = 15.0, left: int = 0) -> None:
    """Until the pool's executors (or slots) are handed out, all but ``left``."""
    slots = pool._idle if isinstance(pool, ExecutorPool) else pool._slots
    deadline = time.monotonic() + seconds
    while len(slots._items) > left:
        assert time.monotonic() < deadline, "the slow query never took the executor"
        time.sleep(0.01)


@pytest.mark.parametrize("kind", ["executors", "remote"])
def test_users_queries_leave_one_executor_to_the_services_own(kind, request, store_dir):
    """Three executors (or slots): slow user queries hold two, and the next user query
    waits for one rather than take the third, which the service's own bounded queries
    (pages, the API) still run on at once. Before, as many slow user queries as
    executors made every page a 503."""
    if kind == "executors":
        pool = ExecutorPool(find_store(str(store_dir)).path, size=3)
        pool.start()
    else:
        pool = RemotePool(request.getfixturevalue("oxigraph_store").query_url, size=3)
    slow = CancelToken()
    ask = {**JOB, "q": "ASK { ?s ?p ?o }"}
    try:
        running = [run_in_thread(lambda: pool.execute(JOB, timeout=LIMIT, cancel=slow))
                   for _ in range(2)]
        _until_taken(pool, left=1)
        started = time.monotonic()
        with pytest.raises(ServiceBusy, match="stayed busy for 0.5 s"):
            pool.execute(ask, timeout=LIMIT, wait=0.5)
        assert b"true" in b"".join(pool.execute(ask, timeout=LIMIT, own=True).chunks)
        assert time.monotonic() - started < 5.0
        assert all(r["thread"].is_alive() and "error" not in r for r in running)
    finally:
        slow.cancel()
        pool.close()


def test_slow_user_queries_leave_pages_answering(store_dir):
    """Over HTTP, on a worker with three executors (the default): three slow user
    queries, the third refused (503) once the line stops moving, while an entity page,
    whose queries are the service's own, answers at once."""
    with _a_slow_query_running(store_dir, executors=3, threads=8, slow=2) as (_, url):
        r = requests.get(f"{url}/sparql", params={"query": RUNAWAY}, timeout=10)
        assert r.status_code == 503 and r.headers["Retry-After"], r.text
        started = time.monotonic()
        page = requests.get(f"{url}/id/content/mir-638.json",
                            params={"fresh": time.monotonic()}, timeout=10)
        assert page.status_code == 200, page.text[:300]
        assert time.monotonic() - started < 3.0


@contextlib.contextmanager
def _a_slow_query_running(store_dir, *, executors: int, threads: int, slow: int = 1):
    """A one-worker server (its process, its URL) running ``slow`` slow queries, their
    clients held until the end."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors",
                              str(executors), "--threads", str(threads), "--timeout",
                              str(LIMIT), "--no-access-log"])
    try:
        before = executor_ticks(proc.pid)
        with contextlib.ExitStack() as clients:
            for _ in range(slow):
                clients.enter_context(_send_runaway(int(url.rsplit(":", 1)[1])))
            _until_an_executor_runs(proc.pid, before, slow)
            yield proc, url
    finally:
        stop_server(proc)


@pytest.mark.parametrize("kind", ["executors", "remote"])
def test_a_moving_line_waits_its_turn(kind, request, store_dir):
    """Quick queries on one executor, from eight threads at once for three times the
    line's patience: each waits its turn, none is refused."""
    pool = _pool(kind, request, store_dir, patience=1.0)
    ask = {**JOB, "q": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}
    until = time.monotonic() + 3.5  # the line is never empty for over 3x its patience

    def run(_: int) -> list[bytes]:
        answers = []
        while time.monotonic() < until:
            answers.append(b"".join(pool.execute(ask, timeout=LIMIT).chunks))
        return answers

    try:
        with ThreadPoolExecutor(8) as threads:
            answers = [a for each in threads.map(run, range(8)) for a in each]
        assert len(answers) > 8 and len(set(answers)) == 1 and b'"n"' in answers[0]
    finally:
        pool.close()


def test_without_patience_a_query_waits_up_to_its_time_limit(store_dir):
    """``patience=None`` (the Python API's default): the waiting query stays in line."""
    pool = ExecutorPool(find_store(str(store_dir)).path, size=1)
    pool.start()
    slow, second = CancelToken(), CancelToken()
    try:
        run_in_thread(lambda: pool.execute(JOB, timeout=LIMIT, cancel=slow))
        time.sleep(0.3)
        waiting = run_in_thread(lambda: pool.execute(JOB, timeout=LIMIT, cancel=second))
        time.sleep(3.0)
        assert waiting["thread"].is_alive() and "error" not in waiting
    finally:
        slow.cancel()
        second.cancel()
        pool.close()


def _send_runaway(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /sparql?query={quote(RUNAWAY)} HTTP/1.1\r\nHost: test\r\n\r\n"
                 .encode())
    return sock


def _until_an_executor_runs(server_pid: int, before: dict[int, int], n: int = 1) -> None:
    """Until ``n`` executors of the server run (a slow query each)."""
    deadline = time.monotonic() + 15
    while sum(t > before.get(pid, 0) + 20 for pid, t in
              executor_ticks(server_pid).items()) < n:
        assert time.monotonic() < deadline, "no executor ran the slow query"
        time.sleep(0.05)


def test_slow_queries_leave_pages_and_healthz_answering(store_dir):
    """One executor and three threads, all held: one slow query runs, two wait. Within
    ``BUSY_TIMEOUT`` (2 s) of the executor's last hand-out the two waiting are answered
    503 with ``Retry-After``, a new one at once; the home page and /healthz answer
    meanwhile. Before, the waiting ones held the threads for up to the time limit, and
    the page and the health check waited behind them."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors",
                              "1", "--threads", "3", "--timeout", str(LIMIT),
                              "--no-access-log"])
    port = int(url.rsplit(":", 1)[1])
    socks = []
    try:
        before = executor_ticks(proc.pid)
        socks.append(_send_runaway(port))
        _until_an_executor_runs(proc.pid, before)
        started = time.monotonic()
        waiting = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2)]
        for conn in waiting:
            conn.request("GET", f"/sparql?query={quote(RUNAWAY)}")
        for conn in waiting:
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            assert answer.status == 503, body[:200]
            assert answer.getheader("Retry-After") and b"has freed for 2 s" in body
        assert time.monotonic() - started < 6.0
        started = time.monotonic()
        assert requests.get(url + "/", timeout=10).status_code == 200
        r = requests.get(f"{url}/sparql", params={"query": RUNAWAY}, timeout=10)
        assert r.status_code == 503 and r.headers["Retry-After"], r.text
        health = requests.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["busy"] is True
        assert time.monotonic() - started < 3.0
    finally:
        for sock in socks:
            sock.close()
        try:
            # the slow query's client left: its executor is free again
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                r = requests.get(f"{url}/sparql", params={"query": "ASK {}"},
                                 headers={"Accept": SRJ}, timeout=10)
                if r.status_code == 200:
                    break
                time.sleep(0.2)
            assert r.status_code == 200, r.text
        finally:
            stop_server(proc)


def test_healthz_answers_while_every_request_thread_is_held(store_dir):
    """One thread, held by a slow query: /healthz, on a thread of its own, still says
    busy at once (before, it waited for that thread, up to the time limit)."""
    with _a_slow_query_running(store_dir, executors=1, threads=1) as (_, url):
        started = time.monotonic()
        health = requests.get(f"{url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["busy"] is True
        assert time.monotonic() - started < 5.0


def test_handing_out_the_last_slot_moves_the_line():
    """After a quiet spell longer than the patience, a burst: the caller that finds
    none left right after another took the last one waits (the line just moved),
    rather than being refused on the quiet spell's old clock."""
    slots: Slots[str] = Slots(WaitingLine(1.0))
    slots.put("only")
    time.sleep(1.2)  # quiet: the clock is old
    assert slots.get(1.0) == "only"
    with pytest.raises(queue.Empty):  # waits its 0.01 s, not refused as stuck
        slots.get(0.01)
    time.sleep(1.2)
    with pytest.raises(ServiceBusy, match="freed for 1 s"):
        slots.get(5.0)


def test_a_pool_whose_executors_cannot_start_again_says_so(store_dir, tmp_path):
    """The store moved away, its one executor killed: each start again fails, and the
    queries then answer 503 saying so at once, not "busy" for ever."""
    import shutil

    from exokg.sparql.pool import NoExecutor

    folder = Path(find_store(str(store_dir)).folder)
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    pool = ExecutorPool(str(copy / "oxigraph"), size=1, patience=1.0)
    pool.start()
    try:
        shutil.move(copy, tmp_path / "elsewhere")
        (executor,) = pool._all
        executor.proc.kill()
        with pytest.raises(ServiceBusy, match="stopped unexpectedly"):
            pool.execute({**JOB, "q": "ASK {}"}, timeout=LIMIT)
        deadline = time.monotonic() + 60
        while True:  # five starts again, 0.5 s apart
            try:
                pool.execute({**JOB, "q": "ASK {}"}, timeout=LIMIT)
            except NoExecutor as err:
                assert "restart the server" in str(err) and err.status == 503
                break
            except ServiceBusy:
                assert time.monotonic() < deadline, "still busy after every start failed"
                time.sleep(0.2)
    finally:
        pool.close()
