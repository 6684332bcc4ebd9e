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


def test_unknown_format_is_an_error(run):
    code, out, err = run("--format", "n3", COUNT)
    assert code == 2 and not out and "unknown format 'n3'" in err and "sparql-tsv" in err


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


def test_query_needs_neither_the_server_nor_flask(store_dir):
    """The library's Config and service are enough: ``exokg query`` imports no server."""
    import subprocess
    import sys

    from conftest import RUN_DIR

    script = ("import sys; from exokg.cli import main; "
              f"code = main(['query', '--store', {str(store_dir)!r}, '--max-rows', '2', "
              "'SELECT ?s { ?s ?p ?o }']); "
              "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug') "
              "or m.startswith('exokg.server')); "
              "print(code, bad, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script], cwd=RUN_DIR, capture_output=True,
                            text=True, timeout=300)
    assert result.stderr.strip().splitlines()[-1] == "0 []", result.stderr
    assert "result cut at 2 rows (--max-rows)" in result.stderr
    assert result.stdout.count("\n") == 2 + 2 + 1  # head, rule, two rows, count line
