"""Solutions cut at the row cap, serialized in Python; and every CSV answer.

When an answer has more rows than the cap, its first rows are kept as pyoxigraph terms and
written here in the asked-for results format, with the same terms as pyoxigraph's own
serializers (the embedded store's executor and the remote store both cut answers so).

CSV answers are always written here (:func:`csv_chunks`): pyoxigraph 0.5 leaves an IRI
that holds a comma unquoted (``http://ex.org/a,b`` read back as two fields), against the
SPARQL 1.1 CSV format's quoting of any field with a comma, quote or line break.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

__all__ = ["csv_chunks", "serialize_rows", "too_large"]

logger = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def too_large(limit: int) -> str:
    """What an answer past ``MAX_ANSWER_BYTES`` is told (the embedded store's executors
    and a remote store's reader hold an answer whole to cut it at the row cap).

    >>> print(too_large(64 << 20))  # doctest: +NORMALIZE_WHITESPACE
    the answer is larger than 67,108,864 bytes (MAX_ANSWER_BYTES) before its row cap: ask
    for fewer rows (LIMIT) or shorter values
    """
    return (f"the answer is larger than {limit:,} bytes (MAX_ANSWER_BYTES) before its row "
            "cap: ask for fewer rows (LIMIT) or shorter values")


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                        "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{_xml_escape(term.language)}">' \
                   f"{_xml_escape(term.value)}</literal>"
        if term.datatype.value != _XSD_STRING:
            return f'<literal datatype="{_xml_escape(term.datatype.value)}">' \
                   f"{_xml_escape(term.value)}</literal>"
        return f"<literal>{_xml_escape(term.value)}</literal>"
    return f"<literal>{_xml_escape(str(term))}</literal>"


def _csv_cell(term) -> str:
    if term is None:
        return ""
    text = term.value if not isinstance(term, ox.Triple) else str(term)
    if isinstance(term, ox.BlankNode):
        text = "_:" + text
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def csv_chunks(variables: list[str], rows: Iterable[Iterable[Any]],
               size: int = 1 << 16) -> Iterator[bytes]:
    """A SELECT answer as SPARQL 1.1 CSV, in chunks of about ``size`` bytes (``rows``: each
    a solution's pyoxigraph terms, ``None`` for unbound).

    >>> import pyoxigraph as ox
    >>> b"".join(csv_chunks(["s", "o"], [(ox.NamedNode("http://ex.org/a,b"), None)]))
    b's,o\\r\\n"http://ex.org/a,b",\\r\\n'
    """
    lines = [",".join(variables)]
    held = 0
    for row in rows:
        line = ",".join([_csv_cell(t) for t in row])
        lines.append(line)
        held += len(line)
        if held >= size:
            yield ("\r\n".join(lines) + "\r\n").encode()
            lines, held = [], 0
    if lines:
        yield ("\r\n".join(lines) + "\r\n").encode()


def serialize_rows(media_type: str, variables: list[str], rows: list[tuple]) -> bytes:
    """The first rows of a SELECT answer (pyoxigraph terms, ``None`` for unbound), in
    ``media_type`` (SPARQL JSON or XML, CSV, TSV), marked as cut where the format can say
    so.

    >>> import pyoxigraph as ox
    >>> serialize_rows("text/csv", ["x"], [(ox.NamedNode("urn:a"),), (None,)])
    b'x\\r\\nurn:a\\r\\n\\r\\n'
    """
    if media_type == "application/sparql-results+json":
        bindings = [{v: _json_term(t) for v, t in zip(variables, row, strict=True)
                     if t is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings},
                           "truncated": True}, ensure_ascii=False,
                          separators=(",", ":")).encode()
    if media_type == "application/sparql-results+xml":
        parts = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                 "<head>"]
        parts += [f'<variable name="{v}"/>' for v in variables]
        parts.append("</head><!-- truncated at the row cap --><results>")
        for row in rows:
            parts.append("<result>")
            parts += [f'<binding name="{v}">{_xml_term(t)}</binding>'
                      for v, t in zip(variables, row, strict=True) if t is not None]
            parts.append("</result>")
        parts.append("</results></sparql>")
        return "".join(parts).encode()
    if media_type == "text/csv":
        return b"".join(csv_chunks(variables, rows))
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()
