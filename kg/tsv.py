"""Read a user's tab-separated table strictly: every fault is a located :class:`RecordError`.

One reader for every table a user gives (the records ``table1.tsv`` ... and the
``entities.tsv``), so the rules on what a table file may hold live here once:

- **Encoding.** UTF-8, with or without a byte order mark. Anything else is refused
  with the line (and column) of the first byte that is not UTF-8 and a hint at what
  the file is: UTF-16 (Excel's "Unicode text"), Latin-1/Windows-1252 (older Excel and
  Windows editors) or binary. Guessing an encoding could turn ``é`` into ``Ã©`` in the
  graph without a word; a refusal costs the user one "save as".
- **Lines.** ``\\n``, ``\\r\\n`` or ``\\r`` end a line; blank lines are skipped. Cells are
  split on tabs, with no quoting (a ``"`` is an ordinary character), and stripped.
- **Header.** The first line names the columns: each name once, no empty name, none
  unknown, every required one present. Empty names at the end of the header (and
  empty cells under them) are tolerated, as spreadsheets write them.
- **Cells.** No control characters. A row with fewer cells than the header may leave
  out only optional columns at its end (as editors that trim trailing tabs do); a row
  with more cells is refused unless the extra cells are empty. Then each cell is
  checked against its :class:`Column`: required, choices, pattern, check.

>>> table = "id\\tname\\n1\\tmiR-21\\n".encode()
>>> decode_text(table, file="t.tsv").splitlines()
['id\\tname', '1\\tmiR-21']
>>> decode_text("id\\tnamé\\n".encode("latin-1"), file="t.tsv")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
exokg.errors.RecordError: t.tsv, row 1: not UTF-8 (byte 0xE9 is 'é' in Latin-1 ...
"""

from __future__ import annotations

import codecs
import difflib
import logging
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from exokg.errors import RecordError

__all__ = ["Column", "decode_text", "file_problem", "read_tsv"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Column:
    """One column of a table file and what its cells may hold.

    ``required``: the header must name it and each cell must be filled.
    ``choices``/``pattern``: the cell (when filled) is one of these, or matches this
    (``form`` says in words what the pattern wants). ``check`` returns a problem with
    a filled cell, or ``None``.
    """

    name: str
    required: bool = True
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    form: str | None = None
    check: Callable[[str], str | None] | None = None


_LINE_END = re.compile(r"\r\n|\r|\n")
# C0 and C1 control characters but the tab, and the two non-characters XML refuses
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffe\uffff]")
_UTF16_HINT = "looks like UTF-16, as Excel's 'Unicode text' saves"
_SAVE = "save the file as UTF-8"
_WORKBOOKS = {b"PK\x03\x04": "an .xlsx or .ods workbook",
              b"\xd0\xcf\x11\xe0": "an .xls workbook"}
_BINARY_BYTE = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be an input file, or ``None``: every input file (records,
    ``--data``, a query file) must be a regular file. A device such as ``/dev/zero`` or a
    pipe is read for ever (memory, or a hang), and a folder is no file.

    >>> file_problem(Path("/dev/zero")), file_problem(Path("/no/such.tsv"))
    ('not a regular file (a folder, a device or a pipe)', 'not found')
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "not found"
    except OSError as err:
        return f"cannot read the file: {err.strerror or err}"
    return None if stat.S_ISREG(mode) else "not a regular file (a folder, a device or a pipe)"


#: The largest input file a command reads whole into memory (a table of records or of
#: entities, the RDF data ``exokg build`` and ``validate`` read into a graph): about
#: 3.5 million records; a 40 GB file was read until memory ran out (a traceback).
WHOLE_MAX = 1 << 30


def check_whole_size(path: Path, size: int, most: int = WHOLE_MAX) -> None:
    """A :class:`RecordError` naming ``path`` when its ``size`` is past ``most`` bytes (a
    caller that reads it whole asks first, before it hashes or reads a byte)."""
    if size > most:
        raise RecordError(f"the file holds {size:,} bytes: an input read whole into memory "
                          f"holds at most {most:,}", file=str(path))


def read_whole(path: Path, *, most: int = WHOLE_MAX) -> bytes:
    """The bytes of the regular file ``path`` (:func:`file_problem` first), read whole.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".tsv") as f:
    ...     _ = f.write(b"x" * 2000); f.flush()
    ...     read_whole(Path(f.name), most=1000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exokg.errors.RecordError: /tmp/...tsv: the file holds 2,000 bytes: an input read whole \
into memory holds at most 1,000

    Raises
    ------
    RecordError
        naming the file: not a regular file, unreadable, or past ``most`` bytes.
    """
    name = str(path)
    problem = file_problem(path)
    if problem is not None:
        raise RecordError(problem, file=name)
    try:
        with path.open("rb") as file:
            check_whole_size(path, os.fstat(file.fileno()).st_size, most)
            data = file.read(most + 1)
    except OSError as err:
        raise RecordError(f"cannot read the file: {err.strerror or err}", file=name) from None
    if len(data) > most:  # grown since it was measured
        raise RecordError(f"the file holds more than {most:,} bytes: an input read whole "
                          "into memory holds at most that", file=name)
    return data


def decode_text(data: bytes, *, file: str) -> str:
    """The text of a table file's bytes: UTF-8, a leading byte order mark dropped.

    Raises
    ------
    RecordError
        naming the line (and, past the header, the column) of the first byte that
        is not UTF-8 text, with a hint at what the file really is.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RecordError(f"not UTF-8 ({_UTF16_HINT}): {_SAVE}", file=file, row=1)
    for magic, kind in _WORKBOOKS.items():
        if data.startswith(magic):
            raise RecordError(f"not a text file: this is {kind}; save the sheet as "
                              "'Text (Tab delimited)' in UTF-8", file=file, row=1)
    head = data[:4096]
    odd = _BINARY_BYTE.search(data)
    if odd is not None:
        # UTF-16 without a byte order mark has a zero byte beside nearly every ASCII one;
        # a few stray control bytes in text are left to the cell check, which names the cell
        if head.count(b"\0") >= len(head) // 3:
            message = f"not UTF-8 ({_UTF16_HINT}): {_SAVE}"
        elif b"\0" in head or len(_BINARY_BYTE.findall(head)) > len(head) // 20:
            message = "not a text file (a binary file?): save it as UTF-8 text"
        else:
            message = ""
        if message:
            row, column = _where(data, odd.start())
            raise RecordError(message, file=file, row=row, column=column)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        byte = data[err.start]
        guess = bytes([byte]).decode("cp1252", errors="replace")
        hint = (f"byte 0x{byte:02X} is {guess!r} in Latin-1 or Windows-1252, as older "
                "Excel and Windows editors save" if guess.isprintable() and guess != "\ufffd"
                else f"byte 0x{byte:02X} starts no UTF-8 character")
        row, column = _where(data, err.start)
        raise RecordError(f"not UTF-8 ({hint}): {_SAVE}", file=file, row=row,
                          column=column) from None


def _where(data: bytes, offset: int) -> tuple[int, str | None]:
    """The line of a byte offset, and the header's name for its column if it has one."""
    ends = [m.end() for m in re.finditer(rb"\r\n|\r|\n", data[:offset])]
    row = len(ends) + 1
    if row == 1:
        return row, None
    header_end = re.search(rb"\r\n|\r|\n", data)
    header = data[:header_end.start() if header_end else 0].decode("utf-8", errors="replace")
    index = data[ends[-1]:offset].count(b"\t")
    names = header.lstrip("\ufeff").split("\t")
    return row, (names[index].strip() or None) if index < len(names) else None


def read_tsv(path: Path, columns: Sequence[Column], *,
             what: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a table file as ``(line number, {column: stripped cell})``.

    Cells of optional columns the header leaves out are absent from the dict; cells a
    row leaves out at its end are ``""``.

    Parameters
    ----------
    path
        the file.
    columns
        the columns the file may have, in their usual order.
    what
        the kind of table, for messages ("table 4", "an entity table").

    Raises
    ------
    RecordError
        naming the file, the line (``row``) and the column of the first problem.
    """
    name = str(path)
    lines = _LINE_END.split(decode_text(read_whole(path), file=name))
    by_name = {c.name: c for c in columns}
    if not any(line.strip() for line in lines):
        raise RecordError(f"the file is empty; it needs a header line naming the columns "
                          f"({', '.join(by_name)})", file=name, row=1)
    header = _read_header(lines[0], by_name, file=name, what=what)
    rows = []
    for line_no, line in enumerate(lines[1:], start=2):
        values = line.split("\t")
        if not any(v.strip() for v in values):
            continue
        cells = _cells(header, values, by_name, file=name, line=line_no)
        for col, value in cells.items():
            _check_cell(by_name[col], value, file=name, line=line_no)
        rows.append((line_no, cells))
    return rows


def _read_header(line: str, columns: dict[str, Column], *, file: str,
                 what: str) -> list[str]:
    names = [n.strip() for n in line.split("\t")]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise RecordError(f"the first line is blank; it must be the header naming the "
                          f"columns ({', '.join(columns)})", file=file, row=1)
    _check_control(line, file=file, line=1, column=None)
    seen: dict[str, int] = {}
    for number, col in enumerate(names, start=1):
        if not col:
            raise RecordError("this header cell names no column (a tab too many?)", file=file,
                              row=1, column=str(number))
        if col in seen:
            raise RecordError(f"column {col!r} is in the header twice (columns {seen[col]} and "
                              f"{number}); a value of one would be lost", file=file, row=1,
                              column=col)
        seen[col] = number
        if col not in columns:
            close = difflib.get_close_matches(col, list(columns), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise RecordError(f"unknown column {col!r}; {hint}{what} has "
                              f"{', '.join(columns)}", file=file, row=1, column=col)
    missing = [c for c, column in columns.items() if column.required and c not in seen]
    if missing:
        raise RecordError(f"missing column(s) {', '.join(missing)}", file=file, row=1,
                          column=missing[0])
    return names


def _cells(header: list[str], values: list[str], columns: dict[str, Column], *, file: str,
           line: int) -> dict[str, str]:
    if len(values) > len(header):
        if any(v.strip() for v in values[len(header):]):
            raise RecordError(f"{len(values)} cells where the header has {len(header)} "
                              "(a tab inside a cell?)", file=file, row=line)
        values = values[:len(header)]
    elif len(values) < len(header):
        left_out = [c for c in header[len(values):] if columns[c].required]
        if left_out:
            raise RecordError(f"{len(values)} cells where the header has {len(header)}: no "
                              f"cell for {', '.join(left_out)} (a tab too few?)", file=file,
                              row=line, column=left_out[0])
        values = values + [""] * (len(header) - len(values))
    cells = {}
    for col, value in zip(header, values, strict=True):
        _check_control(value, file=file, line=line, column=col)
        cells[col] = value.strip()
    return cells


def _check_control(text: str, *, file: str, line: int, column: str | None) -> None:
    found = _CONTROL.search(text)
    if found:
        raise RecordError(f"the control character U+{ord(found.group()):04X} is not text; "
                          "a table cell holds printable text only", file=file, row=line,
                          column=column)


#: The longest cell, in characters: a term of the graph is at most four bytes a character,
#: twice that escaped, and the store's readers refuse a line or term over 16 MiB (a 20 MiB
#: cell was built, then answered 500 on every page naming it).
MAX_CELL = 1 << 20


def _check_cell(column: Column, value: str, *, file: str, line: int) -> None:
    def refuse(message: str) -> RecordError:
        return RecordError(message, file=file, row=line, column=column.name)

    if len(value) > MAX_CELL:
        raise refuse(f"the cell holds {len(value):,} characters; at most {MAX_CELL:,}")
    if not value:
        if column.required:
            raise refuse("required cell is empty")
        return
    if column.choices is not None and value not in column.choices:
        raise refuse(f"{value!r} is not one of {', '.join(column.choices)}")
    if column.pattern is not None and not re.fullmatch(column.pattern, value):
        raise refuse(f"{value!r} does not have the expected form"
                     + (f": {column.form}" if column.form else ""))
    problem = column.check(value) if column.check is not None else None
    if problem:
        raise refuse(problem)
