"""``exokg search|neighbors|path|rank|evidence|conflicts|export``, as a user runs them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import networkx as nx
import pytest
from conftest import RUN_DIR
from exokg.cli import main

COMMANDS = ["search", "neighbors", "path", "rank", "evidence", "conflicts", "export"]


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_a_description_and_examples(capsys, command):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "examples:" in out and f"exokg {command}" in out


def test_search(capsys):
    code, out, _ = run(capsys, "search", "hsa-miR-21", "--output", "json")
    assert code == 0 and json.loads(out)["results"][0]["label"] == "miR-21"


def test_neighbors_table_and_json(capsys):
    code, out, _ = run(capsys, "neighbors", "miR-21", "--depth", "2")
    assert code == 0 and "hepatoblastoma" in out and "Reference" in out
    code, out, _ = run(capsys, "neighbors", "exoid:content/mir-21", "--predicates",
                       "upregulatedIn", "--output", "json")
    data = json.loads(out)
    assert {n["label"] for n in data["nodes"]} == {"miR-21", "hepatocellular carcinoma",
                                                   "hepatoblastoma"}


def test_neighbors_errors(capsys):
    code, _, err = run(capsys, "neighbors", "miR-21x")
    assert code == 2 and "did you mean: miR-21" in err
    code, _, err = run(capsys, "neighbors", "miR-21", "--depth", "7")
    assert code == 2 and "depth" in err


def test_path(capsys):
    code, out, _ = run(capsys, "path", "miR-122", "miR-21")
    assert code == 0 and out.startswith("1. (2) miR-122") and "3. (2)" in out
    code, out, _ = run(capsys, "path", "miR-122", "miR-21", "-k", "1", "--output", "json")
    assert json.loads(out)["count"] == 1


def test_rank(capsys):
    code, out, _ = run(capsys, "rank", "--metric", "studies", "--type", "MicroRNA",
                       "--limit", "3")
    assert code == 0 and out.splitlines()[2].split()[2] == "miR-21"


def test_evidence_and_conflicts(capsys, store_dir):
    store = ["--store", str(store_dir)]
    code, out, _ = run(capsys, "evidence", "miR-638", *store)
    assert code == 0 and "CONFLICT" in out and "147" in out and "54" in out
    code, out, _ = run(capsys, "evidence", "miR-638", "--output", "json", *store)
    assert json.loads(out)["conflict"] is True
    code, out, _ = run(capsys, "evidence", "exoid:content/mir-21", "--output", "json", *store)
    assert len(json.loads(out)["findings"]) == json.loads(out)["count"] == 5
    code, out, _ = run(capsys, "conflicts", *store)
    assert code == 0 and "miR-638" in out
    code, _, err = run(capsys, "evidence", "miR-63x", *store)
    assert code != 0 and "miR-63x" in err


def test_export_formats(capsys, tmp_path):
    out = tmp_path / "g.graphml"
    code, _, err = run(capsys, "export", "--format", "graphml", "--out", str(out))
    assert code == 0 and "wrote" in err
    assert nx.read_graphml(out).number_of_nodes() > 100
    out = tmp_path / "n.kgx.zip"
    code, _, _ = run(capsys, "export", "--format", "kgx", "--node", "miR-21", "--depth", "2",
                     "--out", str(out))
    assert zipfile.ZipFile(out).namelist() == ["nodes.tsv", "edges.tsv"]
    code, _, err = run(capsys, "export", "--format", "pdf")
    assert code == 2 and "unknown format" in err


def test_export_construct(capsys, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text("PREFIX exo: <https://w3id.org/exokg/vocab#>\n"
                     "CONSTRUCT { ?c exo:upregulatedIn ?d ; a ?t } "
                     "WHERE { ?c exo:upregulatedIn ?d ; a ?t }\n")
    out = tmp_path / "up.gexf"
    code, _, _ = run(capsys, "export", "--format", "gexf", "--construct", str(query),
                     "--out", str(out))
    G = nx.read_gexf(out)
    assert code == 0 and {d["predicate"] for *_, d in G.edges(data=True)} == \
        {"exo:upregulatedIn"}


def test_export_from_a_data_file(capsys, tmp_path):
    data = tmp_path / "g.ttl"
    assert run(capsys, "export", "--format", "turtle", "--out", str(data))[0] == 0
    code, out, _ = run(capsys, "neighbors", "miR-638", "--data", str(data), "--output", "json")
    assert code == 0 and json.loads(out)["center"]["label"] == "miR-638"


def test_svg_to_stdout_as_a_user_runs_it():
    done = subprocess.run([sys.executable, "-m", "exokg", "export", "--format", "svg", "--node",
                           "miR-638"], capture_output=True, timeout=120, cwd=RUN_DIR)
    assert done.returncode == 0, done.stderr
    assert b"<svg" in done.stdout[:500]
    assert io.BytesIO(done.stdout).read(5) == b"<?xml"
