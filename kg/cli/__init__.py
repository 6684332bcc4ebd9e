"""The ``exokg`` command: one sub-command module per concern.

Each module in :data:`COMMAND_MODULES` has ``register(subparsers)``, which adds its
commands and sets ``func`` (namespace -> exit code) on each.

>>> parser = build_parser()
>>> parser.parse_args(["neighbors", "miR-21", "--depth", "2"]).depth
2
>>> main(["no-such-command"])
Traceback (most recent call last):
...
SystemExit: 2
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from exokg.config import check_one_input
from exokg.errors import ExoKGError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES = ("exokg.cli.build", "exokg.cli.query", "exokg.cli.serve", "exokg.cli.graph",
                   "exokg.cli.links", "exokg.cli.load", "exokg.cli.index")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exokg",
        description="ExoKG: exosomal molecules in liver cancer (Wei, Liu, Zhu 2022) as a "
                    "knowledge graph: build, validate, query and serve it.",
        epilog="Run 'exokg COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a missing dependency, not a missing module
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        check_one_input(getattr(args, "data", None) or (),
                        getattr(args, "records", None) or ())
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a write that fails (a full disk) fails here, not at exit
        return code
    except ExoKGError as err:
        print(f"exokg {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # its reader stopped reading (`| head`): not an error
        _drop_stdout()
        return 0
    except OSError as err:  # what no check foresaw: a full disk behind a redirection
        _drop_stdout()
        where = f"{err.filename}: " if err.filename else ""
        print(f"exokg {args.command}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


def _drop_stdout() -> None:
    """Point standard output at /dev/null: what is still buffered for it would fail
    again, as a message, when the interpreter flushes it at exit."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
