"""Values no JSON number can hold (NaN, infinities) in the API and the JSON exports
(kg/io/_values.py ``finite``, server/json_provider.py, kg/io/cytoscape.py): null, in strict
JSON, which JSON.parse, Cytoscape and NDEx read; the API wrote NaN when an integer beyond
64 bits sent it to the standard encoder, and the Cytoscape and CX2 exports always did.
Typed formats (GraphML) keep them."""

from __future__ import annotations

import io
import json
import math
import re

import networkx as nx
import pytest
import requests
from conftest import serve_text, server_log

DATA = """\
@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/exokg/id/content/n1> a exo:MicroRNA ; rdfs:label "n1" ;
    exo:sampleSize "NaN"^^xsd:double ; exo:ratio "INF"^^xsd:double ; exo:other "-INF"^^xsd:double ;
    exo:regulates <https://w3id.org/exokg/id/disease/d> .
<https://w3id.org/exokg/id/content/n2> a exo:MicroRNA ; rdfs:label "n2" ;
    exo:sampleSize 1000000000000000000000000000000 ;
    exo:regulates <https://w3id.org/exokg/id/disease/d> .
<https://w3id.org/exokg/id/content/n3> a exo:MicroRNA ; rdfs:label "n3" ; exo:ratio 12.5e0 ;
    exo:regulates <https://w3id.org/exokg/id/disease/d> .
<https://w3id.org/exokg/id/content/n4> a exo:MicroRNA ; rdfs:label "n4" ;
    exo:flag "maybe"^^xsd:boolean ; exo:count 12345678901234567890123 ;
    exo:grouped "1_000"^^xsd:integer ;
    exo:regulates <https://w3id.org/exokg/id/disease/d> .
<https://w3id.org/exokg/id/content/n5> a exo:MicroRNA ; rdfs:label "n5" ;
    exo:flag true ; exo:count 7 ; exo:regulates <https://w3id.org/exokg/id/disease/d> .
<https://w3id.org/exokg/id/disease/d> a exo:Disease ; rdfs:label "d" .
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from serve_text(tmp_path_factory, DATA)


def _strict(text: str):
    def refuse(constant: str):
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("path", [
    "/api/neighborhood?node=exoid:disease/d",
    "/api/neighborhood?node=exoid:disease/d&format=cytoscape",
    "/api/export?format=cytoscape",
    "/api/export?format=cx2",
])
def test_a_value_no_json_number_holds_gives_strict_json(served, path):
    proc, url = served
    r = requests.get(url + path, timeout=60)
    assert r.status_code == 200
    _strict(r.text)
    assert "Traceback" not in server_log(proc)


def test_a_typed_export_keeps_its_column_type_and_values(served):
    """GraphML doubles hold NaN and INF: the column stays a double (a first fix wrote them
    as strings, and every value of the column came back a string)."""
    proc, url = served
    r = requests.get(f"{url}/api/export?format=graphml", timeout=60)
    assert r.status_code == 200
    assert 'attr.name="ratio" attr.type="double"' in r.text
    nodes = nx.read_graphml(io.BytesIO(r.content)).nodes
    assert nodes["https://w3id.org/exokg/id/content/n1"]["ratio"] == math.inf
    assert nodes["https://w3id.org/exokg/id/content/n3"]["ratio"] == 12.5


def _graphml_types(text: str) -> dict[str, str]:
    return dict(re.findall(r'attr\.name="([^"]+)" attr\.type="([^"]+)"', text))


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_typed_exports_write_what_their_readers_parse(served, fmt):
    """An ill-typed boolean ("maybe") came out as false, an integer past 64 bits was
    declared a long (Gephi, yEd and Cytoscape read a long as Java's 64-bit one), and the
    infinities were written inf and nan (which Java's Double.parseDouble refuses)."""
    proc, url = served
    r = requests.get(f"{url}/api/export?format={fmt}", timeout=60)
    assert r.status_code == 200
    reader = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    nodes = reader(io.BytesIO(r.content)).nodes
    n4, n5 = (nodes[f"https://w3id.org/exokg/id/content/{n}"] for n in ("n4", "n5"))
    assert n4["flag"] == "maybe" and n4["count"] == "12345678901234567890123"
    assert n4["grouped"] == "1_000"
    assert str(n5["count"]) == "7"
    assert nodes["https://w3id.org/exokg/id/content/n1"]["ratio"] == math.inf
    assert nodes["https://w3id.org/exokg/id/content/n1"]["other"] == -math.inf
    values = re.findall(r'(?:<data key="[^"]+">|value=")([^<"]*)', r.text)
    assert "Infinity" in values and "-Infinity" in values and "NaN" in values
    assert not {"inf", "-inf", "nan"} & set(values)
    if fmt == "graphml":
        types = _graphml_types(r.text)
        assert types["count"] == "string" and types["flag"] == "string"


def test_an_ill_typed_literal_keeps_its_text_in_rdf_exports(served):
    """Exports made through rdflib normalised "maybe"^^xsd:boolean into "false" and read
    "1_000"^^xsd:integer as 1000 (Python's int takes what XSD does not)."""
    import pyoxigraph as ox

    proc, url = served
    for fmt, rdf in (("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES)):
        r = requests.get(f"{url}/api/neighborhood?node=exoid:content/n4&depth=1&format={fmt}",
                         timeout=60)
        assert r.status_code == 200, r.text
        held = {t.predicate.value.rsplit("#", 1)[-1]: (t.object.value, t.object.datatype.value)
                for t in ox.parse(r.content, rdf)
                if t.predicate.value.endswith(("#flag", "#grouped"))}
        assert held == {"flag": ("maybe", "http://www.w3.org/2001/XMLSchema#boolean"),
                        "grouped": ("1_000", "http://www.w3.org/2001/XMLSchema#integer")}, fmt
