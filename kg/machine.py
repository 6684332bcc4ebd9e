"""What this machine, or the container it runs in, gives ExoKG: cores and memory.

A container's bounds are its cgroup's (v2 at the file system's root: ``cpu.max``,
``memory.max``; v1 in its controllers' folders: ``cpu/cpu.cfs_quota_us`` over
``cpu/cpu.cfs_period_us``, ``memory/memory.limit_in_bytes``), read here and nowhere else.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as v1:
...     root = Path(v1)
...     _ = (root / "cpu").mkdir(), (root / "memory").mkdir()
...     _ = (root / "cpu" / "cpu.cfs_quota_us").write_text("150000\\n")
...     _ = (root / "cpu" / "cpu.cfs_period_us").write_text("100000\\n")
...     _ = (root / "memory" / "memory.limit_in_bytes").write_text("2147483648\\n")
...     cpu_quota(root), memory_limit(root), min(cores(root), 1), memory(root)
(1.5, 2147483648, 1, 2147483648)
>>> with tempfile.TemporaryDirectory() as v2:
...     root = Path(v2)
...     _ = (root / "cpu.max").write_text("max 100000\\n")
...     _ = (root / "memory.max").write_text("max\\n")
...     cpu_quota(root), memory_limit(root)
(None, None)
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CGROUP", "cores", "cpu_quota", "memory", "memory_limit"]

#: Where the cgroup file system is mounted.
CGROUP = Path("/sys/fs/cgroup")


def cores(cgroup: Path = CGROUP) -> int:
    """The cores this process may keep busy: those it may run on, fewer under a CPU
    quota (a container's ``--cpus``), at least one."""
    mine = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1
    quota = cpu_quota(cgroup)
    return mine if quota is None else min(mine, max(1, int(quota)))


def memory(cgroup: Path = CGROUP) -> int:
    """The bytes of memory this machine has, or its container may use when less."""
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = memory_limit(cgroup)
    return machine if limit is None else min(machine, limit)


def cpu_quota(cgroup: Path = CGROUP) -> float | None:
    """The CPU quota in cores, or ``None`` when there is none (or it cannot be read)."""
    try:
        if (cgroup / "cpu.max").exists():  # v2: "max 100000", "150000 100000"
            quota, period = (cgroup / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()  # v1: -1 for none
        period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        return None if int(quota) < 0 else int(quota) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def memory_limit(cgroup: Path = CGROUP) -> int | None:
    """The container's memory bound in bytes, or ``None`` when there is none (or it
    cannot be read; v1 says "none" with a number past any machine's memory, which
    :func:`memory` leaves to the machine's)."""
    for path in (cgroup / "memory.max", cgroup / "memory" / "memory.limit_in_bytes"):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        return None if text == "max" else int(text) if text.isdigit() else None
    return None
