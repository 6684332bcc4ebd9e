"""Run one function in a fresh (spawned) child process: its answer, its error, its logs;
and the rules a build's other processes and threads keep (:func:`dies_with_caller`,
:func:`at_lowest_priority`).

The store build reads the whole graph into Python structures (hundreds of MB at 10^5
findings). Freed memory does not go back to the system, and ``exokg serve`` forks its web
workers from the process that built the store, so a build in the serving process is
inherited by every worker. :func:`run_in_child` runs the build in a spawned process
instead: the caller keeps only the (small) answer.

What crosses the boundary:

* the answer, pickled;
* an error, with its type and message: ExoKG's errors pickle with their fields
  (:class:`exokg.errors.ExoKGError`); an error that does not survive pickling arrives as a
  :class:`ChildFailed` naming its type and message;
* the child's log records at the caller's level, re-emitted by the caller's loggers with the
  child's CPU seconds and peak RSS as ``child_cpu`` and ``child_peak_rss_mb``.

The child dies with the thread that started it (Linux ``PR_SET_PDEATHSIG``), so a killed
server leaves no orphan build behind to finish a store after the next start took over.

>>> run_in_child(divmod, 7, 2)
(3, 1)
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar, cast

from exokg.errors import ExoKGError

__all__ = ["ChildFailed", "Started", "at_lowest_priority", "dies_with_caller", "killed_with_parent",
           "run_in_child", "start_in_child"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
#: The lowest CPU priority a process or thread may take (the highest nice value).
_LOWEST = 19


class ChildFailed(ExoKGError):
    """A child process that died, or failed with an error that could not be sent back."""


class _Forward(logging.Handler):
    """Sends each record to the parent, formatted (arguments and tracebacks as text)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn
        self.text = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info:
                record.exc_text = self.text.formatException(record.exc_info)
            record.msg, record.args, record.exc_info = record.getMessage(), None, None
            if not hasattr(record, "child_cpu"):  # else forwarded from a grandchild: its own
                record.child_cpu = time.process_time()
                record.child_peak_rss_mb = (
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            self.conn.send(("log", record))
        except Exception:  # noqa: BLE001 - a log record never stops the work
            self.handleError(record)


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, or None where there is none (not Linux)."""
    try:
        return cast(Callable[..., int], ctypes.CDLL(None, use_errno=True).prctl)
    except (OSError, AttributeError):
        return None


def killed_with_parent(prctl: Callable[..., int] | None = None) -> bool:
    """Have Linux kill this process (``SIGKILL``) when the thread that started it ends
    (``PR_SET_PDEATHSIG``); False where it cannot. ``prctl``: libc's, looked up
    beforehand where nothing may be loaded (between fork and exec). The caller then checks
    that its parent did not die first."""
    prctl = prctl or _prctl()
    if prctl is None:
        return False
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    return True


def _die_with(parent: int, prctl: Callable[..., int] | None) -> bool:
    """Be killed when the thread of ``parent`` that started this process ends; False
    where that cannot be arranged."""
    killed = killed_with_parent(prctl)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    return killed


def dies_with_caller() -> Callable[[], object] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that makes the program die with the
    thread that starts it, as a child of :func:`run_in_child` does (a killed build leaves
    no program working for it); None where Linux's ``PR_SET_PDEATHSIG`` is missing.

    Python's documentation warns that a ``preexec_fn`` is not safe where other threads
    may hold locks at the fork: this one only calls ``prctl`` (looked up beforehand)
    and ``getppid``, which take none.

    >>> import subprocess, sys
    >>> subprocess.run([sys.executable, "-c", "pass"], preexec_fn=dies_with_caller()).returncode
    0
    """
    prctl = _prctl()
    if prctl is None:
        return None
    return functools.partial(_die_with, os.getpid(), prctl)


def _lowest_for_this_thread() -> None:
    if sys.platform == "linux":  # elsewhere a nice value is the whole process's
        with contextlib.suppress(OSError):  # a sandbox that forbids it: normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _LOWEST)


def at_lowest_priority(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a thread of its own at the lowest CPU priority (nice 19), with the
    programs it starts; its error raised here. It then takes only the CPU time that others
    leave idle (the store's load, which the first answer waits for), and the caller keeps
    its own priority: Linux gives each thread its own nice value, which an unprivileged
    process can raise but never lower back. Elsewhere ``func`` runs at the caller's.

    >>> at_lowest_priority(divmod, 7, 2)
    (3, 1)
    """
    return _lowest_priority_thread().submit(func, *args).result()


@functools.cache
def _lowest_priority_thread() -> ThreadPoolExecutor:
    """One thread a process, made once: a caller hands it many small runs of work."""
    return ThreadPoolExecutor(1, thread_name_prefix="lowest-priority",
                              initializer=_lowest_for_this_thread)


def _sendable(err: BaseException) -> BaseException:
    """``err`` if it survives pickling, else a :class:`ChildFailed` with its message."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # noqa: BLE001 - any error type may fail to pickle or to unpickle
        return ChildFailed(f"{type(err).__name__}: {err}")
    return err


#: Signals a child's start holds back (:func:`_signals_held`).
_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """``SIGINT`` and ``SIGTERM`` wait until the block ends, then act as they would have.

    One that came while a child was being started (its instructions half-written to it)
    left the child to die of their missing end, with a traceback on the caller's
    terminal. The main thread also blocks them: the child inherits that, and opens them
    in :func:`_child_main`, so one sent to the whole group waits there too.

    >>> import os
    >>> seen = []
    >>> previous = signal.signal(signal.SIGTERM, lambda *_: seen.append("SIGTERM"))
    >>> with _signals_held():
    ...     os.kill(os.getpid(), signal.SIGTERM)
    ...     seen.append("the block's end")
    >>> seen
    ["the block's end", 'SIGTERM']
    >>> _ = signal.signal(signal.SIGTERM, previous)
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # the handlers are the main thread's to set
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, _frame: held.append(signum))
                for signum in _HELD if signal.getsignal(signum) is not None}
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        # unblocking runs the handlers of what came meanwhile: still the recorder's
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            signal.raise_signal(held[0])


def _child_main(conn: Connection, parent: int, level: int, func: Callable[..., Any],
                args: tuple[Any, ...]) -> None:
    if _die_with(parent, _prctl()):
        # A hang-up or a Ctrl-C is the caller's to act on (`exokg serve` ignores a hang-up
        # while it builds; a Ctrl-C stops the child from there): one sent to the whole
        # process group, as a terminal sends it, killed the build here (and the programs
        # it runs, which inherit the ignore). The caller's death still ends this process
        # (above); where it would not, the defaults stay.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held by the caller at the start
    root = logging.getLogger()
    root.handlers[:] = [_Forward(conn)]
    root.setLevel(level)
    try:
        answer = func(*args)
    except BaseException as err:  # noqa: BLE001 - every error goes back to the caller
        if not isinstance(err, ExoKGError):
            logger.debug("in the child process:\n%s", traceback.format_exc())
        conn.send(("error", _sendable(err)))
    else:
        conn.send(("answer", answer))
    finally:
        conn.close()


def _death(what: str, pid: int | None, status: int | None) -> str:
    """Why a child gave no answer, in words.

    >>> _death("the store build", 12, -9)
    'the store build (child process 12) was killed by signal 9'
    """
    if status is not None and status < 0:
        return f"{what} (child process {pid}) was killed by signal {-status}"
    return f"{what} (child process {pid}) exited with status {status} without an answer"


def run_in_child(func: Callable[..., T], *args: Any, what: str | None = None) -> T:
    """``func(*args)`` in a spawned child process; its error raised here.

    ``func`` and ``args`` must pickle (a module-level function, plain data); ``what``
    names the work for users when the child dies ("the store build").

    Raises
    ------
    ChildFailed
        when the child died (killed, out of memory) or its error could not be sent.
    """
    return start_in_child(func, *args, what=what)()


def start_in_child(func: Callable[..., T], *args: Any, what: str | None = None) -> Started[T]:
    """Start ``func(*args)`` in a spawned child process now; calling what is returned
    waits for its answer, as :func:`run_in_child` does, and may be done in another thread
    (:meth:`Started.stop` ends the child unanswered instead).

    The start is made here, whole: in the main thread, ``SIGINT`` and ``SIGTERM`` wait
    until the child has its instructions (:func:`_signals_held`). A build child (whose
    ``SIGTERM`` kills at once) stopped while a thread of its own started a child left
    that child half-instructed, to print a traceback on the terminal.

    >>> answer = start_in_child(divmod, 7, 2)
    >>> answer()
    (3, 1)
    """
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe(duplex=False)
    level = logging.getLogger("exokg").getEffectiveLevel()
    proc = ctx.Process(target=_child_main, name=f"exokg-{getattr(func, '__name__', 'child')}",
                       args=(theirs, os.getpid(), level, func, args))
    try:
        with _signals_held():  # ends by acting on what came meanwhile
            proc.start()
    except BaseException:
        _stop(proc)
        ours.close()
        raise
    finally:
        theirs.close()
    return Started(proc, ours, what)


class Started(Generic[T]):
    """A child process started by :func:`start_in_child`: call it for its answer."""

    def __init__(self, proc: multiprocessing.process.BaseProcess, ours: Connection,
                 what: str | None) -> None:
        self._proc, self._ours, self._what = proc, ours, what
        self._outcome: tuple[str, Any] | None = None
        self._ended = False

    def __call__(self) -> T:
        try:
            while self._read():
                pass
        except BaseException:
            # the caller stops (Ctrl-C, SIGTERM to it alone): so does the work done for
            # it, which it would otherwise wait for below (an hour's build at 10^6 findings)
            self._proc.terminate()
            raise
        finally:
            self._ours.close()
            self._proc.join()
        proc = self._proc
        if self._outcome is None:
            raise ChildFailed(_death(self._what or f"the {proc.name} process", proc.pid,
                                     proc.exitcode))
        kind, payload = self._outcome
        if kind == "error":
            raise payload
        return cast(T, payload)

    def ready(self, timeout: float) -> bool:
        """Whether the answer has come (or the child ended without one), waiting at most
        ``timeout`` seconds; the child's log records are passed on meanwhile. A caller that
        must stay able to give up waits in turns of this, then calls for the answer.

        >>> started = start_in_child(divmod, 7, 2)
        >>> while not started.ready(0.1):
        ...     pass
        >>> started()
        (3, 1)
        """
        deadline = time.monotonic() + timeout
        while self._outcome is None and not self._ended:
            left = deadline - time.monotonic()
            if left <= 0 or not self._ours.poll(left):
                return False
            self._read()
        return True

    def _read(self) -> bool:
        """Take the child's next message, waiting for it: a log record is passed on, the
        answer or the child's end kept. Whether more is to come."""
        if self._outcome is not None or self._ended:
            return False
        try:
            kind, payload = self._ours.recv()
        except EOFError:
            self._ended = True
            return False
        if kind == "log":
            logging.getLogger(payload.name).handle(payload)
            return True
        self._outcome = kind, payload
        return False

    def stop(self) -> None:
        """End the child, its answer unread (the caller gave up on it)."""
        _stop(self._proc)
        self._ours.close()


def _stop(proc: multiprocessing.process.BaseProcess) -> None:
    if proc.pid is not None:  # started
        proc.terminate()
        proc.join()
