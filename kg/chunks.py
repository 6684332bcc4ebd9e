"""Answers as iterators of byte chunks, and how they are closed.

An answer's chunks may hold an executor, a remote connection or a query slot: closing
them frees it, whether they were read to the end, cut midway or never started. Every
reader closes what it took (:func:`close_chunks`); a step between a source and its reader
is a :class:`Chunks`, which passes ``close`` on.

>>> freed = []
>>> answer = Chunks(iter([b"a\\r", b"b"]), each=bytes.upper, then=lambda: freed.append(1))
>>> b"".join(answer), freed
(b'A\\rB', [1])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Chunks", "close_chunks"]


def close_chunks(chunks: Iterable[Any]) -> None:
    """Close ``chunks`` when they can be closed (a generator, a :class:`Chunks`, a WSGI
    body); a list holds nothing to free.

    >>> close_chunks([b"a"])
    >>> gen = (c for c in [b"a"]); close_chunks(gen); next(gen, "closed")
    'closed'
    """
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


class Chunks:
    """``chunks``, each through ``each`` (unchanged when it is None); once the source is
    read to its end, ``ended()``; once closed, read to the end or failed, the source
    closed and then ``then()``, once.

    Unlike a generator wrapping the source, it runs ``then`` when closed before its first
    chunk (closing a generator not yet started runs none of its code, its ``finally``
    neither), and when dropped unclosed.

    >>> freed = []
    >>> answer = Chunks(iter([b"x"]), then=lambda: freed.append("slot"))
    >>> answer.close(); answer.close(); freed
    ['slot']
    """

    def __init__(self, chunks: Iterator[bytes], *,
                 each: Callable[[bytes], bytes] | None = None,
                 then: Callable[[], None] | None = None,
                 ended: Callable[[], None] | None = None) -> None:
        self._chunks, self._each, self._then, self._ended = chunks, each, then, ended
        # closed once, whichever thread closes first (a stream dropped by the garbage
        # collector is closed on the thread it runs on)
        self._closing = threading.Lock()

    def __iter__(self) -> Chunks:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._chunks)
            return chunk if self._each is None else self._each(chunk)
        except StopIteration:
            try:
                if self._ended is not None and not self._closing.locked():
                    self._ended()
            finally:
                self.close()
            raise
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if not self._closing.acquire(blocking=False):
            return
        try:
            close_chunks(self._chunks)
        finally:
            if self._then is not None:
                self._then()

    def __del__(self) -> None:
        self.close()
