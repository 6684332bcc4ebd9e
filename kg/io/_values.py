"""Attribute values as typed scalars, so that graph-file writers neither crash nor lose data.

networkx's writers fail or silently degrade on what an RDF projection holds: rdflib
terms, ``None``, tuples and lists, one attribute with ints on some nodes and strings on
others. :func:`scalar_table` turns every value into ``str``, ``int``, ``float`` or ``bool``
and gives each attribute one type.

>>> rows = {"a": {"n": 1, "names": ("x", "y"), "gone": None}, "b": {"n": "7b"}}
>>> values, types = scalar_table(rows)
>>> values["a"], values["b"], types
({'n': '1', 'names': 'x|y'}, {'n': '7b'}, {'n': 'string', 'names': 'string'})
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Mapping

from rdflib import Literal

__all__ = ["LIST_SEPARATOR", "ColumnTypes", "attribute_text", "cast_row", "finite", "scalar",
           "scalar_row", "scalar_table"]

#: Multiple values in one cell, as KGX does.
LIST_SEPARATOR = "|"

_TYPE_NAMES = {bool: "boolean", int: "long", float: "double", str: "string"}
#: A "long" attribute's range (GraphML's and GEXF's readers parse it as a 64-bit integer).
_LONG = (-(2**63), 2**63 - 1)


def scalar(value):
    """One value as ``str``, ``int``, ``float``, ``bool`` or ``None`` (to be dropped).

    >>> from rdflib import XSD, URIRef
    >>> scalar(Literal(3)), scalar(URIRef("https://x.org/a")), scalar(["b", "a"])
    (3, 'https://x.org/a', 'b|a')
    >>> scalar(Literal("INF", datatype=XSD.double))
    inf
    >>> from exokg.rdf_terms import rdflib_literal
    >>> scalar(rdflib_literal("maybe", datatype=str(XSD.boolean))), scalar(2**70)
    ('maybe', '1180591620717411303424')
    """
    if value is None:
        return None
    if isinstance(value, Literal):
        value = value.toPython()
        if isinstance(value, Literal):  # an unknown datatype: keep the lexical form
            return str(value)
    if isinstance(value, str):  # also URIRef and other str subclasses
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) \
            and not _LONG[0] <= value <= _LONG[1]:
        return str(value)  # past a 64-bit long, which readers parse a "long" as
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        items = [scalar(v) for v in value]
        return LIST_SEPARATOR.join(str(v) for v in items if v is not None) or None
    return str(value)


def scalar_row(data: Mapping[str, object], *,
               skip: frozenset[str] = frozenset()) -> dict[str, object]:
    """One row's attributes as scalars, leaving out ``None``, names starting with ``_``
    and names in ``skip``.

    >>> scalar_row({"n": 1, "_private": 2, "gone": None, "names": ["a", "b"]})
    {'n': 1, 'names': 'a|b'}
    """
    out = {}
    for name, value in data.items():
        if name.startswith("_") or name in skip:
            continue
        value = scalar(value)
        if value is not None:
            out[name] = value
    return out


class ColumnTypes:
    """The one type of each attribute over rows seen one at a time (a first pass of a
    streamed export), so a writer can declare its attributes before the rows.

    An attribute with values of several types becomes a string everywhere (``bool`` and
    ``int`` are kept apart; ``int`` with ``float`` becomes ``float``).

    >>> columns = ColumnTypes()
    >>> columns.add({"n": 1, "x": 2}); columns.add({"n": "7b", "x": 2.5})
    >>> columns.names(), columns.rows
    ({'n': 'string', 'x': 'double'}, 2)
    """

    def __init__(self) -> None:
        self._seen: dict[str, set[type]] = {}
        self.rows = 0

    def add(self, row: Mapping[str, object]) -> None:
        """Count a row of scalars (from :func:`scalar_row`)."""
        self.rows += 1
        for name, value in row.items():
            kinds = self._seen.get(name)
            if kinds is None:
                self._seen[name] = {type(value)}
            else:
                kinds.add(type(value))

    def types(self) -> dict[str, type]:
        """Attribute -> Python type, in order of first appearance."""
        out: dict[str, type] = {}
        for name, kinds in self._seen.items():
            if len(kinds) == 1:
                out[name] = next(iter(kinds))
            elif kinds == {int, float}:
                out[name] = float
            else:
                out[name] = str
        return out

    def names(self) -> dict[str, str]:
        """Attribute -> GraphML type name (``string``, ``long``, ``double``, ``boolean``),
        sorted by attribute."""
        return {name: _TYPE_NAMES[t] for name, t in sorted(self.types().items())}


def cast_row(row: dict[str, object], types: Mapping[str, type]) -> dict[str, object]:
    """A row of scalars with each value made its attribute's type (in place)."""
    for name, value in row.items():
        wanted = types[name]
        if type(value) is not wanted:  # as the attribute's other values are written
            row[name] = attribute_text(value) if wanted is str else wanted(value)
    return row


def scalar_table(rows: Mapping[object, Mapping[str, object]], *,
                 skip: frozenset[str] = frozenset()) -> tuple[dict, dict[str, str]]:
    """Scalar values per row and one GraphML type name per attribute.

    Attributes whose name starts with ``_`` or is in ``skip`` are left out; the types
    are :class:`ColumnTypes`'.
    """
    values = {key: scalar_row(data, skip=skip) for key, data in rows.items()}
    columns = ColumnTypes()
    for row in values.values():
        columns.add(row)
    types = columns.types()
    for row in values.values():
        cast_row(row, types)
    return values, columns.names()


def attribute_text(value: object) -> str:
    """A scalar as GraphML's and GEXF's readers take it: ``true``/``false``, and the
    non-finite doubles as Java writes them (``Double.parseDouble``, which Gephi, yEd and
    Cytoscape read with, refuses Python's ``inf`` and ``nan``; Python's ``float`` takes
    either).

    >>> [attribute_text(v) for v in (True, 2, 1.5, float("inf"), -float("inf"), float("nan"))]
    ['true', '2', '1.5', 'Infinity', '-Infinity', 'NaN']
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return str(value)


def finite(obj: object) -> object:
    """``obj`` with every NaN or infinite float made ``None``, for JSON, which has no such
    numbers (a typed table or XML attribute keeps them: GraphML and GEXF doubles hold
    NaN and INF).

    >>> finite({"a": [float("nan"), 1.5, (float("inf"),)]})
    {'a': [None, 1.5, [None]]}
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj
