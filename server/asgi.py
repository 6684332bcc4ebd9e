"""The WSGI app served over ASGI, so that a client that hangs up stops its query.

granian's WSGI interface gives a WSGI app no sign of a client that disconnects
(granian issue #286), so a runaway query whose client left kept its executor busy until
the time limit. Over ASGI the server says so (``http.disconnect``). :class:`AsgiBridge`
runs the unchanged WSGI app (Flask, the ``/sparql`` fast path, the middleware) in a
pool of threads and, while the app works, waits for that message; when it comes, it
fires the :class:`~exokg.sparql.cancel.CancelToken` the request carries in
``environ["exokg.cancel"]`` (:data:`CANCEL_KEY`), which kills the query's executor at
once, and then closes the app's response.

Why ASGI and not granian's own RSGI: RSGI's ``response_stream`` (granian 2.8) queues
whatever is sent without waiting for the client (a slow reader of an export made the
worker hold 1.3 GB), while ASGI's ``send`` waits for the client to take the data.

Per request:

- The body is read before the app runs, up to ``MAX_BODY_BYTES`` + 1 bytes: a body
  whose ``Content-Length`` is over the limit is not read at all, and a longer
  chunked one is cut there, so the app's own check answers 413 without the worker
  holding more.
- The app runs in one pool thread, from its call to the ``close`` of its response (an
  app may keep objects bound to their thread across its iterable), in a
  :class:`contextvars.Context` of the request's own.
- A response the app gives a ``Content-Length`` is sent whole when its iterable is
  done within the first 64 KiB; any other is sent chunked, in batches of about 64 KiB,
  the next read from the iterable only once the client has taken the one before
  (exports stream gigabytes; nothing is joined). A client that takes no batch for
  ``SEND_TIMEOUT`` seconds is dropped, and the app's response closed: a download read
  by nobody held its query executor until the export time limit (an hour).
- A body that is a part of a file the app names (:data:`FILE_KEY`: a kept export, whole
  or a ``Range``) is read from the file by the event loop, a batch at a time under the
  same ``SEND_TIMEOUT``: its thread is free at once, so slow downloads hold no thread.
  (ASGI's path send would free it too, but granian then waits for ever on a client that
  reads nothing.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import io
import json
import logging
import os
import queue
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from exokg.chunks import close_chunks
from exokg.errors import ExoKGError
from exokg.sparql.cancel import CancelToken

__all__ = ["CANCEL_KEY", "FILE_KEY", "SENT_KEY", "AsgiBridge"]

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("exokg.access")

#: Where a request's :class:`~exokg.sparql.cancel.CancelToken` is in its environ.
CANCEL_KEY = "exokg.cancel"
#: Where the app names the file its answer's body is read from (a kept export), as
#: ``(path, offset, length)``: the bridge reads it outside the request's thread.
FILE_KEY = "exokg.file"
#: The WSGI environ key of a callable that says whether the response's status has been
#: sent (an error after it can only cut the body; before it, the error has its own status).
SENT_KEY = "exokg.sent"

#: Bytes read from the app's iterable before one send (a whole answer when smaller).
_BATCH = 1 << 16

#: Seconds after which a request's client is watched for a disconnect.
_WATCH_AFTER = 0.002

_Receive = Callable[[], Awaitable[dict[str, Any]]]
_Send = Callable[[dict[str, Any]], Awaitable[None]]


class _Gone(Exception):
    """The client disconnected: nothing more is sent."""


class _Stalled(_Gone):
    """The client took no batch of the answer for ``SEND_TIMEOUT`` seconds: dropped."""


class _SlowBody(Exception):
    """The request's body did not arrive within the ``BODY_TIMEOUT`` setting's seconds (a
    client that declares a length and sends less held its connection for ever)."""


class _BadBody(Exception):
    """The request's body ended before it was whole: its client left, or sent what the
    server could not read (a chunk size that is no number). Answered 400 (granian
    answered its own 500 to an app that sent nothing, with no access-log line)."""


class _Exchange:
    """One request's WSGI call, run whole in one pool thread (an app may hold objects
    bound to its thread across its iterable: the exports' SQLite spool does), handing
    the body to the event loop a batch at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, send: _Send,
                 send_timeout: float | None = None) -> None:
        self.loop, self._send, self.send_timeout = loop, send, send_timeout
        self.cancel: CancelToken | None = None  # the request's, fired when it is dropped
        self.gone: asyncio.Future | None = None  # done once the client has left
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False  # the status and headers went to the client
        self.sent = 0  # body bytes handed to the server
        self._pending: list[bytes] = []
        self._size = 0
        #: the body's file (:data:`FILE_KEY`), opened: its fd, offset and length; and the
        #: app's response, closed once it is sent (its access-log line is written then)
        self.file: tuple[int, int, int] | None = None
        self.deferred: Any = None

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and self.started:  # too late to change them (PEP 3333)
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status[:3])
        self.headers = [_header(k, v) for k, v in headers]
        return self._write  # PEP 3333's write(): sent before the iterable

    def watch(self, receive: _Receive, cancel: CancelToken) -> None:
        """Watch for the client's disconnect from now on; it fires ``cancel``."""
        def left(watch: asyncio.Future) -> None:
            # cancelled: the request ended first; complete: the client took the whole
            # body (its Content-Length) and closed, as it may before the last message
            if not watch.cancelled() and not self.complete:
                cancel.cancel()

        self.gone = asyncio.ensure_future(_disconnect(receive))
        self.gone.add_done_callback(left)

    @property
    def left(self) -> bool:
        """Whether the client was seen to disconnect."""
        return self.gone is not None and self.gone.done()

    @property
    def sized(self) -> bool:
        """Whether the app gave the body's length (else it streams its body)."""
        return any(name == b"content-length" for name, _ in self.headers)

    @property
    def complete(self) -> bool:
        """Whether the whole body of a response with a Content-Length was sent: its
        client may close then, and that is no hang-up."""
        length = self._length()
        return length is not None and self.sent >= length

    def _write(self, data: bytes) -> None:
        if data:
            self._pending.append(data)
            self._size += len(data)

    def _take(self) -> bytes:
        data = b"".join(self._pending)
        self._pending, self._size = [], 0
        return data

    def run(self, app: Callable, environ: dict[str, Any]) -> bytes:
        """In a pool thread: call the app and send its body but the last batch, each
        once the client took the one before; return the last batch.

        Raises ``_Gone`` once the client has left (the iterable is closed). A body read
        from a file (:data:`FILE_KEY`) is left to :meth:`send_file`, and the iterable
        to :attr:`deferred`.
        """
        iterable = app(environ, self.start_response)
        named = environ.get(FILE_KEY)
        if named is not None and self.status in (200, 206) and self._length() == named[2]:
            try:  # here, so that a file gone is the app's own body, read as it is
                self.file = (os.open(named[0], os.O_RDONLY), named[1], named[2])
                self.deferred = iterable
                return b""
            except OSError as err:
                logger.warning("%s: read by the request's thread instead", err)
        try:
            for chunk in iterable:
                self._write(chunk)
                if self._size >= _BATCH:
                    sending = asyncio.run_coroutine_threadsafe(
                        self.send_body(self._take(), more=True), self.loop)
                    try:
                        sending.result(self.send_timeout)
                    except concurrent.futures.TimeoutError:
                        sending.cancel()
                        if self.cancel is not None:  # the access log says 499, as for a
                            self.cancel.cancel()     # client gone (before the close below)
                        raise _Stalled from None
            return self._take()
        finally:
            close_chunks(iterable)

    def _length(self) -> int | None:
        length = next((value for name, value in self.headers if name == b"content-length"),
                      b"")
        return int(length) if length.isdigit() else None

    async def send_file(self) -> None:
        """Send the status and headers, then :attr:`file`'s bytes, each batch once the
        client took the one before and within ``send_timeout``; its reads in the loop's
        default executor (a cold disk would stall every connection of the loop).

        Raises ``_Stalled`` for a client that took no batch in time, ``_Gone`` for one
        that left, ``OSError`` for a file that cannot be read, or is shorter than said.
        """
        assert self.file is not None, "a file answer without its file"
        fd, offset, length = self.file
        loop = asyncio.get_running_loop()
        end = offset + length
        while True:
            data = await loop.run_in_executor(None, os.pread, fd, min(_BATCH, end - offset),
                                              offset)
            offset += len(data)
            if offset < end and not data:
                raise OSError(f"the file ended {end - offset} bytes short")
            try:
                await asyncio.wait_for(self.send_body(data, more=offset < end),
                                       self.send_timeout)
            except TimeoutError:
                raise _Stalled from None
            if offset >= end:
                return

    def close_file(self) -> None:
        """Close the body's file and the app's response (once the answer is done)."""
        try:
            if self.file is not None:
                os.close(self.file[0])
                self.file = None
        finally:
            if self.deferred is not None:
                close_chunks(self.deferred)  # its access-log line is written now
                self.deferred = None

    async def send_body(self, data: bytes, *, more: bool) -> None:
        """Send the status and headers (first time), then ``data``; returns once the
        client has taken it (back-pressure)."""
        if self.left:
            raise _Gone
        if not self.started:
            self.started = True
            await self._send({"type": "http.response.start", "status": self.status,
                              "headers": self.headers})
        self.sent += len(data)  # counted first: the client may close as it arrives
        await self._send({"type": "http.response.body", "body": data, "more_body": more})


#: A header name (an RFC 9110 token) and a value granian sends (no control character
#: but tab): granian answers a header outside these with its own 500 and an error log.
_HEADER_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(rb"[^\x00-\x08\x0a-\x1f\x7f]*")


def _header(name: str, value: str) -> tuple[bytes, bytes]:
    """One response header as ASGI sends it.

    Raises ``ValueError`` for one the server would refuse: the app fails on it, and the
    bridge answers its own 500 instead of the server's.
    """
    try:
        key, data = name.lower().encode("latin-1"), value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"response header {name!r}: {value!r} is not Latin-1") from None
    if not (_HEADER_NAME.fullmatch(key) and _HEADER_VALUE.fullmatch(data)):
        raise ValueError(f"response header {name!r}: {value!r} is not a valid header")
    return key, data


def _say_cut(scope: dict[str, Any], sent: int, err: Exception) -> None:
    """Log an answer cut after its status was sent: why, in one line, for an expected
    failure (the time limit, an executor or engine gone); with its traceback for a bug."""
    what = f"{scope['method']} {scope['path']}: the answer was cut after {sent} bytes"
    if isinstance(err, ExoKGError):
        logger.warning("%s: %s", what, err)
    else:
        logger.error("%s", what, exc_info=err)


class _Threads:
    """``size`` threads running calls for the event loop: a plain queue in, the result
    set on the loop's future (``run_in_executor`` with a ``ThreadPoolExecutor`` cost
    about twice the CPU per request; the bridge is on every request's path)."""

    def __init__(self, size: int) -> None:
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        for n in range(size):
            threading.Thread(target=self._work, name=f"exokg-request-{n}", daemon=True).start()

    def run(self, loop: asyncio.AbstractEventLoop, call: Callable, *args: Any) -> asyncio.Future:
        """``call(*args)`` in one of the threads; its result (or exception) on the future."""
        future = loop.create_future()
        self._calls.put((loop, future, call, args))
        return future

    def _work(self) -> None:
        while True:
            loop, future, call, args = self._calls.get()
            try:
                result = call(*args)
            except BaseException as err:  # noqa: BLE001 - handed to the awaiting task
                loop.call_soon_threadsafe(_fail, future, err)
            else:
                loop.call_soon_threadsafe(_succeed, future, result)


def _succeed(future: asyncio.Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future, err: BaseException) -> None:
    if not future.done():
        future.set_exception(err)


class AsgiBridge:
    """An ASGI app that serves the WSGI app ``app`` from ``threads`` threads, cancelling a
    request's work when its client disconnects (see the module's description).

    Parameters
    ----------
    app
        the WSGI app.
    threads
        threads running the app (the ``THREADS`` setting).
    max_body
        the largest request body read (the ``MAX_BODY_BYTES`` setting; the app refuses
        a longer one).
    body_timeout
        seconds a request's whole body may take to arrive (the ``BODY_TIMEOUT``
        setting; then 408).
    own_thread
        paths served by a thread of their own, never waiting behind the others' work
        (a health check must answer while slow queries hold every other thread).
    send_timeout
        seconds a client may take to accept each batch of an answer (the
        ``SEND_TIMEOUT`` setting; then it is dropped, the answer closed); 0: no limit.
    """

    def __init__(self, app: Callable, *, threads: int, max_body: int,
                 body_timeout: float, own_thread: tuple[str, ...] = (),
                 access_log: bool = False, send_timeout: float = 0) -> None:
        self.app, self.max_body, self.body_timeout = app, max_body, body_timeout
        self.send_timeout = send_timeout
        self.access_log = access_log
        self.threads = _Threads(threads)
        self.own = {path: _Threads(1) for path in own_thread}

    async def __call__(self, scope: dict[str, Any], receive: _Receive, send: _Send) -> None:
        if scope["type"] != "http":  # no websockets, no lifespan events
            return
        started = asyncio.get_running_loop().time()
        try:
            body = await self._body(scope, receive)
        except (_SlowBody, _BadBody) as err:
            status, text = (408, f"the request body did not arrive within "
                                 f"{self.body_timeout:g} s") if isinstance(err, _SlowBody) \
                else (400, "the request body ended before it was whole, or was not valid "
                           "chunked encoding")
            with contextlib.suppress(Exception):  # a client gone reads no answer
                await _send_status(send, status, text + "\n", close=True)
            if self.access_log:  # the app, which writes the others' lines, never saw it
                ms = (asyncio.get_running_loop().time() - started) * 1000
                access_logger.info(json.dumps({"method": scope["method"],
                                               "path": scope["path"], "status": status,
                                               "ms": round(ms, 2)}))
            return
        environ = self.environ(scope, body)
        cancel = environ[CANCEL_KEY] = CancelToken()
        loop = asyncio.get_running_loop()
        exchange = _Exchange(loop, send, self.send_timeout or None)
        exchange.cancel = cancel
        environ[SENT_KEY] = lambda: exchange.started
        # Most requests are done in well under a millisecond: the disconnect is watched
        # (a task and a receive per request) only for those that last longer.
        watch = loop.call_later(_WATCH_AFTER, exchange.watch, receive, cancel)
        # the request's own context: nothing it binds leaks into the thread's next request
        threads = self.own.get(scope["path"], self.threads)
        work = threads.run(loop, contextvars.Context().run, exchange.run, self.app, environ)
        try:
            try:
                last = await work  # ends soon once cancelled
            except _Stalled:
                self._say_stalled(scope, f"after {exchange.sent} bytes")
                return
            except _Gone:
                return
            except Exception as err:
                if exchange.left:
                    return  # its work stopped because the client left: nobody to tell
                if exchange.started:
                    # mid-body, its status sent: returning without the last chunk makes
                    # the server end the body visibly broken, never as if whole (raising
                    # did the same, and printed a traceback on the server's stdout)
                    _say_cut(scope, exchange.sent, err)
                    return
                if isinstance(err, ExoKGError):
                    # a streamed answer that failed within its first batch (the time
                    # limit): nothing sent yet, so the error's own status and message
                    await _send_error(send, scope, err)
                    return
                logger.exception("the app failed on %s %s", scope["method"], scope["path"])
                await _send_500(send)
                return
            if exchange.left:
                return
            if exchange.file is not None:
                await self._send_file(exchange, scope)
                return
            # the last batch under the same limit: a client that takes no answer of one
            # batch (most answers) held its connection for ever
            try:
                if last and not exchange.started and not exchange.sized:
                    # the app streams it (no Content-Length): it stays chunked, as it was
                    await asyncio.wait_for(exchange.send_body(last, more=True),
                                           self.send_timeout or None)
                    last = b""
                await asyncio.wait_for(exchange.send_body(last, more=False),
                                       self.send_timeout or None)
            except TimeoutError:
                self._say_stalled(scope, "with the last batch unsent")
                return
        except _Gone:
            return
        finally:
            try:
                exchange.close_file()
            finally:
                watch.cancel()
                if exchange.gone is not None:
                    exchange.gone.cancel()
                if work.cancelled():  # this task was cancelled (the server stops): the
                    cancel.cancel()   # app may still run, and its token's fd stays open
                else:
                    cancel.close()

    async def _send_file(self, exchange: _Exchange, scope: dict[str, Any]) -> None:
        try:
            await exchange.send_file()
        except _Stalled:
            if exchange.cancel is not None:  # the access log says 499, as for a client gone
                exchange.cancel.cancel()
            self._say_stalled(scope, f"after {exchange.sent} bytes")
        except OSError as err:  # the status went out: the body ends visibly broken
            _say_cut(scope, exchange.sent, ExoKGError(str(err)))

    def _say_stalled(self, scope: dict[str, Any], when: str) -> None:
        logger.warning("%s %s: the client took nothing for %g s (SEND_TIMEOUT): dropped %s",
                       scope["method"], scope["path"], self.send_timeout, when)

    async def _body(self, scope: dict[str, Any], receive: _Receive) -> bytes:
        """The request body, at most ``max_body`` + 1 bytes (none when its declared
        length is over the limit)."""
        sized = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body:
                    return b""
                sized = value != b"0"
            elif name == b"transfer-encoding":
                sized = True
        if not sized:  # no body (a GET): nothing to wait for
            return b""
        parts: list[bytes] = []
        size = 0
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(
                    receive(), deadline - asyncio.get_running_loop().time())
            except TimeoutError:
                raise _SlowBody from None
            if message["type"] == "http.disconnect":
                # granian says the same of a client gone and of a body it could not
                # parse (a chunk size that is no number): the answer, if anyone reads it
                raise _BadBody
            chunk = message.get("body", b"")
            parts.append(chunk)
            size += len(chunk)
            if size > self.max_body or not message.get("more_body"):
                return b"".join(parts)

    @staticmethod
    def environ(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
        """The PEP 3333 environ of an ASGI HTTP scope and its (read) body."""
        raw = scope.get("raw_path")
        path = (unquote_to_bytes(raw.split(b"?", 1)[0]) if raw
                else scope["path"].encode()).decode("latin-1")
        server = scope.get("server") or ("localhost", 80)
        client = scope.get("client") or ("", 0)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": scope.get("root_path", "").encode().decode("latin-1"),
            "PATH_INFO": path,
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": _protocol(scope.get("http_version", "1.1")),
            "REMOTE_ADDR": str(client[0]),
            "REMOTE_PORT": str(client[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,  # a body without Content-Length reads to its end
        }
        for name, value in scope["headers"]:
            key = name.decode("latin-1").upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            text = value.decode("latin-1")
            if key in environ:  # a repeated header: one value, as HTTP folds it
                text = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + text
            environ[key] = text
        return environ


def _protocol(version: str) -> str:
    """The SERVER_PROTOCOL of an ASGI ``http_version`` (granian names HTTP/1.0 "1").

    >>> [_protocol(v) for v in ("1", "1.0", "1.1", "2")]
    ['HTTP/1.0', 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2']
    """
    return f"HTTP/{'1.0' if version == '1' else version}"


async def _disconnect(receive: _Receive) -> None:
    """Return once the client has disconnected (any body beyond the limit is dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_error(send: _Send, scope: dict[str, Any], err: ExoKGError) -> None:
    """``err`` as the app would have answered it (:func:`exokg.server.errors.error_reply`),
    with the headers every answer carries."""
    from exokg.server.errors import error_reply
    from exokg.server.middleware import (  # it imports this module
        CORS_HEADERS,
        CORS_PATHS,
        SECURITY_HEADERS,
    )

    accept = ", ".join(v.decode("latin-1") for k, v in scope.get("headers", ())
                       if k == b"accept") or None
    status, headers, body = error_reply(err, method=scope["method"], path=scope["path"],
                                        accept=accept)
    extra = SECURITY_HEADERS + CORS_HEADERS if scope["path"] in CORS_PATHS else SECURITY_HEADERS
    pairs = [_header(k, v) for k, v in (*headers.items(), *extra)]
    pairs.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": pairs})
    await send({"type": "http.response.body",
                "body": b"" if scope["method"] == "HEAD" else body})


async def _send_500(send: _Send) -> None:
    await _send_status(send, 500, "internal server error\n")


async def _send_status(send: _Send, status: int, text: str, *, close: bool = False) -> None:
    from exokg.server.middleware import SECURITY_HEADERS  # it imports this module

    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode()),
               *(_header(k, v) for k, v in SECURITY_HEADERS)]
    if close:  # the rest of what the client sends is no request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
