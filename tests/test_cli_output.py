"""Where a command's output goes when it cannot be written (kg/cli/_output.py and
``exokg.cli.main``): a full disk behind a redirection is one line and status 2 for every
command (each printed a traceback); ``--out -`` is standard output (it made a file named
``-``); an empty ``--out`` is refused, and so is an ``--out`` that is an input; a command
stopped while it writes leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, RUN_DIR

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


#: ``exokg`` whose file writer writes a little, says so, then waits (to be stopped).
SLOW_WRITE = ("-c", "import sys, time, exokg.cli._output as output\n"
                    "def copy(chunks, stream):\n"
                    "    stream.write(b'partial')\n"
                    "    stream.flush()\n"
                    "    print('exokg-test: writing', file=sys.stderr, flush=True)\n"
                    "    time.sleep(120)\n"
                    "output._copy = copy\n"
                    "from exokg.cli import main\n"
                    "sys.exit(main())")


@pytest.mark.parametrize(("sig", "code", "said"), [
    (signal.SIGTERM, 143, "stopped (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"])
def test_a_command_stopped_while_it_writes_leaves_no_file_and_one_line(sig, code, said,
                                                                       store_dir, tmp_path):
    """SIGTERM (``kill``, ``timeout``, systemd) left the hidden temporary file; Ctrl-C
    printed a traceback."""
    out = tmp_path / "graph.graphml"
    # Ctrl-C's default restored: a suite started in the background (`cmd &` in a script)
    # hands its processes SIGINT ignored, and Python then keeps it ignored
    proc = subprocess.Popen([sys.executable, *SLOW_WRITE, "export", "--store", str(store_dir),
                             "--format", "graphml", "--out", str(out)], cwd=RUN_DIR,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == "exokg-test: writing"
        assert [p.name.endswith(".tmp") for p in tmp_path.iterdir()] == [True]
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == code
    assert rest.strip().splitlines() == [f"exokg export: {said}"]
    assert list(tmp_path.iterdir()) == []


def test_an_out_that_is_an_input_is_refused_and_left_as_it_was(store_dir, tmp_path):
    data = tmp_path / "mine.trig"
    data.write_bytes((DATA / "graphs.trig").read_bytes())
    records = tmp_path / "records"
    records.mkdir()
    (records / "table1.tsv").write_text("my table\n")
    for args, said in [
        (["export", "--data", str(data), "--store", str(tmp_path / "st"), "--format",
          "graphml", "--out", str(data)], f"is the input file {data}"),
        (["build", "--records", str(records), "--out", str(records / "table1.tsv")],
         f"would replace a table of the input folder {records}"),
        (["export", "--store", str(store_dir), "--format", "ntriples", "--out",
          str(store_dir / "x.nt")], f"is in the store folder {store_dir}")]:
        done = _run(args, subprocess.DEVNULL)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"exokg {args[0]}: error: --out {args[-1]}: {said}; write the output elsewhere"]
    assert data.read_bytes() == (DATA / "graphs.trig").read_bytes()
    assert (records / "table1.tsv").read_text() == "my table\n"
    assert not (store_dir / "x.nt").exists() and not (tmp_path / "st").exists()


def test_an_out_in_the_store_folder_in_effect_is_refused(store_dir, tmp_path):
    """The store folder from the environment, or the per-user default, is guarded as an
    explicit ``--store`` is: an export over a store's own file was written, and the store
    was found damaged and rebuilt at the next command."""
    assert _run(["query", "--store", str(store_dir), "ASK {}"], subprocess.DEVNULL
                ).returncode == 0  # built, if no test before built it
    version = next(p for p in store_dir.iterdir() if (p / "oxigraph").is_dir())
    current = version / "oxigraph" / "CURRENT"
    before = current.read_bytes()
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}
    for extra, out, folder in [
            ({"EXOKG_STORE_DIR": str(store_dir)}, current, store_dir),
            ({"XDG_CACHE_HOME": str(cache)}, cache / "exokg" / "store" / "x.nt",
             cache / "exokg" / "store")]:
        done = subprocess.run([sys.executable, "-m", "exokg", "export", "--format", "ntriples",
                               "--out", str(out)], cwd=RUN_DIR, env={**env, **extra},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"exokg export: error: --out {out}: is in the store folder {folder}; write the "
            "output elsewhere"]
    assert current.read_bytes() == before
    assert not (cache / "exokg" / "store" / "x.nt").exists()
    # a command that reads no store is not stopped by another setting's bad value
    out = tmp_path / "graph.ttl"
    done = subprocess.run([sys.executable, "-m", "exokg", "build", "--out", str(out)],
                          cwd=RUN_DIR, env={**env, "EXOKG_QUERY_TIMEOUT": "abc"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("option", ["--data", "--records", "--out"])
def test_a_symbolic_link_that_loops_is_one_line_naming_it(option, store_dir, tmp_path):
    loop = tmp_path / "loop.nt"
    loop.symlink_to(loop)
    args = {"--data": ["export", "--format", "csv", "--data", str(loop), "--out",
                       str(tmp_path / "out.csv")],
            "--records": ["build", "--records", str(loop), "--out", str(tmp_path / "g.ttl")],
            "--out": ["export", "--format", "csv", "--store", str(store_dir), "--out",
                      str(loop)]}[option]
    done = _run(args, subprocess.PIPE)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert f": error: {option} " in lines[0]
    assert f"{loop}: its symbolic links lead round in a loop" in lines[0]
    assert loop.is_symlink() and not (tmp_path / "out.csv").exists()
