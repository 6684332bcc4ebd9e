"""The graph API over Flask's test client, and once over a real server process.

Each test runs once per store (``conftest.STORES``): over the embedded store through
Flask's test client, and over Oxigraph server as the remote store through a real
``exokg serve --store-url`` (``_web.HttpClient``), with the same expected answers.
"""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import parse_qsl, urlsplit

import networkx as nx
import pytest
from _web import store_client
from conftest import STORES
from exokg.formats import GRAPH_KINDS, get_format
from exokg.io import graph_format_names
from exokg.server import create_app

MIR21 = "https://w3id.org/exokg/id/content/mir-21"


@pytest.fixture(scope="module", params=STORES)
def api(request, store_dir):
    apps = []

    def embedded():
        apps.append(create_app({"TESTING": True, "STORE_DIR": str(store_dir),
                                "EXECUTORS": 1}))
        return apps[0].test_client()

    yield store_client(request, request.param, embedded)
    for app in apps:
        service = app.extensions.get("exokg.sparql")
        if service is not None:
            service.close()


def _json(response, status=200):
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/json"
    return response.get_json()


def test_long_names_are_refused_or_resolved_in_bounded_time(api, monkeypatch):
    """A search's text is at most 500 characters (a 400 past it); a node named by a long
    text is a 404 after a bounded number of searches (its suggestions were searched one
    prefix length at a time: 32,000 searches for a 32,000-character name)."""
    long = " ".join(["m"] * 16_000)
    data = _json(api.get("/api/entities", query_string={"q": long}), 400)
    assert "a search takes at most 500" in data["error"]
    data = _json(api.get("/api/neighborhood", query_string={"node": "miR-21" + long}), 404)
    assert "no node named" in data["error"]


def test_a_long_name_s_suggestions_take_a_few_searches(client, monkeypatch):
    """Its suggestions were searched one prefix length at a time (32,000 searches for a
    32,000-character name); a name opening with punctuation is read from its first
    letter (a prefix of punctuation finds nothing)."""
    import exokg.index

    searched = []
    search = exokg.index.search

    def counted(*args, **kwargs):
        searched.append(args[1])
        return search(*args, **kwargs)

    monkeypatch.setattr(exokg.index, "search", counted)
    long = client.get("/api/neighborhood", query_string={"node": "m " * 16_000})
    assert long.status_code == 404 and len(searched) <= 10, len(searched)
    searched.clear()
    odd = client.get("/api/neighborhood", query_string={"node": "((((((miR-21x"})
    assert odd.status_code == 404 and "miR-21" in odd.get_json()["error"]
    assert len(searched) <= 10


def test_links_carry_only_the_parameters_the_request_read(api):
    """An unknown parameter was copied into each of the fourteen format links: 20 KB of
    it made an answer of a megabyte."""
    data = _json(api.get("/api/path", query_string={
        "source": "miR-21", "target": "HCC", "k": "1", "x": "s" * 20_000}))
    assert data["formats"] and all("x=" not in url and "k=1" in url
                                   for url in data["formats"].values())
    assert len(json.dumps(data)) < 50_000
    many = _json(api.get("/api/neighborhood?node=miR-21&" + "&".join(["types=MicroRNA"] * 2000)))
    assert all(url.count("types=") == 1 for url in many["formats"].values())


def test_entities(api):
    data = _json(api.get("/api/entities?q=MIR-21"))
    assert data["ok"] and data["results"][0]["id"] == MIR21
    assert data["url"].endswith("/api/entities?q=MIR-21")
    data = _json(api.get("/api/entities?q=carcinoma&type=Disease"))
    assert {r["kind"] for r in data["results"]} == {"Disease"}


@pytest.mark.parametrize("node", ["miR-21", "mir-21", MIR21, "exoid:content/mir-21"])
def test_neighborhood_accepts_iri_curie_and_label(api, node):
    data = _json(api.get("/api/neighborhood", query_string={"node": node, "depth": 2}))
    assert data["center"]["id"] == MIR21
    labels = {n["label"] for n in data["nodes"]}
    assert {"hepatocellular carcinoma", "hepatoblastoma", "qRT-PCR"} <= labels
    assert {"Reference", "IsolationMethod"} <= {n["kind"] for n in data["nodes"]}
    assert data["counts"]["nodes"] == len(data["nodes"])
    assert all({"source", "target", "predicate"} <= set(e) for e in data["edges"])
    assert "graphml" in data["formats"]


def test_neighborhood_filters_and_limit(api):
    data = _json(api.get("/api/neighborhood?node=miR-21&predicates=upregulatedIn"))
    assert {e["predicate"] for e in data["edges"]} == {"exo:upregulatedIn"}
    data = _json(api.get("/api/neighborhood?node=hcc&direction=in&types=MicroRNA,Protein"))
    assert {n["kind"] for n in data["nodes"]} == {"MicroRNA", "Protein", "Disease"}
    data = _json(api.get("/api/neighborhood?node=miR-21&depth=2&limit=4"))
    assert data["truncated"] and len(data["nodes"]) == 4
    data = _json(api.get("/api/neighborhood?node=miR-638&findings=true"))
    assert "Finding" in {n["kind"] for n in data["nodes"]}


@pytest.mark.parametrize("url", [
    "/api/neighborhood?node=miR-21&depth=7", "/api/neighborhood?node=miR-21&depth=two",
    "/api/neighborhood?node=miR-21&direction=sideways", "/api/neighborhood",
    "/api/path?source=miR-21", "/api/path?source=miR-21&target=miR-122&k=99",
    "/api/rank?metric=closeness", "/api/entities?q=", "/api/neighborhood?node=x&findings=maybe",
    "/api/rank?limit=", "/api/neighborhood?node=miR-21&depth=", "/api/entities?q=x&type=",
    "/api/neighborhood?node=miR-21&predicates=,", "/api/rank?metric=",
    "/api/neighborhood?node=miR-21&direction=",
    # digits of other scripts, spaces, underscores: Python's int() reads them, no client means them
    "/api/rank?metric=degree&limit=%EF%BC%95", "/api/rank?metric=degree&limit=%205",
    "/api/rank?metric=degree&limit=1_0", "/api/conflicts?page=%D9%A1",
    "/api/rank?metric=degree&limit=" + "9" * 5000, "/api/conflicts?page=" + "9" * 5000,
])
def test_bad_parameters_are_400(api, url):
    data = _json(api.get(url), 400)
    assert data["ok"] is False and data["error"]


def test_an_integer_out_of_range_is_named_with_its_range(api):
    """Past 18 digits it was "must be an integer" of an integer."""
    for raw in ("0", "100000000000000000000", "x"):
        data = _json(api.get(f"/api/rank?metric=degree&limit={raw}"), 400)
        assert data["error"].startswith("limit must be an integer from 1 to ")
        assert data["error"].endswith(f", not {raw!r}")


@pytest.mark.parametrize("url", ["/api/neighborhood?node=miR-21x", "/api/evidence?node=miR-63",
                                 "/api/path?source=miR-122&target=miR-21x"])
def test_unknown_node_is_404_with_suggestions(api, url):
    data = _json(api.get(url), 404)
    assert data["ok"] is False and data["suggestions"]


@pytest.mark.parametrize("url", [
    "/api/rank?limit=5&types=exo:", "/api/rank?limit=5&types=:", "/api/rank?types=exoid:",
    "/api/rank?types=%23", "/api/rank?types=https://w3id.org/exokg/vocab%23",
    "/api/entities?q=mir&types=exo:", "/api/neighborhood?node=miR-21&types=exo:",
    "/api/rank?types=foo:MicroRNA", "/api/rank?types=http://evil.example/x%23Disease",
    "/api/rank?types=foo:content"])
def test_a_type_that_names_no_kind_of_the_vocabulary_is_400(api, url):
    """An empty local name was skipped: the filter dropped, every kind ranked; another
    namespace's name was read as the vocabulary's class."""
    data = _json(api.get(url), 400)
    assert "unknown type" in data["error"]


@pytest.mark.parametrize("url", ["/api/rank?types=exo:MicroRNA",
                                 "/api/rank?types=https://w3id.org/exokg/vocab%23MicroRNA",
                                 "/api/rank?types=microrna", "/api/rank?types=EXO:MicroRNA"])
def test_a_kind_by_name_curie_or_iri(api, url):
    data = _json(api.get(url), 200)
    assert data["results"] and {r["kind"] for r in data["results"]} == {"MicroRNA"}


@pytest.mark.parametrize("url", [
    "/api/neighborhood?node=http://x/%01", "/api/neighborhood?node=http://x/%7F",
    "/api/evidence?node=http://x/%01",
    "/api/path?source=http://x/%01&target=miR-21"])
def test_a_node_with_a_control_character_is_404_naming_it(api, url):
    """The name reached the server's own query: 400 'prefix http: is not declared'."""
    data = _json(api.get(url), 404)
    assert data["ok"] is False and "no node named" in data["error"]
    assert "PREFIX" not in data["error"] and "SPARQL" not in data["error"]


@pytest.mark.parametrize("url", [
    "/api/neighborhood?node=exoid", "/api/neighborhood?node=rdfs",
    "/api/neighborhood?node=%20exo%20", "/api/evidence?node=exoid",
    "/api/path?source=exo&target=miR-21", "/api/export?format=csv&node=prov"])
def test_a_bare_prefix_as_a_node_is_404(api, url):
    """A prefix without its colon was expanded as a CURIE: 500, with curies' traceback."""
    data = _json(api.get(url), 404)
    assert data["ok"] is False and "no node named" in data["error"]


@pytest.mark.parametrize("url", ["/api/export?format=csv&node=",
                                 "/api/export?format=csv&node=%20",
                                 "/api/export?format=csv&depth=2",
                                 "/api/export?format=nt&types=MicroRNA",
                                 "/api/export?format=graphml&predicates=exo:citedIn"])
def test_an_export_of_the_whole_graph_with_a_neighbourhood_s_parameter_is_400(api, url):
    """An empty node=, or depth= without node, exported the whole graph silently."""
    _json(api.get(url), 400)


@pytest.mark.parametrize("path", ["/api/neighborhood?node=miR-21", "/api/path?source=miR-21"
                                  "&target=hepatocellular%20carcinoma"])
def test_format_json_in_any_case_is_the_json_answer(api, path):
    """format=JSON was a JSON-LD download, format=json the JSON answer."""
    lower, upper = api.get(path + "&format=json"), api.get(path + "&format=JSON")
    assert lower.status_code == upper.status_code == 200
    assert upper.mimetype == lower.mimetype == "application/json"
    assert upper.get_json()["ok"] is True


@pytest.mark.parametrize("url", ["/api/neighborhood?node=miR-21&format=pdf",
                                 "/api/export?format=pdf", "/api/export?format=sparql-json",
                                 "/api/path?source=miR-122&target=miR-21&format=xlsx"])
def test_unknown_format_is_406_listing_formats(api, url):
    data = _json(api.get(url), 406)
    assert data["formats"] == graph_format_names()


def test_path(api):
    data = _json(api.get("/api/path?source=miR-122&target=miR-21&k=3"))
    assert data["count"] == 3
    step = data["paths"][0]["steps"][0]
    assert step["predicates"] and step["direction"] in ("forward", "backward")


def test_rank(api):
    data = _json(api.get("/api/rank?metric=studies&type=MicroRNA&limit=3"))
    assert data["results"][0]["label"] == "miR-21" and data["results"][0]["score"] == 5
    for metric in ("degree", "pagerank", "betweenness"):
        assert _json(api.get(f"/api/rank?metric={metric}"))["count"] == 20


def test_evidence_and_conflicts(api):
    data = _json(api.get("/api/evidence?node=miR-638"))
    assert data["conflict"] is True and data["studies"] == 2 and data["total_n"] == 201
    assert [f["ref_number"] for f in data["findings"]] == [28, 50]
    data = _json(api.get("/api/conflicts"))
    assert "miR-638" in [r["node"]["label"] for r in data["results"]]


@pytest.mark.parametrize("name", ["miR-21", "hsa-mir-21", "MIR21", "exoid:content/mir-21",
                                  "https://w3id.org/exokg/id/content/mir-21"])
def test_evidence_finds_a_name_as_the_other_graph_queries_do(api, name):
    """An alternative label in another case was a 404 here and a 200 elsewhere."""
    around = _json(api.get("/api/neighborhood", query_string={"node": name, "depth": 1}))
    node = around["center"]["id"]
    data = _json(api.get("/api/evidence", query_string={"node": name}))
    assert data["node"]["id"] == node == "https://w3id.org/exokg/id/content/mir-21"


def test_a_finding_named_without_findings_true_says_how_to_ask(api):
    data = _json(api.get("/api/neighborhood?node=exoid:finding/t1-1"), 404)
    assert "is a finding: the graph queries leave findings out unless asked with " \
        "findings=true" in data["error"]
    assert _json(api.get("/api/neighborhood?node=exoid:finding/t1-1&findings=true"))["ok"]


def test_evidence_of_a_finding_is_400_without_a_hint_it_cannot_take(api):
    """/api/evidence takes no findings=true: its hint sent users to a parameter it ignores."""
    data = _json(api.get("/api/evidence?node=exoid:finding/t1-1"), 400)
    assert "is a finding: the evidence summary is a molecule's" in data["error"]
    assert "findings=true" not in data["error"]


@pytest.mark.parametrize("name", ["SBI", "hcc", "Serum"])
def test_evidence_of_what_is_not_a_molecule_is_400(api, name):
    """It said 0 findings, 0 studies for a method 23 findings name."""
    data = _json(api.get("/api/evidence", query_string={"node": name}), 400)
    assert "which no finding names as its molecule" in data["error"]


def test_svg_without_graphviz_is_501_naming_what_is_missing(client, monkeypatch):
    import shutil

    # in this process: a server whose PATH has no 'dot' (as after the README's pip install)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    response = client.get("/api/neighborhood?node=miR-21&depth=1&format=svg")
    assert response.status_code == 501
    assert "Graphviz's 'dot'" in response.get_json()["error"]
    assert client.get("/api/neighborhood?node=miR-21&depth=1&format=dot").status_code == 200


@pytest.mark.parametrize("name", graph_format_names())
def test_neighborhood_download_in_every_format(api, name):
    response = api.get(f"/api/neighborhood?node=miR-21&depth=2&format={name}")
    assert response.status_code == 200
    from exokg.formats import GRAPH_KINDS, get_format

    fmt = get_format(name, kinds=GRAPH_KINDS)
    assert response.mimetype == fmt.media_type
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f'.{fmt.extension}"') and "mir-21" in disposition
    assert response.data


def test_path_and_whole_graph_exports(api):
    response = api.get("/api/path?source=miR-122&target=miR-21&format=graphml")
    back = nx.read_graphml(io.BytesIO(response.data))
    assert {MIR21, "https://w3id.org/exokg/id/content/mir-122"} <= set(back.nodes)
    response = api.get("/api/export?format=kgx")
    assert response.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.data)).namelist() == ["nodes.tsv", "edges.tsv"]
    response = api.get("/api/export?format=turtle")
    assert response.mimetype == "text/turtle" and b"exo:Finding" in response.data
    response = api.get("/api/export?format=cytoscape&node=miR-21&depth=1")
    assert json.loads(response.data)["elements"]["nodes"]


@pytest.mark.parametrize("url", ["/api/neighborhood?node=miR-21&depth=2&format=json",
                                 "/api/path?source=miR-122&target=miR-21&k=2"])
def test_format_links_are_the_request_in_each_format(api, url):
    data = _json(api.get(url))
    asked = urlsplit(url)
    args = [(k, v) for k, v in parse_qsl(asked.query) if k != "format"]
    assert sorted(data["formats"]) == graph_format_names()
    for name, link in data["formats"].items():
        parts = urlsplit(link)
        assert parts.scheme in ("http", "https") and parts.path == asked.path
        assert parse_qsl(parts.query) == [*args, ("format", name)]
    link = urlsplit(data["formats"]["graphml"])
    response = api.get(f"{link.path}?{link.query}")
    assert response.status_code == 200
    assert response.mimetype == get_format("graphml", kinds=GRAPH_KINDS).media_type


def test_formats(api):
    data = _json(api.get("/api/formats"))
    assert [f["name"] for f in data["formats"]] == graph_format_names()


def test_graph_queries_read_the_store_not_a_projection(store_dir):
    """Search, neighbourhoods, paths and ranks read the store through the SPARQL service
    and the store's artifacts: no rdflib view and no projection of the store is made."""
    app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "EXECUTORS": 1})
    client = app.test_client()
    try:
        for url in ("/api/neighborhood?node=miR-21&depth=2",
                    "/api/neighborhood?node=miR-638&findings=true",
                    "/api/path?source=miR-122&target=miR-21", "/api/entities?q=miR-21",
                    "/api/rank?metric=pagerank"):
            assert _json(client.get(url))["ok"], url
        assert "exokg_projections" not in app.extensions
        assert "exokg_graph_store" not in app.extensions
    finally:
        app.extensions["exokg.sparql"].close()


@pytest.mark.parametrize(("url", "known"), [
    ("/api/neighborhood?node=miR-21&types=Nonsense", "MicroRNA"),
    ("/api/neighborhood?node=miR-21&predicates=foo:bar", "exo:upregulatedIn"),
    ("/api/entities?q=hcc&type=Banana", "Disease"),
    ("/api/path?source=miR-122&target=miR-21&types=Nonsense", "Reference"),
    ("/api/path?source=miR-122&target=miR-21&predicates=nothing", "exo:citedIn"),
    ("/api/rank?type=Banana", "MicroRNA"),
])
def test_unknown_types_and_predicates_are_400_naming_the_known_ones(api, url, known):
    data = _json(api.get(url), 400)
    assert data["ok"] is False and known in data["error"] and "unknown" in data["error"]


NEIGHBORHOODS = [
    {"node": "miR-21", "depth": 2},
    {"node": "miR-21", "depth": 2, "limit": 10},
    {"node": "hcc", "direction": "in", "types": "MicroRNA,Protein"},
    {"node": "miR-21", "predicates": "upregulatedIn,citedIn", "depth": 3},
    {"node": "exoid:ref/28", "direction": "out"},
]


@pytest.mark.parametrize("params", NEIGHBORHOODS, ids=lambda p: "&".join(map(str, p.values())))
def test_neighborhood_from_the_store_equals_the_projections(api, G, params):
    """The bounded extract gives the nodes, attributes and edges the whole-graph
    projection gives (the review's graph)."""
    from exokg.algorithms import neighborhood
    from exokg.network import graph_json

    data = _json(api.get("/api/neighborhood", query_string=params))
    args = {k: v for k, v in params.items() if k != "node"}
    for name in ("types", "predicates"):
        if name in args:
            args[name] = args[name].split(",")
    H = neighborhood(G, params["node"], **args)
    nodes = [{k: v for k, v in n.items() if k != "url"} for n in data["nodes"]]  # page links
    assert {"nodes": nodes, "edges": data["edges"]} == graph_json(H)
    assert data["truncated"] == H.graph["truncated"]


@pytest.mark.parametrize("params", [
    {"source": "miR-122", "target": "miR-21", "k": 3},
    {"source": "miR-122", "target": "miR-21", "k": 10},
    {"source": "miR-122", "target": "miR-21", "k": 5, "types": "Reference,Disease"},
    {"source": "LINC00161", "target": "hepatoblastoma", "k": 4},
])
def test_path_from_the_store_equals_the_projections(api, G, params):
    from exokg.algorithms import k_shortest_paths

    data = _json(api.get("/api/path", query_string=params))
    types = params.get("types")
    paths = k_shortest_paths(G, params["source"], params["target"], k=params["k"],
                             types=types.split(",") if types else None)
    assert data["paths"] == json.loads(json.dumps(paths)) and data["count"] == len(paths)


def test_unknown_api_route_is_json_404_and_wrong_method_json_405(api):
    data = _json(api.get("/api/nothing-here"), 404)
    assert data["ok"] is False and data["error"]
    response = api.post("/api/neighborhood?node=miR-21")
    data = _json(response, 405)
    assert data["ok"] is False and "GET" in response.headers["Allow"]
    assert api.get("/no-such-page").mimetype == "text/html"  # pages keep their HTML 404


def test_neighborhood_over_a_real_server(served):
    """End to end: a real server process over each store (``served``, tests/conftest.py)."""
    import requests

    response = requests.get(f"{served}/api/neighborhood",
                            params={"node": "miR-21", "depth": 2}, timeout=60)
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["center"]["id"] == MIR21
    assert "hepatoblastoma" in {n["label"] for n in data["nodes"]}
    response = requests.get(f"{served}/api/neighborhood",
                            params={"node": "miR-21", "format": "gexf"}, timeout=60)
    assert response.headers["Content-Type"].startswith("application/gexf+xml")
    assert nx.read_gexf(io.BytesIO(response.content)).number_of_nodes() > 5
    response = requests.get(f"{served}/api/neighborhood",
                            params={"node": "miR-21x"}, timeout=60)
    assert response.status_code == 404 and "miR-21" in response.json()["suggestions"]


@pytest.mark.parametrize("spelling", ["hsa-miR-21-5p", "MIR21", "miR21", "mir-21",
                                      "hgnc:31586"])
def test_search_spellings_over_a_real_server(served, spelling):
    """Issue 10 item 4, through HTTP: the API's search and the /search page."""
    import requests

    response = requests.get(f"{served}/api/entities", params={"q": spelling}, timeout=60)
    assert response.status_code == 200 and response.json()["results"][0]["id"] == MIR21
    page = requests.get(f"{served}/search", params={"q": spelling}, timeout=60)
    assert page.status_code == 200 and "/id/content/mir-21" in page.text


def test_conflicts_are_paged(api):
    data = _json(api.get("/api/conflicts?page=1"))
    assert data["page"] == data["pages"] == 1 and data["next"] is None
    assert data["count"] == len(data["results"])
    error = _json(api.get("/api/conflicts?page=2"), 400)
    assert "from 1 to 1" in error["error"]



@pytest.mark.parametrize("fmt", ["svg", "dot"])
def test_head_of_a_drawing_past_its_cap_is_422_as_its_get(store_dir, fmt, monkeypatch):
    """A HEAD of a drawing (DOT, SVG) the whole graph is too large for was a 200, its GET
    a 422; the network's node count is known without the export."""
    monkeypatch.setattr("exokg.io.store_rows.DRAW_MAX_NODES", 50)  # the review: ~150 nodes
    app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "EXECUTORS": 1})
    client = app.test_client()
    try:
        got = client.get(f"/api/export?format={fmt}")
        head = client.head(f"/api/export?format={fmt}")
        monkeypatch.setattr("exokg.io.store_rows.DRAW_MAX_NODES", 100_000)
        small_head = client.head(f"/api/export?format={fmt}")
    finally:
        app.extensions["exokg.sparql"].close()
    assert got.status_code == head.status_code == 422
    assert "more than 50 nodes, too many to draw" in got.json["error"]
    assert small_head.status_code == 200


@pytest.mark.parametrize("fmt", ["svg", "dot"])
def test_a_drawing_past_its_cap_is_refused_before_the_export_runs(store_dir, fmt,
                                                                  monkeypatch):
    """A GET read the whole graph (17 to 23 s at 10^5 findings) to answer the 422 its HEAD
    gave at once: with an export time limit none can meet, it is still the 422."""
    monkeypatch.setattr("exokg.io.store_rows.DRAW_MAX_NODES", 50)
    app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "EXECUTORS": 1,
                      "EXPORT_TIMEOUT": 1e-9, "EXPORT_FILES": False})  # streamed ones
    client = app.test_client()
    try:
        got = client.get(f"/api/export?format={fmt}")
        monkeypatch.setattr("exokg.io.store_rows.DRAW_MAX_NODES", 100_000)
        small = client.get(f"/api/export?format={fmt}")
    finally:
        app.extensions["exokg.sparql"].close()
    assert got.status_code == 422, got.data[:300]
    assert "more than 50 nodes, too many to draw" in got.json["error"]
    assert small.status_code == 503  # one the cap admits runs, and meets the time limit


@pytest.mark.parametrize("fmt", ["graphml", "ntriples"])
def test_head_of_an_export_sends_headers_without_running_it(store_dir, fmt):
    # an export time limit no export can meet: the GET runs the export and fails (503),
    # the HEAD answers the download's headers without running it (it ran the whole
    # export for nothing: 21 s at 10^5 triples for GraphML); a kept export's HEAD is
    # tests/test_export_files.py's
    app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "EXECUTORS": 1,
                      "EXPORT_TIMEOUT": 1e-9, "EXPORT_FILES": False})
    client = app.test_client()
    try:
        got = client.get(f"/api/export?format={fmt}")
        head = client.head(f"/api/export?format={fmt}")
    finally:
        app.extensions["exokg.sparql"].close()
    assert got.status_code == 503 and "time limit" in got.json["error"]
    assert head.status_code == 200 and not head.data
    assert head.headers["Content-Disposition"].startswith('attachment; filename="exokg-graph.')
    assert head.mimetype == get_format(fmt, kinds=GRAPH_KINDS).media_type
    assert "Content-Length" not in head.headers  # streamed: the GET sends no length either


AMBIGUOUS = """@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix c: <https://w3id.org/exokg/id/content/> .
c:a a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "miR-X" ;
    exo:upregulatedIn <https://w3id.org/exokg/id/disease/hcc> .
c:b a exo:ExosomalContent, exo:Protein ; rdfs:label "mir-x" ;
    exo:upregulatedIn <https://w3id.org/exokg/id/disease/hcc> .
c:c a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "HCC" .
<https://w3id.org/exokg/id/disease/hcc> a exo:Disease ; rdfs:label "HCC" .
"""


def test_a_name_of_two_molecules_is_a_400_naming_both(tmp_path):
    """Two molecules labelled alike: the one whose IRI sorted first answered for both,
    silently (a user's entity labelled miR-21 took over the review's)."""
    data = tmp_path / "ambiguous.ttl"
    data.write_text(AMBIGUOUS, encoding="utf-8")
    client = create_app({"TESTING": True, "STORE_DIR": str(tmp_path / "store"),
                         "DATA_FILES": [str(data)]}).test_client()
    for path in ["/api/neighborhood?node=miR-X", "/api/evidence?node=MIR-X",
                 "/api/path?source=miR-X&target=HCC"]:
        response = client.get(path)
        body = response.get_json()
        assert response.status_code == 400, path
        assert body["candidates"] == ["exoid:content/a", "exoid:content/b"], path
        assert "names 2 nodes: exoid:content/a (MicroRNA), exoid:content/b (Protein)" in \
            body["error"]
    # a molecule and a disease: the molecule, as before; a CURIE names one
    center = client.get("/api/neighborhood?node=HCC&depth=1").get_json()["center"]
    assert center["curie"] == "exoid:content/c"
    center = client.get("/api/neighborhood?node=exoid:content/a&depth=1").get_json()["center"]
    assert center["label"] == "miR-X"
