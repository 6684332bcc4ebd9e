"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright's own browser download is never used: Chromium is launched from
``/usr/bin/chromium`` (installed by ``tools/install-test-deps``). One browser serves
the whole module; every test fails on a console error or an uncaught page error.
Screenshots go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import pytest
from _web import site_url
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
MIR21 = "https://w3id.org/exokg/id/content/mir-21"


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    yield from site_url(request, tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    yield page
    context.close()
    assert problems == []


def _tap(page, iri: str) -> None:
    """Tap the graph node ``iri``. The evaluation returns nothing on purpose: ``emit``
    returns the Cytoscape collection, and Playwright serializing that back (it reaches
    the whole graph) ran the renderer out of memory ("Target crashed"; V8's OOM in
    Playwright's ``innerSerialize``, seen in Chromium's crash dumps)."""
    page.evaluate("iri => { window.exokg.cy.getElementById(iri).emit('tap'); }", iri)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_home_page(page, site):
    page.goto(site + "/")
    assert page.locator("h1").inner_text().startswith("Exosomal molecules in liver cancer")
    assert page.locator("#tables tbody tr").count() == 5
    assert page.get_by_text("CC BY-NC 4.0").first.is_visible()
    assert page.locator(".gallery li").count() >= 7
    page.fill("#home-search", "miR-21")
    page.press("#home-search", "Enter")
    page.wait_for_url("**/search?q=miR-21")
    assert page.locator("#search-results li a").first.inner_text() == "miR-21"
    page.goto(site + "/")
    _shot(page, "home")


def test_run_an_example_query(page, site):
    page.goto(site + "/")
    page.get_by_role("link", name="The five studies of miR-21").click()
    page.wait_for_selector("#results tbody tr")
    assert page.locator("#results tbody tr").count() == 5
    page.wait_for_selector(".CodeMirror")  # the YASQE editor, with highlighting
    assert page.locator(".CodeMirror").count() == 1
    assert page.locator(".CodeMirror .cm-keyword").count() > 0 or \
        page.locator(".CodeMirror span[class*=cm-]").count() > 0
    # edit the query in the editor and run it again: the new query lands in the URL
    page.evaluate("""() => { window.exokg.yasqe.setValue(
        window.exokg.yasqe.getValue().replace('ORDER BY ?ref', 'ORDER BY DESC(?n)')); }""")
    page.click("#run")
    page.wait_for_url("**/query?query=*")
    assert "DESC" in page.url
    first_n = page.locator("#results tbody tr").first.locator("td").nth(3).inner_text()
    assert first_n == "150"
    # the table sorts on a click
    page.locator("#results thead th", has_text="ref").click()
    assert page.locator("#results tbody tr").first.locator("td").first.inner_text() == "21"
    _shot(page, "query")


def test_construct_result_is_drawn(page, site):
    page.goto(site + "/query?example=mir-21-graph")
    # a function, not a string: Playwright evaluates a string with eval, which the CSP refuses
    page.wait_for_function(
        "() => window.exokg && window.exokg.cy && window.exokg.cy.nodes().length > 5")
    assert page.locator("#graph canvas").count() > 0
    _shot(page, "query-graph")


def test_mir21_page_graph_and_graphml_download(page, site, tmp_path):
    page.goto(site + "/id/content/mir-21")
    assert page.locator("#entity-label").inner_text() == "miR-21"
    assert page.locator("article.study").count() == 5
    assert page.locator("#evidence-studies").inner_text() == "5"
    page.wait_for_selector("#neighborhood[data-loaded=true]")
    shown = page.evaluate("window.exokg.cy.nodes().length")
    assert shown > 5
    # within the node cap: no truncation note
    assert page.locator("#neighborhood").get_attribute("data-truncated") == "false"
    assert "truncated" not in page.locator("#graph-status").inner_text()
    assert page.locator("#graph canvas").count() > 0
    assert page.evaluate(f"window.exokg.cy.getElementById({MIR21!r}).length") == 1
    _shot(page, "mir-21")

    # drop one edge type: the graph and the download follow the filter
    page.locator("#predicates input[value='exo:citedIn']").uncheck()
    page.wait_for_function(f"() => window.exokg.cy.nodes().length < {shown}")
    filtered = page.evaluate("window.exokg.cy.nodes().map(n => n.id()).sort()")
    page.select_option("#neighborhood-format", "graphml")
    with page.expect_download() as info:
        page.click("#neighborhood-download")
    path = tmp_path / "neighborhood.graphml"
    info.value.save_as(path)
    G = nx.read_graphml(path)
    assert sorted(G.nodes) == filtered
    assert MIR21 in G and not any("/ref/" in n for n in G.nodes)

    # a tap on a node opens its page
    page.evaluate("() => { window.exokg.navigate = url => { window.exokg.went = url; }; }")
    _tap(page, "https://w3id.org/exokg/id/disease/hcc")
    went = page.evaluate("window.exokg.went")
    assert went == "/id/disease/hcc"
    page.goto(site + went)
    assert page.locator("#entity-label").inner_text() == "hepatocellular carcinoma"


def _drawn(page) -> list[dict]:
    """Each node of the neighbourhood's drawing: its depth, its centre and the box of the
    node with its label (plain numbers: see :func:`_tap`)."""
    return page.evaluate("""() => window.exokg.cy.nodes().map(n => {
        const b = n.boundingBox({includeLabels: true}), p = n.position();
        return {id: n.id(), depth: n.data("depth"), x: p.x, y: p.y,
                box: [b.x1, b.y1, b.x2, b.y2]};
    })""")


def _overlapping(nodes: list[dict]) -> list[tuple[str, str]]:
    return [(a["id"], b["id"]) for i, a in enumerate(nodes) for b in nodes[i + 1:]
            if a["box"][0] < b["box"][2] and b["box"][0] < a["box"][2]
            and a["box"][1] < b["box"][3] and b["box"][1] < a["box"][3]]


def test_a_neighbourhood_is_drawn_in_rings_with_no_label_over_another(page, site):
    """One ring of nodes around the centre per depth, the nearer inside, and no node or
    label over another's: the force-directed layout this replaced piled miR-21's diseases
    and isolation kits on top of it, their names over each other."""
    page.goto(site + "/id/content/mir-21")
    page.wait_for_selector("#neighborhood[data-loaded=true]")
    one = _drawn(page)
    page.select_option("#depth", "2")
    page.wait_for_function(f"() => window.exokg.cy.nodes().length > {len(one)}")
    for nodes in (one, _drawn(page)):
        centre = next(n for n in nodes if n["id"] == MIR21)
        assert centre["depth"] == 0
        reach: dict[int, list[float]] = {}
        for n in nodes:
            reach.setdefault(n["depth"], []).append(
                ((n["x"] - centre["x"]) ** 2 + (n["y"] - centre["y"]) ** 2) ** 0.5)
        depths = sorted(reach)
        assert depths[0] == 0 and len(depths) >= 2
        for near, far in itertools.pairwise(depths):
            assert max(reach[near]) < min(reach[far]), (near, far)
        assert _overlapping(nodes) == []


def test_a_tap_on_a_javascript_node_opens_nothing(page, site):
    """A graph node whose IRI is javascript: has no page: a tap neither navigates nor runs it
    (issue 11 item 16); a tap on its http(s) neighbour still opens that one."""
    from urllib.parse import quote

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    bad, good = "javascript:alert(1)", "https://example.org/o"
    query = f"CONSTRUCT {{ <{bad}> <https://example.org/p> <{good}> }} WHERE {{}}"
    page.goto(f"{site}/query?query={quote(query)}")
    page.wait_for_function("window.exokg && window.exokg.cy && window.exokg.cy.nodes().length == 2")
    assert page.evaluate(f"window.exokg.cy.getElementById({bad!r}).data('url')") == ""
    assert page.locator("a[href^='javascript']").count() == 0
    page.evaluate("() => { window.exokg.went = []; "
                  "window.exokg.navigate = url => { window.exokg.went.push(url); }; }")
    before = page.url
    _tap(page, bad)
    _tap(page, good)
    assert page.evaluate("window.exokg.went") == [good]
    assert page.url == before and dialogs == []


def test_a_long_name_is_drawn_as_the_pages_show_it(page, site):
    """A 1 MiB name (a user's record may hold one), wrapped to the node's width, was
    drawn as a column of text thousands of lines high: a drawing shows its first 120
    characters and says how long it is, as the pages do."""
    from urllib.parse import quote

    doubled = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(12))
    query = ("CONSTRUCT { <https://example.org/a> "
             "<http://www.w3.org/2000/01/rdf-schema#label> ?s12 ; "
             "<https://example.org/p> <https://example.org/b> } "
             f'WHERE {{ BIND("long name " AS ?s0) {doubled} }}')  # 40,960 characters
    page.goto(f"{site}/query?query={quote(query)}")
    page.wait_for_function("window.exokg && window.exokg.cy && window.exokg.cy.nodes().length == 2")
    label = page.evaluate("window.exokg.cy.getElementById('https://example.org/a').data('label')")
    assert label == "long name " * 12 + "\u2026 (40,960 characters)"
    box = page.evaluate("(() => { var b = window.exokg.cy.getElementById("
                        "'https://example.org/a').boundingBox({includeLabels: true}); "
                        "return b.h; })()")
    assert box < 200, box
