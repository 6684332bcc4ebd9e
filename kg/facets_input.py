"""The facets builder's findings read from the parsed input files, while the store loads them.

Reading 10^5 findings back out of the loaded store costs the facets build most of its time
(every term is looked up in the store's id-to-string table when it is decoded); parsing the
same file costs a quarter of that, and needs no loaded store. :func:`build_facets_from_input`
runs :func:`exokg.facets_build.write_facets` over :class:`InputFindings` -- the same
builder, fed the same triples -- beside the store's bulk load. The same pass counts the
links into each node from anything but a finding; the build waits for the loaded store
only for the rest of what is not about a finding (node descriptions, counts). When a copy
of the loaded store is served early, its load comes first: only the files' serialisation
runs beside it, in the CPU time it leaves idle, and the sort and the read after it.

What the store does to its input, done here the same way, in bounded memory:

* **set semantics**: the triples are written as N-Triples (pyoxigraph's serialiser, one
  form per term) and sorted on disk by the system's ``sort``, repeats dropped: a triple
  given twice counts once, and a subject's triples are together wherever the file had them;
* **the default graph only** of the syntaxes that hold named graphs (N-Quads, TriG,
  JSON-LD);
* **blank nodes**: each file's own (renamed on parsing, as the store's load does); a
  finding is an IRI (as the store's builder reads it), and one that names a blank node is
  not read here (the artifact would hold the names the store gave them);
* **values the store rewrites**: among what the builder reads, any literal of an XSD type
  other than ``xsd:string`` and canonical ``xsd:integer`` or ``xsd:boolean`` (Oxigraph
  rewrites values to their canonical form and derived types such as ``xsd:int`` to their
  base type).

The pass orders the lines with the system's ``sort`` and picks the findings' types and the
named objects' facts with its ``grep`` (C, over every line; Python reads each subject's
lines once more, for the findings and the incoming links). Either of the last two rules,
or a system without a working ``sort`` or ``grep``, raises :class:`InputUnfit`, and the
build reads the findings from the store instead (logged). RDF 1.2 terms are refused
(:func:`exokg.rdf_terms.rdf12_problem`) as each file is serialised, whatever happens
after: in the file written (:func:`_refuse_rdf12`), or, for the syntaxes that hold named
graphs, in every graph while it is read.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pyoxigraph as ox
from exokg.build_db import build_db
from exokg.child import at_lowest_priority, dies_with_caller
from exokg.describe import OBJECT_FACT_PREDICATES
from exokg.errors import RDF_PARSE_ERRORS, ConfigError, not_valid_rdf
from exokg.facets_build import HUB_MIN, build_facets, write_facets
from exokg.rdf_terms import rdf12_problem
from exokg.vocab import EXO, RDF

__all__ = ["ALIVE_EVERY", "RUN", "SORT_MEMORY", "InputFindings", "InputUnfit",
           "build_facets_from_input"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Triples read between two checks that the build still runs.
ALIVE_EVERY = 1_000_000

#: Triples serialised at a time beside a load that comes first (about 0.1 s of CPU).
RUN = 50_000

#: The memory the input's sort may take (``sort -S``): beside the store's load, or after it
#: while the artifacts build.
SORT_MEMORY = "256M"

#: The scratch file of the facts of named objects and the incoming links.
_FACTS_FILE = "facts.sqlite"

#: Findings per batch handed to the builder.
_BATCH = 500

_FINDING = f" <{RDF.type}> <{EXO.Finding}> .\n".encode()
#: The facts of a named object the builder reads.
_FACTS = tuple(f"<{p}> ".encode() for p in OBJECT_FACT_PREDICATES)
#: What ``grep`` looks for in the sorted input: a finding's type, an object's facts.
_CANDIDATES = (_FINDING.rstrip(b"\n"), *(b" " + fact for fact in _FACTS))
#: What pyoxigraph's N-Triples hold of an RDF 1.2 term, and RDF 1.1's only inside a
#: literal or an IRI: a triple term's ``<<(`` and a base direction's ``@ar--rtl``.
_RDF12_MARKS = (b"<<(", b"--ltr", b"--rtl")
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: The datatype of a literal typed in the XSD namespace (``"^^<xsd:...>``). Oxigraph rewrites
#: many of them on load: a value's canonical form ("01" -> "1"), and derived types to their
#: base (xsd:int, long, unsignedByte ... -> xsd:integer; dateTimeStamp -> dateTime), so
#: only those known to come back as written are taken from the input (:func:`_check_values`).
#: The datatype is searched for, not the literal: a pattern that starts at each quote
#: scanned every literal of the text, and cost the read a third of its time.
_XSD_TYPE = re.compile(rb'"\^\^<' + re.escape(_XSD.encode()) + rb"([^>]*)>")
_AS_WRITTEN = {b"integer": re.compile(rb"0|-?[1-9][0-9]*"),
               b"boolean": re.compile(rb"true|false")}


class InputUnfit(Exception):
    """The input holds what the store would not give back as written (see the module)."""


def _check_values(text: bytes) -> None:
    """Raise :class:`InputUnfit` for a value in ``text`` (N-Triples in pyoxigraph's form)
    that the store might rewrite.

    >>> _check_values(b'<urn:s> <urn:p> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    >>> _check_values(b'<urn:s> <urn:p> "12"^^<http://www.w3.org/2001/XMLSchema#int> .')
    ... # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InputUnfit: a finding's value '12' of type xsd:int (the store rewrites it)
    """
    for typed in _XSD_TYPE.finditer(text):
        datatype, end = typed.group(1), typed.start()
        if datatype == b"string":  # kept as written
            continue
        # a whole number or a boolean holds no quote: its lexical form starts after the
        # last quote before the closing one (an escaped quote there is read as unfit)
        start = text.rfind(b'"', 0, end) + 1
        lexical = text[start:end]
        form = _AS_WRITTEN.get(datatype)
        if form is None or b"\\" in text[start - 2:end] or not form.fullmatch(lexical):
            raise InputUnfit(f"a finding's value {lexical.decode(errors='replace')!r} of type "
                             f"xsd:{datatype.decode()} (the store rewrites it)")


def _checked(triples: Iterable[Any], alive: Callable[[], None], path: Path) -> Iterator[Any]:
    """``triples`` (or quads) of the file ``path``, asking ``alive()`` every
    :data:`ALIVE_EVERY` of them; an RDF 1.2 term is a :class:`~exokg.errors.ConfigError`
    naming it (the pages and most syntaxes here are written by rdflib, which has none)."""
    for number, triple in enumerate(triples):
        if not number % ALIVE_EVERY:
            alive()
        problem = rdf12_problem(triple)
        if problem is not None:
            raise ConfigError(f"{path}: {problem}")
        yield triple


def _errors_when_done(program: subprocess.Popen[bytes], alive: Callable[[], None]) -> bytes:
    """What ``program`` wrote to its standard error, once it ends; ``alive()`` is asked
    every second, and the program killed when it raises."""
    try:
        while True:
            try:
                return program.communicate(timeout=1)[1]
            except subprocess.TimeoutExpired:
                alive()
    except BaseException:
        program.kill()
        raise


def _program(name: str, purpose: str) -> str:
    """The system's program ``name`` (``sort``, ``grep``), or :class:`InputUnfit` (the
    store is read instead)."""
    program = shutil.which(name)
    if program is None:
        raise InputUnfit(f"no {name} program {purpose}")
    return program


def _sort_unique(program: str, paths: Sequence[Path], merged: Path,
                 alive: Callable[[], None]) -> None:
    """``merged``: the lines of ``paths`` in byte order, each once -- by the system's
    ``sort`` (GNU's and BSD's take these options; GNU's sorts on every core), a tenth of
    the time a sort in Python took, in :data:`SORT_MEMORY` (beside the load, or after it when
    the load comes first), spilling to
    ``merged``'s folder. When it fails, the findings are read from the store
    (:class:`InputUnfit`)."""
    env = {**os.environ, "LC_ALL": "C"}  # bytes, not a locale's collation
    command = [program, "-u", "-S", SORT_MEMORY, "-T", str(merged.parent), "-o", str(merged),
               *map(str, paths)]
    with subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          preexec_fn=dies_with_caller()) as sorting:
        err = _errors_when_done(sorting, alive)
    if sorting.returncode:  # a full disk, an unfamiliar sort: the store is read instead
        raise InputUnfit(f"the input's sort failed ({sorting.returncode}): "
                         f"{err.decode(errors='replace').strip()}")


def _grep(path: Path, patterns: Sequence[bytes], alive: Callable[[], None]) -> Iterator[bytes]:
    """The lines of ``path`` that hold one of ``patterns``, in the file's order: the
    system's ``grep`` finds them (a pass in Python over every line cost the read a third
    of its time); the caller checks each (a literal may hold the same words). ``alive()``
    is asked every :data:`ALIVE_EVERY` lines; a missing or failing ``grep`` is
    :class:`InputUnfit`."""
    # -a: every line, never "binary file matches"
    command: list[str | bytes] = [_program("grep", "to search the input"), "-F", "-a"]
    for pattern in patterns:
        command += [b"-e", pattern]
    command.append(str(path))
    env = {**os.environ, "LC_ALL": "C"}  # bytes, not a locale's characters
    with subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, preexec_fn=dies_with_caller()) as grep:
        assert grep.stdout is not None
        try:
            for number, line in enumerate(grep.stdout):
                if not number % ALIVE_EVERY:
                    alive()
                yield line
        except BaseException:
            grep.kill()
            raise
        err = _errors_when_done(grep, alive)
    if grep.returncode not in (0, 1):  # 1: no line matched; < 0: killed
        raise InputUnfit(f"the input's search failed ({grep.returncode}): "
                         f"{err.decode(errors='replace').strip()}")


def _refuse_rdf12(part: Path, source: Path, alive: Callable[[], None]) -> None:
    """A :class:`~exokg.errors.ConfigError` naming the first RDF 1.2 term of ``part`` (a
    file's triples as pyoxigraph writes them) and ``source``, the file it came from.

    The lines that may hold one are found by ``grep`` (:data:`_RDF12_MARKS`), or here
    when it fails or its output is cut short (the refusal holds whatever happens after);
    each is parsed again and judged by :func:`~exokg.rdf_terms.rdf12_problem`. ``alive()``
    is asked every :data:`ALIVE_EVERY` lines.
    """
    def judge(line: bytes) -> None:
        for triple in ox.parse(line, format=ox.RdfFormat.N_TRIPLES):
            problem = rdf12_problem(triple)
            if problem is not None:
                raise ConfigError(f"{source}: {problem}")

    try:
        for line in _grep(part, _RDF12_MARKS, alive):
            try:
                judge(line)
            except RDF_PARSE_ERRORS:  # pyoxigraph wrote it whole: grep died as it wrote
                raise InputUnfit("the search for RDF 1.2 terms was cut short") from None
    except InputUnfit:
        with part.open("rb") as lines:
            for number, line in enumerate(lines):
                if not number % ALIVE_EVERY:
                    alive()
                if any(mark in line for mark in _RDF12_MARKS):
                    judge(line)


def _serialise_run(triples: Iterator[ox.Triple], size: int, out: BinaryIO,
                   alive: Callable[[], None]) -> bool:
    """The next ``size`` of ``triples`` written to ``out`` as N-Triples, all read in this
    thread (which asks ``alive()`` first); False when none was left.

    >>> import io
    >>> triples, out = iter([ox.Triple(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"),
    ...                                ox.Literal(str(n))) for n in range(3)]), io.BytesIO()
    >>> [_serialise_run(triples, 2, out, lambda: None) for _ in range(3)]
    [True, True, False]
    >>> out.getvalue().count(b"\\n")
    3
    """
    alive()
    first = next(triples, None)
    if first is None:
        return False
    # from the parser to the writer in pyoxigraph, no Python between them: a generator
    # that judged each triple here cost the pass a quarter of its time (_refuse_rdf12
    # judges the file written)
    ox.serialize(itertools.chain((first,), itertools.islice(triples, size - 1)), out,
                 ox.RdfFormat.N_TRIPLES)
    return True


def _sorted_input(files: Sequence[Path], folder: Path, alive: Callable[[], None],
                  loading: Callable[[], bool] | None = None,
                  loaded: Callable[[], Any] | None = None) -> Path:
    """The default graph of ``files`` as N-Triples, sorted, each triple once.

    Beside a load that comes first (``loading()`` true while it runs), the files are
    serialised in the CPU time it leaves idle (:func:`exokg.child.at_lowest_priority`),
    :data:`RUN` triples at a time, so that the run under way when the load ends is all
    that stays at the lowest priority: after it, the early copy's queries would keep a
    thread there waiting. The sort then waits for ``loaded()``, and runs at the caller's.
    """
    from exokg.store import rdf_format

    started = time.monotonic()

    def beside_load(func: Callable[..., _T], *args: Any) -> _T:
        if loading is not None and loading():
            alive()  # a build given up stops here, not a million triples later
            return at_lowest_priority(func, *args)
        return func(*args)

    parts: list[Path] = []
    for number, path in enumerate(files):
        fmt = rdf_format(path)
        # each file's blank nodes its own, as the store's load makes them
        quads: Iterator[Any] = ox.parse(path=str(path), format=fmt, rename_blank_nodes=True)
        if fmt.supports_datasets:  # N-Quads, TriG, JSON-LD
            # every graph's terms judged, not only the default graph's that are written
            quads = (q.triple for q in _checked(quads, alive, path)
                     if isinstance(q.graph_name, ox.DefaultGraph))
        parts.append(folder / f"part{number}.nt")
        try:
            with parts[-1].open("wb") as part:
                while beside_load(_serialise_run, quads, RUN, part, alive):
                    pass
        except RDF_PARSE_ERRORS as err:
            raise not_valid_rdf(path, err) from None
        if not fmt.supports_datasets:  # a quad syntax's terms were judged as it was read
            beside_load(_refuse_rdf12, parts[-1], path, alive)
    logger.info("facets input serialised in %.1f s", time.monotonic() - started)
    if loading is not None and loaded is not None:
        loaded()
        logger.info("facets input: the store loaded at %.1f s", time.monotonic() - started)
    merged = folder / "input.nt"
    # after the serialisation: it refuses RDF 1.2 terms (_refuse_rdf12) whatever else happens
    _sort_unique(_program("sort", "to order the input"), parts, merged, alive)
    for p in parts:
        p.unlink()
    return merged


def _links(subject: bytes, lines: list[bytes]) -> Iterator[tuple[str, str]]:
    """``(node, predicate)`` of each of a subject's lines whose object is an IRI."""
    for line in lines:
        predicate, obj = line[len(subject) + 1:].split(b" ", 1)
        if obj.startswith(b"<"):  # b"<iri> .\n" (triple terms are refused: _refuse_rdf12)
            yield obj[1:-4].decode(), predicate[1:-1].decode()


def _subjects(lines: Iterable[bytes]) -> Iterator[tuple[bytes, list[bytes]]]:
    """Sorted N-Triples lines grouped by subject: ``(subject, lines)``.

    >>> lines = [b"<a> <p> 1 .\\n", b"<a> <q> 2 .\\n", b"_:b <p> 3 .\\n"]
    >>> [(s, len(g)) for s, g in _subjects(lines)]
    [(b'<a>', 2), (b'_:b', 1)]
    """
    key = b""
    group: list[bytes] = []
    for line in lines:
        subject = line[:line.index(b" ")]
        if subject != key:
            if group:
                yield key, group
            key, group = subject, []
        group.append(line)
    if group:
        yield key, group


def _is_finding(lines: list[bytes]) -> bool:
    """Whether a subject's lines type it ``exo:Finding``."""
    return any(line.endswith(_FINDING) for line in lines)


class InputFindings:
    """The findings of the input files (:class:`exokg.facets_build.Findings`), read from
    a sorted copy in ``folder`` (removed by :meth:`close`)."""

    def __init__(self, files: Sequence[Path], folder: Path,
                 alive: Callable[[], None] = lambda: None,
                 loading: Callable[[], bool] | None = None,
                 loaded: Callable[[], Any] | None = None) -> None:
        self.files, self.folder, self.alive = [Path(f) for f in files], folder, alive
        #: true while a load that comes first runs, and what waits for it: the input
        #: is serialised beside it, and sorted and read after it (:func:`_sorted_input`)
        self.loading, self.loaded = loading, loaded
        self.folder.mkdir()  # not its parents: a build given up removed them
        self.sorted: Path | None = None
        #: the links into each node from anything but a finding, counted while
        #: :meth:`batches` reads (:attr:`exokg.facets_build.Findings.incoming`)
        self.incoming: Path | None = None
        self.facts = build_db(folder / _FACTS_FILE, check_same_thread=False)
        self.facts.execute("CREATE TABLE fact (subject BLOB PRIMARY KEY, lines BLOB) "
                           "WITHOUT ROWID")
        self.facts.execute("CREATE TABLE link (node TEXT, predicate TEXT)")

    def iris(self) -> Iterator[str]:
        started = time.monotonic()
        self.sorted = _sorted_input(self.files, self.folder, self.alive, self.loading,
                                    self.loaded)
        logger.info("facets input sorted in %.1f s", time.monotonic() - started)
        facts: list[tuple[bytes, bytes]] = []
        for subject, lines in _subjects(_grep(self.sorted, _CANDIDATES, self.alive)):
            mine = [line for line in lines if line[len(subject) + 1:].startswith(_FACTS)]
            if mine:
                facts.append((subject, b"".join(mine)))
                if len(facts) >= 10_000:
                    self._keep("fact", facts)
            # a finding named by a blank node is not read
            if subject.startswith(b"<") and _is_finding(lines):
                yield subject[1:-1].decode()
        self._keep("fact", facts)
        self.facts.commit()

    def _keep(self, table: str, rows: list[tuple[Any, Any]]) -> None:
        """``rows`` into the scratch ``table`` (``fact``, ``link``), then emptied."""
        self.alive()
        self.facts.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
        rows.clear()

    def batches(self, db: sqlite3.Connection,
                numbers: int) -> Iterator[tuple[list[tuple[int, str]], list[ox.Triple]]]:
        assert self.sorted is not None, "iris() first"
        db.execute("CREATE TABLE s.number (iri TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID")
        db.execute("INSERT INTO s.number SELECT iri, id FROM finding")
        batch: list[tuple[bytes, list[bytes]]] = []
        links: list[tuple[str, str]] = []
        with self.sorted.open("rb") as lines:
            for subject, group in _subjects(lines):
                if not _is_finding(group):  # the links into each node from a non-finding
                    links += _links(subject, group)
                    if len(links) >= 10_000:
                        self._keep("link", links)
                elif subject.startswith(b"<"):
                    batch.append((subject, group))
                    if len(batch) == _BATCH:
                        yield self._batch(db, batch)
                        batch = []
        if batch:
            yield self._batch(db, batch)
        self._keep("link", links)
        self.facts.execute("CREATE TABLE incoming AS SELECT node, predicate, COUNT(*) AS count "
                           "FROM link GROUP BY node, predicate")
        self.facts.execute("DROP TABLE link")
        self.facts.commit()
        self.incoming = self.folder / _FACTS_FILE

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
                            hub_min: int = HUB_MIN,
                            loading: Callable[[], bool] | None = None) -> None:
    """The facets artifact of the store being loaded from ``files``, into ``folder``:
    the findings read from the files (:class:`InputFindings`), the rest from the store
    that ``loaded()`` gives once loaded; from the store alone when the input is unfit
    (:class:`InputUnfit`). ``alive()`` raises when the build was given up.

    ``loading``, when given, says whether the store's load still runs, and that it comes
    first (a copy of the loaded store is served early): the input is serialised in the
    CPU time the load leaves idle, and the rest waits for ``loaded()``.
    """
    folder = Path(folder)
    findings = InputFindings(files, folder.parent / (folder.name + ".input"), alive,
                             loading, loaded)
    try:
        write_facets(folder, findings, loaded, hub_min=hub_min, alive=alive)
        return
    except InputUnfit as why:
        logger.info("facets read from the store: %s", why)
    finally:
        findings.close()
    build_facets(loaded(), folder, hub_min=hub_min)

