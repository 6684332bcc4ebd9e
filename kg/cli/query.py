"""``exokg query``: run one SPARQL query against the store, print the results."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from exokg.vocab import compact_iri

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
    p.add_argument("--data", metavar="FILE", nargs="+", help="query these RDF files instead")
    p.add_argument("--timeout", type=float, metavar="S", help="time limit (default: 30)")
    p.add_argument("--max-rows", type=int, help="row cap (default: 10000; 0: none)")
    p.set_defaults(func=_query)


def _text(arg: str) -> str:
    if arg == "-":
        return sys.stdin.read()
    if arg.startswith("@"):
        return Path(arg[1:]).read_text(encoding="utf-8")
    return arg


def _cell(term: dict | None) -> str:
    if term is None:
        return ""
    if term["type"] == "bnode":
        return "_:" + term["value"]
    if term["type"] == "uri":
        return compact_iri(term["value"])
    return term["value"]


def render_table(results: dict) -> str:
    """SPARQL JSON results as an aligned text table, IRIs as ExoKG's CURIEs.

    >>> print(render_table({"head": {"vars": ["x"]}, "results": {"bindings": [
    ...     {"x": {"type": "literal", "value": "miR-21"}}]}}))
    x
    ------
    miR-21
    (1 row)
    """
    if "boolean" in results:
        return "true" if results["boolean"] else "false"
    names = results["head"]["vars"]
    rows = [[_cell(b.get(v)) for v in names] for b in results["results"]["bindings"]]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
                 f"{', truncated at the row cap' if results.get('truncated') else ''})")
    return "\n".join(lines)


def _query(args: argparse.Namespace) -> int:
    from exokg.config import Config
    from exokg.sparql import QueryRequest, SparqlService

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
        body = answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)
        if answer.truncated:
            print(f"exokg query: result cut at {answer.max_rows} rows (--max-rows)",
                  file=sys.stderr)
        if table and answer.media_type == "application/sparql-results+json":
            print(render_table(json.loads(body)))
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
    finally:
        service.close()
    return 0
