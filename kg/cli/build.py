"""``exokg build``, ``exokg validate`` and ``exokg stats``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from exokg.build import build_graph
from exokg.cli._output import write_output
from exokg.curie_check import validate_curies
from exokg.formats import get_format
from exokg.sssom import load_mappings
from exokg.stats import graph_stats

__all__ = ["register"]

_RECORDS_HELP = ("a folder of your own records (table1.tsv ... table5.tsv, optional "
                 "entities.tsv), added to the review's; may be given more than once")


def _add_records(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--records", metavar="DIR", action="append", default=[],
                        help=_RECORDS_HELP)


def register(subparsers) -> None:
    build = subparsers.add_parser(
        "build", help="build the graph and write it as RDF",
        description="Build the knowledge graph from the review's tables (and your records) "
                    "and write it. The same input gives the same bytes (N-Triples are sorted).",
        epilog="examples:\n  exokg build --out exokg.ttl\n"
               "  exokg build --format nt --out exokg.nt\n"
               "  exokg build --records my-records/ --format jsonld > exokg.jsonld",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_records(build)
    build.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    build.add_argument("--format", default="ttl", choices=["ttl", "nt", "jsonld"],
                       help="RDF syntax (default: ttl)")
    build.set_defaults(func=_build)

    validate = subparsers.add_parser(
        "validate", help="check the graph against the SHACL shapes and the CURIE patterns",
        description="Build the graph and validate it with the SHACL shapes of "
                    "ontology/shapes.ttl, and every external CURIE against its prefix's "
                    "pattern. Exits 1 when anything fails.",
        epilog="examples:\n  exokg validate\n  exokg validate --records my-records/\n"
               "  exokg validate --data my-graph.ttl",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_records(validate)
    validate.add_argument("--data", metavar="FILE", nargs="+", action="extend",
                          help="validate these RDF files (Turtle, N-Triples, JSON-LD, ...) "
                               "instead of the built graph")
    validate.set_defaults(func=_validate)

    stats = subparsers.add_parser(
        "stats", help="count triples per class, table and predicate",
        description="Counts of the built graph: instances per class, findings per table of "
                    "the review, triples per predicate.",
        epilog="examples:\n  exokg stats\n  exokg stats --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_records(stats)
    stats.add_argument("--format", default="text", choices=["text", "json"])
    stats.set_defaults(func=_stats)


def _build(args: argparse.Namespace) -> int:
    graph = build_graph(args.records)
    # built whole before anything is written: a bad record never leaves a partial file
    write_output(get_format(args.format, "rdf").writer(graph), args.out,
                 what=f"{len(graph)} triples")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from exokg.validate import validate_graph

    graph = _read_rdf(args.data) if args.data else build_graph(args.records)
    report = validate_graph(graph)
    problems = validate_curies(load_mappings())
    if report.conforms and not problems:
        print(f"ok: {len(graph)} triples conform to the SHACL shapes; "
              "every external CURIE is valid")
        return 0
    if not report.conforms:
        print(report.text)
    for problem in problems:
        print(f"CURIE: {problem}")
    return 1


def _read_rdf(paths: list[str]):
    """The default graph of the RDF files, parsed as ``serve --data`` parses them
    (pyoxigraph: no remote document fetched, not even a JSON-LD context; RDF/XML entities
    checked; each file's blank nodes its own). Triples in named graphs are counted and
    said, not validated: the pages, the API and the exports read the default graph."""
    import sys

    import pyoxigraph as ox
    from exokg.errors import RDF_PARSE_ERRORS, RecordError, rdf_problem
    from exokg.rdf_terms import rdf12_problem, triples_graph
    from exokg.store import check_syntax, rdf_format
    from exokg.tsv import decode_text, read_whole
    from rdflib import Graph

    graph, named = Graph(), 0
    for path in paths:
        file = Path(path)
        data = read_whole(file)  # read into a graph: at most WHOLE_MAX, not a traceback
        syntax = rdf_format(file)
        check_syntax(file)
        if syntax != ox.RdfFormat.RDF_XML:  # XML declares its own encoding
            decode_text(data, file=path)  # UTF-8, or a located hint
        try:  # the bytes read and measured, not the file again (it may have grown)
            quads = list(ox.parse(data, format=syntax))
        except RDF_PARSE_ERRORS as err:
            if isinstance(err, SyntaxError) and not err.filename:
                err.filename = str(file)  # the file the bytes came from (rdf_problem)
            raise RecordError(f"not valid RDF: {rdf_problem(err)}", file=path) from None
        default = [q for q in quads if q.graph_name == ox.DefaultGraph()]
        for problem in filter(None, map(rdf12_problem, default)):
            raise RecordError(problem, file=path)
        named += len(quads) - len(default)
        triples_graph(default, graph)
    if named:
        print(f"note: {named} triples in named graphs were not validated (the pages, the "
              "API and the exports read the default graph; SPARQL reads them with GRAPH)",
              file=sys.stderr)
    return graph


def _stats(args: argparse.Namespace) -> int:
    stats = graph_stats(build_graph(args.records))
    if args.format == "json":
        print(json.dumps(stats, indent=2))
        return 0
    print(f"triples\t{stats['triples']}")
    for section in ("tables", "classes", "predicates"):
        print(f"\n# {section}")
        for key, count in stats[section].items():
            print(f"{key}\t{count}")
    return 0
