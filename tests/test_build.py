"""The built graph: findings, shortcut edges, provenance, determinism, user records.

The fidelity tests (every row of the review, as printed) read the graph as built, and
as each store of ``conftest.STORES`` serves it back (its whole-graph N-Triples export
from a real server: the embedded store, and Oxigraph server as the remote store).
"""

from __future__ import annotations

import shutil

import pytest
import requests
from conftest import STORES, server_for
from exokg.build import build_graph, to_sorted_ntriples
from exokg.errors import RecordError
from exokg.records import bundled_records_dir, read_records
from exokg.vocab import DCTERMS, EXO, EXOID, PROV, RDF, RDFS, XSD
from rdflib import Graph, Literal


@pytest.fixture(scope="module", params=["built", *STORES])
def graph(request):
    if request.param == "built":
        return build_graph()
    url = server_for(request, request.param)
    response = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=60)
    assert response.status_code == 200
    return Graph().parse(data=response.content, format="nt")


def finding(table, row):
    return EXOID[f"finding/t{table}-{row}"]


def test_every_record_is_a_finding_with_its_cells_as_printed(graph):
    records = read_records()
    assert len(set(graph.subjects(RDF.type, EXO.Finding))) == len(records) == 66
    for record in records:
        node = finding(record.table, record.row)
        assert graph.value(node, EXO.sourceTable) == Literal(record.table, datatype=XSD.integer)
        assert graph.value(node, EXO.sourceRow) == Literal(record.row, datatype=XSD.integer)
        function = record.cells.get("function") or record.cells["functions"]
        assert graph.value(node, EXO.function) == Literal(function)
        ref = EXOID[f"ref/{record.cells['ref'].strip('[]')}"]
        assert graph.value(node, EXO.citedIn) == ref
        assert graph.value(node, PROV.wasDerivedFrom) == ref
        printed_content = record.cells.get("exosomal_content")
        if printed_content:
            assert graph.value(node, EXO.printedContent) == Literal(printed_content)


def test_mir_21_row_as_the_review_prints_it(graph):
    node = finding(1, 10)  # miR-21, Serum (n = 90), Total Exosome Isolation Reagent (Invitrogen)
    assert set(graph.objects(node, EXO.content)) == {EXOID["content/mir-21"]}
    assert graph.value(node, EXO.disease) == EXOID["disease/hcc"]
    assert graph.value(node, EXO.expression) == EXO.Up
    assert set(graph.objects(node, EXO.sample)) == {EXOID["sampletype/serum"]}
    assert graph.value(node, EXO.sampleSize) == Literal(90, datatype=XSD.integer)
    assert graph.value(node, EXO.isolatedBy) == \
        EXOID["isolationmethod/total-exosome-isolation-reagent"]
    assert set(graph.objects(node, EXO.detectedBy)) == {EXOID["detectionmethod/qrt-pcr"]}
    assert set(graph.objects(node, EXO.role)) == {EXO.Biomarker}
    assert graph.value(node, DCTERMS.source) == EXOID["review/wei-2022"]


def test_shortcut_edges_are_materialized(graph):
    mir638 = EXOID["content/mir-638"]
    hcc = EXOID["disease/hcc"]
    assert (mir638, EXO.upregulatedIn, hcc) in graph
    assert (mir638, EXO.downregulatedIn, hcc) in graph
    assert (mir638, EXO.regulates, hcc) in graph
    assert (mir638, EXO.isolatedBy, EXOID["isolationmethod/ultracentrifugation"]) in graph
    assert set(graph.objects(mir638, EXO.citedIn)) == {EXOID["ref/28"], EXOID["ref/50"]}
    assert set(graph.objects(mir638, EXO.hasRole)) == {
        EXO.Biomarker, EXO.TherapeuticTarget, EXO.Biotherapeutic}
    assert len(set(graph.objects(EXOID["content/mir-21"], EXO.citedIn))) == 5


def test_contents_have_one_kind_and_the_printed_label(graph):
    kinds = {EXO.Protein, EXO.MessengerRNA, EXO.MicroRNA, EXO.LongNonCodingRNA, EXO.CircularRNA}
    for content in graph.subjects(RDF.type, EXO.ExosomalContent):
        assert len(kinds & set(graph.objects(content, RDF.type))) == 1, content
    assert graph.value(EXOID["content/circrna-cdr1as"], RDFS.label) == Literal("circRNA Cdr1as")


def test_tables_4_and_5_have_drugs_and_no_contents(graph):
    for table, row in [(4, 1), (4, 2), (4, 3), (5, 1), (5, 2)]:
        node = finding(table, row)
        assert graph.value(node, EXO.drug) is not None
        assert graph.value(node, EXO.content) is None
        assert graph.value(node, EXO.disease) is None


def test_sample_size_absent_where_the_review_prints_none(graph):
    assert graph.value(finding(1, 30), EXO.sampleSize) is None
    assert graph.value(finding(1, 30), EXO.sampleSizeNote) == Literal("The review prints n = ?")
    assert graph.value(finding(1, 7), EXO.sampleSize) is None


def test_build_is_deterministic():
    assert to_sorted_ntriples(build_graph()) == to_sorted_ntriples(build_graph())


def make_user_records(tmp_path, table_text, entities_text=None):
    folder = tmp_path / "lab-records"
    folder.mkdir()
    (folder / "table2.tsv").write_text(table_text, encoding="utf-8")
    if entities_text:
        (folder / "entities.tsv").write_text(entities_text, encoding="utf-8")
    return folder


T2 = ("row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
      "function\tref\n")
ENTITIES = ("id\tclass\tlabel\tprinted_as\talt_labels\tcomment\n"
            "content/mir-99a\tMicroRNA\tmiR-99a\tmiR-99a\t\t\n"
            "ref/lab-1\tReference\tOur study\tLab 1\t\t\n")


def test_user_records_are_added_beside_the_review(tmp_path):
    folder = make_user_records(
        tmp_path,
        T2 + "1\tHCC\tmiRNAs\tmiR-99a\tSerum (n = 12)\tDown\tSBI\tqRT-PCR\tLower\tLab 1\n",
        ENTITIES)
    graph = build_graph([folder])
    node = EXOID["finding/lab-records/t2-1"]
    assert graph.value(node, EXO.content) == EXOID["content/mir-99a"]
    assert graph.value(node, EXO.citedIn) == EXOID["ref/lab-1"]
    assert (EXOID["content/mir-99a"], EXO.downregulatedIn, EXOID["disease/hcc"]) in graph
    assert len(set(graph.subjects(RDF.type, EXO.Finding))) == 67


def test_unknown_entity_in_user_records_stops_the_build(tmp_path):
    folder = make_user_records(
        tmp_path, T2 + "1\tHCC\tmiRNAs\tmiR-99a\tSerum (n = 12)\tDown\tSBI\tqRT-PCR\tLower\t[14]\n")
    with pytest.raises(RecordError, match="'miR-99a' names no content") as info:
        build_graph([folder])
    assert info.value.file == str(folder / "table2.tsv")
    assert (info.value.row, info.value.column) == (2, "exosomal_content")


def test_a_row_under_another_kind_than_its_molecules_stops_the_build(tmp_path):
    """The kind cell was checked against the headings, then dropped: miR-21 under
    Proteins loaded exactly as under miRNAs."""
    folder = make_user_records(
        tmp_path, T2 + "1\tHCC\tProteins\tmiR-21\tSerum (n = 12)\tDown\tSBI\tqRT-PCR\tLower"
                       "\t[14]\n")
    with pytest.raises(RecordError, match="'miR-21' is a MicroRNA of the entity table "
                                          r"\(content/mir-21\), not one of the Proteins") as info:
        build_graph([folder])
    assert (info.value.file, info.value.row, info.value.column) == \
        (str(folder / "table2.tsv"), 2, "kind")


@pytest.mark.parametrize("link", ["missing", "entities.tsv"])
def test_an_entities_file_that_leads_nowhere_stops_the_build(tmp_path, link):
    """A broken or looping link was passed over, and the error named another file."""
    folder = make_user_records(
        tmp_path, T2 + "1\tHCC\tmiRNAs\tmiR-21\tSerum (n = 12)\tDown\tSBI\tqRT-PCR\tLower"
                       "\t[14]\n")
    (folder / "entities.tsv").symlink_to(link)
    with pytest.raises(RecordError) as info:
        build_graph([folder])
    assert info.value.file == str(folder / "entities.tsv")


def test_bundled_records_can_be_loaded_as_a_users_folder_copy(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundled_records_dir(), copy)
    graph = build_graph([copy], include_bundled=False)
    assert len(set(graph.subjects(RDF.type, EXO.Finding))) == 66
