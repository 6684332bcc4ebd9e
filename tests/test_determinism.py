"""Two processes, two hash seeds, the same bytes: no output follows Python's string hashing.

Python salts ``str`` hashes per process (``PYTHONHASHSEED``), so anything written in the
order of a set or dict of terms differs from one process to the next: from one replica
behind the balancer to the other, or across a restart, under the same strong ETag. Here
two real ``exokg serve`` processes, each over its own store built under its own seed
(as two replicas build theirs from the same inputs), answer every surface of the
review's graph (tests/_sweep.py: every entity page and its twins, the API with every
download format, the query page and /sparql in every format, the whole-graph exports,
VoID ...) with the same bytes and ETags; and every ``exokg`` command of the review's
graph, run under two seeds, prints the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _sweep import GROUPS, assert_same_surfaces, surfaces
from conftest import RUN_DIR, start_server, stop_server
from exokg.cli import build_parser
from exokg.examples import EXAMPLES
from exokg.formats import GRAPH_KINDS, formats

SEEDS = ("1", "2")
RUNNER = Path(__file__).resolve().parent / "_cli_runner.py"


@pytest.fixture(scope="module")
def seeded_servers(tmp_path_factory):
    """Two real servers, each building its own store under its own hash seed."""
    procs = []
    try:
        for seed in SEEDS:
            store = tmp_path_factory.mktemp(f"store-seed{seed}")
            procs.append(start_server(["--store", str(store), "--workers", "1", "--threads",
                                       "4", "--executors", "1", "--timeout", "30",
                                       "--no-access-log"], env={"PYTHONHASHSEED": seed}))
        yield [url for _, url in procs]
    finally:
        for proc, _ in procs:
            stop_server(proc)


@pytest.mark.parametrize("group", GROUPS)
def test_every_surface_is_the_same_under_two_hash_seeds(seeded_servers, group):
    paths = surfaces(group)
    assert len(paths) >= 12
    assert_same_surfaces(*seeded_servers, paths)


# --- the command line ----------------------------------------------------------------------

def _choices(command: str, option: str) -> list[str]:
    """The choices the ``exokg`` parser offers for a command's option."""
    sub = next(a for a in build_parser()._actions
               if isinstance(a, argparse._SubParsersAction)).choices[command]
    action = next(a for a in sub._actions if option in a.option_strings)
    return list(action.choices)


def cli_commands(construct: Path) -> list[list[str]]:
    """Every command of the review's graph that prints a result, in every format and
    output of the parser and the registry (network graph files, RDF syntaxes, SPARQL
    result formats)."""
    graph_formats = [f.name for f in formats(*GRAPH_KINDS, by_name=True)]
    commands = [["build", "--format", f] for f in _choices("build", "--format")]
    commands += [["stats", "--format", f] for f in _choices("stats", "--format")]
    commands += [["validate"]]
    for fmt in _choices("links", "--format"):
        commands += [["links", "--format", fmt], ["links", "--unmapped", "--format", fmt]]
    for output in _choices("search", "--output"):
        o = ["--output", output]
        commands += [["search", "mir-21", *o], ["search", "carcinoma", "--type", "Disease", *o],
                     ["neighbors", "miR-21", "--depth", "2", *o],
                     ["neighbors", "HCC", "--findings", *o],
                     ["path", "miR-122", "miR-21", "-k", "3", *o],
                     ["evidence", "miR-21", *o], ["conflicts", *o]]
        commands += [["rank", "--metric", m, *o] for m in _choices("rank", "--metric")]
    for example in EXAMPLES:
        graph = example.kind in ("CONSTRUCT", "DESCRIBE")
        names = [f.name for f in formats("rdf" if graph else "results")]
        commands += [["query", "--format", name, example.sparql] for name in ["table", *names]]
    for fmt in graph_formats:
        commands += [["export", "--format", fmt], ["export", "--format", fmt, "--findings"],
                     ["export", "--format", fmt, "--node", "miR-21", "--depth", "2"],
                     ["export", "--format", fmt, "--node", "HCC", "--findings"],
                     ["export", "--format", fmt, "--construct", str(construct)]]
    return commands


def _run_cli(seed: str, commands: list[list[str]], folder: Path) -> list[dict]:
    out = folder / f"cli-seed{seed}.json"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")},
           "PYTHONHASHSEED": seed, "XDG_CACHE_HOME": str(folder / f"cache-seed{seed}")}
    done = subprocess.run([sys.executable, str(RUNNER), str(out)], input=json.dumps(commands),
                          text=True, capture_output=True, cwd=RUN_DIR, env=env, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def test_every_command_prints_the_same_under_two_hash_seeds(tmp_path):
    construct = tmp_path / "construct.rq"
    construct.write_text(next(e.sparql for e in EXAMPLES if e.kind == "CONSTRUCT"))
    commands = cli_commands(construct)
    runs = [_run_cli(seed, commands, tmp_path) for seed in SEEDS]
    for first, second in zip(*runs, strict=True):
        argv = first["argv"]
        assert first["code"] == 0, (argv, first["stderr"][-500:])
        assert base64.b64decode(first["stdout"]), argv
        assert (second["code"], second["stdout"], second["stderr"]) == \
            (first["code"], first["stdout"], first["stderr"]), argv
