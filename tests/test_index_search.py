"""The search index built with the store (exokg.index.search).

On the review's graph the spellings a biologist uses find miR-21 first, and every
identifier the mapping file (data/mappings/exokg.sssom.tsv) confirms for it finds it
as a CURIE and as a bare accession; a small store of our own checks let-7 and the
ranking rules.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest
from exokg.build import build_graph, to_sorted_ntriples
from exokg.errors import ArtifactMissing, InvalidQuery
from exokg.index import BUILDERS, load_adjacency, search
from exokg.index.search import SEARCH_FILE
from exokg.name_keys import name_keys
from exokg.resources import data_path

MIR21 = "https://w3id.org/exokg/id/content/mir-21"
ID = "https://w3id.org/exokg/id/"


def _build(store: ox.Store, folder: Path) -> Path:
    for build in BUILDERS:
        build(store, folder)
    return folder


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    store = ox.Store()
    store.bulk_load(to_sorted_ntriples(build_graph()), format=ox.RdfFormat.N_TRIPLES)
    return _build(store, tmp_path_factory.mktemp("review"))


def _mappings(subject: str) -> list[str]:
    with (data_path() / "mappings" / "exokg.sssom.tsv").open(encoding="utf-8") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")),
                              delimiter="\t")
        return [r["object_id"] for r in rows if r["subject_id"] == subject
                and r["predicate_id"] in ("skos:exactMatch", "skos:closeMatch")]


@pytest.mark.parametrize("q", ["miR-21", "hsa-miR-21-5p", "hsa-miR-21", "MIR21", "miR21",
                               "mir-21", "microRNA-21", "  MIR-21 ", "exoid:content/mir-21"])
def test_mir21_spellings_find_mir21_first(review, q) -> None:
    hits = search(review, q)
    assert hits[0].iri == MIR21
    assert hits[0].kind == "MicroRNA" and hits[0].cls == "exo:MicroRNA"


def test_mir21_identifiers_of_the_mapping_file_find_it(review) -> None:
    curies = _mappings("exoid:content/mir-21")
    assert "hgnc:31586" in curies
    for curie in curies:
        for q in (curie, curie.upper(), curie.split(":", 1)[1]):
            if q.isdigit():
                continue  # a bare number names nothing on its own
            hit = search(review, q)[0]
            assert (hit.iri, hit.field) == (MIR21, "xref"), q


def test_mature_accession_finds_its_mirna(review) -> None:
    """A bare miRBase mature accession (MIMAT...) finds the entity mapped to it."""
    curies = _mappings("exoid:content/mir-10b-5p")
    accession = next(c for c in curies if c.startswith("mirbase.mature:")).split(":")[1]
    assert search(review, accession)[0].iri == ID + "content/mir-10b-5p"


def test_an_arm_of_an_armless_mirna_finds_it(review) -> None:
    """miR-21 has no arm in the review; each arm is mapped as narrower, and finds it."""
    assert "mirbase.mature:MIMAT0000076" not in _mappings("exoid:content/mir-21")  # not exact
    assert search(review, "MIMAT0000076")[0].iri == MIR21
    assert search(review, "mirbase.mature:MIMAT0004494")[0].iri == MIR21
    assert all(h.iri != MIR21 for h in search(review, "MIMAT0000254"))  # miR-10b-5p's


@pytest.mark.parametrize("q", [MIR21, f"<{MIR21}>", f" {MIR21} ",
                               "https://identifiers.org/hgnc:31586",
                               "https://identifiers.org/mirbase.mature:MIMAT0000076"])
def test_a_full_iri_finds_its_entity(review, q) -> None:
    """Its own IRI, or a mapped one's: ``node=`` took them, search found nothing."""
    assert search(review, q)[0].iri == MIR21


def test_an_iri_of_nothing_in_the_graph_finds_nothing(review) -> None:
    assert search(review, ID + "content/no-such-thing") == []


def test_exact_label_outranks_prefixes(review) -> None:
    hits = search(review, "mir-21", limit=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].field == "label" and hits[1].score < hits[0].score
    assert all(h.label.lower().startswith("mir-21") for h in hits[1:])


def test_alias_and_word_matches(review) -> None:
    hit = search(review, "HCC")[0]
    assert (hit.iri, hit.field) == (ID + "disease/hcc", "altLabel")
    words = search(review, "carcinoma")
    assert words[0].iri == ID + "disease/hcc" and words[0].score < hit.score


def test_types_filter(review) -> None:
    assert {h.kind for h in search(review, "mir", types=["Disease"])} <= {"Disease"}
    assert search(review, "hcc", types=["MicroRNA"]) == [] or \
        all(h.kind == "MicroRNA" for h in search(review, "hcc", types=["MicroRNA"]))
    assert {h.kind for h in search(review, "mir", types=["ExosomalContent"], limit=50)} <= \
        {"MicroRNA", "LongNonCodingRNA", "CircularRNA", "MessengerRNA", "Protein"}


def test_every_entity_is_indexed(review) -> None:
    import sqlite3
    con = sqlite3.connect(review / SEARCH_FILE)
    try:
        (count,) = con.execute("SELECT COUNT(*) FROM entity").fetchone()
    finally:
        con.close()
    assert count == load_adjacency(review).n


SMALL = b"""
@prefix exo: <https://w3id.org/exokg/vocab#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix c: <https://w3id.org/exokg/id/content/> .
@prefix ref: <https://w3id.org/exokg/id/ref/> .
@prefix f: <https://w3id.org/exokg/id/finding/> .
c:let-7a a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "let-7a" ;
    skos:altLabel "hsa-let-7a-5p" ; exo:citedIn ref:1, ref:2 .
c:let-7b a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "let-7b" ;
    exo:citedIn ref:1 .
c:mir-7 a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "miR-7" ;
    exo:citedIn ref:1 .
c:mir-70 a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "miR-70" ;
    exo:citedIn ref:1, ref:2, ref:3 .
c:mir-71 a exo:ExosomalContent, exo:MicroRNA ; rdfs:label "miR-71" .
c:gene7 a exo:ExosomalContent, exo:Protein ; rdfs:label "GENE7" ;
    skos:altLabel "MIR7" .
f:1 a exo:Finding ; rdfs:label "let-7 finding" ; exo:content c:let-7a .
ref:1 a exo:Reference ; rdfs:label "Reference [1]" .
ref:2 a exo:Reference ; rdfs:label "Reference [2]" .
ref:3 a exo:Reference ; rdfs:label "Reference [3]" .
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    store = ox.Store()
    store.load(SMALL, format=ox.RdfFormat.TURTLE)
    return _build(store, tmp_path_factory.mktemp("small"))


def test_let7_finds_the_family(small) -> None:
    hits = search(small, "let-7")
    assert [h.label for h in hits[:2]] == ["let-7a", "let-7b"]  # more studies first
    assert all("finding" not in h.iri for h in hits)  # Findings are not entities
    assert search(small, "hsa-let-7a-5p")[0].label == "let-7a"
    assert search(small, "LET7B")[0].label == "let-7b"


def test_ranking_exact_alias_prefix_word(small) -> None:
    hits = search(small, "mir-7")
    assert [h.label for h in hits[:4]] == ["miR-7", "GENE7", "miR-70", "miR-71"]
    assert [h.field for h in hits[:2]] == ["label", "altLabel"]
    # a prefix tie goes to the more prominent entity (miR-70 has three studies)
    assert hits[0].score > hits[1].score > hits[2].score == hits[3].score
    assert hits[2].studies > hits[3].studies


def test_limit_and_bad_input(small, tmp_path) -> None:
    assert len(search(small, "mir", limit=1)) == 1
    with pytest.raises(InvalidQuery, match="q must not be empty"):
        search(small, "   ")
    with pytest.raises(InvalidQuery, match="limit"):
        search(small, "mir", limit=0)
    with pytest.raises(ArtifactMissing, match="no search index"):  # the service's: a 503
        search(tmp_path, "mir")
    assert search(small, "zzz-no-such-thing") == []
    assert search(small, '"*) OR (') == []  # FTS5 syntax in q is text, not a query
    # a text no name is this long: refused, not searched (32,000 words took 18 s at 10^5)
    assert search(small, "mir " * 125)  # 500 characters, once stripped: searched
    with pytest.raises(InvalidQuery, match="q is 501 characters long: a search takes at "
                                           "most 500"):
        search(small, "m" * 501)


@pytest.mark.parametrize(("name", "key"), [
    ("hsa-miR-21-5p", "mir21"), ("MIR21", "mir21"), ("miRNA-96", "mir96"),
    ("mmu-miR-122", "mir122"), ("hsa-let-7a-3p", "let7a"), ("miR-199a-1", "mir199a-1"),
])
def test_mirna_names_share_a_key(name, key) -> None:
    assert key in [k for k, _ in name_keys(name)]


def test_an_index_rebuilt_in_place_is_searched_afresh(tmp_path) -> None:
    """A search keeps its connection to the index open between calls: an index
    rebuilt at the same path (a new file renamed over it) must answer, not the old."""
    store = ox.Store()
    store.load(b'<https://w3id.org/exokg/id/content/a> a <https://w3id.org/exokg/vocab#'
               b'MicroRNA> ; <http://www.w3.org/2000/01/rdf-schema#label> "miR-1" .',
               format=ox.RdfFormat.TURTLE)
    folder = _build(store, tmp_path)
    assert [h.label for h in search(folder, "mir-1")] == ["miR-1"]
    store.update('DELETE DATA { <https://w3id.org/exokg/id/content/a> '
                 '<http://www.w3.org/2000/01/rdf-schema#label> "miR-1" } ; INSERT DATA { '
                 '<https://w3id.org/exokg/id/content/a> '
                 '<http://www.w3.org/2000/01/rdf-schema#label> "miR-2" }')
    _build(store, folder)
    assert [h.label for h in search(folder, "mir-2")] == ["miR-2"]
    assert search(folder, "mir-1") == []
