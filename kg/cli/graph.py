"""``exokg search|neighbors|path|rank|evidence|conflicts|export``: the graph queries and files."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from exokg.cli._input import read_text_file
from exokg.cli._output import write_output, write_stream
from exokg.formats import GRAPH_KINDS, format_names, get_format
from exokg.terminal import aligned, printable

if TYPE_CHECKING:
    from exokg.config import Config
    from exokg.sparql import SparqlService
    from exokg.store_source import StoreSource

__all__ = ["register"]

_RAW = argparse.RawDescriptionHelpFormatter


def _source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", metavar="DIR", action="append", default=[],
                        help="a folder of your own records, added to the review's")
    # one file per --data, repeated for more: a list would swallow the node that follows
    parser.add_argument("--data", metavar="FILE", action="append", default=[],
                        help="an RDF file to use instead of the bundled graph (Turtle, "
                             "N-Triples, JSON-LD ...); repeat --data for more files")


def _store(parser: argparse.ArgumentParser) -> None:
    _source(parser)
    parser.add_argument("--store", metavar="DIR",
                        help="store folder (default: ~/.cache/exokg/store); the query reads "
                             "it and the indexes built with it, never the whole graph")


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", choices=["table", "json"], default="table",
                        help="a table for people (default) or JSON (as the HTTP API gives)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "search", help="find entities by label, alternative label or CURIE",
        description="Search entities by label, alternative label (hsa-miR-21), CURIE or "
                    "external xref, case-insensitive, best match first.",
        epilog="examples:\n  exokg search mir-21\n  exokg search hcc --type Disease\n"
               "  exokg search let-7 --output json", formatter_class=_RAW)
    p.add_argument("q", help="text to look for")
    p.add_argument("--type", action="append", help="only this kind (MicroRNA, Disease ...)")
    p.add_argument("--limit", type=int, default=20)
    _store(p)
    _output(p)
    p.set_defaults(func=_search)

    p = subparsers.add_parser(
        "neighbors", help="everything within N steps of a node (its neighborhood)",
        description="The neighborhood (ego graph) of a node, given as IRI, CURIE or label: "
                    "every node within --depth steps and the edges among them.",
        epilog="examples:\n  exokg neighbors miR-21\n  exokg neighbors miR-21 --depth 2\n"
               "  exokg neighbors exoid:disease/hcc --types MicroRNA --direction in\n"
               "  exokg neighbors miR-638 --findings --output json",
        formatter_class=_RAW)
    p.add_argument("node", help="IRI, CURIE (exoid:content/mir-21) or label (miR-21)")
    p.add_argument("--depth", type=int, default=1, help="1 to 3 steps (default 1)")
    p.add_argument("--predicates", help="comma-separated predicates to follow "
                                        "(upregulatedIn,citedIn ...)")
    p.add_argument("--types", help="comma-separated kinds to enter (MicroRNA,Disease ...)")
    p.add_argument("--direction", choices=["both", "out", "in"], default="both")
    p.add_argument("--limit", type=int, default=None, help="at most this many nodes")
    p.add_argument("--findings", action="store_true", help="include Findings as nodes")
    _store(p)
    _output(p)
    p.set_defaults(func=_neighbors)

    p = subparsers.add_parser(
        "path", help="how two nodes connect: the k shortest paths",
        description="The k shortest simple paths between two nodes (edges walked either "
                    "way), each step with its predicate and direction.",
        epilog="examples:\n  exokg path miR-122 miR-21\n  exokg path miR-122 miR-21 -k 5\n"
               "  exokg path miR-122 miR-21 --types Reference,Disease --output json",
        formatter_class=_RAW)
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("-k", type=int, default=3, help="number of paths, 1 to 10 (default 3)")
    p.add_argument("--predicates", help="comma-separated predicates to walk")
    p.add_argument("--types", help="comma-separated kinds to pass through")
    _store(p)
    _output(p)
    p.set_defaults(func=_path)

    p = subparsers.add_parser(
        "rank", help="the top entities by a centrality or by number of studies",
        description="Rank entities by degree, PageRank, betweenness (on the undirected "
                    "graph) or studies (distinct references citing them).",
        epilog="examples:\n  exokg rank\n  exokg rank --metric studies --type MicroRNA\n"
               "  exokg rank --metric pagerank --limit 5 --output json",
        formatter_class=_RAW)
    p.add_argument("--metric", choices=["degree", "pagerank", "betweenness", "studies"],
                   default="degree")
    p.add_argument("--type", action="append", help="only this kind (repeatable)")
    p.add_argument("--limit", type=int, default=20)
    _store(p)
    _output(p)
    p.set_defaults(func=_rank)

    p = subparsers.add_parser(
        "evidence", help="the evidence for a molecule, grouped by disease and role",
        description="The findings of a molecule grouped by disease and role: studies, "
                    "total n, directions, and a conflict flag when studies disagree.",
        epilog="examples:\n  exokg evidence miR-638\n  exokg evidence miR-21 --output json",
        formatter_class=_RAW)
    p.add_argument("node")
    _store(p)
    _output(p)
    p.set_defaults(func=_evidence)

    p = subparsers.add_parser(
        "conflicts", help="molecules whose studies disagree on their direction",
        description="Every molecule reported up in one study and down in another, for "
                    "the same disease.",
        epilog="examples:\n  exokg conflicts\n  exokg conflicts --output json",
        formatter_class=_RAW)
    _store(p)
    _output(p)
    p.set_defaults(func=_conflicts)

    p = subparsers.add_parser(
        "export", help="write the graph, a neighborhood or a CONSTRUCT result as a file",
        description="Write the whole graph, a neighborhood (--node, --depth) or the result "
                    "of a SPARQL CONSTRUCT (--construct) in any graph format of the "
                    "registry: " + ", ".join(format_names(*GRAPH_KINDS)),
        epilog="examples:\n  exokg export --format graphml --out exokg.graphml\n"
               "  exokg export --format cytoscape --node miR-21 --depth 2 --out mir21.cyjs\n"
               "  exokg export --format kgx --out exokg-kgx.zip\n"
               "  exokg export --format svg --node miR-638 > mir638.svg\n"
               "  exokg export --format gexf --construct query.rq --out result.gexf",
        formatter_class=_RAW)
    p.add_argument("--format", required=True,
                   help="a graph format's name, alias or media type (csv: the edge list)")
    p.add_argument("--node", help="export the neighborhood of this node")
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--findings", action="store_true",
                   help="include Findings as nodes (a --construct result keeps what it holds)")
    p.add_argument("--construct", metavar="FILE", help="a SPARQL CONSTRUCT query; export "
                                                       "its result, every statement")
    p.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    _store(p)
    p.set_defaults(func=_export)


# ---------------------------------------------------------------- helpers

def _config(args: argparse.Namespace) -> Config:
    """The settings of a command's local service: one executor, no in-memory copy (one
    query would not repay it), the inputs and store folder of its flags."""
    from exokg.config import Config

    config: dict[str, object] = {"EXECUTORS": 1, "MEMORY_TRIPLES": 0,
                                 "RECORDS_DIRS": args.records}
    if args.data:
        config["DATA_FILES"] = args.data
    if getattr(args, "store", None):
        config["STORE_DIR"] = args.store
    return Config.load(config)


@contextlib.contextmanager
def _local_service(args: argparse.Namespace) -> Iterator[SparqlService]:
    """The store of these inputs (built on first use, then reused) behind a local SPARQL
    service with the server's limits: the one way the commands read it."""
    from exokg.sparql import SparqlService

    service = SparqlService(_config(args))
    try:
        yield service
    finally:
        service.close()


@contextlib.contextmanager
def _store_source(args: argparse.Namespace, *, findings: bool = False
                  ) -> Iterator[StoreSource]:
    """The store as the graph queries read it: bounded SPARQL and the indexes built
    with the store."""
    from exokg.store_source import StoreSource, index_folder

    with _local_service(args) as service:
        yield StoreSource(service, findings=findings, artifacts=index_folder(service.info))


def _split(text: str | None) -> list[str] | None:
    return [p.strip() for p in text.split(",") if p.strip()] if text else None


def _json(data) -> int:
    from exokg.io._values import finite

    # JSON has no NaN: a literal "NaN"^^xsd:double is null, as the API writes it
    sys.stdout.write(printable(json.dumps(finite(data), indent=2, ensure_ascii=False),
                               keep="\n"))
    sys.stdout.write("\n")
    return 0


def _table(rows: list[list], header: list[str]) -> int:
    for line in aligned(rows, header):
        print(line)
    return 0


# ---------------------------------------------------------------- commands

def _search(args: argparse.Namespace) -> int:
    from exokg.algorithms import search

    with _store_source(args) as source:
        hits = search(source, args.q, types=args.type, limit=args.limit)
    if args.output == "json":
        return _json({"q": args.q, "count": len(hits), "results": hits})
    return _table([[h["score"], h["label"], h["kind"], h["curie"]] for h in hits],
                  ["score", "label", "kind", "curie"])


def _neighbors(args: argparse.Namespace) -> int:
    from exokg.algorithms import neighborhood
    from exokg.network import graph_json, node_json

    with _store_source(args, findings=args.findings) as source:
        H = neighborhood(source, args.node, depth=args.depth,
                         predicates=_split(args.predicates), types=_split(args.types),
                         direction=args.direction, limit=args.limit)
    if args.output == "json":
        return _json({"center": node_json(H, H.graph["center"]), "depth": args.depth,
                      "truncated": H.graph["truncated"], **graph_json(H)})
    rows = sorted(([d["depth"], d["label"], d["kind"], d["curie"]]
                   for _, d in H.nodes(data=True)), key=lambda r: (r[0], r[2], r[1]))
    _table(rows, ["depth", "label", "kind", "curie"])
    print(f"\n{H.number_of_nodes()} nodes, {H.number_of_edges()} edges"
          + (" (truncated)" if H.graph["truncated"] else ""))
    return 0


def _path(args: argparse.Namespace) -> int:
    from exokg.algorithms import k_shortest_paths

    with _store_source(args) as source:
        paths = k_shortest_paths(source, args.source, args.target, k=args.k,
                                 predicates=_split(args.predicates), types=_split(args.types))
    if args.output == "json":
        return _json({"source": args.source, "target": args.target, "count": len(paths),
                      "truncated": paths.truncated, "paths": paths})
    if not paths:
        print(printable(f"no path between {args.source} and {args.target}"))
        return 1
    labels = {n["id"]: n["label"] for p in paths for n in p["nodes"]}
    for i, p in enumerate(paths, start=1):
        text = labels[p["nodes"][0]["id"]]
        for node, step in zip(p["nodes"][1:], p["steps"], strict=True):
            pred = "|".join(s.split(":")[-1] for s in step["predicates"])
            arrow = f" -[{pred}]-> " if step["direction"] == "forward" else f" <-[{pred}]- "
            text += arrow + labels[node["id"]]
        print(printable(f"{i}. ({p['length']}) {text}"))
    return 0


def _rank(args: argparse.Namespace) -> int:
    from exokg.algorithms import rank

    with _store_source(args) as source:
        rows = rank(source, args.metric, types=args.type, limit=args.limit)
    if args.output == "json":
        return _json({"metric": args.metric, "count": len(rows), "results": rows})
    return _table([[r["rank"], r["score"], r["label"], r["kind"], r["curie"]] for r in rows],
                  ["rank", args.metric, "label", "kind", "curie"])


def _evidence(args: argparse.Namespace) -> int:
    from exokg.facets import evidence_answer, evidence_node, store_facets
    from exokg.store_source import StoreSource, index_folder

    with _local_service(args) as service:
        facets = store_facets(service.info)
        source = StoreSource(service, artifacts=index_folder(service.info))
        node = evidence_node(source, facets, args.node)
        count = facets.content_evidence(node)[0]
        # the command line lists every finding: one page as long as the list
        ev = evidence_answer(service, facets, node, size=max(count, 1))
    if args.output == "json":
        return _json(ev)
    node = ev["node"]
    print(printable(f"{node['label']} ({node['kind']}, {node['curie']}): {ev['count']} "
                    f"findings, {ev['studies']} studies, total n = {ev['total_n']}, "
                    f"directions {_reported(ev['directions']) or '-'}"))
    print()
    _table([[g["disease"], g["role"], g["count"], g["studies"], g["total_n"],
             " ".join(f"{k}:{v}" for k, v in _reported(g["directions"]).items())]
            for g in ev["groups"]],
           ["disease", "role", "findings", "studies", "total n", "directions"])
    print()
    _table([[f["table"], f["row"], "/".join(f["expression"]), f["ref_number"],
             f["sample_size"], f["function"]] for f in ev["findings"]],
           ["table", "row", "direction", "ref", "n", "function"])
    for c in ev["conflicts"]:
        print()
        print(printable(f"CONFLICT in {c['disease']}: up in ref {c['up']}, down in ref "
                        f"{c['down']}"))
    return 0


def _reported(directions: dict[str, int]) -> dict[str, int]:
    """The directions some finding reports (the summary lists both, zeros included)."""
    return {k: v for k, v in directions.items() if v}


def _conflicts(args: argparse.Namespace) -> int:
    from exokg.facets import store_facets

    with _local_service(args) as service:
        rows = store_facets(service.info).conflicts()
    if args.output == "json":
        return _json({"count": len(rows), "results": rows})
    return _table([[r["node"]["label"], c["disease"], c["up"], c["down"], r["studies"]]
                   for r in rows for c in r["conflicts"]],
                  ["molecule", "disease", "up (refs)", "down (refs)", "studies"])


def _export(args: argparse.Namespace) -> int:
    from exokg.errors import InvalidQuery
    from exokg.io import export

    fmt = get_format(args.format, kinds=GRAPH_KINDS)
    if args.construct and args.node:
        raise InvalidQuery("give --node or --construct, not both")
    if not args.construct and not args.node:
        return _export_whole(args, fmt)
    # both read the store through the bounded path, as the server does
    if args.construct:
        from exokg.sparql import inspect_query

        text = read_text_file(args.construct)
        if inspect_query(text).form not in ("CONSTRUCT", "DESCRIBE"):
            raise InvalidQuery("--construct needs a CONSTRUCT or DESCRIBE query")
        with _local_service(args) as service:
            obj, _ = service.construct(text)
    else:
        from exokg.algorithms import neighborhood

        with _store_source(args, findings=args.findings) as source:
            obj = neighborhood(source, args.node, depth=args.depth)
    # a CONSTRUCT keeps every statement it asked for; --node's --findings is in its view
    data = export(obj, fmt.name, query_result=bool(args.construct))
    write_output(data, args.out, what=f"{len(data)} bytes ({fmt.label or fmt.name})")
    return 0


def _export_whole(args: argparse.Namespace, fmt) -> int:
    """The whole graph, streamed from the store (as ``/api/export``) into the file."""
    from exokg.io import stream_graph

    with _local_service(args) as service:
        chunks = stream_graph(service, fmt.name,
                              findings=fmt.kind == "network" and args.findings)
        write_stream(chunks, args.out,
                     what=lambda size: f"{size} bytes ({fmt.label or fmt.name})")
    return 0
