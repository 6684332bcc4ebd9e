"""A query whose client gives up stops at once, not at the time limit (issue 11, item 15).

The pool, through its Python API: a fired :class:`~exokg.sparql.cancel.CancelToken`
kills the query's executor (replaced by a fresh one) and raises ``QueryCancelled``,
while it runs, while its answer streams, and while it waits for an idle executor.
The server, as a client meets it: a real ``exokg serve`` process with one executor and
a 60 s time limit; a client sends a runaway query and hangs up; the executor that ran
it is killed and the next query is answered, long before the limit. A whole-graph
network export hung up on before its first byte (the store's dump read by a thread of
its own, then spooled) stops too, and is logged 499.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import quote

import psutil
import pytest
import requests
from conftest import executor_ticks, run_in_thread, server_log, start_server, stop_server
from exokg.errors import QueryCancelled
from exokg.sparql.cancel import CancelToken
from exokg.sparql.pool import ExecutorPool
from exokg.store import find_store

RUNAWAY = ("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
           "?m ?n2 ?o }")
ASK = {"q": "ASK {}", "solutions": "application/sparql-results+json", "graph": None,
       "cap": 0}
LIMIT = 60.0  # the time limit of these tests: every wait here is far shorter


def _job(query: str) -> dict:
    return {**ASK, "q": query}


@pytest.fixture()
def pool(store_dir):
    info = find_store(str(store_dir))
    pool = ExecutorPool(info.path, size=1)
    pool.start()
    yield pool
    pool.close()


def _pids(pool: ExecutorPool) -> set[int]:
    return {executor.pid for executor in pool._all}


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()




def _answer(pool: ExecutorPool, job: dict) -> dict:
    return json.loads(b"".join(pool.execute(job, timeout=LIMIT).chunks))


def test_cancel_while_running_kills_the_executor_and_the_next_query_gets_a_fresh_one(pool):
    (old,) = _pids(pool)
    token = CancelToken()
    run = run_in_thread(lambda: pool.execute(_job(RUNAWAY), timeout=LIMIT, cancel=token))
    time.sleep(0.5)  # the runaway is now running in the executor
    assert "error" not in run and "value" not in run
    token.cancel()
    run["thread"].join(timeout=15)
    assert isinstance(run.get("error"), QueryCancelled)
    assert pool.kills == 1 and _gone(old)
    assert _answer(pool, ASK)["boolean"] is True  # from a fresh executor
    assert old not in _pids(pool)
    token.close()


def test_a_token_fired_before_the_query_stops_it_before_it_runs(pool):
    token = CancelToken()
    token.cancel()
    with pytest.raises(QueryCancelled):
        pool.execute(ASK, timeout=LIMIT, cancel=token)
    assert pool.kills == 0  # no executor was taken
    assert _answer(pool, ASK)["boolean"] is True


def test_cancel_while_the_answer_streams_replaces_the_executor(pool):
    token = CancelToken()
    outcome = pool.execute(_job("SELECT * { ?s ?p ?o }"), timeout=LIMIT, cancel=token)
    first = next(outcome.chunks)
    assert first  # the answer has started (it spans several frames)
    (running,) = _pids(pool)
    token.cancel()
    with pytest.raises(QueryCancelled):
        for _ in outcome.chunks:
            pass
    assert pool.kills == 1 and _gone(running)
    assert _answer(pool, ASK)["boolean"] is True


def test_cancel_while_waiting_for_an_idle_executor(pool):
    busy, waiting = CancelToken(), CancelToken()
    runaway = run_in_thread(lambda: pool.execute(_job(RUNAWAY), timeout=LIMIT, cancel=busy))
    time.sleep(0.5)  # the only executor is busy
    queued = run_in_thread(lambda: pool.execute(ASK, timeout=LIMIT, cancel=waiting))
    time.sleep(0.3)
    assert "error" not in queued and "value" not in queued  # still waiting
    waiting.cancel()
    queued["thread"].join(timeout=15)
    assert isinstance(queued.get("error"), QueryCancelled)
    assert pool.kills == 0  # the waiting query held no executor: nothing was killed
    busy.cancel()
    runaway["thread"].join(timeout=15)
    assert isinstance(runaway.get("error"), QueryCancelled)
    assert _answer(pool, ASK)["boolean"] is True


# --- a real server --------------------------------------------------------------------

@pytest.fixture()
def one_executor_server(store_dir):
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1",
                              "--timeout", str(LIMIT)])
    yield proc, url
    stop_server(proc)


def _hang_up_during(url: str, path: str, query: str, server_pid: int) -> int:
    """Send ``GET path?query=...`` on a raw socket, wait until an executor burns CPU on
    it, close the socket; return that executor's pid."""
    port = int(url.rsplit(":", 1)[1])
    before = executor_ticks(server_pid)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(f"GET {path}?query={quote(query)} HTTP/1.1\r\nHost: test\r\n\r\n"
                     .encode())
        busy: list[int] = []

        def burning() -> bool:
            now = executor_ticks(server_pid)
            busy[:] = [pid for pid, ticks in now.items() if ticks > before.get(pid, 0) + 20]
            return bool(busy)

        assert _wait_for(burning), "the runaway query never ran"
    finally:
        sock.close()
    return busy[0]


@pytest.mark.parametrize("path", ["/sparql", "/query.json"])
def test_a_client_that_hangs_up_frees_its_executor_long_before_the_limit(
        one_executor_server, path):
    proc, url = one_executor_server
    pid = _hang_up_during(url, path, RUNAWAY, proc.pid)
    # (a) the executor that ran it is killed (and replaced), not left running to 60 s
    assert _wait_for(lambda: _gone(pid)), f"executor {pid} still runs the abandoned query"
    # (b) the one executor serves the next query (well within the time limit)
    r = requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=15)
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert pid not in executor_ticks(proc.pid)
    # the access log says why the request ended
    assert _wait_for(lambda: '"status": 499' in server_log(proc))
    line = next(entry for entry in server_log(proc).splitlines() if '"status": 499' in entry)
    assert json.loads(line)["path"] == path


def test_a_client_that_stays_gets_its_answer(one_executor_server):
    _, url = one_executor_server
    r = requests.get(f"{url}/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 3"},
                     timeout=15)
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 3


def test_a_chunked_body_over_the_limit_is_refused(small_server):
    # no Content-Length: the server reads at most the limit (+1) and the app says 413
    def chunks():
        yield b"query=ASK%20%7B%7D%20%23"
        for _ in range(10):
            yield b"x" * 1000

    r = requests.post(f"{small_server}/sparql", data=chunks(), timeout=15,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_a_chunked_body_within_the_limit_is_read_whole(small_server):
    def chunks():
        yield b"query=ASK%20"
        yield b"%7B%7D"

    r = requests.post(f"{small_server}/sparql", data=chunks(), timeout=15,
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_the_environ_keeps_the_raw_path_and_repeated_headers():
    from exokg.server.asgi import AsgiBridge

    scope = {"type": "http", "method": "GET", "path": "/a b/é/",
             "raw_path": b"/a%20b/%C3%A9%2F", "query_string": b"x=%20y",
             "server": ("127.0.0.1", "8080"), "client": ("127.0.0.1", "5555"),
             "scheme": "http", "http_version": "1.1", "root_path": "",
             "headers": [(b"host", b"h"), (b"x-dup", b"1"), (b"x-dup", b"2"),
                         (b"content-type", b"text/plain"), (b"content-length", b"3")]}
    environ = AsgiBridge.environ(scope, b"abc")
    assert environ["PATH_INFO"] == "/a b/\u00c3\u00a9/"  # UTF-8 bytes as latin-1 (PEP 3333)
    assert environ["QUERY_STRING"] == "x=%20y"
    assert environ["HTTP_X_DUP"] == "1,2" and environ["HTTP_HOST"] == "h"
    assert environ["CONTENT_TYPE"] == "text/plain" and environ["CONTENT_LENGTH"] == "3"
    assert environ["wsgi.input"].read() == b"abc"
    assert environ["REMOTE_PORT"] == "5555" and environ["SERVER_PORT"] == "8080"


def test_healthz_of_a_busy_server_says_busy_not_down(one_executor_server):
    """The one executor runs a long query: /healthz does not wait behind it (a balancer
    would take the replica for dead) but answers 200 at once, saying busy; once the
    query's client hangs up, the check runs its real query again."""
    proc, url = one_executor_server
    port = int(url.rsplit(":", 1)[1])
    before = executor_ticks(proc.pid)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(f"GET /sparql?query={quote(RUNAWAY)} HTTP/1.1\r\nHost: test\r\n\r\n"
                     .encode())
        assert _wait_for(lambda: any(ticks > before.get(pid, 0) + 20
                                     for pid, ticks in executor_ticks(proc.pid).items()))
        r = requests.get(f"{url}/healthz", timeout=LIMIT / 2)
        assert r.status_code == 200, r.text
        assert r.json()["busy"] is True and r.json()["answer"] is None
    finally:
        sock.close()

    def answered() -> bool:
        report = requests.get(f"{url}/healthz", timeout=LIMIT / 2).json()
        return report["busy"] is False and report["answer"] is True

    assert _wait_for(answered)


# --- a whole-graph network export, hung up on before its first byte ---------------------

@pytest.fixture(scope="module")
def hub_server(tmp_path_factory):
    """A server of a hub graph big enough that a network export with findings spools
    for seconds before it sends a byte."""
    from hubgen import write_hub_graph

    folder = tmp_path_factory.mktemp("hub-export")
    data = write_hub_graph(folder / "hub.nt", findings=20_000)
    proc, url = start_server(["--store", str(folder / "store"), "--data", str(data),
                              "--workers", "1", "--executors", "1", "--timeout", str(LIMIT)])
    yield proc, url
    stop_server(proc)


def _export_lines(proc) -> list[dict]:
    return [entry for entry in (json.loads(line) for line in server_log(proc).splitlines()
                                if line.startswith("{"))
            if entry.get("path") == "/api/export"]


def _cpu_seconds(pid: int) -> float:
    """CPU time used so far by the server's worker and executors (its process tree)."""
    total = 0.0
    for child in psutil.Process(pid).children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@pytest.mark.parametrize("fmt", ["graphml", "csv"])
def test_a_hang_up_before_the_first_byte_stops_a_network_export(hub_server, fmt):
    proc, url = hub_server
    port = int(url.rsplit(":", 1)[1])
    exports = len(_export_lines(proc))
    before = executor_ticks(proc.pid)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET /api/export?format={fmt}&findings=true HTTP/1.1\r\nHost: test"
                     "\r\n\r\n".encode())
        # the store's dump is running (the spool comes before the first byte)
        busy: list[int] = []

        def dumping() -> bool:
            busy[:] = [pid for pid, ticks in executor_ticks(proc.pid).items()
                       if ticks > before.get(pid, 0) + 20]
            return bool(busy)

        assert _wait_for(dumping), "the export's dump never ran"
        sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            sock.recv(1)  # nothing sent yet: the hang-up comes before the first byte
    # the export stops there: its executor is killed mid-dump (and replaced), and the
    # request is logged as cut by its client
    assert _wait_for(lambda: _gone(busy[0])), f"executor {busy[0]} still dumps the store"
    assert _wait_for(lambda: len(_export_lines(proc)) > exports)
    assert _export_lines(proc)[-1]["status"] == 499, _export_lines(proc)[-1]

    def quiet() -> bool:  # neither the worker nor an executor keeps working on it
        start = _cpu_seconds(proc.pid)
        time.sleep(1.0)
        return _cpu_seconds(proc.pid) - start < 0.3

    assert _wait_for(quiet)
    # the one executor serves the next export whole
    r = requests.get(f"{url}/api/export", params={"format": fmt, "findings": "true"},
                     timeout=LIMIT)
    assert r.status_code == 200 and len(r.content) > 100_000


def test_an_executor_whose_parent_closed_its_pipe_exits_quietly(store_dir):
    # a killed worker leaves its executors writing into a closed pipe: each printed a
    # chained traceback (BrokenPipeError, then "BufferError: Existing exports of data")
    import subprocess
    import sys

    from exokg.sparql.pool import EXECUTOR_SCRIPT

    proc = subprocess.Popen([sys.executable, EXECUTOR_SCRIPT, find_store(str(store_dir)).path],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout.read(5)[:1] == b"R"  # ready
    proc.stdout.close()  # the parent's end is gone
    proc.stdin.write(json.dumps(_job("SELECT * { ?s ?p ?o }")).encode() + b"\n")
    proc.stdin.close()
    assert proc.wait(timeout=LIMIT) == 0
    assert proc.stderr.read() == b""


def _access_entries(proc) -> list[dict]:
    return [json.loads(line) for line in server_log(proc).splitlines()
            if line.startswith("{") and '"path"' in line]


@pytest.mark.parametrize("path", ["/id/disease/hcc", "/id/disease/hcc.json",
                                  "/api/neighborhood?node=hcc&depth=2"])
def test_a_client_that_took_the_whole_sized_body_is_logged_200_not_499(
        one_executor_server, path):
    # a body longer than the bridge's batch, with its Content-Length: the client has it
    # all (and closes) before the bridge's last, empty, message; that is no hang-up
    proc, url = one_executor_server
    r = requests.get(url + path, timeout=30)
    assert r.status_code == 200
    assert len(r.content) == int(r.headers["Content-Length"]) > 65536
    name = path.split("?")[0]
    assert _wait_for(lambda: any(e["path"] == name for e in _access_entries(proc)))
    assert [e["status"] for e in _access_entries(proc) if e["path"] == name] == [200]


# --- downloads nobody reads -------------------------------------------------------------

SEND_TIMEOUT = 3


@pytest.fixture(scope="module")
def unread_server(tmp_path_factory):
    """Three executors, a short ``SEND_TIMEOUT``: a store whose N-Triples (about 12 MB)
    fill a client's socket and the server's long before the export ends. Exports stream
    from the store (``EXPORT_FILES`` off), as for a remote store."""
    from hubgen import write_hub_graph

    folder = tmp_path_factory.mktemp("unread-export")
    data = write_hub_graph(folder / "hub.nt", findings=5_000)
    proc, url = start_server(["--store", str(folder / "store"), "--data", str(data),
                              "--workers", "1", "--executors", "3"],
                             env={"EXOKG_SEND_TIMEOUT": str(SEND_TIMEOUT),
                                  "EXOKG_BUSY_TIMEOUT": "1", "EXOKG_EXPORT_FILES": "false"})
    yield proc, url
    stop_server(proc)


def _users_queries_answered(url: str) -> None:
    for _ in range(3):  # every user query, not only the first
        r = requests.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert r.status_code == 200 and r.json()["boolean"] is True


def _unread_download(url: str) -> socket.socket:
    """A whole-graph export asked for by a client that never reads it."""
    port = int(url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /api/export?format=ntriples HTTP/1.1\r\nHost: test\r\n\r\n")
    return sock


def test_downloads_nobody_reads_leave_users_queries_an_executor(unread_server):
    """Two unread exports took both executors open to users (the third is the pages'):
    every /sparql query was a 503, for up to the export time limit. Now one export streams
    at a time per worker (the next is a 503 at once), users' queries are answered, and a
    client that takes nothing for SEND_TIMEOUT is dropped, its export stopped."""
    proc, url = unread_server
    first = _unread_download(url)
    try:
        time.sleep(1.0)  # its dump holds an executor, its client reads nothing
        second = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=30)
        assert second.status_code == 503 and "Retry-After" in second.headers
        assert "whole-graph export at a time" in second.json()["error"]
        _users_queries_answered(url)
        # dropped once it took nothing for SEND_TIMEOUT: its place frees for the next
        assert _wait_for(lambda: "took nothing for" in server_log(proc),
                         seconds=SEND_TIMEOUT + 20), server_log(proc)[-2000:]
        r = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=60)
        assert r.status_code == 200 and len(r.content) > 5_000_000
    finally:
        first.close()


def test_a_kept_export_frees_its_executor_though_nobody_reads_it(tmp_path):
    """With exports kept as files (the default), an export nobody reads is written whole
    at the store's speed and its executor freed: the same export is then sent to others
    from the file (whole, with its length), another format gets the worker's one export
    place, users' queries are answered, and the reader that takes nothing is still
    dropped at SEND_TIMEOUT."""
    from hubgen import write_hub_graph

    data = write_hub_graph(tmp_path / "hub.nt", findings=5_000)
    proc, url = start_server(["--store", str(tmp_path / "store"), "--data", str(data),
                              "--workers", "1", "--executors", "3"],
                             env={"EXOKG_SEND_TIMEOUT": str(SEND_TIMEOUT),
                                  "EXOKG_BUSY_TIMEOUT": "1"})
    first = _unread_download(url)
    try:
        assert _wait_for(lambda: any((tmp_path / "store").glob("*/exports/*/graph.nt")),
                         seconds=60), server_log(proc)[-2000:]
        kept = next((tmp_path / "store").glob("*/exports/*/graph.nt"))
        second = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=30)
        assert second.status_code == 200
        assert second.headers["Content-Length"] == str(kept.stat().st_size)
        assert second.content == kept.read_bytes() and len(second.content) > 5_000_000
        other = requests.get(f"{url}/api/export", params={"format": "graphml"}, timeout=60)
        assert other.status_code == 200 and other.content.startswith(b"<?xml")
        _users_queries_answered(url)
        assert _wait_for(lambda: "took nothing for" in server_log(proc),
                         seconds=SEND_TIMEOUT + 20), server_log(proc)[-2000:]
    finally:
        first.close()
        stop_server(proc)


def test_an_answer_nobody_reads_frees_its_executor_at_the_time_limit(tmp_path):
    """A streamed /sparql answer whose client reads nothing held its executor as long as
    the client stayed (the limit was looked at only when the next frame was read): with
    one executor, every other query was a 503 until SEND_TIMEOUT, or for ever without
    it. Now the executor is replaced at the time limit."""
    from hubgen import write_hub_graph

    data = write_hub_graph(tmp_path / "hub.nt", findings=5_000)
    proc, url = start_server(["--store", str(tmp_path / "store"), "--data", str(data),
                              "--workers", "1", "--executors", "1", "--timeout", "3",
                              "--max-rows", "0"], env={"EXOKG_SEND_TIMEOUT": "0"})
    port = int(url.rsplit(":", 1)[1])
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET /sparql?query={quote('SELECT * { ?a ?b ?c . ?d ?e ?f }')} HTTP/1.1\r\n"
                     "Host: test\r\nAccept: text/csv\r\n\r\n".encode())
        started = time.monotonic()
        asked = iter(range(1_000_000))

        def answered() -> bool:  # a query never asked before: no cached answer
            query = f"ASK {{ FILTER({next(asked)} >= 0) }}"
            r = requests.get(f"{url}/sparql", params={"query": query}, timeout=10,
                             headers={"Accept": "application/sparql-results+json"})
            return r.status_code == 200

        time.sleep(1.0)
        assert not answered()  # the one executor is held by the answer nobody reads

        assert _wait_for(answered, seconds=20), server_log(proc)[-2000:]
        assert time.monotonic() - started < 15  # the 3 s limit, not the client's leaving
    finally:
        sock.close()
        stop_server(proc)
