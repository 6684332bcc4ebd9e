"""The review's tables as records: counts, a row of every table field by field, bad records."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from exokg.errors import RecordError
from exokg.records import MAX_SAMPLE_SIZE, parse_sample_size, read_records


@pytest.fixture(scope="module")
def records():
    return read_records()


def by_row(records, table, row):
    (record,) = [r for r in records if r.table == table and r.row == row]
    return record.cells


def test_row_counts_per_table(records):
    counts = {t: sum(r.table == t for r in records) for t in range(1, 6)}
    assert counts == {1: 38, 2: 13, 3: 10, 4: 3, 5: 2}


# One row of every table, each cell as the review prints it (read off the seed text).
SPOT_CHECKS = [
    (1, 1, {"disease": "HCC", "kind": "Proteins", "exosomal_content": "ANGPT2",
            "sample": "Serum (n = 93)", "expression": "Up", "isolation": "SBI",
            "detection": "Immunoblotting and ELISA", "function": "Induces tumor angiogenesis",
            "ref": "[14]", "direction": "Potential targets"}),
    (1, 30, {"disease": "HCC", "kind": "lncRNAs", "exosomal_content": "LINC00161",
             "sample": "Serum (n = ?)", "expression": "Up", "isolation": "-",
             "detection": "qRT-PCR", "function": "Promote HCC tumorigenesis", "ref": "[38]",
             "direction": "Potential targets"}),
    (1, 2, {"isolation": "Total exosome isolation reagent (Thermo Fisher Scientific Co.)",
            "function": "Associated with the Child–Pugh classification, portal vein tumor "
                        "emboli, lymph node metastasis, TNM stage, and OS"}),
    (1, 38, {"disease": "HB", "exosomal_content": "miR-21", "sample": "Serum (n = 64)",
             "function": "Significantly higher in patients with HB", "ref": "[46]"}),
    (2, 6, {"disease": "HCC", "kind": "miRNAs", "exosomal_content": "miR-638",
            "sample": "Serum (n = 147)", "expression": "Down",
            "isolation": "Total Exosome Isolation Kit (Invitrogen)", "detection": "qRT-PCR",
            "function": "Influence liver carcinogenesis", "ref": "[50]"}),
    (2, 3, {"exosomal_content": "miRNA-1298",
            "isolation": "exoRNeasy Serum/Plasma MidiKit (Qiagen)"}),
    (3, 2, {"disease": "HCC", "kind": "miRNAs", "exosomal_content": "miR-125a/b",
            "sample": "TAMs-exosomes Tissue (n = 6)", "expression": "Down",
            "content_identification": "qRT-PCR", "animal_model": "N",
            "function": "A possible therapeutic target in HCC", "ref": "[58]"}),
    (4, 3, {"drugs": "miR-214", "source_of_exosomes": "hCEC-exosomes", "animal_model": "N",
            "clinical_sample": "Y (n = 6)",
            "functions": "Enhances the anti-tumor efficacy of oxaliplatin and sorafenib on "
                         "HCC cells", "ref": "[69]"}),
    (5, 1, {"cargos": "Exosomes plus microwave ablation", "source_of_exosomes": "DCs-exosomes",
            "animal_model": "Y", "clinical_sample": "N",
            "functions": "Inhibit tumor growth and improve the immune microenvironment",
            "ref": "[70]"}),
]


@pytest.mark.parametrize(("table", "row", "expected"), SPOT_CHECKS,
                         ids=[f"t{t}-r{r}" for t, r, _ in SPOT_CHECKS])
def test_spot_check_against_the_review(records, table, row, expected):
    cells = by_row(records, table, row)
    for column, value in expected.items():
        assert cells[column] == value, column


def write_table(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


T4_HEADER = "row\tdrugs\tsource_of_exosomes\tanimal_model\tclinical_sample\tfunctions\tref\n"


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    (T4_HEADER.replace("ref\n", "ref\tcolour\n")
     + "1\tSorafenib\tBMSCs-exosomes\tY\tN\tx\t[67]\tred\n",
     1, "colour", "unknown column"),
    (T4_HEADER + "1\tNorcantharidin\tBMSCs-exosomes\tmaybe\tN\tx\t[67]\n",
     2, "animal_model", "not one of"),
    (T4_HEADER + "one\tNorcantharidin\tBMSCs-exosomes\tY\tN\tx\t[67]\n",
     2, "row", "expected form"),
    (T4_HEADER + "1\tNorcantharidin\tBMSCs-exosomes\tY\tN\t\t[67]\n",
     2, "functions", "required cell is empty"),
    # no clinical sample, and its size: read as "no clinical sample" beside "n = 12"
    (T4_HEADER + "1\tNorcantharidin\tBMSCs-exosomes\tY\tN (n = 12)\tx\t[67]\n",
     2, "clinical_sample", "a sample size only with Y"),
    (T4_HEADER + "1\tNorcantharidin\tBMSCs-exosomes\tY\tN\tx\t[67]\n"
                 "1\tNorcantharidin\tBMSCs-exosomes\tY\tN\ty\t[67]\n",
     3, "row", "used already"),
    # built, then every page naming it answered 500 (a term over the readers' 16 MiB)
    (T4_HEADER + "1\tNorcantharidin\tBMSCs-exosomes\tY\tN\t" + "x" * (1 << 20) + "y\t[67]\n",
     2, "functions", "the cell holds 1,048,577 characters; at most 1,048,576"),
])
def test_bad_record_names_file_row_and_column(tmp_path, text, line, column, message):
    path = write_table(tmp_path / "mine", "table4.tsv", text)
    with pytest.raises(RecordError) as info:
        read_records(path.parent)
    err = info.value
    assert (err.file, err.row, err.column) == (str(path), line, column)
    assert message in str(err)
    assert str(err).startswith(f"{path}, row {line}, column {column}: ")


def test_unknown_file_name_is_refused(tmp_path):
    path = write_table(tmp_path, "table9.tsv", T4_HEADER)
    with pytest.raises(RecordError, match="table1.tsv ... table5.tsv") as info:
        read_records(tmp_path)
    assert info.value.file == str(path)


@pytest.mark.parametrize("kind", ["device", "pipe", "folder"])
def test_a_records_file_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    """/dev/zero was read for ever (5 GB in 4 s), a named pipe waited for ever (here
    /dev/null, which a check gone wrong reads as empty)."""
    path = tmp_path / "table2.tsv"
    if kind == "device":
        path.symlink_to("/dev/null")
    elif kind == "pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    with pytest.raises(RecordError, match="not a regular file") as info:
        read_records(tmp_path)
    assert info.value.file == str(path)


SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_50150992c712b55a.txt"


@pytest.mark.skipif(not SEED.is_file(), reason="the review's text lies beside the checkout "
                                               "(../shared/seed) only in CI and sessions")
def test_every_printed_cell_stands_in_the_review(records):
    # the text dump wraps cells over lines and breaks words at hyphens: compare on text
    # with white space folded, and with line-end hyphens joined
    raw = SEED.read_text(encoding="utf-8")
    texts = [re.sub(r"\s+", " ", raw), re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", raw))]
    structural = {"row", "disease", "kind", "direction"}
    missing = [(r.table, r.row, column, value) for r in records
               for column, value in r.cells.items()
               if column not in structural and value not in ("", "-", "Y", "N")
               and not any(value in text for text in texts)]
    assert missing == []


# --- what a user's folder may hold: encodings, header, cells, sample sizes, the folder ----

T2_HEADER = ("row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
             "function\tref\n")
T2_ROW = "1\tHCC\tmiRNAs\tmiR-21\tSerum (n = 12)\tUp\tSBI\tqRT-PCR\tCafé au lait\t[14]\n"


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def refusal(folder: Path) -> RecordError:
    with pytest.raises(RecordError) as info:
        read_records(folder)
    return info.value


@pytest.mark.parametrize(("data", "line", "column", "hint"), [
    ((T2_HEADER + T2_ROW).encode("latin-1"), 2, "function",
     "byte 0xE9 is 'é' in Latin-1 or Windows-1252"),
    ((T2_HEADER + T2_ROW).encode("cp1252"), 2, "function", "Latin-1 or Windows-1252"),
    ((T2_HEADER + T2_ROW).encode("utf-16"), 1, None,
     "looks like UTF-16, as Excel's 'Unicode text' saves"),
    ((T2_HEADER + T2_ROW).encode("utf-16-be"), 1, None, "looks like UTF-16"),
    (bytes(range(256)) * 8, 1, None, "not a text file"),
    (b"PK\x03\x04" + bytes(100), 1, None, "workbook"),
], ids=["latin-1", "windows-1252", "utf-16-bom", "utf-16-no-bom", "binary", "xlsx"])
def test_a_file_not_in_utf8_is_refused_with_its_line_and_a_hint(tmp_path, data, line, column,
                                                                  hint):
    path = write_bytes(tmp_path / "mine", "table2.tsv", data)
    err = refusal(path.parent)
    assert (err.file, err.row, err.column) == (str(path), line, column)
    assert hint in str(err)


def test_a_utf8_byte_order_mark_and_any_line_ending_read_alike(tmp_path):
    text = T2_HEADER + T2_ROW + "\n"
    plain = read_records(write_table(tmp_path / "plain", "table2.tsv", text).parent)
    assert plain[0].cells["function"] == "Café au lait"
    variants = {"bom": "\ufeff" + text, "crlf": text.replace("\n", "\r\n"),
                "cr": text.replace("\n", "\r")}
    for name, variant in variants.items():
        folder = write_bytes(tmp_path / name, "table2.tsv", variant.encode()).parent
        assert [r.cells for r in read_records(folder)] == [r.cells for r in plain], name


@pytest.mark.parametrize(("header", "row", "column", "message"), [
    (T2_HEADER.replace("ref\n", "ref\tfunction\n"), T2_ROW.replace("\n", "\tx\n"), "function",
     "column 'function' is in the header twice (columns 9 and 11)"),
    (T2_HEADER.replace("\tref", "\t\tref"), T2_ROW.replace("\t[14]", "\t\t[14]"), "10",
     "names no column"),
    (T2_HEADER.replace("function", "fuction"), T2_ROW, "fuction",
     "unknown column 'fuction'; did you mean 'function'?"),
    (T2_HEADER.replace("\tref", ""), T2_ROW.replace("\t[14]", ""), "ref",
     "missing column(s) ref"),
    ("\n" + T2_HEADER, T2_ROW, None, "the first line is blank"),
], ids=["duplicate", "empty-name", "unknown", "missing", "blank-first-line"])
def test_a_header_fault_is_refused_naming_the_column(tmp_path, header, row, column, message):
    path = write_table(tmp_path / "mine", "table2.tsv", header + row)
    err = refusal(path.parent)
    assert (err.file, err.row, err.column) == (str(path), 1, column)
    assert message in str(err)


def test_empty_trailing_header_cells_and_cells_are_tolerated(tmp_path):
    # spreadsheets write tabs for the empty columns right of the table
    path = write_table(tmp_path / "mine", "table2.tsv",
                       T2_HEADER.replace("\n", "\t\t\n") + T2_ROW.replace("\n", "\t \t\n"))
    (record,) = read_records(path.parent)
    assert record.cells["ref"] == "[14]"
    assert list(record.cells) == T2_HEADER.split()


def test_a_row_may_leave_out_only_optional_cells_at_its_end(tmp_path):
    header = T2_HEADER.replace("ref\n", "ref\tdirection\n")
    folder = write_table(tmp_path / "mine", "table1.tsv", header + T2_ROW).parent
    (record,) = read_records(folder)
    assert record.cells["direction"] == ""
    write_table(folder, "table1.tsv", header + "1\tHCC\tmiRNAs\tmiR-21\n")
    err = refusal(folder)
    assert (err.row, err.column) == (2, "sample")
    assert "4 cells where the header has 11: no cell for sample, expression" in str(err)


@pytest.mark.parametrize(("row", "column", "message"), [
    (T2_ROW.replace("\n", "\tstray\n"), None, "11 cells where the header has 10"),
    (T2_ROW.replace("Up", "   "), "expression", "required cell is empty"),
    (T2_ROW.replace("Café", "Ca\x01fé"), "function", "control character U+0001"),
    (T2_ROW.replace("Café", "Caf\x85é"), "function", "control character U+0085"),
    (T2_ROW.replace("1\t", "1000000000\t", 1), "row", "a whole number from 1 to 999999999"),
], ids=["too-many-cells", "whitespace-cell", "c0-control", "c1-control", "huge-row-number"])
def test_a_bad_cell_is_refused_with_its_place(tmp_path, row, column, message):
    path = write_table(tmp_path / "mine", "table2.tsv", T2_HEADER + row)
    err = refusal(path.parent)
    assert (err.file, err.row, err.column) == (str(path), 2, column)
    assert message in str(err)


@pytest.mark.parametrize(("sample", "message"), [
    ("Serum (n = twelve)", "the sample size 'twelve' is not a whole number"),
    ("Serum (n = 12.5)", "the sample size '12.5' is not a whole number"),
    ("Serum (n = 1,200)", "the sample size '1,200' is not a whole number"),
    ("Serum (n = " + "1" + "0" * 29 + ")", "is more than 10,000,000"),
    (f"Serum (n = {MAX_SAMPLE_SIZE + 1})", "is more than 10,000,000"),
    ("Serum (n = -5)", "the sample size -5 is negative"),
    ("Serum (n = 0)", "a sample size of 0 counts no sample"),
    ("Serum (n = " + "0" * 5000 + ")", "a sample size of 0 counts no sample"),
    ("Serum (n = " + "0" * 5000 + "1" + "0" * 7 + "1)", "is more than 10,000,000"),
    ("(n = 12)", "names no sample before its sample size"),
    # read as a sample named "Serum (n = 12)" of 13, or "... extra" with no size
    ("Serum (n = 12) (n = 13)", "the sample gives 2 sizes, (n = 12) and (n = 13)"),
    ("Serum (n = 12), plasma (n = 13)", "write one row per sample, or their total"),
    ("Serum (n = 12) pooled", "the sample size (n = 12) is not at the cell's end"),
])
def test_a_bad_sample_size_says_what_is_wrong_with_it(tmp_path, sample, message):
    path = write_table(tmp_path / "mine", "table2.tsv",
                       T2_HEADER + T2_ROW.replace("Serum (n = 12)", sample))
    err = refusal(path.parent)
    assert (err.file, err.row, err.column) == (str(path), 2, "sample")
    assert message in str(err)
    assert "entities.tsv" not in str(err)  # no advice to add an entity


def test_the_sample_size_bound_itself_is_accepted(tmp_path):
    folder = write_table(tmp_path / "mine", "table2.tsv", T2_HEADER + T2_ROW.replace(
        "n = 12", f"n = {MAX_SAMPLE_SIZE}")).parent
    assert parse_sample_size(read_records(folder)[0].cells["sample"])[1] == MAX_SAMPLE_SIZE


def test_leading_zeros_are_the_number_they_lead():
    """n = 000000000012 was refused as 'more than 10,000,000' (its length was measured)."""
    assert parse_sample_size("Serum (n = 000000000012)")[1] == 12


@pytest.mark.parametrize(("cell", "message"), [
    ("Y (n = twelve)", "the sample size 'twelve' is not a whole number"),
    ("Y (n = 99999999999)", "is more than 10,000,000"),
    ("Y (twelve)", "Y or N, a sample size only with Y"),
])
def test_a_bad_clinical_sample_size_says_what_is_wrong_with_it(tmp_path, cell, message):
    path = write_table(tmp_path / "mine", "table4.tsv",
                       T4_HEADER + f"1\tSorafenib\tBMSCs-exosomes\tY\t{cell}\tx\t[67]\n")
    err = refusal(path.parent)
    assert (err.row, err.column) == (2, "clinical_sample")
    assert message in str(err)


def test_a_table_with_a_header_and_no_rows_is_named(tmp_path, caplog):
    path = write_table(tmp_path / "mine", "table2.tsv", T2_HEADER + "\n\n")
    err = refusal(path.parent)
    assert (err.file, err.row) == (str(path), 2)
    assert "the file has a header and no rows" in str(err)
    # beside a table with rows it adds nothing, and says so
    write_table(path.parent, "table4.tsv",
                T4_HEADER + "1\tSorafenib\tBMSCs-exosomes\tY\tN\tx\t[67]\n")
    assert len(read_records(path.parent)) == 1
    assert f"{path} has a header and no rows" in caplog.text


def test_an_empty_file_is_refused(tmp_path):
    path = write_bytes(tmp_path / "mine", "table2.tsv", b"")
    err = refusal(path.parent)
    assert (err.file, err.row) == (str(path), 1)
    assert "the file is empty" in str(err)


def test_a_folder_that_is_missing_or_a_file_or_holds_no_table_is_named(tmp_path):
    missing = tmp_path / "nowhere"
    assert refusal(missing).file == str(missing)
    assert "no such folder" in str(refusal(missing))
    a_file = write_table(tmp_path, "table2.tsv", T2_HEADER + T2_ROW)
    assert "a file, not a folder" in str(refusal(a_file))
    other = tmp_path / "other"
    write_table(other, "table2.txt", T2_HEADER + T2_ROW)
    err = refusal(other)
    assert err.file == str(other)
    assert "holds no table1.tsv ... table5.tsv (it holds table2.txt)" in str(err)
    (other / "table2.tsv").mkdir()
    assert "not a regular file" in str(refusal(other))


def test_hidden_files_beside_the_tables_are_not_read(tmp_path):
    folder = write_table(tmp_path / "mine", "table2.tsv", T2_HEADER + T2_ROW).parent
    write_bytes(folder, "._table2.tsv", b"\x00\x05\x16\x07Mac OS X")  # macOS AppleDouble
    assert len(read_records(folder)) == 1
