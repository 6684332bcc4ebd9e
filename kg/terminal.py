"""Text the ``exokg`` commands print for people to read: every value made printable,
tables aligned.

Labels and literals come from the user's data (or a remote store): a value holding
an escape sequence (ESC ``[31m``, a terminal's title, a line erased), a line break or
a bidirectional override (``U+202E`` shows ``gpj.exe`` as ``exe.jpg``) took over the
terminal or the table it was printed in. Such characters are shown as ``\\uXXXX``,
which in JSON is the same string, so the one rule serves tables, TSV and JSON.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["aligned", "printable"]

#: C0 controls (tab and line feed too: a cell's own break the table's), DEL, C1
#: controls, the line and paragraph separators, and the bidirectional marks,
#: embeddings, overrides and isolates.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str, *, keep: str = "") -> str:
    """``text`` with what would act on a terminal shown as ``\\uXXXX``, but for the
    characters of ``keep`` (``"\\n"``: the line breaks of an indented JSON text, whose
    strings have their own escaped already).

    >>> printable("miR-21")
    'miR-21'
    >>> printable("evil\\x1b[31mRED\\u202e")
    'evil\\\\u001b[31mRED\\\\u202e'
    """
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in keep
                            else f"\\u{ord(m.group()):04x}", text)


def aligned(rows: Sequence[Sequence[object]], header: Sequence[str]) -> list[str]:
    """``rows`` under ``header`` as lines of left-aligned columns (``None`` is empty).

    >>> print("\\n".join(aligned([["miR-21", 5], ["let-7a", None]], ["label", "n"])))
    label   n
    ------  -
    miR-21  5
    let-7a
    """
    cells = [[printable("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in [list(header), ["-" * w for w in widths], *cells]]
