"""The entity declarations of an RDF/XML input file, refused when they could expand
without bound.

Oxigraph's RDF/XML parser expands the internal entities a file declares in its
``DOCTYPE``; entities that refer to entities ("billion laughs": 714 bytes that expand
to gigabytes) took a build past 4 GB in seconds. Ontologies do declare entities, one
per namespace (``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``), so those are kept:
a declaration is refused when it is a parameter entity, refers to another entity or
to anything outside the file (``SYSTEM``, ``PUBLIC``), or is longer than
:data:`VALUE_MAX`; and the whole file is refused when its references would expand to
more than :data:`EXPANSION_MAX` bytes.

>>> import tempfile
>>> from pathlib import Path
>>> ok = b'<!DOCTYPE rdf:RDF [<!ENTITY ex "http://example.org/">]><rdf:RDF/>'
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
from pathlib import Path

from exokg.errors import ConfigError

__all__ = ["EXPANSION_MAX", "PROLOG_MAX", "VALUE_MAX", "check_entities"]

#: Bytes read for the prolog: a ``DOCTYPE`` must end within them.
PROLOG_MAX = 1 << 20
#: The longest entity value kept (a namespace IRI is well under it).
VALUE_MAX = 4096
#: The most bytes a file's entity references may expand to.
EXPANSION_MAX = 64 << 20

_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_ENTITY = re.compile(rb"""<!ENTITY\s+(%\s+)?([^\s"'>]+)\s+("[^"]*"|'[^']*'|[^>]*)\s*>""")
_DECLARED = re.compile(rb"<!ENTITY\b")
_CHUNK = 1 << 20


def check_entities(path: Path) -> None:
    """Raise :class:`ConfigError`, naming ``path`` and the entity, for entity
    declarations that could expand without bound (see the module)."""
    with path.open("rb") as fh:
        head = fh.read(PROLOG_MAX)
    doctype = _DOCTYPE.search(head)
    if doctype is None:
        return
    subset_end = head.find(b"]>", doctype.end())
    if subset_end < 0:
        subset_end = head.find(b">", doctype.end())
        if subset_end < 0:
            raise ConfigError(f"{path}: an XML DOCTYPE longer than {PROLOG_MAX} bytes")
    subset = head[doctype.end():subset_end]
    entities: dict[bytes, int] = {}
    for declared in _ENTITY.finditer(subset):
        parameter, name, value = declared.groups()
        shown = name.decode(errors="replace")
        if parameter or value[:1] not in (b'"', b"'"):
            raise ConfigError(f"{path}: the XML entity {shown!r} is a parameter entity or "
                              "refers outside the file (SYSTEM or PUBLIC); not read")
        if b"&" in value or b"%" in value:
            raise ConfigError(f"{path}: the XML entity {shown!r} refers to another entity "
                              "(nested entities can expand without bound); declare each "
                              "value in full")
        if len(value) - 2 > VALUE_MAX:
            raise ConfigError(f"{path}: the XML entity {shown!r} is longer than {VALUE_MAX} "
                              "bytes")
        entities[name] = len(value) - 2
    if len(entities) != len(_DECLARED.findall(subset)):
        raise ConfigError(f"{path}: an XML entity declaration this reader does not read")
    if entities:
        expansion = sum(n * entities[name] for name, n in _references(path, entities).items())
        if expansion > EXPANSION_MAX:
            raise ConfigError(f"{path}: its XML entities would expand to {expansion} bytes "
                              f"(more than {EXPANSION_MAX})")


def _references(path: Path, entities: dict[bytes, int]) -> dict[bytes, int]:
    """How many times the file refers to each entity (``&name;``), read in chunks."""
    counts = dict.fromkeys(entities, 0)
    pattern = re.compile(rb"&(" + rb"|".join(map(re.escape, entities)) + rb");")
    longest = max(map(len, entities)) + 2
    tail = b""
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            text = tail + chunk
            # a reference across the chunks' edge is counted with the next chunk
            cut = max(len(text) - longest, 0)
            for found in pattern.finditer(text):
                if found.start() >= cut:
                    break
                counts[found.group(1)] += 1
            tail = text[cut:]
    for found in pattern.finditer(tail):
        counts[found.group(1)] += 1
    return counts
