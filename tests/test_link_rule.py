"""Links to IRIs (issue 11 item 16): only http(s) IRIs and local pages are links.

An IRI of any other scheme (``javascript:``, ``data:``, ``vbscript:``, in any case, with
whitespace or control characters before or inside the scheme) is shown as text, in every
page and in every JSON twin's ``url`` (empty), so the graph views cannot open it either.
The rule is :func:`exokg.server.ui.local_url`; the browser side is in test_browser.py.
"""

from __future__ import annotations

import re

import pytest
from exokg.server.ui import local_url

UNSAFE = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)",
          "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="]
#: Variants a browser would still run (it drops these characters) but an engine rejects
#: as IRIs, so they are checked on the rule itself.
MANGLED = [" javascript:alert(1)", "\tjavascript:alert(1)", "\x00javascript:alert(1)",
           "\x1fjavascript:alert(1)", "java\tscript:alert(1)", "java\nscript:alert(1)",
           "\u00a0javascript:alert(1)", " http://example.org/", "http://exa mple.org/",
           "http://example.org/\x7f", "", "urn:isbn:123", "mailto:a@b.c", "file:///etc/passwd",
           "//evil.example/", "/relative", "https:evil", "ftp://example.org/"]
#: An anchor's href in a page: local, a fragment, or http(s); nothing else.
SAFE_HREF = re.compile(r"(/|#|\?|https?://)")


def _anchor_hrefs(html: str) -> list[str]:
    return re.findall(r"<a\b[^>]*\bhref=\"([^\"]*)\"", html)


def _assert_hrefs_safe(html: str) -> None:
    hrefs = _anchor_hrefs(html)
    assert hrefs, "the page has no links at all"
    bad = [h for h in hrefs if not SAFE_HREF.match(h)]
    assert bad == []


@pytest.mark.parametrize("iri", UNSAFE)
def test_query_page_shows_unsafe_iris_as_text(client, iri):
    query = f'SELECT ?y {{ BIND(IRI("{iri}") AS ?y) }}'
    page = client.get("/query", query_string={"query": query})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "result-count" in html and ">1 row<" in html
    _assert_hrefs_safe(html)
    assert f'<span title="{iri}">' in html  # shown, as text
    twin = client.get("/query.json", query_string={"query": query}).get_json()
    [[cell]] = twin["rows"]
    assert cell["value"] == iri and cell["url"] == ""


def test_query_page_links_http_and_local_iris(client):
    query = ('SELECT ?a ?b { BIND(IRI("https://example.org/x?y=1") AS ?a) '
             'BIND(IRI("https://w3id.org/exokg/id/content/mir-21") AS ?b) }')
    twin = client.get("/query.json", query_string={"query": query}).get_json()
    [[a, b]] = twin["rows"]
    assert (a["url"], b["url"]) == ("https://example.org/x?y=1", "/id/content/mir-21")
    html = client.get("/query", query_string={"query": query}).get_data(as_text=True)
    assert 'href="https://example.org/x?y=1"' in html and 'href="/id/content/mir-21"' in html


@pytest.mark.parametrize("iri", UNSAFE)
def test_construct_graph_nodes_carry_no_url_for_unsafe_iris(client, iri):
    query = (f"CONSTRUCT {{ <{iri}> <https://example.org/p> <https://example.org/o> }} "
             "WHERE {}")
    twin = client.get("/query.json", query_string={"query": query}).get_json()
    urls = {n["data"]["id"]: n["data"]["url"] for n in twin["graph"]["nodes"]}
    assert urls == {iri: "", "https://example.org/o": "https://example.org/o"}
    html = client.get("/query", query_string={"query": query}).get_data(as_text=True)
    _assert_hrefs_safe(html)


@pytest.mark.parametrize("iri", MANGLED + UNSAFE)
def test_the_rule_refuses_every_other_scheme_and_mangled_prefixes(app, iri):
    with app.test_request_context("/"):
        assert local_url(iri) == ""


@pytest.mark.parametrize(("iri", "url"), [
    ("http://example.org/a", "http://example.org/a"),
    ("HTTPS://example.org/a#b", "HTTPS://example.org/a#b"),
    ("https://w3id.org/exokg/id/disease/hcc", "/id/disease/hcc"),
    ("https://w3id.org/exokg/vocab#Finding", "/vocab#Finding"),
    ("https://w3id.org/exokg/vocab", "/vocab"),
])
def test_the_rule_links_http_and_local_iris(app, iri, url):
    with app.test_request_context("/"):
        assert local_url(iri) == url


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    """An app over a --data file whose local node links to IRIs of unsafe schemes."""
    from exokg.server import create_app

    folder = tmp_path_factory.mktemp("hostile")
    node = "<https://w3id.org/exokg/id/content/mir-x>"
    lines = [f'{node} <http://www.w3.org/2000/01/rdf-schema#label> "miR-x" .',
             f"{node} <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://example.org/ok> ."]
    for iri in UNSAFE:
        lines += [f"{node} <https://w3id.org/exokg/vocab#xref> <{iri}> .",
                  f"{node} <https://example.org/relatedTo> <{iri}> .",
                  f"<{iri}> <https://example.org/pointsTo> {node} .",
                  f"<{iri}> <{iri}> {node} ."]
    data = folder / "hostile.nt"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(folder / "store"),
                      "DATA_FILES": [str(data)], "EXECUTORS": 1})
    yield app.test_client()
    app.extensions["exokg.sparql"].close()


def test_entity_page_of_data_file_links_no_unsafe_iri(hostile_client):
    page = hostile_client.get("/id/content/mir-x")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    _assert_hrefs_safe(html)
    assert 'href="https://example.org/ok"' in html
    for iri in UNSAFE:
        assert iri.replace("&", "&amp;") in html  # still shown, as text


def test_neighborhood_nodes_carry_urls_empty_for_unsafe_iris(hostile_client):
    answer = hostile_client.get("/api/neighborhood",
                                query_string={"node": "https://w3id.org/exokg/id/content/mir-x"})
    assert answer.status_code == 200
    body = answer.get_json()
    urls = {n["id"]: n["url"] for n in body["nodes"]}
    assert body["center"]["url"] == "/id/content/mir-x"
    assert urls["https://w3id.org/exokg/id/content/mir-x"] == "/id/content/mir-x"
    unsafe = {iri: urls[iri] for iri in UNSAFE if iri in urls}
    assert unsafe and set(unsafe.values()) == {""}


def test_page_links_follow_the_script_root_of_each_request(app):
    """Page URLs are remembered per app, never across mount points: the same IRI links
    under each request's own script root, and in the order asked."""
    hcc = "https://w3id.org/exokg/id/disease/hcc"
    for root, url in [("", "/id/disease/hcc"), ("/kg", "/kg/id/disease/hcc"),
                      ("", "/id/disease/hcc"), ("/other", "/other/id/disease/hcc")]:
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            assert local_url(hcc) == url
