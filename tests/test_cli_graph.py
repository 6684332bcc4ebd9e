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
from rdflib import Graph

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


def test_export_construct_saved_with_a_byte_order_mark_and_of_literals_alone(capsys,
                                                                             tmp_path):
    """A query file saved with a BOM is read; its labels alone make no edge list (a header
    and nothing else, exit 0, before), but Turtle holds them."""
    query = tmp_path / "labels.rq"
    query.write_bytes(b"\xef\xbb\xbfPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                      b"CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l } LIMIT 3\n")
    code, _, err = run(capsys, "export", "--format", "csv", "--construct", str(query))
    assert code == 2 and "the CSV edge list would be empty" in err
    out = tmp_path / "labels.ttl"
    code, _, _ = run(capsys, "export", "--format", "turtle", "--construct", str(query),
                     "--out", str(out))
    assert code == 0 and len(Graph().parse(out, format="turtle")) == 3


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


#: Spellings a biologist types for miR-21 (issue 10, item 4).
MIR21_SPELLINGS = ["hsa-miR-21-5p", "MIR21", "miR21", "mir-21", "hgnc:31586"]
MIR21 = "https://w3id.org/exokg/id/content/mir-21"


@pytest.mark.parametrize("spelling", MIR21_SPELLINGS)
def test_search_spellings_find_mir21_first(capsys, spelling):
    code, out, _ = run(capsys, "search", spelling, "--output", "json")
    assert code == 0 and json.loads(out)["results"][0]["id"] == MIR21


def test_search_mature_accession_finds_mir21(capsys):
    code, out, _ = run(capsys, "search", "MIMAT0000076", "--output", "json")
    assert code == 0 and json.loads(out)["results"][0]["id"] == MIR21


LET7 = """@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix c: <https://w3id.org/exokg/id/content/> .
c:let-7a a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "let-7a" ;
    exo:upregulatedIn <https://w3id.org/exokg/id/disease/hcc> .
c:let-7g a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "let-7g" ;
    exo:upregulatedIn <https://w3id.org/exokg/id/disease/hcc> .
c:mir-7 a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "miR-7" .
<https://w3id.org/exokg/id/disease/hcc> a exo:Disease ; rdfs:label "hepatocellular carcinoma" .
"""


def test_search_let7_finds_the_family_where_present(capsys, tmp_path):
    """The example of ``exokg search --help``, over a --data file that has the family."""
    data = tmp_path / "let7.ttl"
    data.write_text(LET7, encoding="utf-8")
    code, out, _ = run(capsys, "search", "let-7", "--data", str(data), "--store",
                       str(tmp_path / "store"), "--output", "json")
    labels = [hit["label"] for hit in json.loads(out)["results"]]
    assert code == 0 and labels[:2] == ["let-7a", "let-7g"] and "miR-7" not in labels[:2]


def test_graph_commands_read_a_store_folder(capsys, tmp_path):
    data = tmp_path / "let7.ttl"
    data.write_text(LET7, encoding="utf-8")
    args = ["--data", str(data), "--store", str(tmp_path / "store")]
    code, out, _ = run(capsys, "neighbors", "let-7a", "--depth", "2", *args, "--output", "json")
    assert code == 0 and {n["label"] for n in json.loads(out)["nodes"]} == \
        {"let-7a", "let-7g", "hepatocellular carcinoma"}
    code, out, _ = run(capsys, "path", "let-7a", "let-7g", *args)
    assert code == 0 and out.startswith("1. (2) let-7a")
    code, out, _ = run(capsys, "rank", "--metric", "degree", *args, "--output", "json")
    assert code == 0 and json.loads(out)["results"][0]["label"] == "hepatocellular carcinoma"


def test_typos_in_kinds_and_predicates_name_the_known_values(capsys):
    code, _, err = run(capsys, "neighbors", "miR-21", "--types", "Nonsense")
    assert code == 2 and "unknown type 'Nonsense'" in err and "MicroRNA" in err
    code, _, err = run(capsys, "path", "miR-122", "miR-21", "--predicates", "foo:bar")
    assert code == 2 and "unknown predicate 'foo:bar'" in err and "exo:citedIn" in err


def test_a_label_holding_terminal_controls_is_printed_escaped(capsys, tmp_path):
    """Labels come from the user's data: an escape sequence retitled the terminal and
    coloured it, a right-to-left override reversed what followed, a line break split
    the table's row."""
    label = "let-7\x1b]0;PWNED\x07\x1b[31mred\u202exe.jpg\nrow"
    data = tmp_path / "evil.ttl"
    data.write_text(LET7.replace('"let-7a"', json.dumps(label)), encoding="utf-8")
    args = ["--data", str(data), "--store", str(tmp_path / "store")]
    for command in (["search", "let-7"], ["neighbors", "hepatocellular carcinoma"],
                    ["path", "let-7g", "exoid:content/let-7a"],
                    ["query", "SELECT ?l { ?s ?p ?l }"]):
        code, out, _ = run(capsys, *command, *args)
        assert code == 0 and "let-7\\u001b]0;PWNED\\u0007\\u001b[31mred\\u202exe.jpg\\u000arow" \
            in out, command
        assert not any(c in out for c in "\x1b\x07\u202e")
    code, out, _ = run(capsys, "search", "let-7", *args, "--output", "json")
    assert code == 0 and label in [hit["label"] for hit in json.loads(out)["results"]]
    assert not any(c in out for c in "\x1b\x07\u202e")
