"""The one rule for a whole-number argument: a parameter's ASCII digits, or a caller's
``int``, within a range, or a 400 naming the argument and the range; and the one rule for
a search's text (:func:`search_text`).

>>> integer_in("depth", "2", 1, 3), integer_in("limit", 50, 1, 1000)
(2, 50)
>>> integer_in("depth", "7", 1, 3)
Traceback (most recent call last):
...
exokg.errors.InvalidQuery: depth must be an integer from 1 to 3, not '7'
"""

from __future__ import annotations

import re

from exokg.errors import InvalidQuery

__all__ = ["SEARCH_MAX", "integer_in", "search_text"]

#: ASCII digits, at most 18 (every range here is far smaller; Python's ``int`` also takes
#: other scripts' digits, spaces and underscores, which no client means, and refuses over
#: 4,300 digits with an error of its own).
_WHOLE = re.compile(r"-?[0-9]{1,18}")


def integer_in(name: str, value: str | int, low: int, high: int) -> int:
    """``value`` as an integer from ``low`` to ``high``.

    >>> integer_in("limit", "\\uff15", 1, 10)  # a full-width digit
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: limit must be an integer from 1 to 10, not '５'
    >>> integer_in("k", True, 1, 10)
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: k must be an integer from 1 to 10, not True

    Raises
    ------
    InvalidQuery
        when ``value`` is no such integer (a 400).
    """
    number: int | None = None
    if isinstance(value, str):
        number = int(value) if _WHOLE.fullmatch(value) else None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is None or not low <= number <= high:
        raise InvalidQuery(f"{name} must be an integer from {low} to {high}, not {value!r}")
    return number


#: The longest text a search takes, in characters: a name, an identifier or an IRI, with
#: room to spare. A search's cost grows with its words (32,000 of them took 18 s at 10^5
#: findings, and ten such requests held every request thread for minutes).
SEARCH_MAX = 500


def search_text(q: str | None, name: str = "q") -> str:
    """``q`` stripped, as a search takes it.

    >>> search_text("  miR-21 ")
    'miR-21'
    >>> search_text("m " * 300)
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: q is 599 characters long: a search takes at most 500 (a \
name, an identifier or an IRI)

    Raises
    ------
    InvalidQuery
        for an empty text, or one longer than :data:`SEARCH_MAX`.
    """
    text = (q or "").strip()
    if not text:
        raise InvalidQuery(f"{name} must not be empty")
    if len(text) > SEARCH_MAX:
        raise InvalidQuery(f"{name} is {len(text):,} characters long: a search takes at most "
                           f"{SEARCH_MAX} (a name, an identifier or an IRI)")
    return text
