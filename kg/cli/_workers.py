"""``exokg serve``'s worker processes: granian's, each replaced only by a worker that is ready.

granian replaces a live worker (a graceful reload: ``SIGHUP``, or the switch from an
early copy of the store to the complete one) by starting the new worker, waiting
``respawn_interval``, then stopping the old one, whether or not the new one listens yet
(emmett-framework/granian#921). On Linux each worker binds its own ``SO_REUSEPORT``
socket, and only once its loader has returned; ours warms up first (2-3 s at 10^5
findings), so for a moment no worker listened and connections were refused: 2 of 295
polls across the switch at 10^5, 138 in ``tests/test_serve_early.py``'s test of it.

:class:`ReadyServer` replaces workers its own way: it starts the new worker and stops
the old one only once the new one says it is ready (:meth:`ReadyServer.ready`, called by
the loader as it returns; granian's ``respawn_interval`` then covers the bind). A worker
that died (a crash) is replaced at once, as granian does; a replacement that dies while
it warms up, or is not ready within :data:`READY_WAIT`, is logged and the old worker is
stopped all the same (granian's own crash handling takes over from there); a server told
to stop starts no more replacements. Beyond this, a connection the old worker had queued
but not accepted when it stops is reset by the kernel unless ``net.ipv4.tcp_migrate_req``
is 1 (a balancer retries it).

Whether a worker has ended is read from its process's sentinel, not from ``is_alive()``:
granian's watcher thread joins (reaps) the same process, and while it has reaped the
child but not yet recorded its exit code, ``is_alive()`` answers true (``waitpid`` finds
no child): an old worker read as "still busy" was then killed by a pid the system may
already have reused (seen at the early copy's switch, 2 times of 2 with requests during
the early phase).

It relies on granian's private ``_respawn_workers`` and ``_spawn_worker``, so granian is
pinned below its next minor version and ``tests/test_cli_workers.py`` checks that they
are still there as used.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing.connection
import os
import select
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

from granian.server import MPServer

__all__ = ["READY_WAIT", "ReadyPipe", "ReadyServer"]

logger = logging.getLogger(__name__)

#: Seconds a replacement may take to warm up before its old worker is stopped anyway:
#: above the executors' start (up to 60 s) and a warm-up at 10^6 findings (about 3 s).
READY_WAIT = 300.0

Outcome = Literal["ready", "died", "late", "stopping"]


class ReadyPipe:
    """A one-time "ready" from a forked child to its parent: a byte, or end of file if
    the child died first.

    >>> pipe = ReadyPipe()
    >>> pipe.ready()  # in the child (here, the same process)
    >>> pipe.wait(timeout=1.0, stopping=lambda: False)
    'ready'
    >>> pipe = ReadyPipe()
    >>> pipe.forked()  # the parent's copy of the child's end, closed after the fork
    >>> pipe.wait(timeout=1.0, stopping=lambda: False)  # no child holds it any more
    'died'
    """

    def __init__(self) -> None:
        # not inherited by programs the child runs (closed on exec)
        self.read_end, self.write_end = os.pipe()

    def ready(self) -> None:
        """Say ready (in the child); a parent gone or no longer waiting is no error."""
        with contextlib.suppress(OSError):
            os.write(self.write_end, b"!")
        with contextlib.suppress(OSError):
            os.close(self.write_end)

    def forked(self) -> None:
        """Close the parent's copy of the child's end, so that the child's death is seen
        as end of file."""
        os.close(self.write_end)

    def wait(self, timeout: float, stopping: Any) -> Outcome:
        """``"ready"``, ``"died"`` (end of file), ``"late"`` (after ``timeout`` seconds)
        or ``"stopping"`` (once ``stopping()`` is true; asked every 0.1 s)."""
        poller = select.poll()
        poller.register(self.read_end, select.POLLIN)
        deadline = time.monotonic() + timeout
        while not stopping():
            left = deadline - time.monotonic()
            if left <= 0:
                return "late"
            if poller.poll(min(left, 0.1) * 1000):
                return "ready" if os.read(self.read_end, 1) else "died"
        return "stopping"

    def close(self) -> None:
        """Close the parent's end."""
        os.close(self.read_end)


class ReadyServer(MPServer):
    """granian's multi-process server (workers must be processes: each dies with its
    master and owns its executors) whose live workers are replaced one at a time, each
    stopped once its replacement is ready."""

    _pipe: ReadyPipe | None = None  # set while a replacement is forked
    #: asked before a reload (``SIGHUP``, the switch from an early copy): why the workers
    #: must not be replaced now, or ``None``. Their replacements would open the store
    #: again, and a store gone or damaged since the start made every one of them answer
    #: 500, while the old workers, which hold it open, answered well.
    before_reload: Callable[[], str | None] | None = None

    def ready(self) -> None:
        """Say that this worker is ready to serve (called in a worker, as its loader
        returns; nothing to say in a worker that replaces none)."""
        if self._pipe is not None:
            self._pipe.ready()

    def _reload(self, spawn_target: Any, target_loader: Any) -> Any:
        if self.before_reload is None:
            return super()._reload(spawn_target, target_loader)
        # cleared before the check, as granian's own reload does: a signal handled while
        # it runs (SIGTERM, a worker's crash) sets them again and is not lost
        self.reload_signal = False
        self.main_loop_interrupt.clear()
        try:
            problem = self.before_reload()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - a failing check must not stop the reload
            logger.exception("the check before replacing the workers failed; replacing them")
            problem = None
        if problem is None:
            return super()._reload(spawn_target, target_loader)
        with contextlib.suppress(OSError):  # a terminal hung up: stderr may be gone with it
            print(f"exokg: the workers are not replaced (SIGHUP ignored): {problem}; they keep "
                  "serving the store they hold open (restart to build it again)",
                  file=sys.stderr, flush=True)
        if self.reload_signal or self.interrupt_signal or self.interrupt_children or \
                getattr(self, "lifetime_signal", False) or getattr(self, "rss_signal", False):
            self.main_loop_interrupt.set()  # what came meanwhile is handled next
        return None

    def _respawn_workers(self, workers: list[int], spawn_target: Any, target_loader: Any,
                         delay: float = 0.0) -> None:
        for idx in workers:
            if self.interrupt_signal:  # stopping: no worker started only to be stopped
                return
            self.respawned_wrks[idx] = time.monotonic()  # granian's crash-loop check
            old = self.wrks[idx]
            live = not _ended(old, 0)
            self._pipe = pipe = ReadyPipe()
            try:
                new = self._spawn_worker(idx, spawn_target, target_loader)
                new.start()
            except BaseException:
                pipe.close()
                raise
            finally:
                self._pipe = None
                pipe.forked()
            self.wrks[idx] = new
            try:
                outcome = pipe.wait(READY_WAIT, lambda: self.interrupt_signal) if live \
                    else "ready"
            except Exception:  # noqa: BLE001 - never leave granian's loop half-way
                logger.exception("waiting for worker-%d's replacement failed", idx + 1)
                outcome = "late"
            finally:
                pipe.close()
            if outcome in ("died", "late"):
                logger.warning("worker-%d's replacement (pid %s) %s; stopping the old one "
                               "all the same", idx + 1, new._id(),
                               "died while warming up" if outcome == "died"
                               else f"is not ready after {READY_WAIT:.0f} s")
            if live:
                if outcome != "stopping":
                    time.sleep(delay)  # the replacement's bind, after its loader returned
                self._stop(old)  # no longer among the workers granian stops
        self._metrics.incr_spawn(len(workers))

    def _stop(self, worker: Any) -> None:
        """Stop a worker gracefully: in-flight requests end, within the kill timeout."""
        worker.terminate()
        if not _ended(worker, self.workers_kill_timeout or None):  # granian's: 0 is none
            logger.warning("killing the old worker-%d: still busy after %s s", worker.idx + 1,
                           self.workers_kill_timeout)
            worker.kill()
            _ended(worker, None)


def _ended(worker: Any, timeout: float | None) -> bool:
    """Whether ``worker``'s process has ended, waiting up to ``timeout`` seconds for it
    (``None``: for good); reaping is left to granian's watcher thread.

    >>> import multiprocessing, types
    >>> process = multiprocessing.get_context("fork").Process(target=lambda: None)
    >>> process.start(); _ = os.waitpid(process.pid, 0)  # reaped elsewhere
    >>> process.is_alive(), _ended(types.SimpleNamespace(inner=process), 5.0)
    (True, True)
    """
    return bool(multiprocessing.connection.wait([worker.inner.sentinel], timeout))
