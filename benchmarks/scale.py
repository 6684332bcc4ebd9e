#!/usr/bin/env python3
"""The scale suite: every surface of ``exokg serve`` at 10^3 to 10^6 findings, beside the peers.

For each size it generates the peers' benchmark data (``shared/bench/gen.py``, used by
path, never copied), then measures in one run, on one machine:

- pyoxigraph's own bulk load and N-Triples dump of the same file (the floor for the
  build and the whole-graph export);
- ``exokg serve --data FILE``: time to the first answer (store and artifacts built),
  and again with the store reused;
- per surface (home, the entity page of a typical molecule and of the largest hub,
  search, neighbourhood at depth 2, path, rank, evidence, conflicts, whole-graph
  N-Triples and GraphML): the first call, then p50 and p95 of ``--repeat`` calls,
  the bytes, and the web workers' RSS after the run;
- Oxigraph server over the same store answering the SPARQL each request issued
  (taken from ExoKG's access log, which lists a request's queries with
  ``EXOKG_LOG_QUERIES=1``), so each surface stands beside the engine's own time.

    python benchmarks/scale.py --findings 1000 100000 1000000 \\
        --gen ../shared/bench/gen.py --oxigraph /tmp/peervenv/bin/oxigraph \\
        --out benchmarks/results-scale.json --markdown benchmarks/RESULTS-scale.md

Needs ExoKG installed (``exokg`` next to this Python) and, for the peer column,
``pip install oxigraph`` in another virtualenv (``--oxigraph`` names its binary).
Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

#: (surface, path, Accept). A "typical molecule" is a mid-ranked one of the Zipf draw.
SURFACES = [
    ("home", "/", "text/html"),
    ("entity: typical molecule", "/id/content/mir-320a", "text/html"),
    ("entity: typical molecule (JSON)", "/id/content/mir-320a.json", "application/json"),
    ("entity: largest hub", "/id/disease/hcc", "text/html"),
    ("entity: largest hub (JSON)", "/id/disease/hcc.json", "application/json"),
    ("search", "/api/entities?q=mir-21", "application/json"),
    ("neighbourhood depth 2", "/api/neighborhood?node=miR-21&depth=2", "application/json"),
    ("path", "/api/path?source=miR-122&target=miR-21&k=3", "application/json"),
    ("rank pagerank", "/api/rank?metric=pagerank&type=MicroRNA", "application/json"),
    ("evidence", "/api/evidence?node=miR-21", "application/json"),
    ("conflicts", "/api/conflicts", "application/json"),
]
EXPORTS = [
    ("export N-Triples", "/api/export?format=ntriples"),
    ("export GraphML", "/api/export?format=graphml"),
    ("export GEXF", "/api/export?format=gexf"),
    ("export CSV", "/api/export?format=csv"),
    ("export Cytoscape", "/api/export?format=cytoscape"),
    ("export CX2", "/api/export?format=cx2"),
    ("export KGX", "/api/export?format=kgx"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, accept: str = "*/*", timeout: float = 600.0) -> tuple[int, int, float]:
    """GET ``url``; return (status, bytes, seconds), reading the body to the end."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    started = time.perf_counter()
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            while chunk := response.read(1 << 20):
                size += len(chunk)
    except urllib.error.HTTPError as err:
        status = err.code
        size = len(err.read())
    return status, size, time.perf_counter() - started


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if fetch(f"{url}/healthz", timeout=5)[0] == 200:
                return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"{url} not healthy after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def rss_mb(pid: int) -> dict[str, float]:
    """RSS (MB) of ``pid`` and each process below it, by command line."""
    out: dict[str, float] = {}
    children = {pid}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) in children or int(entry) == pid:
                    children.add(int(entry))
    for child in sorted(children):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{child}/status").read_text()
            kb = next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmRSS"))
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            role = "executor" if "_executor" in cmd else "master" if child == pid else "worker"
            out[f"{role} {child}"] = round(kb / 1024, 1)
    return out


def peer_load(data: Path, work: Path) -> dict[str, float]:
    """pyoxigraph's bulk load and dump of ``data``, in a fresh process."""
    script = f"""
import json, time, pyoxigraph as ox
s = ox.Store({str(work / 'peer-store')!r})
t = time.perf_counter(); s.bulk_load(path={str(data)!r}, format=ox.RdfFormat.N_TRIPLES)
s.flush(); load = time.perf_counter() - t
t = time.perf_counter(); s.dump(output={str(work / 'dump.nt')!r}, format=ox.RdfFormat.N_TRIPLES,
                                from_graph=ox.DefaultGraph())
dump = time.perf_counter() - t
print(json.dumps({{"load_s": load, "dump_s": dump, "triples": len(s)}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    result = json.loads(done.stdout)
    result["dump_bytes"] = (work / "dump.nt").stat().st_size
    (work / "dump.nt").unlink()
    return result


def start_exokg(data: Path, store: Path, log: Path, *, workers: int) -> tuple[
        subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, "EXOKG_LOG_QUERIES": "1"}
    exokg = shutil.which("exokg", path=str(Path(sys.executable).parent)) or "exokg"
    proc = subprocess.Popen(
        [exokg, "serve", "--data", str(data), "--store", str(store), "--port", str(port),
         "--workers", str(workers), "--timeout", "120", "--max-rows", "0"],
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    return proc, url, wait_healthy(url, proc, timeout=3600)


def issued_queries(log: Path, path: str) -> list[str]:
    """The SPARQL queries the last request for ``path`` issued, from the access log."""
    queries: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("path") == path.split("?", 1)[0]:
                queries = entry.get("queries") or []
    return queries


def time_peer(url: str, queries: list[str], repeat: int) -> dict[str, float] | None:
    if not queries:
        return None
    times = []
    for _ in range(repeat):
        total = 0.0
        for query in queries:
            body = urllib.parse.urlencode({"query": query}).encode()
            request = urllib.request.Request(f"{url}/query", data=body, headers={
                "Accept": "application/sparql-results+json, application/n-triples",
                "Content-Type": "application/x-www-form-urlencoded"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as response:
                response.read()
            total += time.perf_counter() - started
        times.append(total)
    return {"p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * percentile(times, 95),
            "queries": len(queries)}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_scale(findings: int, args: argparse.Namespace) -> dict:
    data = Path(args.data_dir) / f"f{findings}.nt"
    if not data.is_file():
        subprocess.run([sys.executable, args.gen, "--findings", str(findings),
                        "--out", str(data)], check=True)
    work = Path(tempfile.mkdtemp(prefix=f"exokg-scale-{findings}-", dir=args.work_dir))
    result: dict = {"findings": findings, "file_bytes": data.stat().st_size}
    try:
        result["peer"] = peer_load(data, work)
        log = work / "access.log"
        proc, url, first = start_exokg(data, work / "store", log, workers=args.workers)
        result["start_build_s"] = first
        surfaces = []
        try:
            for name, path, accept in SURFACES:
                status, size, first_s = fetch(url + path, accept)
                times = [fetch(url + path, accept)[2] for _ in range(args.repeat)]
                surfaces.append({"surface": name, "path": path, "status": status,
                                 "bytes": size, "first_ms": 1000 * first_s,
                                 "tenth_ms": 1000 * times[min(8, len(times) - 1)],
                                 "p50_ms": 1000 * statistics.median(times),
                                 "p95_ms": 1000 * percentile(times, 95),
                                 "queries": issued_queries(log, path)})
            for name, path in EXPORTS:
                status, size, seconds = fetch(url + path)
                surfaces.append({"surface": name, "path": path, "status": status,
                                 "bytes": size, "first_ms": 1000 * seconds,
                                 "seconds": seconds, "mb_per_s": size / 1e6 / seconds})
            result["rss_mb"] = rss_mb(proc.pid)
        finally:
            stop(proc)
        proc, url, again = start_exokg(data, work / "store", log, workers=args.workers)
        result["start_reused_s"] = again
        stop(proc)
        # each worker's warm-up before it served (kg/cli/serve.py), from the server's log
        result["warm_up"] = [line for line in log.read_text(errors="replace").splitlines()
                             if "warmed up in" in line]
        if args.oxigraph:
            port = free_port()
            peer = subprocess.Popen([args.oxigraph, "serve-read-only", "--location",
                                     str(work / "peer-store"), "--bind", f"127.0.0.1:{port}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            peer_url = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    with contextlib.suppress(OSError):
                        fetch(f"{peer_url}/query?query=ASK%7B%7D")
                        break
                    time.sleep(0.2)
                for row in surfaces:
                    if row.get("queries"):
                        row["oxigraph"] = time_peer(peer_url, row["queries"], args.repeat)
            finally:
                stop(peer)
        result["surfaces"] = surfaces
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def markdown(results: list[dict]) -> str:
    lines = []
    for r in results:
        peer = r["peer"]
        dump_mb_s = peer["dump_bytes"] / 1e6 / peer["dump_s"]
        lines += [f"### {r['findings']:,} findings ({peer['triples']:,} triples)", "",
                  f"- pyoxigraph bulk load {peer['load_s']:.1f} s; ExoKG first answer "
                  f"{r['start_build_s']:.1f} s ({r['start_build_s'] / peer['load_s']:.2f}x); "
                  f"restart with the store reused {r['start_reused_s']:.1f} s.",
                  f"- pyoxigraph dump {peer['dump_s']:.1f} s ({dump_mb_s:.0f} MB/s).",
                  "- workers' warm-up (first start, then restart): " + "; ".join(
                      line.removeprefix("exokg: ") for line in r.get("warm_up", [])),
                  "- RSS (MB) after the run: " + ", ".join(
                      f"{k} {v}" for k, v in r.get("rss_mb", {}).items()), "",
                  "| surface | status | bytes | first ms | 10th ms | p50 ms | p95 ms | "
                  "Oxigraph p50 / p95 ms (queries) |", "|---|---|---|---|---|---|---|---|"]
        for s in r["surfaces"]:
            if "mb_per_s" in s:
                # two ratios: bytes per second (a network file is smaller than the
                # N-Triples dump), and the dump's time over the export's (the same graph
                # read, so triples per second)
                by_time = (f", {peer['dump_s'] / s['seconds']:.2f}x by time"
                           if "seconds" in s else "")
                lines.append(f"| {s['surface']} | {s['status']} | {s['bytes']:,} | "
                             f"{s['first_ms']:.0f} | | | | {s['mb_per_s']:.1f} MB/s = "
                             f"{s['mb_per_s'] / dump_mb_s:.2f}x dump{by_time} |")
                continue
            ox = s.get("oxigraph")
            peer_cell = (f"{ox['p50_ms']:.1f} / {ox['p95_ms']:.1f} ({ox['queries']})"
                         if ox else "none issued")
            lines.append(f"| {s['surface']} | {s['status']} | {s['bytes']:,} | "
                         f"{s['first_ms']:.1f} | {s['tenth_ms']:.1f} | {s['p50_ms']:.1f} | "
                         f"{s['p95_ms']:.1f} | {peer_cell} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--gen", default="../shared/bench/gen.py",
                        help="the peers' generator (used when a data file is missing)")
    parser.add_argument("--data-dir", default=tempfile.gettempdir())
    parser.add_argument("--work-dir", default=tempfile.gettempdir())
    parser.add_argument("--oxigraph", help="Oxigraph server binary (pip install oxigraph)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--markdown", help="write the Markdown tables here")
    args = parser.parse_args(argv)
    results = []
    for findings in args.findings:
        results.append(run_scale(findings, args))
        print(markdown(results[-1:]), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1))
    if args.markdown:
        Path(args.markdown).write_text(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
