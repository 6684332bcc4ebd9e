"""How a view shows a text of the data: a page, a drawing, an error's suggestions.

A user's records may hold a cell of 1 MiB; each view that shows names and cells shows
their first characters and says how long the whole is. A cell may also hold
bidirectional controls: one left open (``U+202E``) turned the rest of its line around
("Table 1, row 1" read "1 wor ,1 elbaT"), so such a text is shown isolated.

The pages read no more of a text than they could show: an entity page and its JSON twin
hold the first :data:`VIEW_CHARS` characters of a longer one, marked with its length as
:func:`clip` marks it (five 5 MB comments made a page's read pass the answer's byte
bound, and thirty findings' 1 MB cells made a 60 MB twin). The whole text, as written,
stays in the RDF (SPARQL, an entity's RDF descriptions) and the data exports.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MARK_CLOSE", "MARK_OPEN", "NAME_SHOWN", "TEXT_SHOWN", "VIEW_CHARS", "clip", "cut",
           "number", "suggested"]

#: The bidirectional controls: marks, embeddings, overrides and isolates.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: First Strong Isolate and Pop Directional Isolate: the pop ends whatever the text
#: opened inside (Unicode's bidirectional algorithm, rule X6a).
_FSI, _PDI = "\u2068", "\u2069"

#: The characters of a name or a printed cell a view shows, and of a finding's function:
#: a page of 100 findings stays within its 500 KB with the longest cells a user's
#: records may hold (a 1 MiB cell made each page naming it megabytes); the review's
#: longest are 69 and 140.
NAME_SHOWN, TEXT_SHOWN = 120, 400

#: The characters of a text a page reads at most (and its JSON twin holds), marked as cut.
VIEW_CHARS = 4000

#: The mark of a text cut, around its whole length: "… (1,000,000 characters)" (the
#: store's cut, exokg.pages.cut_text, writes the number without commas).
MARK_OPEN, MARK_CLOSE = "… (", " characters)"
_MARK = re.compile(re.escape(MARK_OPEN) + "([0-9][0-9,]*)" + re.escape(MARK_CLOSE) + r"\Z")


def _whole(text: str) -> tuple[str, int]:
    """``text`` without the mark of the store's cut, and the whole text's length: a text
    of :data:`VIEW_CHARS` characters and a mark is one cut; any other is its own.

    >>> _whole("ab"), _whole("x" * VIEW_CHARS + "… (5000 characters)")[1]
    (('ab', 2), 5000)
    """
    mark = _MARK.search(text)
    if mark is not None and mark.start() == VIEW_CHARS:
        whole = int(mark.group(1).replace(",", ""))
        if whole > VIEW_CHARS:
            return text[:VIEW_CHARS], whole
    return text, len(text)


def cut(text: str, size: int = VIEW_CHARS) -> str:
    """``text`` as a JSON twin holds it: whole, or its first ``size`` characters and the
    mark of the cut with the whole length (as the store's cut writes it; no isolation of
    bidirectional text, which is the view's).

    >>> cut("miR-21"), cut("x" * 10, 4), cut("a\u202eb") == "a\u202eb"
    ('miR-21', 'xxxx… (10 characters)', True)
    """
    body, whole = _whole(text)
    return f"{body[:size]}{MARK_OPEN}{whole:,}{MARK_CLOSE}" if whole > size else text


def clip(text: Any, size: int = NAME_SHOWN) -> str:
    """``text`` as a view shows it: cut to ``size`` characters, saying so, and isolated
    when it holds a bidirectional control (other texts are left as they are, so that
    what a reader copies is what the data says).

    >>> clip("miR-21"), clip("x" * 10, 4)
    ('miR-21', 'xxxx… (10 characters)')
    >>> clip("x" * VIEW_CHARS + "… (5000 characters)", 4)  # the store's cut: its length
    'xxxx… (5,000 characters)'
    >>> clip("a\u202eb") == "\u2068a\u202eb\u2069"
    True
    """
    text = cut("" if text is None else str(text), size)  # the store's cut: its length
    return f"{_FSI}{text}{_PDI}" if _BIDI.search(text) else text


def number(value: Any) -> str:
    """A count as a view shows it, its thousands apart (a hub's "877,887 findings" and
    "109,651,634" in all at 10^6 findings); anything else as it is. The JSON twins keep
    the numbers as numbers.

    >>> number(877887), number(38), number(-1200), number(None), number(True), number("?")
    ('877,887', '38', '-1,200', '', 'True', '?')
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def suggested(name: str, curie: str) -> str:
    """How a "did you mean" names a node: by ``name``, or by its ``curie`` when the name
    is longer than a view shows (five 1 MiB labels made a 404 of 8 MB); either one looks
    the node up.

    >>> suggested("miR-21", "exoid:content/mir-21"), suggested("x" * 500, "exoid:content/x")
    ('miR-21', 'exoid:content/x')
    """
    return name if len(name) <= NAME_SHOWN else curie
