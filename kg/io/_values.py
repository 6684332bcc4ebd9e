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
from collections.abc import Mapping

from rdflib import Literal

__all__ = ["LIST_SEPARATOR", "scalar", "scalar_table"]

#: Multiple values in one cell, as KGX does.
LIST_SEPARATOR = "|"

_TYPE_NAMES = {bool: "boolean", int: "long", float: "double", str: "string"}


def scalar(value):
    """One value as ``str``, ``int``, ``float``, ``bool`` or ``None`` (to be dropped).

    >>> from rdflib import URIRef
    >>> scalar(Literal(3)), scalar(URIRef("https://x.org/a")), scalar(["b", "a"])
    (3, 'https://x.org/a', 'b|a')
    """
    if value is None:
        return None
    if isinstance(value, Literal):
        value = value.toPython()
        if isinstance(value, Literal):  # an unknown datatype: keep the lexical form
            return str(value)
    if isinstance(value, str):  # also URIRef and other str subclasses
        return str(value)
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


def scalar_table(rows: Mapping[object, Mapping[str, object]], *,
                 skip: frozenset[str] = frozenset()) -> tuple[dict, dict[str, str]]:
    """Scalar values per row and one GraphML type name per attribute.

    Attributes whose name starts with ``_`` or is in ``skip`` are left out. An attribute
    with values of several types becomes a string everywhere (``bool`` and ``int`` are
    kept apart; ``int`` with ``float`` becomes ``float``).
    """
    values: dict = {}
    seen: dict[str, set[type]] = {}
    for key, data in rows.items():
        out = {}
        for name, value in data.items():
            if name.startswith("_") or name in skip:
                continue
            value = scalar(value)
            if value is None:
                continue
            out[name] = value
            seen.setdefault(name, set()).add(type(value))
        values[key] = out
    types: dict[str, type] = {}
    for name, kinds in seen.items():
        if len(kinds) == 1:
            types[name] = kinds.pop()
        elif kinds == {int, float}:
            types[name] = float
        else:
            types[name] = str
    for data in values.values():
        for name, value in data.items():
            if type(value) is not types[name]:
                data[name] = types[name](value)
    return values, {name: _TYPE_NAMES[t] for name, t in sorted(types.items())}
