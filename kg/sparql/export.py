"""Whole-store reads for exports: a dump of the store, and uncapped SELECT rows.

A whole-graph export is the one request allowed to read everything, so neither read
is cut at ``MAX_ROWS`` or cached; both run in a query executor (the web worker never
opens the store) under the export time limit (``EXPORT_TIMEOUT``) and stream: the
executor sends its output in 64 KiB frames as it writes it, and closing the stream
midway (a client gone) kills and replaces the executor.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    from exokg.sparql.service import SparqlService

__all__ = ["ChunkReader", "dump", "select_rows"]

logger = logging.getLogger(__name__)

_TSV = "text/tab-separated-values"


def _run(service: SparqlService, job: dict[str, Any]) -> Iterator[bytes]:
    outcome = service.pool.execute(job, timeout=service.config.export_timeout)
    chunks = outcome.chunks
    try:
        yield from chunks
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # mid-stream: the executor is killed and replaced


def dump(service: SparqlService, media_type: str, *,
         prefixes: dict[str, str] | None = None) -> Iterator[bytes]:
    """The whole store in an RDF syntax (by media type), as pyoxigraph writes it.

    A triple syntax (N-Triples, Turtle, RDF/XML, JSON-LD) gets the default graph, a
    quad syntax (N-Quads, TriG) the whole dataset; ``prefixes`` go to the syntaxes that
    write them.

    Raises
    ------
    QueryTimeout
        at ``EXPORT_TIMEOUT`` (while streaming: the stream ends with it).
    """
    job: dict[str, Any] = {"dump": media_type}
    if prefixes:
        job["out_prefixes"] = prefixes
    return _run(service, job)


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


def select_rows(service: SparqlService, query: str) -> Iterator[ox.QuerySolution]:
    """Every solution of a SELECT over the whole store, parsed as it streams (TSV).

    The query is ExoKG's own (not a user's): it is not checked, capped or cached.
    """
    chunks = _run(service, {"q": query, "solutions": _TSV, "graph": None, "cap": 0})
    try:
        reader = io.BufferedReader(ChunkReader(chunks), buffer_size=1 << 16)
        yield from ox.parse_query_results(reader, format=ox.QueryResultsFormat.TSV)
    finally:
        chunks.close()
