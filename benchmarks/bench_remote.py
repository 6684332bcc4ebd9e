#!/usr/bin/env python3
"""The remote hop and the balancer: embedded vs Oxigraph server vs Virtuoso as the store.

Given engines already loaded with ``exokg load`` (their query URLs), measures for each
target the interactive mix (q2, q4, q5, q6 of ../shared/bench/queries) with the result
cache off: per-query latency (sequential, median and p95) and throughput (wrk, 8
clients). Targets: the engines directly, ``exokg serve --store-url`` over each, and
``exokg serve --data`` (embedded). With ``--surfaces``, every exokg target also answers the
scale suite's surfaces (benchmarks/scale.py: home, entity pages, search, neighbourhood,
path, rank, evidence, conflicts; ``--exports`` adds the whole-graph exports), each a family
of ``--family`` same-kind URLs drawn from one index artifact (``--urls-from``), the same
URLs for every target, so each surface's remote cost stands beside the embedded one.
Then the balancer: the same requests straight to one replica and through HAProxy
(deploy/haproxy.cfg, one ``server`` line per replica) with 1, 2 and 4 replicas
(``--replicas``), each replica ``exokg serve`` with the ``--replica-args`` given (an
embedded store, or ``--store-url`` for a shared remote one: ``--engine-pgid`` then counts
the shared engine's CPU per request beside the replicas' and HAProxy's); with
``--balancer-page``, wrk also loads that page alone.

    python benchmarks/bench_remote.py --data /tmp/bench/f100000.nt --store /tmp/store \\
        --oxigraph http://127.0.0.1:7878/query --virtuoso http://127.0.0.1:8890/sparql \\
        --artifacts /tmp/artifacts --surfaces --urls-from /tmp/artifacts/remote-VERSION \\
        --out benchmarks/results-remote.json

Engines are queried directly on their default graph: start Oxigraph server with
``--union-default-graph`` (Virtuoso's default graph is the union already).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import MIX, free_port, stop, throughput, wait_up  # noqa: E402
from scale import EXPORTS, SURFACES, families, fetch, index_of, log_entries, match_log, percentile  # noqa: E402

QUERIES = Path(os.environ.get("EXOKG_BENCH_QUERIES", HERE.parent.parent.parent / "shared" /
                              "bench" / "queries"))


#: calls of the page timed through the balancer (it may take a second at 10^5 findings).
PAGE_CALLS = 20
#: exokg serve's query time limit (--query-timeout).
QUERY_TIMEOUT = 60
#: the client's wait for one mix query (the engines directly have no exokg limit).
MIX_TIMEOUT = 300.0
#: exokg serve's row cap (--max-rows; None: its default, 10,000).
MAX_ROWS: int | None = None


def serve(args: list[str], log: Path | None = None,
          extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``exokg serve`` with ``args`` (and ``extra_env`` in its environment); with ``log``,
    its access log (each request's SPARQL queries and their time, EXOKG_LOG_QUERIES) goes
    to that file."""
    port = free_port()
    exokg = str(Path(sys.executable).with_name("exokg"))
    quiet = [] if log else ["--no-access-log"]
    env = {**os.environ, **(extra_env or {}), **({"EXOKG_LOG_QUERIES": "1"} if log else {})}
    proc = subprocess.Popen([exokg, "serve", "--port", str(port), "--cache-size", "0",
                             "--timeout", str(QUERY_TIMEOUT), *quiet,
                             *([] if MAX_ROWS is None else ["--max-rows", str(MAX_ROWS)]),
                             *args],
                            stdout=subprocess.DEVNULL,
                            stderr=log.open("ab") if log else subprocess.DEVNULL,
                            env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_up(f"{base}/sparql", proc)
    return proc, base


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of group ``pgid``,
    with what their ended children used (an executor replaced mid-run is counted in its
    parent's ``cutime``/``cstime`` once reaped, not lost)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def timed_throughput(base: str, path: str, seconds: int, groups: dict[str, int],
                     page: str | None = None) -> dict:
    """wrk's mix on ``base`` (or, with ``page``, that one page asked for as JSON again and
    again), with the CPU ms per request each process group spent."""
    before = {name: group_cpu(pgid) for name, pgid in groups.items()}
    out = throughput(base, path, seconds, QUERIES) if page is None else \
        page_throughput(base + page, seconds)
    requests = max(1.0, out["rps"] * seconds)
    for name, pgid in groups.items():
        out[f"{name}_cpu_ms_per_request"] = round(
            1000 * (group_cpu(pgid) - before[name]) / requests, 3)
    return out


def page_throughput(url: str, seconds: int) -> dict:
    """wrk (8 clients) on one page asked for as JSON: requests a second and failures."""
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "60s",
                          "-H", "Accept: application/json", url], capture_output=True,
                         text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def answer(url: str, query: str, timeout: float) -> dict:
    """One call of ``query``: status, ms, and the answer's rows and a digest of them.

    The digest is over the rows (triples of a CONSTRUCT) as pyoxigraph writes each term,
    sorted, with blank nodes' labels dropped: two engines that answer the same solutions
    (in any order, with any blank-node labels and any equivalent syntax) get the same one.
    Virtuoso's ``X-SQL-State`` (an anytime answer: S1TAT) is kept when the engine sends it.
    """
    import pyoxigraph as ox  # the exokg venv's; only this check needs it

    graph = "CONSTRUCT" in query
    accept = "application/n-triples" if graph else "application/sparql-results+json"
    req = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'query': query})}",
                                 headers={"Accept": accept})
    started = time.perf_counter()
    out: dict = {}
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            out["status"] = r.status
            if r.headers.get("X-SQL-State"):
                out["sql_state"] = r.headers["X-SQL-State"]
    except urllib.error.HTTPError as err:
        out["status"], body = err.code, b""
    except OSError as err:
        out["status"], body = f"error: {err}", b""
    out["ms"] = round(1000 * (time.perf_counter() - started), 2)
    if out["status"] != 200:
        return out

    def term(t: object) -> str:
        return "_:b" if isinstance(t, ox.BlankNode) else str(t)

    if graph:
        rows = sorted(" ".join(term(x) for x in (t.subject, t.predicate, t.object))
                      for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    else:
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in results.variables]
        rows = sorted("\t".join(term(s[n]) if s[n] is not None else "" for n in names)
                      for s in results)
    out["rows"] = len(rows)
    out["digest"] = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
    return out


def mix_latencies(url: str, queries: dict[str, str], reps: int, timeout: float) -> dict:
    """Per mix query: the warm-up call's answer (rows, digest: ``answer``), then ``reps``
    timed calls (median, p95, errors)."""
    out = {}
    for name, q in queries.items():
        first = answer(url, q, timeout)  # warm-up, and the answer checked across targets
        times, bad = [], 0
        for _ in range(reps):
            call = answer(url, q, timeout)
            times.append(call["ms"])
            bad += call["status"] != 200 or call.get("digest") != first.get("digest")
        times.sort()
        out[name] = {"first": first, "ms": times,
                     "median_ms": round(statistics.median(times), 2) if times else None,
                     "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))]
                     if times else None, "errors": bad}
        print(f"  {name}: {first} then {times}", file=sys.stderr, flush=True)
    return out


def measure(base: str, path: str, reps: int, seconds: int,
            groups: dict[str, int] | None = None) -> dict:
    queries = {name: (QUERIES / f"{name}.rq").read_text() for name in MIX}
    out: dict = {"trivial_ms": cheap_latency(f"{base}/{path}", 100)}
    if reps:
        out["latency"] = mix_latencies(f"{base}/{path}", queries, reps, MIX_TIMEOUT)
    if seconds:
        out["throughput"] = timed_throughput(base, path, seconds, groups or {})
    return out


def surfaces(base: str, fams: dict[str, dict], repeat: int, exports: bool,
             log: Path | None = None, timeout: float = 900) -> list[dict]:
    """The scale suite's surfaces on ``base``: each URL of the surface's family once
    (distinct URLs: first call of URL 1, p50 and p95 over the family), then URL 1 again
    ``repeat`` times (the same URL; result cache off, so every call reaches the store).
    With the server's access ``log``, each row also says how many SPARQL queries each
    distinct URL issued and how long they took (``query_ms``)."""
    rows = []
    mark = log.stat().st_size if log else 0
    asked: list[str] = []
    for name, accept in SURFACES:
        urls = fams[name]["urls"]
        if not urls:  # a store without such a node (no molecule with two pages)
            continue
        calls = [fetch(base + u, accept, timeout) for u in urls]
        again = [fetch(base + urls[0], accept, timeout) for _ in range(repeat)]
        distinct = [c[2] for c in calls]
        same = [a[2] for a in again]
        asked += urls + [urls[0]] * repeat
        rows.append({"surface": name, "urls": urls, "degrees": fams[name]["degrees"],
                     "status": sorted({str(c[0]) for c in calls + again}),
                     "bytes": calls[0][1], "distinct_bytes": [c[1] for c in calls],
                     "distinct_status": [c[0] for c in calls],
                     "first_ms": round(1000 * distinct[0], 1),
                     "distinct_ms": [round(1000 * t, 1) for t in distinct],
                     "p50_ms": round(1000 * statistics.median(distinct), 1),
                     "p95_ms": round(1000 * percentile(distinct, 95), 1),
                     "same_p50_ms": round(1000 * statistics.median(same), 1) if same else None,
                     "same_p95_ms": round(1000 * percentile(same, 95), 1) if same else None})
        print(f"  {name}: {rows[-1]['status']} p50 {rows[-1]['p50_ms']} ms "
              f"p95 {rows[-1]['p95_ms']} ms", file=sys.stderr, flush=True)
    if log:
        time.sleep(0.5)  # the access log's last line is written as the body closes
        entries = match_log(asked, log_entries(log, mark))
        at = 0
        for row in rows:
            mine = entries[at:at + len(row["urls"])]
            at += len(row["urls"]) + repeat
            row["queries"] = [len((e or {}).get("queries") or []) for e in mine]
            row["query_ms"] = [(e or {}).get("query_ms") for e in mine]
    for name, path in EXPORTS if exports else ():
        status, size, seconds = fetch(base + path, timeout=3600)
        rows.append({"surface": name, "path": path, "status": status, "bytes": size,
                     "first_ms": round(1000 * seconds, 1),
                     "mb_per_s": round(size / 1e6 / seconds, 2)})
        print(f"  {name}: {status} {size} B {seconds:.1f} s", file=sys.stderr, flush=True)
    return rows


def cheap_latency(endpoint: str, n: int) -> float:
    """Median ms of a one-row query that reads no data: what a request costs besides the
    query's own work (the remote hop, the balancer)."""
    q = urllib.parse.urlencode({"query": "SELECT (1 AS ?x) WHERE {}"})
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with urllib.request.urlopen(f"{endpoint}?{q}", timeout=30) as r:
            r.read()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 3)


def engine_up(endpoint: str, timeout: float = 1800.0) -> None:
    """Wait until the engine at ``endpoint`` answers (a large store may still be opening)."""
    started = time.monotonic()
    while True:
        try:
            cheap_latency(endpoint, 1)
            return
        except OSError:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(5)


def haproxy_config(count: int, folder: Path) -> Path:
    """deploy/haproxy.cfg with one ``server`` line per replica (it ships two)."""
    text = (HERE.parent / "deploy" / "haproxy.cfg").read_text()
    last = '    server r2 "${EXOKG_REPLICA2}" check\n'
    assert last in text, "deploy/haproxy.cfg lost its second server line"
    lines = "".join(f'    server r{i} "${{EXOKG_REPLICA{i}}}" check\n'
                    for i in range(1, count + 1))
    text = text.replace('    server r1 "${EXOKG_REPLICA1}" check\n' + last, lines)
    path = folder / f"haproxy-{count}.cfg"
    path.write_text(text)
    return path


def servers(stats: str) -> dict[str, dict[str, str]]:
    """HAProxy's statistics of the replicas (status, checks that marked one down ...)."""
    with urllib.request.urlopen(f"{stats}/stats;csv", timeout=5) as r:
        lines = r.read().decode().lstrip("# ").splitlines()
    head = lines[0].split(",")
    rows = [dict(zip(head, line.split(","), strict=False)) for line in lines[1:]]
    return {row["svname"]: {k: row[k] for k in ("status", "chkdown", "wretr", "wredis",
                                                   "check_duration")}
            for row in rows if row.get("pxname") == "replicas" and row["svname"] != "BACKEND"}


def wait_all_up(stats: str, count: int, timeout: float = 120.0) -> float:
    """Seconds until HAProxy's health checks show ``count`` replicas up."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if sum(v["status"] == "UP" for v in servers(stats).values()) >= count:
                return round(time.monotonic() - started, 2)
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"HAProxy did not see {count} replicas up in {timeout:g} s: "
                       f"{servers(stats)}")


def request_cost(base: str, n: int, page: str | None) -> dict:
    """Median ms of the trivial query and (if given) of one page, ``n`` calls each."""
    out = {"trivial_ms": cheap_latency(f"{base}/sparql", n)}
    healthz = [fetch(f"{base}/healthz")[2] for _ in range(20)]
    out["healthz_ms"] = round(1000 * statistics.median(healthz), 3)
    out["healthz_max_ms"] = round(1000 * max(healthz), 3)
    if page:
        times = [fetch(base + page, "application/json")[2] for _ in range(PAGE_CALLS)]
        out["page_ms"] = round(1000 * statistics.median(times), 3)
        out["page_p95_ms"] = round(1000 * percentile(times, 95), 3)
    return out


def loads(base: str, seconds: int, page: str | None, groups: dict[str, int]) -> dict:
    """wrk's mix, and (if given) wrk on the page, each ``seconds`` long, on ``base``."""
    out = {"mix": timed_throughput(base, "sparql", seconds, groups)}
    if page:
        out["page_load"] = timed_throughput(base, "sparql", seconds, groups, page)
    return out


def balancer(replica_args: list[str], counts: list[int], n: int, seconds: int,
             page: str | None, folder: Path, engines: dict[str, int] | None = None) -> dict:
    """Each request straight to one replica, then through HAProxy in front of
    1, 2, 4 ... replicas (``exokg serve`` with ``replica_args``, one worker each).

    ``engines``: process groups of the engines the replicas share (``--store-url``), whose
    CPU per request is counted beside the replicas' and HAProxy's."""
    engines = engines or {}
    replicas = [serve([*replica_args, "--workers", "1"]) for _ in range(max(counts))]
    out: dict = {"replica_args": replica_args, "page": page}
    try:
        direct = replicas[0][1]
        out["direct"] = request_cost(direct, n, page)
        if seconds:
            out["direct"].update(loads(direct, seconds, page,
                                       {"replicas": replicas[0][0].pid, **engines}))
        for count in counts:
            bind, stats = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
            env = {**os.environ, "EXOKG_LB_BIND": bind, "EXOKG_LB_STATS": stats,
                   **{f"EXOKG_REPLICA{i + 1}": replicas[i][1].removeprefix("http://")
                      for i in range(count)}}
            env.setdefault("EXOKG_REPLICA2", env["EXOKG_REPLICA1"])
            lb = subprocess.Popen(["haproxy", "-db", "-f", str(haproxy_config(count, folder))],
                                  env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                up = wait_all_up(f"http://{stats}", count)
                row = request_cost(f"http://{bind}", n, page)
                if seconds:
                    groups = {"haproxy": lb.pid, **{f"replica{i + 1}": replicas[i][0].pid
                                                    for i in range(count)}, **engines}
                    row.update(loads(f"http://{bind}", seconds, page, groups))
                row["all_up_s"] = up
                row["loadavg"] = load_average()
                row["servers"] = servers(f"http://{stats}")
                out[f"haproxy_{count}"] = row
                print(f"  haproxy {count}: {row}", file=sys.stderr, flush=True)
            finally:
                stop(lb)
    finally:
        for proc, _ in replicas:
            stop(proc)
    return out


def load_average() -> str:
    return Path("/proc/loadavg").read_text().strip()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="the embedded target's data (none: the review's)")
    p.add_argument("--store", type=Path, required=True, help="the embedded target's store")
    p.add_argument("--oxigraph", help="query URL of a loaded Oxigraph server")
    p.add_argument("--virtuoso", help="query URL of a loaded Virtuoso")
    p.add_argument("--artifacts", nargs="*", default=[], metavar="[ENGINE=]DIR",
                   help="the remote targets' artifacts folder ('exokg index --store'), one "
                        "for all or one per engine (oxigraph=DIR virtuoso=DIR)")
    p.add_argument("--reps", type=int, default=10, help="sequential runs per mix query (0: none)")
    p.add_argument("--seconds", type=int, default=10, help="wrk seconds per target (0: none)")
    p.add_argument("--surfaces", action="store_true", help="the scale suite's surfaces too")
    p.add_argument("--exports", action="store_true", help="and its whole-graph exports")
    p.add_argument("--surface-repeat", type=int, default=10,
                   help="calls of each surface's URL 1 again")
    p.add_argument("--query-log", type=Path, help="a folder for each exokg target's access "
                   "log: the surfaces' rows then count each URL's SPARQL queries")
    p.add_argument("--family", type=int, default=5,
                   help="distinct URLs per surface (drawn from --urls-from)")
    p.add_argument("--urls-from", type=Path, help="the version folder (embedded "
                   "STORE/<version> or remote STORE/remote-<version>) whose index artifact "
                   "the surfaces' URLs are drawn from; every target gets the same URLs")
    p.add_argument("--replicas", type=int, nargs="*", default=[1, 2],
                   help="replica counts behind HAProxy (none: skip the balancer)")
    p.add_argument("--replica-args", default=None,
                   help="exokg serve arguments of each replica (default: the embedded "
                        "target's --store/--data; '--store-url URL --store DIR': all "
                        "replicas share one remote store, with --engine-pgid to count its "
                        "CPU per request)")
    p.add_argument("--balancer-page", default="/id/content/mir-320a.json",
                   help="a page timed beside the trivial query through the balancer")
    p.add_argument("--engine-pgid", nargs="*", default=[], metavar="NAME=PGID",
                   help="process groups of the engines (oxigraph=123 virtuoso=456), to "
                        "count their CPU per request")
    p.add_argument("--query-timeout", type=int, default=60, help="exokg serve --timeout")
    p.add_argument("--max-rows", type=int, default=None,
                   help="exokg serve --max-rows (0: none, so the mix's answers can be "
                        "compared whole with the engines' own)")
    p.add_argument("--virtuoso-timeout-param", default=None, metavar="NAME",
                   help="EXOKG_STORE_TIMEOUT_PARAM for exokg over Virtuoso only (deploy/"
                        "README.md: 'timeout', so Virtuoso stops what exokg abandons)")
    p.add_argument("--skip", nargs="*", default=[])
    p.add_argument("--label", help="merge the results under this key into --out")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    global QUERY_TIMEOUT, MIX_TIMEOUT, MAX_ROWS
    QUERY_TIMEOUT = args.query_timeout
    MAX_ROWS = args.max_rows
    MIX_TIMEOUT = max(MIX_TIMEOUT, args.query_timeout + 30.0)
    args.engine_pgid = {k: int(v) for k, v in (item.split("=") for item in args.engine_pgid)}
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                     "loadavg_start": load_average()}
    embedded = ["--store", str(args.store)] + (["--data", str(args.data)] if args.data else [])
    artifacts = dict(item.split("=", 1) if "=" in item else ("", item)
                     for item in args.artifacts)
    targets: list[tuple[str, list[str] | None, str | None]] = [("embedded", embedded, None)]
    for name, url in (("oxigraph", args.oxigraph), ("virtuoso", args.virtuoso)):
        if url:
            targets += [(f"{name} direct", None, url),
                        (f"exokg over {name}", ["--store-url", url, *(
                            ["--store", artifacts.get(name) or artifacts[""]]
                            if artifacts.get(name) or artifacts.get("") else [])], None)]
    if args.query_log:
        args.query_log.mkdir(parents=True, exist_ok=True)
    fams: dict[str, dict] = {}
    if args.surfaces:
        if args.urls_from is None:
            p.error("--surfaces needs --urls-from (a version folder with an index artifact)")
        fams = families(index_of(args.urls_from), args.family)
        results["urls_from"] = str(args.urls_from)
    for name, serve_args, url in targets:
        if name in args.skip:
            continue
        print(f"measuring {name} (load {load_average()})", file=sys.stderr, flush=True)
        if serve_args is None:
            assert url is not None
            parts = urllib.parse.urlsplit(url)
            engine = name.split()[0]
            engine_up(url)
            results[name] = measure(f"{parts.scheme}://{parts.netloc}",
                                    parts.path.lstrip("/"), args.reps, args.seconds,
                                    {engine: args.engine_pgid[engine]}
                                    if engine in args.engine_pgid else None)
            continue
        started = time.perf_counter()
        log = args.query_log / f"{name.replace(' ', '-')}.log" if args.query_log else None
        proc, base = serve(serve_args, log, {"EXOKG_STORE_TIMEOUT_PARAM":
                                             args.virtuoso_timeout_param}
                           if name == "exokg over virtuoso" and args.virtuoso_timeout_param
                           else None)
        try:
            groups = {"exokg": proc.pid, **({name.split()[-1]: args.engine_pgid[
                name.split()[-1]]} if name.split()[-1] in args.engine_pgid else {})}
            results[name] = {"start_s": round(time.perf_counter() - started, 1),
                             **measure(base, "sparql", args.reps, args.seconds, groups)}
            if args.surfaces:
                results[name]["surfaces"] = surfaces(base, fams, args.surface_repeat,
                                                     args.exports, log)
        finally:
            stop(proc)
        results[name]["loadavg"] = load_average()
        save(results, args.out, args.label)  # a target measured is kept if a later one hangs
    if args.replicas and "balancer" not in args.skip:
        print("measuring the balancer", file=sys.stderr, flush=True)
        replica_args = args.replica_args.split() if args.replica_args else embedded
        folder = Path(tempfile.mkdtemp(prefix="exokg-bench-lb-"))
        try:
            results["balancer"] = balancer(replica_args, args.replicas, 200, args.seconds,
                                           args.balancer_page, folder, args.engine_pgid)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    results["loadavg_end"] = load_average()
    save(results, args.out, args.label)
    print(json.dumps(results, indent=1))
    return 0


def save(results: dict, out: Path | None, label: str | None) -> None:
    """Write ``results`` to ``out`` (merged under ``label`` into what it holds)."""
    if out is None:
        return
    if label:
        whole = json.loads(out.read_text()) if out.exists() else {}
        whole[label] = results
    out.write_text(json.dumps(whole if label else results, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
