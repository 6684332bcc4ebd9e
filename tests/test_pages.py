"""Entity pages read through bounded queries (exokg.pages) and the facets artifact
(exokg.facets): the review's pages as the whole-graph description, paging, byte bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from exokg.build import build_graph
from exokg.describe import describe_node
from exokg.errors import InvalidQuery, NodeNotFound
from exokg.evidence import summarize
from exokg.facets import Facets, build_facets
from exokg.pages import PAGE_SIZE, StoreReader, entity_page
from exokg.store import open_store, prepare_store
from exokg.vocab import EXOID
from rdflib import URIRef

KEYS = ("iri", "label", "types", "alt_labels", "comment", "facts", "incoming", "external",
        "findings", "groups", "evidence")


@pytest.fixture(scope="module")
def review_store(tmp_path_factory) -> tuple[StoreReader, Facets]:
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
