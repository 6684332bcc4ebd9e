"""A query executor process: opens the store read-only and answers queries on a pipe.

Run as a script (``python _executor.py STORE_PATH [--memory] [--memory-limit BYTES]``) by
:mod:`exokg.sparql.pool`; it imports only pyoxigraph so that it starts in about 0.1 s.
It is killed (SIGKILL) when a query passes its time limit -- the only way to stop
Oxigraph mid-query -- and also stops itself with SIGALRM shortly after the deadline
as a backstop. It exits as soon as its parent (the web worker) is gone, even
mid-query: a watchdog thread checks the parent every 0.5 s.

With ``--memory`` it copies the store into an in-memory Oxigraph store once opened
(about 0.4 KB per triple): queries then run 2-4x faster than over the on-disk store.
The on-disk store stays opened read-only, and the copy is only ever queried.

Protocol. Requests are one JSON line on stdin::

    {"q": query, "solutions": media type or null, "graph": media type or null,
     "cap": rows (0: none), "max_bytes": bytes of an answer cut at ``cap`` (0: none),
     "default": [iri] or null, "named": [iri] or null,
     "timeout": seconds, "base": iri or null, "out_prefixes": {prefix: iri},
     "else": {"solutions": media type or null, "graph": media type or null}}

(``else``: what to answer in instead when the XML asked for cannot hold the answer)

or a dump of the whole store (a whole-graph export; never capped)::

    {"dump": media type, "timeout": seconds, "out_prefixes": {prefix: iri}}

which pyoxigraph's ``Store.dump`` writes straight into ``D`` frames: a triple syntax gets
the default graph, a quad syntax (N-Quads, TriG) the whole dataset. A dump always reads
the on-disk store (also under ``--memory``): its SPO index gives each subject's triples
together, which the network exports rely on.

Replies are frames on stdout: one type byte, a 4-byte big-endian length, a payload.
``R`` ready, ``H`` header (JSON: kind, media_type, truncated), ``D`` data,
``E`` error (JSON: error, message), ``Z`` end (JSON: rows).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, TypeVar, cast

import pyoxigraph as ox

if __package__:  # imported as exokg.sparql._executor (doctests, tools)
    from exokg.sparql.row_cap import csv_chunks, serialize_rows
else:  # run as the executor script: its own folder is on the path, and importing the
    # exokg package would load rdflib and the library (0.27 s and 32 MB more per executor)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -P, PYTHONSAFEPATH
    from row_cap import (  # type: ignore[import-not-found,no-redef]
        csv_chunks,
        serialize_rows,
    )

_CHUNK = 1 << 16
#: Queries run on a thread with this stack: Oxigraph's parser and planner recurse once
#: per nesting level, and a fixed stack (not the main thread's, which is whatever
#: ``ulimit -s`` says) makes exokg.sparql.check.MAX_DEPTH hold everywhere. Pages are
#: only committed as a deep query touches them.
STACK_BYTES = 256 << 20
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# A marker counted once per solution (an upper bound: a literal may contain one too).
_ROW_MARKERS = {"application/sparql-results+json": b'},{"', "application/sparql-results+xml":
                b"<result>", "text/csv": b"\r\n", "text/tab-separated-values": b"\n"}


T = TypeVar("T")


class _TooLarge(Exception):
    """An answer cut at the row cap is held whole here: past ``max_bytes`` it is refused."""


class _CapExceeded(Exception):
    pass


_OUT = bytearray()  # frames not yet written: small answers leave in one write
_DISK: ox.Store | None = None  # the on-disk store, which dumps read (see the protocol)


def _flush_out() -> None:
    view = memoryview(_OUT)
    try:
        while view:
            n = os.write(1, view)
            view = view[n:]
    except BrokenPipeError:
        # the parent closed its end (its worker was killed): no one is left to answer,
        # so exit quietly (not a traceback per executor in the server's log)
        os._exit(0)
    finally:
        view.release()  # else a later _OUT.extend fails: "Existing exports of data"
    _OUT.clear()


def _frame(kind: bytes, payload: bytes = b"") -> None:
    _OUT.extend(kind)
    _OUT.extend(len(payload).to_bytes(4, "big"))
    _OUT.extend(payload)
    if len(_OUT) >= _CHUNK:
        _flush_out()


def _frame_json(kind: bytes, obj: dict) -> None:
    _frame(kind, json.dumps(obj).encode())


#: What XML 1.0 cannot carry in any form: control characters but tab, newline and
#: return (deleted by ``translate`` to find them: ten times a pattern's speed), and
#: U+FFFE, U+FFFF as UTF-8. A literal holding one makes no well-formed XML.
_CONTROLS = bytes(set(range(32)) - set(b"\t\n\r"))
XML_TYPES = {"application/sparql-results+xml", "application/rdf+xml"}


#: An element name with no local part (``<oxprefix:>``, or a query's own prefix): what
#: pyoxigraph's RDF/XML writer makes of a predicate IRI whose end is not an XML name (one
#: ending in ``/``, ``#`` or a digit, say). No XML reader with namespaces reads it. In XML,
#: ``<`` starts only a tag (text and attribute values escape it).
_NAMELESS = re.compile(rb"</?[^\s<>/!?:=\"']+:[\s/>]")


def xml_unfit(media_type: str | None, data: bytes | bytearray) -> bool:
    """Whether ``data``, in ``media_type``, holds what its syntax cannot carry: then the
    answer comes in the request's other acceptable type, or is refused (406), or is cut
    if its header is gone; never sent malformed.

    >>> xml_unfit("application/sparql-results+xml", b"<literal>a" + bytes(1) + b"b</literal>")
    True
    >>> xml_unfit("application/sparql-results+json", bytes(1))  # JSON escapes it
    False
    >>> xml_unfit("application/rdf+xml", b'<oxprefix: xmlns:oxprefix="http://x/1">v</oxprefix:>')
    True
    >>> xml_unfit("application/rdf+xml", b'<rdf:Description rdf:about="http://a/s:">')
    False
    """
    return media_type in XML_TYPES and (
        len(data.translate(None, _CONTROLS)) != len(data)
        or b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data
        or (media_type == "application/rdf+xml" and _NAMELESS.search(data) is not None))


def xml_exact(media_type: str | None, data: bytes) -> bytes:
    """``data`` with each carriage return written as a character reference in the XML
    syntaxes: pyoxigraph (and Oxigraph server) write a literal's ``\\r`` as it is, which
    an XML parser reads as a line feed (``"a\\r\\nb"`` came back ``"a\\nb"``). Their
    XML holds a raw return nowhere else (IRIs cannot, and the layout uses none).

    >>> xml_exact("application/sparql-results+xml", b"<literal>a\\r\\nb</literal>")
    b'<literal>a&#13;\\nb</literal>'
    """
    return data.replace(b"\r", b"&#13;") if media_type in XML_TYPES else data


#: What pyoxigraph says when a syntax's writer cannot carry an RDF 1.2 term.
_RDF12 = "does not support RDF 1.2"


def _refuse_unfit(store: ox.Store, req: dict, kind: str) -> None:
    """Answer in the request's other acceptable format (the query is evaluated again: a
    rare case), or refuse (406) when it has none."""
    other = (req.get("else") or {}).get(kind)
    if other:
        return _run(store, {**req, kind: other, "else": None})
    _refuse_xml(kind)


def _refuse_large(max_bytes: int) -> None:
    """The 422 of an answer past ``max_bytes`` (the pool writes the message)."""
    _frame_json(b"E", {"error": "too_large", "limit": max_bytes})


def _refuse_xml(kind: str | None = None) -> None:
    """The 406 of an answer XML cannot carry (the pool reads ``reason``, not ``kind``)."""
    _frame_json(b"E", {"error": "not_acceptable", "kind": kind, "reason": "xml"})


class _Streamer:
    """A binary sink that sends what pyoxigraph writes as ``D`` frames of ~64 KiB, the
    ``header`` frame with the first of them (so that an answer found unfit in its first
    64 KiB can still be refused whole)."""

    def __init__(self, media_type: str | None, header: dict) -> None:
        self.buf = bytearray()
        self.media_type = media_type
        self.header: dict | None = header  # None once sent

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= _CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if xml_unfit(self.media_type, self.buf):
            global _cut_unfit
            # said as a refusal (406), not a failure, whatever pyoxigraph makes of the
            # error (it may hand it back as an OSError)
            _cut_unfit = True
            raise ValueError("the answer holds characters that XML 1.0 cannot carry; ask "
                             "for it in another syntax")
        if self.header is not None:
            _frame_json(b"H", self.header)
            self.header = None
        if self.buf:
            _frame(b"D", bytes(self.buf))
            self.buf.clear()


def _streamed(store: ox.Store, req: dict, kind: str, media_type: str,
              write: Callable[[_Streamer], object]) -> None:
    """Stream what ``write`` serialises into a :class:`_Streamer`. An answer XML cannot
    carry, found before anything was sent, is refused or comes in the request's other
    acceptable type (:func:`_refuse_unfit`); found later, the stream is cut."""
    streamer = _Streamer(media_type, {"kind": kind, "media_type": media_type,
                                      "truncated": False})
    try:
        write(streamer)
        streamer.flush()
    except (OSError, ValueError):
        global _cut_unfit
        if not (_cut_unfit and streamer.header is not None):
            raise  # a failure, or found past the header: the top level says it
        _cut_unfit = False
        return _refuse_unfit(store, req, kind)
    _frame_json(b"Z", {"rows": None})


class _CountingBuffer:
    """A binary sink that keeps the output and stops once it holds more than ``cap`` rows
    (:class:`_CapExceeded`), or before a write that would take it past ``max_bytes``
    (:class:`_TooLarge`: the rows so far, within the cap, are in any answer), without
    copying that write."""

    def __init__(self, marker: bytes, cap: float, offset: int, max_bytes: int = 0) -> None:
        self.buf = bytearray()
        self.marker, self.cap, self.count = marker, cap, offset
        self.max_bytes = max_bytes

    def write(self, data: bytes) -> int:
        if not isinstance(data, bytes):
            data = bytes(data)
        # a marker across the end of what is held and the start of this write counts once
        reach = len(self.marker) - 1
        tail = bytes(self.buf[-reach:]) if reach and self.buf else b""
        count = self.count + (tail + data[:reach]).count(self.marker) + data.count(self.marker)
        if count > self.cap:
            raise _CapExceeded
        if self.max_bytes and len(self.buf) + len(data) > self.max_bytes:
            raise _TooLarge
        self.count = count
        self.buf += data
        return len(data)

    def flush(self) -> None:
        pass


def _term_size(term: object) -> int:
    """The characters of a term's text: fewer than the bytes it takes once written."""
    if isinstance(term, ox.Triple):
        return _term_size(term.subject) + _term_size(term.predicate) + _term_size(term.object)
    return len(getattr(term, "value", "") or "")


def _collect(items: Iterable[T], limit: int, max_bytes: int,
             size: Callable[[T], int]) -> list[T]:
    """The first ``limit`` of ``items``, refused (:class:`_TooLarge`) as soon as their
    ``size`` passes ``max_bytes`` (0: no bound): a CONSTRUCT's triples were all held, and
    written, before the bound was looked at (1.5 GB for 300 triples of 1 MiB)."""
    out: list[T] = []
    total = 0
    for item in itertools.islice(items, limit):
        if max_bytes:
            total += size(item)
            if total > max_bytes:
                raise _TooLarge
        out.append(item)
    return out


def _row_size(row: ox.QuerySolution) -> int:
    return sum(_term_size(term) for term in row)


def _sink(writer: _Streamer | _CountingBuffer) -> IO[bytes]:
    """``writer`` as the binary file pyoxigraph's serializers take: they only call ``write``
    (and ``flush``), which both sinks have, so the rest of ``IO[bytes]`` is never used."""
    return cast(IO[bytes], writer)


def _send_bytes(data: bytes | bytearray | None) -> None:
    # serialize() without an output returns the bytes, never None
    assert data is not None

    for i in range(0, len(data), _CHUNK):
        _frame(b"D", bytes(data[i:i + _CHUNK]))


# --- one query -----------------------------------------------------------------------

def _dataset(req: dict) -> dict:
    kwargs = {}
    if req.get("default") is not None or req.get("named") is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in req.get("default") or []]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in req.get("named") or []]
    if req.get("base"):
        kwargs["base_iri"] = req["base"]
    return kwargs


def _dump(store: ox.Store, req: dict) -> None:
    media_type = req["dump"]
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None:
        return _frame_json(b"E", {"error": "not_acceptable", "kind": "graph"})
    graph = None if fmt.supports_datasets else ox.DefaultGraph()
    return _streamed(store, req, "graph", media_type, lambda sink: (_DISK or store).dump(
        _sink(sink), fmt, from_graph=graph, prefixes=req.get("out_prefixes") or None))


def _csv_solutions(store: ox.Store, req: dict, result: ox.QuerySolutions, cap: int,
                   max_bytes: int) -> None:
    """A SELECT's answer as CSV (:func:`exokg.sparql.row_cap.csv_chunks`): streamed
    without a cap, else its first ``cap`` rows, marked as cut when there were more."""
    variables = [v.value for v in result.variables]
    if not cap:
        def write(sink: _Streamer) -> None:
            for chunk in csv_chunks(variables, result):
                sink.write(chunk)

        return _streamed(store, req, "solutions", "text/csv", write)
    try:
        rows = [tuple(r) for r in _collect(result, cap + 1, max_bytes, _row_size)]
    except _TooLarge:
        return _refuse_large(max_bytes)
    truncated = len(rows) > cap
    data = serialize_rows("text/csv", variables, rows[:cap])
    if max_bytes and len(data) > max_bytes:
        return _refuse_large(max_bytes)
    _frame_json(b"H", {"kind": "solutions", "media_type": "text/csv", "truncated": truncated})
    _send_bytes(data)
    return _frame_json(b"Z", {"rows": min(len(rows), cap)})


def _run(store: ox.Store, req: dict) -> None:
    if req.get("dump"):
        return _dump(store, req)
    kwargs = _dataset(req)
    cap = int(req.get("cap") or 0)
    max_bytes = int(req.get("max_bytes") or 0)
    result = store.query(req["q"], **kwargs)
    if isinstance(result, ox.QueryBoolean):
        media_type = req.get("solutions")
        fmt = ox.QueryResultsFormat.from_media_type(media_type) if media_type else None
        if fmt is None:
            return _frame_json(b"E", {"error": "not_acceptable", "kind": "boolean"})
        _frame_json(b"H", {"kind": "boolean", "media_type": media_type, "truncated": False})
        _send_bytes(result.serialize(format=fmt))
        return _frame_json(b"Z", {"rows": 1})
    if isinstance(result, ox.QuerySolutions):
        media_type = req.get("solutions")
        fmt = ox.QueryResultsFormat.from_media_type(media_type) if media_type else None
        if media_type is None or fmt is None:
            return _frame_json(b"E", {"error": "not_acceptable", "kind": "solutions"})
        if media_type == "text/csv":  # written in Python: exokg.sparql.row_cap says why
            return _csv_solutions(store, req, result, cap, max_bytes)
        marker = _ROW_MARKERS[media_type]
        # markers per row: JSON separates rows (n-1), XML opens each (n), CSV/TSV end
        # each line (n+1, with the header)
        offset = {"application/sparql-results+json": 1,
                  "application/sparql-results+xml": 0}.get(media_type, -1)
        if not cap:
            solutions = result
            return _streamed(store, req, "solutions", media_type,
                             lambda sink: solutions.serialize(_sink(sink), format=fmt))
        counter = _CountingBuffer(marker, cap, offset, max_bytes)
        try:
            result.serialize(_sink(counter), format=fmt)
        except _CapExceeded:
            pass
        except _TooLarge:
            return _refuse_large(max_bytes)
        else:
            count = counter.count
            if media_type == "application/sparql-results+json" and \
                    b'"bindings":[]' in counter.buf:
                count = 0
            if xml_unfit(media_type, counter.buf):
                return _refuse_unfit(store, req, "solutions")
            _frame_json(b"H", {"kind": "solutions", "media_type": media_type,
                               "truncated": False})
            _send_bytes(counter.buf)
            return _frame_json(b"Z", {"rows": count})
        # More rows than the cap (or a marker inside a literal): evaluate again, keep
        # cap+1 rows within the bound.
        del counter, result  # what the first evaluation holds (a long literal) goes first
        again = store.query(req["q"], **kwargs)
        assert isinstance(again, ox.QuerySolutions)  # the same query, the same kind
        variables = [v.value for v in again.variables]
        try:
            rows = [tuple(r) for r in _collect(again, cap + 1, max_bytes, _row_size)]
            truncated = len(rows) > cap
            data: bytes | bytearray
            if truncated:
                rows = rows[:cap]
                data = serialize_rows(media_type, variables, rows) or b""
            else:  # the count was high only because of markers inside literals (CSV's)
                again = store.query(req["q"], **kwargs)
                assert isinstance(again, ox.QuerySolutions)
                whole = _CountingBuffer(marker, math.inf, 0, max_bytes)
                again.serialize(_sink(whole), format=fmt)
                data = whole.buf
        except _TooLarge:
            return _refuse_large(max_bytes)
        if max_bytes and len(data) > max_bytes:
            return _refuse_large(max_bytes)
        if xml_unfit(media_type, data):
            return _refuse_unfit(store, req, "solutions")
        _frame_json(b"H", {"kind": "solutions", "media_type": media_type,
                           "truncated": truncated})
        _send_bytes(data)
        return _frame_json(b"Z", {"rows": len(rows)})
    media_type = req.get("graph")
    graph_fmt = ox.RdfFormat.from_media_type(media_type) if media_type else None
    if media_type is None or graph_fmt is None:
        return _frame_json(b"E", {"error": "not_acceptable", "kind": "graph"})
    prefixes = req.get("out_prefixes") or None  # for Turtle/TriG output only
    if not cap:
        stream: Iterable[ox.Triple] | Iterable[ox.Quad] = (
            (ox.Quad(t.subject, t.predicate, t.object) for t in result)
            if graph_fmt.supports_datasets else result)
        return _streamed(store, req, "graph", media_type, lambda sink: ox.serialize(
            stream, _sink(sink), graph_fmt, prefixes=prefixes))
    try:
        triples: list[ox.Triple] = _collect(result, cap + 1, max_bytes, _term_size)
    except _TooLarge:
        return _refuse_large(max_bytes)
    truncated = len(triples) > cap
    del triples[cap:]
    out: list[ox.Triple] | list[ox.Quad] = triples
    if graph_fmt.supports_datasets:
        out = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    data = ox.serialize(out, None, graph_fmt, prefixes=prefixes) or b""  # None: to a file
    if max_bytes and len(data) > max_bytes:
        return _refuse_large(max_bytes)
    if xml_unfit(media_type, data):
        return _refuse_unfit(store, req, "graph")
    _frame_json(b"H", {"kind": "graph", "media_type": media_type, "truncated": truncated})
    _send_bytes(data)
    return _frame_json(b"Z", {"rows": len(triples)})


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Exit the process once ``parent`` is gone (it is then re-parented): a worker
    killed mid-query must not leave its executors running until the query ends."""
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(3)


def main(path: str, *, memory: bool = False, memory_limit: int = 0) -> None:
    global _DISK
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
    # Not PR_SET_PDEATHSIG: that fires when the *thread* that started us ends, and
    # replacements are started from short-lived threads.
    parent = int(os.environ.get("EXOKG_EXECUTOR_PARENT") or os.getppid())
    if os.getppid() != parent:
        return
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent",
                     daemon=True).start()
    try:
        store = _DISK = ox.Store.read_only(path)
        if memory:
            copy = ox.Store()
            copy.bulk_extend(store.quads_for_pattern(None, None, None, None))
            store = copy
    except OSError as err:
        _frame_json(b"E", {"error": "io", "message": f"cannot open the store: {err}"})
        _flush_out()
        return
    # the memory limit comes once the store is open, its copy made and the query thread
    # started (its stack is mapped whole); that thread alone writes frames, "ready" first
    limited = threading.Event()
    try:
        threading.stack_size(STACK_BYTES)
        worker = threading.Thread(target=_serve, args=(store, limited), name="queries")
        worker.start()
    except (ValueError, RuntimeError):  # no such stack here: the main thread's then
        worker = None
    if memory_limit:
        _limit_memory(memory_limit)
    limited.set()
    if worker is None:
        _serve(store, limited)
    else:
        worker.join()


#: The exit status of an executor whose query took more than its memory limit.
MEMORY_EXIT = 86
#: Seconds between two looks at the executor's memory while a query runs.
_MEMORY_EVERY = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE")
#: The executor's resident memory when its query started (0: no query runs).
_query_base = 0
#: Whether the request under way was cut because its XML could not carry its answer.
_cut_unfit = False


def _resident() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _limit_memory(limit: int) -> None:
    """End the process (:data:`MEMORY_EXIT`) once a query has grown its resident memory
    by more than ``limit`` bytes: Oxigraph cannot be stopped mid-query, and one query
    took an executor to 4 GB in 8 s. A query's growth, not the executor's size: the
    store's copy and caches are what it held before. Behind it, for growth faster than
    the watch, ``RLIMIT_DATA`` at four times the limit (1 GB at least) over what the
    executor has mapped now: an allocation past it aborts. It is that far because it
    counts what is reserved, not what is used (a vector doubling reserves its next
    size at once)."""
    with open("/proc/self/status", "rb") as status:
        data = next((int(line.split()[1]) * 1024 for line in status
                     if line.startswith(b"VmData:")), 0)
    backstop = data + max(4 * limit, 1 << 30)
    resource.setrlimit(resource.RLIMIT_DATA, (backstop, backstop))

    def watch() -> None:
        while True:
            time.sleep(_MEMORY_EVERY)
            base = _query_base
            if base and _resident() - base > limit:
                os._exit(MEMORY_EXIT)

    threading.Thread(target=watch, name="watch-memory", daemon=True).start()


def _serve(store: ox.Store, ready: threading.Event) -> None:
    global _query_base, _cut_unfit
    ready.wait()
    _frame(b"R")
    _flush_out()
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return  # the parent has gone
        req = json.loads(line)
        timeout = float(req.get("timeout") or 0)
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, timeout + 2.0)  # SIGALRM ends the process
        _query_base = _resident()
        try:
            _run(store, req)
        except SyntaxError as err:
            _frame_json(b"E", {"error": "syntax", "message": str(err)})
        except MemoryError:  # Python's own allocation, past the backstop
            _frame_json(b"E", {"error": "memory"})
        except (OSError, ValueError, RuntimeError) as err:
            if _cut_unfit:  # past the header: the answer is cut, said as a refusal
                _refuse_xml()
            elif _RDF12 in str(err):  # pyoxigraph's JSON-LD writer has no triple terms
                _frame_json(b"E", {"error": "not_acceptable", "kind": "graph",
                                   "reason": "rdf12"})
            else:
                _frame_json(b"E", {"error": "evaluation", "message": str(err)})
        finally:
            _query_base = 0
            _cut_unfit = False
            _flush_out()
            signal.setitimer(signal.ITIMER_REAL, 0)


if __name__ == "__main__":
    _limit = sys.argv.index("--memory-limit") + 1 if "--memory-limit" in sys.argv else 0
    main(sys.argv[1], memory="--memory" in sys.argv[2:],
         memory_limit=int(sys.argv[_limit]) if _limit else 0)
