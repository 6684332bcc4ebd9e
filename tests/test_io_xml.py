"""GraphML, GEXF and SVG of a graph whose literal holds a character XML 1.0 cannot carry
(kg/io/_xml.py): the files still open in their readers, the character shown as U+FFFD."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import pytest
from conftest import exokg

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
