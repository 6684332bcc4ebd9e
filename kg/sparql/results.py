"""SELECT and ASK results in one parsed form, read once from SPARQL JSON.

The SPARQL service (pyoxigraph) serializes; everything that shows or re-writes a
result table (the query page and its JSON twin, ``exokg query``'s text table)
reads :class:`Results` parsed by :meth:`Results.from_json` instead of each parsing
the JSON itself.

>>> body = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri", "value": "https://w3id.org/exokg/id/content/mir-21"}}]}}'
>>> results = Results.from_json(body)
>>> results.vars, results.rows[0][0]
(['x'], rdflib.term.URIRef('https://w3id.org/exokg/id/content/mir-21'))
>>> print(render_table(results))
x
--------------------
exoid:content/mir-21
(1 row)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from exokg.curie import compact_iri
from exokg.errors import RDF12_RESULTS_UNFIT, InvalidQuery, UnknownFormat
from exokg.rdf_terms import rdflib_literal
from exokg.terminal import aligned
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

__all__ = ["Results", "render_table", "term_from_json", "term_to_json"]

logger = logging.getLogger(__name__)


def term_from_json(value: Mapping[str, Any] | None) -> Node | None:
    """An rdflib term from a SPARQL JSON results term (``None`` for an unbound variable).

    rdflib has no RDF 1.2 terms: a triple term, or a literal with a base direction, is an
    :class:`~exokg.errors.UnknownFormat` (406), never text or a literal without it.

    >>> term_from_json({"type": "literal", "value": "x", "xml:lang": "en", "its:dir": "ltr"})
    Traceback (most recent call last):
    ...
    exokg.errors.UnknownFormat: the solutions hold RDF 1.2 terms (a triple term or a \
literal with a base direction), which this page and its downloads cannot carry; ask \
/sparql or exokg query for SPARQL JSON or XML results
    """
    if value is None:
        return None
    kind = value.get("type")
    if "its:dir" in value or "direction" in value:
        raise UnknownFormat(RDF12_RESULTS_UNFIT)
    if kind == "uri":
        # the engine wrote a valid IRI: str.__new__ skips rdflib's per-IRI validation,
        # which was a third of reading a neighbourhood's attribute rows
        return str.__new__(URIRef, value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        return rdflib_literal(value["value"], lang=value.get("xml:lang"),
                              datatype=value.get("datatype"))
    raise UnknownFormat(RDF12_RESULTS_UNFIT)  # a triple term


def _rows(names: list[str], bindings: list[dict[str, Any]]) -> list[list[Node | None]]:
    """The bindings as rows of terms; an IRI that recurs (a ``VALUES`` variable, a
    predicate) is one object, made once."""
    iris: dict[str, URIRef] = {}
    rows = []
    for binding in bindings:
        row: list[Node | None] = []
        for name in names:
            value = binding.get(name)
            if value is not None and value.get("type") == "uri":
                text = value["value"]
                term = iris.get(text)
                if term is None:
                    term = iris[text] = str.__new__(URIRef, text)  # see term_from_json
                row.append(term)
            else:
                row.append(term_from_json(value))
        rows.append(row)
    return rows


def term_to_json(term: Node | None) -> dict[str, str] | None:
    """A SPARQL JSON results term from an rdflib term (``None`` stays unbound)."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if isinstance(term, Literal):
        if term.datatype:
            out["datatype"] = str(term.datatype)
        if term.language:
            out["xml:lang"] = term.language
    return out


@dataclass(frozen=True)
class Results:
    """A SELECT result (``vars``, ``rows`` of terms or ``None``) or an ASK answer.

    An ASK answer reads as one row of one variable, ``ask``, so that it shows and
    downloads like a table; ``boolean`` keeps the answer itself.
    """

    vars: list[str]
    rows: list[list[Node | None]]
    boolean: bool | None = None
    truncated: bool = False
    kind: str = field(default="SELECT")

    @classmethod
    def from_json(cls, body: bytes | str | Mapping[str, Any], *,
                  truncated: bool = False) -> Results:
        """Parse SPARQL 1.1 JSON results (bytes, text or the decoded document).

        ``truncated`` is true when given so or when the document says so (the
        service's ``"truncated": true`` member).

        Raises
        ------
        InvalidQuery
            when ``body`` is not SPARQL JSON results.
        """
        try:
            doc = orjson.loads(body) if isinstance(body, bytes | str) else body
            if "boolean" in doc:
                answer = bool(doc["boolean"])
                return cls(["ask"], [[Literal(answer)]], boolean=answer, kind="ASK")
            names = list(doc["head"]["vars"])
            rows = _rows(names, doc["results"]["bindings"])
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise InvalidQuery(f"not SPARQL JSON results: {err}") from None
        # the service marks a result cut at the row cap in the document too
        return cls(names, rows, truncated=truncated or bool(doc.get("truncated")))

    def to_json(self) -> dict[str, Any]:
        """The SPARQL JSON results document (marked ``"truncated": true`` when cut, as
        the service marks it)."""
        if self.boolean is not None:
            return {"head": {}, "boolean": self.boolean}
        bindings = []
        for row in self.rows:
            cells = {v: term_to_json(t) for v, t in zip(self.vars, row, strict=True)}
            bindings.append({v: c for v, c in cells.items() if c is not None})
        doc: dict[str, Any] = {"head": {"vars": self.vars}, "results": {"bindings": bindings}}
        if self.truncated:
            doc["truncated"] = True
        return doc


def _text(term: Node | None, compact: Callable[[str], str]) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return "_:" + str(term)
    if isinstance(term, URIRef):
        return compact(str(term))
    return str(term)


def render_table(results: Results, *, compact: Callable[[str], str] = compact_iri) -> str:
    """Results as an aligned text table, IRIs as ExoKG's CURIEs; an ASK as true/false.

    >>> print(render_table(Results(["x"], [[Literal("miR-21")]], truncated=True)))
    x
    ------
    miR-21
    (1 row, truncated at the row cap)
    """
    if results.boolean is not None:
        return "true" if results.boolean else "false"
    rows = [[_text(t, compact) for t in row] for row in results.rows]
    lines = aligned(rows, results.vars)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
                 f"{', truncated at the row cap' if results.truncated else ''})")
    return "\n".join(lines)
