"""The SPARQL service, pure of Flask: check, negotiate, cache and run a query.

:class:`SparqlService` holds the store, the executor pool and the result cache of
one process. The web layer (``server/sparql.py``) and ``exokg query`` both call
:meth:`SparqlService.query` with a :class:`QueryRequest` and send the
:class:`QueryAnswer` it returns.
"""

from __future__ import annotations

import contextvars
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from exokg.chunks import close_chunks
from exokg.config import Config
from exokg.errors import AnswerTooLarge, InvalidQuery, PreconditionFailed, StoreChanged
from exokg.rdf_terms import ntriples_graph, rdflib_triples
from exokg.release import make_etag
from exokg.sparql.cache import ResultCache
from exokg.sparql.cancel import CancelToken, current_token
from exokg.sparql.check import check_query, inspect_query
from exokg.sparql.export import ExportGate, exports_at_once
from exokg.sparql.export_files import ExportFiles
from exokg.sparql.negotiate import negotiate_for, xml_fallbacks
from exokg.sparql.pool import ExecutorPool, Outcome, ServiceBusy
from exokg.sparql.remote import RemotePool
from exokg.sparql.results import Results
from exokg.store import StoreInfo, find_store
from exokg.store_layout import artifact_problem
from exokg.vocab import PREFIXES
from rdflib import Graph
from rdflib.term import Node

__all__ = ["READ_MAX_BYTES", "QueryAnswer", "QueryRequest", "SparqlService", "check_if_match",
           "etag_matches", "if_match_holds", "issued_queries", "start_recording", "whole_body"]

logger = logging.getLogger(__name__)

#: Results up to this size are read whole and sent with a Content-Length.
_EAGER_BYTES = 1 << 18
#: The largest answer to a user's own query that is read whole into the web worker (the
#: query page, ``exokg query``'s table); ``/sparql`` streams any size. One row of a
#: doubled string made a 268 MB answer that took a worker from 108 MB to 1 GB. The
#: service's own queries (pages, graph queries) are bounded by their row caps instead.
READ_MAX_BYTES = 16 << 20

#: Graph syntaxes that write no prefixes: the executor is not sent any (less to encode).
_NO_PREFIXES = frozenset({"application/n-triples", "application/n-quads"})


def whole_body(answer: QueryAnswer, *, capped: bool = True) -> bytes:
    """The answer's body read whole; when ``capped``, :class:`~exokg.errors.AnswerTooLarge`
    past :data:`READ_MAX_BYTES` (its stream closed: the executor is freed)."""
    limit = READ_MAX_BYTES if capped else None
    if isinstance(answer.body, bytes):
        if limit is not None and len(answer.body) > limit:
            raise AnswerTooLarge(_too_large())
        return answer.body
    parts, size = [], 0
    stream = answer.body
    try:
        for chunk in stream:
            size += len(chunk)
            if limit is not None and size > limit:
                raise AnswerTooLarge(_too_large())
            parts.append(chunk)
    finally:
        close_chunks(stream)
    return b"".join(parts)


def _too_large() -> str:
    return (f"the answer is larger than {READ_MAX_BYTES >> 20} MB, the most read here; "
            "/sparql streams an answer of any size")


def _check_graph_iri(parameter: str, iri: str) -> None:
    """Refuse a protocol dataset graph that is not an absolute IRI (400), as the query's
    own ``FROM <...>`` is refused, before any executor or remote engine sees it.

    >>> _check_graph_iri("named-graph-uri", "a b")
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: named-graph-uri 'a b' is not an IRI: Invalid IRI code point ' '
    """
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise InvalidQuery(f"{parameter} {iri!r} is not an IRI: {err}") from None


@dataclass
class QueryRequest:
    """One query and how it was asked for (protocol parameters, Accept, validators)."""

    query: str
    accept: str | None = None
    format_name: str | Sequence[str] | None = None  # every format= value, in order
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    if_none_match: str | None = None
    if_match: str | None = None
    max_rows: int | None = None  # a tighter row cap than the service's (None: the service's)
    #: fired when the caller gives up (the HTTP client hung up): the query stops at once;
    #: ``None``: the token bound to the context (:func:`exokg.sparql.cancel.use_token`)
    cancel: CancelToken | None = None
    #: the service's own bounded query (a page's, the API's): it may take the executor
    #: kept from users' queries (:func:`exokg.sparql.pool.kept_for_own`)
    own: bool = False


@dataclass
class QueryAnswer:
    """The domain answer to one query; ``server/sparql.py`` turns it into HTTP.

    Attributes
    ----------
    not_modified
        the client's validator names this answer (no body is sent).
    media_type
        the chosen format's media type (``None`` when not modified).
    body
        the serialized result, as bytes (small) or an iterator of chunks (streamed).
    truncated
        whether the result was cut at ``max_rows``.
    max_rows
        the row cap the answer was computed with (0: none).
    etag
        the entity tag (quoted, as sent) of this answer.
    data_version
        the store's data version.
    cached
        the answer came from the result cache.
    info
        ``rows`` and ``cache`` (``miss``, ``hit``, ``304``); ``rows`` (and the executor's
        ``seconds``) are set once a streamed body has been read.
    """

    not_modified: bool
    media_type: str | None
    body: bytes | Iterable[bytes]
    truncated: bool
    max_rows: int
    etag: str
    data_version: str
    cached: bool = False
    info: dict[str, Any] = field(default_factory=dict)


_SOLUTIONS = "application/sparql-results+json"
_TRIPLES = "application/n-triples"

#: The queries the current request issued through :meth:`SparqlService.select`/``construct``.
_ISSUED: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "exokg_issued_queries", default=None)


def start_recording() -> list[dict[str, Any]]:
    """Record the queries this request (thread or context) issues from now on; the list
    fills as they run (``query``, ``ms``, ``cache``)."""
    issued: list[dict[str, Any]] = []
    _ISSUED.set(issued)
    return issued


def issued_queries() -> list[dict[str, Any]]:
    """The queries recorded since :func:`start_recording` in this context (else none)."""
    return list(_ISSUED.get() or ())


def _record(query: str, started: float, answer: QueryAnswer) -> None:
    issued = _ISSUED.get()
    if issued is not None:
        issued.append({"query": query, "cache": answer.info.get("cache"),
                       "ms": round((time.monotonic() - started) * 1000, 2)})


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or ``*``; weak tags too)."""
    if not header:
        return False
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def if_match_holds(header: str | None, etag: str) -> bool:
    """Whether an ``If-Match`` header (none: true) names ``etag``, strongly (a weak tag
    never matches), or ``*``: RFC 9110, 13.1.1.

    >>> [if_match_holds(h, '"a"') for h in (None, '"b", "a"', "*", 'W/"a"', '"b"')]
    [True, True, True, False, False]
    """
    if header is None:
        return True
    tags = {tag.strip() for tag in header.split(",")}
    return "*" in tags or etag in tags


def check_if_match(header: str | None, etag: str) -> None:
    """Refuse (412) a request whose ``If-Match`` does not hold (:func:`if_match_holds`).
    Only where the answer without it would be a 2xx (RFC 9110, 13.2.1): a missing node
    stays a 404, a bad query a 400.

    >>> check_if_match('"b"', '"a"')
    Traceback (most recent call last):
    ...
    exokg.errors.PreconditionFailed: If-Match names no current version of this resource (its \
ETag is "a")
    """
    if not if_match_holds(header, etag):
        raise PreconditionFailed(f"If-Match names no current version of this resource (its "
                                 f"ETag is {etag})")


class SparqlService:
    """The store, executor pool and result cache behind one process's SPARQL endpoint.

    Parameters
    ----------
    config
        the settings (store, limits, cache sizes, executors): every value comes from
        it, the service has no defaults of its own.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.timeout = config.query_timeout
        self.max_rows = config.max_rows
        self.allowlist = list(config.service_allowlist)
        self.cache = ResultCache(max_entries=config.cache_size,
                                 max_bytes=config.cache_max_bytes)
        self._cache_entry_bytes = max(1, config.cache_max_bytes // 4)
        self._info: StoreInfo | None = None
        self._pool: ExecutorPool | RemotePool | None = None
        self._remote = RemotePool(config.store_url, size=config.executors,
                                  patience=config.busy_patience,
                                  timeout_param=config.store_timeout_param,
                                  artifacts_dir=config.store_dir) if config.store_url else None
        self._lock = threading.Lock()
        #: the whole-graph exports this worker streams at once (exokg.sparql.export)
        self.exports = ExportGate(exports_at_once(config.executors),
                                  wait=config.busy_timeout or config.query_timeout or None)
        self._files: ExportFiles | None = None
        self._files_looked = False

    # --- the store ---------------------------------------------------------------------

    @property
    def info(self) -> StoreInfo:
        """The store's description, building or finding the store on first use."""
        if self._remote is not None:  # read again now and then: a load switches versions
            return self._remote.info()
        if self._info is None:
            with self._lock:
                if self._info is None:
                    self._info = self._open_info()
        return self._info

    @property
    def export_files(self) -> ExportFiles | None:
        """Where this worker keeps whole-graph exports (:mod:`exokg.sparql.export_files`):
        ``None`` with ``EXPORT_FILES`` off, for a remote store (its data may change under
        a file) and for a copy served while its store builds (its folder is not the
        version's)."""
        if self._files_looked or self._remote is not None or not self.config.export_files:
            return self._files
        info = self.info
        if not (info.complete and info.folder):
            return None
        with self._lock:
            if not self._files_looked:
                # a request thread for a page and one for a query, whatever reads
                self._files = ExportFiles.open(info.folder, triples=info.triples,
                                               readers=max(1, self.config.threads - 2))
                self._files_looked = True
        return self._files

    def snapshot(self) -> tuple[StoreInfo, str]:
        """The store's description and what ETags name its data by, read together: the
        version, and for a remote store the derived graphs not holding it yet (answers
        change when ``exokg index`` writes them)."""
        if self._remote is not None:
            version = self._remote.current()
            return version.info, version.tag
        return self.info, self.info.tag

    @property
    def data_tag(self) -> str:
        """:meth:`snapshot`'s tag."""
        return self.snapshot()[1]

    def _open_info(self) -> StoreInfo:
        return find_store(self.config.store_dir, store_path=self.config.store_path,
                          data_files=self.config.data_files,
                          records_dirs=self.config.records_dirs)

    @property
    def pool(self) -> ExecutorPool | RemotePool:
        if self._remote is not None:
            return self._remote
        if self._pool is None:
            info = self.info
            with self._lock:
                if self._pool is None:
                    memory = info.triples <= self.config.memory_triples
                    self._pool = ExecutorPool(info.path, memory=memory,
                                              size=self.config.executors,
                                              memory_limit=self.config.query_memory_bytes,
                                              patience=self.config.busy_patience)
        return self._pool

    def start(self) -> None:
        """Open the store and start the executors now (a worker's warm-up)."""
        self.pool.start()

    def warm(self, queries: list[str]) -> int:
        """Run ``queries`` (SELECT, ASK, CONSTRUCT or DESCRIBE) on every local executor,
        past the result cache, answers dropped: a worker's warm-up (see
        :mod:`exokg.warmup`). Returns the executors warmed (0 for a remote store)."""
        pool = self.pool
        if not isinstance(pool, ExecutorPool) or not queries:
            return 0
        jobs = []
        for text in dict.fromkeys(queries):
            form = inspect_query(text).form
            graph = form in ("CONSTRUCT", "DESCRIBE")
            jobs.append({"q": text, "solutions": None if graph else _SOLUTIONS,
                         "graph": _TRIPLES if graph else None, "cap": self.max_rows,
                         "base": self.config.public_base_iri})
        return pool.warm(jobs, timeout=self.timeout)

    def close(self) -> None:
        """Stop the executors (the store is opened again on the next query)."""
        if self._pool is not None:
            self._pool.close()

    # --- queries -----------------------------------------------------------------------

    @staticmethod
    def _dataset(request: QueryRequest) -> tuple[list[str] | None, list[str] | None]:
        # The protocol's dataset is read like FROM / FROM NAMED: graphs of the store,
        # never fetched; a graph the store does not hold is simply empty.
        default, named = request.default_graphs, request.named_graphs
        if not default and not named:
            return None, None
        for name, iris in (("default-graph-uri", default), ("named-graph-uri", named)):
            for iri in iris or ():
                _check_graph_iri(name, iri)
        return default or [], named or []

    def query(self, request: QueryRequest) -> QueryAnswer:
        """Answer one query (see :class:`QueryAnswer`), or refuse it (412) once answered
        when its ``If-Match`` does not hold: a bad query stays a 400 (RFC 9110, 13.2.1).

        Raises
        ------
        InvalidQuery
            for a syntax error (400).
        QueryRefused
            for an update or a SERVICE call not allowlisted (403).
        UnknownFormat
            when no acceptable format fits the query (406).
        QueryTimeout
            at the time limit (503).
        QueryCancelled
            when the request's cancellation token fires (its executor is stopped).
        PreconditionFailed
            when its ``If-Match`` names another answer (412).
        """
        # a query file saved with a byte order mark (as some editors save UTF-8) is read
        # without it, as the WHATWG's UTF-8 decode reads one: no SPARQL begins with U+FEFF
        text = request.query.removeprefix("\ufeff")
        info = inspect_query(text)
        check_query(info, allowlist=self.allowlist)
        sol, graph = negotiate_for(info.form, request.accept, format_name=request.format_name)
        sol_else, graph_else = xml_fallbacks(request.accept, format_name=request.format_name)
        default, named = self._dataset(request)
        # one read of a remote store's version: the key and the query are of the same
        pin = self._remote.current() if self._remote is not None else None
        store = pin.info if pin is not None else self.info
        cap = self._cap(request.max_rows)
        key_parts = [pin.tag if pin is not None else store.tag, text,
                     sol.media_type if sol else "", graph.media_type if graph else "",
                     sol_else.media_type if sol_else else "",
                     graph_else.media_type if graph_else else "",
                     json.dumps([default, named]),
                     str(cap), self.config.public_base_iri]  # relative IRIs resolve on it
        etag = make_etag(*key_parts)
        answer = QueryAnswer(False, None, b"", False, cap, etag, store.version)
        # a false If-Match is a 412 once the query is known to answer: a validator or a
        # cached answer says so, else its executor's first reply (a bad query stays a 400)
        held = if_match_holds(request.if_match, etag)
        if etag_matches(request.if_none_match, etag):
            check_if_match(request.if_match, etag)
            answer.not_modified = True
            answer.info = {"rows": None, "cache": "304"}
            return answer
        hit = self.cache.get(etag)
        if hit is not None:
            check_if_match(request.if_match, etag)
            data, meta = hit
            answer.body, answer.media_type = data, meta["media_type"]
            answer.truncated, answer.cached = meta["truncated"], True
            answer.info = {"rows": meta["rows"], "cache": "hit"}
            return answer
        job: dict[str, Any] = {
            "q": text, "solutions": sol.media_type if sol else None,
            "graph": graph.media_type if graph else None, "cap": cap,
            "max_bytes": self.config.max_answer_bytes,
            # relative IRIs resolve against the data's public base (not the request's
            # URL: answers are cached by query text, whatever the Host header)
            "base": self.config.public_base_iri,
            # what to answer in when the XML chosen cannot hold the answer
            "else": {"solutions": sol_else.media_type if sol_else else None,
                     "graph": graph_else.media_type if graph_else else None}}
        if default is not None:
            job["default"], job["named"] = default, named
        if pin is not None:
            job["pin"] = pin
        if graph is not None and graph.media_type not in _NO_PREFIXES:
            job["out_prefixes"] = {**PREFIXES, **info.prefixes}  # Turtle, TriG, JSON-LD ...
        outcome = self.pool.execute(job, timeout=self.timeout,
                                    cancel=request.cancel or current_token(), own=request.own)
        if not held:
            close_chunks(outcome.chunks)  # frees the executor
            check_if_match(request.if_match, etag)
        answer.media_type, answer.truncated = outcome.media_type, outcome.truncated
        answer.info = {"rows": None, "cache": "miss"}
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
            self._remember(answer, data, outcome.stats)
            return answer
        answer.body = self._stream(head, chunks, outcome, answer)
        return answer

    def _cap(self, wanted: int | None) -> int:
        """The row cap of a request: the service's, or a tighter one the caller asks for."""
        if wanted is None or wanted <= 0:
            return self.max_rows
        return min(wanted, self.max_rows) if self.max_rows else wanted

    # --- the library's read path -------------------------------------------------------

    def select(self, query: str, *, max_rows: int | None = None) -> Results:
        """Run a SELECT or ASK through the bounded path and return it parsed.

        Pages, the API and the graph queries read the store only through this (and
        :meth:`construct`): the same query checks, killable executors, time limit, row
        cap (``max_rows`` may only tighten it) and result cache as ``/sparql``. The
        query is recorded for the request's access-log line (:func:`issued_queries`).

        Raises
        ------
        InvalidQuery, QueryRefused, QueryTimeout
            as :meth:`query`.
        """
        started = time.monotonic()
        answer = self.query(QueryRequest(query, accept=_SOLUTIONS, max_rows=max_rows,
                                         own=True))
        body = whole_body(answer, capped=False)  # the service's own: row-capped
        _record(query, started, answer)
        return Results.from_json(body, truncated=answer.truncated)

    def construct(self, query: str, *, max_rows: int | None = None) -> tuple[Graph, bool]:
        """Run a CONSTRUCT or DESCRIBE through the bounded path: ``(graph, truncated)``."""
        body, truncated = self._construct(query, max_rows)
        return ntriples_graph(body), truncated

    def construct_triples(self, query: str, *, max_rows: int | None = None
                          ) -> tuple[list[tuple[Node, Node, Node]], bool]:
        """:meth:`construct`'s triples as a list of rdflib terms, in the answer's order,
        without the graph (a page's records are read from a plain index of them)."""
        body, truncated = self._construct(query, max_rows)
        return list(rdflib_triples(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))), truncated

    def _construct(self, query: str, max_rows: int | None) -> tuple[bytes, bool]:
        started = time.monotonic()
        answer = self.query(QueryRequest(query, accept=_TRIPLES, max_rows=max_rows,
                                         own=True))
        body = whole_body(answer, capped=False)  # the service's own: row-capped
        _record(query, started, answer)
        return body, answer.truncated

    def _remember(self, answer: QueryAnswer, data: bytes, stats: dict[str, Any]) -> None:
        self.cache.put(answer.etag, data, {"media_type": answer.media_type,
                                           "truncated": answer.truncated,
                                           "rows": stats.get("rows")})

    def _stream(self, head: list[bytes], chunks: Iterator[bytes], outcome: Outcome,
                answer: QueryAnswer) -> Iterator[bytes]:
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
            close_chunks(chunks)
        answer.info.update(outcome.stats)
        if kept is not None:
            self._remember(answer, b"".join(kept), outcome.stats)

    def health(self) -> dict[str, Any]:
        """Run a real query and report the store (raises if the query fails, or
        :class:`~exokg.errors.StoreChanged` when an artifact file is not as built).

        When no executor (or remote query slot) is free, the report says ``busy`` at
        once instead of waiting behind the queries: a busy service is alive, and a
        balancer that took it for down would move its load onto the others (under load,
        all of them went down at once). The web server runs checks one at a time, on
        a thread of their own, so one waiting a second would keep each one behind it
        waiting too.
        """
        started = time.monotonic()
        # the query reads the store the executors hold open; the pages read its artifacts
        # by path, which a folder removed since the start took away (pages 500, health 200)
        problem = artifact_problem(self.info) if self.info.folder else None
        if problem is not None:
            raise StoreChanged.of(problem)
        report = {"ok": True, "query": "ASK { ?s ?p ?o }", "triples": self.info.triples,
                  "data_version": self.info.version}
        try:
            outcome = self.pool.execute({"q": "ASK { ?s ?p ?o }",
                                         "solutions": "application/sparql-results+json",
                                         "graph": None, "cap": 0},
                                        timeout=min(self.timeout, 10.0), wait=0.0, own=True)
        except ServiceBusy:
            return {**report, "busy": True, "answer": None,
                    "ms": round((time.monotonic() - started) * 1000, 2)}
        body = b"".join(outcome.chunks)
        return {**report, "busy": False, "answer": json.loads(body)["boolean"],
                "ms": round((time.monotonic() - started) * 1000, 2)}
