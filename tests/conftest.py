"""Shared fixtures: an in-process app and client, and real ``exokg serve`` processes.

- ``app`` / ``client``: ``create_app`` over the bundled graph, its store in a session
  folder (built once), for in-process Flask tests.
- ``live_server``: the base URL of a real ``exokg serve`` process (granian) over the
  bundled graph, started once per session on a free loopback port.
- ``small_server``: another real server over ``tests/data/graphs.trig`` (named graphs)
  with tight limits (2 s time limit, 5 rows, 4000-byte bodies) for the limit tests.
- ``oxigraph_store``: Oxigraph server (on disk, on loopback) holding the bundled graph,
  loaded by ``exokg load`` and indexed by ``exokg index`` once per session;
  ``oxigraph_server``: a real ``exokg serve --store-url`` over it.
- ``served``: the base URL of a real server over the bundled graph, once per store of
  :data:`STORES` (``embedded``: ``live_server``; ``oxigraph``: ``oxigraph_server``), for
  the tests that must give the same answers over either store.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
#: Commands run here, outside the checkout, so that they import the installed package as a
#: user's do (in the checkout, ./kg would shadow it and hide a packaging mistake).
RUN_DIR = tempfile.gettempdir()
#: Python that names the web layer's modules a process has imported (the library and the
#: CLI's query path must import none).
WEB_MODULES_LOADED = ("sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('flask', 'werkzeug') or m.startswith('exokg.server'))")


@pytest.fixture(scope="session")
def graph():
    """The bundled graph, built once for the session (tests must not change it)."""
    from exokg.build import build_graph

    return build_graph()


@pytest.fixture(scope="session")
def G(graph):
    """The networkx projection of the bundled graph, entities only."""
    from exokg.network import project

    return project(graph)


@pytest.fixture(scope="session")
def GF(graph):
    """The projection with the findings as nodes."""
    from exokg.network import project

    return project(graph, findings=True)


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store folder for the session: the bundled graph's store is built once."""
    return tmp_path_factory.mktemp("exokg-store")


@pytest.fixture
def app(store_dir):
    from exokg.server import create_app

    app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "QUERY_TIMEOUT": 5.0,
                      "EXECUTORS": 1})
    yield app
    service = app.extensions.get("exokg.sparql")
    if service is not None:
        service.close()


@pytest.fixture
def client(app):
    return app.test_client()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: list[str], *, timeout: float = 90.0, env: dict[str, str] | None = None,
                 launcher: Sequence[str] = ("-m", "exokg"), complete: bool = True):
    """Start ``exokg serve ARGS`` on a free port; return ``(process, base URL)``.

    ``env``: variables set for the server (over this environment, less its ``EXOKG_*``);
    ``launcher``: Python's arguments that run the ``exokg`` command; ``complete``: wait
    until the store is built, not only loaded (a build serves its loaded store early)."""
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")},
           **(env or {})}
    # a file, not a pipe: a server that logs more than a pipe holds would block on it
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(
        [sys.executable, *launcher, "serve", "--host", "127.0.0.1", "--port", str(port),
         *args], cwd=RUN_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log  # type: ignore[attr-defined]  # read with server_log(proc)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exokg serve exited: {server_log(proc)[-2000:]}")
        try:
            status, loaded = _health(url)
            if status == 200 or not complete and loaded:
                from exokg.cli.serve import EVERY_WORKER_COMPLETE, SERVING_EARLY

                text = server_log(proc)
                # served early while the build went on: wait until no worker serves the
                # loaded copy any more
                if complete and SERVING_EARLY in text and EVERY_WORKER_COMPLETE not in text:
                    time.sleep(0.2)
                    continue
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("exokg serve did not become healthy in time")


def _health(url: str) -> tuple[int, bool]:
    """``/healthz``'s status, and whether it says the store is loaded, not built yet."""
    health = requests.get(f"{url}/healthz", timeout=2)
    return health.status_code, health.status_code == 503 and \
        health.json().get("complete") is False


def serve_text(tmp_path_factory, text: str, *, suffix: str = "ttl"
               ) -> Iterator[tuple[subprocess.Popen, str]]:
    """A real ``exokg serve`` of ``text`` (an RDF file of this suffix) as ``--data``, one
    worker: ``(process, base URL)``, for a module fixture to yield from."""
    folder = tmp_path_factory.mktemp("served")
    data = folder / f"data.{suffix}"
    data.write_text(text)
    proc, url = start_server(["--store", str(folder / "store"), "--data", str(data),
                              "--workers", "1", "--executors", "1"])
    yield proc, url
    stop_server(proc)


def run_in_thread(target) -> dict:
    """Run ``target()`` in a thread; the dict gets ``error`` or ``value``, and ``thread``."""
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = target()
        except Exception as err:  # noqa: BLE001 - the test inspects it
            result["error"] = err

    result["thread"] = threading.Thread(target=run, daemon=True)
    result["thread"].start()
    return result


def server_log(proc: subprocess.Popen) -> str:
    """What a server started by :func:`start_server` has written so far (stdout and
    stderr: granian prints an app's uncaught error on stdout)."""
    proc.log.seek(0)  # type: ignore[attr-defined]
    return proc.log.read().decode(errors="replace")  # type: ignore[attr-defined]


def wait_for_log(proc: subprocess.Popen, text: str, *, tries: int = 300) -> str:
    """:func:`server_log` once it holds ``text`` (polled every 0.1 s, ``tries`` times),
    else as it is then."""
    for _ in range(tries):
        log = server_log(proc)
        if text in log:
            break
        time.sleep(0.1)
    return log


def executor_ticks(server_pid: int) -> dict[int, int]:
    """The server's executor processes (children or grandchildren of ``server_pid``)
    and the CPU clock ticks each has used so far (from /proc)."""
    out = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"_executor.py" not in (proc / "cmdline").read_bytes():
                continue
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            ppid = int(stat[1])
            grand = int((Path("/proc") / str(ppid) / "stat").read_text().rsplit(")", 1)[1]
                        .split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if server_pid in (ppid, grand):
            out[int(proc.name)] = int(stat[11]) + int(stat[12])
    return out


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def live_server(store_dir):
    """Base URL of a real ``exokg serve`` process over the bundled graph."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--threads", "4",
                              "--executors", "2", "--timeout", "10", "--no-access-log"])
    yield url
    stop_server(proc)


@pytest.fixture(scope="session")
def small_server_process(store_dir):
    proc, url = start_server(["--store", str(store_dir), "--data", str(DATA / "graphs.trig"),
                              "--workers", "1", "--threads", "4", "--executors", "2",
                              "--timeout", "2", "--max-rows", "5", "--max-body", "4000"],
                             env={"EXOKG_MAX_ANSWER_BYTES": "100000"})
    yield proc, url
    stop_server(proc)


@pytest.fixture(scope="session")
def small_server(small_server_process) -> str:
    """Base URL of a real server over tests/data/graphs.trig with tight limits (5 rows,
    100,000 bytes an answer, a 4,000-byte body, 2 s)."""
    return small_server_process[1]


# --- a remote store ---------------------------------------------------------------------

#: The stores the same-answer tests run over (the ``served`` fixture's parameters).
STORES = ["embedded", "oxigraph"]


def exokg(*args: str, timeout: float = 300, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess:
    """Run ``exokg ARGS`` as a user would (outside the checkout)."""
    return subprocess.run([sys.executable, "-m", "exokg", *args], cwd=RUN_DIR,
                          capture_output=True, text=True, timeout=timeout, env=env)


@dataclass(frozen=True)
class RemoteData:
    """A SPARQL engine holding the bundled graph, as ``exokg load`` and ``index`` left it."""

    base: str  #: the engine's base URL
    query_url: str  #: its SPARQL query endpoint (``--store-url``)
    artifacts: str  #: the folder ``exokg index --store`` wrote
    loaded: dict  #: what ``exokg load`` reported, with the store's whole ``triples``


@pytest.fixture(scope="session")
def oxigraph_store(tmp_path_factory) -> RemoteData:
    """Oxigraph server holding the bundled graph, loaded and indexed once per session.

    On disk (``--location``), as it is deployed: its answers then come in the order of
    its on-disk indexes, which is the embedded store's, so exports match byte for byte.
    """
    from _remote_engines import start_oxigraph, stop
    from exokg.sparql.remote import RemotePool

    proc, base = start_oxigraph(location=tmp_path_factory.mktemp("oxigraph-data"))
    try:
        query, update = f"{base}/query", f"{base}/update"
        artifacts = str(tmp_path_factory.mktemp("oxigraph-artifacts"))
        done = exokg("load", "--store-url", query, "--update-url", update)
        assert done.returncode == 0, done.stderr
        loaded = json.loads(done.stdout)
        indexed = exokg("index", "--store-url", query, "--update-url", update,
                        "--store", artifacts)
        assert indexed.returncode == 0, indexed.stderr
        assert json.loads(indexed.stdout)["version"] == loaded["version"]
        loaded = {**loaded, "data_triples": loaded["triples"],
                  "triples": RemotePool(query).info().triples}
        yield RemoteData(base, query, artifacts, loaded)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def oxigraph_server(oxigraph_store: RemoteData):
    """Base URL of a real ``exokg serve --store-url`` over :func:`oxigraph_store`, with
    ``live_server``'s settings."""
    proc, url = start_server(["--store-url", oxigraph_store.query_url,
                              "--store", oxigraph_store.artifacts, "--workers", "1",
                              "--threads", "4", "--executors", "2", "--timeout", "10",
                              "--no-access-log"])
    yield url
    stop_server(proc)


_SERVERS = {"embedded": "live_server", "oxigraph": "oxigraph_server"}


def server_for(request: pytest.FixtureRequest, store: str) -> str:
    """The base URL of the real server over ``store`` (one of :data:`STORES`)."""
    return request.getfixturevalue(_SERVERS[store])


@pytest.fixture(scope="session", params=STORES)
def served(request) -> str:
    """Base URL of a real server over the bundled graph, once per store of :data:`STORES`."""
    return server_for(request, request.param)
