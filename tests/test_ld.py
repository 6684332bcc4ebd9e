"""Linked Data pages: /id/... and /vocab, content-negotiated, over the test client and a server.

The review's pages are checked once per store (``conftest.STORES``): over the embedded
store (Flask's test client, and ``live_server``) and over Oxigraph server as the remote
store (a real ``exokg serve --store-url``), with the same expected answers. The paging
tests read a generated hub graph, not the review's, through the same read path: they run
over the embedded store only.
"""

from __future__ import annotations

import pytest
import requests
from _web import make_full_app, store_client
from conftest import STORES
from exokg.build import build_graph
from exokg.describe import concise_bounded_description, evidence_summary, findings_about
from exokg.resources import ontology_path
from exokg.vocab import EXO, EXOID, RDF, RDFS
from rdflib import Graph, Literal, URIRef

MIR21 = EXOID["content/mir-21"]
RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld",
             "application/n-triples": "nt"}
SUFFIX = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/n-triples": "nt"}


@pytest.fixture(scope="module", params=STORES)
def ld_client(request, tmp_path_factory):
    return store_client(request, request.param,
                        lambda: make_full_app(tmp_path_factory).test_client())


@pytest.fixture(scope="module")
def site(served):
    return served


def _parse(data: bytes, fmt: str) -> Graph:
    return Graph().parse(data=data, format=fmt)


@pytest.mark.parametrize("media_type", sorted(RDF_TYPES))
def test_entity_rdf_by_accept_and_by_suffix(ld_client, media_type):
    by_accept = ld_client.get("/id/content/mir-21", headers={"Accept": media_type})
    by_suffix = ld_client.get(f"/id/content/mir-21.{SUFFIX[media_type]}")
    for response in (by_accept, by_suffix):
        assert response.status_code == 200
        assert response.mimetype == media_type
        g = _parse(response.data, RDF_TYPES[media_type])
        assert (MIR21, RDFS.label, Literal("miR-21")) in g
        assert (MIR21, RDF.type, EXO.MicroRNA) in g
        assert (MIR21, EXO.citedIn, EXOID["ref/46"]) in g
        # the labels of what it points to come along
        assert (EXOID["disease/hcc"], RDFS.label, Literal("hepatocellular carcinoma")) in g
        # but not the facts of other nodes
        assert not list(g.triples((EXOID["disease/hcc"], RDF.type, None)))
    assert "Accept" in by_accept.headers["Vary"]
    assert len(_parse(by_accept.data, RDF_TYPES[media_type])) == \
        len(_parse(by_suffix.data, RDF_TYPES[media_type]))


def test_cbd_is_the_nodes_triples_plus_labels():
    graph = build_graph()
    cbd = concise_bounded_description(graph, MIR21)
    own = set(graph.triples((MIR21, None, None)))
    assert own <= set(cbd)
    extra = set(cbd) - own
    assert extra and all(p == RDFS.label for _, p, _ in extra)


def test_browsers_get_html_and_json_clients_the_twin(ld_client):
    browser = ld_client.get("/id/content/mir-21", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
    assert ld_client.get("/id/content/mir-21", headers={"Accept": "*/*"}).mimetype == \
        "text/html"
    html = browser.get_data(as_text=True)
    assert '<h1 id="entity-label">miR-21</h1>' in html
    assert 'href="/id/ref/21"' in html and 'href="/id/disease/hcc"' in html
    assert 'href="/id/content/mir-21.ttl"' in html
    link = browser.headers["Link"]
    for suffix, media in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                          ("nt", "application/n-triples"), ("json", "application/json")):
        assert f'</id/content/mir-21.{suffix}>; rel="alternate"; type="{media}"' in link
    data = ld_client.get("/id/content/mir-21", headers={"Accept": "application/json"}).json
    assert data == ld_client.get("/id/content/mir-21.json").json


def test_entity_page_groups_findings_by_table_and_study(ld_client):
    data = ld_client.get("/id/content/mir-21.json").json
    assert data["label"] == "miR-21" and data["iri"] == str(MIR21)
    assert [g["table"] for g in data["groups"]] == [1]
    studies = data["groups"][0]["studies"]
    assert [s["study"]["number"] for s in studies] == [21, 22, 23, 24, 46]
    # each finding once, in ``findings``; the groups name each of them by IRI, once
    records = {f["iri"]: f for f in data["findings"]}
    grouped = [iri for g in data["groups"] for s in g["studies"] for iri in s["findings"]]
    assert sorted(grouped) == sorted(records) and len(records) == len(data["findings"]) == 5
    first = records[studies[0]["findings"][0]]
    assert first["sample_size"] == 79 and first["samples"][0]["label"] == "serum"
    assert first["isolation"]["label"].startswith("ExoQuick")
    assert first["function"] == "Related to TNM stage and other prognostic factors"
    assert first["printed"]["Sample"] == "Serum (n = 79)"
    assert data["evidence"] == {**data["evidence"], "studies": 5, "count": 5,
                                "total_n": 79 + 150 + 90 + 95 + 64, "conflict": False}
    assert data["evidence"]["directions"] == {"Up": 5, "Down": 0}
    html = ld_client.get("/id/content/mir-21").get_data(as_text=True)
    assert html.count('class="study"') == 5
    assert "Table 1: Potential biomarkers for liver cancer" in html
    assert 'id="neighborhood"' in html and "/api/neighborhood" in html


@pytest.mark.parametrize("page", ["/id/content/mir-21.json", "/id/disease/hcc.json",
                                  "/id/ref/21.json"])
def test_the_evidence_link_is_given_where_it_answers(ld_client, page):
    """A page's JSON links ``/api/evidence`` for a molecule only: the summary is a
    molecule's, and the link answered 400 on a disease's or a study's page."""
    data = ld_client.get(page).json
    link = data.get("evidence_api")
    assert (link is not None) == page.startswith("/id/content/")
    if link is not None:
        assert ld_client.get(link).status_code == 200
    else:
        assert ld_client.get(f"/api/evidence?node={data['iri']}").status_code == 400


def test_conflict_flag_and_external_links(ld_client):
    data = ld_client.get("/id/content/mir-638.json").json
    assert data["evidence"]["conflict"] is True
    assert data["evidence"]["directions"] == {"Up": 1, "Down": 1}
    assert [g["table"] for g in data["groups"]] == [1, 2]
    ext = {x.get("iri") or x.get("value") for x in data["external"]}
    assert any("mirbase" in e.lower() for e in ext)


def test_every_mapping_property_is_an_external_link(ld_client):
    data = ld_client.get("/id/content/mir-21.json").json
    links = {(x["predicate"].rsplit("#", 1)[-1], x.get("iri") or x.get("value"))
             for x in data["external"]}
    assert ("narrowMatch", "https://identifiers.org/mirbase.mature:MIMAT0000076") in links
    assert ("closeMatch", "https://identifiers.org/mirbase:MI0000077") in links
    assert ("xref", "mirbase.mature:MIMAT0000076") not in links


def test_evidence_agrees_with_the_api_algorithm():
    """The page's evidence summary and exokg.algorithms.evidence agree field for field."""
    from exokg.algorithms import evidence
    from exokg.network import project

    graph = build_graph()
    GF = project(graph, findings=True)
    for content in sorted(set(graph.subjects(RDF.type, EXO.ExosomalContent))):
        ours = evidence_summary(findings_about(graph, content))
        theirs = evidence(GF, str(content))
        assert ours == {key: theirs[key] for key in ours}, content


@pytest.mark.parametrize("path", ["content/mir-638", "content/mir-125b", "content/mir-21"])
def test_entity_page_json_and_api_evidence_agree(site, path):
    """Over a real server: the page's JSON twin and /api/evidence, field for field."""
    page = requests.get(f"{site}/id/{path}.json", timeout=30).json()["evidence"]
    api = requests.get(f"{site}/api/evidence",
                       params={"node": f"https://w3id.org/exokg/id/{path}"}, timeout=30).json()
    assert set(page) <= set(api) and "conflicts" in page
    assert page == {key: api[key] for key in page}
    html = requests.get(f"{site}/id/{path}", timeout=30).text
    assert ("different studies report it up and down" in html) is page["conflict"]


def test_disease_page_conflicts_are_per_molecule(ld_client):
    """A disease page lists the molecules that different studies report both ways."""
    data = ld_client.get("/id/disease/hcc.json").json["evidence"]
    assert data["conflict"] is True
    assert [(c["molecule"], c["up"], c["down"]) for c in data["conflicts"]] == \
        [("miR-125b", [19], [58]), ("miR-638", [28], [50])]


def test_one_study_page_has_no_conflict(ld_client):
    """Before, a study reporting one molecule up and another down showed as a conflict."""
    for number in range(1, 70):
        response = ld_client.get(f"/id/ref/{number}.json")
        if response.status_code == 200 and response.json["evidence"]["count"]:
            assert response.json["evidence"]["conflict"] is False, number


def test_other_nodes_have_pages(ld_client):
    ref = ld_client.get("/id/ref/60.json").json
    assert ref["evidence"]["count"] == 1
    finding = ld_client.get("/id/finding/t1-8.json").json
    assert finding["findings"][0]["contents"][0]["label"] == "miR-21"
    dotted = ld_client.get("/id/content/ensg00000248932.1")  # a dot in the IRI, no suffix
    assert dotted.status_code == 200 and dotted.mimetype == "text/html"


@pytest.mark.parametrize("url,accept", [("/id/content/nope", "text/html"),
                                        ("/id/content/nope.json", "*/*"),
                                        ("/id/content/nope", "application/json"),
                                        ("/id/content/nope.ttl", "*/*"),
                                        ("/id/content/nope", "text/turtle")])
def test_unknown_iri_is_404(ld_client, url, accept):
    got = ld_client.get(url, headers={"Accept": accept})
    assert got.status_code == 404
    if accept == "text/html":
        assert got.mimetype == "text/html" and b"not found" in got.data
    else:
        assert got.mimetype == "application/json" and got.json["ok"] is False


def test_vocab_in_every_syntax(ld_client):
    source = (ontology_path() / "exokg.ttl").read_bytes()
    ttl = ld_client.get("/vocab", headers={"Accept": "text/turtle"})
    assert ttl.mimetype == "text/turtle" and ttl.data == source
    assert ld_client.get("/vocab.ttl").data == source
    expected = len(_parse(source, "turtle"))
    for suffix, fmt in (("jsonld", "json-ld"), ("nt", "nt")):
        got = ld_client.get(f"/vocab.{suffix}")
        assert got.status_code == 200
        assert len(_parse(got.data, fmt)) == expected
    html = ld_client.get("/vocab").get_data(as_text=True)
    assert 'id="Finding"' in html and 'id="upregulatedIn"' in html
    data = ld_client.get("/vocab.json").json
    classes = next(s for s in data["sections"] if s["title"] == "Classes")
    assert "exo:Finding" in {t["curie"] for t in classes["terms"]}
    assert ld_client.get("/vocab.nope").status_code == 406


def test_public_base_iri_maps_paths(tmp_path_factory):
    """Behind another base, paths map to IRIs under it (and the canonical IRIs still resolve)."""
    from exokg.server.ld import iri_for_path

    app = make_full_app(tmp_path_factory, PUBLIC_BASE_IRI="https://kg.example.org/exo/")
    with app.test_request_context("/id/content/mir-21"):
        assert iri_for_path("content/mir-21") == \
            URIRef("https://kg.example.org/exo/id/content/mir-21")
    client = app.test_client()
    assert client.get("/id/content/mir-21.json").json["iri"] == str(MIR21)
    missing = client.get("/id/content/nope.json").json
    assert missing["error"].startswith("no node https://kg.example.org/exo/id/content/nope")


def test_negotiation_over_a_real_server(site):
    ttl = requests.get(f"{site}/id/content/mir-21", headers={"Accept": "text/turtle"},
                       timeout=30)
    assert ttl.status_code == 200 and ttl.headers["Content-Type"].startswith("text/turtle")
    assert (MIR21, RDFS.label, Literal("miR-21")) in _parse(ttl.content, "turtle")
    html = requests.get(f"{site}/id/content/mir-21", timeout=30)
    assert html.headers["Content-Type"].startswith("text/html") and "miR-21" in html.text
    js = requests.get(f"{site}/id/content/mir-21", headers={"Accept": "application/json"},
                      timeout=30)
    assert js.json()["evidence"]["studies"] == 5
    nt = requests.get(f"{site}/id/content/mir-21.nt", timeout=30)
    assert nt.headers["Content-Type"].startswith("application/n-triples")
    missing = requests.get(f"{site}/id/content/nope", headers={"Accept": "application/json"},
                           timeout=30)
    assert missing.status_code == 404 and missing.json()["ok"] is False
    vocab = requests.get(f"{site}/vocab", headers={"Accept": "application/ld+json"}, timeout=30)
    assert vocab.status_code == 200 and len(_parse(vocab.content, "json-ld")) > 100
    for path in ("/vocab", "/id/content/mir-21"):  # as an RDF client sends it
        ttl = requests.get(f"{site}{path}", headers={"Accept": "text/turtle; charset=utf-8"},
                           timeout=30)
        assert ttl.headers["Content-Type"].startswith("text/turtle")
        assert len(_parse(ttl.content, "turtle")) > 10
    search = requests.get(f"{site}/search", params={"q": "mir-21"}, timeout=30,
                          headers={"Accept": "application/json; charset=utf-8"})
    assert search.json()["results"][0]["label"] == "miR-21"


def test_pages_show_the_data_the_service_serves(tmp_path):
    """With ``--data`` files, the pages describe those files, as /sparql does."""
    from exokg.server import create_app

    data = tmp_path / "mine.ttl"
    data.write_text('<https://w3id.org/exokg/id/content/mir-99a> '
                    '<http://www.w3.org/2000/01/rdf-schema#label> "miR-99a" .\n',
                    encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(tmp_path / "store"),
                      "DATA_FILES": [str(data)], "EXECUTORS": 1})
    try:
        client = app.test_client()
        page = client.get("/id/content/mir-99a.json")
        assert page.status_code == 200
        assert page.get_json()["label"] == "miR-99a"
        assert client.get("/id/content/mir-21.json").status_code == 404
    finally:
        app.extensions["exokg.sparql"].close()


def test_a_finding_without_table_or_row_says_only_what_it_names(tmp_path):
    """A data file's finding may give no table or row (the benchmark generator's give no
    row): its page says "Table 1", not "Table 1, row None"."""
    from exokg.server import create_app

    exo, ids = "https://w3id.org/exokg/vocab#", "https://w3id.org/exokg/id/"
    data = tmp_path / "mine.nt"
    data.write_text(
        f"<{ids}finding/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{exo}Finding> .\n"
        f"<{ids}finding/a> <{exo}content> <{ids}content/mir-99a> .\n"
        f'<{ids}finding/a> <{exo}sourceTable> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        f"<{ids}finding/b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{exo}Finding> .\n"
        f"<{ids}finding/b> <{exo}content> <{ids}content/mir-99a> .\n"
        f'<{ids}content/mir-99a> <http://www.w3.org/2000/01/rdf-schema#label> "miR-99a" .\n',
        encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(tmp_path / "store"),
                      "DATA_FILES": [str(data)], "EXECUTORS": 1})
    try:
        page = app.test_client().get("/id/content/mir-99a", headers={"Accept": "text/html"})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert ">Table 1</a>" in html and "None" not in html
        assert ">b</a>" in html  # neither: named by the finding's IRI
    finally:
        app.extensions["exokg.sparql"].close()


# ---------------------------------------------------------------- paging, over a hub store

def test_review_pages_are_one_page(ld_client):
    data = ld_client.get("/id/content/mir-21.json").json
    assert data["paging"] == {**data["paging"], "page": 1, "pages": 1, "count": 5,
                              "has_next": False, "next": None, "prev": None}
    html = ld_client.get("/id/content/mir-21").get_data(as_text=True)
    assert 'rel="next"' not in html and 'id="summary"' not in html


@pytest.fixture(scope="module")
def hub_client(tmp_path_factory):
    from hubgen import write_hub_graph

    folder = tmp_path_factory.mktemp("hub")
    data = write_hub_graph(folder / "hub.nt", findings=2500)
    return make_full_app(tmp_path_factory, DATA_FILES=[str(data)]).test_client()


def test_every_page_of_a_hub_is_bounded_and_linked(hub_client):
    """Each page's HTML stays under 500 KB; the JSON twin pages the same way, with links."""
    url, seen, pages = "/id/content/mir-hub.json", [], 0
    while url:
        data = hub_client.get(url).json
        pages += 1
        seen += [f["iri"] for f in data["findings"]]
        page = data["paging"]["page"]
        html = hub_client.get(f"/id/content/mir-hub?page={page}")
        assert html.status_code == 200 and len(html.data) < 500_000
        text = html.get_data(as_text=True)
        assert f"page {page} of {data['paging']['pages']}" in text
        assert ('rel="next"' in text) == data["paging"]["has_next"]
        assert 'id="summary"' in text and "Top studies" in text
        assert data["evidence"]["count"] == 2500 and data["facets"]["table"]
        url = data["paging"]["next"]
        if url:
            assert url.endswith(f".json?page={page + 1}")
    assert pages == data["paging"]["pages"] > 1 and len(set(seen)) == 2500
    assert data["paging"]["prev"].endswith(f"?page={pages - 1}")


@pytest.mark.parametrize("page", ["0", "26", "x"])
def test_bad_page_is_400_naming_the_range(hub_client, page):
    for suffix in ("", ".json"):
        response = hub_client.get(f"/id/content/mir-hub{suffix}?page={page}")
        assert response.status_code == 400
        assert "from 1 to 25" in response.get_data(as_text=True)


def test_a_capped_description_says_so(hub_client):
    cut = hub_client.get("/id/content/mir-wide.ttl")
    assert cut.status_code == 200 and cut.headers["X-Result-Truncated"] == "true"
    assert cut.get_data(as_text=True).startswith("# truncated")
    assert len(_parse(cut.data, "turtle")) <= 2000
    whole = hub_client.get("/id/content/mir-hub.nt")
    assert "X-Result-Truncated" not in whole.headers
    data = hub_client.get("/id/content/mir-wide.json").json
    assert data["facts_truncated"] is True



def test_a_node_whose_every_value_is_cut_is_described_not_404(tmp_path):
    """An untyped node whose only predicate has more values than a description reads
    (:data:`exokg.pages.VALUES_READ`) keeps none of them: its RDF says it was cut,
    and its page lists the predicate's count; neither is a 404 for a node that exists."""
    from exokg.pages import VALUES_READ
    from exokg.server import create_app

    node = "https://w3id.org/exokg/id/content/mir-many"
    data = tmp_path / "many.nt"
    data.write_text("".join(f'<{node}> <https://w3id.org/exokg/vocab#note> "n{i}" .\n'
                            for i in range(VALUES_READ + 1)), encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(tmp_path / "store"),
                      "DATA_FILES": [str(data)], "EXECUTORS": 1})
    try:
        client = app.test_client()
        for suffix, fmt in ((".ttl", "turtle"), (".nt", "nt"), (".jsonld", "json-ld")):
            cut = client.get("/id/content/mir-many" + suffix)
            assert cut.status_code == 200, (suffix, cut.get_data(as_text=True)[:200])
            assert cut.headers["X-Result-Truncated"] == "true"
            assert not list(_parse(cut.data, fmt).predicate_objects(URIRef(node)))
        note = client.get("/id/content/mir-many.ttl").get_data(as_text=True)
        assert note.startswith("# truncated") and f"more than {VALUES_READ} values" in note
        page = client.get("/id/content/mir-many.json")
        assert page.status_code == 200
        facts = {f["predicate"]: f for f in page.get_json()["facts"]}
        assert facts["https://w3id.org/exokg/vocab#note"]["count"] == VALUES_READ + 1
        assert client.get("/id/content/mir-none.ttl").status_code == 404
    finally:
        app.extensions["exokg.sparql"].close()

def test_hub_api_evidence_is_paged(hub_client):
    data = hub_client.get("/api/evidence?node=miR-hub").json
    assert data["findings_count"] == 2500 and data["count"] == 2500
    assert len(data["findings"]) < 2500 and data["has_next"] and "page=2" in data["next"]
    page = hub_client.get(data["next"]).json
    assert page["page"] == 2 and page["findings"][0]["id"] != data["findings"][0]["id"]
    assert hub_client.get("/api/evidence?node=miR-hub&page=99").status_code == 400


def test_unknown_entity_is_404_with_suggestions(ld_client):
    """An entity page that does not exist offers close matches, as the API's 404 does."""
    data = ld_client.get("/id/content/mir-21x.json").json
    assert data["ok"] is False and data["status"] == 404
    assert "miR-21" in [s["label"] for s in data["suggestions"]]
    html = ld_client.get("/id/content/mir-21x")
    assert html.status_code == 404 and 'href="/id/content/mir-21"' in html.get_data(as_text=True)
    assert ld_client.get('/id/content/a"b>c').status_code == 404


@pytest.mark.parametrize("path", ["/id/content/%ff%fe", "/id/content/%zz", "/id/content/a%7f",
                                  "/id/content/mi%22r", "/id/%00", "/id/content/%ff%fe.ttl"])
def test_a_path_that_makes_no_iri_is_404_without_a_query(ld_client, path):
    # it was a 400 quoting the internal ASK query's syntax error
    got = ld_client.get(path, headers={"Accept": "application/json"})
    assert got.status_code == 404
    assert got.json["ok"] is False and got.json["error"].startswith("no node ")
    assert "ASK" not in got.json["error"] and "syntax" not in got.json["error"]


@pytest.mark.parametrize(("accept", "served"), [
    ("application/*", "application/json"),
    ("text/*", "text/html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("application/ld+json", "application/ld+json"),
    # a range's parameters other than q do not keep it from matching: each got the page
    ("text/turtle; charset=utf-8", "text/turtle"),
    ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"',
     "application/ld+json"),
    ("application/n-triples; charset=utf-8, text/html;q=0.5", "application/n-triples"),
    ("application/json; charset=utf-8", "application/json"),
    # an explicit type beats the same q through */* (a browser's Accept keeps the page)
    ("application/json, text/plain, */*", "application/json"),
    ("*/*", "text/html"),
    ("image/png", "text/html"),
])
def test_a_media_range_gets_a_type_within_it(client, accept, served):
    """`application/*` got text/html, which it does not match."""
    r = client.get("/id/content/mir-21", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == served


def test_a_missing_entity_with_a_long_name_is_404_not_a_search_error(ld_client):
    """Its suggestions searched the whole last segment: past 500 characters, a 400 that
    named a parameter ``q`` the user never sent."""
    for suffix in ("", ".json", ".ttl"):
        r = ld_client.get("/id/content/" + "a" * 501 + suffix)
        assert r.status_code == 404, (suffix, r.data[:200])
        assert b"q is" not in r.data


def test_a_node_the_data_only_points_to_has_a_page(tmp_path):
    """A molecule no triple describes, named by a finding: its page lists that finding
    (the neighbourhood and the drawings link to it; it was a 404 whose suggestion was
    itself), its RDF description is empty; a node in no triple stays a 404."""
    from _web import data_client

    finding, x = f"{EXOID}finding/f1", f"{EXOID}content/x"
    text = (f"<{finding}> <{RDF.type}> <{EXO.Finding}> .\n<{finding}> <{EXO.content}> <{x}> .\n"
            f'<{finding}> <{EXO.sourceTable}> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    for client in data_client(tmp_path, text):
        page = client.get("/id/content/x", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "/id/finding/f1" in page.get_data(as_text=True)
        twin = client.get("/id/content/x.json").get_json()
        assert twin["paging"]["count"] == 1 and twin["findings"][0]["iri"] == finding
        turtle = client.get("/id/content/x.ttl")
        assert turtle.status_code == 200 and len(Graph().parse(data=turtle.data,
                                                               format="turtle")) == 0
        assert client.get("/id/content/y.json").status_code == 404
