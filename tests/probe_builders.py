"""Artifact builders importable by name, so that the spawned store build runs them."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def kill_self(store, folder: Path) -> None:
    """Kill the process running the build."""
    os.kill(os.getpid(), signal.SIGKILL)


def write_pid(store, folder: Path) -> None:
    """Write the building process's id and the store's size."""
    (folder / "pid").write_text(f"{os.getpid()} {len(store)}")
