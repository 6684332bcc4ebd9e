"""``exokg query``: run one SPARQL query against the store, print the results."""

from __future__ import annotations

import argparse
import sys

from exokg.cli._input import read_text_file
from exokg.sparql.results import Results, render_table

__all__ = ["register", "render_table"]

_EPILOG = """examples:
  exokg query 'SELECT ?c ?label { ?c a <https://w3id.org/exokg/vocab#MicroRNA> ;
                 <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 5'
  exokg query --format csv 'SELECT * { ?s ?p ?o } LIMIT 10' > out.csv
  exokg query --format json @my-query.rq      # read the query from a file
  echo 'ASK { ?s ?p ?o }' | exokg query -     # or from standard input
  exokg query --format turtle 'DESCRIBE <https://w3id.org/exokg/id/content/mir-21>'
  exokg query --records my-records/ 'SELECT (COUNT(*) AS ?n) { ?s ?p ?o }'
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "query", help="run a SPARQL query and print the results",
        description="Run one SPARQL 1.1 query against the graph (the on-disk store, built "
                    "on first use and reused) with the same limits as the server.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("query", help="the query; '@FILE' reads a file, '-' standard input")
    p.add_argument("--format", default="table",
                   help="table (default), csv, tsv, json, xml; for CONSTRUCT/DESCRIBE also "
                        "turtle, nt, jsonld, nq, trig")
    p.add_argument("--records", metavar="DIR", action="append", default=[],
                   help="a folder of your own records, added to the review's")
    p.add_argument("--store", metavar="DIR", help="store folder (default: ~/.cache/exokg/store)")
    p.add_argument("--data", metavar="FILE", nargs="+", action="extend",
                   help="query these RDF files instead (the query goes before --data, or "
                        "after '--': the files' list takes every word after it)")
    p.add_argument("--timeout", type=float, metavar="S", help="time limit (default: 30)")
    p.add_argument("--max-rows", type=int, help="row cap (default: 10000; 0: none)")
    p.set_defaults(func=_query)


def _text(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        return read_text_file(arg[1:])
    return arg


def _query(args: argparse.Namespace) -> int:
    from exokg.config import Config
    from exokg.sparql import QueryRequest, SparqlService
    from exokg.sparql.negotiate import check_format_name
    from exokg.sparql.service import whole_body

    if args.format != "table":
        check_format_name(args.format)  # a typo is an error here, not the default format
    # one query: copying the store into memory would cost more than it saves
    config = {"EXECUTORS": 1, "MEMORY_TRIPLES": 0, "RECORDS_DIRS": args.records}
    for flag, name in (("store", "STORE_DIR"), ("data", "DATA_FILES"),
                       ("timeout", "QUERY_TIMEOUT"), ("max_rows", "MAX_ROWS")):
        if getattr(args, flag) is not None:
            config[name] = getattr(args, flag)
    service = SparqlService(Config.load(config))
    try:
        table = args.format == "table"
        answer = service.query(QueryRequest(
            _text(args.query), format_name=None if table else args.format,
            accept="application/sparql-results+json, text/turtle" if table else None))
        if answer.truncated:
            print(f"exokg query: result cut at {answer.max_rows} rows (--max-rows)",
                  file=sys.stderr)
        if table and answer.media_type == "application/sparql-results+json":
            print(render_table(Results.from_json(whole_body(answer))))
        else:  # streamed, whatever its size
            for chunk in [answer.body] if isinstance(answer.body, bytes) else answer.body:
                sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
    finally:
        service.close()
    return 0
