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
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from exokg.config import ENV_PREFIX, check_one_input, default_store_dir
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


class Terminated(BaseException):
    """``SIGTERM`` (from ``kill``, ``timeout``, systemd), raised where the command runs so
    that it unwinds as for Ctrl-C: a half-written ``--out`` file removed, a build's
    scratch folder and its child process stopped, a server's port lock released.
    ``exokg serve`` hands ``SIGTERM`` to granian once its workers run."""


def _terminated(signum: int, frame: Any) -> None:
    # once: a second SIGTERM would break off the cleanup the first one set going
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``exokg`` command ``argv``; its exit status (2: a refused input or
    setting, 130: interrupted, 143: stopped by ``SIGTERM``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if threading.current_thread() is not threading.main_thread():  # no signals there
        return _run(args)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _run(args)
    finally:  # main() called in a process of the caller's (a test)
        signal.signal(signal.SIGTERM, previous)


def _stores(args: argparse.Namespace) -> list[str]:
    """The store folders a command may read: ``--store``, else ``EXOKG_STORE_DIR``, else
    the per-user default; and a store opened as is (``EXOKG_STORE_PATH``). Read from the
    environment alone: a bad value of another setting is the command's to report (a
    command that reads no store, ``build --out``, failed on it)."""
    env = os.environ
    folder = getattr(args, "store", None) or env.get(ENV_PREFIX + "STORE_DIR") or \
        default_store_dir()
    return [p for p in (folder, env.get(ENV_PREFIX + "STORE_PATH")) if p]


def _run(args: argparse.Namespace) -> int:
    try:
        check_one_input(getattr(args, "data", None) or (),
                        getattr(args, "records", None) or ())
        out = getattr(args, "out", None)
        if out and out != "-":
            from exokg.cli._output import refuse_own_input

            refuse_own_input(out, files=[*(getattr(args, "data", None) or ()),
                                         *filter(None, [getattr(args, "construct", None)])],
                             records=getattr(args, "records", None) or (),
                             stores=_stores(args))
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a write that fails (a full disk) fails here, not at exit
        return code
    except KeyboardInterrupt:
        _drop_stdout()
        print(f"exokg {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        _drop_stdout()
        print(f"exokg {args.command}: stopped (SIGTERM)", file=sys.stderr)
        return 143
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
    except MemoryError:  # what no bound foresaw: an input this machine cannot hold
        _drop_stdout()
        print(f"exokg {args.command}: error: out of memory: the input is more than this "
              "machine can hold (exokg serve --data loads large RDF files into a store "
              "on disk)", file=sys.stderr)
        return 2


def _drop_stdout() -> None:
    """Point standard output at /dev/null: what is still buffered for it would fail
    again, as a message, when the interpreter flushes it at exit."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
