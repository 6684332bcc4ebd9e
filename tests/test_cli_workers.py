"""kg/cli/_workers.py: a live worker is stopped only once its replacement is ready.

Here with stand-in workers (threads that say ready when told), through granian's own
entry point for a replacement; ``tests/test_serve_early.py`` polls a real server across
the switch and ``SIGHUP``.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
import time
from typing import Any

import pytest
from exokg.cli import _workers
from exokg.cli._workers import ReadyServer
from granian.server import MPServer
from granian.server.mp import WorkerProcess


class Worker:
    """A stand-in worker: ``start()`` keeps its own copy of the readiness pipe's end, as
    a forked worker would; ``say_ready()`` / ``die()`` act as its loader would."""

    def __init__(self, server: ReadyServer, idx: int, events: list[str],
                 alive: bool = True) -> None:
        self.server, self.idx, self.events = server, idx, events
        self.end: int | None = None
        # the process's sentinel: readable once it has ended, as a real process's is
        sentinel, self._life = os.pipe()
        self.inner = type("Process", (), {"sentinel": sentinel})()
        if not alive:
            self._end()

    @property
    def alive(self) -> bool:
        return self._life is not None

    def _end(self) -> None:
        if self._life is not None:
            os.close(self._life)
            self._life = None

    def start(self) -> None:
        self.events.append(f"start {self.idx}")
        pipe = self.server._pipe
        assert pipe is not None, "a replacement is started with a pipe to say ready on"
        self.end = os.dup(pipe.write_end)

    def say_ready(self) -> None:
        assert self.end is not None
        os.write(self.end, b"!")
        os.close(self.end)

    def die(self) -> None:
        assert self.end is not None
        os.close(self.end)
        self._end()

    def terminate(self) -> None:
        self.events.append(f"stop {self.idx}")
        self._end()

    def _id(self) -> int:
        return 1000 + self.idx


class Server(ReadyServer):
    """A :class:`ReadyServer` without granian's set-up (sockets, logging), whose
    replacements are :class:`Worker` objects, made ready by ``act(worker)``."""

    def __init__(self, old_alive: bool = True, act: Any = None) -> None:  # noqa: D107
        self.events: list[str] = []
        self.wrks = [Worker(self, i, self.events, alive=old_alive) for i in range(2)]
        self.respawned_wrks: dict[int, float] = {}
        self.interrupt_signal = False
        self.interrupt_children: list[int] = []
        self.workers_kill_timeout = None
        self.act = act or (lambda worker: worker.say_ready())
        self.new: list[Worker] = []

        class Metrics:
            def incr_spawn(self, n: int) -> None:
                pass

        self._metrics = Metrics()

    def _spawn_worker(self, idx, target, callback_loader):
        worker = Worker(self, idx, self.events)
        self.new.append(worker)
        start = worker.start

        def start_then_act() -> None:
            start()
            # the worker warms up meanwhile; say ready (or die) 0.3 s later
            threading.Timer(0.3, lambda: (self.events.append(f"ready {idx}"),
                                          self.act(worker))).start()

        worker.start = start_then_act  # type: ignore[method-assign]
        return worker


def test_each_old_worker_stops_only_after_its_replacement_is_ready():
    server = Server()
    old = list(server.wrks)
    server._respawn_workers([0, 1], None, None, delay=0.05)  # what granian's reload calls
    assert server.events == ["start 0", "ready 0", "stop 0", "start 1", "ready 1", "stop 1"]
    assert server.wrks == server.new and not any(w.alive for w in old)


def test_a_crashed_worker_is_replaced_without_waiting():
    server = Server(old_alive=False, act=lambda worker: None)
    started = time.monotonic()
    server._respawn_workers([0, 1], None, None)  # granian's crash handling
    assert time.monotonic() - started < 0.25
    assert server.events[:2] == ["start 0", "start 1"]
    assert server.wrks == server.new


def test_a_replacement_dying_while_warming_up_is_logged(caplog):
    server = Server(act=lambda worker: worker.die())
    with caplog.at_level(logging.WARNING, logger=_workers.__name__):
        server._respawn_workers([0], None, None)
    assert "worker-1's replacement (pid 1000) died while warming up" in caplog.text
    assert server.events == ["start 0", "ready 0", "stop 0"]


def test_a_late_replacement_is_waited_for_no_longer_than_ready_wait(caplog, monkeypatch):
    monkeypatch.setattr(_workers, "READY_WAIT", 0.1)
    server = Server(act=lambda worker: None)
    with caplog.at_level(logging.WARNING, logger=_workers.__name__):
        server._respawn_workers([0], None, None)
    assert "is not ready after 0 s" in caplog.text
    assert server.events[:2] == ["start 0", "stop 0"]


def test_a_server_told_to_stop_starts_no_more_replacements():
    server = Server(act=lambda worker: None)
    threading.Timer(0.2, lambda: setattr(server, "interrupt_signal", True)).start()
    started = time.monotonic()
    server._respawn_workers([0, 1], None, None, delay=5)
    assert time.monotonic() - started < 1.5  # neither the wait nor the delay
    # "ready 0" is the stand-in's own timer (this worker never says it is ready): on a
    # loaded machine it may fire before the stop signal's timer does
    events = [e for e in server.events if not e.startswith("ready")]
    assert events[:2] == ["start 0", "stop 0"] and "start 1" not in events


def test_a_worker_reaped_by_granians_watcher_is_not_taken_for_busy(caplog):
    """granian's watcher thread joins each worker's process; when it reaps the process
    first, ``is_alive()`` answers true for good, and the old worker was "killed" by a pid
    that may have been reused (seen at the early copy's switch)."""
    server = Server()
    server.workers_kill_timeout = 5
    worker = WorkerProcess(server, 0, time.sleep, (0.2,))
    worker.inner.start()  # no watcher thread of granian's: this test stands in for it
    os.waitpid(worker.inner.pid, 0)  # the watcher, first
    assert worker.is_alive()  # what the old check read
    killed: list[int] = []
    # no signal to a pid already reaped (another process may have it by now)
    worker.terminate = lambda: None  # type: ignore[method-assign]
    worker.kill = lambda: killed.append(worker.inner.pid)  # type: ignore[method-assign]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger=_workers.__name__):
        server._stop(worker)
    assert time.monotonic() - started < 1 and not killed
    assert "still busy" not in caplog.text


def test_a_worker_still_busy_after_the_kill_timeout_is_killed(caplog):
    server = Server()
    server.workers_kill_timeout = 1
    worker = Worker(server, 0, server.events)
    worker.terminate = lambda: None  # type: ignore[method-assign]  # in-flight requests
    worker.kill = worker._end  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger=_workers.__name__):
        server._stop(worker)
    assert "killing the old worker-1: still busy after 1 s" in caplog.text
    assert not worker.alive


def test_a_reload_the_store_cannot_serve_replaces_no_worker(capsys):
    """``before_reload`` names a problem (the store gone since the start): no worker is
    replaced, and the refusal says why; with none, the workers are replaced."""
    server = Server()
    server.main_loop_interrupt = threading.Event()
    server.main_loop_interrupt.set()
    server.reload_signal = True
    server.before_reload = lambda: "store /s: no such folder"
    server._reload(None, None)
    assert server.events == [] and not server.reload_signal
    assert not server.main_loop_interrupt.is_set()
    said = capsys.readouterr().err
    assert "not replaced (SIGHUP ignored): store /s: no such folder; they keep" in said

    def stopped_meanwhile() -> str:  # SIGTERM's handler runs while the check does
        server.interrupt_signal = True
        server.main_loop_interrupt.set()
        return "store /s: no such folder"

    server.before_reload = stopped_meanwhile
    server._reload(None, None)
    assert server.main_loop_interrupt.is_set()  # the serve loop wakes up and stops
    server.interrupt_signal = False
    server.before_reload = lambda: 1 / 0  # a check that fails does not stop the reload
    server.workers, server.env_files, server.hooks_reload = 2, (), []
    server.respawn_interval = 0.05
    server._env_loader = server._call_hooks = lambda *args: None
    server._reload(None, None)
    assert server.events == ["start 0", "ready 0", "stop 0", "start 1", "ready 1", "stop 1"]


@pytest.mark.parametrize(("method", "parameters"), [
    ("_respawn_workers", ["self", "workers", "spawn_target", "target_loader", "delay"]),
    ("_spawn_worker", ["self", "idx", "target", "callback_loader"]),
    ("_reload", ["self", "spawn_target", "target_loader"]),
])
def test_granian_calls_what_ready_server_overrides(method, parameters):
    """An upgrade of granian that renamed these would silently bring the refusals back."""
    assert list(inspect.signature(getattr(MPServer, method)).parameters) == parameters
    loop = inspect.getsource(MPServer._serve_loop) + inspect.getsource(MPServer._reload)
    assert "self._respawn_workers(" in loop
    assert "self.interrupt_signal" in inspect.getsource(MPServer._serve_loop)
