"""Read and check the review's tables as records: one TSV file per table.

A records folder holds ``table1.tsv`` ... ``table5.tsv`` (any subset). Each file
has the columns of its table in the review, the cells as printed; ``row`` is the
row's number within its table and ``disease``/``kind`` carry the table's section
headings (HCC/HB; Proteins/mRNAs/miRNAs/lncRNAs/circRNAs). Merged cells of the
printed table (miR-21's four rows) are repeated on every row they span.

>>> records = read_records()
>>> len(records)
66
>>> records[7].cells["exosomal_content"], records[7].cells["sample"]
('miR-21', 'Serum (n = 79)')
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from exokg.errors import RecordError
from exokg.resources import data_path
from exokg.review import CONTENT_HEADINGS

__all__ = ["Column", "Record", "TABLE_COLUMNS", "bundled_records_dir", "read_records",
           "read_table"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Column:
    """One column of a table file: its name, whether a cell must be filled, its allowed values."""

    name: str
    required: bool = True
    choices: tuple[str, ...] | None = None
    pattern: str | None = None


_ROW = Column("row", pattern=r"[1-9][0-9]*")
_DISEASE = Column("disease")
_KIND = Column("kind", choices=tuple(CONTENT_HEADINGS))
_EXPRESSION = Column("expression", choices=("Up", "Down"))
_YES_NO = ("Y", "N")
_REF = Column("ref")

#: The columns of each table, in the review's order.
TABLE_COLUMNS: dict[int, tuple[Column, ...]] = {
    1: (_ROW, _DISEASE, _KIND, Column("exosomal_content"), Column("sample"), _EXPRESSION,
        Column("isolation"), Column("detection"), Column("function"), _REF,
        Column("direction", required=False, choices=("Potential targets",))),
    2: (_ROW, _DISEASE, _KIND, Column("exosomal_content"), Column("sample"), _EXPRESSION,
        Column("isolation"), Column("detection"), Column("function"), _REF),
    3: (_ROW, _DISEASE, _KIND, Column("exosomal_content"), Column("sample"), _EXPRESSION,
        Column("content_identification"), Column("animal_model", choices=_YES_NO),
        Column("function"), _REF),
    4: (_ROW, Column("drugs"), Column("source_of_exosomes"),
        Column("animal_model", choices=_YES_NO),
        Column("clinical_sample", pattern=r"[YN]( \(n = ([0-9]+|\?)\))?"), Column("functions"),
        _REF),
    5: (_ROW, Column("cargos"), Column("source_of_exosomes"),
        Column("animal_model", choices=_YES_NO),
        Column("clinical_sample", pattern=r"[YN]( \(n = ([0-9]+|\?)\))?"), Column("functions"),
        _REF),
}

_FILE_NAME = re.compile(r"table([0-9]+)\.tsv")


@dataclass(frozen=True)
class Record:
    """One row of one table, its cells exactly as printed, and where it was read."""

    table: int
    row: int
    cells: dict[str, str] = field(hash=False)
    file: str
    line: int


def bundled_records_dir() -> Path:
    """The folder of the review's own records, shipped with the package."""
    return data_path() / "records"


def read_table(path: Path, table: int) -> list[Record]:
    """Read one table file, checking every header and cell.

    Raises
    ------
    RecordError
        naming the file, the line (``row``) and the column of the first problem.
    """
    columns = {c.name: c for c in TABLE_COLUMNS[table]}
    name = str(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        try:
            header = next(reader)
        except StopIteration:
            raise RecordError("the file is empty; it needs a header line", file=name,
                              row=1) from None
        for col in header:
            if col not in columns:
                raise RecordError(f"unknown column {col!r}; table {table} has "
                                  f"{', '.join(columns)}", file=name, row=1, column=col)
        missing = [c for c in columns if c not in header and columns[c].required]
        if missing:
            raise RecordError(f"missing column(s) {', '.join(missing)}", file=name, row=1,
                              column=missing[0])
        records, seen = [], {}
        for line_no, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise RecordError(f"{len(values)} cells where the header has {len(header)}",
                                  file=name, row=line_no)
            cells = {col: value.strip() for col, value in zip(header, values, strict=True)}
            for col, value in cells.items():
                _check_cell(columns[col], value, file=name, line=line_no)
            row = int(cells["row"])
            if row in seen:
                raise RecordError(f"row number {row} is used already on line {seen[row]}",
                                  file=name, row=line_no, column="row")
            seen[row] = line_no
            records.append(Record(table, row, cells, name, line_no))
    return records


def _check_cell(column: Column, value: str, *, file: str, line: int) -> None:
    if not value:
        if column.required:
            raise RecordError("required cell is empty", file=file, row=line, column=column.name)
        return
    if column.choices is not None and value not in column.choices:
        raise RecordError(f"{value!r} is not one of {', '.join(column.choices)}", file=file,
                          row=line, column=column.name)
    if column.pattern is not None and not re.fullmatch(column.pattern, value):
        raise RecordError(f"{value!r} does not have the expected form", file=file, row=line,
                          column=column.name)


def read_records(directory: Path | str | None = None) -> list[Record]:
    """Read every ``tableN.tsv`` of a records folder (default: the review's own).

    Raises
    ------
    RecordError
        for a file name that names no table of the review, or a bad row or cell.
    """
    folder = Path(directory) if directory is not None else bundled_records_dir()
    if not folder.is_dir():
        raise RecordError("not a folder of records", file=str(folder))
    records: list[Record] = []
    tsv_files = sorted(folder.glob("*.tsv"))
    for path in tsv_files:
        if path.name == "entities.tsv":
            continue
        match = _FILE_NAME.fullmatch(path.name)
        if not match or int(match.group(1)) not in TABLE_COLUMNS:
            raise RecordError("a records file is named table1.tsv ... table5.tsv "
                              "(or entities.tsv for new entities)", file=str(path))
        records.extend(read_table(path, int(match.group(1))))
    if not records:
        raise RecordError("no records: the folder holds no table1.tsv ... table5.tsv",
                          file=str(folder))
    logger.info("read %d records from %s", len(records), folder)
    return sorted(records, key=lambda r: (r.table, r.row))
