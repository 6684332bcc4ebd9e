"""Read-only SQLite connections kept per thread (exokg.readonly_db).

Kept, they must never serve a file that was replaced, cross a fork, write, or grow
without bound; a folder named with URI characters is still that folder.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest
from exokg.readonly_db import KEPT, connect_read_only


def _write(path: Path, value: str) -> None:
    tmp = path.with_suffix(".tmp")
    with sqlite3.connect(tmp) as db:
        db.execute("CREATE TABLE t (x TEXT)")
        db.execute("INSERT INTO t VALUES (?)", (value,))
    db.close()
    tmp.replace(path)  # as a build does: a new file renamed over the old


def _read(path: Path) -> str:
    return connect_read_only(path).execute("SELECT x FROM t").fetchone()[0]


def test_one_connection_per_thread_and_file(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "a")
    con = connect_read_only(path)
    assert connect_read_only(path) is con
    other: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: other.append(connect_read_only(path)))
    thread.start()
    thread.join()
    assert other and other[0] is not con


def test_a_replaced_file_is_read_afresh_and_the_old_connection_closed(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "old")
    old = connect_read_only(path)
    assert _read(path) == "old"
    _write(path, "new")
    assert _read(path) == "new"
    with pytest.raises(sqlite3.ProgrammingError):
        old.execute("SELECT 1")


def test_it_cannot_write(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "a")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connect_read_only(path).execute("INSERT INTO t VALUES ('b')")
    assert _read(path) == "a"


def test_a_thread_keeps_a_bounded_number(tmp_path) -> None:
    paths = [tmp_path / f"{n}.sqlite" for n in range(KEPT + 1)]
    for n, path in enumerate(paths):
        _write(path, str(n))
    first = connect_read_only(paths[0])
    assert [_read(p) for p in paths] == [str(n) for n in range(KEPT + 1)]
    with pytest.raises(sqlite3.ProgrammingError):  # the oldest used was closed
        first.execute("SELECT 1")
    assert _read(paths[0]) == "0"  # and is opened again when asked


@pytest.mark.parametrize("name", ["a?b", "a#b", "a b%20c"])
def test_folder_names_with_uri_characters(tmp_path, name) -> None:
    folder = tmp_path / name
    folder.mkdir()
    _write(folder / "a.sqlite", name)
    assert _read(folder / "a.sqlite") == name


def test_a_missing_file_is_an_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        connect_read_only(tmp_path / "none.sqlite")
    assert not (tmp_path / "none.sqlite").exists()  # nothing created


def _child(path: str, parent_id: int, out) -> None:
    out.put(id(connect_read_only(path)) != parent_id and _read(Path(path)) == "a")


def test_a_forked_process_opens_its_own(tmp_path) -> None:
    path = tmp_path / "a.sqlite"
    _write(path, "a")
    con = connect_read_only(path)
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_child, args=(str(path), id(con), out))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert out.get(timeout=5) is True
    assert connect_read_only(path) is con  # the parent's is still its own
