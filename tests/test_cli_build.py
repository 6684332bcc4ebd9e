"""``exokg build``, ``validate``, ``stats`` and ``--help``, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import RUN_DIR, _free_port
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


def test_build_out_into_a_folder_or_a_missing_folder_is_refused_leaving_nothing(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    missing = tmp_path / "no-such-folder" / "exokg.ttl"
    for command, out, message in [
            (["build"], folder, "is a folder"),
            (["build"], missing, f"the folder {missing.parent} does not exist"),
            (["export", "--format", "graphml"], folder, "is a folder"),
            (["export", "--format", "graphml"], missing, "does not exist")]:
        result = exokg(*command, "--out", str(out))
        assert result.returncode == 2, (command, out)
        assert result.stderr.startswith(f"exokg {command[0]}: error: --out {out}: ")
        assert message in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no stray file
        assert list(folder.iterdir()) == []


def test_build_out_replaces_a_file_whole_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "exokg.nt"
    out.write_text("old")
    out.chmod(0o640)
    result = exokg("build", "--format", "nt", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == to_sorted_ntriples(build_graph())
    assert out.stat().st_mode & 0o777 == 0o640  # the old file's permissions stay
    assert [p.name for p in tmp_path.iterdir()] == ["exokg.nt"]


T2 = ("row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
      "function\tref\n")
ROW = "1\tHCC\tmiRNAs\tmiR-21\tSerum (n = 12)\tUp\tSBI\tqRT-PCR\tCafé\t[14]\n"


LATIN_1 = ("latin-1", "row 2, column function", "byte 0xE9 is 'é' in Latin-1 or Windows-1252")
UTF_16 = ("utf-16", "row 1", "looks like UTF-16, as Excel's 'Unicode text' saves")


# each command once (each reads records through build_graph), the two encodings in turn
@pytest.mark.parametrize(("command", "encoding", "line", "hint"), [
    (["build"], *LATIN_1), (["validate"], *UTF_16), (["stats"], *LATIN_1),
    (["query", "SELECT * { ?s ?p ?o } LIMIT 1"], *UTF_16), (["search", "miR-21"], *LATIN_1),
    (["export", "--format", "graphml"], *UTF_16), (["serve", "--port", "1"], *LATIN_1)],
    ids=lambda v: v[0] if isinstance(v, list) else None)
def test_every_command_refuses_a_records_file_not_in_utf8_in_one_line(
        tmp_path, command, encoding, line, hint):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "table2.tsv").write_bytes((T2 + ROW).encode(encoding))
    extra = ["--store", str(tmp_path / "store")] if command[0] == "serve" else []
    result = exokg(*command, *extra, "--records", str(folder))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"exokg {command[0]}: error: {folder / 'table2.tsv'}, {line}: not UTF-8 ({hint}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_build_reads_a_utf8_file_with_a_byte_order_mark_and_crlf(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "table2.tsv").write_bytes(b"\xef\xbb\xbf" + (T2 + ROW).replace(
        "\n", "\r\n").encode())
    out = tmp_path / "mine.nt"
    result = exokg("build", "--records", str(folder), "--format", "nt", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert '"Café"' in out.read_text(encoding="utf-8")



@pytest.mark.parametrize(("name", "data", "message"), [
    ("latin.ttl", '<http://e/a> <http://e/b> "café" .\n'.encode("latin-1"),
     "latin.ttl, row 1: not UTF-8 (byte 0xE9 is 'é' in Latin-1"),
    ("broken.rdf", b"<rdf:RDF", "broken.rdf: not valid RDF"),
    # read as an empty graph, "ok: 0 triples"
    ("empty.rdf", b"", "empty.rdf: not valid RDF: an XML document has a root element"),
    ("blank.owl", b'<?xml version="1.0"?>\n<!-- nothing -->\n',
     "blank.owl: not valid RDF: an XML document has a root element"),
    ("comment.rdf", b'<?xml version="1.0"?>\n<!-- <rdf:RDF> nothing -->\n',
     "comment.rdf: not valid RDF: an XML document has a root element"),
    ("doctype.rdf", b'<!DOCTYPE x [<!ENTITY e "<a/>">]>',
     "doctype.rdf: not valid RDF: an XML document has a root element"),
    ("broken.nt", b"<http://e/a> <http://e/b> [\n", "broken.nt: not valid RDF"),
    ("empty.nt", b"", "empty.nt: holds no triples (an empty file, or only prefixes and"),
    ("comments.ttl", b"@base <http://e/> .\n# to do\n", "comments.ttl: holds no triples"),
    ("long.nt", b'<http://e/a> <http://e/b> "' + b"x" * (17 * 2**20) + b'" .\n',
     "long.nt: not valid RDF: a line or a term longer than 16 MiB"),
    ("missing.ttl", None, "missing.ttl: not found"),
    ("bom.nt", b'\xef\xbb\xbf<http://e/a> <http://e/b> "c" .\n',
     "bom.nt: not valid RDF: the file starts with a byte order mark (U+FEFF)"),
    ("bom.ttl", b'\xef\xbb\xbf<http://e/a> <http://e/b> "c" .\n',
     "bom.ttl: not valid RDF: the file starts with a byte order mark (U+FEFF)"),
    # RDF/XML reads a byte order mark: an error there is the file's own
    ("bom.rdf", b'\xef\xbb\xbf<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
     b'02/22-rdf-syntax-ns#"><rdf:Description></q></rdf:RDF>', "bom.rdf: not valid RDF: "),
    ("star.ttl", b'<http://e/a> <http://e/b> <<( <http://e/a> <http://e/b> "c" )>> .\n',
     "star.ttl: a triple term in <http://e/a> <http://e/b> <<("),
    ("dir.nt", b'<http://e/a> <http://e/b> "c"@ar--rtl .\n',
     'dir.nt: a literal with a base direction in <http://e/a> <http://e/b> "c"@ar--rtl'),
    ("vocab.jsonld", b'{"@context": {"@vocab": 5}, "x": 1}', "@vocab value must be a string"),
    ("entity.rdf", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
     b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "entity.rdf")])
def test_validate_refuses_unreadable_rdf_in_one_line(tmp_path, name, data, message):
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    result = exokg("validate", "--data", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"exokg validate: error: {tmp_path}/")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.count(name) == 1  # the parser's own "(file, line N)" dropped


def test_validate_fetches_no_remote_context(tmp_path):
    """A JSON-LD file's remote @context was fetched by `exokg validate` (rdflib's
    parser), which `serve` refuses: a request made on the file's behalf."""
    import http.server
    import threading

    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.end_headers()
            self.wfile.write(b'{"@context": {"name": "http://schema.org/name"}}')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = tmp_path / "remote.jsonld"
        context = f"http://127.0.0.1:{server.server_port}/ctx.jsonld"
        path.write_text(json.dumps({"@context": context, "@id": "http://e/a", "name": "zz"}))
        result = exokg("validate", "--data", str(path))
    finally:
        server.shutdown()
    assert asked == []
    assert result.returncode == 2 and "which ExoKG does not fetch" in result.stderr


def test_validate_says_what_named_graphs_hold_and_no_traceback_for_odd_literals(tmp_path):
    path = tmp_path / "mixed.nq"
    integer = "<http://www.w3.org/2001/XMLSchema#integer>"
    path.write_text(f'<http://e/a> <http://e/p> "abc"^^{integer} .\n'
                    '<http://e/a> <http://e/p> "x" <http://e/g> .\n')
    result = exokg("validate", "--data", str(path))
    assert result.returncode == 0, result.stderr
    assert "ok: 1 triples conform" in result.stdout  # the default graph's one
    assert "note: 1 triples in named graphs were not validated" in result.stderr
    assert "Traceback" not in result.stderr  # rdflib's warning for "abc", in one line


@pytest.mark.parametrize(("command", "inputs"), [
    (["build"], ["records"]), (["validate"], ["records", "data"]),
    (["serve"], ["records"])])  # refused before a store is looked for
def test_an_input_too_large_to_read_whole_is_one_line_and_exit_2(tmp_path, command, inputs):
    """A 40 GB table or RDF file was read until memory ran out: a MemoryError traceback.
    Files past 1 GiB (sparse here: no disk is used) are refused before a byte is read."""
    from exokg.tsv import WHOLE_MAX

    folder = tmp_path / "mine"
    folder.mkdir()
    table = folder / "table2.tsv"
    with table.open("wb") as f:
        f.truncate(WHOLE_MAX + 1)
    data = tmp_path / "huge.nt"
    with data.open("wb") as f:
        f.truncate(WHOLE_MAX + 1)
    extra = ["--port", str(_free_port()), "--store", str(tmp_path / "store")] \
        if command == ["serve"] else []
    for given in inputs:
        result = exokg(*command, *extra, f"--{given}",
                       str(folder if given == "records" else data))
        assert result.returncode == 2, result.stderr[-500:]
        assert f"holds {WHOLE_MAX + 1:,} bytes: an input read whole into memory holds at " \
               f"most {WHOLE_MAX:,}" in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_query_file_too_large_is_one_line_and_exit_2(tmp_path):
    from exokg.cli._input import QUERY_FILE_MAX

    query = tmp_path / "huge.rq"
    with query.open("wb") as f:
        f.truncate(QUERY_FILE_MAX + 1)
    result = exokg("query", f"@{query}")
    assert result.returncode == 2
    assert f"query file {query}: the file holds {QUERY_FILE_MAX + 1:,} bytes" in result.stderr
    assert "Traceback" not in result.stderr
