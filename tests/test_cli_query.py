"""``exokg query``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import exokg
from exokg.cli import main

COUNT = "PREFIX exo: <https://w3id.org/exokg/vocab#> SELECT (COUNT(?f) AS ?n) { ?f a exo:Finding }"


@pytest.fixture
def run(store_dir, capsys):
    def run(*args):
        code = main(["query", "--store", str(store_dir), *args])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def test_table(run):
    code, out, _ = run(COUNT)
    assert code == 0
    assert out.splitlines() == ["n", "--", "66", "(1 row)"]


@pytest.mark.parametrize("fmt,expected", [("csv", "n\r\n66\r\n"), ("tsv", "?n\n")])
def test_csv_tsv(run, fmt, expected):
    code, out, _ = run("--format", fmt, COUNT)
    assert code == 0 and out.startswith(expected)


def test_csv_quotes_an_iri_holding_a_comma(run):
    code, out, _ = run("--format", "csv",
                       'SELECT ?s ?x { VALUES (?s ?x) { (<http://ex.org/a,b> "1") } }')
    assert code == 0 and out == 's,x\r\n"http://ex.org/a,b",1\r\n'


def test_json_and_file(run, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text(COUNT)
    code, out, _ = run("--format", "json", f"@{query}")
    assert json.loads(out)["results"]["bindings"][0]["n"]["value"] == "66"


def test_unknown_format_is_an_error(run):
    code, out, err = run("--format", "n3", COUNT)
    assert code == 2 and not out and "unknown format 'n3'" in err and "sparql-tsv" in err


def test_construct_turtle(run):
    code, out, _ = run("DESCRIBE <https://w3id.org/exokg/id/content/mir-21>")
    assert code == 0 and "miR-21" in out and "@prefix exo:" in out


def test_row_cap_is_reported(run):
    code, out, err = run("--max-rows", "2", "SELECT * { ?s ?p ?o }")
    assert code == 0 and "(2 rows, truncated at the row cap)" in out and "--max-rows" in err


def test_a_time_limit_of_0_is_none(run, monkeypatch, store_dir, tmp_path):
    """``QUERY_TIMEOUT=0`` and ``EXPORT_TIMEOUT=0`` (no limit): the wait for the
    executor's answer overflowed, a traceback."""
    monkeypatch.setenv("EXOKG_QUERY_TIMEOUT", "0")
    monkeypatch.setenv("EXOKG_EXPORT_TIMEOUT", "0")
    code, out, err = run(COUNT)
    assert (code, out.splitlines()[2], err) == (0, "66", "")
    out_file = tmp_path / "all.nt"
    assert main(["export", "--store", str(store_dir), "--format", "ntriples",
                 "--out", str(out_file)]) == 0
    assert out_file.read_text().count(" .\n") > 3000


def test_bad_query(run):
    code, _, err = run("SELECT * { ?s ?p }")
    assert code == 2 and "at line 1, column" in err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    assert "examples:" in capsys.readouterr().out


def test_query_needs_neither_the_server_nor_flask(store_dir):
    """The library's Config and service are enough: ``exokg query`` imports no server."""
    import subprocess
    import sys

    from conftest import RUN_DIR, WEB_MODULES_LOADED

    script = ("import sys; from exokg.cli import main; "
              f"code = main(['query', '--store', {str(store_dir)!r}, '--max-rows', '2', "
              "'SELECT ?s { ?s ?p ?o }']); "
              f"bad = {WEB_MODULES_LOADED}; "
              "print(code, bad, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script], cwd=RUN_DIR, capture_output=True,
                            text=True, timeout=300)
    assert result.stderr.strip().splitlines()[-1] == "0 []", result.stderr
    assert "result cut at 2 rows (--max-rows)" in result.stderr
    assert result.stdout.count("\n") == 2 + 2 + 1  # head, rule, two rows, count line


@pytest.mark.parametrize("content,message", [
    (None, "not found"),
    ("folder", "not a regular file (a folder, a device or a pipe)"),
    (b"SELECT ?x { ?x ?p \xe9 }", "not UTF-8"),
])
def test_a_bad_query_file_is_one_located_error(run, tmp_path, content, message):
    path = tmp_path / "q.rq"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    code, out, err = run(f"@{path}")
    assert code == 2 and not out and message in err and str(path) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_export_construct_reads_the_store_and_its_file_is_checked(store_dir, tmp_path,
                                                                   capsys):
    query = tmp_path / "q.rq"
    query.write_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . "
                     "FILTER(?s = <https://w3id.org/exokg/id/content/mir-21>) }")
    out = tmp_path / "mir21.graphml"
    assert main(["export", "--store", str(store_dir), "--format", "graphml",
                 "--construct", str(query), "--out", str(out)]) == 0
    import networkx as nx

    assert "https://w3id.org/exokg/id/content/mir-21" in nx.read_graphml(out)
    capsys.readouterr()
    assert main(["export", "--store", str(store_dir), "--format", "graphml",
                 "--construct", str(tmp_path / "missing.rq")]) == 2
    assert "missing.rq: not found" in capsys.readouterr().err
    query.write_text("SELECT * { ?s ?p ?o }")
    assert main(["export", "--store", str(store_dir), "--format", "graphml",
                 "--construct", str(query)]) == 2
    assert "CONSTRUCT or DESCRIBE" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["pipe", "device"])
def test_a_query_file_that_is_not_a_regular_file_is_refused(store_dir, tmp_path, capsys,
                                                             kind):
    """A pipe hung `exokg query @FILE`, and /dev/zero took it to a MemoryError."""
    import os

    path = Path("/dev/zero") if kind == "device" else tmp_path / "q.rq"
    if kind == "pipe":
        os.mkfifo(path)
    assert main(["query", "--store", str(store_dir), f"@{path}"]) == 2
    assert f"{path}: not a regular file (a folder, a device or a pipe)" in \
        capsys.readouterr().err
    assert main(["export", "--store", str(store_dir), "--format", "graphml",
                 "--construct", str(path)]) == 2
    assert "not a regular file" in capsys.readouterr().err


FINDINGS_CONSTRUCT = ("PREFIX exo: <https://w3id.org/exokg/vocab#> CONSTRUCT { ?f ?p ?o } "
                      "WHERE { ?f a exo:Finding ; ?p ?o . FILTER(isIRI(?o)) }")


def test_a_construct_of_findings_exports_its_findings(store_dir, tmp_path, capsys):
    """The findings' own exo:citedIn, exo:isolatedBy ... were taken for the entity view's
    shortcut edges: every network format got an empty graph, silently."""
    import networkx as nx

    query = tmp_path / "findings.rq"
    query.write_text(FINDINGS_CONSTRUCT)
    out = tmp_path / "findings.graphml"
    assert main(["export", "--store", str(store_dir), "--format", "graphml",
                 "--construct", str(query), "--out", str(out)]) == 0
    graph = nx.read_graphml(out)
    findings = [n for n in graph if "/finding/" in n]
    assert len(findings) == 66 and graph.number_of_edges() > 66
    # --findings asks for it outright: the same graph
    again = tmp_path / "again.graphml"
    assert main(["export", "--store", str(store_dir), "--format", "graphml", "--findings",
                 "--construct", str(query), "--out", str(again)]) == 0
    assert set(nx.read_graphml(again)) == set(graph)


def test_export_construct_keeps_statements_of_any_predicate(store_dir, tmp_path):
    """A CONSTRUCT of another vocabulary's predicate exported as no edge at all."""
    import networkx as nx

    query = tmp_path / "q.rq"
    query.write_text("PREFIX exo: <https://w3id.org/exokg/vocab#> CONSTRUCT { ?c "
                     "<http://example.org/seenIn> ?r } WHERE { ?c exo:citedIn ?r }")
    out = tmp_path / "seen.gexf"
    assert main(["export", "--store", str(store_dir), "--format", "gexf",
                 "--construct", str(query), "--out", str(out)]) == 0
    edges = list(nx.read_gexf(out).edges(data=True))
    assert len(edges) > 50 and {d["predicate"] for *_, d in edges} == \
        {"http://example.org/seenIn"}


def test_a_construct_download_of_findings_and_an_unknown_suffix(client):
    r = client.get("/query.csv", query_string={"query": FINDINGS_CONSTRUCT})
    assert r.status_code == 200 and r.data.count(b"/finding/t") > 66
    r = client.get("/query.nope", query_string={"query": FINDINGS_CONSTRUCT})
    assert r.status_code == 406 and b"nope" in r.data


@pytest.mark.parametrize("command", [
    ["serve"], ["query", "ASK {}"], ["validate"], ["neighbors", "miR-21"],
    ["load", "--store-url", "http://127.0.0.1:9/q", "--update-url", "http://127.0.0.1:9/u"]])
def test_data_given_twice_is_every_file(command):
    """``--data a --data b`` reads both files: each command's option adds to the list (it
    kept the last one, and served half of the data without a word)."""
    from exokg.cli import build_parser

    args = build_parser().parse_args([*command, "--data", "a.nt", "--data", "b.nt"])
    assert args.data == ["a.nt", "b.nt"]


def test_query_reads_every_data_file_given(tmp_path, capsys):
    a, b = tmp_path / "a.nt", tmp_path / "b.nt"
    a.write_text("<http://e/a> <http://e/p> <http://e/b> .\n", encoding="utf-8")
    b.write_text("<http://e/c> <http://e/p> <http://e/d> .\n", encoding="utf-8")
    code = main(["query", "--store", str(tmp_path / "stores"), "--data", str(a),
                 "--data", str(b), "--format", "csv", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"])
    assert code == 0 and capsys.readouterr().out == "n\r\n2\r\n"


@pytest.mark.parametrize("command", [
    ["query", "ASK {}"], ["validate"], ["serve", "--port", "8080"], ["neighbors", "miR-21"]])
def test_records_with_data_is_one_line_and_exit_2(tmp_path, command):
    """--records adds to the review's tables, --data replaces them: the records were
    silently left out, even a folder that does not exist."""
    data = tmp_path / "a.nt"
    data.write_text("<http://e/a> <http://e/b> <http://e/c> .\n")
    result = exokg(*command, "--data", str(data), "--records", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"exokg {command[0]}: error: --records (RECORDS_DIRS) adds records to the review's "
        "tables, --data (DATA_FILES) serves RDF files instead of them: give one or the other"]


@pytest.mark.parametrize("option", ["--records", "--data"])
def test_an_input_given_twice_is_one_line_and_exit_2(tmp_path, option):
    """A records folder given twice was refused as each of its entities "defined twice"
    against itself; a data file given twice was read twice."""
    if option == "--records":
        target = tmp_path / "lab"
        target.mkdir()
    else:
        target = tmp_path / "a.nt"
        target.write_text("<http://e/a> <http://e/b> <http://e/c> .\n")
    # the same input, spelt another way
    result = exokg("validate", option, str(target), option, str(tmp_path / "." / target.name))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "is given twice (also as" in result.stderr
