"""A JSON-LD input file, refused when JSON-LD would read less than it holds.

JSON-LD drops, without an error, every term (a key or a ``@type``) its ``@context`` does
not map to an IRI, and every relative ``@id`` when the document has no base. That is the
algorithm as specified, and it suits a web page's markup; for a curator's records
it is a silent loss (``{"label": "miR-21", "sampleSize": 12}`` with only ``label`` mapped
loads one statement of two). And a document that is no JSON object or array
(``"hello"``) is read as an empty graph.

So the file is read once more, inside an outer context whose ``@vocab`` and ``@base`` are
marked (:data:`_UNMAPPED`, :data:`_RELATIVE`): what the file's own context leaves
unmapped then comes out under the marks, and is named, with the line where it first
appears. The file's own ``@vocab`` or ``@base``, where it sets one, comes first, as it
does in the load.

>>> import tempfile
>>> from pathlib import Path
>>> doc = b'''{"@context": {"label": "http://www.w3.org/2000/01/rdf-schema#label"},
...  "@id": "https://w3id.org/exokg/id/content/x", "label": "X", "sampleSize": 12}'''
>>> with tempfile.TemporaryDirectory() as tmp:
...     (Path(tmp) / "x.jsonld").write_bytes(doc) and check_jsonld(Path(tmp) / "x.jsonld")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
exokg.errors.ConfigError: ...x.jsonld: not valid JSON-LD for ExoKG: the term 'sampleSize' ...
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from exokg.errors import RDF_PARSE_ERRORS, ConfigError, rdf_problem

__all__ = ["check_jsonld"]

#: The marked ``@vocab``: a key or type the file does not map expands under it.
_UNMAPPED = "urn:exokg:unmapped:"
#: The marked ``@base``: a relative IRI resolves under it (a host no one may own).
_RELATIVE = "http://relative.exokg.invalid/"

_HEAD = b'{"@context":{"@vocab":"' + _UNMAPPED.encode() + b'","@base":"' + \
    _RELATIVE.encode() + b'"},"@graph":'
_TAIL = b"}"
_BOM = b"\xef\xbb\xbf"
#: What pyoxigraph's parser says of a remote ``@context`` (it fetches none).
_REMOTE_CONTEXT = "LoadDocumentCallback"
#: Names shown in the error at most.
_SHOWN = 5


class _Wrapped(io.RawIOBase):
    """The file's bytes between :data:`_HEAD` and :data:`_TAIL`, read as one stream
    (the file is never held whole)."""

    def __init__(self, path: Path) -> None:
        self._parts: Iterator[bytes] = self._chunks(path)
        self._left = b""

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        yield _HEAD
        with path.open("rb") as fh:
            first = fh.read(1 << 16)
            yield first.removeprefix(_BOM)
            yield from iter(lambda: fh.read(1 << 16), b"")
        yield _TAIL

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._left:
            self._left = next(self._parts, b"")
            if not self._left:
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def check_jsonld(path: Path) -> None:
    """Raise :class:`ConfigError`, naming ``path``, for a JSON-LD file whose top level is
    not an object or an array, or from which JSON-LD would drop keys, types or relative
    IRIs (see the module). A file that does not parse is left to the load, which says
    where."""
    with path.open("rb") as fh:
        head = fh.read(1 << 12).removeprefix(_BOM).lstrip()
    if head and head[:1] not in (b"{", b"["):
        raise ConfigError(f"{path}: not valid JSON-LD: a JSON-LD document is a JSON object "
                          "or an array, this one is not")
    keys: set[str] = set()
    relative: set[str] = set()
    try:
        for quad in ox.parse(_Wrapped(path), format=ox.RdfFormat.JSON_LD):
            for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
                if isinstance(term, ox.NamedNode):
                    if term.value.startswith(_UNMAPPED):
                        keys.add(term.value[len(_UNMAPPED):])
                    elif term.value.startswith(_RELATIVE):
                        relative.add(term.value[len(_RELATIVE):])
    except RDF_PARSE_ERRORS as err:
        if _REMOTE_CONTEXT in str(err):
            raise ConfigError(f"{path}: its @context names a document on the web, which ExoKG "
                              "does not fetch: copy that context into the file") from None
        rdf_problem(err)  # raises again if memory ran out; else the load says where
        return
    problems = []
    if keys:
        problems.append(_named("term", "to no IRI in the @context, and JSON-LD drops such "
                                       "terms: map them in @context, or set @vocab", keys,
                               path))
    if relative:
        problems.append(_named("relative IRI", "against no base, and JSON-LD drops such IRIs: "
                                               "set @base", relative, path))
    if problems:
        raise ConfigError(f"{path}: not valid JSON-LD for ExoKG: " + "; ".join(problems))


def _named(what: str, why: str, names: set[str], path: Path) -> str:
    """``the key 'x' (line 3) ...``: the first few names, each with its first line."""
    shown = sorted(names)[:_SHOWN]
    lines = _first_lines(path, shown)
    listed = ", ".join(f"{n!r}" + (f" (line {lines[n]})" if n in lines else "")
                       for n in shown)
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    if len(names) > 1:
        return f"the {what}s {listed}{more} {'map' if what == 'term' else 'resolve'} {why}"
    return f"the {what} {listed} {'maps' if what == 'term' else 'resolves'} {why}"


def _first_lines(path: Path, names: list[str]) -> dict[str, int]:
    """The line where each name first appears as a JSON string (its key or value)."""
    pattern = re.compile(b'"(' + b"|".join(re.escape(n.encode()) for n in names) + b')"')
    found: dict[str, int] = {}
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            for match in pattern.finditer(line):
                found.setdefault(match.group(1).decode("utf-8", "replace"), number)
            if len(found) == len(names):
                break
    return found
