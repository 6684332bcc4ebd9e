#!/usr/bin/env python3
"""The scale suite: every surface of ``exokg serve`` at 10^3 to 10^6 findings, beside the peers.

For each size it generates the peers' benchmark data (``shared/bench/gen.py``, used by
path, never copied), then measures in one run, on one machine:

- pyoxigraph's own bulk load and N-Triples dump of the same file (the floor for the
  build and the whole-graph export);
- ``exokg serve --data FILE``: time to the first SPARQL answer (the loaded store,
  served early) and to every surface answering (store and artifacts built), and again
  with the store reused;
- per surface (home, the entity page of a typical molecule and of a hub, search,
  neighbourhood at depth 2, path, rank, evidence, conflicts): a *family* of URLs of the
  same kind drawn from the store's artifacts (molecules of about the same degree, at the
  90th percentile of the molecules; the most connected nodes; rankings by metric and
  type; never a node the workers' warm-up read), asked in order after the start: the
  first call of URL #1 (the first request of its kind after the start), the first
  call of each later URL (uncached, like URL #1: the 10th of them is "the tenth"),
  then ``--repeat`` calls of URL #1 again (answered from the result cache);
- optionally (``--first-rounds N``) each family again right after a start of its own,
  N times, with no result cache: the first request after the start is then the
  family's URL #1 (in the families' run above, only home's is; the others' URL #1
  follows another family);
- optionally (``--cache-off``) the same families again on a server restarted with
  ``--cache-size 0``, so that repeated calls of one URL run their queries too;
- whole-graph N-Triples and every network export, each once, the bytes, and the web
  workers' RSS after the run;
- Oxigraph server over the same store answering the SPARQL each request issued
  (taken from ExoKG's access log, which lists a request's queries with
  ``EXOKG_LOG_QUERIES=1``), so each surface stands beside the engine's own time.

    python benchmarks/scale.py --findings 1000 100000 1000000 \\
        --gen ../shared/bench/gen.py --oxigraph /tmp/peervenv/bin/oxigraph \\
        --out benchmarks/results-scale.json --markdown benchmarks/RESULTS-scale.md

A store built once can be served again by a later run (one size): ``--store DIR``
keeps ExoKG's store folder (reused when it holds a store for the same data and code)
and ``--peer-store DIR`` pyoxigraph's (its load and dump are then not measured).

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

#: (surface, Accept): each surface's URLs are drawn by :func:`families`.
SURFACES = [
    ("home", "text/html"),
    ("entity: typical molecule", "text/html"),
    ("entity: typical molecule (JSON)", "application/json"),
    ("entity: hub", "text/html"),
    ("entity: hub (JSON)", "application/json"),
    ("entity: largest molecule, pages 2-N", "text/html"),
    ("search", "application/json"),
    ("neighbourhood depth 2", "application/json"),
    ("path", "application/json"),
    ("rank", "application/json"),
    ("evidence", "application/json"),
    ("conflicts", "application/json"),
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
#: the build's own log lines (loader, artifact builders), kept in the results
BUILD_LINES = ("loaded in", "built in", "built at", "statistics counted", "built store",
               "adjacency", "metrics of", "search index", "network read", "facets of",
               "reusing store", "metric triples")
#: the public base IRI ``exokg serve`` uses by default: an IRI under it is a page here
BASE = "https://w3id.org/exokg/"


def families(index_folder: Path, count: int) -> dict[str, dict]:
    """Per surface, up to ``count`` URLs of the same kind, drawn from the store's index
    artifact, deterministically: ``{"urls": [...], "degrees": [...]}``.

    Molecules: those whose degree is nearest the 90th percentile's of the molecules
    (the warm-up's typical molecule is that one: it and the warm-up's other nodes are
    left out, since the warm-up read their store blocks), dealt out in turn to the
    surfaces that take a molecule, so no two surfaces share one; the graph queries name
    them by IRI (a name goes through the search index, which is search's surface). Hubs: the most
    connected nodes with a page, bar the warm-up's hub. Within a family the URLs go in
    ascending degree, so a later URL has at least URL #1's work to do.
    """
    import numpy as np
    from exokg.index import load_adjacency, load_metrics
    from exokg.index.adjacency import kind_name
    from exokg.pages import PAGE_SIZE
    from exokg.review import CONTENT_KINDS
    from exokg.warmup import representative_nodes

    adj, metrics = load_adjacency(index_folder), load_metrics(index_folder)
    degree = np.asarray(metrics.degree, dtype=np.int64)
    warm = set(representative_nodes(index_folder).values())
    codes = [i for i, c in enumerate(adj.kind_names) if kind_name(c) in CONTENT_KINDS]
    kinds = sorted({kind_name(adj.kind_names[c]) for c in codes})
    molecules = [int(i) for i in np.flatnonzero(np.isin(adj.kinds, codes))
                 if adj.iri(int(i)) not in warm]

    def name(i: int) -> str:
        return adj.iri(i).rstrip("/").rsplit("/", 1)[-1]

    def page(i: int) -> str:
        return "/" + adj.iri(i)[len(BASE):]

    def ascending(ids: list[int]) -> list[int]:
        return sorted(ids, key=lambda i: (int(degree[i]), i))

    out: dict[str, dict] = {}

    def family(surface: str, ids: list[int], urls: list[str]) -> None:
        out[surface] = {"urls": urls, "degrees": [int(degree[i]) for i in ids]}

    slots = ["entity: typical molecule", "entity: typical molecule (JSON)", "search",
             "neighbourhood depth 2", "evidence", "path source", "path target"]
    dealt: dict[str, list[int]] = {slot: [] for slot in slots}
    if molecules:
        ranked = sorted(molecules, key=lambda i: (-int(degree[i]), i))
        target = int(degree[ranked[len(ranked) // 10]])
        nearest = sorted(molecules, key=lambda i: (abs(int(degree[i]) - target), i))
        for n, i in enumerate(nearest[:count * len(slots)]):
            dealt[slots[n % len(slots)]].append(i)
    for slot in slots:
        dealt[slot] = ascending(dealt[slot])
    ids = dealt["entity: typical molecule"]
    family("entity: typical molecule", ids, [page(i) for i in ids])
    ids = dealt["entity: typical molecule (JSON)"]
    family("entity: typical molecule (JSON)", ids, [page(i) + ".json" for i in ids])
    ids = dealt["search"]
    family("search", ids, ["/api/entities?" + urllib.parse.urlencode({"q": name(i)})
                           for i in ids])
    ids = dealt["neighbourhood depth 2"]
    family("neighbourhood depth 2", ids, [
        "/api/neighborhood?" + urllib.parse.urlencode({"node": adj.iri(i), "depth": 2})
        for i in ids])
    ids = dealt["evidence"]
    family("evidence", ids, ["/api/evidence?" + urllib.parse.urlencode({"node": adj.iri(i)})
                             for i in ids])
    pairs = list(zip(dealt["path source"], dealt["path target"], strict=False))
    out["path"] = {"urls": ["/api/path?" + urllib.parse.urlencode(
        {"source": adj.iri(a), "target": adj.iri(b), "k": 3}) for a, b in pairs],
        "degrees": [int(degree[a] + degree[b]) for a, b in pairs]}
    hubs = [int(i) for i in np.argsort(-degree, kind="stable")[:count + len(warm) + 64]
            if adj.iri(int(i)).startswith(BASE + "id/") and adj.iri(int(i)) not in warm]
    ids = ascending(hubs[:count])
    family("entity: hub", ids, [page(i) for i in ids])
    family("entity: hub (JSON)", ids, [page(i) + ".json" for i in ids])
    # the molecule named by the most findings (the warm-up's hub at 10^6), from its
    # second page on (the warm-up reads the first): every finding of a page names it,
    # so a page whose reads grow with its statements (76,000 for miR-21 at 10^6) shows
    # here, as the hubs above (fewer statements each) did not show it
    from exokg.facets import FACETS_FILE
    from exokg.readonly_db import connect_read_only

    counted = index_folder.parent / "facets" / FACETS_FILE
    top, found = None, 0
    if molecules and counted.is_file():
        with contextlib.closing(connect_read_only(counted)) as db:
            for iri, n in db.execute("SELECT node, count FROM node_count "
                                     "ORDER BY count DESC, node LIMIT 10000"):
                i = adj.node_id(iri)
                if i is not None and int(adj.kinds[i]) in codes:
                    top, found = i, int(n)
                    break
    if top is not None:
        pages = -(-found // PAGE_SIZE)
        out["entity: largest molecule, pages 2-N"] = {
            "urls": [f"{page(top)}?page={n}" for n in range(2, min(pages, count + 1) + 1)],
            "degrees": [int(degree[top])] * max(0, min(pages, count + 1) - 1)}
    else:
        out["entity: largest molecule, pages 2-N"] = {"urls": [], "degrees": []}
    ranks = [(m, k) for m in ("pagerank", "degree", "betweenness", "studies") for k in kinds]
    out["rank"] = {"urls": ["/api/rank?" + urllib.parse.urlencode({"metric": m, "type": k})
                            for m, k in ranks[:count]], "degrees": []}
    # one URL each: they issue no SPARQL (the build's statistics, the facets artifact)
    out["home"] = {"urls": ["/"], "degrees": []}
    out["conflicts"] = {"urls": ["/api/conflicts"], "degrees": []}
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, accept: str = "*/*", timeout: float = 600.0) -> tuple[int | str, int, float]:
    """GET ``url``; return (status, bytes, seconds), reading the body to the end, or
    for at most ``timeout`` seconds in all (then the status is ``"cut"``)."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    started = time.perf_counter()
    size = 0
    status: int | str
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if time.perf_counter() - started > timeout:
                    status = "cut"
                    break
    except urllib.error.HTTPError as err:
        status = err.code
        size = len(err.read())
    except (TimeoutError, OSError) as err:
        status = f"error: {err}"
    return status, size, time.perf_counter() - started


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float,
                 marks: dict | None = None) -> float:
    """Seconds until ``/healthz`` answers 200 (everything served); ``marks["sparql_s"]``
    gets those until ``/sparql`` first answered (earlier while a build serves its loaded
    store early)."""
    started = time.perf_counter()
    marks = {} if marks is None else marks
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if "sparql_s" not in marks and \
                    fetch(f"{url}/sparql?query=ASK%7B%7D", timeout=5)[0] == 200:
                marks["sparql_s"] = time.perf_counter() - started
            if fetch(f"{url}/healthz", timeout=5)[0] == 200:
                marks.setdefault("sparql_s", time.perf_counter() - started)
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
            role = ("executor" if "_executor" in cmd else "master" if child == pid
                    else "tracker" if "resource_tracker" in cmd else "worker")
            out[f"{role} {child}"] = round(kb / 1024, 1)
    return out


def tree_pids(pid: int) -> set[int]:
    """``pid`` and every live process below it."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry)] = int(stat[1])
    tree, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    return tree


class TreeWatch:
    """Polls a process tree (every ``every`` s, in a thread): each process's CPU seconds
    and peak RSS (``VmHWM``) as last seen, and the peak of the tree's summed RSS."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        import threading

        self.pid, self.every, self.started = pid, every, time.perf_counter()
        self.procs: dict[int, dict] = {}
        self.peak_total_mb = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        now = time.perf_counter() - self.started
        for pid in tree_pids(self.pid):
            with contextlib.suppress(OSError, StopIteration, IndexError, ValueError):
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                status = Path(f"/proc/{pid}/status").read_text().splitlines()
                rss = next(int(x.split()[1]) for x in status if x.startswith("VmRSS")) / 1024
                hwm = next(int(x.split()[1]) for x in status if x.startswith("VmHWM")) / 1024
                entry = self.procs.setdefault(pid, {"first_s": round(now, 2), "cmd": " ".join(
                    Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                    .split("\0"))[:160]})
                entry.update(cpu_s=(int(stat[11]) + int(stat[12])) / tick,
                             peak_rss_mb=round(max(hwm, entry.get("peak_rss_mb", 0)), 1),
                             last_s=round(now, 2))
                total += rss
        self.peak_total_mb = max(self.peak_total_mb, round(total, 1))

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.every)

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        self.sample()
        alive = tree_pids(self.pid)
        gone = {pid: e for pid, e in self.procs.items() if pid not in alive}
        return {"peak_tree_rss_mb": self.peak_total_mb,
                "exited_cpu_s": round(sum(e["cpu_s"] for e in gone.values()), 1),
                "exited_peak_rss_mb": max((e["peak_rss_mb"] for e in gone.values()), default=0),
                "tree_cpu_s": round(sum(e["cpu_s"] for e in self.procs.values()), 1),
                "processes": {str(pid): e for pid, e in self.procs.items()}}


def load_now() -> dict:
    return {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def peer_load(data: Path, peer_store: Path, work: Path) -> dict[str, float]:
    """pyoxigraph's bulk load of ``data`` into ``peer_store`` and its dump, in a fresh
    process."""
    script = f"""
import json, resource, time, pyoxigraph as ox
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
s = ox.Store({str(peer_store)!r})
c = cpu(); t = time.perf_counter(); s.bulk_load(path={str(data)!r}, format=ox.RdfFormat.N_TRIPLES)
s.flush(); load = time.perf_counter() - t; load_cpu = cpu() - c
load_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
c = cpu(); t = time.perf_counter()
s.dump(output={str(work / 'dump.nt')!r}, format=ox.RdfFormat.N_TRIPLES,
                                from_graph=ox.DefaultGraph())
dump = time.perf_counter() - t; dump_cpu = cpu() - c
print(json.dumps({{"load_s": load, "load_cpu_s": load_cpu, "load_peak_rss_mb": load_rss,
                  "dump_s": dump, "dump_cpu_s": dump_cpu, "triples": len(s)}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=7200)
    result = json.loads(done.stdout)
    result["dump_bytes"] = (work / "dump.nt").stat().st_size
    (work / "dump.nt").unlink()
    return result


def start_exokg(data: Path, store: Path, log: Path, *, workers: int,
                extra: tuple[str, ...] = (), watch: dict | None = None,
                marks: dict | None = None) -> tuple[subprocess.Popen, str, float]:
    """Start ``exokg serve``; wait for it to answer everything. ``watch``, when given,
    receives the :class:`TreeWatch` summary of the start (the build child's CPU and peak
    RSS); ``marks`` the first SPARQL answer's time (:func:`wait_healthy`)."""
    port = free_port()
    env = {**os.environ, "EXOKG_LOG_QUERIES": "1"}
    exokg = shutil.which("exokg", path=str(Path(sys.executable).parent)) or "exokg"
    proc = subprocess.Popen(
        [exokg, "-v", "serve", "--data", str(data), "--store", str(store), "--port", str(port),
         "--workers", str(workers), "--timeout", "120", "--max-rows", "0", *extra],
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    watcher = TreeWatch(proc.pid) if watch is not None else None
    try:
        healthy = wait_healthy(url, proc, timeout=3600, marks=marks)
        # served early while it built: measured once no worker serves the loaded copy
        from exokg.cli.serve import EVERY_WORKER_COMPLETE, SERVING_EARLY

        deadline = time.monotonic() + 3600
        while True:
            text = log.read_text(errors="replace")
            if SERVING_EARLY not in text or EVERY_WORKER_COMPLETE in text:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server never served the complete store")
            time.sleep(0.1)
        return proc, url, healthy
    except BaseException:
        stop(proc)
        raise
    finally:
        if watcher is not None and watch is not None:
            watch.update(watcher.stop())


def store_version(data: Path, store: Path) -> Path:
    """The folder ``exokg serve --data data --store store`` serves (hashes the data)."""
    from exokg.store import input_version

    return store / input_version([data], [])[2]


def index_of(version: Path) -> Path:
    from exokg.store_layout import open_store_info
    from exokg.store_source import index_folder

    folder = index_folder(open_store_info(version, check=False))
    if folder is None:
        raise RuntimeError(f"{version}: no index artifact to draw the URLs from")
    return folder


def log_entries(log: Path, start: int) -> list[dict]:
    """The access log's entries past byte ``start`` of the server's log, in order."""
    entries = []
    with log.open("rb") as fh:
        fh.seek(start)
        for line in fh.read().decode(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and "path" in entry and entry["path"] != "/healthz":
                    entries.append(entry)
    return entries


def match_log(asked: list[str], entries: list[dict]) -> list[dict | None]:
    """Each request asked (sequentially, in order) with its access-log entry."""
    out: list[dict | None] = []
    at = 0
    for url in asked:
        path = urllib.parse.urlsplit(url).path
        found = None
        for j in range(at, len(entries)):
            if entries[j].get("path") == path:
                found, at = entries[j], j + 1
                break
        out.append(found)
    return out


def measure(url: str, fams: dict[str, dict], log: Path, repeat: int,
            timeout: float) -> list[dict]:
    """Each surface's family in order (see the module docs); ``repeat`` calls of URL #1."""
    mark = log.stat().st_size
    rows, asked = [], []
    for name, accept in SURFACES:
        urls = fams[name]["urls"]
        if not urls:  # a store without such a node (no molecule with two pages)
            continue
        calls = [fetch(url + u, accept, timeout) for u in urls]
        again = [fetch(url + urls[0], accept, timeout) for _ in range(repeat)]
        asked += urls + [urls[0]] * repeat
        later = [c[2] for c in calls[1:]]
        rows.append({
            "surface": name, "urls": urls, "degrees": fams[name]["degrees"],
            "status": sorted({str(c[0]) for c in calls + again}), "bytes": calls[0][1],
            "first_ms": 1000 * calls[0][2],
            "tenth_ms": 1000 * calls[9][2] if len(calls) >= 10 else None,
            "later_p50_ms": 1000 * statistics.median(later) if later else None,
            "later_p95_ms": 1000 * percentile(later, 95) if later else None,
            "distinct_ms": [1000 * c[2] for c in calls],
            "distinct_status": [c[0] for c in calls],
            "same_tenth_ms": 1000 * again[min(8, len(again) - 1)][2] if again else None,
            "same_p50_ms": 1000 * statistics.median([a[2] for a in again]) if again else None,
            "same_p95_ms": 1000 * percentile([a[2] for a in again], 95) if again else None})
    time.sleep(0.5)  # the access log's last line is written as the body closes
    entries = match_log(asked, log_entries(log, mark))
    at = 0
    for row in rows:
        mine = entries[at:at + len(row["urls"]) + repeat]
        at += len(row["urls"]) + repeat
        first = mine[:len(row["urls"])]
        row["queries"] = [(e or {}).get("queries") or [] for e in first]
        row["query_ms"] = [(e or {}).get("query_ms") for e in first]
        row["same_cache"] = [(e or {}).get("cache") for e in mine[len(row["urls"]):]]
    return rows


def first_after_start(data: Path, store: Path, log: Path, fams: dict[str, dict], rounds: int,
                      args: argparse.Namespace) -> list[dict]:
    """Per surface with ten URLs or more, ``rounds`` pairs of starts: one asks URLs 1-10
    in order, the other URL 10, then 2-9, then URL 1. So URL 1 and URL 10 are each once
    the first request after a start and once the tenth, uncached both times: the same
    URL's time first and tenth, whatever the two URLs' own costs (a family's URLs
    differ: in one store a hub's page took 350 to 680 ms by the node, the first no slower
    than a repeat). These starts cache no result (``--cache-size 0``): a family's URLs
    share queries (the rankings of one kind by two metrics name the same top nodes;
    every page of one molecule asks its description), so with the cache the tenth was
    answered in part from the earlier URLs' queries, and the start was blamed for the
    cache's gain (rank at 10^6: 10.2 ms first, 4.4 ms tenth). Each request follows
    ``args.first_gap`` seconds of quiet, the first as the tenth: a request after an idle
    second pays for waking the server's threads and processes (path at 10^6: 5.0 ms
    after each quiet second, against 2.4-3.0 ms back to back), which would otherwise
    count against the first alone."""
    out = []
    for name, accept in SURFACES:
        urls = fams[name]["urls"][:10]
        if len(urls) < 10:
            continue
        times: dict[str, dict[str, list[float]]] = {
            "url1": {"first": [], "tenth": []}, "url10": {"first": [], "tenth": []}}
        for _ in range(rounds):
            for order in (urls, [urls[9], *urls[1:9], urls[0]]):
                proc, url, _ = start_exokg(data, store, log, workers=args.workers,
                                           extra=("--cache-size", "0"))
                try:
                    calls = []
                    for u in order:
                        time.sleep(args.first_gap)
                        calls.append(fetch(url + u, accept, args.timeout))
                finally:
                    stop(proc)
                first, tenth = ("url1", "url10") if order[0] == urls[0] else ("url10", "url1")
                times[first]["first"].append(1000 * calls[0][2])
                times[tenth]["tenth"].append(1000 * calls[9][2])
        out.append({"surface": name, **times})
    return out


def time_peer(url: str, queries: list[list[str]]) -> dict | None:
    """Oxigraph server answering each URL's queries once, in the family's order."""
    if not any(queries):
        return None
    times = []
    for batch in queries:
        total = 0.0
        for query in batch:
            body = urllib.parse.urlencode({"query": query}).encode()
            request = urllib.request.Request(f"{url}/query", data=body, headers={
                "Accept": "application/sparql-results+json, application/n-triples",
                "Content-Type": "application/x-www-form-urlencoded"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    response.read()
            except (urllib.error.URLError, OSError):
                total = float("nan")
                break
            total += time.perf_counter() - started
        times.append(total)
    later = times[1:]
    return {"first_ms": 1000 * times[0],
            "tenth_ms": 1000 * times[9] if len(times) >= 10 else None,
            "p50_ms": 1000 * statistics.median(later) if later else None,
            "p95_ms": 1000 * percentile(later, 95) if later else None,
            "queries": len(queries[0])}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_scale(findings: int, args: argparse.Namespace) -> dict:
    data = Path(args.data_dir) / f"f{findings}.nt"
    if not data.is_file():
        subprocess.run([sys.executable, args.gen, "--findings", str(findings),
                        "--out", str(data)], check=True, timeout=7200)
    work = Path(tempfile.mkdtemp(prefix=f"exokg-scale-{findings}-", dir=args.work_dir))
    result: dict = {"findings": findings, "file_bytes": data.stat().st_size}
    store = Path(args.store) if args.store else work / "store"
    peer_store = Path(args.peer_store) if args.peer_store else work / "peer-store"
    try:
        if args.peer_store and peer_store.is_dir():
            result["peer"] = {"reused": str(peer_store)}
        else:
            result["peer"] = peer_load(data, peer_store, work)
        log = work / "access.log"
        version = store_version(data, store)
        built = not version.is_dir()
        result["start_watch"] = {}
        marks: dict = {}
        proc, url, first = start_exokg(data, store, log, workers=args.workers,
                                       watch=result["start_watch"], marks=marks)
        result["start_build_s" if built else "start_given_s"] = first
        result["start_sparql_s"] = marks["sparql_s"]
        result["build_log"] = [line for line in log.read_text(errors="replace").splitlines()
                               if any(k in line for k in BUILD_LINES)]
        try:
            fams = families(index_of(version), args.family)
            surfaces = measure(url, fams, log, args.repeat, args.timeout)
            exports = [(n, p) for n, p in EXPORTS if not args.no_exports and (
                not args.exports or p.rsplit("=", 1)[1] in args.exports)]
            for name, path in exports:
                status, size, seconds = fetch(url + path, timeout=args.export_timeout)
                surfaces.append({"surface": name, "path": path, "status": [str(status)],
                                 "bytes": size, "first_ms": 1000 * seconds,
                                 "seconds": seconds, "mb_per_s": size / 1e6 / seconds})
            result["rss_mb"] = rss_mb(proc.pid)
        finally:
            stop(proc)
        if args.cache_off:
            # the same families on a restart that caches no result
            proc, url, again = start_exokg(data, store, log, workers=args.workers,
                                           extra=("--cache-size", "0"))
            try:
                result["cache_off"] = measure(url, fams, log, args.repeat, args.timeout)
            finally:
                stop(proc)
        else:
            proc, url, again = start_exokg(data, store, log, workers=args.workers)
            stop(proc)
        result["start_reused_s"] = again
        # each worker's warm-up before it served (kg/cli/serve.py), from the server's log
        result["warm_up"] = [line for line in log.read_text(errors="replace").splitlines()
                             if "warmed up in" in line]
        if args.first_rounds:  # after the warm-up lines: its starts warm up too
            result["first_after_start"] = first_after_start(data, store, log, fams,
                                                            args.first_rounds, args)
        if args.oxigraph:
            port = free_port()
            peer = subprocess.Popen([args.oxigraph, "serve-read-only", "--location",
                                     str(peer_store), "--bind", f"127.0.0.1:{port}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            peer_url = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if fetch(f"{peer_url}/query?query=ASK%7B%7D", timeout=5)[0] == 200:
                        break
                    time.sleep(0.2)
                for row in surfaces:
                    if row.get("queries"):
                        row["oxigraph"] = time_peer(peer_url, row["queries"])
            finally:
                stop(peer)
        result["surfaces"] = surfaces
    finally:
        if args.keep_log and (work / "access.log").exists():
            shutil.copy(work / "access.log", args.keep_log)
        shutil.rmtree(work, ignore_errors=True)
    return result


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def markdown(results: list[dict]) -> str:
    lines = []
    for r in results:
        peer = r["peer"]
        triples = f" ({peer['triples']:,} triples)" if "triples" in peer else ""
        lines += [f"### {r['findings']:,} findings{triples}", ""]
        if "load_s" in peer:
            dump_mb_s = peer["dump_bytes"] / 1e6 / peer["dump_s"]
            lines.append(f"- pyoxigraph bulk load {peer['load_s']:.1f} s; dump "
                         f"{peer['dump_s']:.1f} s ({dump_mb_s:.0f} MB/s).")
        else:
            dump_mb_s = 0.0
            lines.append(f"- pyoxigraph's store reused ({peer['reused']}): load and dump "
                         "not measured.")
        if "start_build_s" in r:
            ratio = (f" ({r['start_build_s'] / peer['load_s']:.2f}x the bulk load)"
                     if "load_s" in peer else "")
            lines.append(f"- ExoKG every surface answering, store built: "
                         f"{r['start_build_s']:.1f} s{ratio}; restart with the store reused "
                         f"{r['start_reused_s']:.1f} s.")
            if "start_sparql_s" in r and "load_s" in peer:
                lines.append(f"- ExoKG first SPARQL answer (the loaded store served early): "
                             f"{r['start_sparql_s']:.1f} s "
                             f"({r['start_sparql_s'] / peer['load_s']:.2f}x the bulk load).")
        else:
            lines.append(f"- ExoKG first answer on the store given: {r['start_given_s']:.1f} s;"
                         f" restart {r['start_reused_s']:.1f} s.")
        w = r.get("start_watch") or {}
        if w:
            peer_cpu = (f"; pyoxigraph's bulk load: {peer['load_cpu_s']:.1f} s CPU, peak RSS "
                        f"{peer['load_peak_rss_mb']:.0f} MB" if "load_cpu_s" in peer else "")
            lines.append(f"- start, the server's process tree (polled): {w['tree_cpu_s']:.1f} s "
                         f"CPU, of it {w['exited_cpu_s']:.1f} s in processes that exited (the "
                         f"build children); peak RSS of one exited process "
                         f"{w['exited_peak_rss_mb']:.0f} MB, of the tree summed "
                         f"{w['peak_tree_rss_mb']:.0f} MB{peer_cpu}.")
        if r.get("build_log"):
            lines.append("- build log: " + "; ".join(
                line.split(": ", 1)[-1] for line in r["build_log"]))
        if r.get("load"):
            lines.append(f"- load average (1/5/15 min) at start {r['load']['start']['loadavg']}"
                         f" ({r['load']['start']['at']}), at end {r['load']['end']['loadavg']}"
                         f" ({r['load']['end']['at']}).")
        lines += ["- workers' warm-up: " + "; ".join(
                      line.removeprefix("exokg: ") for line in r.get("warm_up", [])),
                  "- RSS (MB) after the run: " + ", ".join(
                      f"{k} {v}" for k, v in r.get("rss_mb", {}).items()), "",
                  "| surface | status | bytes | first ms (URL 1) | 10th ms (URL 10) | "
                  "URLs 2-N p50 / p95 ms | same URL: 10th, p50 / p95 ms (cached) | "
                  "query ms URL 1 / 10 | Oxigraph URL 1 / 10, 2-N p50 / p95 ms (queries) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        exports = []
        for s in r["surfaces"]:
            if "mb_per_s" in s:
                exports.append(s)
                continue
            ox = s.get("oxigraph")
            peer_cell = (f"{_ms(ox['first_ms'])} / {_ms(ox['tenth_ms'])}, "
                         f"{_ms(ox['p50_ms'])} / {_ms(ox['p95_ms'])} ({ox['queries']})"
                         if ox else "none issued")
            qms = s.get("query_ms") or []
            q_cell = (f"{_ms(qms[0])} / {_ms(qms[9] if len(qms) >= 10 else None)}"
                      if any(s.get("queries") or []) else "")
            degrees = s.get("degrees") or []
            label = s["surface"] + (f" (degree {degrees[0]} / {degrees[9]})"
                                    if len(degrees) >= 10 else "")
            later = (f"{_ms(s['later_p50_ms'])} / {_ms(s['later_p95_ms'])}"
                     if s["later_p50_ms"] is not None else "one URL")
            lines.append(f"| {label} | {', '.join(s['status'])} | {s['bytes']:,} | "
                         f"{_ms(s['first_ms'])} | {_ms(s['tenth_ms'])} | {later} | "
                         f"{_ms(s['same_tenth_ms'])}, {_ms(s['same_p50_ms'])} / "
                         f"{_ms(s['same_p95_ms'])} | {q_cell} | {peer_cell} |")
        if r.get("cache_off"):
            lines += ["", "Result cache off (`--cache-size 0`), a restart, the same URLs:", "",
                      "| surface | first ms (URL 1) | 10th ms (URL 10) | URLs 2-N p50 / p95 ms |"
                      " same URL, uncached: 10th, p50 / p95 ms | query ms URL 1 / 10 |",
                      "|---|---|---|---|---|---|"]
            for s in r["cache_off"]:
                qms = s.get("query_ms") or []
                q_cell = (f"{_ms(qms[0])} / {_ms(qms[9] if len(qms) >= 10 else None)}"
                          if any(s.get("queries") or []) else "")
                later = (f"{_ms(s['later_p50_ms'])} / {_ms(s['later_p95_ms'])}"
                         if s["later_p50_ms"] is not None else "one URL")
                lines.append(f"| {s['surface']} | {_ms(s['first_ms'])} | {_ms(s['tenth_ms'])}"
                             f" | {later} | {_ms(s['same_tenth_ms'])}, {_ms(s['same_p50_ms'])}"
                             f" / {_ms(s['same_p95_ms'])} | {q_cell} |")
        if r.get("first_after_start"):
            lines += ["", "The same URL as the first request after a start and as the tenth "
                      "(`--first-rounds`: starts in pairs that cache no result, URLs 1-10 in "
                      "order, then URL 10, 2-9, 1; `--first-gap` seconds of quiet before "
                      "each request), ms per start; the medians:", "",
                      "| surface | URL 1 first | URL 1 tenth | URL 10 first | URL 10 tenth | "
                      "median first / tenth (URL 1; URL 10) | first no slower | "
                      "first within the tenth's spread |",
                      "|---|---|---|---|---|---|---|---|"]
            for s in r["first_after_start"]:
                med = {(u, k): statistics.median(s[u][k]) for u in ("url1", "url10")
                       for k in ("first", "tenth")}
                ok = all(med[(u, "first")] <= med[(u, "tenth")] for u in ("url1", "url10"))
                # a start's own cost shows as a first slower than every tenth of the URL;
                # a median above the tenths' median alone is within one URL's spread
                # between two starts (path at 10^6: 25.8 and 8.2 ms first)
                within = all(med[(u, "first")] <= max(s[u]["tenth"]) for u in ("url1", "url10"))
                cells = " | ".join(", ".join(_ms(v) for v in s[u][k])
                                   for u in ("url1", "url10") for k in ("first", "tenth"))
                lines.append(f"| {s['surface']} | {cells} | {_ms(med[('url1', 'first')])} / "
                             f"{_ms(med[('url1', 'tenth')])}; {_ms(med[('url10', 'first')])} / "
                             f"{_ms(med[('url10', 'tenth')])} | {'yes' if ok else 'no'} | "
                             f"{'yes' if within else 'no'} |")
        if exports:
            lines += ["", "| export | status | bytes | ms | throughput |", "|---|---|---|---|---|"]
        for s in exports:
            # two ratios: bytes per second (a network file is smaller than the N-Triples
            # dump), and the dump's time over the export's (the same graph read)
            ratio = (f" = {s['mb_per_s'] / dump_mb_s:.2f}x dump, "
                     f"{peer['dump_s'] / s['seconds']:.2f}x by time" if dump_mb_s else "")
            lines.append(f"| {s['surface']} | {', '.join(s['status'])} | {s['bytes']:,} | "
                         f"{s['first_ms']:.0f} | {s['mb_per_s']:.1f} MB/s{ratio} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--gen", default="../shared/bench/gen.py",
                        help="the peers' generator (used when a data file is missing)")
    parser.add_argument("--data-dir", default=tempfile.gettempdir())
    parser.add_argument("--work-dir", default=tempfile.gettempdir())
    parser.add_argument("--store", metavar="DIR",
                        help="ExoKG's store folder, kept: a store it holds for the same data "
                             "and code is reused, not built (one size per run)")
    parser.add_argument("--peer-store", metavar="DIR",
                        help="pyoxigraph's store of the data, kept; reused when it exists "
                             "(its load and dump then not measured; one size per run)")
    parser.add_argument("--oxigraph", help="Oxigraph server binary (pip install oxigraph)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--family", type=int, default=12,
                        help="distinct URLs per surface (at least 10 for a tenth)")
    parser.add_argument("--repeat", type=int, default=20, help="calls of URL #1 afterwards")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds a request may take in all")
    parser.add_argument("--export-timeout", type=float, default=1800,
                        help="seconds an export may take in all (then cut)")
    parser.add_argument("--no-exports", action="store_true")
    parser.add_argument("--exports", nargs="+", metavar="FORMAT",
                        help="only these export formats (ntriples graphml gexf csv ...)")
    parser.add_argument("--keep-log", metavar="FILE",
                        help="copy the servers' log (build lines, access log) here")
    parser.add_argument("--first-rounds", type=int, default=0, metavar="N",
                        help="also time URL 1 and URL 10 of each family as the first request "
                             "after a start and as the tenth, in N pairs of starts")
    parser.add_argument("--first-gap", type=float, default=1.0, metavar="SECONDS",
                        help="quiet before each request of --first-rounds (default 1)")
    parser.add_argument("--cache-off", action="store_true",
                        help="also measure the families on a restart with --cache-size 0")
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--markdown", help="write the Markdown tables here")
    args = parser.parse_args(argv)
    if (args.store or args.peer_store) and len(args.findings) > 1:
        parser.error("--store and --peer-store hold one size: give one --findings")
    results = []
    for findings in args.findings:
        before = load_now()
        results.append(run_scale(findings, args))
        results[-1]["load"] = {"start": before, "end": load_now()}
        print(markdown(results[-1:]), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1))
    if args.markdown:
        Path(args.markdown).write_text(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
