#!/usr/bin/env python3
"""The remote hop and the balancer: embedded vs Oxigraph server vs Virtuoso as the store.

Given engines already loaded with ``exokg load`` (their query URLs), measures for each
target the interactive mix (q2, q4, q5, q6 of ../shared/bench/queries) with the result
cache off: per-query latency (sequential, median and p95) and throughput (wrk, 8
clients). Targets: the engines directly, ``exokg serve --store-url`` over each, and
``exokg serve --data`` (embedded). Then the balancer: the same cheap request straight to
a replica and through HAProxy (deploy/haproxy.cfg) with 1 and 2 replicas.

    python benchmarks/bench_remote.py --data /tmp/bench/f100000.nt --store /tmp/store \\
        --oxigraph http://127.0.0.1:7878/query --virtuoso http://127.0.0.1:8890/sparql \\
        --out benchmarks/results-remote.json

Engines are queried directly on their default graph: start Oxigraph server with
``--union-default-graph`` (Virtuoso's default graph is the union already).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import MIX, free_port, latencies, stop, throughput, wait_up  # noqa: E402

QUERIES = Path(os.environ.get("EXOKG_BENCH_QUERIES", HERE.parent.parent.parent / "shared" /
                              "bench" / "queries"))


def serve(args: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exokg = str(Path(sys.executable).with_name("exokg"))
    proc = subprocess.Popen([exokg, "serve", "--port", str(port), "--cache-size", "0",
                             "--timeout", "60", "--no-access-log", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_up(f"{base}/sparql", proc)
    return proc, base


def measure(base: str, path: str, reps: int, seconds: int) -> dict:
    queries = {name: (QUERIES / f"{name}.rq").read_text() for name in MIX}
    return {"trivial_ms": cheap_latency(f"{base}/{path}", 100),
            "latency": latencies(f"{base}/{path}", queries, reps, 120.0),
            "throughput": throughput(base, path, seconds, QUERIES)}


def cheap_latency(endpoint: str, n: int) -> float:
    """Median ms of a one-row query that reads no data: what a request costs besides the
    query's own work (the remote hop, the balancer)."""
    import statistics
    import urllib.request

    q = urllib.parse.urlencode({"query": "SELECT (1 AS ?x) WHERE {}"})
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{endpoint}?{q}", timeout=30) as r:
            r.read()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 3)


def balancer(data: Path, store: Path, n: int) -> dict:
    replicas = [serve(["--store", str(store), "--data", str(data), "--workers", "1"])
                for _ in range(2)]
    out: dict = {}
    try:
        direct = replicas[0][1]
        out["direct_ms"] = cheap_latency(f"{direct}/sparql", n)
        for count in (1, 2):
            bind = f"127.0.0.1:{free_port()}"
            env = {**os.environ, "EXOKG_LB_BIND": bind,
                   "EXOKG_LB_STATS": f"127.0.0.1:{free_port()}",
                   "EXOKG_REPLICA1": replicas[0][1].removeprefix("http://"),
                   "EXOKG_REPLICA2": replicas[count - 1][1].removeprefix("http://")}
            lb = subprocess.Popen(["haproxy", "-db", "-f", str(HERE.parent / "deploy" /
                                                              "haproxy.cfg")], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
            try:
                time.sleep(2.0)  # health checks mark the replicas up
                out[f"haproxy_{count}_ms"] = cheap_latency(f"http://{bind}/sparql", n)
                out[f"haproxy_{count}_mix"] = throughput(f"http://{bind}", "sparql", 10,
                                                         QUERIES)
            finally:
                stop(lb)
    finally:
        for proc, _ in replicas:
            stop(proc)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--oxigraph", help="query URL of a loaded Oxigraph server")
    p.add_argument("--virtuoso", help="query URL of a loaded Virtuoso")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--skip", nargs="*", default=[])
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    results: dict = {}
    targets: list[tuple[str, list[str] | None, str | None]] = [
        ("embedded", ["--store", str(args.store), "--data", str(args.data)], None)]
    for name, url in (("oxigraph", args.oxigraph), ("virtuoso", args.virtuoso)):
        if url:
            targets += [(f"{name} direct", None, url), (f"exokg over {name}",
                                                        ["--store-url", url], None)]
    for name, serve_args, url in targets:
        if name in args.skip:
            continue
        print(f"measuring {name}", file=sys.stderr, flush=True)
        if serve_args is None:
            assert url is not None
            parts = urllib.parse.urlsplit(url)
            results[name] = measure(f"{parts.scheme}://{parts.netloc}",
                                    parts.path.lstrip("/"), args.reps, args.seconds)
            continue
        proc, base = serve(serve_args)
        try:
            results[name] = measure(base, "sparql", args.reps, args.seconds)
        finally:
            stop(proc)
    if "balancer" not in args.skip:
        print("measuring the balancer", file=sys.stderr, flush=True)
        results["balancer"] = balancer(args.data, args.store, 200)
    text = json.dumps(results, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
