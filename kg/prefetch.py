"""Reading a store's files into the page cache in the background, within a share of memory.

A freshly started server reads its store cold: the first request that touches a part of
the store no earlier request read waits for the disk (at 10^6 findings a hub's first
page took 739 ms against its tenth's 478 ms, and Oxigraph server showed the same on the
same queries). :func:`prefetch` asks the kernel to read the store's files ahead
(``posix_fadvise(WILLNEED)``), the artifacts first (the worker's own reads: search,
facets, adjacency) and then the store's data files, each file only while the running
total stays within ``share`` of the memory available now (``MemAvailable``, which counts
the page cache the kernel may drop, and in a container is the host's): a store larger
than that share is read in part. Each worker asks for the same files; the kernel reads
them once (later asks find the pages cached).
:func:`start_prefetch` does it in a daemon thread, so the server's start waits for none of
it. Where the platform has no ``posix_fadvise`` or no ``MemAvailable`` nothing is read.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = (Path(tmp) / "a.sst").write_bytes(b"x" * 4096)
...     report = prefetch(store_files(tmp), share=0.5, available=1 << 20)
>>> report["files"], report["bytes"], report["skipped"]
(1, 4096, 0)
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["available_memory", "prefetch", "start_prefetch", "store_files"]

logger = logging.getLogger(__name__)

#: Where the artifacts built with a store are (read first: every request of the pages,
#: search and graph queries reads them in the worker itself).
_ARTIFACTS = "artifacts"

#: Bytes asked for per ``posix_fadvise`` call (the kernel reads at most its readahead
#: limit per call, not the whole range).
_STEP = 2 << 20


def store_files(folder: Path | str) -> list[Path]:
    """The regular files of the store folder ``folder``, in the order they are read
    ahead: the artifacts' (under ``artifacts/``) first, then the rest (the store's data
    files), each group in path order; symbolic links and lock files are left out."""
    root = Path(folder)
    found = [p for p in sorted(root.rglob("*"))
             if p.is_file() and not p.is_symlink() and not p.name.endswith(".lock")
             and p.name != "LOCK"]
    artifacts = root / _ARTIFACTS
    return ([p for p in found if artifacts in p.parents]
            + [p for p in found if artifacts not in p.parents])


def available_memory() -> int | None:
    """The bytes of memory the kernel says are available now (``MemAvailable`` of
    ``/proc/meminfo``: free plus reclaimable cache), or ``None`` where it does not."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def prefetch(files: Sequence[Path | str], *, share: float,
             available: int | None = None) -> dict[str, Any]:
    """Ask the kernel to read ``files`` ahead, in order, while their total stays within
    ``share`` of ``available`` bytes (default: :func:`available_memory`); a file that
    would pass the budget is skipped and the next ones are still tried.

    Returns
    -------
    dict
        ``files`` and ``bytes`` read ahead, ``skipped`` files, ``budget`` in bytes
        (0 when nothing may be read: ``share`` 0, no ``posix_fadvise``, memory unknown).
    """
    report: dict[str, Any] = {"files": 0, "bytes": 0, "skipped": 0, "budget": 0}
    advise = getattr(os, "posix_fadvise", None)
    if available is None:
        available = available_memory()
    if share <= 0 or advise is None or not available:
        report["skipped"] = len(files)
        return report
    budget = report["budget"] = int(share * available)
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as err:  # gone since it was listed (a compaction): nothing to read
            logger.debug("prefetch: %s", err)
            report["skipped"] += 1
            continue
        try:
            size = os.fstat(fd).st_size
            if report["bytes"] + size > budget:
                report["skipped"] += 1
                continue
            # one call reads ahead a few MB at most (Linux caps it: 8 MB here), so
            # the file is asked for in steps
            for offset in range(0, size, _STEP):
                advise(fd, offset, min(_STEP, size - offset), os.POSIX_FADV_WILLNEED)
            report["files"] += 1
            report["bytes"] += size
        except OSError as err:
            logger.debug("prefetch: %s: %s", path, err)
            report["skipped"] += 1
        finally:
            os.close(fd)
    return report


def start_prefetch(folder: Path | str, *, share: float,
                   on_done: Callable[[dict[str, Any]], None] | None = None,
                   ) -> threading.Thread | None:
    """:func:`prefetch` of :func:`store_files` of ``folder`` in a daemon thread; its
    report (with the ``folder`` and the ``seconds`` it took to ask) is logged and given
    to ``on_done``.
    ``None`` (no thread) when ``share`` is 0."""
    if share <= 0:
        return None

    def run() -> None:
        started = time.perf_counter()
        try:
            report = prefetch(store_files(folder), share=share)
        except Exception:  # noqa: BLE001 - reading ahead is an optimisation, never fatal
            logger.exception("prefetch of %s failed", folder)
            return
        report["seconds"] = round(time.perf_counter() - started, 3)
        report["folder"] = str(folder)
        logger.info("prefetch of %s: %d files, %.1f MB read ahead, %d skipped "
                    "(budget %.1f MB) in %.2f s", folder, report["files"],
                    report["bytes"] / 1e6, report["skipped"], report["budget"] / 1e6,
                    report["seconds"])
        if on_done is not None:
            on_done(report)

    thread = threading.Thread(target=run, name="exokg-prefetch", daemon=True)
    thread.start()
    return thread
