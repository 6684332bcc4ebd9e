"""kg/xml_entities.py: RDF/XML inputs whose entities could expand without bound are
refused before anything is built, naming the file; a namespace entity is read."""

from __future__ import annotations

import socket
import subprocess
import sys

import pyoxigraph as ox
import pytest
from exokg import xml_entities
from exokg.xml_entities import check_entities

RDF = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{}</rdf:RDF>\n'
# three levels of three: what a billion laughs is, small enough that a check gone wrong
# costs nothing
NESTED = "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 3}">' for i in range(1, 4))
BOMB = (f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a0 "lol">{NESTED}]>\n'
        + RDF.format('<rdf:Description rdf:about="http://a/s"><p xmlns="http://a/">&a3;</p>'
                     "</rdf:Description>"))
NAMESPACES = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
              '  <!ENTITY ex "https://example.org/ns#" >\n]>\n'
              + RDF.format('<rdf:Description rdf:about="&ex;s"><p xmlns="&ex;">o</p>'
                           "</rdf:Description>"))


@pytest.mark.parametrize(("doctype", "words"), [
    (NESTED, "refers to another entity"),
    ('<!ENTITY x SYSTEM "file:///etc/passwd">', "refers outside the file"),
    ('<!ENTITY % p "x">', "parameter entity"),
    (f'<!ENTITY big "{"x" * 5000}">', "longer than 4096 bytes"),
])
def test_entities_that_could_expand_without_bound_are_refused(tmp_path, doctype, words):
    path = tmp_path / "in.rdf"
    path.write_text(f'<!DOCTYPE r [<!ENTITY a0 "lol">{doctype}]>\n' + RDF.format(""))
    with pytest.raises(Exception, match=words) as err:
        check_entities(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("wrapping", [
    lambda doctype: f"<!-- <!DOCTYPE x []> -->\n{doctype}",  # a decoy DOCTYPE first
    lambda doctype: doctype.replace("<!DOCTYPE", "<!doctype"),
    lambda doctype: doctype.replace("[", "[<!-- <]> --><?x <]>?>", 1),  # ]> hides the rest
    lambda doctype: " " * (2 << 20) + doctype,  # past any prolog window
    lambda doctype: f"<!DOCTYPE x []>\n{doctype}",  # a second DOCTYPE
])
def test_a_nested_entity_is_found_wherever_the_file_hides_it(tmp_path, wrapping):
    path = tmp_path / "in.rdf"
    path.write_text(wrapping(f'<!DOCTYPE r [<!ENTITY a0 "lol">{NESTED}]>\n') + RDF.format(""))
    with pytest.raises(Exception, match="refers to another entity"):
        check_entities(path)


def test_a_value_with_percent_signs_or_character_references_is_read(tmp_path):
    path = tmp_path / "in.rdf"
    path.write_text('<!DOCTYPE r [<!ENTITY ex "http://example.org/a%20b&#38;c#">\n'
                    '<!ENTITY ex "http://example.org/again#"> ]\n>' + RDF.format("&ex;"))
    check_entities(path)


def test_many_references_to_a_flat_entity_are_refused_past_the_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(xml_entities, "EXPANSION_MAX", 1000)
    path = tmp_path / "in.rdf"
    path.write_text('<!DOCTYPE r [<!ENTITY e "0123456789">]>\n' + RDF.format("&e;" * 101))
    with pytest.raises(Exception, match="would expand to 1010 bytes"):
        check_entities(path)


def test_references_are_counted_across_the_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(xml_entities, "_CHUNK", 7)  # every reference crosses an edge
    path = tmp_path / "in.rdf"
    path.write_text('<!DOCTYPE r [<!ENTITY e "x"><!ENTITY ee "y">]>\n'
                    + RDF.format("&e;-&ee;" * 50 + "&e;"))
    assert xml_entities._references(path, {b"e": 1, b"ee": 1}) == {b"e": 51, b"ee": 50}


def test_a_billion_laughs_file_is_refused_at_start_and_a_namespace_entity_served(tmp_path):
    bomb, ok = tmp_path / "bomb.rdf", tmp_path / "ok.owl"
    bomb.write_text(BOMB)
    ok.write_text(NAMESPACES)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = str(free.getsockname()[1])
    run = subprocess.run([sys.executable, "-m", "exokg", "serve", "--port", port, "--store",
                          str(tmp_path / "store"), "--data", str(bomb)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{bomb}: the XML entity 'a1' refers to another entity" in run.stderr
    check_entities(ok)  # no error, and the store's parser expands it
    triples = list(ox.parse(path=str(ok), format=ox.RdfFormat.RDF_XML))
    assert [t.subject.value for t in triples] == ["https://example.org/ns#s"]
