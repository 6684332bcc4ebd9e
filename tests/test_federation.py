"""A federated query: ExoKG's HCC findings joined to an external endpoint through MONDO.

The external endpoint is a second real server on loopback; ExoKG calls it only because
its SERVICE allowlist names it.
"""

from __future__ import annotations

import pytest
import requests
from conftest import DATA, start_server, stop_server

FEDERATED = """
PREFIX exo: <https://w3id.org/exokg/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
SELECT ?label ?mondo ?mondoLabel ?doid WHERE {
  ?content exo:upregulatedIn ?disease ; rdfs:label ?label .
  ?disease skos:exactMatch ?mondo .
  FILTER(STRSTARTS(STR(?mondo), "http://purl.obolibrary.org/obo/MONDO_"))
  SERVICE <ENDPOINT> { ?mondo rdfs:label ?mondoLabel ; oboInOwl:hasDbXref ?doid .
                       FILTER(STRSTARTS(?doid, "DOID:")) }
  FILTER(?label = "miR-21")
}
ORDER BY ?mondoLabel
"""


@pytest.fixture(scope="module")
def endpoints(store_dir):
    external, external_url = start_server(
        ["--store", str(store_dir), "--data", str(DATA / "external-mondo.ttl"),
         "--workers", "1", "--executors", "1", "--no-access-log"])
    endpoint = f"{external_url}/sparql"
    exokg, exokg_url = start_server(
        ["--store", str(store_dir), "--workers", "1", "--executors", "1", "--timeout", "20",
         "--service-allow", endpoint, "--no-access-log"])
    yield exokg_url, endpoint
    stop_server(exokg)
    stop_server(external)


def test_federated_join_through_shared_identifiers(endpoints):
    exokg_url, endpoint = endpoints
    response = requests.post(f"{exokg_url}/sparql",
                             data={"query": FEDERATED.replace("ENDPOINT", endpoint)},
                             headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert response.status_code == 200, response.text
    rows = [{k: v["value"] for k, v in b.items()}
            for b in response.json()["results"]["bindings"]]
    assert rows == [
        {"label": "miR-21", "mondo": "http://purl.obolibrary.org/obo/MONDO_0018666",
         "mondoLabel": "hepatoblastoma", "doid": "DOID:687"},
        {"label": "miR-21", "mondo": "http://purl.obolibrary.org/obo/MONDO_0007256",
         "mondoLabel": "hepatocellular carcinoma", "doid": "DOID:684"},
    ]


def test_a_service_not_on_the_allowlist_is_refused(endpoints):
    exokg_url, _ = endpoints
    query = FEDERATED.replace("ENDPOINT", "http://127.0.0.1:9/sparql")
    response = requests.get(f"{exokg_url}/sparql", params={"query": query}, timeout=30)
    assert response.status_code == 403
    assert "SERVICE_ALLOWLIST" in response.text


def test_a_service_endpoint_that_fails_is_a_502_naming_it(tmp_path):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}/sparql"
    proc, url = start_server(["--store", str(tmp_path / "store"), "--workers", "1",
                              "--executors", "1", "--no-access-log"],
                             env={"EXOKG_SERVICE_ALLOWLIST": endpoint})
    try:
        response = requests.get(f"{url}/sparql", params={
            "query": f"SELECT * {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"}, timeout=60)
    finally:
        stop_server(proc)
    assert response.status_code == 502, response.text
    assert f"the query failed while it called SERVICE <{endpoint}>: " in response.text
