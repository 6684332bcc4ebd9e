"""Soak: many concurrent clients on the interactive mix, plus a runaway query every second.

Starts a real ``exokg serve`` over the benchmark kit's generated graph (data and store under
/tmp only; loopback only), then runs for ``--duration`` seconds:

- ``--clients`` threads, each with its own ``requests.Session``, in a closed loop over the
  interactive mix: queries q2, q4, q5, q6 of /work/shared/bench/queries/ through /sparql, and
  the pages ``/``, ``/id/content/mir-21``, ``/api/neighborhood?node=miR-21&depth=2`` and
  ``/api/entities?q=mir-21``;
- one runaway query a second (an unbounded cross product, counted), which the server must
  stop at its time limit with a 503 (``--timeout``, default 2 s);
- the RSS of the server's master, workers and query executors read from /proc every
  ``--sample`` seconds.

It prints a Markdown report (requests, statuses, latency percentiles per request kind, RSS over
time) and writes the raw numbers as JSON (``--json``). Every request has a client timeout, and
every thread stops at the deadline; the server's process group is stopped at the end.

Run (about 2 minutes: the store build, a warm-up, then the soak)::

    python benchmarks/soak.py --findings 10000 --clients 50 --duration 60 --timeout 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

KIT = Path("/work/shared/bench")
MIX_QUERIES = ("q2", "q4", "q5", "q6")
PAGES = {"page /": "/", "page mir-21": "/id/content/mir-21",
         "api neighborhood": "/api/neighborhood?node=miR-21&depth=2",
         "api entities": "/api/entities?q=mir-21"}
#: Counts a cross product of the whole graph with itself three times: never finishes in time.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CLIENT_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kit_query(name: str) -> str:
    [path] = sorted((KIT / "queries").glob(f"{name}_*.rq"))
    return path.read_text(encoding="utf-8")


def start_server(data: Path, store: Path, timeout: float, log: Path):
    port = free_port()
    exokg = str(Path(sys.executable).with_name("exokg"))
    args = [exokg, "serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(store),
            "--data", str(data), "--timeout", str(timeout), "--no-access-log"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exokg serve exited; see {log}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return proc, url, args
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError("exokg serve did not become healthy in 15 minutes")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# ---------------------------------------------------------------- /proc

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree[ppid].append(int(entry))
    return tree


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _role(pid: int, depth: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmd = ""
    if depth == 0:
        return "master"
    if "multiprocessing" in cmd or "spawn_main" in cmd or "forkserver" in cmd or depth >= 2:
        return "executor"
    return "worker"


def sample_rss(root: int) -> dict[str, dict[int, float]]:
    """RSS in MiB of every process under ``root``, by role (master, workers, executors)."""
    tree, out = _children(), {"master": {}, "worker": {}, "executor": {}}
    stack = [(root, 0)]
    while stack:
        pid, depth = stack.pop()
        rss = _rss_mib(pid)
        if rss is not None:
            out[_role(pid, depth)][pid] = rss
        stack.extend((child, depth + 1) for child in tree.get(pid, []))
    return out


# ---------------------------------------------------------------- load

def mix(url: str) -> list[tuple[str, str, dict]]:
    items = [(f"sparql {q}", url + "/sparql",
              {"params": {"query": kit_query(q)},
               "headers": {"Accept": "application/sparql-results+json, text/turtle"}})
             for q in MIX_QUERIES]
    items += [(name, url + path, {"headers": {"Accept": "application/json"}
                                  if path.startswith("/api") else {}})
              for name, path in PAGES.items()]
    return items


def client(index: int, items, deadline: float, out: list) -> None:
    session = requests.Session()
    i = index
    while time.monotonic() < deadline:
        name, address, kwargs = items[i % len(items)]
        i += 1
        start = time.perf_counter()
        try:
            answer = session.get(address, timeout=CLIENT_TIMEOUT, **kwargs)
            status = answer.status_code
        except requests.RequestException as err:
            status = f"error {type(err).__name__}"
        out.append((name, status, time.perf_counter() - start, time.monotonic()))
    session.close()


def runaway(url: str, out: list) -> None:
    start = time.perf_counter()
    try:
        answer = requests.get(url + "/sparql", params={"query": RUNAWAY}, timeout=CLIENT_TIMEOUT)
        status = answer.status_code
    except requests.RequestException as err:
        status = f"error {type(err).__name__}"
    out.append(("runaway", status, time.perf_counter() - start, time.monotonic()))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def warm_up(items, *, rounds: int = 6, fast: float = 5.0) -> list[dict]:
    """Send every request of the mix 4 times, 8 at a time, until a round's slowest answer
    takes under ``fast`` seconds: each worker loads the graph at its first page or API
    request, and requests land on the workers at random. Returns each round's timings."""
    log = []
    for _ in range(rounds):
        def one(item):
            name, address, kwargs = item
            start = time.perf_counter()
            answer = requests.get(address, timeout=600, **kwargs)
            if answer.status_code != 200:
                raise RuntimeError(f"warm-up: {name} answered {answer.status_code}")
            return name, time.perf_counter() - start

        with ThreadPoolExecutor(8) as pool:
            timings = list(pool.map(one, items * 4))
        slowest = max(timings, key=lambda t: t[1])
        log.append({"requests": len(timings), "slowest": slowest[0],
                    "slowest_s": round(slowest[1], 2)})
        if slowest[1] < fast:
            break
    return log


def soak(url: str, root: int, *, clients: int, duration: float, sample: float) -> dict:
    items = mix(url)
    warmup = warm_up(items)
    results: list = []
    samples: list = []
    began = time.monotonic()
    deadline = began + duration
    samples.append((0.0, sample_rss(root)))

    def sampler() -> None:
        while time.monotonic() < deadline:
            time.sleep(min(sample, max(0.0, deadline - time.monotonic())))
            samples.append((time.monotonic() - began, sample_rss(root)))

    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(clients, thread_name_prefix="client") as pool, \
            ThreadPoolExecutor(4, thread_name_prefix="runaway") as runaways:
        for index in range(clients):
            pool.submit(client, index, items, deadline, results)
        next_runaway = time.monotonic()
        while next_runaway < deadline:
            runaways.submit(runaway, url, results)
            next_runaway += 1.0
            time.sleep(max(0.0, next_runaway - time.monotonic()))
    watcher.join(timeout=sample + 5)
    samples.append((time.monotonic() - began, sample_rss(root)))
    return {"results": results, "samples": samples, "elapsed": time.monotonic() - began,
            "warmup": warmup}


# ---------------------------------------------------------------- report

def report(run: dict, *, command: str, clients: int, duration: float) -> str:
    results, samples = run["results"], run["samples"]
    by_kind: dict[str, list] = defaultdict(list)
    for name, status, seconds, _ in results:
        by_kind[name].append((status, seconds))
    statuses = Counter((name == "runaway", status) for name, status, _, _ in results)
    bad = {f"{'runaway' if r else 'mix'} {s}": n for (r, s), n in statuses.items()
           if not (s == 200 or (r and s == 503))}
    lines = [f"Command: `{command}`", "",
             "Warm-up rounds (slowest answer of each): "
             + "; ".join(f"{w['slowest']} {w['slowest_s']} s" for w in run["warmup"]), "",
             f"{len(results)} requests in {run['elapsed']:.1f} s "
             f"({len(results) / run['elapsed']:.1f}/s) from {clients} clients plus one runaway "
             f"a second; duration {duration:.0f} s.", "",
             "Statuses: " + ", ".join(f"{'runaway' if r else 'mix'} {s}: {n}"
                                      for (r, s), n in sorted(statuses.items(), key=str)),
             "", "Errors (anything but 200, or the runaway's 503): "
             + (", ".join(f"{k}: {n}" for k, n in bad.items()) if bad else "none"), "",
             "| request | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    simple: list[float] = []
    for name in sorted(by_kind):
        times = [s for _, s in by_kind[name]]
        if name != "runaway":
            simple += times
        lines.append(f"| {name} | {len(times)} | {1000 * statistics.median(times):.0f} | "
                     f"{1000 * percentile(times, 95):.0f} | {1000 * percentile(times, 99):.0f} | "
                     f"{1000 * max(times):.0f} |")
    if simple:
        lines.append(f"| **all of the mix** | {len(simple)} | "
                     f"{1000 * statistics.median(simple):.0f} | "
                     f"{1000 * percentile(simple, 95):.0f} | {1000 * percentile(simple, 99):.0f} "
                     f"| {1000 * max(simple):.0f} |")
    lines += ["", "RSS (MiB) from /proc, every sample:", "",
              "| t s | master | workers (each) | executors (each) | total |",
              "|---|---|---|---|---|"]
    for t, rss in samples:
        workers = " + ".join(f"{v:.0f}" for _, v in sorted(rss["worker"].items()))
        executors = " + ".join(f"{v:.0f}" for _, v in sorted(rss["executor"].items()))
        total = sum(sum(group.values()) for group in rss.values())
        master = " ".join(f"{v:.0f}" for v in rss["master"].values())
        lines.append(f"| {t:.0f} | {master} | {workers} | {executors} | {total:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/exokg-soak"),
                        help="folder for the generated data and the store (under /tmp)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=2.0, help="the server's time limit")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    data = args.work / f"f{args.findings}.nt"
    if not data.exists():
        subprocess.run([sys.executable, str(KIT / "gen.py"), "--findings", str(args.findings),
                        "--out", str(data)], check=True, capture_output=True)
    proc, url, server_args = start_server(data, args.work / "store", args.timeout,
                                          args.work / "server.log")
    try:
        run = soak(url, proc.pid, clients=args.clients, duration=args.duration,
                   sample=args.sample)
    finally:
        stop_server(proc)
    command = "python benchmarks/soak.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(report(run, command=command, clients=args.clients, duration=args.duration))
    print(f"\nServer: {' '.join(server_args[1:])}")
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in run.items()}, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
