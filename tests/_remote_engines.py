"""Real SPARQL engines on loopback for the remote-store tests: Oxigraph server and Virtuoso.

Each starts on a free port, waits (bounded) until it answers, and is stopped by the
fixture that started it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from conftest import RUN_DIR, _free_port

#: ``pip install oxigraph`` puts the server beside the interpreter.
OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or \
    shutil.which("oxigraph")
VIRTUOSO = shutil.which("virtuoso-t")


def wait_answering(proc: subprocess.Popen, url: str, what: str, timeout: float,
          ok=(200,), log: Path | None = None) -> None:
    """Wait (at most ``timeout`` s) until ``url`` answers ``ok`` to a GET (with an ASK as
    ``query``, for SPARQL endpoints; other pages ignore it); stop the process if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}: {tail}")
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).status_code in ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:g} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process started here (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_oxigraph(*, timeout_s: int = 30, location: Path | None = None,
                   port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Oxigraph server with its own query time limit, in memory or on disk in
    ``location``, on ``port`` (default: a free one); ``(process, base URL)``."""
    if OXIGRAPH is None:
        raise RuntimeError("the oxigraph server is not installed (pip install oxigraph: it is "
                           "in the test extra)")
    port = port or _free_port()
    where = ["--location", str(location)] if location is not None else []
    proc = subprocess.Popen([OXIGRAPH, "serve", *where, "--bind", f"127.0.0.1:{port}",
                             "--timeout-s", str(timeout_s)], cwd=RUN_DIR,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_answering(proc, f"{base}/query", "oxigraph serve", 30.0)
    return proc, base


_VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {isql}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {d}
DefaultIsolation = 2
ThreadCleanupInterval = 1
ResourcesCleanupInterval = 1
; one thread per query: with more, Virtuoso 7.2 answers large GROUP BY queries short
; (exokg refuses such an engine: kg/sparql/remote.py check_engine)
ThreadsPerQuery = 1

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 10
ServerThreads = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 30
MaxQueryCostEstimationTime = 0
DefaultQuery = ASK {{}}
"""


def start_virtuoso(*, buffers: int = 10000, folder: Path | None = None
                   ) -> tuple[subprocess.Popen, str, Path]:
    """Virtuoso 7 in a fresh database folder (or ``folder``), with ``buffers`` 8 KB pages
    of cache; ``(process, base URL, folder)``.

    The SPARQL endpoint (``/sparql``) runs as the ``SPARQL`` user, which may read but not
    write; the tests load through the Graph Store endpoint with the ``dba`` account
    (``/sparql-graph-crud-auth``) -- see deploy/README.md.
    """
    if VIRTUOSO is None:
        raise RuntimeError("virtuoso-t is not installed (Debian: virtuoso-opensource, "
                           "installed by tools/install-test-deps)")
    folder = folder or Path(tempfile.mkdtemp(prefix="exokg-virtuoso-"))
    folder.mkdir(parents=True, exist_ok=True)
    http_port, isql_port = _free_port(), _free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_VIRTUOSO_INI.format(d=folder, isql=isql_port, http=http_port,
                                        buffers=buffers, dirty=buffers * 3 // 4))
    env = {**os.environ, "HOME": str(folder)}
    proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=folder,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http_port}"
    wait_answering(proc, f"{base}/sparql", "virtuoso-t", 120.0, log=folder / "virtuoso.log")
    proc.isql_port = isql_port  # type: ignore[attr-defined]
    return proc, base, folder
