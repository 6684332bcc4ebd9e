"""Values no JSON number can hold (NaN, infinities) in the API and the JSON exports
(kg/io/_values.py ``finite``, server/json_provider.py, kg/io/cytoscape.py): null, in strict
JSON, which JSON.parse, Cytoscape and NDEx read; the API wrote NaN when an integer beyond
64 bits sent it to the standard encoder, and the Cytoscape and CX2 exports always did.
Typed formats (GraphML) keep them."""

from __future__ import annotations

import io
import json
import math

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
