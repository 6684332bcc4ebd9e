"""A JSON-LD input file, refused when JSON-LD would read less than it holds.

JSON-LD drops, without an error, every term (a key or a ``@type``) its ``@context`` does
not map to an IRI, and every relative ``@id`` when the document has no base. That is the
algorithm as specified, and it suits a web page's markup; for a curator's records it is a
silent loss (``{"label": "miR-21", "sampleSize": 12}`` with only ``label`` mapped loads
one statement of two). And a document that is no JSON object or array (``"hello"``) is
read as an empty graph.

So the file is read twice more: as the load reads it, and inside an outer context whose
``@vocab`` and ``@base`` are marked (:data:`_UNMAPPED`, :data:`_RELATIVE`). Where the
second reading holds more statements than the first, JSON-LD dropped them, and the marks
name what: the terms and relative IRIs, each with the line where it first appears. (A
mark alone is no drop: a ``@type`` the file resolves against its own ``@base`` comes out
marked too, and is read all the same.)

A context that resets what the marks set (``"@context": null``, ``"@base": null``,
``"@vocab": null``, at any depth) would hide what it drops from both readings: in the
marked reading the marks take the reset's place. A base direction (``"@direction"``) is
refused by its line: ExoKG reads RDF 1.1, and JSON-LD drops the direction of a value
without a language without a word (one with a language is refused as the load reads it,
:func:`exokg.rdf_terms.rdf12_problem`).

What this does not see: a key JSON-LD drops for not making an IRI even under the mark
(``"sample size"``: an IRI holds no space). A file past :data:`CHECKED_MAX` is not read
again (the marked reading holds a top-level array whole, several times its size): that
is logged.

>>> import tempfile
>>> from pathlib import Path
>>> doc = b'''{"@context": {"label": "http://www.w3.org/2000/01/rdf-schema#label"},
...  "@id": "https://w3id.org/exokg/id/content/x", "label": "X", "sampleSize": 12}'''
>>> with tempfile.TemporaryDirectory() as tmp:
...     (Path(tmp) / "x.jsonld").write_bytes(doc) and check_jsonld(Path(tmp) / "x.jsonld")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
exokg.errors.ConfigError: ...x.jsonld: not valid JSON-LD for ExoKG: ... the term 'sampleSize' ...
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from exokg.errors import RDF_PARSE_ERRORS, ConfigError, rdf_problem

__all__ = ["CHECKED_MAX", "check_jsonld"]

logger = logging.getLogger(__name__)

#: The largest file read again for what JSON-LD would drop (bytes).
CHECKED_MAX = 32 << 20

#: The marked ``@vocab``: a key or type the file does not map expands under it.
_UNMAPPED = "urn:exokg:unmapped:"
#: The marked ``@base``: a relative IRI resolves under it (a host no one may own).
_RELATIVE = "http://relative.exokg.invalid/"

#: The outer context of the marked reading, and what takes the place of a reset.
_MARKS = {"@vocab": _UNMAPPED, "@base": _RELATIVE}
_HEAD = b'{"@context":' + json.dumps(_MARKS).encode() + b',"@graph":'
#: A base direction given anywhere: a value's, or a context's default.
_DIRECTION = re.compile(rb'"@direction"\s*:\s*"[^"]')
#: The bytes of one chunk kept for the next search (the pattern's span, spaces aside).
_DIRECTION_SPAN = 256
_TAIL = b"}"
_BOM = codecs.BOM_UTF8
_WHITESPACE = b" \t\r\n"
#: What pyoxigraph's parser says of a remote ``@context`` (it fetches none).
_REMOTE_CONTEXT = "LoadDocumentCallback"
#: Names shown in the error at most.
_SHOWN = 5
_CHUNK = 1 << 16


def _marked(path: Path) -> Iterable[bytes]:
    """The marked reading's document, as chunks: the file (read once; it is at most
    :data:`CHECKED_MAX`) wrapped, with the marks in the
    place of each context reset (a ``null`` ``@context``, ``@base`` or ``@vocab``, or a
    ``null`` first in a context array), so that what a reset makes JSON-LD drop is still
    marked. The bytes are rewritten, not parsed and written again (which changed what is
    read: repeated keys, numbers past a double's range); a reset's pattern cannot
    appear inside a JSON string, whose quotes are escaped there.
    """
    return (_HEAD, _unreset(path.read_bytes().removeprefix(_BOM)), _TAIL)


#: A context reset: a null ``@base`` or ``@vocab``, or a null context (alone, or first in
#: an array of contexts).
_RESET = re.compile(rb'"(@base|@vocab)"(\s*:\s*)null\b|"@context"(\s*:\s*(?:\[\s*)?)null\b')


def _unreset(data: bytes) -> bytes:
    """``data`` with the marks in the place of each reset (see :func:`_marked`).

    >>> _unreset(b'{"@context": [null, {"@base": null}], "a": {"@context" : null}}')
    ... # doctest: +NORMALIZE_WHITESPACE
    b'{"@context": [{"@vocab": "urn:exokg:unmapped:",
                    "@base": "http://relative.exokg.invalid/"},
                   {"@base": "http://relative.exokg.invalid/"}],
       "a": {"@context" : {"@vocab": "urn:exokg:unmapped:",
                           "@base": "http://relative.exokg.invalid/"}}}'
    """
    def mark(match: re.Match[bytes]) -> bytes:
        key, sep, context = match.group(1), match.group(2), match.group(3)
        if key is not None:
            return b'"' + key + b'"' + sep + json.dumps(_MARKS[key.decode()]).encode()
        return b'"@context"' + context + json.dumps(_MARKS).encode()
    return _RESET.sub(mark, data)


def _refuse_direction(path: Path) -> None:
    """Refuse a base direction, by its line (see the module); the file is read in chunks
    (a minified file is one line), each searched with the end of the one before."""
    line, tail = 1, b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            window = tail + chunk
            found = _DIRECTION.search(window)
            if found:
                number = line - tail.count(b"\n") + window.count(b"\n", 0, found.start())
                raise ConfigError(
                    f"{path}: a base direction (\"@direction\", line {number}); ExoKG reads "
                    "RDF 1.1 data (no triple terms, no base directions), and JSON-LD drops "
                    "a direction without a language without a word: leave it out")
            line += chunk.count(b"\n")
            tail = window[-_DIRECTION_SPAN:]


def check_jsonld(path: Path) -> None:
    """Raise :class:`ConfigError`, naming ``path``, for a JSON-LD file whose top level is
    not an object or an array, or from which JSON-LD would drop statements (see the
    module). A file that does not parse is left to the load, which says where."""
    first = _first_byte(path)
    if first is not None and first not in b"{[":
        raise ConfigError(f"{path}: not valid JSON-LD: a JSON-LD document is a JSON object "
                          "or an array, this one is not")
    _refuse_direction(path)
    if path.stat().st_size > CHECKED_MAX:
        logger.info("%s: larger than %d MB, not read again for the terms JSON-LD would drop",
                    path, CHECKED_MAX >> 20)
        return
    from exokg.sparql.export import ChunkReader  # (it imports the store, which imports this)

    terms: set[str] = set()
    relative: set[str] = set()
    try:
        loaded = sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.JSON_LD))
        marked = 0
        for quad in ox.parse(io.BufferedReader(ChunkReader(iter(_marked(path)))),
                             format=ox.RdfFormat.JSON_LD):
            marked += 1
            for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
                if isinstance(term, ox.NamedNode):
                    if term.value.startswith(_UNMAPPED):
                        terms.add(term.value[len(_UNMAPPED):])
                    elif term.value.startswith(_RELATIVE):
                        relative.add(term.value[len(_RELATIVE):])
    except RDF_PARSE_ERRORS as err:
        if _REMOTE_CONTEXT in str(err):
            raise ConfigError(f"{path}: its @context names a document on the web, which ExoKG "
                              "does not fetch: copy that context into the file") from None
        rdf_problem(err)  # raises again if memory ran out; else the load says where
        return
    if marked <= loaded:
        return
    problems = []
    if terms:
        problems.append(_named("term", "to no IRI in the @context (map them there, or set "
                                       "@vocab)", terms, path, keys=True))
    if relative:
        problems.append(_named("relative IRI", "against no absolute base (set @base); "
                                               "named as resolved", relative, path))
    dropped = marked - loaded
    raise ConfigError(f"{path}: not valid JSON-LD for ExoKG: JSON-LD would drop {dropped} "
                      f"statement{'s' if dropped > 1 else ''}: " + "; ".join(problems))


def _first_byte(path: Path) -> int | None:
    """The first byte of the file that is not a byte order mark or whitespace."""
    with path.open("rb") as fh:
        chunk = fh.read(_CHUNK).removeprefix(_BOM)
        while chunk:
            rest = chunk.lstrip(_WHITESPACE)
            if rest:
                return rest[0]
            chunk = fh.read(_CHUNK)
    return None


def _named(what: str, why: str, names: set[str], path: Path, *, keys: bool = False) -> str:
    """``the term 'x' (line 3) maps ...``: the first few names, each with its line."""
    shown = sorted(names)[:_SHOWN]
    lines = _first_lines(path, shown, keys=keys)
    listed = ", ".join(f"{n!r}" + (f" (line {lines[n]})" if n in lines else "")
                       for n in shown)
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    verb = "map" if what == "term" else "resolve"
    if len(names) > 1:
        return f"the {what}s {listed}{more} {verb} {why}"
    return f"the {what} {listed} {verb}s {why}"


def _first_lines(path: Path, names: list[str], *, keys: bool) -> dict[str, int]:
    """The line where each name first appears as a JSON key (``"name":``), else, for a
    ``@type``'s value, as a JSON string."""
    alternatives = b"|".join(re.escape(n.encode()) for n in names)
    key = re.compile(b'"(' + alternatives + b')"\\s*:')
    anywhere = re.compile(b'"(' + alternatives + b')"')
    as_key: dict[str, int] = {}
    as_string: dict[str, int] = {}
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            for pattern, found in ((key, as_key), (anywhere, as_string)):
                for match in pattern.finditer(line):
                    found.setdefault(match.group(1).decode("utf-8", "replace"), number)
            if len(as_key) == len(names):
                break
    return {**as_string, **as_key} if keys else as_string
