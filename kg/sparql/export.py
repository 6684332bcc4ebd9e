"""Whole-store reads for exports: a dump of the store, streamed.

A whole-graph export is the one request allowed to read everything, so the dump is
not cut at ``MAX_ROWS`` or cached; it runs in a query executor (the web worker never
opens the store) under the export time limit (``EXPORT_TIMEOUT``) and streams: the
executor sends its output in 64 KiB frames as it writes it, and closing the stream
midway (a client gone) kills and replaces the executor. :class:`ChunkReader` lets
pyoxigraph's parsers read such a stream as a file.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from exokg.chunks import close_chunks
from exokg.sparql.cancel import CancelToken, current_token

if TYPE_CHECKING:
    from exokg.sparql.service import SparqlService

__all__ = ["ChunkReader", "dump"]

logger = logging.getLogger(__name__)


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

    A triple syntax (N-Triples, Turtle, RDF/XML, JSON-LD) gets the default graph, a
    quad syntax (N-Quads, TriG) the whole dataset; ``prefixes`` go to the syntaxes that
    write them. ``cancel`` (default: the token bound to the caller's context, taken
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
