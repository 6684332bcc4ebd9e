"""Look at a query before it runs: its form, its prefixes, and whether it is allowed.

A small SPARQL tokenizer (comments, strings, IRIs, variables, prefixed names, words)
is enough to find the query form, an update, and every ``SERVICE`` endpoint, without
being fooled by those words inside strings, IRIs or comments. The full parse is
Oxigraph's, in the executor, whose messages (with line and column) reach the user.

>>> info = inspect_query("PREFIX ex: <http://ex/> SELECT * { ?s ex:p 'SERVICE' }")
>>> info.form, info.services, info.is_update
('SELECT', [], False)
>>> inspect_query("INSERT DATA { <a:b> <a:c> <a:d> }").is_update
True
>>> inspect_query("SELECT * { SERVICE <http://ex/sparql> { ?s ?p ?o } }").services
['http://ex/sparql']
>>> check_query(inspect_query("SELECT * { SERVICE ?x { ?s ?p ?o } }"), allowlist=())
Traceback (most recent call last):
...
exokg.errors.QueryRefused: SERVICE with a variable endpoint is not allowed
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from exokg.errors import QueryRefused

__all__ = ["QueryInfo", "check_query", "inspect_query"]

_TOKEN = re.compile(r"""
  (?P<ws>\s+)
| (?P<comment>\#[^\n]*)
| (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
            |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
| (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
| (?P<var>[?$]\w+)
| (?P<pname>(?:[^\W\d_][\w\-.]*)?:(?:[\w\-.:%]|\\.)*)
| (?P<word>[^\W\d]\w*)
| (?P<other>.)
""", re.X | re.S)

_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
            "WITH"}


@dataclass
class QueryInfo:
    """What the tokenizer saw: the form (``SELECT`` ...; ``None`` if unknown), whether it
    is an update, the SERVICE endpoints (``None`` for one given by a variable or an
    unknown prefix), and the prologue's prefixes and base."""

    form: str | None = None
    is_update: bool = False
    services: list[str | None] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str | None = None


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("ws", "comment")]


@functools.lru_cache(maxsize=1024)
def inspect_query(text: str) -> QueryInfo:
    """Tokenize ``text`` and report its form, update-ness, SERVICE calls and prologue.

    Memoized: a repeated query is tokenized once (treat the result as read-only).
    """
    info = QueryInfo()
    tokens = _tokens(text)
    for i, (kind, value) in enumerate(tokens):
        if kind != "word":
            continue
        word = value.upper()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if word == "PREFIX" and nxt[0] == "pname" and i + 2 < len(tokens) \
                and tokens[i + 2][0] == "iri":
            iri = tokens[i + 2][1][1:-1]
            info.prefixes[nxt[1][:-1]] = urljoin(info.base, iri) if info.base else iri
        elif word == "BASE" and nxt[0] == "iri":
            info.base = nxt[1][1:-1]
        elif info.form is None and not info.is_update and word in _FORMS:
            info.form = word
        elif info.form is None and not info.is_update and word in _UPDATES:
            info.is_update = True
        elif word == "SERVICE":
            j = i + 1
            if j < len(tokens) and tokens[j] == ("word", tokens[j][1]) \
                    and tokens[j][1].upper() == "SILENT":
                j += 1
            kind2, value2 = tokens[j] if j < len(tokens) else ("", "")
            info.services.append(_resolve(kind2, value2, info))
    return info


def _resolve(kind: str, value: str, info: QueryInfo) -> str | None:
    if kind == "iri":
        iri = value[1:-1]
        return urljoin(info.base, iri) if info.base else iri
    if kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix in info.prefixes:
            return info.prefixes[prefix] + local.replace("\\", "")
    return None


def check_query(info: QueryInfo, *, allowlist: Iterable[str]) -> None:
    """Refuse what this read-only service does not run.

    Raises
    ------
    QueryRefused
        for an update, or a SERVICE call to an endpoint not in ``allowlist``.
    """
    if info.is_update:
        raise QueryRefused("SPARQL Update is not allowed: this endpoint is read-only")
    allowed = set(allowlist)
    for endpoint in info.services:
        if endpoint is None:
            raise QueryRefused("SERVICE with a variable endpoint is not allowed")
        if endpoint not in allowed:
            raise QueryRefused(
                f"SERVICE <{endpoint}> is not allowed: this service calls only the endpoints "
                f"named in SERVICE_ALLOWLIST ({', '.join(sorted(allowed)) or 'none'})")
