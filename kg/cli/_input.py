"""Reading a command's input file (a query given as ``@FILE`` or ``--construct FILE``).

One place says what a bad file is: missing, not a regular file (a folder, a device, a
pipe: :func:`exokg.tsv.file_problem`), unreadable, or not UTF-8 text,
each a one-line error naming the file (and the line of the first bad byte).
"""

from __future__ import annotations

from pathlib import Path

from exokg.errors import ConfigError, RecordError
from exokg.tsv import decode_text, file_problem, read_whole

__all__ = ["QUERY_FILE_MAX", "read_text_file"]

#: The largest query file read (a query of millions of characters is a mistake, and
#: ``/sparql`` refuses bodies far smaller).
QUERY_FILE_MAX = 64 << 20


def read_text_file(path: str | Path, *, what: str = "query file") -> str:
    """The UTF-8 text of ``path`` (a leading byte order mark dropped).

    >>> read_text_file("/no/such.rq")
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: query file /no/such.rq: not found

    Raises
    ------
    ConfigError
        for a file that is missing, a folder, unreadable; RecordError (located) for one
        that is not UTF-8 text.
    """
    file = Path(path)
    problem = file_problem(file)
    if problem is not None:
        raise ConfigError(f"{what} {file}: {problem}")
    try:
        data = read_whole(file, most=QUERY_FILE_MAX)
    except RecordError as err:
        raise ConfigError(f"{what} {file}: {err.message}") from None
    return decode_text(data, file=str(file))
