"""Where the input writes a value the build refuses (exokg.written_at)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from exokg.store import rdf_format
from exokg.written_at import written_at

_INT = "http://www.w3.org/2001/XMLSchema#integer"
_BAD = f'"12x"^^<{_INT}>'


@pytest.fixture(params=["grep", "python"])
def search(request, monkeypatch):
    """Each case with the system's grep and with the Python scan it falls back to."""
    if request.param == "python":
        monkeypatch.setattr("exokg.written_at.shutil.which", lambda name: None)
    return request.param


def test_turtle_relative_subject_in_the_second_file(tmp_path, search):
    first, second = tmp_path / "a.nt", tmp_path / "b.ttl"
    first.write_text(f'<http://e/other> <http://e/n> {_BAD} .\n')
    second.write_text(f'@base <http://e/> .\n\n<f1> a <K> ;\n  <n> "12x"^^<{_INT}> .\n')
    assert written_at([first, second], "http://e/f1", "http://e/n", _BAD,
                      rdf_format) == f"{second}, line 4"


def test_ntriples_line_of_the_subject_not_the_first_with_the_value(tmp_path, search):
    data = tmp_path / "a.nt"
    data.write_text("".join(f'<http://e/f{i}> <http://e/n> {_BAD} .\n' for i in range(5)))
    assert written_at([data], "http://e/f3", "http://e/n", _BAD, rdf_format) == f"{data}, line 4"


def test_rdf_xml_value_between_tags(tmp_path, search):
    data = tmp_path / "a.rdf"
    data.write_text('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
                    'rdf-syntax-ns#" xmlns:e="http://e/">\n<rdf:Description rdf:about='
                    f'"http://e/f1">\n<e:n rdf:datatype="{_INT}">12x</e:n>\n'
                    '</rdf:Description>\n</rdf:RDF>\n')
    assert written_at([data], "http://e/f1", "http://e/n", _BAD, rdf_format) == f"{data}, line 4"


def test_a_value_not_written_as_given_names_the_file(tmp_path, search):
    """Bare in Turtle, or rewritten by the store: the file, no line."""
    data = tmp_path / "a.ttl"
    data.write_text("<http://e/f1> <http://e/n> -5 .\n")
    value = f'"-5"^^<{_INT}>'
    assert written_at([data, tmp_path / "gone.nt"], "http://e/f1", "http://e/n", value,
                      rdf_format) == str(data)


def test_no_file_holds_it(tmp_path, search):
    data = tmp_path / "a.nt"
    data.write_text(f'<http://e/f1> <http://e/n> {_BAD} .\n')
    other = tmp_path / "b.nt"
    other.write_text("")
    assert written_at([data, other], "http://e/f2", "http://e/n", _BAD, rdf_format) is None


def test_parses_quads(tmp_path, search):
    data, other = tmp_path / "a.trig", tmp_path / "b.nq"
    data.write_text("")
    other.write_text(f'<http://e/f1> <http://e/n> {_BAD} <http://e/g> .\n')
    assert rdf_format(other) == ox.RdfFormat.N_QUADS
    assert written_at([data, other], "http://e/f1", "http://e/n", _BAD,
                      rdf_format) == f"{other}, line 1"


def test_an_iri_where_a_number_belongs(tmp_path, search):
    data = tmp_path / "a.nt"
    data.write_text('<http://e/f0> <http://e/n> "1" .\n'
                    '<http://e/f1> <http://e/n> <http://e/12> .\n')
    assert written_at([data], "http://e/f1", "http://e/n", "<http://e/12>",
                      rdf_format) == f"{data}, line 2"


def test_two_files_of_one_name_are_told_apart(tmp_path, search):
    """The error named the file's name alone: ``x.ttl, line 5`` of two folders' x.ttl."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = tmp_path / "a" / "x.nt", tmp_path / "b" / "x.nt"
    first.write_text(f'<http://e/f0> <http://e/n> {_BAD} .\n')
    second.write_text(f'<http://e/f1> <http://e/n> {_BAD} .\n')
    assert written_at([first, second], "http://e/f1", "http://e/n", _BAD,
                      rdf_format) == f"{second}, line 1"


def test_carriage_returns_end_no_line(tmp_path, search):
    """A bare carriage return split grep's output where grep counts no line: a crash."""
    data = tmp_path / "a.ttl"
    data.write_bytes(b'@prefix e: <http://e/> .\re:f0 e:x "1" .\n'
                     b'<http://e/f1> <http://e/n> "12x"^^<http://www.w3.org/2001/XMLSchema'
                     b'#integer> .\n')
    assert written_at([data], "http://e/f1", "http://e/n", _BAD, rdf_format) == f"{data}, line 2"


def test_a_value_past_the_argument_list_limit(tmp_path, search):
    """A 200,000-character value passed grep's argument list limit: OSError."""
    long = "1x" * 100_000
    data = tmp_path / "a.nt"
    data.write_text(f'<http://e/f0> <http://e/a> "b" .\n<http://e/f1> <http://e/n> "{long}" .\n')
    assert written_at([data], "http://e/f1", "http://e/n", f'"{long}"',
                      rdf_format) == f"{data}, line 2"


def test_a_long_string_or_a_blank_node_gets_the_file_or_nothing(tmp_path, search):
    """rdflib writes a value with a line break in triple quotes: its "" matched the first
    empty string of the file. A blank node is named by no file: among two, no search."""
    data, other = tmp_path / "a.nt", tmp_path / "b.nt"
    data.write_text('<http://e/f1> <http://e/l> "" .\n<http://e/f1> <http://e/n> "1\\n2" .\n')
    other.write_text("")
    assert written_at([data], "http://e/f1", "http://e/n", '"""1\n2"""',
                      rdf_format) == str(data)
    assert written_at([data, other], "b0a1", "http://e/n", _BAD, rdf_format) is None
