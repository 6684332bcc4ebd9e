"""Read-only SQLite connections to a store's artifacts, kept open per thread.

Opening a connection and reading its schema costs about 0.2 ms, as much as a search's
own look-ups; the artifacts are written once, with the store, and never changed in
place (a rebuild writes a new file and renames it over the old). So each thread keeps
its connections, keyed by the file's path *and* identity (device, inode, size,
modification time): a file replaced under the same name is opened afresh, and a
connection to the replaced one is closed. A thread keeps at most :data:`KEPT` of them,
and none across a fork.

>>> import sqlite3, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp, "a.sqlite")
...     with sqlite3.connect(path) as db:
...         _ = db.execute("CREATE TABLE t (x)")
...     first = connect_read_only(path)
...     first is connect_read_only(path)
True
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

__all__ = ["KEPT", "connect_read_only"]

#: Connections one thread keeps open (the newest used).
KEPT = 8

_local = threading.local()


def connect_read_only(path: Path | str) -> sqlite3.Connection:
    """A read-only connection to the SQLite file ``path``, shared by this thread's calls:
    do not close it.

    Raises
    ------
    FileNotFoundError
        when ``path`` is not a file.
    """
    path = Path(path)
    info = os.stat(path)
    key = (str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if getattr(_local, "pid", None) != os.getpid():
        # a connection must not cross a fork (SQLite's rule): a forked worker's thread
        # starts its own, and leaves the parent's alone (closing them could release
        # the parent's locks)
        _local.pid, _local.kept = os.getpid(), {}
    kept: dict[tuple, sqlite3.Connection] = _local.kept
    con = kept.pop(key, None)
    if con is None:
        for old in [k for k in kept if k[0] == key[0]]:  # that file was replaced
            kept.pop(old).close()
        # as a URI (percent-encoded): a folder named with "?" or "#" is still that folder
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        while len(kept) >= KEPT:
            kept.pop(next(iter(kept))).close()
    kept[key] = con  # last: the newest used
    return con
