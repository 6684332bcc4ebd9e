"""Run many ``exokg`` commands in one process and record what each wrote.

``python _cli_runner.py OUT.json < COMMANDS.json``: each command (a list of arguments)
runs through :func:`exokg.cli.main`, the function behind the ``exokg`` script, with
standard output and error captured; OUT.json lists, per command, its exit code, its
standard output (base64) and its standard error. One process for all commands, so the
determinism tests run the CLI under a hash seed without starting ~150 interpreters.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import sys

from exokg.cli import main


def run(argv: list[str]) -> dict:
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
        out.flush()
    return {"argv": argv, "code": code,
            "stdout": base64.b64encode(out.buffer.getvalue()).decode(),  # type: ignore[attr-defined]
            "stderr": err.getvalue()}


if __name__ == "__main__":
    commands = json.load(sys.stdin)
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump([run(argv) for argv in commands], handle)
