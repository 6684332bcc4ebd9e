"""Benchmark the networkx side: projection, neighborhood, paths, exports, and HTTP.

Data come from the peer benchmark kit's generator (``shared/bench/gen.py``, run by
path, never copied), so the figures compare with the SPARQL ones::

    python benchmarks/bench_graph.py --gen ../shared/bench/gen.py \\
        --sizes 1000 10000 100000 --out benchmarks/RESULTS-graph.md

For each size: load the N-Triples into rdflib, build the projection (entities, and with
findings), a depth-2 neighborhood of ``miR-21`` (the generator's most connected molecule;
unlimited, and with the HTTP default of 500 nodes), the 3 shortest paths miR-122 -> miR-21,
the evidence summary of miR-21, every export of the registry (the whole entity graph; SVG
of the depth-2 neighborhood, as SVG is capped at 3,000 nodes), and over HTTP (a real
threaded werkzeug server on 127.0.0.1) the median of 50 depth-2 neighborhood requests.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import networkx as nx
from exokg.algorithms import evidence, k_shortest_paths, neighborhood
from exokg.io import export, graph_format_names
from exokg.network import project
from rdflib import Graph

HERE = Path(__file__).resolve().parent


def timed(func, *args, repeat: int = 1, **kwargs):
    """(median seconds, last result) of ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def generate(gen: Path, n: int, folder: Path) -> Path:
    path = folder / f"bench-{n}.nt"
    if not path.exists():
        subprocess.run([sys.executable, str(gen), "--findings", str(n), "--seed", "42",
                        "--out", str(path)], check=True)
    return path


def serve(graph: Graph):
    """A real HTTP server (werkzeug, threaded) over the app with this graph."""
    import logging

    import exokg.server as exokg_server
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # the graph API alone, over the in-memory graph (not the SPARQL service's store)
    exokg_server.BLUEPRINT_MODULES = ("exokg.server.errors", "exokg.server.api")
    app = exokg_server.create_app({"TESTING": False})
    app.extensions["exokg_graph"] = graph
    app.extensions["exokg_graph_version"] = f"bench-{len(graph)}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def http_median(base: str, path: str, params: dict, n: int = 50) -> tuple[float, float, int]:
    import requests

    session = requests.Session()
    first = session.get(base + path, params=params, timeout=600)  # builds the projection
    first.raise_for_status()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = session.get(base + path, params=params, timeout=60)
        response.raise_for_status()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(response.content)


def bench_size(gen: Path, n: int, folder: Path, *, http: bool) -> dict:
    row: dict = {"findings": n}
    path = generate(gen, n, folder)
    row["load_s"], graph = timed(lambda: Graph().parse(path, format="nt"))
    row["triples"] = len(graph)
    row["project_s"], G = timed(project, graph)
    row["project_findings_s"], GF = timed(project, graph, findings=True)
    row["nodes"], row["edges"] = G.number_of_nodes(), G.number_of_edges()
    gc.collect()
    gc.freeze()  # as the server does after a build: long-lived graphs out of the GC's way
    repeat = 5
    row["nbhd2_full_s"], H = timed(neighborhood, G, "miR-21", depth=2, repeat=repeat)
    row["nbhd2_full_nodes"] = H.number_of_nodes()
    row["nbhd2_500_s"], H500 = timed(neighborhood, G, "miR-21", depth=2, limit=500,
                                     repeat=repeat)
    k_shortest_paths(G, "miR-122", "miR-21", k=1)  # builds the undirected view once
    row["paths3_s"], _ = timed(k_shortest_paths, G, "miR-122", "miR-21", k=3, repeat=repeat)
    row["evidence_s"], _ = timed(evidence, GF, "miR-21", repeat=repeat)
    exports = {}
    for name in graph_format_names():
        source = H500 if name == "svg" else G
        seconds, data = timed(export, source, name)
        exports[name] = {"s": seconds, "bytes": len(data), "of": "nbhd-500" if name == "svg"
                         else "entity graph"}
    row["exports"] = exports
    if http:
        server, base = serve(graph)
        try:
            med, p95, size = http_median(base, "/api/neighborhood",
                                         {"node": "miR-21", "depth": 2})
            row["http_nbhd2_median_ms"], row["http_nbhd2_p95_ms"] = 1000 * med, 1000 * p95
            row["http_nbhd2_bytes"] = size
            med, p95, _ = http_median(base, "/api/path",
                                      {"source": "miR-122", "target": "miR-21", "k": 3})
            row["http_path3_median_ms"] = 1000 * med
        finally:
            server.shutdown()
    del graph, G, GF
    return row


def markdown(rows: list[dict]) -> str:
    def ms(s):
        return f"{1000 * s:,.1f}"

    lines = [
        "# Graph benchmarks (networkx projection, queries, exports)",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"networkx {nx.__version__}; data from `shared/bench/gen.py --seed 42` "
        "(Zipf-skewed; content 0 is miR-21). The heap is frozen (`gc.freeze`) after the "
        "projections are built, as the server does. Times are medians of 5 runs (queries) or one "
        "run (load, projection, exports); HTTP: median and p95 of 50 sequential GETs to a "
        "threaded werkzeug server on 127.0.0.1, after one warm-up request.",
        "",
        "## Projection and queries",
        "",
        "| findings | triples | load rdflib (s) | projection (s) | projection with findings (s)"
        " | nodes | edges | depth-2 nbhd, all (ms) | nodes | depth-2 nbhd, 500 (ms) "
        "| 3 shortest paths (ms) | evidence miR-21 (ms) | HTTP depth-2 nbhd median / p95 (ms) "
        "| HTTP 3 paths median (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        http = (f"{r['http_nbhd2_median_ms']:.1f} / {r['http_nbhd2_p95_ms']:.1f}"
                if "http_nbhd2_median_ms" in r else "-")
        path_http = f"{r['http_path3_median_ms']:.1f}" if "http_path3_median_ms" in r else "-"
        lines.append(
            f"| {r['findings']:,} | {r['triples']:,} | {r['load_s']:.1f} | "
            f"{r['project_s']:.2f} | {r['project_findings_s']:.2f} | {r['nodes']:,} | "
            f"{r['edges']:,} | {ms(r['nbhd2_full_s'])} | {r['nbhd2_full_nodes']:,} | "
            f"{ms(r['nbhd2_500_s'])} | {ms(r['paths3_s'])} | {ms(r['evidence_s'])} | "
            f"{http} | {path_http} |")
    names = list(rows[0]["exports"])
    lines += ["", "## Exports of the whole entity graph (SVG: the 500-node depth-2 "
              "neighborhood), seconds (size)", "",
              "| format | " + " | ".join(f"{r['findings']:,} findings" for r in rows) + " |",
              "|---|" + "---|" * len(rows)]
    for name in names:
        cells = [f"{r['exports'][name]['s']:.2f} ({r['exports'][name]['bytes'] / 1e6:.1f} MB)"
                 for r in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gen", type=Path, default=HERE.parent.parent / "shared" / "bench" /
                        "gen.py", help="the generator (shared/bench/gen.py)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/exokg-bench"))
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS-graph.md")
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        row = bench_size(args.gen, n, args.data_dir, http=not args.no_http)
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
        args.out.write_text(markdown(rows), encoding="utf-8")
        (args.data_dir / "results-graph.json").write_text(json.dumps(rows, indent=1),
                                                          encoding="utf-8")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
