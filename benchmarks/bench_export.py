"""Whole-graph exports at scale, beside pyoxigraph's own dump of the same store.

For each format: the bytes, seconds and MB/s of ``GET /api/export?format=F`` from a
real ``exokg serve`` (one worker) and of ``exokg export --format F --out FILE``, each
beside ``Store.dump`` of N-Triples run just before it on the same store; and the peak
RSS of the web worker (sampled from /proc every 0.1 s while the export runs, and its
VmHWM). The server keeps its exports as files (``EXPORT_FILES``; ``--no-export-files``:
streamed, as before): the first request of a format follows its file as it is written
(``http``), a second one reads the file whole (``http_kept``). The kept files of an
earlier run are removed first. ``--slow-readers N`` keeps N clients reading the first
format at ``--slow-rate`` bytes/s while the other formats run (they held the worker's
export places). Writes JSON to stdout; benchmarks/RESULTS-export.md holds a run.

    python benchmarks/bench_export.py --data /tmp/bench/f100000.nt \\
        --store /tmp/scale-export/store5 --formats ntriples graphml > results-export.json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyoxigraph as ox
import requests
from exokg.config import Config
from exokg.sparql import SparqlService

FORMATS = ["ntriples", "nquads", "turtle", "graphml", "gexf", "csv", "cytoscape", "cx2", "kgx"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data: str, store: str, *, files: bool) -> tuple[subprocess.Popen, str]:
    port = _port()
    env = {**os.environ, "EXOKG_EXPORT_TIMEOUT": "3600",
           "EXOKG_EXPORT_FILES": "true" if files else "false"}
    proc = subprocess.Popen([sys.executable, "-m", "exokg", "serve", "--data", data, "--store",
                             store, "--workers", "1", "--executors", "2", "--port", str(port),
                             "--no-access-log"], env=env, cwd=tempfile.gettempdir(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(3000):
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def _worker(server: subprocess.Popen) -> psutil.Process:
    """The web worker: the process whose children are the query executors."""
    for child in psutil.Process(server.pid).children(recursive=True):
        if "_executor.py" in " ".join(child.cmdline()):
            return child.parent()
    raise RuntimeError("no query executor found")


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class _Peak:
    """The largest VmRSS of a process while a block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self) -> _Peak:
        def watch() -> None:
            while not self._stop.is_set():
                self.peak = max(self.peak, _kb(self.pid, "VmRSS"))
                time.sleep(0.1)
        self._thread = threading.Thread(target=watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _dump(store_path: str, out: str) -> dict:
    started = time.perf_counter()
    store = ox.Store.read_only(store_path)
    store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    seconds = time.perf_counter() - started
    size = os.path.getsize(out)
    os.unlink(out)
    del store
    return {"bytes": size, "seconds": round(seconds, 2), "MBps": round(size / seconds / 1e6, 2)}


def _http(url: str, fmt: str, worker: psutil.Process) -> dict:
    started = time.perf_counter()
    size = 0
    with _Peak(worker.pid) as peak, requests.get(
            f"{url}/api/export", params={"format": fmt}, stream=True,
            timeout=3600) as response:
        if response.status_code != 200:
            return {"status": response.status_code, "error": response.text[:300],
                    "seconds": round(time.perf_counter() - started, 2)}
        chunked = "Content-Length" not in response.headers
        for chunk in response.iter_content(1 << 16):
            size += len(chunk)
    seconds = time.perf_counter() - started
    return {"status": 200, "bytes": size, "seconds": round(seconds, 2),
            "MBps": round(size / seconds / 1e6, 2), "chunked": chunked,
            "worker_peak_rss_mb": round(peak.peak / 1024, 1)}


def _slow_reader(url: str, fmt: str, rate: int, stop: threading.Event) -> None:
    """Read the export of ``fmt`` at about ``rate`` bytes/s until ``stop``."""
    with requests.get(f"{url}/api/export", params={"format": fmt}, stream=True,
                      timeout=3600) as response:
        for chunk in response.iter_content(1024):
            if stop.is_set():
                return
            time.sleep(len(chunk) / rate)


def _cli(data: str, store: str, fmt: str, out: str) -> dict:
    env = {**os.environ, "EXOKG_STORE_DIR": store}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exokg", "export", "--format", fmt, "--data", data,
                    "--out", out], env=env, check=True, cwd=tempfile.gettempdir(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    size = os.path.getsize(out)
    os.unlink(out)
    return {"bytes": size, "seconds": round(seconds, 2), "MBps": round(size / seconds / 1e6, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--store", required=True, help="STORE_DIR (the store is found there)")
    parser.add_argument("--formats", nargs="+", default=FORMATS)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--no-export-files", action="store_true")
    parser.add_argument("--slow-readers", type=int, default=0)
    parser.add_argument("--slow-rate", type=int, default=30_000)
    args = parser.parse_args()
    for old in Path(args.store).glob("*/exports/*/*"):
        old.unlink()
    server, url = _serve(args.data, args.store, files=not args.no_export_files)
    stop = threading.Event()
    try:
        info = requests.get(f"{url}/healthz?deep=1", timeout=60).json()
        store_path = SparqlService(Config.load({"STORE_DIR": args.store,
                                                "DATA_FILES": [args.data]})).info.path
        worker = _worker(server)
        results = {"data": args.data, "store": str(store_path), "health": info,
                   "export_files": not args.no_export_files,
                   "slow_readers": args.slow_readers, "slow_rate": args.slow_rate,
                   "worker_rss_mb_at_start": round(_kb(worker.pid, "VmRSS") / 1024, 1),
                   "formats": {}}
        scratch = tempfile.mkdtemp(prefix="bench-export-")
        for n, fmt in enumerate(args.formats):
            row = {"dump": _dump(str(store_path), f"{scratch}/dump.nt"),
                   "http": _http(url, fmt, worker),
                   "http_kept": _http(url, fmt, worker)}
            if n == 0:
                for _ in range(args.slow_readers):
                    threading.Thread(target=_slow_reader, daemon=True,
                                     args=(url, fmt, args.slow_rate, stop)).start()
                time.sleep(1.0 if args.slow_readers else 0)
            if not args.no_cli:
                row["dump_cli"] = _dump(str(store_path), f"{scratch}/dump.nt")
                row["cli"] = _cli(args.data, args.store, fmt, f"{scratch}/out.{fmt}")
            results["formats"][fmt] = row
            print(fmt, json.dumps(row), file=sys.stderr, flush=True)
        results["worker_vmhwm_mb"] = round(_kb(worker.pid, "VmHWM") / 1024, 1)
        print(json.dumps(results, indent=1))
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
