"""Reading a facets artifact's tables, to compare two builds of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from exokg.facets import FACETS_FILE


def facet_tables(folder: Path) -> dict[str, list[tuple]]:
    """Every table of ``folder``'s facets artifact, its rows sorted."""
    db = sqlite3.connect(folder / FACETS_FILE)
    try:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(db.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        db.close()
