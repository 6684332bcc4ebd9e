"""The entity declarations of an RDF/XML input file, refused when they could expand
without bound.

Oxigraph's RDF/XML parser expands the internal entities a file declares; entities
that refer to entities ("billion laughs": 714 bytes that expand to gigabytes) took a
build past 4 GB in seconds. Ontologies do declare entities, one per namespace
(``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``), so those are kept: every
``<!ENTITY`` declaration anywhere in the file (a ``DOCTYPE`` may hide behind comments,
padding or a second ``DOCTYPE``, and the parser honours each) is refused when it is a
parameter entity, refers to a general entity, refers outside the file (``SYSTEM``,
``PUBLIC``), or is longer than :data:`VALUE_MAX`; and the whole file is refused when its
references would expand to more than :data:`EXPANSION_MAX` bytes.

>>> import tempfile
>>> from pathlib import Path
>>> ok = b'<!DOCTYPE rdf:RDF [<!ENTITY ex "http://example.org/%7E">]><rdf:RDF/>'
>>> bomb = b'<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>'
>>> with tempfile.TemporaryDirectory() as tmp:
...     (Path(tmp) / "ok.rdf").write_bytes(ok) and check_entities(Path(tmp) / "ok.rdf")
...     (Path(tmp) / "b.rdf").write_bytes(bomb) and check_entities(Path(tmp) / "b.rdf")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
exokg.errors.ConfigError: ...b.rdf: the XML entity 'b' refers to another entity ...
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from exokg.errors import ConfigError

__all__ = ["EXPANSION_MAX", "VALUE_MAX", "check_entities"]

#: The longest entity value kept (a namespace IRI is well under it).
VALUE_MAX = 4096
#: The most bytes a file's entity references may expand to.
EXPANSION_MAX = 64 << 20

_DECLARED = b"<!ENTITY"
#: A whole declaration: its name, then a quoted value or anything up to ``>``.
_ENTITY = re.compile(rb"""<!ENTITY\s+(%\s*)?([^\s"'>%]+)\s+("[^"]*"|'[^']*'|[^>]*)\s*>""")
#: A general entity reference (``&name;``); character references (``&#38;``) are not.
_REFERENCE = re.compile(rb"&[^#\s;&]+;")
_CHUNK = 1 << 20
#: Bytes of a declaration read past its start at most: a longer one is refused.
_DECLARATION_MAX = VALUE_MAX + 1024


def _chunks(path: Path, keep: int) -> Iterator[tuple[bytes, int]]:
    """The file as overlapping windows ``(text, cut)``: what starts before ``cut`` is
    this window's, what starts after is the next's (each window holds ``keep`` bytes
    more, so that what starts before ``cut`` ends inside it)."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            text = tail + chunk
            cut = max(len(text) - keep, 0)
            yield text, cut
            tail = text[cut:]
    yield tail, len(tail)


def _declarations(path: Path) -> dict[bytes, int]:
    """Every entity the file declares and the length of its value, checked."""
    entities: dict[bytes, int] = {}
    for text, cut in _chunks(path, _DECLARATION_MAX):
        start = text.find(_DECLARED)
        while 0 <= start < cut:
            declared = _ENTITY.match(text, start, start + _DECLARATION_MAX)
            if declared is None:
                raise ConfigError(f"{path}: an XML entity declaration this reader does not "
                                  f"read, or longer than {VALUE_MAX} bytes")
            parameter, name, value = declared.groups()
            shown = name.decode(errors="replace")
            if parameter or value[:1] not in (b'"', b"'"):
                raise ConfigError(f"{path}: the XML entity {shown!r} is a parameter entity "
                                  "or refers outside the file (SYSTEM or PUBLIC); not read")
            if _REFERENCE.search(value):
                raise ConfigError(f"{path}: the XML entity {shown!r} refers to another "
                                  "entity (nested entities can expand without bound); "
                                  "declare each value in full")
            if len(value) - 2 > VALUE_MAX:
                raise ConfigError(f"{path}: the XML entity {shown!r} is longer than "
                                  f"{VALUE_MAX} bytes")
            entities[name] = max(entities.get(name, 0), len(value) - 2)
            start = text.find(_DECLARED, declared.end())
    return entities


#: The prolog (a byte order mark, white space, the declaration, processing instructions,
#: comments, a DOCTYPE with its internal subset) and the root element's first character.
_ROOT = re.compile(rb"""(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->
    |<!(?i:DOCTYPE)(?:[^\[>"']|"[^"]*"|'[^']*'
        |\[(?:<!--.*?-->|<\?.*?\?>|"[^"]*"|'[^']*'|[^\]"'])*\])*>)*
    <[A-Za-z_:\x80-\xff]""", re.S | re.X)
#: The most bytes of a prolog read to find the root element (entity values are bounded
#: by :data:`VALUE_MAX`, so a real prolog is far shorter).
_PROLOG_MAX = 16 << 20


def check_entities(path: Path) -> None:
    """Raise :class:`ConfigError`, naming ``path`` and the entity, for entity
    declarations that could expand without bound (see the module); and for a file with no
    root element after its prolog (an empty file, or comments only, was read as an empty
    graph). A UTF-16 file is left to the parser."""
    entities = _declarations(path)
    with path.open("rb") as fh:
        head = fh.read(_PROLOG_MAX)
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and not _ROOT.match(head):
        raise ConfigError(f"{path}: not valid RDF: an XML document has a root element, "
                          "this file has none")
    if entities:
        expansion = sum(n * entities[name] for name, n in _references(path, entities).items())
        if expansion > EXPANSION_MAX:
            raise ConfigError(f"{path}: its XML entities would expand to {expansion} bytes "
                              f"(more than {EXPANSION_MAX})")


def _references(path: Path, entities: dict[bytes, int]) -> dict[bytes, int]:
    """How many times the file refers to each entity (``&name;``)."""
    counts = dict.fromkeys(entities, 0)
    pattern = re.compile(rb"&(" + rb"|".join(map(re.escape, entities)) + rb");")
    for text, cut in _chunks(path, max(map(len, entities)) + 2):
        for found in pattern.finditer(text):
            if found.start() >= cut:  # the next window's
                break
            counts[found.group(1)] += 1
    return counts
