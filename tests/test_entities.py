"""Normalization: each printed name to its canonical entity (or entities)."""

from __future__ import annotations

import pytest
from exokg.entities import load_entities, normalize
from exokg.errors import RecordError
from exokg.records import Record, read_records


@pytest.fixture(scope="module")
def entities():
    return load_entities()


@pytest.fixture(scope="module")
def findings(entities):
    return {(r.table, r.row): normalize(r, entities) for r in read_records()}


def ids(items):
    return [e.id for e in items]


def test_mir_320a_of_tables_2_and_3_is_one_node(findings):
    assert ids(findings[(2, 4)].contents) == ids(findings[(3, 5)].contents) == ["content/mir-320a"]


def test_mirna_96_is_mir_96(findings, entities):
    (mir96,) = findings[(1, 23)].contents
    assert mir96.id == "content/mir-96"
    assert mir96.label == "miRNA-96"  # the label stays as printed
    assert "miR-96" in mir96.alt_labels


def test_mir23_a_b_names_two_molecules(findings):
    assert ids(findings[(1, 14)].contents) == ["content/mir-23a", "content/mir-23b"]


def test_mir_125a_b_names_two_and_shares_mir_125b_with_table_1(findings):
    assert ids(findings[(3, 2)].contents) == ["content/mir-125a", "content/mir-125b"]
    assert ids(findings[(1, 6)].contents) == ["content/mir-125b"]


def test_ensembl_row_names_three_identifiers(findings):
    assert ids(findings[(1, 32)].contents) == [
        "content/ensg00000248932.1", "content/enst00000440688.1", "content/enst00000457302.2"]


def test_sbi_is_the_exoquick_precipitation_solution(findings):
    isolation = findings[(1, 1)].isolation
    assert isolation.id == "isolationmethod/exoquick-sbi"
    assert "ExoQuick" in isolation.label and "SBI" in isolation.label


def test_two_spellings_of_the_total_exosome_isolation_reagent_are_one_method(findings):
    thermo = findings[(1, 2)].isolation     # "Total exosome isolation reagent (Thermo Fisher ...)"
    invitrogen = findings[(1, 10)].isolation  # "Total Exosome Isolation Reagent (Invitrogen)"
    assert thermo.id == invitrogen.id == "isolationmethod/total-exosome-isolation-reagent"


def test_two_methods_and_two_samples_in_one_cell(findings):
    assert ids(findings[(1, 1)].detections) == ["detectionmethod/elisa",
                                                "detectionmethod/immunoblotting"]
    assert ids(findings[(1, 15)].samples) == ["sampletype/ascitic-fluid", "sampletype/serum"]


def test_missing_n_stays_missing_even_when_a_sibling_row_has_one(findings):
    # miR-182, miR-301a and miR-373 all cite [20]; only the latter two print n = 52
    assert findings[(1, 7)].sample_size is None
    assert findings[(1, 7)].sample_size_note == "The review prints no sample size"
    assert findings[(1, 15)].sample_size == 52
    assert findings[(1, 30)].sample_size is None
    assert findings[(1, 30)].sample_size_note == "The review prints n = ?"
    assert findings[(2, 9)].sample_size is None


def test_absent_isolation_is_absent(findings):
    assert findings[(1, 30)].isolation is None
    assert findings[(1, 30)].printed["isolation"] == "-"


def test_table_3_sample_cell_gives_source_sample_and_n(findings):
    finding = findings[(3, 4)]
    assert finding.source.id == "exosomesource/bel-5fu-cells"
    assert ids(finding.samples) == ["sampletype/tissue"]
    assert finding.sample_size == 72
    assert finding.animal_model is True


def test_table_4_clinical_sample_with_n(findings):
    finding = findings[(4, 3)]
    assert (finding.drug.id, finding.source.id) == ("drug/mir-214", "exosomesource/hcecs")
    assert (finding.clinical_sample, finding.animal_model, finding.sample_size) == (True, False, 6)


def test_roles_follow_table_and_direction(findings):
    assert findings[(1, 1)].roles == ("Biomarker", "TherapeuticTarget")
    assert findings[(1, 2)].roles == ("Biomarker",)
    assert findings[(2, 1)].roles == ("Biotherapeutic",)
    assert findings[(4, 1)].roles == ("DrugCarrier",)
    assert findings[(5, 1)].roles == ("TherapeuticFactor",)


def test_unknown_entity_names_file_row_and_column(entities):
    cells = {"row": "1", "disease": "HCC", "kind": "miRNAs", "exosomal_content": "miR-99999",
             "sample": "Serum (n = 3)", "expression": "Up", "isolation": "SBI",
             "detection": "qRT-PCR", "function": "x", "ref": "[14]"}
    record = Record(2, 1, cells, "mine/table2.tsv", 2)
    with pytest.raises(RecordError, match="'miR-99999' names no content") as info:
        normalize(record, entities)
    assert (info.value.file, info.value.row, info.value.column) == (
        "mine/table2.tsv", 2, "exosomal_content")
