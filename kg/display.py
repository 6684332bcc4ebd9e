"""How a view shows a text of the data: a page, a drawing, an error's suggestions.

A user's records may hold a cell of 1 MiB; each view that shows names and cells shows
their first characters and says how long the whole is. A cell may also hold
bidirectional controls: one left open (``U+202E``) turned the rest of its line around
("Table 1, row 1" read "1 wor ,1 elbaT"), so such a text is shown isolated. The whole
text, as written, stays in the RDF, the JSON twins and the data exports.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["NAME_SHOWN", "TEXT_SHOWN", "clip", "suggested"]

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


def clip(text: Any, size: int = NAME_SHOWN) -> str:
    """``text`` as a view shows it: cut to ``size`` characters, saying so, and isolated
    when it holds a bidirectional control (other texts are left as they are, so that
    what a reader copies is what the data says).

    >>> clip("miR-21"), clip("x" * 10, 4)
    ('miR-21', 'xxxx… (10 characters)')
    >>> clip("a\u202eb") == "\u2068a\u202eb\u2069"
    True
    """
    text = "" if text is None else str(text)
    if len(text) > size:
        text = f"{text[:size]}… ({len(text):,} characters)"
    return f"{_FSI}{text}{_PDI}" if _BIDI.search(text) else text


def suggested(name: str, curie: str) -> str:
    """How a "did you mean" names a node: by ``name``, or by its ``curie`` when the name
    is longer than a view shows (five 1 MiB labels made a 404 of 8 MB); either one looks
    the node up.

    >>> suggested("miR-21", "exoid:content/mir-21"), suggested("x" * 500, "exoid:content/x")
    ('miR-21', 'exoid:content/x')
    """
    return name if len(name) <= NAME_SHOWN else curie
