"""Artifact builders importable by name, so that the spawned store build runs them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def kill_self(store, folder: Path) -> None:
    """Kill the process running the build."""
    os.kill(os.getpid(), signal.SIGKILL)


def write_pid(store, folder: Path) -> None:
    """Write the building process's id and the store's size."""
    (folder / "pid").write_text(f"{os.getpid()} {len(store)}")


def wait_for_gate(store, folder: Path) -> None:
    """Wait until the file ``GATE_FILE`` names exists (2 minutes at most); fail when it
    says ``fail``: a build whose artifacts take as long as a test wants."""
    gate = Path(os.environ["GATE_FILE"])
    deadline = time.monotonic() + 120
    while not gate.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the gate was never opened")
        time.sleep(0.05)
    if gate.read_text().strip() == "fail":
        raise RuntimeError("the gate said fail")
