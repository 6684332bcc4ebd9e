"""Read-only SQLite connections to a store's artifacts, pooled per process.

Opening a connection and reading its schema costs about 0.2 ms, as much as a search's
own look-ups; the artifacts are written once, with the store, and never changed in
place (a rebuild writes a new file and renames it over the old). So a process keeps
its connections open between requests, in a pool per file that any thread borrows
from (:func:`read_only`): the warm-up's connection is the first user request's, and
there are never more connections to a file than requests reading it at once.

A pool belongs to the file's path *and* identity (device, inode, size, modification
time): a file replaced under the same name is opened afresh, and the idle connections to
the replaced one are closed. The pools of at most :data:`KEPT` files are kept, and none
across a fork.

>>> import sqlite3, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp, "a.sqlite")
...     with contextlib.closing(sqlite3.connect(path)) as db, db:
...         _ = db.execute("CREATE TABLE t (x)")
...     with read_only(path) as first:
...         pass
...     with read_only(path) as again:
...         first is again
True
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exokg.errors import StoreChanged

__all__ = ["IDLE", "KEPT", "connect_read_only", "read_only"]

#: Files whose pools are kept (the newest used).
KEPT = 8
#: Idle connections a pool keeps (more are closed when given back).
IDLE = 8

_lock = threading.Lock()
_pools: dict[str, tuple[tuple[int, ...], list[sqlite3.Connection]]] = {}
_pid = os.getpid()


@contextlib.contextmanager
def read_only(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file ``path``, borrowed from its pool for the
    ``with`` block and given back after it (do not close it or keep it).

    Raises
    ------
    StoreChanged
        when ``path`` is gone, or SQLite finds it damaged (a file cut short or rewritten
        since it was built: a store's artifacts are never changed in place).
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise StoreChanged.of_file(path, "is gone") from None
    key, identity = str(path), (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    con = _borrow(key, identity)
    try:
        if con is None:
            # shared across threads, one at a time (the pool's lock hands it over)
            con = connect_read_only(path, check_same_thread=False)
        yield con
    except sqlite3.DatabaseError as err:
        # the file's fault, not the query's (a bug in it stays a 500, as it was)
        if getattr(err, "sqlite_errorcode", 0) & 0xFF not in _DAMAGED:
            raise
        raise StoreChanged.of_file(path, f"is damaged ({err})") from None
    finally:
        if con is not None:
            _give_back(key, identity, con)


#: SQLite's primary result codes of a file that is not as written: SQLITE_IOERR (a disk
#: fault), SQLITE_CORRUPT, SQLITE_NOTADB.
_DAMAGED = frozenset({10, 11, 26})




def connect_read_only(path: Path | str, **options: Any) -> sqlite3.Connection:
    """A new read-only connection to the SQLite file ``path`` (not pooled: close it).

    Opened by URI, percent-encoded: a folder named with "?" or "#" is still that folder.
    """
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, **options)


def _borrow(key: str, identity: tuple[int, ...]) -> sqlite3.Connection | None:
    global _pid
    with _lock:
        if _pid != os.getpid():
            # a connection must not be used across a fork (SQLite's rule): the child
            # starts with no pool and opens its own
            _pid = os.getpid()
            _pools.clear()
        pool = _pools.pop(key, None)
        if pool is not None and pool[0] != identity:  # the file was replaced
            for con in pool[1]:
                con.close()
            pool = None
        if pool is None:
            pool = (identity, [])
            while len(_pools) >= KEPT:
                for con in _pools.pop(next(iter(_pools)))[1]:
                    con.close()
        _pools[key] = pool  # last: the newest used
        return pool[1].pop() if pool[1] else None


def _give_back(key: str, identity: tuple[int, ...], con: sqlite3.Connection) -> None:
    with _lock:
        pool = _pools.get(key)
        if _pid == os.getpid() and pool is not None and pool[0] == identity \
                and len(pool[1]) < IDLE:
            pool[1].append(con)
            return
    con.close()  # its file was replaced or its pool dropped meanwhile, or enough idle
