"""``exokg serve`` start-up faults and process lifecycle, against real server processes.

A bad port or host, or a port another server holds: one line, exit 2, nothing served.
Workers and their query executors die with their master (even after ``kill -9``), and
``SIGTERM`` lets a request in flight complete (for the query time limit plus a margin),
refusing new connections meanwhile.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
from conftest import (
    DATA,
    RUN_DIR,
    _free_port,
    server_log,
    start_server,
    stop_server,
    wait_for_log,
)


def _serve(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}
    return subprocess.run([sys.executable, "-m", "exokg", "serve", *args], cwd=RUN_DIR,
                          env=env, capture_output=True, text=True, timeout=timeout)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize("args,words", [
    (["--port", "99999"], "--port 99999"),
    (["--port", "-1"], "--port -1"),
    (["--host", "999.1.1.1", "--port", "8080"], "--host 999.1.1.1"),
    (["--host", "192.0.2.1", "--port", "8080"], "--host 192.0.2.1"),  # not this machine's
    # a fork storm of executors; past the open-file limit after "serving" was printed
    (["--executors", "1000000", "--port", "8080"], "EXECUTORS must be from 1 to 256"),
    (["--workers", "100000", "--port", "8080"], "WORKERS must be from 1 to 256"),
    # the standard library's waits overflow past 24.8 days: a hang, or a traceback
    (["--timeout", "3000000", "--port", "8080"], "QUERY_TIMEOUT is at most 604,800 s"),
    (["--drain-timeout", "1e10", "--port", "8080"], "DRAIN_TIMEOUT is at most 604,800 s"),
])
def test_bad_port_or_host_is_one_line_and_exit_2(args, words, store_dir):
    result = _serve("--store", str(store_dir), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("exokg serve: ") and words in lines[0]
    assert "Traceback" not in result.stderr and "serving" not in result.stderr


def test_a_busy_port_is_refused_and_the_first_server_keeps_it(store_dir):
    proc, url = start_server(["--store", str(store_dir), "--workers", "2", "--executors", "1",
                              "--no-access-log"])
    try:
        version = requests.get(f"{url}/healthz", timeout=10).json()["data_version"]
        second = _serve("--store", str(store_dir), "--data", str(DATA / "graphs.trig"),
                        "--host", "127.0.0.1", "--port", str(_port(url)))
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"exokg serve: --port {_port(url)}: port {_port(url)} is already in use by "
            f"another exokg server (pid {proc.pid}, starting or serving)"]
        # every request still answered by the first server, from its own data
        for _ in range(20):
            r = requests.get(f"{url}/healthz", timeout=10, headers={"Connection": "close"})
            assert r.json()["data_version"] == version
    finally:
        stop_server(proc)


def test_a_port_another_process_listens_on_is_refused(store_dir):
    port = _free_port()
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        result = _serve("--store", str(store_dir), "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"exokg serve: --port {port}: 127.0.0.1:{port} is already in use by another process "
        "(is another server running?)"]


@pytest.mark.parametrize("second_host", ["127.0.0.1", "127.0.0.2"])
def test_a_second_server_started_while_the_first_starts_is_refused(store_dir, tmp_path,
                                                                   second_host):
    """The probe saw no listener while the first server was still starting: both bound
    the port (SO_REUSEPORT) and answered from their own graphs, turn by turn. On another
    address (most often ``0.0.0.0``) the second took the port's other clients."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}
    first = subprocess.Popen([sys.executable, "-m", "exokg", "serve", "--store", str(store_dir),
                              "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                              "--executors", "1", "--no-access-log"], cwd=RUN_DIR, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = f"/tmp/exokg-{os.getuid()}/port-{port}.lock"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the first has its lock: it is starting
            if os.path.exists(lock) and Path(lock).read_text().strip() == str(first.pid):
                break
            time.sleep(0.05)
        second = _serve("--store", str(tmp_path / "other"), "--data",
                        str(DATA / "graphs.trig"), "--host", second_host, "--port", str(port),
                        timeout=60)
        assert second.returncode == 2, second.stderr
        assert f"already in use by another exokg server (pid {first.pid}" in second.stderr
    finally:
        first.terminate()
        first.wait(60)
    assert not os.path.exists(lock)  # left with the server: no file per port ever used


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _alive(procs: list[psutil.Process]) -> list[int]:
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_kill_9_of_the_master_leaves_no_worker_or_executor(store_dir):
    proc, url = start_server(["--store", str(store_dir), "--workers", "2", "--executors", "2",
                              "--no-access-log"])
    requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=10)
    deadline = time.monotonic() + 60  # until both workers have started their executors
    while len(children := _descendants(proc.pid)) < 2 + 2 * 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        assert len(children) >= 2 + 2 * 2  # two workers, each with two executors
        # the executors are started afresh (not forked): the malloc settings reach them
        # through the environment (kg/cli/serve.py tune_malloc)
        executors = [p for p in children
                     if any("_executor" in part for part in p.cmdline())]
        assert len(executors) == 2 * 2
        assert {(p.environ().get("MALLOC_ARENA_MAX"), p.environ().get("MALLOC_MMAP_THRESHOLD_"))
                for p in executors} == {("2", "131072")}
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _alive(children) == []
        assert _port_is_free(_port(url))
    finally:
        proc.kill()
        for pid in _alive(children):
            os.kill(pid, signal.SIGKILL)


def test_sigterm_lets_a_request_in_flight_complete(store_dir):
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1",
                              "--no-access-log"])
    body = b"query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
    try:
        with socket.create_connection(("127.0.0.1", _port(url)), timeout=30) as sock:
            # a request whose body is still on its way when the server is told to stop
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            sock.sendall(body[10:])
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, payload = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert b'"n"' in payload and b'"value":"' in payload.replace(b" ", b"")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            stop_server(proc)


def test_sigterm_drains_a_request_longer_than_five_seconds_and_refuses_new_ones(store_dir):
    """The drain lasts the query time limit plus a margin (it was 5 s, shorter than any
    query may run): a request still in flight 7 s after SIGTERM gets its 200, while a
    new connection is refused meanwhile."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1",
                              "--timeout", "30", "--no-access-log"])
    body = b"query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
    try:
        with socket.create_connection(("127.0.0.1", _port(url)), timeout=60) as sock:
            # in flight: its body comes 7 s after SIGTERM (the old drain killed it at 5 s)
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Accept: application/sparql-results+json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            with pytest.raises(requests.ConnectionError):
                requests.get(f"{url}/healthz", timeout=5)
            time.sleep(6.0)
            assert proc.poll() is None, "the server stopped with a request in flight"
            sock.sendall(body[10:])
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, payload = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), data[:200]
        assert b'"boolean":true' in payload.replace(b" ", b"")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            stop_server(proc)


@pytest.mark.parametrize(("name", "value", "said"), [
    ("MAX_ROWS", "ten", "EXOKG_MAX_ROWS: expected int, got 'ten'"),
    # a limit of nan or inf bounds nothing (and crashed the start)
    ("QUERY_TIMEOUT", "nan", "QUERY_TIMEOUT: expected a finite number, got nan"),
    ("DRAIN_TIMEOUT", "inf", "DRAIN_TIMEOUT: expected a finite number, got inf"),
    # accepted once, it made every query answer 500
    ("PUBLIC_BASE_IRI", "kg.example.org/",
     "PUBLIC_BASE_IRI: expected an http(s) IRI ending in /, got 'kg.example.org/'"),
    ("PUBLIC_BASE_IRI", "https://kg.example.org/a b/",
     "PUBLIC_BASE_IRI: expected an http(s) IRI ending in /, got 'https://kg.example.org/a b/'"),
    # a name, not an endpoint: each query naming it looked it up in the DNS
    ("SERVICE_ALLOWLIST", "notjson",
     "SERVICE_ALLOWLIST: expected http(s) endpoint IRIs, got 'notjson'"),
])
def test_a_bad_setting_in_the_environment_is_one_line_and_exit_2(store_dir, name, value, said):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")},
           f"EXOKG_{name}": value}
    result = subprocess.run([sys.executable, "-m", "exokg", "serve", "--store", str(store_dir),
                             "--port", "8080"], cwd=RUN_DIR, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"exokg serve: error: {said}"]


@pytest.mark.parametrize("data, said", [
    ('<http://e/a> <http://e/b> <<( <http://e/a> <http://e/b> "c" )>> .\n', "a triple term in"),
    ('<http://e/a> <http://e/b> "c"@ar--rtl .\n', "a literal with a base direction in"),
])
def test_rdf12_data_is_one_line_and_exit_2(tmp_path, data, said):
    """rdflib, which writes the pages and most syntaxes, has no RDF 1.2 terms: every page
    naming one was a 500 with a traceback."""
    path = tmp_path / "star.ttl"
    path.write_text(data, encoding="utf-8")
    result = _serve("--data", str(path), "--store", str(tmp_path / "store"), "--port", "8080")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"exokg serve: error: {path}: {said}")
    assert "ExoKG reads RDF 1.1 data" in lines[0]


_FINDING = """@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/exokg/id/> .
<content/m1> a exo:MicroRNA .
<finding/f1> a exo:Finding ; exo:content <content/m1> ; exo:citedIn <ref/99> ; %s .
<ref/99> exo:refNumber 99 .
"""


@pytest.mark.parametrize("value, said, where", [
    ('exo:sampleSize "abc"^^xsd:integer', 'exo:sampleSize "abc"^^<http://www.w3.org/2001/'
                                          'XMLSchema#integer> is not a whole number from 1 to '
                                          '10,000,000', "data.ttl, line 5"),
    # written bare: no quoted form to search for, the one file named
    ("exo:sampleSize -5", 'exo:sampleSize "-5"^^<http://www.w3.org/2001/XMLSchema#integer> '
                          "is not a whole number from 1 to 10,000,000", "data.ttl"),
    ("exo:sampleSize 1e400", "exo:sampleSize", "data.ttl"),
    ('exo:sourceRow "1.5"^^xsd:decimal', "exo:sourceRow", "data.ttl, line 5"),
    ('exo:sourceTable "two"', 'exo:sourceTable "two" is not a whole number from 0 to '
                              "999,999,999", "data.ttl, line 5"),
    # past Python's int() limit of 4,300 digits: its own ValueError before
    (f'exo:sampleSize "{"1" * 5000}"^^xsd:integer', "is not a whole number from 1 to",
     "data.ttl, line 5"),
    ('exo:sampleSize "many"^^xsd:integer', "exo:sampleSize", "data.ttl, line 5"),
    # the store writes it "3": not found as written, the one file named
    ('exo:sourceRow "3.0"^^xsd:decimal', "exo:sourceRow", "data.ttl"),
    # read as no number before: the summaries said "without n"
    ("exo:sampleSize <http://e/12>", "exo:sampleSize <http://e/12> is not a whole number",
     "data.ttl, line 5"),
    ("exo:sampleSize []", "is not a whole number", "data.ttl"),
    # one of the two was used, by chance, while SPARQL's SUM counted both
    ('exo:sampleSize 118, 119', 'exo:sampleSize has 2 values ("118"^^<http://www.w3.org/'
     '2001/XMLSchema#integer>, "119"^^<http://www.w3.org/2001/XMLSchema#integer>); it has '
     "one at most", "data.ttl"),
])
def test_a_finding_s_number_out_of_its_range_is_one_line_and_exit_2(tmp_path, value, said,
                                                                    where):
    """A finding's number that is no whole number failed the build with a traceback
    (``int()`` of the literal); one past the records' bounds reached the JSON API (a
    sample size of 10^26, a negative one summed into ``total_n``). The error named the
    finding but not the file, and came after a warning line of rdflib's."""
    data = tmp_path / "data.ttl"
    data.write_text(_FINDING % value, encoding="utf-8")
    result = _serve("--data", str(data), "--store", str(tmp_path / "store"), "--port", "8080")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"exokg serve: error: {tmp_path}/{where}: "
                               "<https://w3id.org/exokg/id/finding/f1> ")
    assert said in lines[0]


def test_a_bad_number_is_found_in_the_file_that_writes_it(tmp_path):
    """With several files, the one that writes the value, at its line; the line that
    names the finding too, before another finding's with the same value."""
    first, second = tmp_path / "a.nt", tmp_path / "b.ttl"
    first.write_text('<https://w3id.org/exokg/id/finding/f0> <https://w3id.org/exokg/vocab#'
                     'note> "abc"^^<http://www.w3.org/2001/XMLSchema#integer> .\n',
                     encoding="utf-8")
    second.write_text(_FINDING % 'exo:sampleSize "abc"^^xsd:integer', encoding="utf-8")
    result = _serve("--data", str(first), str(second), "--store", str(tmp_path / "store"),
                    "--port", "8080")
    assert result.returncode == 2
    assert result.stderr.startswith(f"exokg serve: error: {second}, line 5: <https://w3id.org/"
                                    "exokg/id/finding/f1> exo:sampleSize"), result.stderr
    assert result.stderr.count("\n") == 1


def test_a_bad_number_of_a_blank_node_among_two_files_is_one_line(tmp_path):
    """The search for where the value is written took a blank node's label for an IRI:
    a traceback, exit 1."""
    first, second = tmp_path / "a.nt", tmp_path / "b.ttl"
    first.write_text("<http://e/a> <http://e/b> <http://e/c> .\n", encoding="utf-8")
    second.write_text(_FINDING.replace("exo:citedIn <ref/99> ; %s", "exo:citedIn [ "
                                       'exo:refNumber "abc"^^xsd:integer ]'), encoding="utf-8")
    result = _serve("--data", str(first), str(second), "--store", str(tmp_path / "store"),
                    "--port", "8080")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "exo:refNumber" in lines[0], result.stderr


def test_data_with_a_term_past_the_parser_s_buffer_is_one_line_and_exit_2(tmp_path):
    """A literal over 16 MiB: pyoxigraph's parser raises a MemoryError naming its buffer,
    which printed a traceback."""
    data = tmp_path / "long.nt"
    data.write_text(f'<http://e/a> <http://e/b> "{"x" * (17 * 2**20)}" .\n', encoding="utf-8")
    result = _serve("--data", str(data), "--store", str(tmp_path / "store"), "--port", "8080")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"exokg serve: error: {data}: not valid RDF: a line or a term longer than 16 MiB, "
        "which the RDF parser does not read"]


@pytest.mark.parametrize(("name", "text"), [
    ("empty.nt", ""), ("prefixes.ttl", "@prefix ex: <http://e/> .\n# nothing yet\n"),
    ("empty.jsonld", "{}")])
def test_data_that_holds_no_triples_is_refused(tmp_path, name, text):
    """An empty data file (a failed copy, a zeroed volume) was served as an empty graph:
    every answer empty, /healthz "ok"; the store was kept and reused at the next start."""
    good = tmp_path / "good.nt"
    good.write_text('<http://e/a> <http://e/b> "c" .\n', encoding="utf-8")
    data = tmp_path / name
    data.write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    result = _serve("--data", str(good), str(data), "--store", str(store), "--port", "8080")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"exokg serve: error: {data}: holds no triples (an empty file, or only prefixes and "
        "comments)"]
    assert not store.exists() or not any(store.iterdir())


@pytest.mark.parametrize("to", ["master", "process group"])
def test_sighup_while_the_store_is_prepared_is_ignored_and_said(tmp_path, to):
    """Before the workers run there is nothing to replace; SIGHUP's default ended the
    master silently, with its build half-done. Sent to the whole process group (a closing
    terminal), it ended the build's child process, and the server with it."""
    store, port = tmp_path / "store", _free_port()
    with (tmp_path / "log").open("w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "exokg", "serve", "--store", str(store),
                                 "--port", str(port), "--workers", "1", "--executors", "1",
                                 "--no-access-log"], cwd=RUN_DIR, stderr=log,
                                env={k: v for k, v in os.environ.items()
                                     if not k.startswith("EXOKG_")},
                                start_new_session=to == "process group")
        try:
            deadline = time.monotonic() + 60
            while not list(store.glob(".building-*")) and time.monotonic() < deadline:
                time.sleep(0.01)
            if to == "master":
                proc.send_signal(signal.SIGHUP)  # the build is under way
            else:
                os.killpg(proc.pid, signal.SIGHUP)
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz",
                                    timeout=5).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.2)
            assert proc.poll() is None, "the master died of the SIGHUP"
        finally:
            stop_server(proc)
        log.seek(0)
        text = log.read()
    assert "SIGHUP ignored: no worker runs yet to replace" in text and "Traceback" not in text


@pytest.mark.parametrize("damage", ["moved", "artifact cut"])
def test_a_store_damaged_while_served_is_503_and_not_reloaded(store_dir, tmp_path, damage):
    """The store's folder moved away, or an artifact cut short, while served: pages
    answered 500 with a traceback in the log and /healthz 200; a SIGHUP then replaced
    the workers by ones that could not open the store at all. Now what reads the files
    answers 503 naming the file, /healthz 503, and SIGHUP is refused, saying why."""
    import shutil

    from exokg.store import find_store

    version = Path(find_store(str(store_dir)).folder).name
    store = tmp_path / "store"
    shutil.copytree(Path(store_dir) / version, store / version)
    proc, url = start_server(["--store", str(store), "--workers", "1", "--no-access-log"])
    try:
        assert requests.get(f"{url}/api/conflicts", timeout=30).status_code == 200
        if damage == "moved":
            (store / version).rename(tmp_path / "elsewhere")
        else:
            facets = next((store / version).rglob("facets.sqlite"))
            with facets.open("r+b") as f:
                f.truncate(4096)
        said = "is gone" if damage == "moved" else "is damaged"
        for path in ("/api/conflicts", "/id/content/mir-21.json"):
            r = requests.get(url + path, timeout=30)
            assert r.status_code == 503 and said in r.json()["error"], r.text
            # named below the store's folder: the server's paths are not a client's
            assert "facets/facets.sqlite" in r.json()["error"]
            assert str(tmp_path) not in r.json()["error"]
        # the page itself is the site's error page, not the twin's JSON
        page = requests.get(url + "/id/content/mir-21", timeout=30)
        assert page.status_code == 503 and said in page.text, page.text
        assert page.headers["Content-Type"].startswith("text/html")
        if damage == "moved":  # graph queries do not go on without their artifacts
            r = requests.get(f"{url}/api/neighborhood", params={"node": "miR-21"},
                             timeout=30)
            assert r.status_code == 503 and "is gone" in r.json()["error"], r.text
        health = requests.get(f"{url}/healthz", timeout=30)
        assert health.status_code == 503 and "facets" in health.json()["error"], health.text
        proc.send_signal(signal.SIGHUP)
        text = wait_for_log(proc, "SIGHUP ignored")
        assert "they keep serving the store they hold open" in text
        # the SPARQL endpoint reads the store its executors hold open
        r = requests.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        stop_server(proc)
    assert "Traceback" not in server_log(proc)


def test_a_remote_store_is_not_checked_before_a_reload(oxigraph_store):
    """A remote store's folder holds only the artifacts built for it here: the check
    before a reload (SIGHUP) passes on a sound one (it refused every reload)."""
    from exokg.cli.serve import _store_problem
    from exokg.sparql.remote import RemotePool

    info = RemotePool(oxigraph_store.query_url, artifacts_dir=oxigraph_store.artifacts).info()
    assert info.folder and _store_problem(info) is None


def test_a_query_past_the_executor_memory_limit_answers_503_naming_it(store_dir):
    """A cross product sorted in full took an executor to 4 GB in 8 s, on any store."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1",
                              "--no-access-log"], env={"EXOKG_QUERY_MEMORY": "200"})
    try:
        started = time.monotonic()
        r = requests.post(f"{url}/sparql", data={
            "query": "SELECT ?c { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 1"}, timeout=60)
        assert r.status_code == 503, r.text
        assert "needed more memory than a query may use (200 MB, QUERY_MEMORY)" in r.text
        assert time.monotonic() - started < 25  # the memory limit, not the 30 s time limit
        ask = requests.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert ask.status_code == 200  # a new executor answers
        # the query page says it on the site's error page, and the log has it as /sparql's
        page = requests.get(f"{url}/query", params={
            "query": "SELECT ?c { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 2"}, timeout=60)
        assert page.status_code == 503 and "(200 MB, QUERY_MEMORY)" in page.text, page.text
        assert page.headers["Content-Type"].startswith("text/html")
        download = requests.get(f"{url}/query.csv", params={
            "query": "SELECT ?c { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 3"}, timeout=60)
        assert download.status_code == 503 and "QUERY_MEMORY" in download.text, download.text
    finally:
        stop_server(proc)
    log = server_log(proc)
    assert "Traceback" not in log
    assert all(f"{line}: MemoryExceeded" in log
               for line in ("POST /sparql", "GET /query", "GET /query.csv")), log


def test_time_limits_of_0_are_none_and_lose_no_executor(store_dir):
    """``--timeout 0`` and ``EXPORT_TIMEOUT=0`` (no limit, as documented): the wait for an
    executor's answer overflowed (``poll`` of infinite milliseconds), every executor was
    lost from the pool in the warm-up, and each query then answered 503, an export 500."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "2",
                              "--timeout", "0", "--no-access-log"],
                             env={"EXOKG_EXPORT_TIMEOUT": "0"})
    try:
        # more requests than executors: each executor must come back after each answer
        for n in range(5):
            ask = requests.get(f"{url}/sparql", params={"query": f'ASK {{ ?s ?p "none {n}" }}'},
                               timeout=30)
            assert (ask.status_code, ask.json()["boolean"]) == (200, False), ask.text
            export = requests.get(f"{url}/api/export", params={"format": "ntriples"},
                                  timeout=60)
            assert export.status_code == 200 and export.text.count(" .\n") > 3000
        health = requests.get(f"{url}/healthz", timeout=30).json()
        assert health["ok"] is True and health["busy"] is False
    finally:
        stop_server(proc)
    log = server_log(proc)
    assert "Traceback" not in log and "did not finish" not in log


def test_an_answer_cut_mid_stream_breaks_visibly_and_is_said_in_one_line(store_dir):
    """A streamed answer past the time limit after its status was sent: the body ends
    without its last chunk, and the log says why in one line; granian printed the
    exception's traceback on stdout, and the access log said a plain 200."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1"],
                             env={"EXOKG_QUERY_TIMEOUT": "2", "EXOKG_MAX_ROWS": "0"})
    # DISTINCT streams its rows as it finds them, and finds them slowly
    query = "SELECT DISTINCT ?a ?d ?g { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    try:
        with requests.post(f"{url}/sparql", data={"query": query}, timeout=60, stream=True,
                           headers={"Accept": "text/csv"}) as r:
            assert r.status_code == 200  # rows came before the limit
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                for _ in r.iter_content(1 << 16):
                    pass
        ask = requests.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert ask.status_code == 200, ask.text  # a new executor answers
        log = wait_for_log(proc, '"cut": ')
    finally:
        stop_server(proc)
    assert "POST /sparql: the answer was cut after" in log and "time limit" in log
    access = [json.loads(line) for line in log.splitlines() if line.startswith('{"method": "POST')]
    assert [(a["status"], "time limit" in a["cut"]) for a in access] == [(200, True)]
    assert "Traceback" not in log


def test_a_body_that_never_completes_is_408_and_the_connection_closed(store_dir):
    """Content-Length 1000 and 5 bytes sent held the connection for 150 s and more."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1",
                              "--no-access-log"], env={"EXOKG_BODY_TIMEOUT": "1.5"})
    try:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", _port(url)), timeout=20) as sock:
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         b"application/sparql-query\r\nContent-Length: 1000\r\n\r\nASK {")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 408"), data[:200]
        assert b"the request body did not arrive within 1.5 s" in data
        assert time.monotonic() - started < 10
        ask = requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=10)
        assert ask.status_code == 200
    finally:
        stop_server(proc)


def test_connections_that_send_nothing_neither_stop_the_server_nor_stay_open(store_dir):
    """Idle connections: ~2,000 of them stopped every request, /healthz included, for as
    long as they stayed open, and one that never sent a byte was never closed (granian's
    header timeout started at the first byte in its "auto" HTTP mode)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # the server starts under a common default limit (1,024), which granian raises to the
    # hard limit; this process then takes what its own sockets need
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
    try:
        proc, url = start_server(["--store", str(store_dir), "--workers", "2",
                                  "--executors", "1", "--no-access-log"],
                                 env={"EXOKG_HEADER_TIMEOUT": "3"})
    finally:
        wanted = min(4096, hard) if hard != resource.RLIM_INFINITY else 4096
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    idle: list[socket.socket] = []
    try:
        workers = psutil.Process(proc.pid).children()
        assert workers and all(w.rlimit(psutil.RLIMIT_NOFILE)[0] >= min(16_384, hard)
                               for w in workers)
        for _ in range(2_500):  # more than granian's default 1,024 per worker
            idle.append(socket.create_connection(("127.0.0.1", _port(url)), timeout=30))
        for _ in range(5):
            assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
            assert requests.get(f"{url}/sparql", params={"query": "ASK {}"},
                                timeout=5).status_code == 200
        started = time.monotonic()
        assert idle[0].recv(1) == b""  # closed by the server, not by our timeout
        assert time.monotonic() - started < 3 + 5
    finally:
        for sock in idle:
            sock.close()
        stop_server(proc)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_body_the_server_cannot_read_is_400_and_logged(store_dir):
    """A chunk size that is no number: granian answered its own 500 (the bridge had
    taken the body's end for a client gone, and sent nothing), with no access-log line."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1"])
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query"
            b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for body in (b"5\r\nSELEC\r\nzz\r\n", b"FFFFFFFFFFFFFFFFFFFFF\r\nASK {}\r\n"):
            with socket.create_connection(("127.0.0.1", _port(url)), timeout=20) as sock:
                sock.sendall(head + body)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            assert data.startswith(b"HTTP/1.1 400"), data[:200]
            assert b"not valid chunked encoding" in data
            assert b"x-content-type-options: nosniff" in data
        whole = requests.post(f"{url}/sparql", data=iter([b"ASK ", b"{}"]), timeout=10,
                              headers={"Content-Type": "application/sparql-query"})
        assert whole.status_code == 200  # a valid chunked body is read whole
        log = wait_for_log(proc, '"status": 200')
    finally:
        stop_server(proc)
    statuses = [json.loads(line)["status"] for line in log.splitlines()
                if line.startswith('{"method": "POST", "path": "/sparql"')]
    assert statuses == [400, 400, 200]


def test_the_port_lock_follows_no_link_planted_at_its_path(tmp_path, caplog):
    """The lock file was opened through a link: any local user who could plant one in
    the lock folder had a root server write its pid into a file of their choosing."""
    from exokg.cli.serve import hold_port

    folder = f"/tmp/exokg-{os.getuid()}"
    os.makedirs(folder, mode=0o700, exist_ok=True)
    # a free port whose lock file no other server (another suite's) holds
    port = next(p for p in iter(_free_port, None)
                if not os.path.lexists(Path(folder) / f"port-{p}.lock"))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = Path(folder) / f"port-{port}.lock"
    link.symlink_to(victim)
    try:
        hold_port(port)  # no lock taken, said; the probe alone stands
    finally:
        link.unlink()
    assert victim.read_text() == "precious"
    assert f"no lock on port {port}" in caplog.text
