"""What the machine or its container gives (``exokg.machine``): a container's bounds under
cgroup v1 and v2, and the machine's own where none is set."""

from __future__ import annotations

import os
from pathlib import Path

from exokg.machine import cores, cpu_quota, memory, memory_limit

MACHINE = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _v1(root: Path, *, quota: str, limit: str) -> Path:
    (root / "cpu").mkdir()
    (root / "memory").mkdir()
    (root / "cpu" / "cpu.cfs_quota_us").write_text(quota + "\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    (root / "memory" / "memory.limit_in_bytes").write_text(limit + "\n")
    return root


def test_a_v1_container_bounds_memory_and_cores(tmp_path):
    root = _v1(tmp_path, quota="100000", limit=str(1 << 30))
    assert memory(root) == min(MACHINE, 1 << 30) and memory_limit(root) == 1 << 30
    assert cpu_quota(root) == 1.0 and cores(root) == 1


def test_v1_without_bounds_is_the_machine(tmp_path):
    # v1 says "no limit" with a number past any machine's memory, and -1 for no quota
    root = _v1(tmp_path, quota="-1", limit="9223372036854771712")
    assert memory(root) == MACHINE and cpu_quota(root) is None
    assert cores(root) == len(os.sched_getaffinity(0))


def test_v2_bounds_and_their_absence(tmp_path):
    (tmp_path / "cpu.max").write_text("250000 100000\n")
    (tmp_path / "memory.max").write_text(f"{1 << 29}\n")
    assert cpu_quota(tmp_path) == 2.5 and memory(tmp_path) == min(MACHINE, 1 << 29)
    (tmp_path / "cpu.max").write_text("max 100000\n")
    (tmp_path / "memory.max").write_text("max\n")
    assert cpu_quota(tmp_path) is None and memory(tmp_path) == MACHINE


def test_unreadable_bounds_are_no_bounds(tmp_path):
    (tmp_path / "memory.max").write_text("not a number\n")
    (tmp_path / "cpu.max").write_text("150000 0\n")
    assert memory_limit(tmp_path) is None and cpu_quota(tmp_path) is None
    assert memory(tmp_path / "none") == MACHINE
