"""A request's query parameters, read by one rule on every page and API route.

A parameter that takes one value and is given twice (``?node=a&node=b``) is a 400:
which one was meant is not ours to guess, and a silent first-wins answered about a
node the user may not have meant. The list parameters (``type``, ``predicates``) take
several; ``/sparql`` applies the SPARQL protocol's own rule (exactly one ``query``).
"""

from __future__ import annotations

from exokg.errors import InvalidQuery
from flask import request

__all__ = ["args_but", "one"]


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


def args_but(name: str) -> dict[str, list[str]]:
    """The request's parameters but ``name``, every value of each: for a link to the
    same request in another page or format (a repeated ``type`` stays repeated)."""
    return {k: request.args.getlist(k) for k in request.args if k != name}
