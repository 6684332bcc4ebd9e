"""``exokg serve``'s worker processes: granian's, replaced only by workers that are ready.

granian replaces a worker (a graceful reload: the switch from an early copy, ``SIGHUP``;
or a worker that died) by starting the new one, waiting ``respawn_interval``, then
stopping the old one, whether or not the new one listens yet
(emmett-framework/granian#921). On Linux each worker binds its own ``SO_REUSEPORT``
socket, and only once its loader has returned; ours warms up first (2-3 s at 10^5
findings), so for a moment no worker listened and connections were refused: 2 of 295
polls across the switch at 10^5, 138 in ``tests/test_serve_early.py``'s test of it.

:class:`ReadyServer` starts a replacement and returns only once the worker says it is
ready (:meth:`ReadyServer.ready`, called by the loader as it returns), it died, the
server is stopping, or :data:`READY_WAIT` passed; granian's own ``respawn_interval``
then covers the bind before the old worker is stopped. The first workers start as
before, all at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import time
from typing import Any

from granian.server import MPServer

__all__ = ["READY_WAIT", "ReadyServer"]

logger = logging.getLogger(__name__)

#: Seconds a replacement may take to warm up before the old worker is stopped anyway.
READY_WAIT = 300.0


class ReadyServer(MPServer):
    """granian's multi-process server whose replacement workers take over once ready.

    >>> from granian.constants import Interfaces
    >>> server = ReadyServer("app", interface=Interfaces.ASGINL)
    >>> server.ready()  # in a worker, as its loader returns; nobody waits here
    >>> server.close_ready()
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # each worker, forked, writes its pid here once ready; non-blocking at both ends:
        # a worker never waits on the master, nor the master longer than it means to
        self._ready_r, self._ready_w = os.pipe()
        os.set_blocking(self._ready_r, False)
        os.set_blocking(self._ready_w, False)
        self._ready_seen: set[int] = set()
        self._ready_rest = b""
        self._replacing = False

    def ready(self) -> None:
        """Say that this worker is ready to serve (called in the worker)."""
        # a full pipe (no replacement waited this long) or a closed one: nobody waits
        with contextlib.suppress(OSError):
            os.write(self._ready_w, b"%d\n" % os.getpid())

    def close_ready(self) -> None:
        """Close the master's ends of the readiness pipe."""
        for fd in (self._ready_r, self._ready_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0):
        self._replacing = True
        try:
            return super()._respawn_workers(workers, spawn_target, target_loader, delay)
        finally:
            self._replacing = False

    def _spawn_worker(self, idx, target, callback_loader):
        worker = super()._spawn_worker(idx, target, callback_loader)
        if self._replacing:
            start = worker.start

            def start_when_ready() -> None:
                start()
                self._wait_ready(worker)

            worker.start = start_when_ready
        return worker

    def _wait_ready(self, worker: Any) -> None:
        """Return once ``worker`` said it is ready, died, the server is stopping, or
        :data:`READY_WAIT` passed."""
        pid = worker._id()
        started = time.monotonic()
        while pid not in self._ready_seen:
            if not worker.is_alive() or self.interrupt_signal:
                return
            waited = time.monotonic() - started
            if waited > READY_WAIT:
                logger.warning("worker %d not ready after %.0f s; replacing the old one "
                               "anyway", pid, waited)
                return
            if select.select([self._ready_r], [], [], 0.1)[0]:
                self._read_ready()
        self._ready_seen.discard(pid)
        logger.info("worker %d ready after %.2f s", pid, time.monotonic() - started)

    def _read_ready(self) -> None:
        try:
            data = self._ready_rest + os.read(self._ready_r, 65536)
        except BlockingIOError:
            return
        *lines, self._ready_rest = data.split(b"\n")
        self._ready_seen.update(int(line) for line in lines if line)
