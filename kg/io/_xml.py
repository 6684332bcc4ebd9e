"""Text and attribute values for the XML network formats (GraphML, GEXF, and the SVG
Graphviz draws from DOT).

XML 1.0 cannot hold most control characters in any form, not even as a character
reference, and an RDF literal may hold one (a ``\\u0001`` in an N-Triples file given to
``--data``): written as they are, the file does not open in yEd, Gephi, Cytoscape or
networkx, and Graphviz copies them into its SVG. Here each becomes U+FFFD, the Unicode
replacement character, so a label shows where a character could not be written. These
formats are for drawing. The RDF exports and the SPARQL results keep the characters as
they are, since data must be exact: their syntaxes escape them, and an answer in RDF/XML or
SPARQL's XML results, which cannot, comes in another type the request accepts, or is
refused (406), or, past its first 64 KiB, cut.

>>> clean("miR\\x01A")
'miR\\ufffdA'
>>> text("miR\\x01<21>")
'miR\\ufffd&lt;21&gt;'
>>> attr('say "\\x0b"')
'\\'say "\\ufffd"\\''
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

__all__ = ["attr", "clean", "text"]

#: What XML 1.0 allows in no form: control characters but tab, newline and carriage
#: return, and the non-characters U+FFFE and U+FFFF (surrogates never reach here: the
#: store's strings are valid UTF-8).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value: object) -> str:
    """``str(value)`` with what XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(value))


def text(value: object) -> str:
    """``value`` as escaped XML character data; a carriage return as a character
    reference, which a parser keeps (one written as it is is read as a line feed).

    >>> text("a\\r\\nb")
    'a&#13;\\nb'
    """
    return escape(clean(value), {"\r": "&#13;"})


def attr(value: object) -> str:
    """``value`` as a quoted XML attribute value (quotes included)."""
    return quoteattr(clean(value))
