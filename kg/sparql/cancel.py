"""Cancellation of a query whose caller gave up (an HTTP client that hung up).

A :class:`CancelToken` is fired once, from any thread. Whoever waits on a query watches
it without polling: the executor pool adds :meth:`CancelToken.fileno` to the ``poll()``
it already makes on the executor's pipe (the fd turns readable when the token fires),
and code blocked elsewhere (a wait for an idle executor, a socket read) registers a
callback with :meth:`CancelToken.on_cancel` that wakes it.

The web server puts one token in each request's environ; the request's code binds it
with :func:`use_token`, so that queries issued deep inside a page (through
:meth:`~exokg.sparql.service.SparqlService.select`) carry it too (:func:`current_token`).

>>> token = CancelToken()
>>> seen = []
>>> remove = token.on_cancel(lambda: seen.append("woken"))
>>> token.cancelled
False
>>> token.cancel()
>>> token.cancelled, seen
(True, ['woken'])
>>> import select
>>> select.select([token], [], [], 0)[0] == [token]   # its fd is readable once fired
True
>>> token.close()
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Callable

from exokg.errors import QueryCancelled

__all__ = ["CancelToken", "current_token", "use_token"]

logger = logging.getLogger(__name__)

_CURRENT: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar(
    "exokg_cancel_token", default=None)


class CancelToken:
    """A one-shot cancellation signal: :meth:`cancel` (any thread), :attr:`cancelled`, a
    :meth:`fileno` for ``poll()``/``select()``, and :meth:`on_cancel` callbacks.

    The fd is made on first use (most requests never wait on one) and closed by
    :meth:`close` (or when the token is collected).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._pipe: tuple[int, int] | None = None
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next = 0

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Fire the token: wake its fd and run its callbacks (once; later calls do nothing).

        Callbacks run in the calling thread and must be short (wake a waiter, shut a
        socket); a failing one is logged, the others still run.
        """
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            if self._pipe is not None:
                os.write(self._pipe[1], b"x")
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - one waiter's fault must not keep the others
                logger.exception("a cancellation callback failed")

    def check(self) -> None:
        """Raise :class:`~exokg.errors.QueryCancelled` if the token has fired: a check
        for work that runs in this process (a spool, a pass over rows), where no
        executor is killed for it.

        >>> token = CancelToken()
        >>> token.check()
        >>> token.cancel()
        >>> token.check()
        Traceback (most recent call last):
        ...
        exokg.errors.QueryCancelled: the query was cancelled: its client went away
        """
        if self._cancelled:
            raise QueryCancelled()

    def fileno(self) -> int:
        """An fd that turns readable when the token fires (for ``poll()``)."""
        with self._lock:
            if self._pipe is None:
                read, write = os.pipe()
                os.set_blocking(read, False)
                self._pipe = (read, write)
                if self._cancelled:
                    os.write(write, b"x")
            return self._pipe[0]

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when the token fires (at once if it has); returns a function
        that unregisters it."""
        with self._lock:
            if not self._cancelled:
                key = self._next
                self._next += 1
                self._callbacks[key] = callback

                def remove() -> None:
                    with self._lock:
                        self._callbacks.pop(key, None)

                return remove
        callback()
        return lambda: None

    def close(self) -> None:
        """Close the fd (once nothing waits on it any more)."""
        with self._lock:
            pipe, self._pipe = self._pipe, None
        for fd in pipe or ():
            os.close(fd)

    def __del__(self) -> None:
        if self._pipe is not None:
            self.close()


def current_token() -> CancelToken | None:
    """The token bound to this context by :func:`use_token` (``None`` when none is)."""
    return _CURRENT.get()


def use_token(token: CancelToken | None) -> contextvars.Token:
    """Bind ``token`` to this context (a request's): queries issued in it carry it.

    Returns the :class:`contextvars.Token` that :meth:`contextvars.ContextVar.reset`
    takes to unbind it.
    """
    return _CURRENT.set(token)
