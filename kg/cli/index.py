"""``exokg index``: build the artifacts (search index, metrics ...) from a remote store."""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]

_EPILOG = """examples:
  exokg index --store-url http://127.0.0.1:7878/query --update-url http://127.0.0.1:7878/update \\
              --store /var/lib/exokg
  exokg serve --store-url http://127.0.0.1:7878/query --store /var/lib/exokg

Run it after each 'exokg load' (a roll-back to an older version too): the artifacts are
kept per data version; until it has run, queries naming a derived graph (the metrics)
answer 503.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "index", help="build the artifacts (search, metrics, adjacency) of a remote store",
        description="Build the artifacts an embedded store is built with (search index, "
                    "metrics, adjacency ...) from a remote store's current data version, into "
                    "STORE/remote-VERSION-formatN/; "
                    "'exokg serve --store-url URL --store STORE' uses "
                    "them while that version is current. Metrics written as triples go to the "
                    "remote store's named graphs.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store-url", required=True, metavar="URL", help="the SPARQL query endpoint")
    p.add_argument("--update-url", required=True, metavar="URL",
                   help="the SPARQL Update endpoint")
    p.add_argument("--graph-store-url", metavar="URL",
                   help="the Graph Store Protocol endpoint (default: the engine's own beside "
                        "--update-url: 'store' on Oxigraph server, 'sparql-graph-crud' "
                        "on Virtuoso)")
    p.add_argument("--store", metavar="DIR",
                   help="folder for the artifacts (default: ~/.cache/exokg/store)")
    p.add_argument("--page-rows", type=int, metavar="N",
                   help="rows per part of each read (setting PAGE_ROWS, default 250000): "
                        "below the engine's own answer cap (Virtuoso: ResultSetMaxRows, "
                        "and 1048576 over HTTP); 0: unpaged")
    p.set_defaults(func=_index)


def _index(args: argparse.Namespace) -> int:
    from exokg.config import Config, default_store_dir
    from exokg.sparql.remote_index import index_remote

    settings = Config.load({"PAGE_ROWS": args.page_rows} if args.page_rows is not None else {})
    info = index_remote(args.store_url, args.store or default_store_dir(),
                        update_url=args.update_url, graph_store_url=args.graph_store_url,
                        page_rows=settings.page_rows)
    print(json.dumps({"version": info.version, "folder": info.folder,
                      "artifacts": info.artifacts}))
    return 0
