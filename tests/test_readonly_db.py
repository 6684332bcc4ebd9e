"""Read-only SQLite connections pooled per process (exokg.readonly_db).

Pooled, they must never serve a file that was replaced, cross a fork, write, be used by
two threads at once, or grow without bound; a folder named with URI characters is
still that folder.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from exokg.errors import StoreChanged
from exokg.readonly_db import IDLE, KEPT, read_only


def _write(path: Path, value: str) -> None:
    tmp = path.with_suffix(".tmp")
    with contextlib.closing(sqlite3.connect(tmp)) as db, db:
        db.execute("CREATE TABLE t (x TEXT)")
        db.execute("INSERT INTO t VALUES (?)", (value,))
    tmp.replace(path)  # as a build does: a new file renamed over the old


def _read(path: Path) -> str:
    with read_only(path) as db:
        return db.execute("SELECT x FROM t").fetchone()[0]


def test_a_connection_given_back_is_the_next_one_lent(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "a")
    with read_only(path) as first, read_only(path) as second:  # one user at a time each
        assert second is not first
    with read_only(path) as again:
        assert again in (first, second)
    seen: list[sqlite3.Connection] = []

    def other_thread() -> None:
        with read_only(path) as db:
            db.execute("SELECT x FROM t").fetchone()
            seen.append(db)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen[0] in (first, second)  # the warm-up's connection serves a request thread


def test_a_replaced_file_is_read_afresh_and_the_old_connection_closed(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "old")
    with read_only(path) as old:
        assert old.execute("SELECT x FROM t").fetchone()[0] == "old"
    _write(path, "new")
    assert _read(path) == "new"
    with pytest.raises(sqlite3.ProgrammingError):
        old.execute("SELECT 1")


def test_one_replaced_while_lent_is_closed_when_given_back(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "old")
    with read_only(path) as old:
        _write(path, "new")
        assert _read(path) == "new"
        assert old.execute("SELECT x FROM t").fetchone()[0] == "old"  # its own file still
    with pytest.raises(sqlite3.ProgrammingError):
        old.execute("SELECT 1")


def test_it_cannot_write(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "a")
    with pytest.raises(sqlite3.OperationalError, match="readonly"), read_only(path) as db:
        db.execute("INSERT INTO t VALUES ('b')")
    assert _read(path) == "a"


def test_pools_and_idle_connections_are_bounded(tmp_path) -> None:
    paths = [tmp_path / f"{n}.sqlite" for n in range(KEPT + 1)]
    for n, path in enumerate(paths):
        _write(path, str(n))
    with read_only(paths[0]) as first:
        pass
    assert [_read(p) for p in paths] == [str(n) for n in range(KEPT + 1)]
    with pytest.raises(sqlite3.ProgrammingError):  # the oldest used pool was closed
        first.execute("SELECT 1")
    assert _read(paths[0]) == "0"  # and is opened again when asked
    with contextlib.ExitStack() as stack:
        lent = [stack.enter_context(read_only(paths[0])) for _ in range(IDLE + 2)]
    closed = 0
    for db in lent:
        try:
            db.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            closed += 1
    assert closed == 2  # given back beyond IDLE: closed


@pytest.mark.parametrize("name", ["a?b", "a#b", "a b%20c"])
def test_folder_names_with_uri_characters(tmp_path, name) -> None:
    folder = tmp_path / name
    folder.mkdir()
    _write(folder / "a.sqlite", name)
    assert _read(folder / "a.sqlite") == name


def test_a_missing_file_is_a_503_naming_it(tmp_path) -> None:
    """An artifact is never removed under a store: one gone is the store's (a 503)."""
    with pytest.raises(StoreChanged, match="none.sqlite is gone"), \
            read_only(tmp_path / "none.sqlite"):
        pass
    assert not (tmp_path / "none.sqlite").exists()  # nothing created


def test_a_file_damaged_since_opened_is_a_503_and_a_query_s_fault_is_not(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE t (x)")
        db.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    with read_only(path) as db:
        assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 100
    with path.open("r+b") as f:  # cut short, as a full disk or a crash leaves it
        f.truncate(8192)
    with pytest.raises(StoreChanged, match="a.sqlite is damaged"), read_only(path) as db:
        db.execute("SELECT * FROM t").fetchall()
    with pytest.raises(sqlite3.OperationalError), read_only(path) as db:
        db.execute("SELECT nothing FROM nowhere")


def _child(path: str, parent_id: int, out) -> None:
    with read_only(path) as db:
        out.put(id(db) != parent_id and db.execute("SELECT x FROM t").fetchone()[0] == "a")


def test_a_forked_process_opens_its_own(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "a")
    with read_only(path) as db:
        pass
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child, args=(str(path), id(db), out))
    child.start()
    answer = out.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0 and answer is True
    with read_only(path) as again:
        assert again is db  # the parent's is still its own
