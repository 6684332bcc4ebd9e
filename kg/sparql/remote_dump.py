"""A whole-graph dump of a remote store, streamed: what the executor's ``dump`` job gives
for an embedded store (:mod:`exokg.sparql.export`), read over the SPARQL protocol.

The data graph (the version graph ``exokg load`` switched to) is read with one
``CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }`` answered in N-Triples, which every SPARQL
1.1 engine streams; a quad syntax (N-Quads, TriG) also gets the named graphs recorded
with the data (those ``exokg index`` wrote), as the embedded dump of the whole dataset
has them. The answer is parsed as it arrives and written again by pyoxigraph in the
asked-for syntax with ExoKG's prefixes, so it reads as the embedded dump does (byte for
byte over Oxigraph server, whose answer comes in the same index order as
``Store.dump``). Nothing holds the graph: the serializer runs on a thread that hands
64 KiB chunks through a small queue, and the engine's answer is read only as fast as
the client takes the export.

The deadline (``EXPORT_TIMEOUT``) covers the whole dump, and a failure midway (the
engine gone, the time limit) ends the stream with the error, never as if whole.
"""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, cast

import pyoxigraph as ox
from exokg.errors import UnknownFormat
from exokg.sparql.export import ChunkReader

if TYPE_CHECKING:
    from exokg.sparql.cancel import CancelToken
    from exokg.sparql.remote import RemoteEndpoint

__all__ = ["DUMP_QUERY", "remote_dump"]

logger = logging.getLogger(__name__)

#: The query that reads one graph whole (the protocol's ``default-graph-uri`` names it).
DUMP_QUERY = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"

_CHUNK = 1 << 16
_NT = "application/n-triples"
_END = object()


def remote_dump(endpoint: RemoteEndpoint, media_type: str, *, graph: str | None,
                named: list[str] | None = None, prefixes: dict[str, str] | None = None,
                timeout: float = 0.0, cancel: CancelToken | None = None) -> Iterator[bytes]:
    """The data of a remote store in the RDF syntax ``media_type``, as chunks of bytes.

    Parameters
    ----------
    endpoint
        the store's query endpoint.
    graph
        the graph that holds the data (``None``: the engine's default graph).
    named
        the named graphs a quad syntax also writes.
    prefixes
        the prefixes of the syntaxes that write them.
    timeout
        seconds the whole dump may take (0: no limit).
    cancel
        stops the dump when fired (its reply's connection is shut): passed, not taken
        from the context, since the engine is read on the serializer's thread.

    Raises
    ------
    UnknownFormat
        for a media type that is no RDF syntax (at once).
    QueryTimeout, RemoteUnavailable, QueryCancelled
        at the time limit, when the store cannot be read, or when ``cancel`` fires
        (while streaming: the stream ends with it).
    """
    out = ox.RdfFormat.from_media_type(media_type)
    if out is None:
        raise UnknownFormat(f"no RDF syntax has the media type {media_type!r}")
    deadline = time.monotonic() + timeout if timeout else 0.0
    sources: list[tuple[str | None, ox.NamedNode | ox.DefaultGraph]] = [
        (graph, ox.DefaultGraph())]
    if out.supports_datasets:
        sources += [(name, ox.NamedNode(name)) for name in named or ()]
    reading: list[Any] = []  # the reply being read, to cut when the reader goes
    items = _read(endpoint, sources, dataset=out.supports_datasets, deadline=deadline,
                  reading=reading, cancel=cancel)
    return _serialized(items, out, prefixes or None, on_stop=lambda: _cut(reading))


def _cut(reading: list[Any]) -> None:
    """Shut the socket of the reply being read: a serializer waiting on a stalled engine
    returns at once (the engine sees the client gone)."""
    for reply in list(reading):
        sock = getattr(getattr(reply, "conn", None), "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _read(endpoint: RemoteEndpoint, sources: list[tuple[str | None, Any]], *,
          dataset: bool, deadline: float, reading: list[Any],
          cancel: CancelToken | None = None) -> Iterator[ox.Triple | ox.Quad]:
    """Each source graph's triples as the engine sends them (quads for a dataset); the
    reply being read is in ``reading``."""
    for source, name in sources:
        remaining = max(0.001, deadline - time.monotonic()) if deadline else 0.0
        reply = endpoint.request(DUMP_QUERY, accept=_NT, timeout=remaining,
                                 default_graphs=[source] if source else None, cancel=cancel)
        reading[:] = [reply]
        try:
            fmt = ox.RdfFormat.from_media_type(reply.media_type) or ox.RdfFormat.N_TRIPLES
            parsed = ox.parse(io.BufferedReader(ChunkReader(reply.chunks()), _CHUNK), fmt)
            if dataset:
                for q in parsed:
                    yield ox.Quad(q.subject, q.predicate, q.object, name)
            else:
                for q in parsed:
                    yield ox.Triple(q.subject, q.predicate, q.object)
        finally:
            reading.clear()
            reply.close()  # midway: the engine sees the client gone


class _Stopped(Exception):
    """The reader of the stream has gone: the serializer stops."""


class _Sink:
    """The serializer's output file: 64 KiB chunks into a bounded queue."""

    def __init__(self, chunks: queue.Queue[Any], stop: threading.Event) -> None:
        self.chunks, self.stop = chunks, stop
        self.held = bytearray()

    def write(self, data: bytes) -> int:
        self.held += data
        if len(self.held) >= _CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.held:
            self.put(bytes(self.held))
            self.held.clear()

    def put(self, item: Any) -> None:
        while True:
            if self.stop.is_set():
                raise _Stopped
            try:
                self.chunks.put(item, timeout=0.2)
                return
            except queue.Full:
                continue


def _serialized(items: Iterator[Any], fmt: ox.RdfFormat, prefixes: dict[str, str] | None,
                *, on_stop: Any = None) -> Iterator[bytes]:
    """``items`` written in ``fmt`` on a thread, as a stream of chunks; the first error
    (of the source or the serializer) ends the stream; closing it stops the thread
    (``on_stop`` then unblocks a source waiting for input)."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()
    sink = _Sink(chunks, stop)
    failed: list[BaseException] = []

    def source() -> Iterator[Any]:
        try:
            yield from items
        except BaseException as err:
            failed.append(err)  # pyoxigraph sees an error; the stream raises this one
            raise

    def work() -> None:
        try:
            # a file as far as pyoxigraph goes: it only writes and flushes
            ox.serialize(source(), cast(IO[bytes], sink), fmt, prefixes=prefixes)
            sink.flush()
            sink.put(_END)
        except BaseException as err:  # noqa: BLE001 - handed to the reader
            if not stop.is_set():
                with contextlib.suppress(_Stopped):  # the reader has gone meanwhile
                    sink.put(failed[0] if failed else err)
        finally:
            items.close()  # type: ignore[attr-defined]  # a generator: its reply closes

    thread = threading.Thread(target=work, name="exokg-remote-dump", daemon=True)
    started = False
    try:
        while True:
            if not started:  # nothing is read until the first chunk is asked for
                thread.start()
                started = True
            item = chunks.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        if started and on_stop is not None and thread.is_alive():
            on_stop()
        if started:
            thread.join(timeout=10)
            if thread.is_alive():
                logger.warning("a remote dump's serializer did not stop within 10 s")
