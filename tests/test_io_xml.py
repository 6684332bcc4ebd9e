"""GraphML, GEXF and SVG of a graph whose literal holds a character XML 1.0 cannot carry
(kg/io/_xml.py): the files still open in their readers, the character shown as U+FFFD."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import pytest
import requests
from conftest import exokg, serve_text, server_log

#: A label with U+0001 (Turtle escapes it; RDF allows it; XML 1.0 holds it in no form).
DATA = """\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix exo: <https://w3id.org/exokg/vocab#> .
<https://ex.org/a> a exo:MicroRNA ; rdfs:label "miR\\u0001A" ; exo:regulates <https://ex.org/b> .
<https://ex.org/b> a exo:Disease ; rdfs:label "tab\\tand\\u000Bvtab" .
"""


@pytest.mark.parametrize(("fmt", "read"), [("graphml", nx.read_graphml),
                                           ("gexf", nx.read_gexf)])
def test_a_control_character_in_a_label_gives_a_file_its_reader_opens(fmt, read, tmp_path):
    data = tmp_path / "labels.ttl"
    data.write_text(DATA)
    out = tmp_path / f"graph.{fmt}"
    done = exokg("export", "--data", str(data), "--store", str(tmp_path / "store"),
                 "--format", fmt, "--out", str(out))
    assert done.returncode == 0, done.stderr
    labels = dict(read(out).nodes(data="label"))
    assert labels["https://ex.org/a"] == "miR\ufffdA"
    assert labels["https://ex.org/b"] == "tab\tand\ufffdvtab"  # a tab is XML


def test_a_control_character_in_a_label_gives_svg_that_parses(tmp_path):
    data = tmp_path / "labels.ttl"
    data.write_text(DATA)
    out = tmp_path / "graph.svg"
    done = exokg("export", "--data", str(data), "--store", str(tmp_path / "store"),
                 "--format", "svg", "--out", str(out))
    assert done.returncode == 0, done.stderr
    drawn = "".join(ET.parse(out).getroot().itertext())
    assert "miR\ufffdA" in drawn


#: An entity whose label holds U+000B, in the graph's own namespaces (its page exists).
ENTITY = """\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix exo: <https://w3id.org/exokg/vocab#> .
<https://w3id.org/exokg/id/content/a> a exo:MicroRNA ; rdfs:label "miR-A" ;
    exo:regulates <https://w3id.org/exokg/id/disease/b> .
<https://w3id.org/exokg/id/disease/b> a exo:Disease ; rdfs:label "line\\u000Btab" .
"""


@pytest.fixture(scope="module")
def unfit_server(tmp_path_factory):
    yield from serve_text(tmp_path_factory, ENTITY)


@pytest.mark.parametrize("path", [
    "/id/disease/b.rdf",
    "/api/neighborhood?node=exoid:content/a&format=rdfxml",
    "/api/path?source=exoid:content/a&target=exoid:disease/b&format=rdfxml",
    "/query.rdfxml?query=CONSTRUCT+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D",
    "/api/export?format=rdfxml",
])
def test_rdfxml_that_cannot_hold_a_label_is_406_on_every_route(unfit_server, path):
    """Four routes sent RDF/XML that no XML reader parses, with a 200; the whole-graph
    export refused it as a 500."""
    proc, url = unfit_server
    r = requests.get(url + path, timeout=60)
    assert r.status_code == 406, r.text[:300]
    assert "XML 1.0 cannot carry" in r.text
    turtle = requests.get(url + path.replace("rdfxml", "turtle").replace(".rdf", ".ttl"),
                          timeout=60)
    assert turtle.status_code == 200, turtle.text[:300]  # the same graph, in a syntax that holds it
    assert "line\\u000Btab" in turtle.text or "line\x0btab" in turtle.text
    assert "Traceback" not in server_log(proc)
