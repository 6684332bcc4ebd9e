"""Reading a command's input file (a query given as ``@FILE`` or ``--construct FILE``).

One place says what a bad file is: missing, not a regular file (a folder, a device, a
pipe: :func:`exokg.tsv.file_problem`), unreadable, or not UTF-8 text,
each a one-line error naming the file (and the line of the first bad byte).
"""

from __future__ import annotations

from pathlib import Path

from exokg.errors import ConfigError
from exokg.tsv import decode_text, file_problem

__all__ = ["read_text_file"]


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
        data = file.read_bytes()
    except OSError as err:
        raise ConfigError(f"{what} {file}: cannot be read ({err.strerror})") from None
    return decode_text(data, file=str(file))
