"""Build time, bytes and peak memory of the store's artifacts; search latency.

Usage (a store bulk-loaded from ``../shared/bench/gen.py`` output, under /tmp)::

    python benchmarks/bench_artifacts.py --store /tmp/si-bench/store1e5 \\
        --out /tmp/si-bench/art1e5 --json /tmp/si-bench/art1e5.json

Each builder runs in turn in this process, as the store build runs them; the peak RSS
is ``resource.getrusage`` after each. The metrics builder adds its named graph to the
store (re-running adds the same quads again, which changes nothing).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import shutil
import statistics
import time
from pathlib import Path

import pyoxigraph as ox
from exokg.index import BUILDERS, load_adjacency, search


def _bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() \
        else path.stat().st_size


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--json")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--search-only", action="store_true",
                        help="measure the search of artifacts built before")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    out = Path(args.out)
    if not args.search_only:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
    store = ox.Store.read_only(args.store) if args.search_only else ox.Store(args.store)
    result: dict = {"store": args.store, "triples": len(store), "rss_open_mb": _rss_mb()}
    artifact = {"build_adjacency": out / "adjacency", "build_metrics": out / "metrics",
                "build_search_index": out / "search.sqlite"}
    for build in () if args.search_only else BUILDERS:
        start = time.perf_counter()
        build(store, out)
        name = build.__name__
        result[name] = {"seconds": round(time.perf_counter() - start, 2),
                        "bytes": _bytes(artifact[name]), "peak_rss_mb": round(_rss_mb())}
        print(name, result[name], flush=True)
    adj = load_adjacency(out)
    result["nodes"] = adj.n
    result["edges"] = int(adj.out_indptr[-1])
    rng = random.Random(0)
    sample = [adj.iri(rng.randrange(adj.n)) for _ in range(20)]
    queries = ["hsa-miR-21-5p", "MIR21", "miR21", "mir-21", "let-7", "mir-1", "LINC0001",
               "hepatocellular", "serum", "circ", "PROT12", "m"]
    queries += [iri.rsplit("/", 1)[-1] for iri in sample]
    times = []
    for _ in range(args.repeat):
        for q in queries:
            start = time.perf_counter()
            search(out, q)
            times.append(1000 * (time.perf_counter() - start))
    times.sort()
    result["search_ms"] = {"queries": len(times), "p50": round(statistics.median(times), 2),
                           "p95": round(times[int(0.95 * (len(times) - 1))], 2),
                           "max": round(times[-1], 2)}
    result["first_hit_mir21"] = search(out, "hsa-miR-21-5p")[0].label
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
