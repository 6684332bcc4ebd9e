"""The one rule for a whole-number argument: a parameter's ASCII digits, or a caller's
``int``, within a range, or a 400 naming the argument and the range.

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

__all__ = ["integer_in"]

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
