"""The projection's node and edge rows, read from the store in one streamed scan.

The same nodes and edges as :func:`exokg.network.project` gives for the whole graph
(the rules and attributes are that module's), without a networkx graph of the whole
store and without holding the graph in memory: the store's N-Triples dump streams
through a query executor (:func:`exokg.sparql.export.dump`; each subject's triples come
together, in the store's SPO order, as they do from Oxigraph server; a remote engine that
sends them apart has them sorted by subject first, through a table of lines on disk:
a second read), each subject becomes one row of a temporary
SQLite file beside the edges it starts, and the rows are read back from that file,
sorted (nodes by IRI, edges by source, target and key, as the writers of
:mod:`exokg.io` sort them). The file is deleted when the rows are closed.

A cancellation token (the caller's: a request whose client hung up) stops all of it:
the dump's executor, read on a thread of its own, is given the token itself (context
variables do not cross threads), and the spool and each pass over the rows check it.

One scan of the store, as fast as its dump, whatever the number of passes a writer
makes (GraphML, GEXF and CX2 read the rows twice). A SPARQL ``ORDER BY ?s`` over the
whole store, or ``FILTER NOT EXISTS`` per triple, runs ten times slower at 10^5
findings: see benchmarks/RESULTS-export.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import pickle
import queue
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import networkx as nx
import pyoxigraph as ox
from exokg.chunks import close_chunks
from exokg.curie import external_curie, local_name
from exokg.errors import TooLargeToDraw
from exokg.io._rows import Edge, Node, Rows
from exokg.labels import preferred_label
from exokg.network import (
    FINDING,
    MATCH_PREDICATES,
    SCHEMA_NAMESPACES,
    XREF,
    compress,
    is_edge_predicate,
    node_attributes,
)
from exokg.rdf_terms import rdflib_literal
from exokg.sparql.cancel import CancelToken, current_token
from exokg.vocab import EXO, RDF, RDFS, SKOS

if TYPE_CHECKING:
    from exokg.sparql.service import SparqlService

__all__ = ["DRAW_MAX_NODES", "store_graph", "store_rows", "too_large_to_draw"]

logger = logging.getLogger(__name__)

#: The largest whole graph the drawing formats (DOT, SVG) lay out.
DRAW_MAX_NODES = 2000

_TYPE, _LABEL, _ALT_LABEL, _EXO = str(RDF.type), str(RDFS.label), str(SKOS.altLabel), str(EXO)

_SCHEMA = """
CREATE TABLE subjects (iri TEXT PRIMARY KEY, typed INTEGER, excluded INTEGER, label TEXT,
                       row BLOB) WITHOUT ROWID;
CREATE TABLE edges (s TEXT, p TEXT, o TEXT);
"""
#: Nodes: typed subjects kept, and every untyped IRI at either end of a kept edge.
_NODES = """
SELECT iri, row FROM subjects WHERE typed AND NOT excluded
UNION
SELECT e.o, s.row FROM edges e LEFT JOIN subjects s ON s.iri = e.o
 WHERE s.iri IS NULL OR NOT s.typed
UNION
SELECT e.s, s.row FROM edges e JOIN subjects s ON s.iri = e.s WHERE NOT s.typed
ORDER BY 1
"""
#: Edges from kept subjects (the only ones stored) to any end that is not excluded.
_EDGES = """
SELECT e.s, e.p, e.o, ls.label, lo.label FROM edges e
  JOIN subjects ls ON ls.iri = e.s LEFT JOIN subjects lo ON lo.iri = e.o
 WHERE lo.iri IS NULL OR NOT lo.excluded
 ORDER BY e.s, e.o, e.p
"""


def _python(term: ox.Literal) -> Any:
    """A literal as rdflib's ``toPython`` gives it (what the projection holds)."""
    if term.language:
        return term.value
    return rdflib_literal(term.value, datatype=term.datatype.value).toPython()


def _triples(chunks: Iterator[bytes], *,
             read_ahead: bool = True) -> Generator[ox.Quad, None, None]:
    """The triples of N-Triples ``chunks``, parsed as they come (``read_ahead``: the
    chunks are pulled by a thread, which only a store's dump may be: not a generator
    bound to this thread's SQLite); the chunks are closed after (a dump's stream hands
    its executor or its remote query slot back on close)."""
    from exokg.sparql.export import ChunkReader

    ahead = _Prefetch(chunks) if read_ahead else None
    try:
        yield from ox.parse(io.BufferedReader(ChunkReader(ahead or chunks),
                                              buffer_size=1 << 16), ox.RdfFormat.N_TRIPLES)
    finally:
        if ahead is not None:
            ahead.stop()  # its thread closes the chunks: a generator, only where it runs
        else:
            close_chunks(chunks)


class _Subject:
    """The triples of one subject, sorted out as :func:`exokg.network.project` does."""

    def __init__(self, iri: str) -> None:
        self.iri = iri
        self.types: set[str] = set()
        self.label: str | None = None
        self.alt: list[str] = []
        self.xrefs: list[str] = []
        self.literals: dict[str, list] = defaultdict(list)
        self.edges: list[tuple[str, str]] = []

    def add(self, p: str, o: Any) -> None:
        if isinstance(o, ox.Literal):
            if p == _LABEL:  # of several, the least, as exokg.network.project_triples
                self.label = o.value if self.label is None else \
                    preferred_label((self.label, o.value))
            elif p == _ALT_LABEL:
                self.alt.append(o.value)
            elif p == XREF:
                self.xrefs.append(o.value)
            elif p.startswith(_EXO):
                # converted in close(), only for a kept subject: most literals are a
                # Finding's, and the conversion (rdflib's) was a sixth of the export
                self.literals[p[len(_EXO):]].append(o)
        elif not isinstance(o, ox.NamedNode):
            return  # a blank node or a quoted triple: no type, edge or xref
        elif p == _TYPE:
            self.types.add(o.value)
        elif p in MATCH_PREDICATES:
            ext = external_curie(o.value)
            if ext:
                self.xrefs.append(ext)
        elif is_edge_predicate(p):
            self.edges.append((p, o.value))

    def close(self, findings: bool, edges: list[tuple[str, str, str]]) -> tuple:
        """The subject's row of the spool; its edges (if it is kept) go to ``edges``."""
        s = self.iri
        excluded = any(t.startswith(SCHEMA_NAMESPACES) for t in self.types) or (
            not findings and FINDING in self.types)
        if excluded:
            return s, bool(self.types), True, None, None
        edges += ((s, compress(p), o) for p, o in self.edges)
        labels = {s: self.label} if self.label is not None else {}
        alt = {s: self.alt} if self.alt else {}
        xrefs = {s: self.xrefs} if self.xrefs else {}
        literals = {name: [_python(o) for o in values] for name, values in self.literals.items()}
        data = node_attributes(s, self.types, labels, alt, xrefs, {s: literals})
        return (s, bool(self.types), False, data["label"],
                pickle.dumps(data, pickle.HIGHEST_PROTOCOL))


_TYPE, _LABEL, _ALT_LABEL, _EXO = str(RDF.type), str(RDFS.label), str(SKOS.altLabel), str(EXO)


class _Prefetch:
    """The dump's chunks read ahead by a thread, so that the executor writes the dump
    while this process parses it (through a pipe alone, the executor waited for the
    parser: the two ran one after the other on a machine with cores to spare).

    At most ``depth`` chunks (64 KiB each) are held; an error of the reader is raised
    where the chunks are consumed. The thread closes the stream as it ends (at its end,
    or once :meth:`stop`, the consumer's ``finally``, tells it to): a generator can be
    closed only by the thread that runs it.
    """

    _END = object()

    def __init__(self, chunks: Iterator[bytes], depth: int = 256) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        # the caller's context too: whatever the chunks look up in it (a cancellation
        # token) is found on the thread
        self._thread = threading.Thread(target=contextvars.copy_context().run,
                                        args=(self._run, chunks),
                                        name="exokg-export-prefetch", daemon=True)
        self._thread.start()

    def _run(self, chunks: Iterator[bytes]) -> None:
        item: Any = self._END
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            item = err
        finally:
            # here, not by the consumer: closing a generator another thread runs raised
            # "generator already executing" over the consumer's own error (a Ctrl-C)
            try:
                close_chunks(chunks)
            except Exception as err:  # noqa: BLE001 - on a thread: said, not raised
                logger.warning("closing the dump's stream failed: %s", err)
        self._put(item)

    def _put(self, item: Any) -> bool:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)  # later reads end too
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        self._stopped.set()
        # a reader waiting on the executor wakes at its next frame and closes the
        # stream; one stuck longer does so as it wakes
        self._thread.join(timeout=1.0)


class _Spool:
    """The projection's rows of one store scan, in a temporary SQLite file."""

    def __init__(self, service: SparqlService, *, findings: bool,
                 cancel: CancelToken | None) -> None:
        self.cancel = cancel or CancelToken()  # never fired: no caller to give up
        # SQLite's own temporary database: its file is unlinked as soon as it is opened,
        # so a process killed mid-export (-9, OOM) leaves nothing behind in TMPDIR
        self.db = sqlite3.connect("")
        try:
            # on disk even where SQLite was built to keep temporary data in memory
            self.db.executescript("PRAGMA temp_store=FILE; PRAGMA journal_mode=OFF; "
                                  "PRAGMA synchronous=OFF;"
                                  + _SCHEMA)
            self._fill(service, findings)
        except BaseException:
            self.close()
            raise

    def _fill(self, service: SparqlService, findings: bool) -> None:
        from exokg.sparql.export import dump

        try:
            self._scan(dump(service, "application/n-triples", cancel=self.cancel), findings)
        except sqlite3.IntegrityError:
            # a subject's triples came apart: a remote engine other than Oxigraph sends
            # them in its own order. Sort them on disk (a second read), then scan again.
            logger.info("the store's dump does not keep each subject's triples together: "
                        "sorting them first")
            self.db.executescript("DELETE FROM subjects; DELETE FROM edges;")
            self._scan(self._sorted(dump(service, "application/n-triples",
                                         cancel=self.cancel)), findings, read_ahead=False)
        self.db.execute("CREATE INDEX edges_order ON edges (s, o, p)")
        self.db.commit()

    def _sorted(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The N-Triples of ``chunks`` again, sorted by subject through a table of lines."""
        self.db.execute("CREATE TABLE IF NOT EXISTS lines (s TEXT, line TEXT)")
        batch: list[tuple[str, str]] = []
        for triple in _triples(chunks):
            batch.append((str(triple.subject), f"{triple} .\n"))
            if len(batch) >= 10_000:
                self.cancel.check()
                self.db.executemany("INSERT INTO lines VALUES (?, ?)", batch)
                batch.clear()
        self.db.executemany("INSERT INTO lines VALUES (?, ?)", batch)
        held: list[str] = []
        for (line,) in self.db.execute("SELECT line FROM lines ORDER BY s"):
            held.append(line)
            if len(held) >= 1000:
                self.cancel.check()
                yield "".join(held).encode()
                held.clear()
        yield "".join(held).encode()

    def _scan(self, chunks: Iterator[bytes], findings: bool, *,
              read_ahead: bool = True) -> None:
        """Each subject of the N-Triples ``chunks`` (its triples together) to a row."""
        subjects: list[tuple] = []
        edges: list[tuple[str, str, str]] = []
        current: _Subject | None = None
        # closed on the way out, even by an IntegrityError: the dump's stream must give
        # back its query slot before _fill asks for the dump again
        with contextlib.closing(_triples(chunks, read_ahead=read_ahead)) as triples:
            for triple in triples:
                subject = triple.subject
                if not isinstance(subject, ox.NamedNode):
                    continue
                if current is None or current.iri != subject.value:
                    if current is not None:
                        subjects.append(current.close(findings, edges))
                        if len(subjects) >= 1000:
                            self.cancel.check()  # the parser may be far behind the dump
                            self._write(subjects, edges)
                    current = _Subject(subject.value)
                current.add(triple.predicate.value, triple.object)
        if current is not None:
            subjects.append(current.close(findings, edges))
        self._write(subjects, edges)

    def _write(self, subjects: list[tuple], edges: list[tuple[str, str, str]]) -> None:
        # a subject seen twice (IntegrityError) means the dump did not give its triples
        # together: _fill sorts them then
        self.db.executemany("INSERT INTO subjects VALUES (?, ?, ?, ?, ?)", subjects)
        self.db.executemany("INSERT INTO edges VALUES (?, ?, ?)", edges)
        subjects.clear()
        edges.clear()

    def nodes(self) -> Iterator[Node]:
        check = self.cancel.check
        for n, (iri, row) in enumerate(self.db.execute(_NODES)):
            if not n % 1000:
                check()  # a writer's pass over the rows comes before its first byte
            yield iri, (pickle.loads(row) if row is not None
                        else node_attributes(iri, (), {}, {}, {}, {}))

    def edges(self) -> Iterator[Edge]:
        check = self.cancel.check
        for n, (u, key, v, u_label, v_label) in enumerate(self.db.execute(_EDGES)):
            if not n % 1000:
                check()
            yield u, v, key, {"predicate": key, "_source_label": u_label,
                              "_target_label": v_label or local_name(v)}

    def close(self) -> None:
        self.db.close()


@contextlib.contextmanager
def store_rows(service: SparqlService, *, findings: bool = False,
               cancel: CancelToken | None = None) -> Iterator[tuple[Rows, Rows]]:
    """The whole graph's node and edge rows (re-iterable, sorted), read from the store.

    A context manager: the rows are valid inside it, and the temporary file is gone
    after it.

    Parameters
    ----------
    findings
        Findings as nodes, with their edges (as :func:`exokg.network.project`).
    cancel
        stops the scan and the passes over the rows when fired (default: the token
        bound to the caller's context).

    Raises
    ------
    QueryCancelled
        when ``cancel`` fires (in the scan, or in a pass over the rows).
    """
    spool = _Spool(service, findings=findings, cancel=cancel or current_token())
    try:
        yield Rows(spool.nodes), Rows(spool.edges)
    finally:
        spool.close()


def too_large_to_draw(max_nodes: int = DRAW_MAX_NODES) -> TooLargeToDraw:
    """The refusal of a whole graph past the drawing formats' cap (422).

    >>> too_large_to_draw(3).status
    422
    """
    return TooLargeToDraw(
        f"the whole graph has more than {max_nodes} nodes, too many to draw as DOT or SVG; "
        "export a neighbourhood (node=, depth=) or a network format (graphml, gexf, "
        "cytoscape, cx2, csv, kgx)")


def store_graph(service: SparqlService, *, findings: bool = False,
                max_nodes: int | None = None,
                cancel: CancelToken | None = None) -> nx.MultiDiGraph:
    """The whole graph as networkx, for the drawing formats only: refused above
    ``max_nodes`` (default: :data:`DRAW_MAX_NODES`).

    Raises
    ------
    TooLargeToDraw
        when the graph has more than ``max_nodes`` nodes.
    """
    if max_nodes is None:  # read now, as the HEAD of a drawing reads it
        max_nodes = DRAW_MAX_NODES
    G = nx.MultiDiGraph(name="ExoKG", findings=findings)
    with store_rows(service, findings=findings, cancel=cancel) as (nodes, edges):
        for node, data in nodes:
            if G.number_of_nodes() >= max_nodes:
                raise too_large_to_draw(max_nodes)
            G.add_node(node, **data)
        for u, v, key, data in edges:
            G.add_edge(u, v, key=key, **{k: x for k, x in data.items()
                                         if not k.startswith("_")})
    return G
