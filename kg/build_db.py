"""SQLite files that a build writes: its artifacts and its scratch files.

A build's folder is thrown away when the build fails, so nothing is journalled or synced.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     db = build_db(Path(tmp, "a.sqlite"))
...     attach_build_db(db, Path(tmp, "b.sqlite"), "b")
...     modes = [db.execute(f"PRAGMA {s}.{p}").fetchone()[0]
...              for s in ("main", "b") for p in ("journal_mode", "synchronous")]
...     db.close()
>>> modes
['off', 0, 'off', 0]
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["attach_build_db", "build_db"]


def _settings(schema: str) -> str:
    return f"PRAGMA {schema}.journal_mode=OFF; PRAGMA {schema}.synchronous=OFF;"


def build_db(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection to the SQLite file ``path``, set up for a build."""
    db = sqlite3.connect(path, check_same_thread=check_same_thread)
    db.executescript(_settings("main"))
    return db


def attach_build_db(db: sqlite3.Connection, path: Path, schema: str) -> None:
    """Attach the SQLite file ``path`` to ``db`` as ``schema``, set up for a build."""
    db.execute("ATTACH DATABASE ? AS " + schema, (str(path),))
    db.executescript(_settings(schema))
