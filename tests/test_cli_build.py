"""``exokg build``, ``validate``, ``stats`` and ``--help``, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import RUN_DIR
from exokg.build import build_graph, to_sorted_ntriples
from rdflib import Graph


def exokg(*args, cwd=RUN_DIR):
    return subprocess.run([sys.executable, "-m", "exokg", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("command", ["build", "validate", "stats", "query", "serve"])
def test_every_command_has_help_with_examples(command):
    result = exokg(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "examples:" in result.stdout


def test_build_writes_sorted_ntriples_identical_to_the_library(tmp_path):
    out = tmp_path / "exokg.nt"
    result = exokg("build", "--format", "nt", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == to_sorted_ntriples(build_graph())


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("ttl", "turtle"), ("jsonld", "json-ld")])
def test_build_formats_parse_back_to_the_same_graph(tmp_path, fmt, rdflib_format):
    out = tmp_path / f"exokg.{fmt}"
    assert exokg("build", "--format", fmt, "--out", str(out)).returncode == 0
    parsed = Graph().parse(out, format=rdflib_format)
    assert to_sorted_ntriples(parsed) == to_sorted_ntriples(build_graph())


def test_bad_record_fails_with_its_place_and_writes_nothing(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "table5.tsv").write_text(
        "row\tcargos\tsource_of_exosomes\tanimal_model\tclinical_sample\tfunctions\tref\n"
        "1\tExosomes\tDCs-exosomes\tY\tN\tShrinks tumours\t[999]\n", encoding="utf-8")
    out = tmp_path / "exokg.ttl"
    result = exokg("build", "--records", str(folder), "--out", str(out))
    assert result.returncode == 2
    assert f"{folder / 'table5.tsv'}, row 2, column ref: '[999]' names no ref" in result.stderr
    assert not out.exists()
    assert "Traceback" not in result.stderr


def test_stats_counts_findings_per_table():
    result = exokg("stats", "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["tables"] == {"1": 38, "2": 13, "3": 10, "4": 3, "5": 2}
    assert stats["classes"]["https://w3id.org/exokg/vocab#Finding"] == 66
    assert stats["predicates"]["https://w3id.org/exokg/vocab#citedIn"] > 66


def test_validate_passes_on_the_built_graph():
    result = exokg("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_validate_fails_on_a_finding_without_citation(tmp_path):
    graph = build_graph()
    from exokg.vocab import EXO, EXOID, PROV

    node = EXOID["finding/t1-8"]
    graph.remove((node, EXO.citedIn, None))
    graph.remove((node, PROV.wasDerivedFrom, None))
    path = tmp_path / "broken.nt"
    path.write_bytes(to_sorted_ntriples(graph))
    result = exokg("validate", "--data", str(path))
    assert result.returncode == 1
    assert "citedIn" in result.stdout
