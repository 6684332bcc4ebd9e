"""A small pool of executor processes, each with the store open read-only.

Neither Oxigraph nor rdflib can cancel a running query, so each query runs in an
executor process (:mod:`exokg.sparql._executor`) that the pool kills (SIGKILL) at the
time limit, freeing its CPU at once, and replaces in the background. The calling
thread only waits on a pipe, so the web worker keeps serving other requests.
Executors are persistent (started once, reused), results are serialized inside them
by pyoxigraph, and the bytes stream back through the pipe in 64 KiB frames.

A query whose caller gives up (a :class:`~exokg.sparql.cancel.CancelToken` fired: the
HTTP client hung up) is stopped the same way, at once: the wait on the pipe also
watches the token's fd, and the wait for an idle executor is woken by it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from exokg.chunks import Chunks
from exokg.errors import (
    RDF12_UNFIT,
    XML_UNFIT,
    AnswerTooLarge,
    ExoKGError,
    InvalidQuery,
    QueryCancelled,
    QueryTimeout,
    UnknownFormat,
)
from exokg.sparql._executor import MEMORY_EXIT, XML_TYPES, xml_exact
from exokg.sparql.cancel import CancelToken
from exokg.sparql.check import inspect_query
from exokg.sparql.diagnose import explain_syntax_error
from exokg.sparql.row_cap import too_large

__all__ = ["EXECUTOR_SCRIPT", "Executor", "ExecutorPool", "MemoryExceeded", "NoExecutor",
           "Outcome", "QueryFailed", "ServiceBusy", "ServiceFailed", "Slots", "WaitingLine",
           "kept_for_own"]

logger = logging.getLogger(__name__)

EXECUTOR_SCRIPT = str(Path(__file__).with_name("_executor.py"))

_T = TypeVar("_T")


class QueryFailed(ExoKGError):
    """A query that parsed but failed while running (or whose executor died)."""

    status = 500


_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL,
                  signal.SIGFPE}


class ServiceBusy(QueryTimeout):
    """Every executor stayed busy until the request's time limit, or none freed for the
    line's patience (:class:`WaitingLine`)."""

    status = 503
    retry_after = 5
    expected = True  # a reply under load, in the access log: not a warning each time


class MemoryExceeded(QueryFailed):
    """A query that needed more memory than a query may take (``QUERY_MEMORY``)."""

    status = 503


class NoExecutor(QueryFailed):
    """Every executor is gone and none could be started again (the store's files gone
    or damaged since the start): not busy, unavailable until restarted."""

    status = 503


def _memory_exceeded(limit: int) -> MemoryExceeded:
    return MemoryExceeded(f"the query needed more memory than a query may use "
                          f"({limit >> 20} MB, QUERY_MEMORY); narrow it (more specific "
                          "patterns, a LIMIT, fewer rows to sort or group)")


class ServiceFailed(QueryFailed):
    """A query whose call of a remote SERVICE endpoint failed (refused, unreachable, an
    error answer): the upstream's fault, 502."""

    status = 502


class WaitingLine:
    """The line of queries waiting for a busy executor (or remote query slot), left with
    :class:`ServiceBusy` once it stops moving: when no executor has been handed out (or
    replaced) for ``patience`` seconds, every one runs a query started before, and those
    waiting, and each query that comes until one frees, are refused.

    Each waiter holds a request thread of its worker. Fast queries turn the executors
    over many times a second, and a burst waits its turn; slow ones do not, and as many
    of them as a worker has threads held every thread: a page or ``/healthz`` waited
    behind them for up to the time limit. ``patience`` ``None``: wait as long as asked.

    >>> line = WaitingLine(0.5)
    >>> line.moved()
    >>> line.check("executor")
    >>> time.sleep(0.6)
    >>> try:
    ...     line.check("executor")
    ... except ServiceBusy as err:
    ...     print(err)
    no executor has freed for 0.5 s; try again later
    """

    #: Seconds between two looks of a waiting query at whether its line still moves.
    LOOK = 0.1

    def __init__(self, patience: float | None) -> None:
        self.patience = patience
        self._taken = time.monotonic()

    def moved(self) -> None:
        """Say that an executor was just handed out (under the lock of the :class:`Slots`
        that hand them out) or replaced: the line moves."""
        self._taken = time.monotonic()

    def wait_for(self, remaining: float | None) -> float | None:
        """How long a waiter may sleep before it looks at the line again (``remaining``
        seconds at most; ``None``: no limit)."""
        if self.patience is None:
            return remaining
        return self.LOOK if remaining is None else min(remaining, self.LOOK)

    def check(self, what: str) -> None:
        """Raise :class:`ServiceBusy` when the line has stopped moving."""
        if self.patience is not None and time.monotonic() - self._taken > self.patience:
            raise ServiceBusy(f"no {what} has freed for {self.patience:g} s; try again later")


def kept_for_own(size: int, own: bool = False) -> int:
    """How many of ``size`` executors (or remote query slots) a query may not take: for a
    user's query, one, kept for the service's own bounded queries (``own``: pages, the
    API, the health check, which may take them all), when there are three or more.
    Without it, as many slow user queries as executors made every page and API call a 503
    until the first of them ended (up to the time limit). With two, both stay open to
    users: one runaway query still leaves one for the next.

    >>> [kept_for_own(n) for n in (1, 2, 3, 8)], kept_for_own(8, own=True)
    ([0, 0, 1, 1], 0)
    """
    return 1 if size > 2 and not own else 0


class _Deadline(Exception):
    pass


class _Died(Exception):
    pass


class _Cancelled(Exception):
    pass


class Slots(Generic[_T]):
    """Things handed out one at a time -- idle executors, remote query slots -- and
    waited for (last in, first out) with a deadline, a cancellation token (a
    ``queue.Queue`` wait cannot be woken by a token) and a :class:`WaitingLine`.

    The line's clock is set under the same lock that hands a thing out: a caller that
    finds none left right after another took the last one sees the line move.
    """

    def __init__(self, line: WaitingLine | None = None, what: str = "query executor") -> None:
        self._items: list[_T] = []
        # reentrant: a stream dropped with its slot unreturned gives it back from its
        # __del__, which the garbage collector may run inside this very lock
        self._ready = threading.Condition(threading.RLock())
        self.line = line if line is not None else WaitingLine(None)
        self.what = what

    def put(self, item: _T) -> None:
        with self._ready:
            self._items.append(item)
            # every waiter looks: the one woken alone might be one that must keep it
            self._ready.notify_all()

    def get(self, timeout: float | None, cancel: CancelToken | None = None, *,
            keep: int = 0) -> _T:
        """A thing now, or once one is put back, waiting ``timeout`` seconds at most
        (``None``: no limit); ``keep``: only while more than that many are left (the
        rest are kept for callers that keep none: :func:`kept_for_own`).

        Raises ``queue.Empty`` at the deadline, :class:`~exokg.errors.QueryCancelled`
        when ``cancel`` fires, :class:`ServiceBusy` when the line stops moving.

        >>> slots: Slots[str] = Slots()
        >>> slots.put("a"); slots.put("b")
        >>> slots.get(0, keep=1)
        'b'
        >>> slots.get(0.01, keep=1)
        Traceback (most recent call last):
        ...
        _queue.Empty
        >>> slots.get(0)
        'a'
        """
        if cancel is not None and cancel.cancelled:
            raise QueryCancelled()
        deadline = None if timeout is None else time.monotonic() + timeout
        remove = cancel.on_cancel(self._wake) if cancel is not None else None
        try:
            with self._ready:
                while len(self._items) <= keep:
                    if cancel is not None and cancel.cancelled:
                        raise QueryCancelled()
                    self.line.check(self.what)
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise queue.Empty
                    self._ready.wait(self.line.wait_for(remaining))
                self.line.moved()
                return self._items.pop()
        finally:
            if remove is not None:
                remove()

    def get_nowait(self) -> _T:
        """A thing now, or ``queue.Empty``."""
        with self._ready:
            if not self._items:
                raise queue.Empty
            self.line.moved()
            return self._items.pop()

    def _wake(self) -> None:
        with self._ready:
            self._ready.notify_all()


class Executor:
    """One executor process and the pipes to it."""

    def __init__(self, store_path: str, *, start_timeout: float = 60.0,
                 memory: bool = False, memory_limit: int = 0) -> None:
        args = [sys.executable, EXECUTOR_SCRIPT, store_path] + (["--memory"] if memory else [])
        if memory_limit:
            args += ["--memory-limit", str(memory_limit)]
        self.memory_limit = memory_limit
        # the executor exits once this process is gone (it watches its parent's pid)
        env = {**os.environ, "EXOKG_EXECUTOR_PARENT": str(os.getpid())}
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0, close_fds=True, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None  # PIPE given
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self._buf = bytearray()
        self._poll = select.poll()
        self._poll.register(self._out, select.POLLIN)
        try:
            kind, payload = self.read_frame(time.monotonic() + start_timeout)
        except (_Deadline, _Died):
            self.kill()
            raise QueryFailed("a query executor did not start") from None
        if kind != b"R":
            self.kill()
            raise QueryFailed(json.loads(payload).get("message", "executor failed"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, request: dict[str, Any]) -> None:
        data = memoryview(json.dumps(request).encode() + b"\n")
        while data:
            data = data[os.write(self._in, data):]

    def _fill(self, n: int, deadline: float, cancel: CancelToken | None) -> None:
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            # no time limit (0) is an infinite deadline: poll() takes None for that, and
            # raised OverflowError for inf milliseconds
            if remaining <= 0 or not self._poll.poll(
                    None if remaining == math.inf else remaining * 1000):
                raise _Deadline
            if cancel is not None and cancel.cancelled:  # its fd woke the poll
                raise _Cancelled
            chunk = os.read(self._out, 1 << 17)
            if not chunk:
                raise _Died
            self._buf += chunk

    def read_frame(self, deadline: float,
                   cancel: CancelToken | None = None) -> tuple[bytes, bytes]:
        """The next ``(type, payload)`` frame, waiting until ``deadline`` at most, or
        until ``cancel`` fires (``_Cancelled``)."""
        if cancel is None:
            return self._read_frame(deadline, None)
        if cancel.cancelled:
            raise _Cancelled
        fd = cancel.fileno()
        self._poll.register(fd, select.POLLIN)
        try:
            return self._read_frame(deadline, cancel)
        finally:
            self._poll.unregister(fd)

    def _read_frame(self, deadline: float, cancel: CancelToken | None) -> tuple[bytes, bytes]:
        self._fill(5, deadline, cancel)
        size = int.from_bytes(self._buf[1:5], "big")
        self._fill(5 + size, deadline, cancel)
        kind, payload = bytes(self._buf[:1]), bytes(self._buf[5:5 + size])
        del self._buf[:5 + size]
        return kind, payload

    def kill(self) -> None:
        """Stop the process now (SIGKILL) and reap it."""
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


@dataclass
class Outcome:
    """A query's answer as it starts to arrive: its kind, media type, whether the row cap
    cut it, and the bytes (``chunks`` must be consumed or closed)."""

    kind: str
    media_type: str
    truncated: bool
    chunks: Iterator[bytes]
    stats: dict[str, Any] = field(default_factory=dict)


class ExecutorPool:
    """``size`` executor processes over the store at ``store_path``, started lazily;
    ``memory``: each holds an in-memory copy of the store (faster queries); ``patience``:
    seconds queries wait while no executor frees (:class:`WaitingLine`; ``None``, as
    long as their time limit)."""

    def __init__(self, store_path: str, *, size: int = 2, memory: bool = False,
                 memory_limit: int = 0, patience: float | None = None) -> None:
        self.store_path, self.size, self.memory = store_path, size, memory
        self.memory_limit = memory_limit  # bytes each executor may allocate (0: no limit)
        self._line = WaitingLine(patience)
        self._idle: Slots[Executor] = Slots(self._line)
        self._lock = threading.Lock()
        self._started = False
        self._pid = os.getpid()
        self._all: set[Executor] = set()
        self._respawning = 0
        self.kills = 0

    def _ensure_started(self) -> None:
        if self._started and self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's executors are not ours
                self._idle, self._all, self._pid = Slots(self._line), set(), os.getpid()
                self._started, self._respawning = False, 0
            if self._started:
                return
            for _ in range(self.size):
                self._add(Executor(self.store_path, memory=self.memory,
                                       memory_limit=self.memory_limit))
            self._started = True

    def _add(self, executor: Executor) -> None:
        self._all.add(executor)
        self._idle.put(executor)

    def start(self) -> None:
        """Start the executors now rather than at the first query."""
        self._ensure_started()

    def _replace(self, executor: Executor) -> None:
        executor.kill()
        with self._lock:
            self._respawning += 1
            self._all.discard(executor)
        self.kills += 1
        self._line.moved()  # its query is over: the line waits for the new one

        def spawn() -> None:
            try:
                for attempt in range(5):
                    try:
                        self._add(Executor(self.store_path, memory=self.memory,
                                           memory_limit=self.memory_limit))
                        self._line.moved()
                        return
                    except ExoKGError:
                        logger.exception("respawning an executor failed (attempt %d)",
                                         attempt + 1)
                        time.sleep(0.5)
                logger.error("no query executor could be started again: %d of %d run",
                             len(self._all), self.size)
            finally:
                with self._lock:
                    self._respawning -= 1

        threading.Thread(target=spawn, name="exokg-respawn", daemon=True).start()

    def execute(self, request: dict[str, Any], *, timeout: float,
                cancel: CancelToken | None = None, wait: float | None = None,
                own: bool = False) -> Outcome:
        """Run ``request`` (see :mod:`exokg.sparql._executor`) within ``timeout`` seconds;
        ``cancel`` stops it (and the stream of its answer) when fired; ``wait`` bounds
        the wait for an idle executor more tightly than ``timeout`` (a health check);
        ``own``: the service's own bounded query, which may take the executor kept from
        users' queries (:func:`kept_for_own`).

        Raises
        ------
        InvalidQuery
            for a syntax error (Oxigraph's message, with line and column).
        UnknownFormat
            when no acceptable format fits the query's form.
        QueryTimeout
            at the time limit (the executor is killed); :class:`ServiceBusy` when all
            stay busy, or none frees for ``patience`` seconds.
        QueryFailed
            for an error while running.
        QueryCancelled
            when ``cancel`` fires (a running query's executor is killed and replaced).
        """
        self._ensure_started()
        if not self._all and not self._respawning:  # waiting would be for nothing
            raise NoExecutor("no query executor runs: starting them again failed (see the "
                             "server's log); restart the server")
        started = time.monotonic()
        deadline = _deadline(started, timeout)
        try:
            limit = None if timeout == 0 else max(0.0, deadline - time.monotonic())
            if wait is not None:
                limit = wait if limit is None else min(limit, wait)
            executor = self._idle.get(limit, cancel,
                                      keep=kept_for_own(self.size, own))
        except queue.Empty:
            raise ServiceBusy(f"every query executor stayed busy for {limit:.3g} s; "
                              "try again later") from None
        request = {**request, "timeout": timeout}
        try:
            executor.send(request)
            kind, payload = executor.read_frame(deadline, cancel)
        except _Deadline:
            self._replace(executor)
            raise QueryTimeout(f"query stopped at the time limit of {timeout:g} s") from None
        except _Cancelled:
            self._replace(executor)
            raise QueryCancelled() from None
        except (_Died, OSError):
            raise self._died(executor) from None
        except BaseException:
            self._replace(executor)  # mid-request, whatever happened: never lost from the pool
            raise
        if kind == b"E":
            self._idle.put(executor)
            raise _error(json.loads(payload), request.get("q", ""), executor.memory_limit)
        header = json.loads(payload)
        outcome = Outcome(header["kind"], header["media_type"], header["truncated"], iter(()))
        outcome.chunks = exact_xml(outcome.media_type,
                                   _Stream(self, executor, deadline, outcome, started, cancel))
        return outcome

    def warm(self, requests: list[dict[str, Any]], *, timeout: float) -> int:
        """Run ``requests`` on *every* executor, answers read and dropped (a worker's
        warm-up: each executor's own store caches fill, not only the one a sequential
        client would reach). Executors busy now are skipped; a request that fails or
        passes ``timeout`` is logged and does not stop the others. Returns the number
        of executors warmed."""
        self._ensure_started()
        taken: list[Executor] = []
        while True:
            try:
                taken.append(self._idle.get_nowait())
            except queue.Empty:
                break

        def replay(executor: Executor) -> None:
            for request in requests:
                try:
                    _drain(executor, {**request, "timeout": timeout},
                           _deadline(time.monotonic(), timeout))
                except (_Deadline, _Died, OSError):
                    logger.warning("warming executor %d: %.80s did not finish",
                                   executor.pid, request.get("q", ""))
                    self._replace(executor)
                    return
                except Exception:  # noqa: BLE001 - on a thread: said; never lost
                    logger.exception("warming executor %d failed", executor.pid)
                    self._replace(executor)
                    return
            self._idle.put(executor)

        # the executors are processes: they replay side by side, the threads only wait
        threads = [threading.Thread(target=replay, args=(executor,), name="exokg-warm")
                   for executor in taken]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return len(taken)

    def _died(self, executor: Executor) -> ExoKGError:
        """The error for an executor that died mid-query (it is replaced). Ended by its
        memory watch, the query needed more than a query may have: 503, naming the
        limit. Killed by a crash signal (a stack overflow aborts, a fault segfaults,
        an allocation past the memory backstop aborts), the query is to blame: 400.
        Anything else (the OOM killer, an operator) is the service's: 503."""
        try:
            code = executor.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        self._replace(executor)
        if code == MEMORY_EXIT:
            logger.warning("a query passed its executor's memory limit (%d MB)",
                           executor.memory_limit >> 20)
            return _memory_exceeded(executor.memory_limit)
        if code is not None and -code in _CRASH_SIGNALS:
            logger.warning("a query crashed its executor (signal %d)", -code)
            return InvalidQuery(
                "the query crashed the SPARQL engine (it is probably nested too deeply or "
                "too long for the engine's stack, or took far more memory than a query "
                "may); simplify it")
        # a busy reply is not logged (ServiceBusy is expected under load): this one is
        logger.warning("a query executor stopped unexpectedly (exit status %s); replaced",
                       code)
        return ServiceBusy("the query executor stopped unexpectedly (it was replaced); "
                           "try again")

    def close(self) -> None:
        """Stop every executor."""
        for executor in list(self._all):
            executor.kill()
        self._all.clear()
        self._started = False


def exact_xml(media_type: str | None, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """An answer's ``chunks`` through :func:`~exokg.sparql._executor.xml_exact` where
    they are XML (``close`` passed on: it frees the executor or the remote connection).

    >>> b"".join(exact_xml("application/rdf+xml", iter([b"a\\r", b"b"])))
    b'a&#13;b'
    """
    if media_type not in XML_TYPES:
        return chunks
    return Chunks(chunks, each=functools.partial(xml_exact, media_type))


class _Stream:
    """The data frames of one answer; hands the executor back at the end, or replaces it
    when closed midway (time limit, client gone) since it is then mid-query.

    The time limit holds while the reader holds the answer too: a client that took none
    of a streamed answer kept its executor as long as it did not read (four such held
    every user query of a worker), since the limit was looked at only when the next
    frame was asked for. At the deadline a timer replaces the executor; the reader's next
    frame is then :class:`~exokg.errors.QueryTimeout`, never a silent end.
    """

    def __init__(self, pool: ExecutorPool, executor: Executor, deadline: float,
                 outcome: Outcome, started: float, cancel: CancelToken | None) -> None:
        self.pool, self.deadline, self.cancel = pool, deadline, cancel
        self.executor: Executor | None = executor
        self.outcome, self.started = outcome, started
        self.expired = False
        self._lock = threading.RLock()  # the reader's thread and the timer's finish it
        self._timer: threading.Timer | None = None
        if math.isfinite(deadline):
            self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
            self._timer.daemon = True
            self._timer.start()

    def __iter__(self) -> _Stream:
        return self

    def _expire(self) -> None:
        with self._lock:
            if self.executor is not None:
                self.expired = True
                self._finish_held(reusable=False)

    def _finish(self, *, reusable: bool) -> None:
        # under the lock to its end: a reader that finds the timer finishing waits until
        # the executor is replaced (a query asked right after the cut answer was refused,
        # the line of waiting queries not yet told an executor was coming)
        with self._lock:
            self._finish_held(reusable=reusable)

    def _finish_held(self, *, reusable: bool) -> None:
        executor, self.executor = self.executor, None
        timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        if executor is None:
            return
        if reusable:
            self.pool._idle.put(executor)
        else:
            self.pool._replace(executor)

    def _timed_out(self) -> QueryTimeout:
        self._finish(reusable=False)
        return QueryTimeout("query stopped at the time limit")

    def __next__(self) -> bytes:
        executor = self.executor
        if executor is None:
            if self.expired:
                raise self._timed_out()
            raise StopIteration
        try:
            kind, payload = executor.read_frame(self.deadline, self.cancel)
        except _Deadline:
            raise self._timed_out() from None
        except _Cancelled:
            self._finish(reusable=False)
            raise QueryCancelled() from None
        except (_Died, OSError):
            with self._lock:  # after the timer's finish, if it runs now
                expired, self.executor = self.expired, None
            if expired:  # replaced by the timer while this read waited
                raise self._timed_out() from None
            raise self.pool._died(executor) from None  # why, as before the first byte
        if kind == b"D":
            return payload
        if kind == b"Z":
            self.outcome.stats.update(json.loads(payload))
            self.outcome.stats["seconds"] = time.monotonic() - self.started
            self._finish(reusable=True)
            raise StopIteration
        self._finish(reusable=True)  # an error frame: the executor is done and reusable
        raise _error(json.loads(payload), "")

    def close(self) -> None:
        self._finish(reusable=False)

    def __del__(self) -> None:
        if self.executor is not None or self._timer is not None:
            self.close()


def _deadline(start: float, timeout: float) -> float:
    """When a request started at ``start`` with the time limit ``timeout`` must end (a
    limit of 0 is none).

    >>> _deadline(10.0, 2.5), _deadline(10.0, 0)
    (12.5, inf)
    """
    return start + timeout if timeout else math.inf


def _drain(executor: Executor, request: dict[str, Any], deadline: float) -> None:
    """Send ``request`` and read its frames to the end (header or error, data, end)."""
    executor.send(request)
    kind, _ = executor.read_frame(deadline)
    while kind != b"E":
        kind, _ = executor.read_frame(deadline)
        if kind != b"D":
            return


def _error(info: dict[str, Any], query: str, memory_limit: int = 0) -> ExoKGError:
    kind = info.get("error")
    if kind == "memory":
        return _memory_exceeded(memory_limit)
    if kind == "syntax":
        return InvalidQuery(explain_syntax_error(query, str(info.get("message"))))
    if kind == "too_large":
        return AnswerTooLarge(too_large(int(info.get("limit") or 0)))
    if kind == "not_acceptable" and info.get("reason") == "xml":
        return UnknownFormat(XML_UNFIT)
    if kind == "not_acceptable" and info.get("reason") == "rdf12":
        return UnknownFormat(RDF12_UNFIT)
    if kind == "not_acceptable":
        what = {"graph": "an RDF graph (CONSTRUCT/DESCRIBE)",
                "solutions": "solutions (SELECT)",
                "boolean": "a boolean (ASK)"}.get(str(info.get("kind")), "this result")
        return UnknownFormat(f"no acceptable media type for {what}; see the service "
                             "description (GET /sparql) for the formats served")
    services = inspect_query(query).services if kind == "evaluation" and query else ()
    if services:  # the store itself fails only on I/O: the call
        endpoints = ", ".join(f"<{e}>" for e in sorted({str(e) for e in services}))
        return ServiceFailed(f"the query failed while it called SERVICE {endpoints}: "
                             f"{info.get('message')}")
    return QueryFailed(f"query failed: {info.get('message')}")
