"""``exokg query``."""

from __future__ import annotations

import json

import pytest
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


def test_json_and_file(run, tmp_path):
    query = tmp_path / "q.rq"
    query.write_text(COUNT)
    code, out, _ = run("--format", "json", f"@{query}")
    assert json.loads(out)["results"]["bindings"][0]["n"]["value"] == "66"


def test_construct_turtle(run):
    code, out, _ = run("DESCRIBE <https://w3id.org/exokg/id/content/mir-21>")
    assert code == 0 and "miR-21" in out and "@prefix exo:" in out


def test_row_cap_is_reported(run):
    code, out, err = run("--max-rows", "2", "SELECT * { ?s ?p ?o }")
    assert code == 0 and "(2 rows, truncated at the row cap)" in out and "--max-rows" in err


def test_bad_query(run):
    code, _, err = run("SELECT * { ?s ?p }")
    assert code == 2 and "at line 1, column" in err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    assert "examples:" in capsys.readouterr().out
