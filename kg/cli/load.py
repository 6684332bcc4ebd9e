"""``exokg load``: load the data into a remote store (a SPARQL engine) and switch to it."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]

_EPILOG = """examples:
  oxigraph serve --location /var/lib/oxigraph --bind 127.0.0.1:7878 --timeout-s 30 &
  exokg load --store-url http://127.0.0.1:7878/query --update-url http://127.0.0.1:7878/update
  exokg load --store-url http://127.0.0.1:7878/query --update-url http://127.0.0.1:7878/update \\
             --data my-graph.nt
  exokg serve --store-url http://127.0.0.1:7878/query

Virtuoso: --store-url http://127.0.0.1:8890/sparql --update-url http://127.0.0.1:8890/sparql
          (its Graph Store endpoint, /sparql-graph-crud, is found; see deploy/README.md)
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "load", help="load the graph into a remote SPARQL store and make it current",
        description="Build and validate the graph as 'exokg build' does (or read --data "
                    "files), write it into the remote store as a named graph per data "
                    "version (Graph Store Protocol PUT), then switch readers over to it in "
                    "one step: 'exokg serve --store-url' never sees a half-loaded graph.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store-url", required=True, metavar="URL",
                   help="the SPARQL query endpoint (Oxigraph server: http://HOST:7878/query)")
    p.add_argument("--update-url", required=True, metavar="URL",
                   help="the SPARQL Update endpoint (Oxigraph server: http://HOST:7878/update)")
    p.add_argument("--graph-store-url", metavar="URL",
                   help="the Graph Store Protocol endpoint (default: the engine's own beside "
                        "--update-url: 'store' on Oxigraph server, 'sparql-graph-crud' "
                        "on Virtuoso)")
    p.add_argument("--records", metavar="DIR", action="append", default=[],
                   help="a folder of your own records, added to the review's")
    p.add_argument("--data", metavar="FILE", nargs="+", action="extend", default=[],
                   help="load these RDF files (default graph only) instead of the bundled graph")
    p.add_argument("--keep", type=int, default=2,
                   help="data versions kept in the store (default: 2, the current and the "
                        "previous)")
    p.add_argument("--bulk-dir", metavar="DIR",
                   help="for the engine's own bulk loader (Virtuoso's ld_dir): write the "
                        "N-Triples here as exokg-VERSION.nt and stop; run again without it "
                        "once the engine has loaded them, to record and switch")
    p.set_defaults(func=_load)


def _load(args: argparse.Namespace) -> int:
    from exokg.sparql.remote_load import load_remote

    result = load_remote(args.store_url, args.update_url,
                         graph_store_url=args.graph_store_url, data_files=args.data,
                         records_dirs=args.records, keep=args.keep,
                         bulk_dir=args.bulk_dir)
    print(json.dumps({"version": result.version, "graph": result.graph,
                      "triples": result.triples, "sent": result.sent,
                      "dropped": result.dropped, "seconds": round(result.seconds, 2)}))
    sys.stdout.flush()
    return 0
