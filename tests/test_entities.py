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


# --- a user's entities.tsv adds new things only; the review's findings never change ----

T2 = ("row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
      "function\tref\n")
MIR21_ROW = "1\tHCC\tmiRNAs\tmiR-21\tSerum (n = 12)\tUp\tSBI\tqRT-PCR\tHigher\tLab 1\n"
E_HEADER = "id\tclass\tlabel\tprinted_as\talt_labels\tcomment\n"
LAB_REF = "ref/lab-1\tReference\tOur study\tLab 1\t\t\n"


def user_folder(root, entities_text, table_text=T2 + MIR21_ROW, name="lab"):
    folder = root / name
    folder.mkdir()
    (folder / "table2.tsv").write_text(table_text, encoding="utf-8")
    (folder / "entities.tsv").write_text(entities_text, encoding="utf-8")
    return folder


def review_findings_triples(graph):
    from exokg.vocab import EXO, RDF

    review = "https://w3id.org/exokg/id/finding/t"
    findings = {s for s in graph.subjects(RDF.type, EXO.Finding) if str(s).startswith(review)}
    assert len(findings) == 66
    return {t for t in graph if t[0] in findings}


@pytest.mark.parametrize(("row", "text", "owner"), [
    ("content/mir-21-lab\tMicroRNA\tmiR-21 (ours)\tmiR-21\t\t\n", "miR-21", "content/mir-21"),
    ("content/x\tMicroRNA\tx\tmiR-99a | miR-21\t\t\n", "miR-21", "content/mir-21"),
    ("sampletype/our-serum\tSampleType\tOur serum\tSerum\t\t\n", "Serum", "sampletype/serum"),
    ("ref/ours\tReference\tOurs\t[14]\t\t\n", "[14]", "ref/14"),
], ids=["content", "second-name", "sample", "reference"])
def test_a_users_name_of_a_review_entity_is_refused_with_its_place(tmp_path, row, text, owner):
    from exokg.build import build_graph

    folder = user_folder(tmp_path, E_HEADER + LAB_REF + row)
    with pytest.raises(RecordError) as info:
        build_graph([folder])
    err = info.value
    assert (err.file, err.row, err.column) == (str(folder / "entities.tsv"), 3, "printed_as")
    assert f"{text!r} already names {owner} in the review's entity table" in str(err)


def test_the_review_findings_never_change_because_of_a_users_files(tmp_path, graph):
    from exokg.build import build_graph
    from exokg.vocab import EXO, EXOID

    hostile = user_folder(tmp_path, E_HEADER + LAB_REF
                          + "content/mir-21-lab\tMicroRNA\tmiR-21 (ours)\tmiR-21\t\t\n",
                          name="hostile")
    with pytest.raises(RecordError):
        build_graph([hostile])
    # a user's record printing miR-21 joins the review's node; the review's findings stay
    folder = user_folder(tmp_path, E_HEADER + LAB_REF
                         + "content/mir-99a\tMicroRNA\tmiR-99a\tmiR-99a\t\t\n",
                         table_text=T2 + MIR21_ROW
                         + MIR21_ROW.replace("1\t", "2\t", 1).replace("miR-21", "miR-99a"))
    mine = build_graph([folder])
    assert review_findings_triples(mine) == review_findings_triples(graph)
    assert set(mine.objects(EXOID["finding/lab/t2-1"], EXO.content)) == {EXOID["content/mir-21"]}
    mir21 = [r for r in read_records() if r.cells.get("exosomal_content") == "miR-21"]
    assert len(mir21) == 5
    for record in mir21:  # each of the review's miR-21 findings has the one content
        node = EXOID[f"finding/t{record.table}-{record.row}"]
        assert set(mine.objects(node, EXO.content)) == {EXOID["content/mir-21"]}


@pytest.mark.parametrize(("row", "text", "column", "owner"), [
    # a label: evidence, neighbors and path for miR-21 answered for this entity, silently
    ("content/aaa-spoof\tMicroRNA\tmiR-21\tspoof21\t\t\n", "miR-21", "label",
     "content/mir-21 (the review's entity table)"),
    ("content/aaa-spoof\tMicroRNA\tMIR-21\tspoof21\t\t\n", "MIR-21", "label",
     "content/mir-21 (the review's entity table)"),
    # named alike as a search and a look-up by name compare: each took over miR-21's
    # look-ups (node=MIR21 answered for this entity), and search showed two miR-21s
    *((f"content/aaa-spoof\tMicroRNA\t{name}\tspoof21\t\t\n", name, "label",
       "content/mir-21 (the review's entity table)")
      for name in ("MIR21", "\uff4d\uff49\uff32\uff0d\uff12\uff11", "miR\u201021",
                   "microRNA-21")),
    # a molecule comes before a disease: this one took over HCC
    ("content/x\tMicroRNA\tx\tx\thcc\t\n", "hcc", "alt_labels",
     "disease/hcc (the review's entity table)"),
    ("content/x\tMicroRNA\tx\tx\t\t\ncontent/y\tMicroRNA\ty\ty\tX\t\n", "X",
     "alt_labels", "content/x (row 3)"),
], ids=["review-label", "case", "hgnc-symbol", "full-width", "unicode-hyphen", "microrna",
        "alt-label-of-another-kind", "same-file"])
def test_a_users_label_that_names_another_entity_is_refused(tmp_path, row, text, column,
                                                            owner):
    from exokg.build import build_graph

    folder = user_folder(tmp_path, E_HEADER + LAB_REF + row)
    with pytest.raises(RecordError) as info:
        build_graph([folder])
    err = info.value
    assert (err.file, err.column) == (str(folder / "entities.tsv"), column)
    assert f"{text!r} is already a name of {owner}; a name looks up one node" in str(err)


@pytest.mark.parametrize(("row", "text", "column", "curie", "owner"), [
    # a disease's identifier as a protein's alternative label: node=MONDO:0007256 (and
    # DOID:684) answered for the protein, since a molecule comes before a disease
    ("content/hj\tProtein\tHJ1\tHJ1\tMONDO:0007256\t\n", "MONDO:0007256", "alt_labels",
     "MONDO:0007256", "disease/hcc"),
    ("content/hj\tProtein\tHJ1\tHJ1\tdoid:684\t\n", "doid:684", "alt_labels", "DOID:684",
     "disease/hcc"),
    # miR-21's HGNC identifier: node=hgnc:31586 became a 400 ("names 2 nodes")
    ("content/hj\tProtein\thgnc:31586\tHJ1\t\t\n", "hgnc:31586", "label", "hgnc:31586",
     "content/mir-21"),
    # its bare accessions: `exokg evidence ENSG00000284190` answered for the new entity
    ("content/hj\tProtein\tHJ1\tHJ1\tENSG00000284190\t\n", "ENSG00000284190", "alt_labels",
     "ensembl:ENSG00000284190", "content/mir-21"),
    ("content/hj\tProtein\tMI0000077\tHJ1\t\t\n", "MI0000077", "label", "mirbase:MI0000077",
     "content/mir-21"),
], ids=["mondo", "doid-lower-case", "hgnc-as-label", "bare-ensembl", "bare-mirbase"])
def test_a_users_name_that_is_another_entity_s_identifier_is_refused(tmp_path, row, text,
                                                                     column, curie, owner):
    from exokg.build import build_graph

    folder = user_folder(tmp_path, E_HEADER + LAB_REF + row)
    with pytest.raises(RecordError) as info:
        build_graph([folder])
    err = info.value
    # row 2 is the lab's reference (LAB_REF)
    assert (err.file, err.row, err.column) == (str(folder / "entities.tsv"), 3, column)
    assert f"{text!r} is the identifier {curie} of {owner} (the bundled links)" in str(err)


def test_two_users_files_may_not_give_one_name_two_meanings(tmp_path):
    from exokg.build import build_graph

    mine = user_folder(tmp_path, E_HEADER + LAB_REF, name="mine")
    theirs = user_folder(tmp_path, E_HEADER + "ref/lab-2\tReference\tTheirs\tLab 1\t\t\n",
                         name="theirs")
    with pytest.raises(RecordError) as info:
        build_graph([mine, theirs])
    assert (info.value.file, info.value.row, info.value.column) == (
        str(theirs / "entities.tsv"), 2, "printed_as")
    assert f"'Lab 1' already names ref/lab-1 in {mine / 'entities.tsv'}, row 2" in str(info.value)


def test_one_file_may_split_one_cell_into_two_new_entities(tmp_path):
    from exokg.build import build_graph
    from exokg.vocab import EXO, EXOID

    folder = user_folder(tmp_path, E_HEADER + LAB_REF
                         + "content/mir-99a\tMicroRNA\tmiR-99a\tmiR-99a/b\t\t\n"
                         + "content/mir-99b\tMicroRNA\tmiR-99b\tmiR-99a/b\t\t\n",
                         table_text=T2 + MIR21_ROW.replace("miR-21", "miR-99a/b"))
    graph = build_graph([folder])
    assert set(graph.objects(EXOID["finding/lab/t2-1"], EXO.content)) == {
        EXOID["content/mir-99a"], EXOID["content/mir-99b"]}


def test_a_users_reference_is_not_said_to_be_cited_by_the_review(tmp_path):
    from exokg.build import REVIEW, build_graph
    from exokg.vocab import DCTERMS, EXO, EXOID

    folder = user_folder(tmp_path, E_HEADER + "ref/7\tReference\tOur study\tLab 1\t\t\n")
    graph = build_graph([folder])
    assert (EXOID["ref/7"], DCTERMS.isReferencedBy, REVIEW) not in graph
    assert graph.value(EXOID["ref/7"], EXO.refNumber) is None
    assert (EXOID["ref/14"], DCTERMS.isReferencedBy, REVIEW) in graph


def test_a_users_missing_sample_size_is_not_said_to_be_the_review_s(tmp_path):
    """The note of a user's row without n named the review as its printer."""
    from exokg.build import build_graph
    from exokg.vocab import EXO, EXOID

    table = T2 + MIR21_ROW.replace("(n = 12)", "(n = ?)") + MIR21_ROW.replace(
        "1\t", "2\t", 1).replace("Serum (n = 12)", "Serum")
    graph = build_graph([user_folder(tmp_path, E_HEADER + LAB_REF, table_text=table)])
    notes = [graph.value(EXOID[f"finding/lab/t2-{row}"], EXO.sampleSizeNote) for row in (1, 2)]
    assert [str(n) for n in notes] == ["The records print n = ?",
                                       "The records print no sample size"]
    # the review's own rows keep theirs
    assert str(graph.value(EXOID["finding/t1-30"], EXO.sampleSizeNote)) == \
        "The review prints n = ?"


@pytest.mark.parametrize(("text", "row", "column", "message"), [
    (E_HEADER + LAB_REF + LAB_REF.replace("Lab 1", "Lab 2"), 3, "id",
     "entity ref/lab-1 is defined twice (also in row 2)"),
    (E_HEADER + "content/mir-21\tMicroRNA\tmiR-21\tmiR-21 (lab)\t\t\n", 2, "id",
     "defined twice (also in the review's entity table)"),
    (E_HEADER.replace("comment", "label"), 1, "label", "column 'label' is in the header twice"),
    ("id\tclass\tlabel\n" + "ref/lab-1\tReference\tOur study\n", 1, "printed_as",
     "missing column(s) printed_as"),
    (E_HEADER + "ref/lab-1\tReference\tOur study\t | \t\t\n", 2, "printed_as",
     "printed_as names no text"),
    (E_HEADER + "ref/lab-1\tPaper\tOur study\tLab 1\t\t\n", 2, "class", "'Paper' is not one of"),
    (E_HEADER + "Ref/Lab 1\tReference\tOur study\tLab 1\t\t\n", 2, "id",
     "an id like 'content/mir-21'"),
    (E_HEADER + "ref/lab-1\tReference\t\tLab 1\t\t\n", 2, "label", "required cell is empty"),
    # ids of what the graph mints itself: an entity there took over the review's row
    (E_HEADER + "finding/t1-1\tMicroRNA\tmiR-X\tmiR-X\t\t\n", 2, "id",
     "an entity of class MicroRNA has an id in content/ (like 'content/t1-1'), "
     "got 'finding/t1-1'"),
    (E_HEADER + "review/wei-2022\tReference\tOur study\tLab 1\t\t\n", 2, "id",
     "an entity of class Reference has an id in ref/"),
    (E_HEADER + "disease/x\tSampleType\tplasma\tplasma (lab)\t\t\n", 2, "id",
     "an entity of class SampleType has an id in sampletype/"),
    # a page's download suffix: /id/content/zz.json was zz's JSON, not this entity
    (E_HEADER + "content/zz.json\tMicroRNA\tmiR-ZZ\tmiR-ZZ\t\t\n", 2, "id",
     "the id 'content/zz.json' ends in .json, which names a download of the entity "
     "'content/zz''s page"),
    (E_HEADER + "content/zz.ttl\tMicroRNA\tmiR-ZZ\tmiR-ZZ\t\t\n", 2, "id", "ends in .ttl"),
], ids=["id-twice-in-file", "review-id", "duplicate-header", "missing-header", "empty-names",
        "class", "id-form", "empty-label", "finding-id", "review-node-id", "other-class-id",
        "json-suffix", "ttl-suffix"])
def test_a_bad_entity_file_is_refused_with_its_place(tmp_path, text, row, column, message):
    folder = user_folder(tmp_path, text)
    with pytest.raises(RecordError) as info:
        load_entities(folder / "entities.tsv")
    err = info.value
    assert (err.file, err.row, err.column) == (str(folder / "entities.tsv"), row, column)
    assert message in str(err)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_an_entity_file_not_in_utf8_is_refused_with_a_hint(tmp_path, encoding):
    folder = user_folder(tmp_path, "")
    path = folder / "entities.tsv"
    path.write_bytes((E_HEADER + LAB_REF.replace("Our", "Öur")).encode(encoding))
    with pytest.raises(RecordError, match="not UTF-8") as info:
        load_entities(path)
    assert info.value.file == str(path)
    assert info.value.row == (2 if encoding == "latin-1" else 1)


def test_a_bad_sample_size_in_a_hand_made_record_is_located(entities):
    cells = {"row": "1", "disease": "HCC", "kind": "miRNAs", "exosomal_content": "miR-21",
             "sample": "Serum (n = twelve)", "expression": "Up", "isolation": "SBI",
             "detection": "qRT-PCR", "function": "x", "ref": "[14]"}
    with pytest.raises(RecordError, match="'twelve' is not a whole number") as info:
        normalize(Record(2, 1, cells, "mine/table2.tsv", 2), entities)
    assert (info.value.row, info.value.column) == (2, "sample")
