"""Whole-store reads for exports: a dump of the store, streamed.

A whole-graph export is the one request allowed to read everything, so the dump is
not cut at ``MAX_ROWS`` or cached; it runs in a query executor (the web worker never
opens the store) under the export time limit (``EXPORT_TIMEOUT``) and streams: the
executor sends its output in 64 KiB frames as it writes it, and closing the stream
midway (a client gone) kills and replaces the executor. :class:`ChunkReader` lets
pyoxigraph's parsers read such a stream as a file.

An export's executor is held while its client reads, however slowly: a worker streams
at most :func:`exports_at_once` of them at a time (:class:`ExportGate`), so that users'
queries always keep an executor (six downloads that read nothing made every ``/sparql``
query a 503 for up to an hour).
"""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from exokg.chunks import close_chunks
from exokg.errors import QueryTimeout
from exokg.sparql.cancel import CancelToken, current_token
from exokg.sparql.pool import ServiceBusy

if TYPE_CHECKING:
    from exokg.sparql.service import SparqlService

__all__ = ["ChunkReader", "ExportGate", "dump", "exports_at_once"]

logger = logging.getLogger(__name__)


def exports_at_once(size: int) -> int:
    """How many whole-graph exports a worker with ``size`` executors (or remote query
    slots) streams at once: all but two -- one kept for the pages' and the API's own
    queries (:func:`~exokg.sparql.pool.kept_for_own`), one for users' queries -- and
    at least one.

    >>> [exports_at_once(n) for n in (1, 2, 3, 8)]
    [1, 1, 1, 6]
    """
    return max(1, size - 2)


class ExportGate:
    """The whole-graph exports of one worker, at most ``size`` at a time; one more waits
    ``wait`` seconds at most (``None``: as long as it takes) for one to end, then is
    refused (503, ``Retry-After``).

    >>> gate = ExportGate(1, wait=0.01)
    >>> release = gate.enter()
    >>> gate.enter()
    Traceback (most recent call last):
    ...
    exokg.sparql.pool.ServiceBusy: this worker streams 1 whole-graph export at a time, and \
one is under way: try again later
    >>> release(); release()  # once, however often it is called
    >>> gate.enter()()
    """

    def __init__(self, size: int, *, wait: float | None) -> None:
        self.size, self.wait = size, wait
        self._free = threading.BoundedSemaphore(size)

    def enter(self) -> Callable[[], None]:
        """A place, and what gives it back (once, however often it is called)."""
        if not self._free.acquire(timeout=self.wait):
            under_way = "one is" if self.size == 1 else "all are"
            raise ServiceBusy(f"this worker streams {self.size} whole-graph "
                              f"export{'s' * (self.size > 1)} at a time, and {under_way} "
                              "under way: try again later")
        once = threading.Lock()

        def release() -> None:
            if once.acquire(blocking=False):
                self._free.release()
        return release


def gated(service: SparqlService, chunks: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    """``chunks()``, a whole-graph export, read once the worker's :class:`ExportGate`
    lets it in (at the first chunk asked for); its place given back when it ends or is
    closed.

    Raises
    ------
    ServiceBusy
        when as many exports as the worker streams at once hold their places.
    QueryTimeout
        at ``EXPORT_TIMEOUT`` from its start, whatever part of it runs then.
    """
    release = service.exports.enter()
    limit = service.config.export_timeout
    # the whole export, not only its executor's part: a network format streams from its
    # spool after the executor is done, and a client taking a batch a minute held the
    # worker's place for days
    deadline = time.monotonic() + limit if limit else math.inf
    made: Iterator[bytes] | None = None
    try:
        made = chunks()
        for chunk in made:
            if time.monotonic() > deadline:
                raise QueryTimeout(f"the export stopped at its time limit of {limit:g} s "
                                   "(EXPORT_TIMEOUT)")
            yield chunk
    finally:
        try:
            if made is not None:
                close_chunks(made)
        finally:
            release()


def _run(service: SparqlService, job: dict[str, Any],
         cancel: CancelToken | None) -> Iterator[bytes]:
    outcome = service.pool.execute(job, timeout=service.config.export_timeout, cancel=cancel)
    chunks = outcome.chunks
    try:
        yield from chunks
    finally:
        close_chunks(chunks)  # mid-stream: the executor is killed and replaced


def dump(service: SparqlService, media_type: str, *,
         prefixes: dict[str, str] | None = None,
         cancel: CancelToken | None = None) -> Iterator[bytes]:
    """The whole store in an RDF syntax (by media type), as pyoxigraph writes it.

    A triple syntax (N-Triples, Turtle, RDF/XML) gets the default graph, a syntax that
    holds named graphs (N-Quads, TriG, JSON-LD) the whole dataset; ``prefixes`` go to the
    syntaxes that write them. ``cancel`` (default: the token bound to the caller's context, taken
    now, since the stream may be read from another thread) stops the dump when fired.

    Raises
    ------
    QueryTimeout
        at ``EXPORT_TIMEOUT`` (while streaming: the stream ends with it).
    QueryCancelled
        when ``cancel`` fires (while streaming: the stream ends with it).
    """
    job: dict[str, Any] = {"dump": media_type}
    if prefixes:
        job["out_prefixes"] = prefixes
    return _run(service, job, cancel or current_token())


class ChunkReader(io.RawIOBase):
    """A readable binary file over an iterator of chunks (what pyoxigraph's parser reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._held = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._held:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._held = memoryview(chunk)
        n = min(len(buffer), len(self._held))
        buffer[:n] = self._held[:n]
        self._held = self._held[n:]
        return n
