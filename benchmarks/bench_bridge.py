#!/usr/bin/env python3
"""What serving over ASGI (the disconnect-aware bridge) costs against granian's WSGI.

Starts the same app over the same store twice, as ``exokg serve`` would (2 workers x 4
threads, 3 executors each, ``--max-rows 0``): once under granian's WSGI interface (how
``exokg serve`` ran before), once under its ASGI interface through
:class:`exokg.server.asgi.AsgiBridge` (how it runs now); and Oxigraph server on the same
data. For each: sequential latency per query of the mix (median / p95), wrk
throughput of the mix (8 connections), and the CPU time the server's processes (master,
workers, executors) spent per request during the wrk run, which a machine shared with
other jobs disturbs less than throughput; with the result cache off (every request runs
its query) and on (the request path alone).

    python benchmarks/bench_bridge.py --data /tmp/bench/f1000.nt --seconds 8 \\
        --out benchmarks/results-bridge.json

Needs wrk, and Oxigraph server at ``--oxigraph`` (default /tmp/peervenv/bin/oxigraph).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import free_port, latencies, stop, throughput, wait_up  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and all its descendants so far."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _serve(interface: str, port: int, store: str, data: str, cache: int) -> None:
    """Run granian with ``interface`` over the app (in this process, until stopped)."""
    from exokg.config import Config
    from exokg.server import create_app
    from exokg.server.asgi import AsgiBridge
    from exokg.server.sparql import get_service
    from exokg.store import find_store
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    values = {"STORE_DIR": store, "DATA_FILES": (data,), "MAX_ROWS": 0, "QUERY_TIMEOUT": 60.0,
              "CACHE_SIZE": cache, "ACCESS_LOG": False}
    info = find_store(store, data_files=(data,))
    settings = Config.load({**values, "STORE_PATH": info.path})

    def load():
        app = create_app(settings)
        get_service(app).start()
        if interface == "wsgi":
            return app
        return AsgiBridge(app, threads=settings.threads, max_body=settings.max_body_bytes,
                          body_timeout=settings.body_timeout)

    wsgi = interface == "wsgi"
    Server("exokg", address="127.0.0.1", port=port,
           interface=Interfaces.WSGI if wsgi else Interfaces.ASGINL,
           workers=settings.workers, blocking_threads=settings.threads if wsgi else 1,
           runtime_threads=1, backlog=2048, log_level=LogLevels.warning, log_access=False
           ).serve(target_loader=load, wrap_loader=False)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="/tmp/bench/f1000.nt")
    p.add_argument("--queries", default="/work/shared/bench/queries")
    p.add_argument("--work", default="/tmp/disconnect-bench")
    p.add_argument("--oxigraph", default="/tmp/peervenv/bin/oxigraph")
    p.add_argument("--seconds", type=int, default=8)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2, help="alternate the servers this often")
    p.add_argument("--out", default=str(HERE / "results-bridge.json"))
    p.add_argument("--serve", choices=["wsgi", "asgi"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--cache", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.work)
    if args.serve:
        _serve(args.serve, args.port, str(work / "store"), args.data, args.cache)
        return 0
    work.mkdir(parents=True, exist_ok=True)
    qdir = Path(args.queries)
    from run import MIX
    queries = {f.stem.split("_")[0]: f.read_text() for f in sorted(qdir.glob("*.rq"))
               if f.stem in MIX}

    def start_exokg(interface: str, cache: int):
        port = free_port()
        proc = subprocess.Popen([sys.executable, __file__, "--serve", interface, "--port",
                                 str(port), "--cache", str(cache), "--data", args.data,
                                 "--work", args.work],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        return proc, f"http://127.0.0.1:{port}", "sparql"

    def start_oxigraph():
        loc = work / f"oxigraph-{Path(args.data).stem}"
        if not loc.exists():
            subprocess.run([args.oxigraph, "load", "--location", str(loc), "--file", args.data],
                           check=True, capture_output=True)
        port = free_port()
        proc = subprocess.Popen([args.oxigraph, "serve-read-only", "--location", str(loc),
                                 "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        return proc, f"http://127.0.0.1:{port}", "query"

    servers = {"wsgi_uncached": lambda: start_exokg("wsgi", 0),
               "asgi_uncached": lambda: start_exokg("asgi", 0),
               "wsgi_cached": lambda: start_exokg("wsgi", 512),
               "asgi_cached": lambda: start_exokg("asgi", 512),
               "oxigraph": start_oxigraph}
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results: dict = {"data": args.data, "uptime_at_start": load, "rounds": []}
    for round_no in range(args.rounds):
        row = {}
        for name, start in servers.items():
            proc, base, path = start()
            try:
                wait_up(f"{base}/{path}", proc)
                lat = latencies(f"{base}/{path}", queries, args.reps, 60.0)
                cpu = cpu_seconds(proc.pid)
                tp = throughput(base, path, args.seconds, qdir)
                cpu = cpu_seconds(proc.pid) - cpu
                row[name] = {"latency": lat, **tp, "cpu_us_per_request": round(
                    cpu / max(1.0, tp["rps"] * args.seconds) * 1e6, 1)}
                print(round_no, name, json.dumps(row[name]), flush=True)
            finally:
                stop(proc)
        results["rounds"].append(row)
    results["uptime_at_end"] = subprocess.run(["uptime"], capture_output=True,
                                              text=True).stdout.strip()
    Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
