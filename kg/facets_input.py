"""The facets builder's findings read from the parsed input files, while the store loads them.

Reading 10^5 findings back out of the loaded store costs the facets build most of its time
(every term is looked up in the store's id-to-string table when it is decoded); parsing the
same file costs a quarter of that, and needs no loaded store. :func:`build_facets_from_input`
runs :func:`exokg.facets_build.write_facets` over :class:`InputFindings` -- the same
builder, fed the same triples -- beside the store's bulk load, and waits for the loaded
store only for what is not about a finding (node descriptions, incoming links, counts).

What the store does to its input, done here the same way, in bounded memory:

* **set semantics**: the triples are written as N-Triples (pyoxigraph's serialiser, one
  form per term), cut into sorted runs of at most :data:`RUN_LINES` lines, and merged with
  repeats dropped: a triple given twice counts once, and a subject's triples are together
  wherever the file had them;
* **the default graph only** of N-Quads and TriG;
* **blank nodes**: a finding is an IRI (as the store's builder reads it), and one that
  names a blank node is not read here (the store renames blank nodes on load, and the
  artifact holds their names; no other blank node is read);
* **values the store rewrites**: among what the builder reads, any literal of an XSD type
  other than ``xsd:string`` and canonical ``xsd:integer`` or ``xsd:boolean`` (Oxigraph
  rewrites values to their canonical form and derived types such as ``xsd:int`` to their
  base type).

Either of the last two raises :class:`InputUnfit`, and the build reads the findings from
the store instead (logged).
"""

from __future__ import annotations

import heapq
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox
from exokg.describe import OBJECT_FACT_PREDICATES
from exokg.errors import ConfigError
from exokg.facets_build import HUB_MIN, build_facets, write_facets
from exokg.vocab import EXO, RDF

__all__ = ["RUN_LINES", "InputFindings", "InputUnfit", "build_facets_from_input"]

logger = logging.getLogger(__name__)

#: Lines per sorted run (memory: about 150 bytes a line).
RUN_LINES = 1_000_000

#: Findings per batch handed to the builder.
_BATCH = 500

_FINDING = f" <{RDF.type}> <{EXO.Finding}> .\n".encode()
#: The facts of a named object the builder reads.
_FACTS = tuple(f"<{p}> ".encode() for p in OBJECT_FACT_PREDICATES)
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Literals typed in the XSD namespace (lexical form, type name). Oxigraph rewrites many
#: of them on load: a value's canonical form ("01" -> "1"), and derived types to their base
#: (xsd:int, long, unsignedByte ... -> xsd:integer; dateTimeStamp -> dateTime), so only
#: those known to come back as written are taken from the input (:func:`_check_values`).
_XSD_TYPED = re.compile(rb'"((?:[^"\\]|\\.)*)"\^\^<' + re.escape(_XSD.encode()) + rb"([^>]*)>")
_AS_WRITTEN = {b"integer": re.compile(rb"0|-?[1-9][0-9]*"),
               b"boolean": re.compile(rb"true|false")}


class InputUnfit(Exception):
    """The input holds what the store would not give back as written (see the module)."""


def _check_values(text: bytes) -> None:
    """Raise :class:`InputUnfit` for a value in ``text`` that the store might rewrite.

    >>> _check_values(b'<urn:s> <urn:p> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    >>> _check_values(b'<urn:s> <urn:p> "12"^^<http://www.w3.org/2001/XMLSchema#int> .')
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InputUnfit: a finding's value '12' of type xsd:int (the store rewrites it)
    """
    for lexical, datatype in _XSD_TYPED.findall(text):
        if datatype == b"string":  # kept as written
            continue
        form = _AS_WRITTEN.get(datatype)
        if form is None or not form.fullmatch(lexical):
            raise InputUnfit(f"a finding's value {lexical.decode(errors='replace')!r} of type "
                             f"xsd:{datatype.decode()} (the store rewrites it)")


class _Runs:
    """A file-like sink for pyoxigraph's serialiser: lines cut into sorted runs on disk."""

    def __init__(self, folder: Path, name: str, alive: Callable[[], None]) -> None:
        self.folder, self.name, self.alive = folder, name, alive
        self.lines: list[bytes] = []
        self.tail = b""
        self.paths: list[Path] = []

    def write(self, data: bytes) -> int:
        lines = (self.tail + data).split(b"\n")
        self.tail = lines.pop()
        self.lines += lines
        if len(self.lines) >= RUN_LINES:
            self.flush_run()
        return len(data)

    def flush(self) -> None:
        """(The serialiser's; runs are cut by :meth:`flush_run`.)"""

    def flush_run(self) -> None:
        if not self.lines:
            return
        self.alive()
        lines = sorted({line + b"\n" for line in self.lines})
        path = self.folder / f"{self.name}-{len(self.paths)}.nt"
        with path.open("wb") as out:
            out.writelines(lines)
        self.paths.append(path)
        self.lines = []


def _sorted_input(files: Sequence[Path], folder: Path, alive: Callable[[], None]) -> Path:
    """The default graph of ``files`` as N-Triples, sorted, each triple once."""
    from exokg.store import rdf_format

    runs: list[Path] = []
    for number, path in enumerate(files):
        fmt = rdf_format(path)
        quads: Iterable[Any] = ox.parse(path=str(path), format=fmt)
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            quads = (q.triple for q in quads if isinstance(q.graph_name, ox.DefaultGraph))
        sink = _Runs(folder, f"run{number}", alive)
        try:
            ox.serialize(quads, cast(IO[bytes], sink), ox.RdfFormat.N_TRIPLES)
        except (SyntaxError, ValueError) as err:
            raise ConfigError(f"{path}: not valid RDF: {err}") from None
        sink.flush_run()
        runs += sink.paths
    merged = folder / "input.nt"
    handles = [p.open("rb") for p in runs]
    try:
        with merged.open("wb") as out:
            last = b""
            for number, line in enumerate(heapq.merge(*handles)):
                if line != last:
                    out.write(line)
                    last = line
                if not number % RUN_LINES:
                    alive()
    finally:
        for h in handles:
            h.close()
    for p in runs:
        p.unlink()
    return merged


def _subjects(path: Path) -> Iterator[tuple[bytes, list[bytes]]]:
    """The file's lines grouped by subject: ``(subject, lines)``."""
    key = b""
    group: list[bytes] = []
    with path.open("rb") as lines:
        for line in lines:
            subject = line[:line.index(b" ")]
            if subject != key:
                if group:
                    yield key, group
                key, group = subject, []
            group.append(line)
    if group:
        yield key, group


class InputFindings:
    """The findings of the input files (:class:`exokg.facets_build.Findings`), read from
    a sorted copy in ``folder`` (removed by :meth:`close`)."""

    def __init__(self, files: Sequence[Path], folder: Path,
                 alive: Callable[[], None] = lambda: None) -> None:
        self.files, self.folder, self.alive = [Path(f) for f in files], folder, alive
        self.folder.mkdir()  # not its parents: a build given up removed them
        self.sorted: Path | None = None
        self.facts = sqlite3.connect(folder / "facts.sqlite", check_same_thread=False)
        self.facts.execute("PRAGMA journal_mode=OFF")
        self.facts.execute("PRAGMA synchronous=OFF")
        self.facts.execute("CREATE TABLE fact (subject BLOB PRIMARY KEY, lines BLOB) "
                           "WITHOUT ROWID")

    def iris(self) -> Iterator[str]:
        started = time.monotonic()
        self.sorted = _sorted_input(self.files, self.folder, self.alive)
        logger.info("facets input sorted in %.1f s", time.monotonic() - started)
        facts: list[tuple[bytes, bytes]] = []
        for subject, lines in _subjects(self.sorted):
            mine = [line for line in lines if line[len(subject) + 1:].startswith(_FACTS)]
            if mine:
                facts.append((subject, b"".join(mine)))
            if subject.startswith(b"<") and any(line.endswith(_FINDING) for line in lines):
                yield subject[1:-1].decode()
            if len(facts) >= 10_000:
                self.alive()
                self.facts.executemany("INSERT INTO fact VALUES (?, ?)", facts)
                facts.clear()
        self.facts.executemany("INSERT INTO fact VALUES (?, ?)", facts)

    def batches(self, db: sqlite3.Connection,
                numbers: int) -> Iterator[tuple[list[tuple[int, str]], list[ox.Triple]]]:
        assert self.sorted is not None, "iris() first"
        db.execute("CREATE TABLE s.number (iri TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID")
        db.execute("INSERT INTO s.number SELECT iri, id FROM finding")
        batch: list[tuple[bytes, list[bytes]]] = []
        for subject, lines in _subjects(self.sorted):
            if subject.startswith(b"<") and any(line.endswith(_FINDING) for line in lines):
                batch.append((subject, lines))
                if len(batch) == _BATCH:
                    yield self._batch(db, batch)
                    batch = []
        if batch:
            yield self._batch(db, batch)

    def _batch(self, db: sqlite3.Connection, batch: list[tuple[bytes, list[bytes]]]
               ) -> tuple[list[tuple[int, str]], list[ox.Triple]]:
        self.alive()
        iris = [subject[1:-1].decode() for subject, _ in batch]
        marks = ",".join("?" * len(iris))
        numbers = dict(db.execute(f"SELECT iri, id FROM s.number WHERE iri IN ({marks})", iris))
        objects: set[bytes] = set()
        text: list[bytes] = []
        for subject, lines in batch:
            text += lines
            for line in lines:
                obj = line.split(b" ", 2)[2]  # a subject and a predicate hold no space
                if obj.startswith(b"<"):
                    objects.add(obj[:-3])
                elif obj.startswith(b"_:"):
                    raise InputUnfit(f"the finding {subject.decode()} names a blank node "
                                     "(the store renames them)")
        names = sorted(objects)
        for start in range(0, len(names), _BATCH):
            chunk = names[start:start + _BATCH]
            text += [lines for (lines,) in self.facts.execute(
                f"SELECT lines FROM fact WHERE subject IN ({','.join('?' * len(chunk))})",
                chunk)]
        data = b"".join(text)
        _check_values(data)  # what the builder reads: the findings' triples and facts
        triples = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        return sorted((numbers[iri], iri) for iri in iris), triples

    def close(self) -> None:
        self.facts.close()
        for path in self.folder.glob("*"):
            path.unlink()
        self.folder.rmdir()


def build_facets_from_input(files: Sequence[Path], folder: Path, loaded: Callable[[], Any],
                            alive: Callable[[], None] = lambda: None, *,
                            hub_min: int = HUB_MIN) -> None:
    """The facets artifact of the store being loaded from ``files``, into ``folder``:
    the findings read from the files (:class:`InputFindings`), the rest from the store
    that ``loaded()`` gives once loaded; from the store alone when the input is unfit
    (:class:`InputUnfit`). ``alive()`` raises when the build was given up."""
    folder = Path(folder)
    findings = InputFindings(files, folder.parent / (folder.name + ".input"), alive)
    try:
        write_facets(folder, findings, loaded, hub_min=hub_min, alive=alive)
        return
    except InputUnfit as why:
        logger.info("facets read from the store: %s", why)
    finally:
        findings.close()
    build_facets(loaded(), folder, hub_min=hub_min)

