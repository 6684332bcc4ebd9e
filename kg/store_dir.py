"""The folder of stores: its build and index locks, the use locks, leftover builds and old
versions.

- One exclusive lock (``<store_dir>/.lock``) is held by whoever checks or builds a store
  in the folder, so a build folder (``.building-*``) seen while holding it is a leftover
  of a builder that died (kill -9, power loss) and is removed.
- Every process that has a data version open holds a shared lock on its
  ``in-use.lock`` for as long as it lives (forked workers inherit it); a version whose
  lock can be taken exclusively is used by no process.
- Old versions are removed beyond the newest :data:`KEEP_VERSIONS`, never one in use.
- ``exokg index`` of a remote store holds a lock of its own per store URL
  (:func:`index_lock`), refusing a second run at once; its build folders
  (``.indexing-*``) are its own to remove, not a start's.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     (Path(tmp) / ".building-0123456789abcdef-99").mkdir()
...     with build_lock(tmp):
...         remove_leftovers(tmp)
...     sorted(p.name for p in Path(tmp).iterdir())
['.lock']
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from exokg.errors import ConfigError

__all__ = ["BUILDING_PREFIX", "EARLY_PREFIX", "INDEXING_PREFIX", "KEEP_VERSIONS", "build_lock",
           "hold_in_use", "in_use", "index_lock", "prune_versions", "release_in_use",
           "remove_if_unused", "remove_leftovers"]

logger = logging.getLogger(__name__)

#: Data versions kept in a store folder (besides any in use).
KEEP_VERSIONS = 3
BUILDING_PREFIX = ".building-"
#: Copies of a store served while its build goes on (:func:`exokg.store.prepare_store`'s
#: ``early``): removed once no process uses them.
EARLY_PREFIX = ".early-"
#: Folders ``exokg index`` builds a remote store's artifacts in (apart from the embedded
#: builds' leftovers, which a start removes: an index may run for an hour beside it).
INDEXING_PREFIX = ".indexing-"
_USE_LOCK = "in-use.lock"
_VERSION = re.compile(r"^[0-9a-f]{16}(\.json)?$")

#: Use locks this process holds, by folder: kept open for the process's life.
_HELD: dict[str, IO[bytes]] = {}


@contextlib.contextmanager
def build_lock(store_dir: Path | str) -> Iterator[None]:
    """Hold the folder's exclusive lock (waits while another process builds)."""
    with _lock_file(Path(store_dir), ".lock", "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def index_lock(store_dir: Path | str, engine: str) -> Iterator[str]:
    """Hold the lock of indexing the remote store ``engine`` (its query URL) into this
    folder, or refuse at once; yields the prefix of the run's build folders.

    Two runs writing one engine's metrics graph at once would each stamp it whole while
    the other still writes it. A second run sharing the folder is refused, naming the
    first's process; build folders of a run that died are removed. Runs on other machines
    (or with another folder) are not seen: run one ``exokg index`` per engine.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with index_lock(tmp, "http://127.0.0.1:7878/query"):
    ...         with index_lock(tmp, "http://127.0.0.1:7878/query"):
    ...             pass
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: another 'exokg index' of http://127.0.0.1:7878/query is ...
    """
    folder = Path(store_dir).expanduser()
    key = hashlib.sha256(engine.encode()).hexdigest()[:16]
    with _lock_file(folder, f".index-{key}.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise ConfigError(f"another 'exokg index' of {engine} is running with the store "
                              f"folder {folder} (process {holder}); run one at a time per "
                              "engine") from None
        try:
            fh.truncate(0)
            fh.write(str(os.getpid()))
            fh.flush()
            prefix = f"{INDEXING_PREFIX}{key}-"
            for path in folder.glob(prefix + "*"):
                logger.warning("removing %s, left by an index that did not finish", path)
                shutil.rmtree(path, ignore_errors=True)
            yield prefix
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _lock_file(folder: Path, name: str, mode: str) -> IO[Any]:
    """The folder's lock file ``name``, opened (the folder made first)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return (folder / name).open(mode)
    except OSError as err:
        if folder.exists() and not folder.is_dir():  # mkdir says only "File exists"
            raise ConfigError(f"store folder {folder}: a file, not a folder") from None
        raise ConfigError(f"store folder {folder}: {err.strerror or err}") from None


def hold_in_use(folder: Path | str) -> None:
    """Mark the version ``folder`` as used by this process until it exits."""
    key = str(folder)
    if key in _HELD:
        return
    try:
        fh = (Path(folder) / _USE_LOCK).open("ab")
    except OSError as err:  # a read-only folder: nobody who could prune it can write there
        logger.warning("cannot mark %s in use: %s", folder, err.strerror or err)
        return
    fcntl.flock(fh, fcntl.LOCK_SH)
    _HELD[key] = fh


def release_in_use(folder: Path | str) -> None:
    """Stop marking ``folder`` in use from this process (children forked while it was
    held keep it marked until they exit)."""
    fh = _HELD.pop(str(folder), None)
    if fh is not None:
        fh.close()


def in_use(folder: Path | str) -> bool:
    """Whether any process (this one included) holds the version ``folder`` open."""
    lock = Path(folder) / _USE_LOCK
    if not lock.exists():
        return False
    with lock.open("ab") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def remove_leftovers(store_dir: Path | str) -> None:
    """Remove build folders of builders that died, and early copies nobody serves any
    more (call while holding :func:`build_lock`)."""
    for path in Path(store_dir).glob(BUILDING_PREFIX + "*"):
        logger.warning("removing %s, left by a build that did not finish", path)
        shutil.rmtree(path, ignore_errors=True)
    for path in Path(store_dir).glob(EARLY_PREFIX + "*"):
        if remove_if_unused(path):
            logger.info("removed %s, a copy served while its store was built", path)


def remove_if_unused(folder: Path | str) -> bool:
    """Remove ``folder`` unless a process holds it in use (:func:`hold_in_use`); whether
    it is gone."""
    if Path(folder).is_dir() and in_use(folder):
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def prune_versions(store_dir: Path | str, *, keep: int = KEEP_VERSIONS) -> list[Path]:
    """Remove the data versions beyond the newest ``keep``, except those in use.

    Stores of older layouts (``<version>`` beside ``<version>.json``) count as versions
    too. Call while holding :func:`build_lock`. Returns the removed paths.
    """
    entries = [p for p in Path(store_dir).iterdir() if _VERSION.match(p.name)]
    versions: dict[str, list[Path]] = {}
    for path in entries:
        versions.setdefault(path.name.removesuffix(".json"), []).append(path)
    newest = sorted(versions.values(), key=lambda ps: max(_mtime(p) for p in ps),
                    reverse=True)
    removed = []
    for paths in newest[keep:]:
        if any(p.is_dir() and in_use(p) for p in paths):
            continue
        for path in paths:
            logger.info("removing old store version %s", path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
