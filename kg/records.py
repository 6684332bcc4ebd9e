"""Read and check the review's tables as records: one TSV file per table.

A records folder holds ``table1.tsv`` ... ``table5.tsv`` (any subset). Each file
has the columns of its table in the review, the cells as printed; ``row`` is the
row's number within its table and ``disease``/``kind`` carry the table's section
headings (HCC/HB; Proteins/mRNAs/miRNAs/lncRNAs/circRNAs). Merged cells of the
printed table (miR-21's four rows) are repeated on every row they span.

The files are read by :func:`exokg.tsv.read_tsv` (UTF-8, header and cell rules, each
fault a :class:`~exokg.errors.RecordError` with file, line and column). On top of it,
this module checks what the review's tables mean: the columns of each table, a row
number used once per file, and the sample size ``(n = N)``: a whole number from 1 to
:data:`MAX_SAMPLE_SIZE`, or ``?`` where the study does not say. A file with a header
and no rows adds nothing (a warning is logged); a folder whose tables have no rows at
all is refused, naming the first such file.

>>> records = read_records()
>>> len(records)
66
>>> records[7].cells["exosomal_content"], records[7].cells["sample"]
('miR-21', 'Serum (n = 79)')
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from exokg.errors import RecordError
from exokg.resources import data_path
from exokg.review import CONTENT_HEADINGS
from exokg.tsv import Column, read_tsv

__all__ = ["RECORDS", "REVIEW", "Column", "MAX_ROW", "MAX_SAMPLE_SIZE", "Record", "TABLE_COLUMNS",
           "bundled_records_dir", "parse_sample_size", "printed_by", "read_records",
           "read_table"]

logger = logging.getLogger(__name__)

#: The largest sample size ``(n = N)`` accepted. The largest cohorts in medicine (national
#: biobanks) hold about half a million people and the review's largest n is 720, so a
#: larger n is a typo (an extra digit, a pasted number). The bound also keeps every n
#: exact in each client: 32-bit integers, JSON numbers read as doubles.
MAX_SAMPLE_SIZE = 10_000_000

#: The largest row number a table's ``row`` column takes (:data:`_ROW`'s pattern).
MAX_ROW = 999_999_999

_SIZE = re.compile(r"^(?P<text>.*?)\s*\(\s*[nN]\s*=\s*(?P<n>[^()]*?)\s*\)$")
#: A sample size anywhere in a cell (one not at its end, or a second one).
_ANY_SIZE = re.compile(r"\(\s*[nN]\s*=[^()]*\)")
#: Who printed the cell, in a note where n is absent: the review's own tables, or a
#: user's records (whose note said "the review" too).
REVIEW, RECORDS = "The review prints", "The records print"


def parse_sample_size(cell: str, printed: str = REVIEW) -> tuple[str, int | None, str | None]:
    """Split ``"Serum (n = 93)"`` into its text, n, and a note where n is absent (who
    ``printed`` it: :data:`REVIEW` or :data:`RECORDS`).

    >>> parse_sample_size("Serum (n = 93)")
    ('Serum', 93, None)
    >>> parse_sample_size("Serum (n = ?)")
    ('Serum', None, 'The review prints n = ?')
    >>> parse_sample_size("Serum and ascitic fluid", RECORDS)
    ('Serum and ascitic fluid', None, 'The records print no sample size')
    >>> parse_sample_size("Serum (n = twelve)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the sample size 'twelve' is not a whole number: ...
    >>> parse_sample_size("Serum (n = 12), plasma (n = 13)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the sample gives 2 sizes, (n = 12) and (n = 13): ...

    Raises
    ------
    ValueError
        for an n that is not a whole number from 1 to :data:`MAX_SAMPLE_SIZE`, and for a
        size that is not at the cell's end or is one of several (it was read as part of
        the sample's name, and the row counted as having no size, or the last one's).
    """
    sizes = _ANY_SIZE.findall(cell)
    if len(sizes) > 1:
        raise ValueError(f"the sample gives {len(sizes)} sizes, {', '.join(sizes[:-1])} and "
                         f"{sizes[-1]}: write one row per sample, or their total as one "
                         "(n = N)")
    match = _SIZE.match(cell)
    if not match:
        if sizes:
            raise ValueError(f"the sample size {sizes[0]} is not at the cell's end: write "
                             "it last, as in Serum (n = 12)")
        return cell, None, f"{printed} no sample size"
    n = match["n"]
    if n == "?":
        return match["text"], None, f"{printed} n = ?"
    if re.fullmatch(r"[-\u2212]\s*[0-9]+", n):
        raise ValueError(f"the sample size {n} is negative: n counts samples, from 1")
    if not re.fullmatch(r"[0-9]+", n):
        raise ValueError(f"the sample size {n!r} is not a whole number: write n = 12, "
                         "or n = ? where the study gives none")
    # the digits past leading zeros (n = 000000000012 is 12), measured before int() reads
    # them (it refuses more than 4,300 digits)
    digits = n.lstrip("0")
    if not digits:
        raise ValueError("a sample size of 0 counts no sample: n is from 1 (write n = ? "
                         "where the study gives none)")
    if len(digits) > len(str(MAX_SAMPLE_SIZE)) or int(digits) > MAX_SAMPLE_SIZE:
        raise ValueError(f"the sample size {n} is more than {MAX_SAMPLE_SIZE:,}: no study is "
                         "that large, so it is likely a typo")
    return match["text"], int(digits), None


def _sample_problem(cell: str) -> str | None:
    try:
        text, _, _ = parse_sample_size(cell)
    except ValueError as err:
        return str(err)
    return None if text else f"{cell!r} names no sample before its sample size"


def _clinical_problem(cell: str) -> str | None:
    try:
        parse_sample_size(cell)
    except ValueError as err:
        return str(err)
    return None


_ROW = Column("row", pattern=r"[1-9][0-9]{0,8}", form="a whole number from 1 to 999999999")
_DISEASE = Column("disease")
_KIND = Column("kind", choices=tuple(CONTENT_HEADINGS))
_EXPRESSION = Column("expression", choices=("Up", "Down"))
_YES_NO = ("Y", "N")
_REF = Column("ref")
_SAMPLE = Column("sample", check=_sample_problem)
# a size goes with Y alone: "N (n = 12)" read as no clinical sample beside its n
_CLINICAL = Column("clinical_sample", pattern=r"Y( \(n = [^()]*\))?|N", check=_clinical_problem,
                   form="Y or N, a sample size only with Y: 'Y (n = 12)', 'Y (n = ?)'")

#: The columns of each table, in the review's order.
TABLE_COLUMNS: dict[int, tuple[Column, ...]] = {
    1: (_ROW, _DISEASE, _KIND, Column("exosomal_content"), _SAMPLE, _EXPRESSION,
        Column("isolation"), Column("detection"), Column("function"), _REF,
        Column("direction", required=False, choices=("Potential targets",))),
    2: (_ROW, _DISEASE, _KIND, Column("exosomal_content"), _SAMPLE, _EXPRESSION,
        Column("isolation"), Column("detection"), Column("function"), _REF),
    3: (_ROW, _DISEASE, _KIND, Column("exosomal_content"), _SAMPLE, _EXPRESSION,
        Column("content_identification"), Column("animal_model", choices=_YES_NO),
        Column("function"), _REF),
    4: (_ROW, Column("drugs"), Column("source_of_exosomes"),
        Column("animal_model", choices=_YES_NO),
        _CLINICAL, Column("functions"),
        _REF),
    5: (_ROW, Column("cargos"), Column("source_of_exosomes"),
        Column("animal_model", choices=_YES_NO),
        _CLINICAL, Column("functions"),
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


def printed_by(record: Record) -> str:
    """Who printed a record's cells: :data:`REVIEW` for the review's own tables, else
    :data:`RECORDS` (a user's).

    >>> printed_by(read_records()[0]) == REVIEW
    True
    """
    return REVIEW if Path(record.file).resolve().is_relative_to(
        bundled_records_dir().resolve()) else RECORDS


def read_table(path: Path, table: int) -> list[Record]:
    """Read one table file, checking every header and cell.

    Raises
    ------
    RecordError
        naming the file, the line (``row``) and the column of the first problem.
    """
    name = str(path)
    records: list[Record] = []
    seen: dict[int, int] = {}
    for line_no, cells in read_tsv(path, TABLE_COLUMNS[table], what=f"table {table}"):
        row = int(cells["row"])
        if row in seen:
            raise RecordError(f"row number {row} is used already on line {seen[row]}",
                              file=name, row=line_no, column="row")
        seen[row] = line_no
        records.append(Record(table, row, cells, name, line_no))
    return records


def _table_files(folder: Path) -> list[tuple[Path, int]]:
    """The table files of a records folder, refusing any other ``.tsv`` file."""
    if not folder.exists():
        raise RecordError("no such folder of records", file=str(folder))
    if not folder.is_dir():
        raise RecordError("a file, not a folder: give the folder that holds table1.tsv ... "
                          "table5.tsv", file=str(folder))
    try:  # hidden files (macOS's ._table1.tsv, editors' backups) are no one's tables
        names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as err:
        raise RecordError(f"cannot read the folder: {err.strerror or err}",
                          file=str(folder)) from None
    files = []
    for path in (folder / name for name in names):
        if path.name == "entities.tsv" or path.suffix.lower() != ".tsv":
            continue
        match = _FILE_NAME.fullmatch(path.name)
        if not match or int(match.group(1)) not in TABLE_COLUMNS:
            raise RecordError("a records file is named table1.tsv ... table5.tsv "
                              "(or entities.tsv for new entities)", file=str(path))
        files.append((path, int(match.group(1))))
    if not files:
        others = [name for name in names if name != "entities.tsv"]
        listing = f" (it holds {', '.join(others[:5])}{' ...' if len(others) > 5 else ''})" \
            if others else ""
        raise RecordError(f"no records: the folder holds no table1.tsv ... table5.tsv{listing}",
                          file=str(folder))
    return files


def read_records(directory: Path | str | None = None) -> list[Record]:
    """Read every ``tableN.tsv`` of a records folder (default: the review's own).

    Raises
    ------
    RecordError
        for a missing folder, a file name that names no table of the review, a folder
        whose tables hold no rows, or a bad file, header, row or cell.
    """
    folder = Path(directory) if directory is not None else bundled_records_dir()
    records: list[Record] = []
    empty: list[Path] = []
    for path, table in _table_files(folder):
        found = read_table(path, table)
        if not found:
            empty.append(path)
        records.extend(found)
    if not records:
        raise RecordError("the file has a header and no rows; add the findings below the "
                          "header", file=str(empty[0]), row=2)
    for path in empty:
        logger.warning("%s has a header and no rows: it adds nothing", path)
    logger.info("read %d records from %s", len(records), folder)
    return sorted(records, key=lambda r: (r.table, r.row))
