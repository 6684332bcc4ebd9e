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

from exokg.errors import InvalidQuery, QueryRefused

__all__ = ["FORMS", "MAX_DEPTH", "QueryInfo", "check_query", "inspect_query", "line_column",
           "token_spans"]

#: The deepest query accepted, in levels (see :func:`_depth`). Oxigraph's parser and
#: planner recurse once per level and overflow the stack. Measured with pyoxigraph
#: 0.5.13 on an 8 MiB stack, levels as counted here: nested calls STR(STR(...)) crash at
#: ~950 (8.8 KB a level, the worst found), FILTER EXISTS { nesting at ~830 (4 levels
#: each), sub-SELECTs at ~1,170 (5 levels each), braces at ~2,170, OPTIONAL at ~2,880,
#: parentheses at ~4,640, UNION chains at ~6,450, && or || at ~9,280, property paths
#: at ~8,100 (/) and ~10,700 (|), triple patterns at ~8,100, sequential BINDs at ~3,000
#: and projected expressions at ~2,600. The executor runs queries on a 256 MiB stack
#: (exokg.sparql._executor), where the worst kind breaks at ~29,000 levels: 2,000 keeps
#: a margin of over 14x for the worst kind and far more for the others.
MAX_DEPTH = 2000

# Every token must end where Oxigraph's lexer ends it, or a SERVICE after it is hidden
# from the checks (each of these ran the call past the allowlist):
# - a comment ends at a line feed *or* a carriage return (``# x\r SERVICE <...>``), and a
#   short string holds neither;
# - an IRI may hold \u and \U escapes (``<http://x/\u0041#>``: its ``#`` began a comment);
# - a name may hold U+00B7, U+0300-U+036F and U+203F-U+2040 (SPARQL's PN_CHARS), which
#   are not Python's ``\w`` (``ex:a\u00b7\\#b``: its escaped ``#`` began a comment).
# What is left over is refused (``QueryInfo.unread_at``): a lone backslash is no SPARQL.
_NAME = r"[\w\u00b7\u0300-\u036f\u203f\u2040]"
_TOKEN = re.compile(r"""
  (?P<ws>\s+)
| (?P<comment>\#[^\r\n]*)
| (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
            |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
| (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
| (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
| (?P<op>\|\||&&)
| (?P<var>[?$]NAME+)
| (?P<pname>(?:[^\W\d_]NAME_DOT*)?:(?:NAME_MORE|\\.)*)
| (?P<word>[^\W\d]NAME*)
| (?P<other>.)
""".replace("NAME_DOT", _NAME[:-1] + r"\-.]").replace("NAME_MORE", _NAME[:-1] + r"\-.:%]")
   .replace("NAME", _NAME), re.X | re.S)

#: The keywords that open a query (as against an update).
FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
_UPDATES = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
            "WITH"}


@dataclass
class QueryInfo:
    """What the tokenizer saw: the form (``SELECT`` ...; ``None`` if unknown), whether it
    is an update, the SERVICE endpoints (``None`` for one given by a variable or an
    unknown prefix, ``""`` for a keyword run into the next word), and the prologue's
    prefixes and base."""

    form: str | None = None
    is_update: bool = False
    services: list[str | None] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str | None = None
    #: ``(line, column)`` of the first token past :data:`MAX_DEPTH` levels, if any
    too_deep_at: tuple[int, int] | None = None
    #: ``(line, column)`` of text the tokenizer could not read as SPARQL (a backslash
    #: outside a string, an IRI or a name), if any: refused, not guessed at
    unread_at: tuple[int, int] | None = None


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("ws", "comment")]


def token_spans(text: str) -> list[tuple[str, str, int]]:
    """A query's tokens as ``(kind, text, offset)``, whitespace and comments left out
    (what the checks and the error messages point into).

    >>> token_spans("ASK { }")[:2]
    [('word', 'ASK', 0), ('other', '{', 4)]
    """
    return [(m.lastgroup or "", m.group(), m.start()) for m in _TOKEN.finditer(text)
            if m.lastgroup not in ("ws", "comment")]


def line_column(text: str, offset: int) -> tuple[int, int]:
    r"""The 1-based line and column of ``offset`` in ``text``.

    >>> line_column("a\nbc", 3)
    (2, 2)
    """
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# Words that add an element to the group they are in (each one more node on a
# left-deep chain of the engine's algebra, so one more level of its recursion).
_ELEMENT_WORDS = {"UNION", "OPTIONAL", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE",
                  "EXISTS", "VALUES", "AS"}
_CHAIN_OPS = {"||", "&&", "|", "/", "^", "!", "+", "-", "*"}
_OPENERS = {"(": ")", "{": "}", "[": "]"}
_CLOSERS = {")", "}", "]"}


def _depth(spans: list[tuple[str, str, int]], limit: int) -> int | None:
    """The offset of the first token at which the query is more than ``limit`` levels
    deep, or ``None``.

    A level is an open bracket, or one more element, chained operator or separator in
    the bracket it is in (UNION, &&, ``/``, ``.``, a sibling group ...): the engine
    builds a left-deep tree of those and recurses down it. Lists the engine keeps
    flat (VALUES rows, IN lists, function arguments) do not count.
    """
    frames: list[list] = []  # [kind, count]: group, data, row, expr, coll, bnode
    total = 0
    values_pending = False
    previous_word = False
    for kind, value, start in spans:
        parent = frames[-1][0] if frames else "top"
        unit = 0
        if kind == "other" and value in _OPENERS:
            if value == "{":
                child = "data" if values_pending else "group"
                values_pending = False
            elif value == "[":
                child = "bnode"
            elif parent in ("data", "row"):
                child = "row"
            elif parent in ("expr", "top") or previous_word:
                child = "expr"
            else:
                child = "coll"
            if parent in ("top", "group", "bnode", "coll"):
                unit = 1  # one more element beside its siblings
            if frames:
                frames[-1][1] += unit
            total += unit + 1
            frames.append([child, 0])
        elif kind == "other" and value in _CLOSERS:
            if frames:
                total -= frames.pop()[1] + 1
        elif parent not in ("data", "row"):
            if kind == "word" and value.upper() in _ELEMENT_WORDS:
                unit = 1
                values_pending = values_pending or value.upper() == "VALUES"
            elif kind in ("op", "other") and value in _CHAIN_OPS or \
                    kind == "other" and value in ".;," and parent in ("top", "group", "bnode") \
                    or parent == "coll" and kind in ("var", "iri", "pname", "string",
                                                     "number", "word"):
                unit = 1
            if unit:
                if frames:
                    frames[-1][1] += unit
                total += unit
        if total > limit:
            return start
        previous_word = kind == "word"
    return None


@functools.lru_cache(maxsize=1024)
def inspect_query(text: str) -> QueryInfo:
    """Tokenize ``text`` and report its form, update-ness, SERVICE calls and prologue.

    Memoized: a repeated query is tokenized once (treat the result as read-only).
    """
    info = QueryInfo()
    spans = token_spans(text)
    tokens = [(kind, value) for kind, value, _ in spans]
    deep = _depth(spans, MAX_DEPTH)
    if deep is not None:
        info.too_deep_at = line_column(text, deep)
    unread = next((start for kind, value, start in spans
                   if kind == "other" and value == "\\"), None)
    if unread is not None:
        info.unread_at = line_column(text, unread)
    for i, (kind, value) in enumerate(tokens):
        word = value.upper()
        if kind in ("word", "pname") and word.startswith("SERVICE") and word != "SERVICE":
            # Oxigraph reads a keyword with nothing between it and the next token:
            # SERVICE:x, SERVICEe:x, SERVICESILENT<...> are calls (a prefix named
            # "service" is refused with them)
            info.services.append("")
            continue
        if kind != "word":
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if word == "PREFIX" and nxt[0] == "pname" and i + 2 < len(tokens) \
                and tokens[i + 2][0] == "iri":
            iri = tokens[i + 2][1][1:-1]
            info.prefixes[nxt[1][:-1]] = urljoin(info.base, iri) if info.base else iri
        elif word == "BASE" and nxt[0] == "iri":
            info.base = nxt[1][1:-1]
        elif info.form is None and not info.is_update and word in FORMS:
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
    InvalidQuery
        for a query nested deeper than :data:`MAX_DEPTH` levels (the engine would
        overflow its stack), naming the line and column where it passes the limit.
    QueryRefused
        for an update, or a SERVICE call to an endpoint not in ``allowlist``.
    """
    if info.too_deep_at is not None:
        line, column = info.too_deep_at
        raise InvalidQuery(
            f"the query nests too deeply: it passes {MAX_DEPTH} levels at line {line}, "
            f"column {column}. Each open bracket, and each UNION, OPTIONAL, FILTER, &&, "
            f"||, path step or triple pattern in the same group, is one more level for "
            f"the engine; flatten it (e.g. VALUES or IN instead of long || chains)")
    if info.unread_at is not None:
        line, column = info.unread_at
        raise InvalidQuery(f"a backslash outside a string, an IRI or a name at line {line}, "
                           f"column {column}: no SPARQL reads it")
    if info.is_update:
        raise QueryRefused("SPARQL Update is not allowed: this endpoint is read-only")
    allowed = set(allowlist)
    for endpoint in info.services:
        if endpoint is None:
            raise QueryRefused("SERVICE with a variable endpoint is not allowed")
        if endpoint == "":
            raise QueryRefused("SERVICE written against the next word (SERVICE:x, "
                               "SERVICESILENT) is not allowed; a prefix may not be named "
                               "service")
        if endpoint not in allowed:
            raise QueryRefused(
                f"SERVICE <{endpoint}> is not allowed: this service calls only the endpoints "
                f"named in SERVICE_ALLOWLIST ({', '.join(sorted(allowed)) or 'none'})")
