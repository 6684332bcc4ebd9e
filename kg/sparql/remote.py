"""A remote store: the service's queries answered by a SPARQL 1.1 Protocol endpoint.

:class:`RemotePool` has the interface of :class:`~exokg.sparql.pool.ExecutorPool`
(``execute(job, timeout) -> Outcome``), so :class:`~exokg.sparql.service.SparqlService`
runs every query the same way whether the store is embedded or remote (setting
``STORE_URL``): the service checks the query first (read-only, SERVICE allowlist), then
the pool forwards it.

- **Time limit.** The request is cut at the limit: every read waits at most until the
  deadline, then the connection is closed (the engine sees the client gone). The
  engine's own limit is also asked for where it has a request parameter
  (``STORE_TIMEOUT_PARAM``, e.g. Virtuoso's ``timeout`` in ms); Oxigraph server's
  ``--timeout-s`` is a server flag.
- **Row cap.** Not by rewriting the query with LIMIT (a LIMIT on a sub-select loses the
  ORDER BY, and DESCRIBE has no LIMIT): with a cap the answer is asked for as SPARQL
  JSON (N-Triples for graphs), parsed as it streams (``pyoxigraph.parse_query_results``,
  ``pyoxigraph.parse``) and the connection closed after ``cap + 1`` rows; the first
  ``cap`` rows are serialized by pyoxigraph in the asked-for format, so an answer reads
  byte for byte as the embedded store's. Without a cap the remote answer streams through
  as is.
- **Data version.** ``exokg load`` records in a control graph which named graph holds the
  current data and the data's version and statistics (:mod:`exokg.sparql.remote_load`);
  queries then run on that graph (the protocol's ``default-graph-uri``). A store loaded
  otherwise gets a version from a count query. The version is read again every
  ``refresh`` seconds, so ETags and the result cache follow a reload.
- **Engine settings.** An engine known to answer some queries wrong, without a sign, under
  a setting is refused once per endpoint, before its first version read
  (:class:`RemoteIncomplete` naming the setting): Virtuoso with more than one thread per
  query (``ThreadsPerQuery``) answers large ``GROUP BY`` queries short.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import itertools
import json
import logging
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
from exokg.chunks import Chunks, close_chunks
from exokg.errors import (
    XML_UNFIT,
    AnswerTooLarge,
    ExoKGError,
    InvalidQuery,
    QueryCancelled,
    QueryTimeout,
    UnknownFormat,
)
from exokg.sparql._executor import xml_unfit
from exokg.sparql.cancel import CancelToken
from exokg.sparql.check import inspect_query, token_spans
from exokg.sparql.pool import (
    Outcome,
    ServiceBusy,
    Slots,
    WaitingLine,
    exact_xml,
    kept_for_own,
)
from exokg.sparql.row_cap import csv_chunks, serialize_rows, too_large
from exokg.store import StoreInfo

__all__ = ["CONTROL_GRAPH", "CURRENT", "HOLDS", "INFO", "NO_NAMED_GRAPH", "REFRESH", "STORE_NODE",
           "VIRTUOSO",
           "NotIndexed", "RemoteEndpoint", "RemoteFailed", "RemoteIncomplete", "RemotePool",
           "RemoteStore", "RemoteUnavailable", "check_engine", "read_current"]

logger = logging.getLogger(__name__)

#: The control graph: which graph holds the current data, and each version's facts.
CONTROL_GRAPH = "urn:exokg:control"
STORE_NODE = "urn:exokg:store"
CURRENT = "urn:exokg:current"  # STORE_NODE CURRENT <version graph>
INFO = "urn:exokg:info"  # <version graph> INFO "StoreInfo as JSON"
#: <derived graph> HOLDS <version graph>: which version a graph ``exokg index`` writes
#: (the metrics) holds now; readers expose it to the version it holds only
#: (:mod:`exokg.sparql.remote_write`)
HOLDS = "urn:exokg:holds"
#: Seconds between two reads of the current version (and of the stamps) by a reader.
REFRESH = 2.0

_CHUNK = 1 << 16
#: Seconds a keep-alive connection may stay idle before it is dropped rather than reused:
#: engines close idle connections (Oxigraph server after about 60 s), and a request sent
#: on one of those fails and is sent again.
IDLE_SECONDS = 30.0
#: Seconds a new connection to the remote store may take (its TLS handshake included):
#: an engine that is up accepts at once, and one behind a dropped route would otherwise
#: hold the request for its whole time limit and be reported as the query's own time
#: ("stopped at the time limit").
CONNECT_SECONDS = 5.0
_JSON = "application/sparql-results+json"
_NT = "application/n-triples"
_CSV = "text/csv"
#: Virtuoso's error line for a statement it cancelled (at its time limit; an operator's
#: cancel reads the same, and a retry is as right for it)
_ENGINE_CANCEL = re.compile(r"Virtuoso HY008 Error SR203\b")


class RemoteUnavailable(ExoKGError):
    """The remote store cannot be reached."""

    status = 503
    retry_after: int | None = 5


class RemoteFailed(RemoteUnavailable):
    """The remote store answered with a server error, broke off its answer or sent one
    that does not parse: a bad gateway, named in the message (never this service's own
    500)."""

    status = 502
    retry_after = None


class RemoteIncomplete(ExoKGError):
    """The remote store cut its answer at its own row limit (Virtuoso's
    ``ResultSetMaxRows``, announced by ``X-SPARQL-MaxRows``), or runs with a setting under
    which it answers some queries short (:func:`check_engine`): not the whole answer."""

    status = 502

    def __init__(self, message: str, *, limit: str = "") -> None:
        super().__init__(message)
        #: the engine's row limit, as it announced it
        self.limit = limit


class NotIndexed(ExoKGError):
    """A graph ``exokg index`` derives (the metrics) does not hold the data version
    served: that version is not indexed yet, or its graph is being written."""

    status = 503
    retry_after: int | None = 30


class _Connections:
    """Idle keep-alive connections to one host, reused by later requests."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ExoKGError(f"not an http(s) URL: {url!r}")
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # (connection, when it went idle), the most recent last
        self._idle: queue.LifoQueue[tuple[http.client.HTTPConnection, float]] = \
            queue.LifoQueue()

    def get(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection or a new one, and whether it was idle (``reused``)."""
        try:
            while True:
                conn, since = self._idle.get_nowait()
                if time.monotonic() - since <= IDLE_SECONDS and conn.sock is not None:
                    conn.sock.settimeout(timeout)
                    return conn, True
                conn.close()
        except queue.Empty:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            wait = min(timeout, CONNECT_SECONDS)
            conn = cls(self.host, self.port, timeout=wait)
            try:
                conn.connect()
            except TimeoutError:  # no query was sent: the engine is unreachable, not slow
                conn.close()
                raise RemoteUnavailable(f"no connection within {wait:g} s") from None
            except BaseException:
                conn.close()
                raise
            conn.sock.settimeout(timeout)
            # http.client sends the headers and the body in two writes: without this,
            # Nagle's algorithm holds the body until the engine acknowledges the headers
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return conn, False

    def put(self, conn: http.client.HTTPConnection) -> None:
        """Keep ``conn`` for a later request (its last answer read to the end)."""
        if conn.sock is not None:
            self._idle.put((conn, time.monotonic()))

    def clear(self) -> None:
        """Close the idle connections."""
        while True:
            try:
                self._idle.get_nowait()[0].close()
            except queue.Empty:
                return


class _Hangup:
    """While registered, a fired cancellation token shuts the connection's socket: a
    thread blocked on it wakes at once, and the engine sees its client gone."""

    def __init__(self, conn: http.client.HTTPConnection, cancel: CancelToken | None) -> None:
        self.cancel = cancel
        self._remove = cancel.on_cancel(lambda: _shut(conn)) if cancel is not None else None

    @property
    def fired(self) -> bool:
        return self.cancel is not None and self.cancel.cancelled

    def release(self) -> None:
        remove, self._remove = self._remove, None
        if remove is not None:
            remove()


def _drop(conn: http.client.HTTPConnection | None, hangup: _Hangup | None) -> None:
    """Close a connection whose request failed, and stop watching it."""
    if conn is not None:
        conn.close()
    if hangup is not None:
        hangup.release()


def _shut(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


class _Reply:
    """One HTTP answer read within a deadline: a binary file for pyoxigraph's parsers,
    and a chunk iterator; ``close`` drops the connection unless it was read to the end."""

    def __init__(self, endpoint: RemoteEndpoint, conn: http.client.HTTPConnection,
                 resp: http.client.HTTPResponse, deadline: float,
                 hangup: _Hangup | None = None) -> None:
        self.endpoint, self.conn, self.resp, self.deadline = endpoint, conn, resp, deadline
        self.hangup = hangup
        self.media_type = (resp.getheader("Content-Type") or "").split(";")[0].strip()
        # Virtuoso sends this header when its ResultSetMaxRows cut the answer (or the
        # answer has exactly that many rows: the two cannot be told apart)
        self.engine_max_rows = resp.getheader("X-SPARQL-MaxRows")
        self.server = resp.getheader("Server") or ""
        self.timed_out = False
        self.done = False
        #: bytes read so far, and the most an answer held whole may have (``None``: no
        #: bound, the answer streams through)
        self.read_bytes = 0
        self.limit: int | None = None

    def read(self, size: int = -1) -> bytes:
        if self.conn is None:  # read to the end, or closed
            return b""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.timed_out = True
            self.close()
            raise QueryTimeout("query stopped at the time limit")
        if self.conn.sock is not None:
            self.conn.sock.settimeout(remaining)
        try:
            data = b"" if self._body_read() else \
                self.resp.read1(size if size is not None and size > 0 else _CHUNK)
        except TimeoutError:
            self.timed_out = True
            self.close()
            raise QueryTimeout("query stopped at the time limit") from None
        except (OSError, http.client.HTTPException) as err:
            self.close()
            if self.hangup is not None and self.hangup.fired:
                raise QueryCancelled() from None
            raise RemoteFailed(f"the remote store at {self.endpoint.url} stopped "
                               f"mid-answer: {err}") from None
        if self.hangup is not None and self.hangup.fired:  # a shut socket reads as an end
            self.close()
            raise QueryCancelled()
        self.read_bytes += len(data)
        if self.limit is not None and self.read_bytes > self.limit:
            self.close()
            raise AnswerTooLarge(too_large(self.limit))
        if not data:
            self.done = True
            self.close()
            if self.engine_max_rows:
                # read to its end, so whoever reads needs all of it: never as if whole
                raise RemoteIncomplete(
                    f"the remote store cut its answer at its row limit of "
                    f"{self.engine_max_rows} rows (X-SPARQL-MaxRows; Virtuoso: "
                    f"ResultSetMaxRows): raise that limit above MAX_ROWS, and above the "
                    f"data's size for exports", limit=self.engine_max_rows)
        return data

    def _body_read(self) -> bool:
        # http.client (3.11) does not close a Content-Length answer whose last byte
        # read1 returned (only read does): asked again, read1(0) gives b"" and leaves it
        # open. Such a connection went back to the idle pool with its answer unfinished,
        # and the next request on it failed (ResponseNotReady: "Request-sent") after
        # the engine had been sent the query: under concurrent pages, 503s
        return self.resp.isclosed() or (not self.resp.chunked and self.resp.length == 0)

    def readinto(self, buffer: Any) -> int:  # for io.BufferedReader and pyoxigraph
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def chunks(self) -> Iterator[bytes]:
        try:
            while True:
                data = self.read(_CHUNK)
                if not data:
                    return
                yield data
        finally:
            self.close()

    def readall(self) -> bytes:
        return b"".join(self.chunks())

    def close(self) -> None:
        conn, self.conn = self.conn, None  # type: ignore[assignment]
        if conn is None:
            return
        if self.hangup is not None:
            self.hangup.release()
        if self.done and not self.resp.will_close:
            self.resp.close()  # http.client's state: the connection is free again
            self.endpoint.connections.put(conn)
        else:
            conn.close()  # mid-answer: the engine sees the client gone


class RemoteEndpoint:
    """A SPARQL 1.1 Protocol query endpoint (``url``), asked with POST and a deadline.

    Parameters
    ----------
    url
        the query endpoint, e.g. ``http://127.0.0.1:7878/query`` (Oxigraph server) or
        ``http://127.0.0.1:8890/sparql`` (Virtuoso).
    timeout_param
        the engine's own time-limit request parameter, sent in milliseconds (Virtuoso:
        ``timeout``); empty: none sent.
    """

    def __init__(self, url: str, *, timeout_param: str = "") -> None:
        self.url = url
        self.timeout_param = timeout_param
        self.connections = _Connections(url)
        #: whether :func:`check_engine` found the engine's settings sound (checked once)
        self.checked = False
        #: the engine, from its ``Server`` header (:func:`check_engine`): "Virtuoso" or "";
        #: a few of its answers to the protocol differ (see RemotePool's dataset)
        self.engine = ""

    def request(self, query: str, *, accept: str, timeout: float,
                default_graphs: list[str] | None = None,
                named_graphs: list[str] | None = None,
                cancel: CancelToken | None = None) -> _Reply:
        """Send ``query``; the answer's status is checked, its body not yet read.
        ``cancel``, when fired, closes the connection (the engine sees its client gone).

        Raises
        ------
        InvalidQuery
            when the engine says 400 (its message is kept).
        UnknownFormat
            when it says 406.
        QueryTimeout
            when no answer starts before ``timeout`` seconds, or the engine stopped the
            query at its own time limit (Virtuoso's partial S1TAT answer or its SR203
            error; a 408 or 504).
        RemoteUnavailable
            when no new connection to it can be made (503).
        RemoteFailed
            when it answers 5xx (502).
        QueryCancelled
            when ``cancel`` fires.
        """
        deadline = time.monotonic() + (timeout or 1e9)
        params: list[tuple[str, str]] = [("query", query)]
        params += [("default-graph-uri", g) for g in default_graphs or ()]
        params += [("named-graph-uri", g) for g in named_graphs or ()]
        if self.timeout_param and timeout:
            params.append((self.timeout_param, str(int(timeout * 1000))))
        body = urlencode(params).encode()
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        # An idle keep-alive connection the engine has closed meanwhile fails at once:
        # the next is tried, then a new one (only a new connection's failure means the
        # engine cannot be reached).
        while True:
            if cancel is not None and cancel.cancelled:
                raise QueryCancelled()
            conn: http.client.HTTPConnection | None = None
            hangup: _Hangup | None = None
            reused = False
            try:
                conn, reused = self.connections.get(max(0.001, deadline - time.monotonic()))
                hangup = _Hangup(conn, cancel)
                conn.request("POST", self.connections.path, body=body, headers=headers)
                resp = conn.getresponse()
                break
            except TimeoutError:
                _drop(conn, hangup)
                raise QueryTimeout(f"query stopped at the time limit of {timeout:g} s") \
                    from None
            except RemoteUnavailable as err:
                raise RemoteUnavailable(f"the remote store at {self.url} cannot be reached: "
                                        f"{err}") from None
            except (OSError, http.client.HTTPException) as err:
                _drop(conn, hangup)
                if hangup is not None and hangup.fired:
                    raise QueryCancelled() from None
                if not reused:
                    raise RemoteUnavailable(
                        f"the remote store at {self.url} cannot be reached: {err}") from None
                logger.debug("an idle connection to %s failed (%s): trying another",
                             self.url, err)
        assert conn is not None
        reply = _Reply(self, conn, resp, deadline, hangup)
        # the engine's own limit is known only when exokg sent it (else it is in the URL)
        limit = f"its time limit of {timeout:g} s" if self.timeout_param and timeout \
            else "its time limit"
        if resp.status == 200 and resp.getheader("X-SQL-State") == "S1TAT":
            # Virtuoso's "anytime" answer: what it found by its time limit, not the answer
            reply.close()
            raise QueryTimeout(f"the remote store stopped the query at {limit} "
                               f"(its partial answer is not sent)")
        if resp.status == 200:
            return reply
        message = reply.readall()[:2000].decode(errors="replace").strip()
        # the engine's own words: what follows them may echo the query, whose text is the
        # user's and says nothing about why it failed
        said = message.split("\n", 1)[0]
        if resp.status == 500 and _ENGINE_CANCEL.match(said):
            # the same limit reached while Virtuoso runs the statement asynchronously: it
            # answers 500 rather than a partial 200 (openlink/virtuoso-opensource#983)
            raise QueryTimeout(f"the remote store stopped the query at {limit}: {message}")
        if resp.status == 400:
            raise InvalidQuery(f"SPARQL syntax error (remote store): {message}")
        if resp.status == 406:
            raise UnknownFormat(f"the remote store cannot answer in {accept}: {message}")
        if resp.status in (408, 504) or "timeout" in said.lower():
            raise QueryTimeout(f"the remote store stopped the query: {message}")
        raise RemoteFailed(f"the remote store at {self.url} answered {resp.status}: "
                           f"{message}")

    def select(self, query: str, *, timeout: float,
               default_graphs: list[str] | None = None) -> list[list[Any]]:
        """The rows of a SELECT, parsed (for small control and count queries)."""
        return self.select_reply(query, timeout=timeout, default_graphs=default_graphs)[0]

    def select_reply(self, query: str, *, timeout: float,
                     default_graphs: list[str] | None = None) -> tuple[list[list[Any]], str]:
        """The rows of a SELECT, parsed, and the engine's ``Server`` header (which
        :func:`check_engine` reads)."""
        reply = self.request(query, accept=_JSON, timeout=timeout,
                             default_graphs=default_graphs)
        result = ox.parse_query_results(reply.readall(), format=ox.QueryResultsFormat.JSON)
        assert isinstance(result, ox.QuerySolutions)
        return [list(solution) for solution in result], reply.server


def read_current(endpoint: RemoteEndpoint, *, timeout: float = 10.0
                 ) -> tuple[str | None, dict[str, Any] | None]:
    """The current version graph and its recorded facts, from the control graph
    (``(None, None)`` for a store that ``exokg load`` did not load).

    The facts' ``graphs`` (the named graphs ``exokg index`` wrote) keep only those that
    hold this version now (stamped :data:`HOLDS` it); ``unpublished`` lists the derived
    graphs that do not. A derived graph is one graph in the engine, written for one
    version at a time: while it holds another version's data (before ``exokg index`` of
    a new version, after a roll-back) or is being written, it is not this version's.
    Version and stamps are read in one query, so they agree.
    """
    rows, server = endpoint.select_reply(
        f"SELECT ?g ?info ?d ?h WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ "
        f"{{ <{STORE_NODE}> <{CURRENT}> ?g OPTIONAL {{ ?g <{INFO}> ?info }} }} "
        f"UNION {{ ?d <{HOLDS}> ?h }} }} }}", timeout=timeout)
    best: tuple[float, str, dict[str, Any] | None] | None = None
    held: dict[str, str] = {}  # derived graph -> the version graph it holds
    for graph, info, derived, holds in rows:
        if derived is not None and holds is not None:
            held[derived.value] = holds.value
        if graph is None:
            continue
        # two are current for a moment during a switch: the newest
        facts = json.loads(info.value) if isinstance(info, ox.Literal) else None
        key = float(facts.get("loaded", 0)) if facts else -1.0
        if best is None or key > best[0]:
            best = (key, graph.value, facts)
    check_engine(endpoint, server=server, timeout=timeout)
    if best is None:
        return None, None
    graph, facts = best[1], best[2]
    if facts is not None:
        mine = {d for d, v in held.items() if v == graph}
        recorded = list(facts.get("graphs") or [])
        facts["graphs"] = [g for g in recorded if g in mine]
        facts["unpublished"] = sorted((set(held) | set(recorded)) - mine)
        stats = facts.get("stats")
        if isinstance(stats, dict) and "graphs" in stats:
            facts["stats"] = {**stats, "graphs": [g for g in stats["graphs"] if g in mine]}
    return graph, facts


def check_engine(endpoint: RemoteEndpoint, *, server: str, timeout: float = 10.0) -> None:
    """Refuse an engine whose settings make it answer some queries wrong without a sign
    (once per endpoint; :func:`read_current` calls it, so every reader and ``exokg index``
    does). ``server`` is the ``Server`` header of one of its answers (which engine).

    Virtuoso 7.2 with intra-query parallelism (``ThreadsPerQuery`` in ``[Parameters]``,
    its ``enable_qp`` status; the default is several threads) answers a large
    ``GROUP BY`` with fewer groups than there are, with status 200 and no header or log
    line (10^5 findings: 102,342 of 222,909 groups at 16 threads, 173,705 at 2; exact at
    1; benchmarks/RESULTS-remote.md).

    Raises
    ------
    RemoteIncomplete
        when the engine is Virtuoso and runs a query on more than one thread, or does not
        say how many (``limit`` names the setting).
    """
    if endpoint.checked:
        return
    endpoint.engine = VIRTUOSO if server.startswith(VIRTUOSO + "/") else ""
    if endpoint.engine:
        fix = ("set ThreadsPerQuery = 1 in the [Parameters] section of virtuoso.ini and "
               "restart it (deploy/README.md)")
        try:
            rows = endpoint.select("SELECT (<bif:sys_stat>('enable_qp') AS ?n) {}",
                                   timeout=timeout)
            threads = int(rows[0][0].value) if rows and rows[0][0] is not None else 0
        except (InvalidQuery, RemoteFailed, ValueError) as err:
            raise RemoteIncomplete(
                f"the remote store at {endpoint.url} is Virtuoso and does not say how many "
                f"threads it runs a query on ({err}); with more than one it answers large "
                f"GROUP BY queries short without a sign: {fix}",
                limit="ThreadsPerQuery") from None
        if threads != 1:
            raise RemoteIncomplete(
                f"the remote store at {endpoint.url} is Virtuoso running each query on up "
                f"to {threads} threads (ThreadsPerQuery), which answers large GROUP BY "
                f"queries short without a sign: {fix}", limit="ThreadsPerQuery")
    endpoint.checked = True


#: :attr:`RemoteEndpoint.engine` of a Virtuoso (its ``Server`` header's product name).
VIRTUOSO = "Virtuoso"

#: The named graph given to Virtuoso when a version has none: it holds nothing.
NO_NAMED_GRAPH = "urn:exokg:no-named-graph"


class _Version(NamedTuple):
    """What a reader read of the store's current version: its description, its graph
    (``None``: the default graph), the named graphs holding it (``None``: none) and the
    derived graphs that do not."""

    info: StoreInfo
    graph: str | None
    named: list[str] | None
    unpublished: frozenset[str]

    @property
    def tag(self) -> str:
        """The data as ETags name them: the version, and the derived graphs not holding
        it (a graph written or withdrawn by ``exokg index`` changes answers)."""
        if not self.unpublished:
            return self.info.version
        return f"{self.info.version} without {' '.join(sorted(self.unpublished))}"


class RemotePool:
    """The service's query runner over a remote store (see the module's docstring).

    Parameters
    ----------
    url
        the SPARQL query endpoint.
    size
        queries forwarded at once (more wait, up to their time limit: ``ServiceBusy``).
    patience
        seconds queries wait while no slot frees (:class:`~exokg.sparql.pool.WaitingLine`;
        ``None``, as long as their time limit).
    refresh
        seconds between two reads of the store's current version.
    timeout_param
        see :class:`RemoteEndpoint`.
    artifacts_dir
        the folder where ``exokg index`` put this store's artifacts (``STORE_DIR``).
    """

    def __init__(self, url: str, *, size: int = 3, refresh: float = REFRESH,
                 timeout_param: str = "", artifacts_dir: str | None = None,
                 patience: float | None = None) -> None:
        self.url = url
        self.endpoint = RemoteEndpoint(url, timeout_param=timeout_param)
        self.size, self.refresh = size, refresh
        self._slots: Slots[object] = Slots(WaitingLine(patience), "remote query slot")
        for _ in range(size):
            self._slots.put(object())
        self._lock = threading.Lock()
        # replaced whole (one assignment), so that a query reads one version's dataset
        self._version: _Version | None = None
        self.artifacts_dir = artifacts_dir
        self._checked = 0.0

    # --- the store's version ---------------------------------------------------------------

    def info(self) -> StoreInfo:
        """The store's description (version, triples, statistics), read again at most
        every ``refresh`` seconds."""
        return self.current().info

    def current(self) -> _Version:
        """The current version and its dataset, read again at most every ``refresh`` s.

        One snapshot: a caller that keys an answer by it passes it on with the query
        (the job's ``pin``), so the answer and its key are of the same version."""
        now = time.monotonic()
        if self._version is None or now - self._checked > self.refresh:
            with self._lock:
                if self._version is None or now - self._checked > self.refresh:
                    self._version = self._read_version()
                    self._checked = time.monotonic()
        return self._version

    def _read_version(self) -> _Version:
        from exokg.sparql.remote_index import remote_artifacts

        graph, facts = read_current(self.endpoint)
        if graph is not None and facts is None and self._version is not None:
            return self._version  # its facts are being rewritten
        if graph is not None and facts is not None:
            # only the named graphs holding this version (read_current)
            named = list(facts.get("graphs") or []) or None
            unpublished = frozenset(facts.get("unpublished") or ())
            facts = {k: facts[k] for k in ("version", "triples", "sources", "built", "stats")
                     if k in facts}
            folder, artifacts = remote_artifacts(self.artifacts_dir, facts["version"])
            return _Version(StoreInfo(path=self.url, reused=True, folder=folder,
                                      artifacts=artifacts, **facts), graph, named, unpublished)
        # Loaded by other means: the version follows the count of triples.
        rows = self.endpoint.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout=60.0)
        count = int(rows[0][0].value) if rows and rows[0][0] is not None else 0
        version = hashlib.sha256(f"{self.url}\x00{count}".encode()).hexdigest()[:16]
        return _Version(StoreInfo(path=self.url, version=version, triples=count,
                                  sources=[self.url], built="", stats={"triples": count},
                                  reused=True), None, None, frozenset())

    @property
    def graph(self) -> str | None:
        """The named graph that holds the current data (``None``: the default graph)."""
        return self.current().graph

    @property
    def unpublished(self) -> frozenset[str]:
        """The graphs ``exokg index`` derives that do not hold the current version (not
        indexed yet, or being written): queries naming them are refused
        (:class:`NotIndexed`)."""
        return self.current().unpublished

    def start(self) -> None:
        """Read the store's version now (fails early if the store cannot be reached)."""
        self.info()

    def close(self) -> None:
        """Drop idle connections."""
        self.endpoint.connections.clear()

    # --- queries ---------------------------------------------------------------------------

    def _dataset(self, job: dict[str, Any], version: _Version
                 ) -> tuple[list[str] | None, list[str] | None]:
        if version.unpublished:
            _refuse_unpublished(job, version.unpublished, version.info)
        if job.get("default") is not None or job.get("named") is not None:
            return job.get("default") or [], job.get("named") or []
        # A query naming its own dataset (FROM) keeps it; others read the current graph.
        if version.graph is None or _names_dataset(job["q"]):
            return None, None
        if version.named or self.endpoint.engine != VIRTUOSO:
            return [version.graph], version.named
        # Virtuoso takes no named graph given as every graph (GRAPH ?g then reads the other
        # versions' graphs and unpublished metrics); a graph that does not exist is none
        # there (not on Oxigraph, which binds GRAPH ?g {} to it: it is sent none)
        return [version.graph], [NO_NAMED_GRAPH]

    def execute(self, job: dict[str, Any], *, timeout: float,
                cancel: CancelToken | None = None, wait: float | None = None,
                own: bool = False) -> Outcome:
        """Run ``job`` (the executor's request: ``q``, ``solutions``, ``graph``, ``cap``,
        ``default``, ``named``, ``out_prefixes``; or ``dump``, a whole-graph export:
        :mod:`exokg.sparql.remote_dump`) on the remote store; ``cancel``, when fired,
        closes its connection (checked too once a query slot is free; an export stops
        when its stream is closed); ``own``: the service's own bounded query, which may
        take the slot kept from users' queries (:func:`~exokg.sparql.pool.kept_for_own`).

        Raises
        ------
        InvalidQuery, UnknownFormat, QueryTimeout
            as :meth:`ExecutorPool.execute <exokg.sparql.pool.ExecutorPool.execute>`.
        RemoteUnavailable
            when the store cannot be reached (503).
        RemoteFailed
            when it fails, breaks off or sends an answer that does not parse (502).
        """
        started = time.monotonic()
        limit = min(timeout or float("inf"), float("inf") if wait is None else wait)
        try:
            slot = self._slots.get(None if limit == float("inf") else limit, cancel,
                                   keep=kept_for_own(self.size, own))
        except queue.Empty:
            raise ServiceBusy(f"every remote query slot stayed busy for {limit:.3g} s; "
                              "try again later") from None
        try:
            remaining = max(0.001, timeout - (time.monotonic() - started)) if timeout else 0
            outcome = self._run(job, remaining, cancel)
        except BaseException:
            self._slots.put(slot)
            raise
        def ended() -> None:
            outcome.stats["seconds"] = time.monotonic() - started

        outcome.chunks = Chunks(outcome.chunks, then=lambda: self._slots.put(slot), ended=ended)
        return outcome

    def _run(self, job: dict[str, Any], timeout: float, cancel: CancelToken | None) -> Outcome:
        if job.get("dump"):  # a whole-graph export: the executor's dump, over the protocol
            from exokg.sparql.remote_dump import remote_dump

            version = job.get("pin") or self.current()
            chunks = remote_dump(self.endpoint, job["dump"], graph=version.graph,
                                 named=version.named, prefixes=job.get("out_prefixes"),
                                 timeout=timeout, cancel=cancel)
            return _exact(Outcome("graph", job["dump"], False,
                                  _xml_checked(chunks, job["dump"])))
        solutions, graph = job.get("solutions"), job.get("graph")
        cap = int(job.get("cap") or 0)
        default, named = self._dataset(job, job.get("pin") or self.current())
        query, info = job["q"], inspect_query(job["q"])
        if job.get("base") and info.base is None:  # relative IRIs: the data's public base
            query = f"BASE <{job['base']}>\n{query}"
        if solutions and info.form == "ASK":
            reply = self.endpoint.request(query, accept=_JSON, timeout=timeout,
                                          default_graphs=default, named_graphs=named,
                                          cancel=cancel)
            return _exact(_boolean(reply, solutions))
        if cap:  # parse and cut: ask in a syntax pyoxigraph parses as it streams
            accept = ", ".join(m for m in (solutions and _JSON, graph and _NT) if m)
        else:  # CSV is written here, from JSON (exokg.sparql.row_cap says why)
            accept = ", ".join(m for m in (_JSON if solutions == _CSV else solutions, graph)
                               if m)
        reply = self.endpoint.request(query, accept=accept, timeout=timeout,
                                      default_graphs=default, named_graphs=named, cancel=cancel)
        try:
            is_graph = reply.media_type not in (_JSON, solutions) if solutions else True
            other = job.get("else") or {}
            if not cap:
                if not is_graph and solutions == _CSV:
                    return Outcome("solutions", _CSV, False,
                                   Chunks(_csv_from_json(reply, self.url), then=reply.close))
                kind = "graph" if is_graph else "solutions"
                media_type = reply.media_type or (graph if is_graph else solutions) or ""
                # the engine's own bytes, as it wrote them
                return Outcome(kind, media_type, False,
                               Chunks(_xml_checked(reply.chunks(), media_type),
                                      then=reply.close))
            max_bytes = int(job.get("max_bytes") or 0)
            if is_graph:
                return _exact(_cut_graph(reply, graph, cap, max_bytes,
                                         job.get("out_prefixes"), other.get("graph")))
            return _exact(_cut_solutions(reply, solutions, cap, max_bytes,
                                         other.get("solutions")))
        except (SyntaxError, ValueError) as err:
            reply.close()
            raise RemoteFailed(f"the answer of the remote store at {self.url} does not "
                               f"parse: {err}") from None
        except BaseException:
            reply.close()
            raise


def _names_dataset(query: str) -> bool:
    """Whether ``query`` names its own dataset (``FROM``, ``FROM NAMED``)."""
    return any(kind == "word" and value.upper() == "FROM" and query[start - 1:start] != "@"
               for kind, value, start in token_spans(query))  # "x"@from: a language


def _refuse_unpublished(job: dict[str, Any], unpublished: frozenset[str],
                        info: StoreInfo) -> None:
    """Refuse a query or dataset that names a derived graph not holding the version
    served (:func:`read_current`): its data are another version's, or half written.

    A query that names its own dataset is refused while any graph is unpublished: an IRI
    has many spellings (relative to a ``BASE``, with ``\\u`` escapes, prefixed), and the
    engine, not this check, would resolve them. Other queries are given the current
    version's dataset, which leaves unpublished graphs out whatever they name."""
    named = set(job.get("default") or ()) | set(job.get("named") or ())
    text = inspect_query(job["q"])
    for kind, value, _ in token_spans(job["q"]):
        if kind == "iri":
            named.add(value[1:-1])
        elif kind == "pname":
            prefix, _, local = value.partition(":")
            if prefix in text.prefixes:
                named.add(text.prefixes[prefix] + local)
    hit = sorted(named & unpublished)
    if hit or (job.get("default") is None and job.get("named") is None
               and _names_dataset(job["q"])):
        what = f"<{hit[0]}>" if hit else f"<{min(unpublished)}>, which a FROM might name,"
        raise NotIndexed(f"{what} does not hold data version {info.version} yet: it is "
                         f"built by 'exokg index' after each 'exokg load' (the store's "
                         f"operator runs it); try again then")


class _Stream(io.RawIOBase):
    """A reply as a raw file, for pyoxigraph's parsers (which read it as they parse);
    closing it (or dropping it unread) closes the reply: only an answer read to its end
    lets its connection be reused."""

    def __init__(self, reply: _Reply) -> None:
        self.reply = reply

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self.reply.readinto(buffer)

    def close(self) -> None:
        self.reply.close()
        super().close()


def _streamed(reply: _Reply) -> io.BufferedReader:
    return io.BufferedReader(_Stream(reply), _CHUNK)


class _Tee(_Stream):
    """A reply as a raw file that also keeps what was read (to serialize it again), at
    most ``limit`` bytes of it (``MAX_ANSWER_BYTES``; 0: no limit): one row of a doubled
    string made a 268 MB answer."""

    def __init__(self, reply: _Reply, limit: int) -> None:
        super().__init__(reply)
        reply.limit = limit or None
        self.kept = bytearray()

    def readinto(self, buffer: Any) -> int:
        n = self.reply.readinto(buffer)
        self.kept += bytes(buffer[:n])
        return n


def _exact(outcome: Outcome) -> Outcome:
    """``outcome`` with pyoxigraph's XML made exact (:func:`~exokg.sparql._executor.xml_exact`):
    for what pyoxigraph wrote here, not an engine's own bytes."""
    outcome.chunks = exact_xml(outcome.media_type, outcome.chunks)
    return outcome


def _csv_from_json(reply: _Reply, url: str) -> Iterator[bytes]:
    """The engine's JSON answer as CSV, as it comes (:func:`~exokg.sparql.row_cap.csv_chunks`)."""
    try:
        result = ox.parse_query_results(io.BufferedReader(_Stream(reply), _CHUNK),
                                        format=ox.QueryResultsFormat.JSON)
        if not isinstance(result, ox.QuerySolutions):
            raise RemoteFailed(f"the remote store at {url} answered a SELECT with a boolean")
        yield from csv_chunks([v.value for v in result.variables], result)
    except (SyntaxError, ValueError) as err:
        raise RemoteFailed(f"the answer of the remote store at {url} does not parse: "
                           f"{err}") from None
    finally:
        reply.close()


def _xml_checked(chunks: Iterator[bytes], media_type: str) -> Iterator[bytes]:
    """The engine's answer as it comes, refused (406) where its XML could not carry it:
    before the service sent its header (a small answer), or as a cut body. (An engine
    writes such XML as the executors' pyoxigraph does: malformed.)"""
    tail = b""  # a 3-byte U+FFFE or U+FFFF may span two chunks
    try:
        for chunk in chunks:
            if xml_unfit(media_type, tail + chunk):
                raise UnknownFormat(XML_UNFIT)
            tail = chunk[-2:]
            yield chunk
    finally:
        close_chunks(chunks)


def _fit(media_type: str, data: bytes, other: str | None,
         again: Callable[[str], bytes]) -> tuple[str, bytes]:
    """``(media_type, data)``, or, where that XML cannot carry the answer, the answer in the
    request's other acceptable type (``again(other)``); else a 406."""
    if not xml_unfit(media_type, data):
        return media_type, data
    if other is None:
        raise UnknownFormat(XML_UNFIT)
    return other, again(other)


def _cut_solutions(reply: _Reply, media_type: str | None, cap: int, max_bytes: int,
                   other: str | None = None) -> Outcome:
    if reply.media_type != _JSON or not media_type:
        reply.close()
        raise UnknownFormat(f"the remote store answered {reply.media_type or 'no type'}, "
                            f"not {_JSON}")
    tee = _Tee(reply, max_bytes)
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    result = ox.parse_query_results(io.BufferedReader(tee, _CHUNK),
                                    format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryBoolean):
        reply.readall()
        return Outcome("boolean", media_type, False,
                       iter([result.serialize(format=fmt) or b""]), {"rows": 1})
    variables = [v.value for v in result.variables]
    rows = [tuple(s) for s in itertools.islice(result, cap + 1)]
    if len(rows) > cap:
        reply.close()  # the engine stops sending; what it has not sent is never read
        media_type, data = _fit(media_type, serialize_rows(media_type, variables, rows[:cap]),
                                other, lambda m: serialize_rows(m, variables, rows[:cap]))
        return Outcome("solutions", media_type, True, iter([data]), {"rows": cap})
    reply.readall()

    def whole(out: str) -> bytes:
        if out == _CSV:  # written in Python (exokg.sparql.row_cap says why)
            return serialize_rows(out, variables, rows)
        again = ox.parse_query_results(bytes(tee.kept), format=ox.QueryResultsFormat.JSON)
        return again.serialize(format=ox.QueryResultsFormat.from_media_type(out)) or b""

    media_type, data = _fit(media_type, whole(media_type), other, whole)
    return Outcome("solutions", media_type, False, iter([data]), {"rows": len(rows)})


def _boolean(reply: _Reply, media_type: str) -> Outcome:
    """An ASK's answer, serialized by pyoxigraph (Virtuoso answers an ASK as one
    solution binding ``__ASK_RETVAL`` to 0 or 1)."""
    try:
        result = ox.parse_query_results(reply.readall(), format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as err:
        raise RemoteFailed(f"the answer of the remote store at {reply.endpoint.url} does "
                           f"not parse: {err}") from None
    if isinstance(result, ox.QueryBoolean):
        value = bool(result)
    else:
        rows = [list(s) for s in result]
        term = rows[0][0] if rows and rows[0] else None
        value = term is not None and term.value in ("1", "true")
    # pyoxigraph builds a boolean answer only from a query: ask an empty store
    answer = ox.Store().query("ASK {}" if value else "ASK { FILTER(false) }")
    assert isinstance(answer, ox.QueryBoolean)
    data = answer.serialize(format=ox.QueryResultsFormat.from_media_type(media_type))
    return Outcome("boolean", media_type, False, iter([data or b""]), {"rows": 1})


def _cut_graph(reply: _Reply, media_type: str | None, cap: int, max_bytes: int,
               prefixes: dict[str, str] | None, other: str | None = None) -> Outcome:
    if not media_type:
        reply.close()
        raise UnknownFormat("no acceptable media type for an RDF graph (CONSTRUCT/DESCRIBE)")
    fmt = ox.RdfFormat.from_media_type(reply.media_type)
    if fmt is None:
        reply.close()
        raise RemoteFailed(f"the remote store at {reply.endpoint.url} answered "
                           f"{reply.media_type!r}, not RDF")
    parsed = ox.parse(io.BufferedReader(_Tee(reply, max_bytes), _CHUNK), fmt)
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in itertools.islice(parsed, cap + 1)]
    truncated = len(triples) > cap
    if truncated:
        reply.close()
        del triples[cap:]
    else:
        reply.readall()

    def written(media: str) -> bytes:
        out = ox.RdfFormat.from_media_type(media)
        assert out is not None
        items: list[Any] = ([ox.Quad(t.subject, t.predicate, t.object) for t in triples]
                            if out.supports_datasets else triples)
        return ox.serialize(items, None, out, prefixes=prefixes or None) or b""

    media_type, data = _fit(media_type, written(media_type), other, written)
    return Outcome("graph", media_type, truncated, iter([data]), {"rows": len(triples)})


class RemoteStore:
    """A remote store read as a :class:`pyoxigraph.Store` is (``query``, ``len``,
    ``named_graphs``), for code written against one: the artifact builders
    (``exokg index --store-url``) and the statistics of a load.

    Queries read the current version graph (or ``graph``); answers are parsed by
    pyoxigraph as they arrive (client memory stays bounded by a read buffer, not by an
    answer), so ``query`` returns what ``Store.query`` does (solutions, a boolean, or
    triples); each answer is checked at its end for an engine's cut
    (:class:`RemoteIncomplete`). With ``page_rows``, a SELECT is asked in pages of that
    many rows (:mod:`exokg.sparql.paging`), each below the engine's own answer cap.

    Parameters
    ----------
    url
        the SPARQL query endpoint.
    graph
        the graph to read (default: the current version graph).
    timeout
        seconds each query (each page) may take.
    page_rows
        rows per page of a SELECT's answer (0: one request per answer).
    """

    def __init__(self, url: str, *, graph: str | None = None, timeout: float = 600.0,
                 named: list[str] | None = None, page_rows: int = 0) -> None:
        self.endpoint = RemoteEndpoint(url)
        self.timeout = timeout
        self.page_rows = page_rows
        if graph is None:
            graph, facts = read_current(self.endpoint)
            named = named if named is not None else list((facts or {}).get("graphs") or [])
        self.graph = graph
        self.named = list(named or [])

    def query(self, query: str, *, use_default_graph_as_union: bool = False,
              **_options: Any) -> Any:
        """Run ``query`` and return pyoxigraph's answer, parsed as it is read; the default
        graph is the data graph (with ``use_default_graph_as_union``: and the named graphs).

        Each answer holds its own connection until read to its end (or dropped), so
        answers may be read at the same time, from several threads (the builders do).
        """
        default = [self.graph] if self.graph else None
        if default and use_default_graph_as_union:
            default += self.named
        form = inspect_query(query).form
        if form == "SELECT" and self.page_rows:
            from exokg.sparql.paging import PagedSolutions

            return PagedSolutions(lambda page: self._ask(page, default), query,
                                  self.page_rows)
        return self._ask(query, default, graph_form=form in ("CONSTRUCT", "DESCRIBE"))

    def _ask(self, query: str, default: list[str] | None, *, graph_form: bool = False) -> Any:
        # one media type per form: an engine asked for JSON may answer a CONSTRUCT in
        # SPARQL JSON (Virtuoso does), which is not what Store.query gives
        reply = self.endpoint.request(query, accept=_NT if graph_form else _JSON,
                                      timeout=self.timeout, default_graphs=default)
        try:
            if reply.media_type == _JSON:
                return ox.parse_query_results(_streamed(reply),
                                              format=ox.QueryResultsFormat.JSON)
            fmt = ox.RdfFormat.from_media_type(reply.media_type) or ox.RdfFormat.N_TRIPLES
            return (ox.Triple(q.subject, q.predicate, q.object)
                    for q in ox.parse(_streamed(reply), fmt))
        except BaseException:
            reply.close()
            raise

    def __len__(self) -> int:
        rows = list(self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                               use_default_graph_as_union=True))
        return int(rows[0][0].value) if rows else 0

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """The named graphs recorded with the data (those ``exokg index`` wrote)."""
        return iter([ox.NamedNode(g) for g in self.named])

    def graph_counts(self, graphs: list[str]) -> dict[str, int]:
        """The triples of each of ``graphs``, each read as the only graph of a store (the
        statistics' ``graph_triples``)."""
        return {g: len(RemoteStore(self.endpoint.url, graph=g, named=[],
                                   timeout=self.timeout)) for g in graphs}
