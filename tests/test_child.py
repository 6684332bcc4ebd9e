"""A program started for a build dies with the process that started it
(:func:`exokg.child.dies_with_caller`): a killed build leaves nothing working for it."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG is Linux's")

STARTER = """
import subprocess, sys, time
from exokg.child import dies_with_caller
program = subprocess.Popen(["sleep", "60"], preexec_fn={preexec})
print(program.pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    """Running, not gone or a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _orphan_after_kill(preexec: str, wait: float) -> bool:
    starter = subprocess.Popen([sys.executable, "-c", STARTER.format(preexec=preexec)],
                               stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    pid = int(starter.stdout.readline())
    assert _alive(pid)
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + wait
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    orphan = _alive(pid)
    if orphan:
        subprocess.run(["kill", "-9", str(pid)], check=False)
    return orphan


def test_a_program_dies_with_the_process_that_started_it():
    assert not _orphan_after_kill("dies_with_caller()", wait=5)
    # and the test can tell: without it, the program outlives its killed starter
    assert _orphan_after_kill("None", wait=0.5)


def test_lowest_priority_for_the_work_and_its_programs_only():
    """:func:`exokg.child.at_lowest_priority` runs its function at nice 19, and so do the
    programs that function starts; the caller's own thread keeps its priority."""
    import os
    import threading

    from exokg.child import at_lowest_priority

    def priorities() -> tuple[int, int]:
        thread = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        program = int(subprocess.check_output(["nice"]))
        return thread, program

    before = priorities()
    assert at_lowest_priority(priorities) == (19, 19)
    assert priorities() == before
    with pytest.raises(ZeroDivisionError):  # its error is the caller's
        at_lowest_priority(divmod, 1, 0)


def test_a_command_stopped_by_sigterm_stops_its_build_child_at_once(tmp_path):
    """SIGTERM to ``exokg`` alone (``kill``, ``timeout``, systemd) raised in the command,
    which then waited for its build child to finish (an hour at 10^6 findings)."""
    import psutil
    from conftest import RUN_DIR

    data = tmp_path / "big.nt"
    with data.open("w") as out:  # about 30 s to build: far longer than the test waits
        for i in range(400_000):
            out.write(f"<http://ex.org/s{i}> <http://ex.org/p{i % 50}> \"v{i}\" .\n")
    store = tmp_path / "store"
    command = subprocess.Popen([sys.executable, "-m", "exokg", "query", "--data", str(data),
                                "--store", str(store), "ASK { ?s ?p ?o }"], cwd=RUN_DIR,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".building-") for p in store.glob(".*")):
            assert time.monotonic() < deadline and command.poll() is None
            time.sleep(0.05)
        children = psutil.Process(command.pid).children(recursive=True)
        assert children, "the build runs in a child process"
        command.terminate()
        _, err = command.communicate(timeout=10)
    finally:
        command.kill()
    assert command.returncode == 143
    assert err.strip().splitlines() == ["exokg query: stopped (SIGTERM)"]
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive


STARTING = """
import contextlib, sys
import exokg.child as child
if sys.argv[1] == "unheld":
    child._signals_held = contextlib.nullcontext
answer = child.start_in_child(len, b"x" * 200_000_000)  # its start: until the child read it
print("started", flush=True)
answer()
"""


def _spawned(process) -> bool:
    """Whether ``process`` has a child of multiprocessing's spawn (not its resource
    tracker, started first)."""
    import psutil

    with contextlib.suppress(psutil.Error):
        return any("spawn_main" in " ".join(child.cmdline()) for child in process.children())
    return False


def _stopped_while_starting(mode: str) -> tuple[int, str, str]:
    """A process whose ``SIGTERM`` kills at once (a build child) stopped while it starts
    a child of its own: its exit status, output and errors (the child's among them)."""
    import psutil

    starter = subprocess.Popen([sys.executable, "-c", STARTING, mode], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not _spawned(psutil.Process(starter.pid)):
            assert time.monotonic() < deadline and starter.poll() is None
            time.sleep(0.002)
        starter.terminate()  # the child runs: its instructions (200 MB) are being written
        out, err = starter.communicate(timeout=30)
    finally:
        starter.kill()
    return starter.returncode, out, err


def test_a_child_is_started_whole_before_a_sigterm_acts():
    """A build child stopped by ``SIGTERM`` (its caller's, or ``kill``) while it started
    the artifact build left that half-started child to print a traceback on the terminal
    (its instructions cut short); now the signal waits for the start, then acts."""
    status, out, err = _stopped_while_starting("held")
    assert status == -signal.SIGTERM
    assert (out, err) == ("", "")
    # and the test can tell: without the hold, the child is left with half its start
    status, _, err = _stopped_while_starting("unheld")
    assert status == -signal.SIGTERM
    assert "Traceback" in err
