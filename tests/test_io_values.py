"""Values no JSON number can hold (NaN, infinities) in the API and the JSON exports
(kg/io/_values.py, server/json_provider.py): strict JSON, which JSON.parse, Cytoscape and
NDEx read; the API wrote NaN when an integer beyond 64 bits sent it to the standard
encoder, and the Cytoscape and CX2 exports always did."""

from __future__ import annotations

import json

import pytest
import requests
from conftest import serve_text, server_log

DATA = """\
@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/exokg/id/content/n1> a exo:MicroRNA ; rdfs:label "n1" ;
    exo:sampleSize "NaN"^^xsd:double ; exo:x "INF"^^xsd:double ; exo:y "-INF"^^xsd:double ;
    exo:regulates <https://w3id.org/exokg/id/disease/d> .
<https://w3id.org/exokg/id/content/n2> a exo:MicroRNA ; rdfs:label "n2" ;
    exo:sampleSize 1000000000000000000000000000000 ;
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
    if "format=" in path:  # an export keeps the value, as XSD writes it
        assert '"INF"' in r.text and '"-INF"' in r.text and '"NaN"' in r.text
    assert "Traceback" not in server_log(proc)
