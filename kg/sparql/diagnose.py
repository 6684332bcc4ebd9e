"""Short, located messages for SPARQL syntax errors.

Oxigraph's parser reports where it stopped and a list of what it expected, which for
the commonest mistake -- a prefix used without its ``PREFIX`` line -- is hundreds of
characters of Unicode ranges. This looks at the query again (with the tokenizer of
:mod:`exokg.sparql.check`) only once the engine has refused it, so it can never refuse
a valid query, and says what is wrong in one line with a line and column.

>>> explain_syntax_error("SELECT * {\\n ?s exo:name ?o }", "error at 2:5: expected ...")
'prefix exo: is not declared (line 2, column 5); add PREFIX exo: <https://w3id.org/exokg/vocab#>'
>>> explain_syntax_error("SELECT * { ?s ?p ?o ", "error at 1:21: expected [_]")
'{ at line 1, column 10 is never closed'
"""

from __future__ import annotations

import difflib
import logging
import re

from exokg.sparql.check import inspect_query, line_column, token_spans
from exokg.vocab import PREFIXES

__all__ = ["KNOWN_PREFIXES", "explain_syntax_error"]

logger = logging.getLogger(__name__)

#: Prefixes suggested for an undeclared one: ExoKG's, then common vocabularies.
KNOWN_PREFIXES: dict[str, str] = {
    **PREFIXES,
    "obo": "http://purl.obolibrary.org/obo/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}

_AT = re.compile(r"error at (\d+):(\d+): ?(.*)", re.S)
_PAIRS = {"(": ")", "{": "}", "[": "]"}
#: What an IRI may not hold (SPARQL's IRIREF), beside the control characters and space.
_NOT_IN_IRI = frozenset('<>"{}|^`\\')
#: What the engine says of an IRI it cannot read (a backslash but an escape is the second).
_BAD_IRI = ("IRI parsing failed", "IRIs are only allowed to contain escape sequences")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def explain_syntax_error(query: str, message: str) -> str:
    """One readable line for the engine's syntax error ``message`` about ``query``."""
    try:
        return _explain(query, message)
    except Exception:  # noqa: BLE001 - a diagnosis must never hide the error itself
        logger.exception("explaining a syntax error failed")
        return f"SPARQL syntax error: {message}"


def _bad_iri(query: str, message: str) -> str | None:
    """Where the IRI the engine could not read starts, and what in it is wrong: an IRI
    with a space is no prefixed name, though its scheme looks like one.

    >>> found = "error at 1:34: expected IRI parsing failed"
    >>> print(_bad_iri("SELECT * { ?s <http://ex.org/a b> ?o }", found))
    ... # doctest: +NORMALIZE_WHITESPACE
    the IRI <http://ex.org/a b> at line 1, column 15 is not valid: it holds a space (write it
    as %20)
    """
    match = _AT.match(message)
    if not match or not any(said in match[3] for said in _BAD_IRI):
        return None
    line, column = int(match[1]), int(match[2])
    lines = query.splitlines()
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    start = text.rfind("<", 0, max(0, column - 1))
    if start < 0:
        return None
    end = text.find(">", start)
    iri = text[start:end + 1] if end > 0 else text[start:start + 60]
    where = f"the IRI {iri} at line {line}, column {start + 1} is not valid"
    # as the engine read it: \\u0020 is a space (a backslash left is one)
    decoded = _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)), iri[1:-1])
    odd = next((c for c in decoded if c in _NOT_IN_IRI or ord(c) <= 0x20), None)
    if odd is None:
        return where
    what = "a space (write it as %20)" if odd == " " else \
        f"{odd!r} (write it percent-encoded, as %{ord(odd):02X})"
    return f"{where}: it holds {what}"


def _explain(query: str, message: str) -> str:
    bad_iri = _bad_iri(query, message)
    if bad_iri is not None:
        return bad_iri
    spans = token_spans(query)
    declared = inspect_query(query).prefixes
    for kind, value, start in spans:
        if kind == "pname" and value.partition(":")[0] not in declared:
            prefix = value.partition(":")[0]
            line, column = line_column(query, start)
            where = f"(line {line}, column {column})"
            if prefix in KNOWN_PREFIXES:
                return (f"prefix {prefix}: is not declared {where}; add PREFIX {prefix}: "
                        f"<{KNOWN_PREFIXES[prefix]}>")
            close = difflib.get_close_matches(prefix, [*declared, *KNOWN_PREFIXES], n=1)
            hint = f" (did you mean {close[0]}:?)" if close else ""
            return (f"prefix {prefix}: is not declared {where}{hint}; declare it with "
                    f"PREFIX {prefix}: <namespace IRI>")
    stack: list[tuple[str, int]] = []
    for kind, value, start in spans:
        if kind != "other":
            continue
        if value in ('"', "'"):
            line, column = line_column(query, start)
            return f"the string starting at line {line}, column {column} is not closed"
        if value in _PAIRS:
            stack.append((value, start))
        elif value in _PAIRS.values():
            line, column = line_column(query, start)
            if not stack:
                return f"{value} at line {line}, column {column} closes nothing"
            opener, at = stack.pop()
            if _PAIRS[opener] != value:
                oline, ocolumn = line_column(query, at)
                return (f"{value} at line {line}, column {column} does not match "
                        f"{opener} at line {oline}, column {ocolumn}")
    if stack:
        opener, at = stack[-1]
        line, column = line_column(query, at)
        return f"{opener} at line {line}, column {column} is never closed"
    match = _AT.match(message)
    if not match:
        return f"SPARQL syntax error: {message}"
    line, column, rest = int(match[1]), int(match[2]), match[3]
    lines = query.splitlines() or [""]
    near = lines[line - 1][max(0, column - 11):column + 10].strip() if line <= len(lines) \
        else ""
    text = f"SPARQL syntax error at line {line}, column {column}"
    if near:
        text += f", near «{near}»"
    if "IRI parsing failed" in rest:
        return text + ": an IRI here is not valid"
    if "\\u{" not in rest and "[_]" not in rest and len(rest) < 80:
        text += f" ({rest})"
    return text
