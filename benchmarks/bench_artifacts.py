"""The store build (load, artifacts, statistics) beside pyoxigraph's bulk load; search latency.

Usage (data from ``../shared/bench/gen.py``; stores under /tmp, removed after)::

    python benchmarks/bench_artifacts.py /tmp/bench/f100000.nt --work /tmp/sb-bench/w1e5 \\
        [--runs 2] [--json /tmp/sb-bench/w1e5.json] [--search] [--keep] [--served] \\
        [--python /tmp/venv-main/bin/python --python /tmp/venv-branch/bin/python]

Each run, in fresh processes one after the other: pyoxigraph's bulk load of the file alone
(``Store(tmp).bulk_load(path=FILE)``, ``flush()``), then the store build
(``exokg.store.prepare_store(work, data_files=[FILE])``: what ``exokg serve --data`` does
for data under its ``EARLY_TRIPLES`` setting; with ``--served``, what it does at or above
it: a copy of the loaded store served early, the facets' input serialised beside the load
at the lowest priority). The build's phases come from its own log records (bulk load, each
step of the index artifact, each artifact, statistics), each with the CPU seconds and peak
RSS of the process that logged it (the build runs in a child process, the facets beside it
in a second one: ``process`` names which). The build's total CPU is the caller's plus its
children's (``RUSAGE_CHILDREN``: the build process and the one beside it); its peak RSS is
the caller's (what a server's master keeps) and the largest child's. With ``--search``,
the search latency over the built index (the miR-21 spellings, short prefixes, 20 random
entities; through the process's pooled connection, as a server reads it: the first call
opens the file, the next ones reuse it, so these numbers are not comparable with session
5's, which opened the file per call).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

_BULK = """
import json, resource, sys, time, pyoxigraph as ox
t, c = time.perf_counter(), time.process_time()
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES)
store.flush()
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "triples": len(store)}))
"""

_BUILD = """
import json, logging, resource, sys, time
events = []
t0, c0 = time.perf_counter(), time.process_time()

class Record(logging.Handler):
    def emit(self, record):
        events.append({"logger": record.name, "message": record.getMessage(),
                       "process": record.processName,
                       "wall": round(time.perf_counter() - t0, 2),
                       "cpu": round(getattr(record, "child_cpu", time.process_time() - c0), 2),
                       "peak_rss_mb": round(getattr(record, "child_peak_rss_mb", resource.getrusage(
                           resource.RUSAGE_SELF).ru_maxrss / 1024))})

logging.getLogger("exokg").addHandler(Record())
logging.getLogger("exokg").setLevel(logging.INFO)
from exokg.build_format import build_digests
from exokg.store import prepare_store
from exokg.store_dir import EARLY_PREFIX
from pathlib import Path
# served: as `exokg serve --data` builds, a copy of the loaded store served early
served = sys.argv[3] == "served"
info = prepare_store(sys.argv[1], data_files=[sys.argv[2]], loaded_copy=(
    Path(sys.argv[1]) / (EARLY_PREFIX + "bench") if served else None))
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
children = resource.getrusage(resource.RUSAGE_CHILDREN)
digests = build_digests(info.folder)  # after the clock: what was built, not its time
print(json.dumps({"wall": wall, "cpu": cpu + children.ru_utime + children.ru_stime,
                  "caller_cpu": cpu,
                  "peak_rss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                     children.ru_maxrss) / 1024,
                  "caller_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "triples": info.triples, "folder": info.folder, "digests": digests,
                  "events": events}))
"""


def _child(code: str, *args: str, python: str = sys.executable) -> dict:
    out = subprocess.run([python, "-c", code, *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def _bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _search_latency(folder: Path, repeat: int) -> dict:
    from exokg.index import load_adjacency, search

    adj = load_adjacency(folder)
    rng = random.Random(0)
    sample = [adj.iri(rng.randrange(adj.n)) for _ in range(20)]
    queries = ["hsa-miR-21-5p", "MIR21", "miR21", "mir-21", "let-7", "mir-1", "LINC0001",
               "hepatocellular", "serum", "circ", "PROT12", "m"]
    queries += [iri.rsplit("/", 1)[-1] for iri in sample]
    times = []
    for _ in range(repeat):
        for q in queries:
            start = time.perf_counter()
            search(folder, q)
            times.append(1000 * (time.perf_counter() - start))
    times.sort()
    return {"queries": len(times), "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
            "max_ms": round(times[-1], 2),
            "first_hit_hsa-miR-21-5p": search(folder, "hsa-miR-21-5p")[0].label}


def run(data: Path, work: Path, *, search: bool, keep: bool, repeat: int,
        python: str = sys.executable, served: bool = False) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    bulk = _child(_BULK, str(work / "bulk"), str(data))
    bulk["store_bytes"] = _bytes(work / "bulk")
    shutil.rmtree(work / "bulk")
    build = _child(_BUILD, str(work / "stores"), str(data), "served" if served else "direct",
                   python=python)
    folder = Path(build.pop("folder"))
    build["store_bytes"] = _bytes(folder / "oxigraph")
    build["artifact_bytes"] = {p.name: _bytes(p) if p.is_dir() else p.stat().st_size
                               for p in (folder / "artifacts" / "index").iterdir()}
    result = {"data": str(data), "python": python, "served": served, "bulk_load": bulk,
              "build": build,
              "ratio_wall": round(build["wall"] / bulk["wall"], 2),
              "ratio_cpu": round(build["cpu"] / bulk["cpu"], 2)}
    if search:
        result["search"] = _search_latency(folder / "artifacts" / "index", repeat)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--work", type=Path, required=True, help="a scratch folder (removed)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--search", action="store_true", help="measure search latency too")
    parser.add_argument("--repeat", type=int, default=5, help="search rounds")
    parser.add_argument("--keep", action="store_true", help="keep the built store")
    parser.add_argument("--served", action="store_true",
                        help="build as `exokg serve --data` does at EARLY_TRIPLES or more: "
                             "a copy of the loaded store served early (the default: as it "
                             "does below)")
    parser.add_argument("--python", action="append", default=[],
                        help="build with this interpreter (repeat it to alternate builds of "
                             "two checkouts, each after its own bulk load; the digests of "
                             "what they built are compared)")
    args = parser.parse_args()
    results = []
    pythons = args.python or [sys.executable]
    for i in range(args.runs):
        python = pythons[i % len(pythons)]
        result = run(args.data, args.work, search=args.search, keep=args.keep,
                     repeat=args.repeat, python=python, served=args.served)
        results.append(result)
        bulk, build = result["bulk_load"], result["build"]
        print(f"run {i + 1} ({python}): bulk load {bulk['wall']:.1f} s (cpu {bulk['cpu']:.1f} s, "
              f"peak {bulk['peak_rss_mb']:.0f} MB); build {build['wall']:.1f} s (cpu "
              f"{build['cpu']:.1f} s, peak {build['peak_rss_mb']:.0f} MB, caller's peak "
              f"{build['caller_rss_mb']:.0f} MB); ratio "
              f"{result['ratio_wall']} wall, {result['ratio_cpu']} cpu", flush=True)
        for event in build["events"]:
            print(f"  {event['wall']:8.2f} s  cpu {event['cpu']:8.2f} s  "
                  f"{event['peak_rss_mb']:6d} MB  {event['process']:28s} "
                  f"{event['logger']}: {event['message']}", flush=True)
        if "search" in result:
            print("  search:", json.dumps(result["search"]), flush=True)
        print("  digests:", json.dumps(build["digests"], sort_keys=True), flush=True)
    if len({json.dumps(r["build"]["digests"], sort_keys=True) for r in results}) > 1:
        print("the builds' digests DIFFER", flush=True)
    elif len(results) > 1:
        print("the builds' digests are equal", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
