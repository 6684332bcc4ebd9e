#!/usr/bin/env python3
"""Benchmark ExoKG's SPARQL endpoint against Oxigraph's server and rdflib-endpoint.

For each scale: generate the graph with the peers' generator (used by path, never
copied), start every server on the same file, measure per-query latency (median, p95;
sequential requests) and throughput of the interactive mix (q2, q4, q5, q6) at 8
concurrent clients with wrk, and print a Markdown table.

    python benchmarks/run.py --scales 66 1000 10000 --peer-venv /tmp/peervenv \\
        --out benchmarks/results.json

Needs: wrk; a virtualenv with ``pip install oxigraph rdflib-endpoint`` (--peer-venv);
ExoKG installed (``exokg`` on PATH next to this Python).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIX = ["q2_serum_mirna_uc_up_hcc", "q4_up_and_down", "q5_construct_mir21", "q6_label_search"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {url}")
        try:
            q = urllib.parse.urlencode({"query": "ASK {}"})
            with urllib.request.urlopen(f"{url}?{q}", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server not up: {url}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server and everything it started (its own process group), so that
    nothing it left running loads the machine while the next server is measured."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group (executors)
    time.sleep(0.5)


def one(url: str, query: str, timeout: float) -> tuple[float, int]:
    accept = "application/n-triples" if "CONSTRUCT" in query else \
        "application/sparql-results+json"
    req = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'query': query})}",
                                 headers={"Accept": accept})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as err:
        status = err.code
    except OSError:
        status = 0
    return time.perf_counter() - started, status


def latencies(url: str, queries: dict[str, str], reps: int, timeout: float) -> dict:
    out = {}
    for name, q in queries.items():
        one(url, q, timeout)  # warm-up
        times, bad = [], 0
        for _ in range(reps):
            t, status = one(url, q, timeout)
            times.append(t)
            bad += status != 200
        times.sort()
        out[name] = {"median_ms": round(statistics.median(times) * 1000, 2),
                     "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))] * 1000,
                                     2), "errors": bad}
    return out


def throughput(base: str, path: str, seconds: int, qdir: Path) -> dict:
    env = {**os.environ, "MIX_DIR": str(qdir), "MIX": ",".join(MIX), "ENDPOINT_PATH": path}
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "60s", "-s",
                          str(HERE / "mix.lua"), base + "/"], env=env, capture_output=True,
                         text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {"rps": rps, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "timeouts": int(timeouts.group(1)) if timeouts else 0}


def start_exokg(data: Path, store: Path, *, cached: bool, timeout: float):
    port = free_port()
    exokg = str(Path(sys.executable).with_name("exokg"))
    args = [exokg, "serve", "--port", str(port), "--store", str(store), "--data", str(data),
            "--timeout", str(timeout), "--no-access-log", "--max-rows", "0"]
    if not cached:
        args += ["--cache-size", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", "sparql"


def start_oxigraph(data: Path, work: Path, venv: Path):
    loc = work / f"oxigraph-{data.stem}"
    if not loc.exists():
        subprocess.run([str(venv / "bin" / "oxigraph"), "load", "--location", str(loc),
                        "--file", str(data)], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "oxigraph"), "serve-read-only", "--location",
                             str(loc), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", "query"


def start_rdflib_endpoint(data: Path, venv: Path):
    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "rdflib-endpoint"), "serve", str(data),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", ""  # its endpoint is the root


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", type=int, nargs="+", default=[66, 1000, 10000])
    p.add_argument("--gen", default="/work/shared/bench/gen.py")
    p.add_argument("--queries", default=None, help="folder of .rq files (default: next "
                   "to gen.py)")
    p.add_argument("--peer-venv", default="/tmp/peervenv")
    p.add_argument("--work", default="/tmp/exokg-bench")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--rdflib-endpoint-max", type=int, default=1000,
                   help="largest scale to run rdflib-endpoint at (it times out beyond)")
    p.add_argument("--out", default=str(HERE / "results.json"))
    args = p.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    qdir = Path(args.queries) if args.queries else Path(args.gen).with_name("queries")
    queries = {f.stem.split("_")[0]: f.read_text() for f in sorted(qdir.glob("*.rq"))
               if f.stem in MIX}
    venv = Path(args.peer_venv)
    results = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    for n in args.scales:
        data = work / f"f{n}.nt"
        if not data.exists():
            subprocess.run([sys.executable, args.gen, "--findings", str(n), "--seed", "42",
                            "--out", str(data)], check=True, capture_output=True)
        reps = 20 if n <= 1000 else 6 if n <= 10000 else 3
        timeout = 60.0
        servers = [("exokg_uncached", lambda data=data, timeout=timeout: start_exokg(
                       data, work / "store", cached=False,
                                                          timeout=timeout)),
                   ("exokg_cached", lambda data=data, timeout=timeout: start_exokg(
                       data, work / "store", cached=True,
                                                        timeout=timeout)),
                   ("oxigraph", lambda data=data: start_oxigraph(data, work, venv))]
        if n <= args.rdflib_endpoint_max:
            servers.append(("rdflib_endpoint", lambda data=data: start_rdflib_endpoint(data, venv)))
        row = {}
        for name, start in servers:
            t0 = time.monotonic()
            proc, base, path = start()
            try:
                wait_up(f"{base}/{path}", proc)
                ready = time.monotonic() - t0
                lat = latencies(f"{base}/{path}", queries, reps, timeout)
                tp = throughput(base, path, args.seconds, qdir)
                row[name] = {"startup_s": round(ready, 1), "latency": lat, **tp}
                print(n, name, json.dumps(row[name]), flush=True)
            finally:
                stop(proc)
        results[str(n)] = row
        Path(args.out).write_text(json.dumps(results, indent=1))
    shutil.rmtree(work / "store", ignore_errors=True) if os.environ.get("CLEAN") else None
    return 0


if __name__ == "__main__":
    sys.exit(main())
