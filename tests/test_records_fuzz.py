"""Fuzzing a user's records folder: any input builds, or is refused with its place.

Whatever a folder holds (any bytes; tables with wrong headers, cells, line endings and
encodings; entity files that reuse the review's names), ``build_graph`` either builds a
good graph (one finding per row read, the review's findings unchanged, serializable)
or raises a :class:`RecordError` that names the file and, for a fault inside a file,
its line. Never another exception. The examples are derandomized and bounded, so the
run is the same each time and takes seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import RUN_DIR
from exokg.build import build_graph, to_sorted_ntriples
from exokg.entities import FIELD_OF_CLASS, load_entities
from exokg.errors import RecordError
from exokg.records import TABLE_COLUMNS, read_records
from exokg.vocab import EXO, RDF
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REVIEW_RECORDS = read_records()
REVIEW_ENTITIES = list(load_entities())
# mostly UTF-8, so that most examples get past the decoding to the header and the cells
ENCODINGS = ["utf-8"] * 8 + ["utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le",
                             "utf-16-be"]
LINE_ENDS = ["\n", "\r\n", "\r"]

# cell text of every kind: printable, with tabs and line breaks, with control characters
_any_text = st.text(max_size=24)
_plain_text = st.text(st.characters(exclude_characters="\t\r\n"), max_size=24)
_printable = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=24)
_cell_text = st.one_of(_printable, _printable, _printable, _any_text)


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """``good`` four times in five: most examples stay near a real file."""
    return st.one_of(good, good, good, good, bad)


def _review_triples():
    return _findings_triples(build_graph())


def _findings_triples(graph):
    """The triples about the review's own findings (``exoid:finding/tN-M``)."""
    prefix = "https://w3id.org/exokg/id/finding/t"
    nodes = {s for s in graph.subjects(RDF.type, EXO.Finding) if str(s).startswith(prefix)}
    return {t for t in graph if t[0] in nodes}


REVIEW_TRIPLES = _review_triples()


def build_or_refusal(folder: Path, files: dict[str, bytes]) -> RecordError | None:
    """Build with ``folder`` holding ``files``; check a good build or a located refusal."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    try:
        graph = build_graph([folder])
    except RecordError as err:
        assert err.file == str(folder) or err.file.startswith(f"{folder}/"), err
        assert str(err).startswith(err.file), err
        name = Path(err.file).name
        if name in files and not err.message.startswith("a records file is named"):
            lines = files[name].count(b"\n") + files[name].count(b"\r") + 1
            assert err.row is not None and 1 <= err.row <= max(lines, 2), err
        event(f"refused: {err.message[:40]}")
        return err
    event("built")
    findings = set(graph.subjects(RDF.type, EXO.Finding))
    assert len(findings) == len(REVIEW_RECORDS) + len(read_records(folder))
    assert _findings_triples(graph) == REVIEW_TRIPLES
    assert to_sorted_ntriples(graph)
    return None


@pytest.fixture(scope="module")
def folder():
    root = Path(tempfile.mkdtemp(prefix="exokg-fuzz-"))
    yield root / "mine"
    shutil.rmtree(root, ignore_errors=True)


@settings(FUZZ, max_examples=150)
@given(name=st.sampled_from(["table1.tsv", "table4.tsv", "entities.tsv"]),
       data=st.binary(max_size=600))
def test_any_bytes_build_or_are_refused_with_their_place(folder, name, data):
    files = {name: data}
    if name == "entities.tsv":  # a table beside it, so the entity file is read
        files["table5.tsv"] = _table_text(5, [REVIEW_RECORDS[-1].cells]).encode()
    build_or_refusal(folder, files)


def _table_text(table: int, rows: list[dict[str, str]], header: list[str] | None = None,
                end: str = "\n") -> str:
    header = header or [c.name for c in TABLE_COLUMNS[table]]
    lines = ["\t".join(header)]
    lines += ["\t".join(row.get(col, "") for col in header) for row in rows]
    return end.join(lines) + end


@st.composite
def tables(draw) -> tuple[str, bytes]:
    """A table file near a real one: the review's rows with headers and cells mutated."""
    table = draw(st.sampled_from(sorted(TABLE_COLUMNS)))
    names = [c.name for c in TABLE_COLUMNS[table]]
    header = draw(st.one_of(
        st.just(names), st.just(names), st.just(names), st.permutations(names),
        st.lists(st.sampled_from([*names, "", "Function", "colour", " row "]) | _plain_text,
                 max_size=len(names) + 2)))
    pool = [r.cells for r in REVIEW_RECORDS if r.table == table]
    rows = []
    for number in range(1, draw(st.integers(0, 3)) + 1):
        base = draw(st.sampled_from(pool))
        cells = []
        for col in header:
            kind = draw(st.sampled_from(["keep"] * 30 + ["other", "text", "empty"]))
            if col == "row" and kind == "keep":
                cells.append(str(number))
            elif kind == "keep":
                cells.append(base.get(col, ""))
            elif kind == "other":  # a value of another column: wrong but plausible
                cells.append(draw(st.sampled_from(sorted({v for r in pool for v in r.values()}))))
            elif kind == "text":
                cells.append(draw(_cell_text))
            else:
                cells.append(draw(st.sampled_from(["", " ", "\u00a0"])))
        stray = draw(st.sampled_from([[]] * 8 + [[""], ["", ""], ["x"], [None]]))
        # stray cells at the end, or the last cell left out
        rows.append(cells[:-1] if stray == [None] else cells + stray)
    end = draw(st.sampled_from(LINE_ENDS))
    text = end.join("\t".join(cells) for cells in [header, *rows]) + draw(
        st.sampled_from(["", end, end * 2]))
    encoding = draw(st.sampled_from(ENCODINGS))
    return f"table{table}.tsv", text.encode(encoding, errors="replace")


@settings(FUZZ, max_examples=80)
@given(table=tables())
def test_any_table_builds_or_is_refused_with_its_place(folder, table):
    name, data = table
    build_or_refusal(folder, {name: data})


_printed = sorted({(e.field, text) for e in REVIEW_ENTITIES for text in e.printed_as})


@st.composite
def entity_files(draw) -> tuple[bytes, bytes]:
    """An entities.tsv of new entities, with at most one fault, and a table using it.

    The faults include the hostile ones: an id or a printed name of the review's own.
    """
    rows = [[f"content/new-{n}", "MicroRNA", f"New {n}", f"New {n}", "", ""]
            for n in range(draw(st.integers(1, 3)))]
    rows[-1][:2] = draw(st.sampled_from([["ref/new-ref", "Reference"], rows[-1][:2]]))
    fault = draw(st.sampled_from([None] * 6 + ["review-id", "review-name", "id", "class",
                                               "label", "name"]))
    row = draw(st.sampled_from(rows))
    if fault == "review-id":
        row[0] = draw(st.sampled_from([e.id for e in REVIEW_ENTITIES]))
    elif fault == "review-name":
        field, text = draw(st.sampled_from(_printed))
        row[1] = next(c for c, f in FIELD_OF_CLASS.items() if f == field)
        row[3] = draw(st.sampled_from([text, f"{row[3]} | {text}"]))
    elif fault is not None:
        row[["id", "class", "label", "name"].index(fault) + (fault == "name")] = draw(_cell_text)
    header = "id\tclass\tlabel\tprinted_as\talt_labels\tcomment"
    text = "\n".join([header, *("\t".join(r) for r in rows)]) + "\n"
    base = dict(next(r for r in REVIEW_RECORDS if r.table == 2).cells)
    names = [r[3] for r in rows if r[1] == "MicroRNA"]
    refs = [r[3] for r in rows if r[1] == "Reference"]
    base.update(row="1", exosomal_content=draw(st.sampled_from([*names, "miR-21"])),
                ref=draw(st.sampled_from([*refs, "[14]"])))
    return text.encode(), _table_text(2, [base]).encode()


@settings(FUZZ, max_examples=40)
@given(files=entity_files())
def test_users_entities_never_change_the_review_findings(folder, files):
    entities, table = files
    build_or_refusal(folder, {"entities.tsv": entities, "table2.tsv": table})


@settings(FUZZ, max_examples=4)
@given(table=tables())
def test_the_cli_builds_or_refuses_in_one_line(folder, table):
    name, data = table
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    result = subprocess.run([sys.executable, "-m", "exokg", "build", "--records", str(folder),
                             "--format", "nt"], capture_output=True, text=True, cwd=RUN_DIR,
                            timeout=120)
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        assert result.stderr.startswith(f"exokg build: error: {folder}")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stdout == ""  # nothing half-written
