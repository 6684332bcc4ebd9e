"""The web pages over the Flask test client: HTML, JSON twins, query page, downloads."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

import networkx as nx
import pytest
from _web import make_full_app
from exokg.examples import EXAMPLES
from exokg.formats import GRAPH_KINDS, format_names, get_format
from rdflib import Dataset, Graph


@pytest.fixture(scope="module")
def web_client(tmp_path_factory):
    return make_full_app(tmp_path_factory).test_client()


PAGES = ["/", "/query", "/query?example=findings-per-table", "/search?q=mir-21",
         "/id/content/mir-21", "/id/finding/t1-8", "/id/ref/28", "/vocab"]


def _json_twin(url: str) -> str:
    path, _, query = url.partition("?")
    path = "/.json" if path == "/" else path + ".json"
    return path + ("?" + query if query else "")


@pytest.mark.parametrize("url", PAGES)
def test_page_html_and_json_twin(web_client, url):
    html = web_client.get(url, headers={"Accept": "text/html"})
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    assert b"CC BY-NC 4.0" in html.data  # every page names the source and its licence
    twin = _json_twin(url)
    assert f'<{twin}>; rel="alternate"; type="application/json"' in html.headers["Link"]
    by_suffix = web_client.get(twin)
    by_accept = web_client.get(url, headers={"Accept": "application/json"})
    for response in (by_suffix, by_accept):
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.json["ok"] is True
        assert response.json["title"]
    assert by_suffix.json == by_accept.json
    assert "Accept" in html.headers["Vary"]


def test_home_counts_review_and_examples(web_client):
    data = web_client.get("/.json").json
    assert data["counts"]["tables"] == {"1": 38, "2": 13, "3": 10, "4": 3, "5": 2}
    assert data["counts"]["classes"]["exo:Finding"] == 66
    assert data["review"]["doi"] == "10.4251/wjgo.v14.i1.334"
    assert data["review"]["license"] == "CC BY-NC 4.0"
    assert [e["slug"] for e in data["examples"]] == [e.slug for e in EXAMPLES]
    html = web_client.get("/").get_data(as_text=True)
    assert 'name="q"' in html and "/query?example=mir-21-studies" in html
    assert "https://doi.org/10.4251/wjgo.v14.i1.334" in html


def test_search_finds_mir21_first(web_client):
    data = web_client.get("/search.json?q=miR-21").json
    assert data["results"][0]["label"] == "miR-21"
    assert data["results"][0]["url"] == "/id/content/mir-21"
    assert web_client.get("/search.json?q=zzzz-nothing").json["count"] == 0


def test_search_pages_say_which_matches_they_show(web_client, monkeypatch):
    """A search with more matches than a page shows: it said "50 matches" of 619, with no
    next page, and ignored ``page``. Pages of 20 here ("r": 61 matches in the review)."""
    from urllib.parse import urlsplit

    from exokg.server import ui

    monkeypatch.setattr(ui, "SEARCH_PAGE", 20)
    every = web_client.get("/api/entities?q=r&limit=1000").json
    assert every["truncated"] is False and every["count"] == len(every["results"]) > 40
    cut = web_client.get("/api/entities?q=r&limit=20").json
    assert cut["truncated"] is True and cut["count"] == 20
    seen, url, pages = [], "/search.json?q=r", 0
    while url:
        data = web_client.get(url).json
        pages += 1
        assert data["page"] == pages and data["count"] == len(data["results"]) <= 20
        seen += [r["iri"] for r in data["results"]]
        nxt = urlsplit(data["next"]) if data["next"] else None
        url = nxt and f"{nxt.path}?{nxt.query}"
    assert seen == [r["id"] for r in every["results"]] and pages == -(-len(seen) // 20)
    html = web_client.get("/search?q=r&page=2").get_data(as_text=True)
    assert "Matches 21–40" in html and 'rel="next"' in html and "page=3" in html
    assert 'rel="prev"' in html and "page=1" in html
    for bad in ("0", "21", "x"):
        assert web_client.get(f"/search.json?q=r&page={bad}").status_code == 400


def test_the_last_search_page_answers(web_client):
    """Its look-up asked the search for one more than its 1,000 (a 400)."""
    from exokg.server import ui

    last = web_client.get(f"/search.json?q=r&page={ui.SEARCH_PAGES}")
    assert last.status_code == 200 and last.json["next"] is None


def test_query_page_runs_an_example_and_keeps_it_in_the_url(web_client):
    data = web_client.get("/query.json?example=mir-21-studies").json
    assert data["kind"] == "SELECT"
    assert data["head"][:2] == ["ref", "study"]
    assert [row[0]["value"] for row in data["rows"]] == ["21", "22", "23", "24", "46"]
    assert data["rows"][0][1]["url"] == "/id/ref/21"  # IRIs link to their pages
    assert data["share_url"].startswith("/query?query=")
    again = web_client.get(data["share_url"].replace("/query?", "/query.json?")).json
    assert again["rows"] == data["rows"]
    html = web_client.get("/query?example=mir-21-studies").get_data(as_text=True)
    assert 'class="sortable results-table"' in html
    assert 'href="/id/ref/24"' in html
    assert "PREFIX exo: &lt;https://w3id.org/exokg/vocab#&gt;" in html  # prefixes pre-filled


def _query_pages(web_client, query: str) -> list[dict]:
    """Every page of the query page's JSON twin, followed by its ``next`` links."""
    pages, url = [], "/query.json?" + urlencode({"query": query})
    while url:
        r = web_client.get(url)
        assert r.status_code == 200, r.json
        pages.append(r.json)
        url = r.json["paging"]["next"]
    return pages


def test_a_large_answer_is_paged_on_the_query_page_and_its_twin(web_client):
    """A ``SELECT *`` of the whole graph was one page of 10,000 rows (4 MB of HTML)."""
    from exokg.pages import RESULT_PAGE_ROWS

    query = "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    pages = _query_pages(web_client, query)
    every = [row for page in pages for row in page["rows"]]
    whole = web_client.get("/sparql", query_string={"query": query},
                           headers={"Accept": "application/json"}).json
    assert len(pages) > 1 and all(len(p["rows"]) <= RESULT_PAGE_ROWS for p in pages)
    head = pages[0]["head"]
    assert [[c["value"] for c in row] for row in every] == [
        [b[v]["value"] for v in head] for b in whole["results"]["bindings"]]
    assert {p["count"] for p in pages} == {len(every)}
    assert [p["paging"]["page"] for p in pages] == list(range(1, len(pages) + 1))
    for number in (1, len(pages)):
        html = web_client.get("/query?" + urlencode({"query": query, "page": number}))
        assert html.status_code == 200 and len(html.data) < 500_000
        assert f"page {number} of {len(pages)}" in html.get_data(as_text=True)
        # a heading's click sorts one page: the page says so, and how to sort them all
        assert 'id="sort-note"' in html.get_data(as_text=True)
    one = web_client.get("/query?" + urlencode({"query": query + " LIMIT 3"}))
    assert 'id="sort-note"' not in one.get_data(as_text=True)  # one page: no note
    for bad in (0, len(pages) + 1, "x"):
        r = web_client.get("/query.json?" + urlencode({"query": query, "page": bad}))
        assert r.status_code == 400 and "page must be an integer" in r.json["error"]


def test_long_values_make_shorter_pages(web_client):
    """A page holds at most RESULT_PAGE_CHARS characters of values (a row past it alone):
    each function repeated a hundred times fills a page long before 500 rows."""
    from exokg.pages import RESULT_PAGE_CHARS

    query = ("PREFIX exo: <https://w3id.org/exokg/vocab#> SELECT ?f ?long WHERE { "
             "?f exo:function ?t BIND(REPLACE(REPLACE(?t, '(.)', '$1$1$1$1$1$1$1$1$1$1'), "
             "'(.)', '$1$1$1$1$1$1$1$1$1$1') AS ?long) } ORDER BY ?f")
    pages = _query_pages(web_client, query)
    assert len(pages) > 1 and sum(len(p["rows"]) for p in pages) == 66
    for page in pages:
        sizes = [sum(len(c["value"]) for c in row) for row in page["rows"]]
        assert sum(sizes) <= RESULT_PAGE_CHARS or len(sizes) == 1
    html = web_client.get("/query?" + urlencode({"query": query})).data
    assert len(html) < 500_000


def test_a_construct_page_draws_its_own_triples(web_client):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    first = _query_pages(web_client, query)[0]
    drawn = {e["data"]["source"] for e in first["graph"]["edges"]} | {
        n["data"]["id"] for n in first["graph"]["nodes"]}
    assert first["paging"]["pages"] > 1 and len(first["triples"]) < first["count"]
    assert {t[0]["value"] for t in first["triples"]} <= drawn


def test_empty_query_page_has_prefixes_and_the_gallery(web_client):
    data = web_client.get("/query.json").json
    assert data["kind"] is None and data["rows"] == []
    assert "PREFIX exo:" in data["query"]
    assert len(data["examples"]) == len(EXAMPLES) >= 7


def test_query_errors(web_client):
    bad = web_client.get("/query.json?query=SELECT%20WHERE%20%7B")
    assert bad.status_code == 400 and bad.json["ok"] is False
    assert "parse" in bad.json["error"]
    html = web_client.get("/query?query=SELECT%20WHERE%20%7B")
    assert html.status_code == 400 and b'id="query-error"' in html.data
    update = web_client.get("/query.json", query_string={
        "query": "DELETE WHERE { ?s ?p ?o }"})
    assert update.status_code == 403 and "read-only" in update.json["error"]
    assert web_client.get("/query?example=nope").status_code == 404


def test_select_downloads(web_client):
    query = next(e for e in EXAMPLES if e.slug == "findings-per-table").sparql
    data = web_client.get("/query.json", query_string={"query": query}).json
    assert {d["name"] for d in data["downloads"]} == {"csv", "tsv", "srj"}
    got = web_client.get("/query.csv", query_string={"query": query})
    assert got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert rows[0] == ["table", "findings"]
    assert rows[1:] == [["1", "38"], ["2", "13"], ["3", "10"], ["4", "3"], ["5", "2"]]
    tsv = web_client.get("/query.tsv", query_string={"query": query}).get_data(as_text=True)
    assert tsv.splitlines()[0] == "?table\t?findings"
    assert tsv.splitlines()[1] == "1\t38"  # an integer in its short form, as /sparql writes it
    srj = json.loads(web_client.get("/query.srj", query_string={"query": query}).data)
    assert srj["head"]["vars"] == ["table", "findings"]
    assert srj["results"]["bindings"][0]["findings"]["value"] == "38"
    assert web_client.get("/query.graphml", query_string={"query": query}).status_code == 406


def test_table_downloads_are_the_services_answers(web_client):
    """A download of a SELECT or an ASK is ``/sparql``'s answer in that format, byte for
    byte (an ASK's SPARQL JSON was a one-column table, not ``{"boolean": true}``)."""
    srj = web_client.get("/query.srj", query_string={"query": "ASK { ?s ?p ?o }"})
    assert srj.status_code == 200 and json.loads(srj.data) == {"head": {}, "boolean": True}
    query = next(e for e in EXAMPLES if e.slug == "findings-per-table").sparql
    for fmt, media_type in (("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
                            ("srj", "application/sparql-results+json")):
        got = web_client.get(f"/query.{fmt}", query_string={"query": query})
        direct = web_client.get("/sparql", query_string={"query": query},
                                headers={"Accept": media_type})
        assert got.mimetype == direct.mimetype == media_type
        assert got.data == direct.data
        # the page's validators: a repeat with its ETag is a 304, a stale If-Match a 412
        again = web_client.get(f"/query.{fmt}", query_string={"query": query},
                               headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304 and not again.data
        stale = web_client.get(f"/query.{fmt}", query_string={"query": query},
                               headers={"If-Match": '"not-this-one"'})
        assert stale.status_code == 412


def test_table_downloads_write_odd_terms_as_the_service_does(web_client):
    """A line break or a tab in a literal, a comma in an IRI, a blank node: the CSV and
    TSV downloads are the service's own formats (rdflib's ``n3()`` wrote a literal with a
    line break across lines; the CSV wrote a blank node without ``_:``)."""
    query = ('SELECT ?a ?b ?c { VALUES (?a ?b) { ("line1\\nline2" <http://ex.org/a,b>) '
             '("tab\\there" <http://ex.org/c>) } BIND(BNODE() AS ?c) }')
    tsv = web_client.get("/query.tsv", query_string={"query": query}).get_data(as_text=True)
    lines = tsv.split("\n")
    assert lines[0] == "?a\t?b\t?c" and lines[3] == "" and len(lines) == 4, tsv
    assert lines[1].split("\t")[:2] == ['"line1\\nline2"', "<http://ex.org/a,b>"]
    assert lines[2].split("\t")[0] == '"tab\\there"'
    assert all(line.split("\t")[2].startswith("_:") for line in lines[1:3])
    text = web_client.get("/query.csv", query_string={"query": query}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[:2] for row in rows] == [["a", "b"], ["line1\nline2", "http://ex.org/a,b"],
                                         ["tab\there", "http://ex.org/c"]]
    assert all(row[2].startswith("_:") for row in rows[1:])


#: A CONSTRUCT of statements outside ExoKG's own relations: a predicate of its author's,
#: a blank node, a literal of another namespace.
OWN_STATEMENTS = """PREFIX exo: <https://w3id.org/exokg/vocab#>
PREFIX ex: <http://example.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
CONSTRUCT { ?c ex:reportedWith ?d . _:note ex:about ?c . ?c dcterms:title "from the review" }
WHERE { ?c exo:upregulatedIn ?d .
        FILTER(?c = <https://w3id.org/exokg/id/content/mir-21>
               && ?d = <https://w3id.org/exokg/id/disease/hcc>) }"""


def test_a_construct_downloads_every_statement_it_asked_for(web_client):
    """Network downloads drew only ExoKG's own relations: this result, whose page draws
    two edges, downloaded as a header alone, with a 200."""
    mir21, hcc = "https://w3id.org/exokg/id/content/mir-21", \
        "https://w3id.org/exokg/id/disease/hcc"
    page = web_client.get("/query.json", query_string={"query": OWN_STATEMENTS}).json
    assert len(page["graph"]["edges"]) == 2
    rows = list(csv.DictReader(io.StringIO(web_client.get(
        "/query.csv", query_string={"query": OWN_STATEMENTS}).get_data(as_text=True))))
    assert sorted((r["predicate"], r["target"]) for r in rows) == [
        ("http://example.org/about", mir21), ("http://example.org/reportedWith", hcc)]
    assert next(r["source"] for r in rows if r["predicate"].endswith("about")).startswith("_:")
    got = web_client.get("/query.graphml", query_string={"query": OWN_STATEMENTS})
    G = nx.read_graphml(io.BytesIO(got.data))
    note = next(n for n in G if n.startswith("_:"))  # a blank node's label is the run's own
    assert G.has_edge(mir21, hcc) and G.has_edge(note, mir21)
    assert G.nodes[mir21]["dcterms:title"] == "from the review"
    # and back to RDF from the network: the same statements
    turtle = web_client.get("/query.ttl", query_string={"query": OWN_STATEMENTS})
    assert turtle.status_code == 200 and len(Graph().parse(data=turtle.data,
                                                           format="turtle")) == 3


def test_network_downloads_keep_a_carriage_return(web_client):
    """GraphML and GEXF wrote a literal's ``\\r`` as it is, which XML readers take for a
    line feed (``"c\\r\\nd"`` came back ``"c\\nd"``)."""
    query = ('CONSTRUCT { <http://ex.org/s> <http://purl.org/dc/terms/title> "c\\r\\nd" ; '
             "<http://ex.org/p> <http://ex.org/o> } WHERE {}")
    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        got = web_client.get(f"/query.{fmt}", query_string={"query": query})
        assert got.status_code == 200, (fmt, got.data[:200])
        G = read(io.BytesIO(got.data))
        values = [v for _, data in G.nodes(data=True) for v in data.values()]
        assert "c\r\nd" in values, (fmt, values)


def test_a_construct_of_literals_alone_is_no_edge_list(web_client):
    """Its CSV edge list was a header alone, with a 200: a download that said nothing of
    the triples it dropped. Formats with nodes still hold them."""
    query = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l } LIMIT 3")
    got = web_client.get("/query.csv", query_string={"query": query})
    assert got.status_code == 422
    assert "the CSV edge list would be empty: this graph's 3 nodes have no edges" in \
        got.json["error"]
    G = nx.read_graphml(io.BytesIO(web_client.get(
        "/query.graphml", query_string={"query": query}).data))
    assert G.number_of_nodes() == 3
    assert all(data["label"] for _, data in G.nodes(data=True))  # rdfs:label, each kept


def _graph_format_names():
    return format_names(*GRAPH_KINDS)


def test_construct_shows_a_graph_and_downloads_every_graph_format(web_client):
    data = web_client.get("/query.json?example=mir-21-graph").json
    assert data["kind"] == "CONSTRUCT"
    labels = {n["data"]["label"] for n in data["graph"]["nodes"]}
    assert {"miR-21", "hepatocellular carcinoma", "qRT-PCR"} <= labels
    assert {d["name"] for d in data["downloads"]} == set(_graph_format_names())
    assert {"graphml", "gexf", "cytoscape", "turtle"} <= {d["name"] for d in data["downloads"]}
    html = web_client.get("/query?example=mir-21-graph").get_data(as_text=True)
    assert 'id="graph-data"' in html and 'id="graph"' in html


@pytest.mark.parametrize("fmt", _graph_format_names())
def test_construct_download(web_client, fmt):
    query = next(e for e in EXAMPLES if e.slug == "mir-21-graph").sparql
    got = web_client.get(f"/query.{fmt}", query_string={"query": query})
    assert got.status_code == 200, got.data[:300]
    assert got.mimetype == get_format(fmt, kinds=GRAPH_KINDS).media_type
    assert len(got.data) > 50
    if get_format(fmt, kinds=GRAPH_KINDS).kind == "rdf":
        g = Dataset() if fmt in ("nquads", "trig") else Graph()
        g.parse(data=got.data, format={"ntriples": "nt", "jsonld": "json-ld",
                                       "rdfxml": "xml"}.get(fmt, fmt))
        assert len(g) == 25 or len(list(g.quads())) == 25


def test_assets_are_installed_and_served(web_client):
    """The install step copied YASQE and Cytoscape.js; pages load them locally."""
    for name in ("vendor/yasqe.min.js", "vendor/yasqe.min.css", "vendor/cytoscape.min.js",
                 "exokg.js", "exokg.css"):
        got = web_client.get(f"/static/{name}")
        assert got.status_code == 200 and len(got.data) > 1000, name
    html = web_client.get("/query").get_data(as_text=True)
    assert "/static/vendor/yasqe.min.js" in html
    assert "assets-missing" not in html
    assert "http://" not in html.split("<main>")[0].replace("http://www.w3.org", "")
    for page in ("/", "/query?example=mir-21-graph", "/id/content/mir-21"):
        text = web_client.get(page).get_data(as_text=True)
        assert "cdn" not in text.lower() and "<script src=\"http" not in text


def test_missing_assets_are_reported(web_client, monkeypatch):
    import exokg.server.ui

    monkeypatch.setattr(exokg.server.ui, "VENDOR_FILES", ("not-installed.js",))
    html = web_client.get("/query").get_data(as_text=True)
    assert 'id="assets-missing"' in html and "npm ci" in html


def test_query_page_runs_through_the_sparql_executors(tmp_path_factory):
    """The page uses the /sparql service: row cap (with a visible note), time limit,
    read-only refusal."""
    client = make_full_app(tmp_path_factory, MAX_ROWS=3, QUERY_TIMEOUT=1.5,
                           EXECUTORS=1).test_client()
    data = client.get("/query.json", query_string={"query": "SELECT ?s { ?s ?p ?o }"}).json
    assert data["truncated"] is True and data["max_rows"] == 3 and len(data["rows"]) == 3
    html = client.get("/query", query_string={"query": "SELECT ?s { ?s ?p ?o }"})
    assert b'id="result-truncated"' in html.data
    got = client.get("/query.csv", query_string={"query": "SELECT ?s { ?s ?p ?o }"})
    assert got.headers["X-Result-Truncated"] == "true" and len(got.data.splitlines()) == 4
    srj = client.get("/query.srj", query_string={"query": "SELECT ?s { ?s ?p ?o }"})
    assert srj.headers["X-Result-Truncated"] == "true"
    assert srj.json["truncated"] is True and len(srj.json["results"]["bindings"]) == 3
    srj = client.get("/query.srj", query_string={"query": "SELECT ?s { ?s ?p ?o } LIMIT 2"})
    assert "truncated" not in srj.json and "X-Result-Truncated" not in srj.headers
    small = client.get("/query.json", query_string={"query": "SELECT ?s { ?s ?p ?o } LIMIT 2"})
    assert small.json["truncated"] is False
    runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    slow = client.get("/query.json", query_string={"query": runaway})
    assert slow.status_code == 503 and "time limit" in slow.json["error"]
    refused = client.get("/query.json", query_string={
        "query": "SELECT * { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"})
    assert refused.status_code == 403 and "SERVICE" in refused.json["error"]


@pytest.mark.parametrize("path", ["/query.graphml", "/query.csv", "/query"])
def test_an_update_on_the_query_page_is_403_as_on_sparql(client, path):
    r = client.get(path, query_string={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert r.status_code == 403
    assert "only read-only queries run here" in r.get_data(as_text=True)


def _doubling(n: int) -> str:
    """One row, one string of 16 * 2**n characters (a query of a few hundred bytes)."""
    binds = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(n))
    return f'SELECT ?s{n} {{ BIND("0123456789abcdef" AS ?s0) {binds} }}'


def test_an_answer_past_the_read_limit_is_422_on_the_query_page_and_streamed_by_sparql(
        client, monkeypatch):
    """The query page read any answer whole into the web worker: one row of a doubled
    string (268 MB) took a worker from 108 MB to 1 GB."""
    from exokg.sparql.service import _EAGER_BYTES

    monkeypatch.setattr("exokg.sparql.service.READ_MAX_BYTES", 100_000)
    # read whole by the service (under _EAGER_BYTES), and streamed to the page (past it)
    for n in (13, 15):
        assert (16 << n > _EAGER_BYTES) == (n == 15)
        for path in ("/query.json", "/query"):
            r = client.get(path, query_string={"query": _doubling(n)})
            assert r.status_code == 422, (path, r.data[:200])
            assert b"/sparql streams an answer of any size" in r.data
        # a download is the service's answer, streamed as /sparql streams it
        r = client.get("/query.csv", query_string={"query": _doubling(n)})
        assert r.status_code == 200 and len(r.data) > 16 << n, r.data[:200]
        # the executor the cut stream held is free: a query not answered before runs
        r = client.get("/query.json", query_string={"query": _doubling(n - 10)})
        assert r.status_code == 200 and r.get_json()["count"] == 1
    r = client.get("/sparql", query_string={"query": _doubling(15)},
                   headers={"Accept": "text/csv"})
    assert r.status_code == 200 and len(r.data) > 16 << 15


PAGE_BYTES = 500_000


def test_a_long_value_is_cut_on_the_query_page_and_whole_in_its_downloads(client):
    """One value of 2 million characters (a doubled string): the JSON twin was 28 MB
    from a query of 200 bytes, a CONSTRUCT's page 18 MB (its drawing's label). The page
    and its twin hold the value's first 4,000 characters and its length; the download
    holds it whole."""
    select = _doubling(17)  # one row, one value of 16 * 2**17 = 2,097,152 characters
    twin = client.get("/query.json", query_string={"query": select})
    assert twin.status_code == 200 and len(twin.data) < PAGE_BYTES
    value = twin.json["rows"][0][0]["value"]
    assert value.startswith("0123456789abcdef") and value.endswith("(2,097,152 characters)")
    html = client.get("/query", query_string={"query": select})
    assert html.status_code == 200 and len(html.data) < PAGE_BYTES
    whole = client.get("/query.csv", query_string={"query": select})
    assert len(whole.data) > 2_097_152
    binds = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(17))
    construct = ('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nCONSTRUCT { '
                 '<http://ex.org/a> rdfs:label ?s17 ; <http://ex.org/p> <http://ex.org/b> } '
                 f'WHERE {{ BIND("0123456789abcdef" AS ?s0) {binds} }}')
    iri = (f'SELECT ?i {{ BIND("0123456789abcdef" AS ?s0) {binds} '
           'BIND(IRI(CONCAT("http://example.org/", ?s17)) AS ?i) }')
    for path, query in (("/query", construct), ("/query.json", construct),
                        ("/query", iri), ("/query.json", iri)):
        page = client.get(path, query_string={"query": query})
        assert page.status_code == 200 and len(page.data) < PAGE_BYTES, (path, len(page.data))
    cell = client.get("/query.json", query_string={"query": iri}).json["rows"][0][0]
    assert cell["value"].endswith("characters)") and "url" not in cell
    # a wide row, long datatypes and language tags (twins of 7 and 8 MB)
    cells = " ".join(f"(?x AS ?c{n})" for n in range(900))
    wide = (f'SELECT {cells} {{ BIND("0123456789abcdef" AS ?s0) {binds} '
            'BIND(SUBSTR(?s17, 1, 3999) AS ?x) }')
    datatypes = ('SELECT ?v { VALUES ?n { ' + " ".join(map(str, range(300))) + ' } '
                 f'BIND("0123456789abcdef" AS ?s0) {binds} '
                 'BIND(STRDT(STR(?n), IRI(CONCAT("http://example.org/", '
                 'SUBSTR(?s17, 1, 16000)))) AS ?v) }')
    for query in (wide, datatypes):
        for path in ("/query", "/query.json"):
            page = client.get(path, query_string={"query": query})
            assert page.status_code == 200 and len(page.data) < PAGE_BYTES, \
                (path, len(page.data))
    # a short value is the data as it is: no mark, no bidirectional isolation
    bidi = client.get("/query.json", query_string={"query": 'SELECT ("a\u202Eb" AS ?x) {}'})
    assert bidi.json["rows"][0][0]["value"] == "a\u202eb"


def test_a_query_too_long_for_the_page_is_414_naming_sparql(client):
    """A 65 KB query made a page of 1.2 MB: the page names the query in nineteen links."""
    query = "ASK {} #" + "x" * 20_000
    for path in ("/query", "/query.json", "/query.csv"):
        r = client.get(path, query_string={"query": query})
        assert r.status_code == 414 and b"send a longer one to /sparql" in r.data, path
    ok = client.post("/sparql", data={"query": query},
                     headers={"Accept": "application/sparql-results+json"})
    assert ok.status_code == 200 and ok.json["boolean"] is True


def test_a_page_asked_with_a_long_url_names_its_twin_in_the_page_not_a_header(client):
    """The Link header named the whole URL: past 64 KB, Python's http.client (requests)
    failed on the answer."""
    query = "ASK {} #" + "x" * 9_000
    r = client.get("/query", query_string={"query": query})
    assert r.status_code == 200 and "Link" not in r.headers
    short = client.get("/query", query_string={"query": "ASK {}"})
    assert 'rel="alternate"' in short.headers["Link"]


def test_a_hubs_counts_are_written_with_their_thousands_apart(tmp_path):
    """A page writes a count as "1,200", its twin as the number 1200."""
    import re

    from _web import data_client
    from hubgen import write_hub_graph

    text = write_hub_graph(tmp_path / "hub.nt", findings=1200).read_text(encoding="utf-8")
    (tmp_path / "served").mkdir()
    for client in data_client(tmp_path / "served", text):
        page = client.get("/id/content/mir-hub", headers={"Accept": "text/html"})
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Summary of 1,200 findings" in html and "Findings 1–100 of 1,200" in html
        assert re.search(r'<dd>1,200</dd>', html)  # the evidence's count of findings
        twin = client.get("/id/content/mir-hub.json").get_json()
        assert twin["paging"]["count"] == 1200
        home = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
        triples = client.get("/.json").get_json()["counts"]["triples"]
        assert triples > 1000 and f"{triples:,} triples in the default graph" in home
