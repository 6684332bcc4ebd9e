"""Entity pages read through bounded queries (exokg.pages) and the facets artifact
(exokg.facets): the review's pages as the whole-graph description, paging, byte bounds.

The review's store is read twice (``conftest.STORES``): the embedded store with the
facets built beside it, and Oxigraph server as the remote store (read through
:class:`exokg.sparql.remote.RemoteStore`) with the facets ``exokg index --store-url``
built from it. The hub tests read a generated graph through the same code: embedded only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import STORES
from exokg.build import build_graph
from exokg.describe import describe_node
from exokg.errors import InvalidQuery, NodeNotFound
from exokg.facets import Facets
from exokg.facets_build import build_facets
from exokg.pages import StoreReader, entity_page
from exokg.store import open_store, prepare_store
from exokg.vocab import EXOID
from rdflib import URIRef

KEYS = ("iri", "label", "types", "alt_labels", "comment", "facts", "incoming", "external",
        "findings", "groups", "evidence")


@pytest.fixture(scope="module", params=STORES)
def review_store(request, tmp_path_factory) -> tuple[StoreReader, Facets]:
    if request.param == "oxigraph":
        from exokg.facets import ARTIFACT
        from exokg.sparql.remote import RemotePool, RemoteStore

        remote = request.getfixturevalue("oxigraph_store")
        info = RemotePool(remote.query_url, artifacts_dir=remote.artifacts).info()
        assert ARTIFACT in info.artifacts
        return StoreReader(RemoteStore(remote.query_url)), Facets(info.artifact_dir(ARTIFACT))
    folder = tmp_path_factory.mktemp("review-store")
    store = open_store(prepare_store(folder / "stores").path)
    build_facets(store, folder / "facets")
    return StoreReader(store), Facets(folder / "facets")


def _review_nodes() -> list[URIRef]:
    graph = build_graph()
    return sorted({s for s in graph.subjects() if isinstance(s, URIRef)
                   and str(s).startswith(str(EXOID))})


def test_every_review_page_shows_what_the_whole_graph_description_shows(review_store):
    reader, facets = review_store
    graph = build_graph()
    nodes = _review_nodes()
    assert len(nodes) > 66
    for node in nodes:
        want = describe_node(graph, node)
        for store_facets in (facets, None):
            got = entity_page(reader, str(node), facets=store_facets)
            assert {k: got[k] for k in KEYS} == {k: want[k] for k in KEYS}, node
            assert got["paging"]["pages"] == 1


def test_api_evidence_and_conflicts_agree_with_the_projection(review_store):
    """The artifact's /api/evidence and /api/conflicts answers, field for field, as the
    whole-graph projection's (exokg.algorithms)."""
    from exokg.algorithms import conflicts, evidence
    from exokg.facets import evidence_answer
    from exokg.network import project
    from exokg.review import CONTENT_KINDS

    reader, facets = review_store
    GF = project(build_graph(), findings=True)
    molecules = [n for n, d in GF.nodes(data=True) if d.get("kind") in CONTENT_KINDS]
    assert len(molecules) > 30
    for node in molecules:
        want = evidence(GF, node)
        got = evidence_answer(reader, facets, node)
        assert {k: got[k] for k in want} == want, node
        assert got["findings_count"] == len(want["findings"]) and got["pages"] == 1
    assert facets.conflicts() == conflicts(GF)


def test_home_counts_from_the_artifact_are_the_graphs(review_store):
    from exokg.stats import graph_stats

    _, facets = review_store
    want = graph_stats(build_graph())
    assert facets.stats() == {k: want[k] for k in ("triples", "classes", "tables")}


def test_stored_hub_summaries_equal_the_pages_own(tmp_path):
    """Every node a hub (``hub_min=0``: its summary, facets and order stored) or none
    (each page summarises its findings): every review page, /api/evidence answer and the
    conflicts list are the same either way."""
    from exokg.facets import evidence_answer

    store = open_store(prepare_store(tmp_path / "stores").path)
    reader = StoreReader(store)
    build_facets(store, tmp_path / "all", hub_min=0)
    build_facets(store, tmp_path / "none", hub_min=10**9)
    every, none = Facets(tmp_path / "all"), Facets(tmp_path / "none")
    hubs = 0
    for node in map(str, _review_nodes()):
        stored = every.node(node)
        assert none.node(node).evidence is None
        hubs += stored.evidence is not None
        assert entity_page(reader, node, facets=every) == entity_page(reader, node, facets=none)
        if every.content_evidence(node)[0]:
            assert every.content_evidence(node)[1] is not None
            assert evidence_answer(reader, every, node) == evidence_answer(reader, none, node)
    assert hubs > 100
    assert every.conflicts() == none.conflicts() and every.conflict_count() > 0


# ---------------------------------------------------------------- a hub of 2,500 findings

HUB_FINDINGS = 2500


@pytest.fixture(scope="module")
def hub_store(tmp_path_factory) -> tuple[StoreReader, Facets, Path]:
    from hubgen import write_hub_graph

    folder = tmp_path_factory.mktemp("hub-store")
    data = write_hub_graph(folder / "hub.nt", findings=HUB_FINDINGS)
    store = open_store(prepare_store(folder / "stores", data_files=[data]).path)
    build_facets(store, folder / "facets")
    return StoreReader(store), Facets(folder / "facets"), data


def test_hub_summary_equals_a_direct_count(hub_store):
    from hubgen import DISEASE, HUB
    from rdflib import Graph

    reader, facets, data = hub_store
    graph = Graph().parse(data, format="nt")
    from exokg.describe import evidence_summary, findings_about

    for node in (HUB, DISEASE):
        records = findings_about(graph, URIRef(node))
        stored = facets.node(node)
        assert stored.count == len(records) >= HUB_FINDINGS
        assert stored.evidence == evidence_summary(records, node)
        # a molecule's conflicts are its own (its findings name other molecules too, whose
        # conflicts a disease lists)
        in_conflict = {c["molecule"] for c in stored.evidence["conflicts"]}
        assert in_conflict == {"miR-hub"} if node == HUB else len(in_conflict) > 1
        by_table = {int(v["key"]): v["count"] for v in stored.facets["table"]}
        assert by_table == {t: sum(1 for r in records if r["table"] == t) for t in range(1, 6)}
        directions = {v["key"]: v["count"] for v in stored.facets["direction"]}
        assert directions == {d: sum(1 for r in records if r["expression"] == d)
                              for d in ("Up", "Down")}
        samples = {v["label"]: v["count"] for v in stored.facets["sample"]}
        assert sum(samples.values()) == len(records)
        top = stored.facets["study"][0]
        assert top["count"] == max(sum(1 for r in records if r["study"]["iri"] == s["key"])
                                   for s in stored.facets["study"])
    assert facets.node(HUB).evidence["conflict"] is True


def test_hub_pages_are_bounded_and_cover_every_finding(hub_store):
    from hubgen import HUB

    reader, facets, _ = hub_store
    first = entity_page(reader, HUB, facets=facets)
    paging = first["paging"]
    assert paging["count"] == HUB_FINDINGS and paging["pages"] == -(-HUB_FINDINGS // paging["size"])
    assert paging["has_next"] and not paging["has_prev"]
    seen = []
    for number in range(1, paging["pages"] + 1):
        page = entity_page(reader, HUB, page=str(number), facets=facets)
        assert len(page["findings"]) <= paging["size"]
        assert page["evidence"] == first["evidence"]
        seen += [f["iri"] for f in page["findings"]]
    assert len(seen) == len(set(seen)) == HUB_FINDINGS
    keys = [(int(s.rsplit("-", 1)[1]) % 5 + 1, int(s.rsplit("-", 1)[1])) for s in seen]
    assert keys == sorted(keys)  # by table, then row, across pages
    last = entity_page(reader, HUB, page=paging["pages"], facets=facets)["paging"]
    assert last["has_prev"] and not last["has_next"] and last["last"] == HUB_FINDINGS


@pytest.mark.parametrize("bad", ["0", "-1", "999", "two", "1.5"])
def test_bad_page_numbers_name_the_range(hub_store, bad):
    from hubgen import HUB

    reader, facets, _ = hub_store
    pages = -(-HUB_FINDINGS // 100)
    with pytest.raises(InvalidQuery, match=f"from 1 to {pages}"):
        entity_page(reader, HUB, page=bad, facets=facets)


def test_unknown_node_and_unsafe_iri(review_store):
    reader, facets = review_store
    for node in (str(EXOID["content/nothing"]), "x> } <y"):
        with pytest.raises(NodeNotFound):
            entity_page(reader, node, facets=facets)


def test_summary_without_the_artifact_pages_through(hub_store):
    """A store without the artifact still gets the right summary (by bounded pages)."""
    from hubgen import HUB

    reader, facets, _ = hub_store
    page = entity_page(reader, HUB, page=2, facets=None)
    # the artifact's order of a hub's findings is the query's
    assert page["findings"] == entity_page(reader, HUB, page=2, facets=facets)["findings"]
    assert page["evidence"] == facets.node(HUB).evidence
    assert page["incoming"] == facets.node(HUB).incoming


@pytest.mark.parametrize("name", ["\U000f9753Ci", 'a"b\\c', "line\nbreak", "miR-21\u00e9"])
def test_exact_lookup_takes_any_text(review_store, name):
    from exokg.pages import find_node

    reader, _ = review_store
    assert find_node(reader, name) == []
    assert find_node(reader, "miR-638") == [str(EXOID["content/mir-638"])]


def test_hub_conflict_entry_names_the_hub_as_the_whole_graph_does(hub_store):
    """/api/conflicts names a hub by its own label, types and names, however many
    statements point at or from it (the entries are read in batches, not per description)."""
    from exokg.describe import label_of
    from exokg.facets import node_entry
    from exokg.vocab import EXO, RDF, SKOS
    from hubgen import HUB
    from rdflib import Graph

    _, facets, data = hub_store
    graph = Graph().parse(data, format="nt")
    hub = URIRef(HUB)
    expected = node_entry(HUB, label_of(graph, hub),
                          [str(t) for t in graph.objects(hub, RDF.type)],
                          [str(a) for a in graph.objects(hub, SKOS.altLabel)],
                          [str(x) for x in graph.objects(hub, EXO.xref)])
    entries = [c["node"] for c in facets.conflicts() if c["node"]["id"] == HUB]
    assert entries == [expected]
    assert facets.conflict_count() == len(facets.conflicts())


def test_a_cut_description_keeps_the_nodes_name_types_and_links(review_store):
    """A hub's description is cut at the cap (at 10^5 findings miR-21 cites ~9,000
    studies, and the page was titled by its IRI, "mir-21"): whatever the cut, the node's
    types, labels and external links are still read, so the page says the same of it
    (HCC's statements are all of these: nothing of it is left out)."""
    from exokg.describe import node_facts
    from exokg.pages import description_graph

    reader, _ = review_store
    graph = build_graph()
    for name in ("content/mir-21", "disease/hcc"):
        node = URIRef(str(EXOID) + name)
        want = describe_node(graph, node)
        cut, truncated = description_graph(reader, str(node), cap=2)
        assert truncated is (name == "content/mir-21"), node
        got = node_facts(cut, node)
        for key in ("label", "types", "alt_labels", "comment", "external"):
            assert got[key] == want[key], (node, key)


# ------------------------------------------------ a description cut at the cap (issue 12)

def test_a_cut_description_keeps_the_first_values_in_order_with_their_labels(tmp_path):
    """A hub citing more studies than the cap keeps the first of them in the stated
    order (IRIs by code points: ref/1, ref/10, ref/100, ...), whatever order the engine
    reads them in, and each kept study with its label (main kept them in the engine's
    order, and a cut could fall between a study and its label: "ref/39847" for
    "Reference [39847]")."""
    from exokg.describe import node_facts
    from exokg.pages import description_graph
    from hubgen import BASE, HUB, write_hub_graph

    data = write_hub_graph(tmp_path / "hub.nt", findings=40, cited=300)
    reader = StoreReader(open_store(prepare_store(tmp_path / "stores",
                                                  data_files=[data]).path))
    cap = 20
    graph, truncated = description_graph(reader, HUB, cap=cap)
    assert truncated
    facts = {f["predicate"]: f["values"] for f in node_facts(graph, URIRef(HUB))["facts"]}
    every = sorted(f"{BASE}ref/{n}" for n in range(1, 301))
    # the hub's type and label come first: the rest of the cap goes to its studies
    kept = cap - 2
    assert [v["iri"] for v in facts["https://w3id.org/exokg/vocab#citedIn"]] == every[:kept]
    for value in facts["https://w3id.org/exokg/vocab#citedIn"]:
        assert value["label"] == f"Reference [{value['iri'].rpartition('/')[2]}]"
    page = entity_page(reader, HUB)  # the default cap: the 300 studies, all of them
    cited = [f for f in page["facts"] if f["predicate"].endswith("#citedIn")]
    assert [v["iri"] for v in cited[0]["values"]] == every and "count" not in cited[0]
    assert page["facts_truncated"] is False


def test_a_predicate_with_too_many_values_to_choose_from_is_listed_by_count(tmp_path):
    """Choosing a predicate's first values reads them all, so beyond VALUES_READ of them
    (at 10^6 findings miR-21 cites 75,986 studies) a page lists none and says how many
    there are; the rest of the page is as whole as ever."""
    from exokg.pages import VALUES_READ
    from hubgen import HUB, write_hub_graph

    data = write_hub_graph(tmp_path / "hub.nt", findings=16, cited=VALUES_READ + 1)
    reader = StoreReader(open_store(prepare_store(tmp_path / "stores",
                                                  data_files=[data]).path))
    page = entity_page(reader, HUB)
    cited = [f for f in page["facts"] if f["predicate"].endswith("#citedIn")]
    assert cited == [{"predicate": "https://w3id.org/exokg/vocab#citedIn",
                      "predicate_label": cited[0]["predicate_label"], "values": [],
                      "count": VALUES_READ + 1}]
    assert page["facts_truncated"] is True and page["label"] == "miR-hub"
    assert page["types"] and page["paging"]["count"] == 16


def test_a_description_cut_by_the_row_cap_says_so(review_store):
    """Under a row cap smaller than the node's statements (an operator's small
    MAX_ROWS), the description says it was cut and counts only what it holds."""
    from exokg.pages import describe

    reader, _ = review_store

    class Capped:
        def select(self, query, *, max_rows=None):
            return reader.select(query, max_rows=min(max_rows or 5, 5))

        def construct(self, query, *, max_rows=None):
            return reader.construct(query, max_rows=min(max_rows or 5, 5))

    node = str(EXOID) + "content/mir-21"
    whole = describe(reader, node, cap=2000)
    assert not whole.truncated
    cut = describe(Capped(), node, cap=2000)
    assert cut.truncated
    subject = URIRef(node)
    assert all(cut.kept[p] == len(set(cut.graph.objects(subject, URIRef(p))))
               for p in cut.kept)


def _lab_app(tmp_path, functions: list[str]):
    """An app over the review and a lab's Table 2 rows on miR-21, one per function."""
    from exokg.server import create_app

    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "entities.tsv").write_text(
        "id\tclass\tlabel\tprinted_as\talt_labels\tcomment\n"
        "ref/lab-1\tReference\tOur study\tLab 1\t\t\n", encoding="utf-8")
    (folder / "table2.tsv").write_text(
        "row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
        "function\tref\n" + "".join(
            f"{row}\tHCC\tmiRNAs\tmiR-21\tSerum (n = 12)\tUp\tSBI\tqRT-PCR\t{text}\tLab 1\n"
            for row, text in enumerate(functions, start=1)), encoding="utf-8")
    return create_app({"TESTING": True, "STORE_DIR": str(tmp_path / "store"),
                       "RECORDS_DIRS": [str(folder)], "EXECUTORS": 1})


def test_a_lab_s_long_functions_are_read_in_part_by_the_page_and_its_twin(tmp_path):
    """Thirty findings with a 1 MB function each made a JSON twin of 60 MB (each function
    there twice); the page reads VIEW_CHARS of each and says the whole length."""
    from exokg.display import VIEW_CHARS

    app = _lab_app(tmp_path, [str(n) + "y" * 300_000 for n in range(3)])
    try:
        client = app.test_client()
        twin = client.get("/id/content/mir-21.json")
        assert twin.status_code == 200 and len(twin.data) < 200_000
        functions = [f["function"] for f in twin.get_json()["findings"]
                     if f["function"].startswith(("0y", "1y", "2y"))]
        assert len(functions) == 3
        assert all(len(f) < VIEW_CHARS + 30 and f.endswith("… (300001 characters)")
                   for f in functions)
        page = client.get("/id/content/mir-21").get_data(as_text=True)
        assert page.count("(300,001 characters)") == 3
        # the API's evidence is data, not a page: each function whole
        evidence = client.get("/api/evidence", query_string={"node": "miR-21"}).get_json()
        assert sorted(len(f["function"]) for f in evidence["findings"]
                      if f["function"].startswith(("0y", "1y", "2y"))) == [300_001] * 3
    finally:
        app.extensions["exokg.sparql"].close()


def test_a_page_naming_findings_with_the_longest_cells_stays_within_its_bytes(tmp_path):
    """A user's cells may hold 1 MiB each: four such findings made miR-21's page, HCC's
    and each finding's page megabytes. Pages show the first characters of a long cell and
    say how long it is; the JSON twin holds its first VIEW_CHARS, the RDF all of it."""
    from exokg.display import VIEW_CHARS
    from exokg.tsv import MAX_CELL

    long_text = "growth " * (MAX_CELL // 7 - 1) + "end"
    app = _lab_app(tmp_path, [long_text] * 4)
    client = app.test_client()
    try:
        for path in ("/id/content/mir-21", "/id/disease/hcc", "/id/finding/lab/t2-1"):
            page = client.get(path)
            assert page.status_code == 200
            assert len(page.data) < 500_000, (path, len(page.data))
            assert f"({len(long_text):,} characters)" in page.get_data(as_text=True)
        twin = client.get("/id/finding/lab/t2-1.json").json
        assert twin["findings"][0]["function"] == \
            f"{long_text[:VIEW_CHARS]}… ({len(long_text)} characters)"
        assert long_text in client.get("/id/finding/lab/t2-1.ttl").get_data(as_text=True)
    finally:
        app.extensions["exokg.sparql"].close()


def test_a_cell_s_bidirectional_override_ends_with_the_cell(tmp_path):
    """A function cell with U+202E left open turned the rest of its line around on the
    page ("Table 1, row 1" showed as "1 wor ,1 elbaT"): such a text is shown isolated
    (First Strong Isolate ... Pop Directional Isolate); a text without one is as written,
    and the JSON twin holds the cell as written."""
    app = _lab_app(tmp_path, ["growth \u202eRTL"])
    client = app.test_client()
    try:
        page = client.get("/id/finding/lab/t2-1").get_data(as_text=True)
        assert "\u2068growth \u202eRTL\u2069" in page
        assert page.count("\u202e") == page.count("\u2068growth \u202e")  # each isolated
        assert "\u2068Serum" not in page and "\u2068miR-21" not in page
        twin = client.get("/id/finding/lab/t2-1.json").json
        assert "growth \u202eRTL" in json.dumps(twin, ensure_ascii=False)
        assert "\u2068" not in json.dumps(twin, ensure_ascii=False)
    finally:
        app.extensions["exokg.sparql"].close()
