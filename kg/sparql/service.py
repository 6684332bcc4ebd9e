"""The SPARQL service, pure of Flask: check, negotiate, cache and run a query.

:class:`SparqlService` holds the store, the executor pool and the result cache of
one process. The web layer (``server/sparql.py``) and ``exokg query`` both call
:meth:`SparqlService.query` with a :class:`QueryRequest` and send the
:class:`QueryAnswer` it returns.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exokg.errors import QueryRefused, UnknownFormat
from exokg.sparql.cache import ResultCache
from exokg.sparql.check import check_query, inspect_query
from exokg.sparql.negotiate import negotiate
from exokg.sparql.pool import ExecutorPool
from exokg.store import StoreInfo, prepare_store
from exokg.vocab import PREFIXES

__all__ = ["QueryAnswer", "QueryRequest", "SparqlService", "etag_matches"]

logger = logging.getLogger(__name__)

#: Results up to this size are read whole and sent with a Content-Length.
_EAGER_BYTES = 1 << 18

#: Graph syntaxes that write no prefixes: the executor is not sent any (less to encode).
_NO_PREFIXES = frozenset({"application/n-triples", "application/n-quads"})


@dataclass
class QueryRequest:
    """One query and how it was asked for (protocol parameters, Accept, validators)."""

    query: str
    accept: str | None = None
    format_name: str | None = None
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    if_none_match: str | None = None


@dataclass
class QueryAnswer:
    """What to send: status (200 or 304), headers, and the body as bytes or chunks.

    ``info`` gains ``rows`` (and ``seconds``) once the body has been sent.
    """

    status: int
    headers: dict[str, str]
    body: bytes | Iterable[bytes]
    media_type: str | None = None
    cached: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or ``*``; weak tags too)."""
    if not header:
        return False
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


class SparqlService:
    """The store, executor pool and result cache behind one process's SPARQL endpoint.

    Parameters
    ----------
    settings
        the typed settings of :func:`exokg.server.settings.load_settings` (``STORE_DIR``,
        ``STORE_PATH``, ``DATA_FILES``, ``RECORDS_DIRS``, ``QUERY_TIMEOUT``, ``MAX_ROWS``,
        ``CACHE_SIZE``, ``CACHE_MAX_BYTES``, ``EXECUTORS``, ``MEMORY_TRIPLES``,
        ``SERVICE_ALLOWLIST``).
    """

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        self.timeout = float(settings.get("QUERY_TIMEOUT", 30.0))
        self.max_rows = int(settings.get("MAX_ROWS", 10000))
        self.allowlist = list(settings.get("SERVICE_ALLOWLIST") or ())
        max_bytes = int(settings.get("CACHE_MAX_BYTES", 64_000_000))
        self.cache = ResultCache(max_entries=int(settings.get("CACHE_SIZE", 512)),
                                 max_bytes=max_bytes)
        self._cache_entry_bytes = max(1, max_bytes // 4)
        self._info: StoreInfo | None = None
        self._pool: ExecutorPool | None = None
        self._lock = threading.Lock()

    # --- the store ---------------------------------------------------------------------

    @property
    def info(self) -> StoreInfo:
        """The store's description, building or finding the store on first use."""
        if self._info is None:
            with self._lock:
                if self._info is None:
                    self._info = self._open_info()
        return self._info

    def _open_info(self) -> StoreInfo:
        path = self.settings.get("STORE_PATH")
        if path:
            meta = json.loads(Path(str(path) + ".json").read_text())
            return StoreInfo(**{**meta, "path": str(path), "reused": True})
        return prepare_store(self.settings["STORE_DIR"],
                             data_files=self.settings.get("DATA_FILES") or (),
                             records_dirs=self.settings.get("RECORDS_DIRS") or ())

    @property
    def pool(self) -> ExecutorPool:
        if self._pool is None:
            info = self.info
            with self._lock:
                if self._pool is None:
                    memory = info.triples <= int(self.settings.get("MEMORY_TRIPLES", 0))
                    self._pool = ExecutorPool(info.path, memory=memory,
                                              size=int(self.settings.get("EXECUTORS", 2)))
        return self._pool

    def start(self) -> None:
        """Open the store and start the executors now (a worker's warm-up)."""
        self.pool.start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    # --- queries -----------------------------------------------------------------------

    def _dataset(self, request: QueryRequest) -> tuple[list[str] | None, list[str] | None]:
        default, named = request.default_graphs, request.named_graphs
        if not default and not named:
            return None, None
        held = set(self.info.stats.get("graphs", []))
        for graph in [*(default or []), *(named or [])]:
            if graph not in held:
                raise QueryRefused(
                    f"graph <{graph}> is not held by this service, which does not fetch "
                    f"remote graphs; it holds: {', '.join(sorted(held)) or 'no named graphs'}")
        return default or [], named or []

    def query(self, request: QueryRequest) -> QueryAnswer:
        """Answer one query (see :class:`QueryAnswer`).

        Raises
        ------
        InvalidQuery
            for a syntax error (400).
        QueryRefused
            for an update, a SERVICE call not allowlisted, a graph not held (403).
        UnknownFormat
            when no acceptable format fits the query (406).
        QueryTimeout
            at the time limit (503).
        """
        text = request.query
        info = inspect_query(text)
        check_query(info, allowlist=self.allowlist)
        sol, graph = negotiate(request.accept, format_name=request.format_name)
        if info.form in ("SELECT", "ASK") and sol is None or \
                info.form in ("CONSTRUCT", "DESCRIBE") and graph is None or \
                sol is None and graph is None:
            raise UnknownFormat(
                f"no acceptable media type for a {info.form or 'SPARQL'} query; served: "
                "application/sparql-results+json, application/sparql-results+xml, "
                "text/csv, text/tab-separated-values (SELECT, ASK); text/turtle, "
                "application/n-triples, application/ld+json, application/rdf+xml, "
                "application/n-quads, application/trig (CONSTRUCT, DESCRIBE)")
        default, named = self._dataset(request)
        store = self.info
        key_parts = [store.version, text, sol.media_type if sol else "",
                     graph.media_type if graph else "", json.dumps([default, named]),
                     str(self.max_rows)]
        etag = '"' + hashlib.sha256("\x00".join(key_parts).encode()).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, no-cache", "Vary": "Accept",
                   "X-ExoKG-Data-Version": store.version}
        if etag_matches(request.if_none_match, etag):
            return QueryAnswer(304, headers, b"", info={"rows": None, "cache": "304"})
        hit = self.cache.get(etag)
        if hit is not None:
            data, meta = hit
            headers.update(meta["headers"])
            return QueryAnswer(200, headers, data, meta["media_type"], cached=True,
                               info={"rows": meta["rows"], "cache": "hit"})
        job = {"q": text, "solutions": sol.media_type if sol else None,
               "graph": graph.media_type if graph else None, "cap": self.max_rows,
               # relative IRIs resolve against the data's public base (not the request's
               # URL: answers are cached by query text, whatever the Host header)
               "base": self.settings.get("PUBLIC_BASE_IRI")}
        if default is not None:
            job["default"], job["named"] = default, named
        if graph is not None and graph.media_type not in _NO_PREFIXES:
            job["out_prefixes"] = {**PREFIXES, **info.prefixes}  # Turtle, TriG, JSON-LD ...
        outcome = self.pool.execute(job, timeout=self.timeout)
        extra = {"Content-Type": _content_type(outcome.media_type)}
        if outcome.truncated:
            extra["X-Result-Truncated"] = "true"
            extra["X-Result-Max-Rows"] = str(self.max_rows)
        headers.update(extra)
        answer = QueryAnswer(200, headers, b"", outcome.media_type,
                             info={"rows": None, "cache": "miss",
                                   "truncated": outcome.truncated})
        # Read small answers whole (Content-Length, cacheable); stream big ones.
        head: list[bytes] = []
        size = 0
        chunks = outcome.chunks
        for chunk in chunks:
            head.append(chunk)
            size += len(chunk)
            if size > _EAGER_BYTES:
                break
        else:
            data = b"".join(head)
            answer.body = data
            answer.info.update(outcome.stats)
            self.cache.put(etag, data, {"headers": extra, "media_type": outcome.media_type,
                                        "rows": outcome.stats.get("rows")})
            return answer
        answer.body = self._stream(head, chunks, etag, extra, outcome, answer)
        return answer

    def _stream(self, head: list[bytes], chunks: Iterator[bytes], etag: str,
                extra: dict[str, str], outcome, answer: QueryAnswer) -> Iterator[bytes]:
        kept: list[bytes] | None = list(head)
        size = sum(len(c) for c in head)
        try:
            yield from head
            for chunk in chunks:
                size += len(chunk)
                if kept is not None:
                    kept.append(chunk)
                    if size > self._cache_entry_bytes:
                        kept = None
                yield chunk
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        answer.info.update(outcome.stats)
        if kept is not None:
            self.cache.put(etag, b"".join(kept), {"headers": extra,
                                                  "media_type": outcome.media_type,
                                                  "rows": outcome.stats.get("rows")})

    def health(self) -> dict[str, Any]:
        """Run a real query and report the store (raises if the query fails)."""
        started = time.monotonic()
        outcome = self.pool.execute({"q": "ASK { ?s ?p ?o }",
                                     "solutions": "application/sparql-results+json",
                                     "graph": None, "cap": 0}, timeout=min(self.timeout, 10.0))
        body = b"".join(outcome.chunks)
        return {"ok": True, "query": "ASK { ?s ?p ?o }",
                "answer": json.loads(body)["boolean"], "triples": self.info.triples,
                "data_version": self.info.version,
                "ms": round((time.monotonic() - started) * 1000, 2)}
