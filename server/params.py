"""A request's query parameters, read by one rule on every page and API route.

A parameter that takes one value and is given twice (``?node=a&node=b``) is a 400:
which one was meant is not ours to guess, and a silent first-wins answered about a
node the user may not have meant. The list parameters (``types``, ``predicates``) take
several; ``/sparql`` applies the SPARQL protocol's own rule (exactly one ``query``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from exokg.errors import InvalidQuery
from flask import request, url_for

__all__ = ["link", "one"]


def one(name: str) -> str | None:
    """The value of a parameter given at most once (``None`` when not given).

    Raises
    ------
    InvalidQuery
        when it is given more than once (400).
    """
    values = request.args.getlist(name)
    if len(values) > 1:
        raise InvalidQuery(f"{name} is given {len(values)} times: give it once")
    return values[0] if values else None


def link(endpoint: str, *, but: str, **given: object) -> str:
    """The request's URL at ``endpoint``, with every value of each parameter but ``but``,
    then ``given`` (the next page, a format): a repeated ``types`` stays repeated, and a
    parameter named like one of ``url_for``'s own (``_external``) is kept as data, not
    taken as an argument (it was a 500).
    """
    pairs = [(k, v) for k in request.args if k != but for v in request.args.getlist(k)]
    pairs += [(k, str(v)) for k, v in given.items()]
    return url_for(endpoint, _external=True) + "?" + urlencode(pairs)
