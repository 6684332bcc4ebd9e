"""Time to first answer of ``exokg serve --data FILE`` beside pyoxigraph's bulk load.

Usage::

    python /work/shared/bench/gen.py --findings 100000 --out /tmp/bench/f100k.nt
    python benchmarks/bench_start.py /tmp/bench/f100k.nt [--runs 2]

Each run starts from an empty store folder (a cold build) and then once more with the
built store (a warm start); the bulk load is a plain ``pyoxigraph.Store(path).bulk_load``
into an empty folder. Once ``/healthz`` answers (and 2 s later, the worker warmed up), the
RSS of the master and of its direct children (the web workers) is read with psutil: a
cold start must leave them as small as a warm one. Results go to stdout as a Markdown
table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

_BULK = """
import sys, time, pyoxigraph as ox
t = time.monotonic()
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES)
store.flush()
print(time.monotonic() - t)
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bulk_load(data: Path, folder: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _BULK, str(folder), str(data)],
                         check=True, capture_output=True, text=True)
    return float(out.stdout)


def _rss(pid: int) -> tuple[float, list[float]]:
    """The master's RSS and its web workers' (its direct children), in MB."""
    import psutil

    master = psutil.Process(pid)
    return (master.memory_info().rss / 2**20,
            [child.memory_info().rss / 2**20 for child in master.children()])


def first_answer(data: Path, store: Path) -> tuple[float, float, list[float]]:
    port = _port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "exokg", "serve", "--port", str(port),
                             "--store", str(store), "--data", str(data), "--workers", "1",
                             "--no-access-log"], env=env, cwd=tempfile.gettempdir(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("exokg serve exited")
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=60).ok:
                    took = time.monotonic() - started
                    time.sleep(2)
                    return (took, *_rss(proc.pid))
            except requests.RequestException:
                pass
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print("| run | bulk load (s) | serve, cold store (s) | ratio | serve, warm store (s) "
          "| master RSS cold / warm (MB) | worker RSS cold / warm (MB) |")
    print("|---|---|---|---|---|---|---|")
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            bulk = bulk_load(args.data, Path(tmp) / "bulk")
            shutil.rmtree(Path(tmp) / "bulk")
            cold, cold_master, cold_workers = first_answer(args.data, Path(tmp) / "store")
            warm, warm_master, warm_workers = first_answer(args.data, Path(tmp) / "store")
        workers = " ".join(f"{r:.0f}" for r in cold_workers) + " / " + " ".join(
            f"{r:.0f}" for r in warm_workers)
        print(f"| {run} | {bulk:.1f} | {cold:.1f} | {cold / bulk:.2f} | {warm:.1f} | "
              f"{cold_master:.0f} / {warm_master:.0f} | {workers} |", flush=True)


if __name__ == "__main__":
    main()
