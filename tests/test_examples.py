"""Every example question of the gallery runs on the real graph and gives the review's answer."""

from __future__ import annotations

import pytest
from exokg.build import build_graph
from exokg.examples import EXAMPLES, get_example


@pytest.fixture(scope="module")
def graph():
    return build_graph()


def _rows(graph, slug):
    return [[None if v is None else v.toPython() for v in row]
            for row in graph.query(get_example(slug).sparql)]


def _local(iri) -> str:
    return str(iri).rsplit("/", 1)[-1]


def test_gallery_has_the_reviews_questions():
    assert len(EXAMPLES) >= 7
    assert len({e.slug for e in EXAMPLES}) == len(EXAMPLES)
    for e in EXAMPLES:
        assert e.sparql.startswith("PREFIX exo: <https://w3id.org/exokg/vocab#>")
        assert e.title and e.question and e.answer


def test_most_studied_molecules(graph):
    rows = _rows(graph, "most-studied-molecules")
    assert rows[0][1:3] == ["miR-21", 5]
    assert {r[1] for r in rows if r[2] == 2} == {"LINC00161", "miR-122", "miR-125b",
                                                 "miR-320a", "miR-638"}


def test_serum_mirnas_ultracentrifugation(graph):
    rows = _rows(graph, "serum-mirnas-ultracentrifugation")
    assert [(r[1], r[2], r[4]) for r in rows] == [("miR-1247-3p", 135, 18), ("miR-21", 95, 24),
                                                  ("miR-638", 54, 28)]


def test_up_and_down(graph):
    rows = _rows(graph, "up-and-down")
    assert {(r[1], r[2], r[4], _local(r[5])) for r in rows} == {
        ("miR-638", "up", 54, "28"), ("miR-638", "down", 147, "50"),
        ("miR-125b", "up", 218, "19"), ("miR-125b", "down", 6, "58")}


def test_findings_per_table(graph):
    assert _rows(graph, "findings-per-table") == [[1, 38], [2, 13], [3, 10], [4, 3], [5, 2]]


def test_the_five_studies_of_mir21(graph):
    rows = _rows(graph, "mir-21-studies")
    assert [(r[0], r[2], r[3]) for r in rows] == [(21, "serum", 79), (22, "plasma", 150),
                                                  (23, "serum", 90), (24, "serum", 95),
                                                  (46, "serum", 64)]


def test_drug_carriers(graph):
    rows = _rows(graph, "drug-carriers")
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("Norcantharidin", 4, 67), ("siGRP78", 4, 68), ("miR-214", 4, 69),
        ("Exosomes plus microwave ablation", 5, 70), ("Exosomes", 5, 71)]
    assert [r[1].split(" (")[0] for r in rows][:3] == [
        "bone marrow mesenchymal stem cells", "bone marrow mesenchymal stem cells",
        "human cerebral endothelial cells"]


def test_isolation_methods_ranked(graph):
    rows = _rows(graph, "isolation-methods")
    assert [_local(r[0]) for r in rows[:3]] == ["exoquick-sbi", "ultracentrifugation",
                                               "exorneasy-midi-kit"]
    counts = [r[2] for r in rows]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == 50  # 66 findings, 16 without an isolation method ("-" or Tables 3-5)


def test_mir21_graph(graph):
    result = graph.query(get_example("mir-21-graph").sparql)
    labels = {str(o) for o in result.graph.objects()}
    assert {"miR-21", "hepatocellular carcinoma", "hepatoblastoma", "qRT-PCR",
            "Ultracentrifugation"} <= labels
