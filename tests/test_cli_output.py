"""Where a command's output goes when it cannot be written (kg/cli/_output.py and
``exokg.cli.main``): a full disk behind a redirection is one line and status 2 for every
command (each printed a traceback); ``--out -`` is standard output (it made a file named
``-``); an empty ``--out`` is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RUN_DIR

FULL = Path("/dev/full")  # every write fails: ENOSPC


def _run(args: list[str], stdout) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exokg", *args], cwd=RUN_DIR, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=300)


@pytest.mark.parametrize("args", [
    ["query", "ASK { ?s ?p ?o }"], ["stats"], ["links"], ["search", "miR-21"],
    ["rank", "--limit", "3"], ["export", "--format", "ntriples"], ["build"]],
    ids=lambda a: a[0])
def test_a_full_disk_behind_stdout_is_one_line(args, store_dir):
    store = ["--store", str(store_dir)] if args[0] in ("query", "search", "rank",
                                                       "export") else []
    with FULL.open("wb") as full:
        done = _run([*args, *store], full)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"exokg {args[0]}: error: ")
    assert "No space left on device" in lines[0]


def test_out_dash_is_standard_output_and_empty_out_is_refused(store_dir, tmp_path):
    done = subprocess.run([sys.executable, "-m", "exokg", "export", "--store", str(store_dir),
                           "--format", "ntriples", "--out", "-"], cwd=tmp_path,
                          capture_output=True, timeout=300)
    assert done.returncode == 0 and done.stdout.startswith(b"<https://w3id.org/exokg/")
    assert not (tmp_path / "-").exists()
    done = _run(["export", "--store", str(store_dir), "--format", "ntriples", "--out", ""],
                subprocess.DEVNULL)
    assert done.returncode == 2
    assert "--out is empty: name the file to write, or - for standard output" in done.stderr
