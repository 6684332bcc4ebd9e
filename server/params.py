"""A request's query parameters, read by one rule on every page and API route.

A parameter that takes one value and is given twice (``?node=a&node=b``) is a 400:
which one was meant is not ours to guess, and a silent first-wins answered about a
node the user may not have meant. The list parameters (``types``, ``predicates``) take
several; ``/sparql`` applies the SPARQL protocol's own rule (exactly one ``query``).

The links an answer gives (its next page, its formats) carry the parameters the request
read, and no other: a parameter nobody reads changes nothing, and copied into each of
fourteen format links, one 20 KB unknown parameter made an answer of a megabyte.
"""

from __future__ import annotations

from urllib.parse import urlencode

from exokg.errors import InvalidQuery
from flask import g, request, url_for

__all__ = ["link", "many", "one"]


def _read(name: str) -> None:
    """Note that the request read parameter ``name`` (:func:`link` keeps it)."""
    g.setdefault("exokg_params_read", set()).add(name)


def one(name: str) -> str | None:
    """The value of a parameter given at most once (``None`` when not given).

    Raises
    ------
    InvalidQuery
        when it is given more than once (400).
    """
    _read(name)
    values = request.args.getlist(name)
    if len(values) > 1:
        raise InvalidQuery(f"{name} is given {len(values)} times: give it once")
    return values[0] if values else None


def many(name: str) -> list[str]:
    """Every value of a parameter that takes several (``types``, ``predicates``)."""
    _read(name)
    return request.args.getlist(name)


def link(endpoint: str, *, but: str, **given: object) -> str:
    """The request's URL at ``endpoint``, with every value of each parameter it read but
    ``but``, then ``given`` (the next page, a format): a repeated ``types`` stays
    repeated, and a parameter named like one of ``url_for``'s own (``_external``) is kept
    as data, not taken as an argument (it was a 500).
    """
    read = g.get("exokg_params_read", set())
    # each value once: a value repeated 4,000 times changed nothing, and copied into
    # fourteen format links made an answer of 900 KB
    pairs = list(dict.fromkeys((k, v) for k in request.args if k != but and k in read
                               for v in request.args.getlist(k)))
    pairs += [(k, str(v)) for k, v in given.items()]
    return url_for(endpoint, _external=True) + "?" + urlencode(pairs)
