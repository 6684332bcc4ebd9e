"""Whole-graph exports kept as files (``exokg.sparql.export_files``): written once, read
by every client; through the Python API (the writes' own faults), and over HTTP from a
real ``exokg serve`` (lengths, ranges, preconditions, clients that read nothing)."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import server_log, start_server, stop_server
from exokg.errors import ExportFailed, QueryTimeout
from exokg.formats import GRAPH_KINDS, get_format
from exokg.sparql.cancel import CancelToken
from exokg.sparql.export_files import FOLDER, ExportFiles
from exokg.sparql.pool import ServiceBusy

PARTS = [b"<a> <b> <c> .\n", b"<d> <e> <f> .\n", b"<g> <h> <i> .\n"]
WHOLE = b"".join(PARTS)


def _wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


class _Export:
    """A writer that yields :data:`PARTS`, the first at once, the rest once ``go`` is
    set; it records how often it was started and whether its token stopped it."""

    def __init__(self, *, endless: bool = False, fail: Exception | None = None) -> None:
        self.go = threading.Event()
        self.started = 0
        self.stopped = threading.Event()
        self.endless, self.fail = endless, fail

    def __call__(self, cancel: CancelToken):
        self.started += 1
        try:
            yield PARTS[0]
            self.go.wait(10)
            if self.fail is not None:
                raise self.fail
            while self.endless:
                cancel.check()
                time.sleep(0.01)
                yield b"# more\n"
            yield from PARTS[1:]
        finally:
            if cancel.cancelled:
                self.stopped.set()


@pytest.fixture
def files(tmp_path) -> ExportFiles:
    files = ExportFiles.open(tmp_path, triples=3, readers=4)
    assert files is not None
    return files


def test_readers_of_one_write_get_the_same_bytes_and_the_file_is_named_once_whole(files):
    export = _Export()
    first = files.follow("graph.nt", export)
    assert first is not None and next(first) == PARTS[0]
    assert files.kept("graph.nt") is None  # not named before it is whole
    assert (files.folder / "graph.nt.partial").exists()
    second = files.follow("graph.nt", _Export())  # joins the write under way
    assert second is not None
    export.go.set()
    assert PARTS[0] + b"".join(first) == WHOLE == b"".join(second)
    assert export.started == 1
    assert _wait_for(lambda: files.kept("graph.nt") is not None)
    assert files.kept("graph.nt").read_bytes() == WHOLE
    assert not (files.folder / "graph.nt.partial").exists()


def test_the_last_reader_leaving_stops_the_write_and_leaves_nothing(files):
    export = _Export(endless=True)
    first, second = files.follow("graph.nt", export), files.follow("graph.nt", export)
    assert first is not None and second is not None
    export.go.set()
    next(first)
    first.close()  # one reader left: the write goes on for the other
    for _ in range(5):
        assert next(second)
    assert not export.stopped.is_set()
    second.close()
    assert export.stopped.wait(10)
    assert _wait_for(lambda: not (files.folder / "graph.nt.partial").exists())
    assert files.kept("graph.nt") is None
    again = _Export()  # the next request starts anew (streamed until the lock is let go)
    deadline = time.monotonic() + 10
    third = files.follow("graph.nt", again)
    while third is None and time.monotonic() < deadline:
        time.sleep(0.02)
        third = files.follow("graph.nt", again)
    assert third is not None
    again.go.set()
    assert b"".join(third) == WHOLE and again.started == 1


def test_readers_of_writes_under_way_are_bounded_and_the_file_is_not(tmp_path):
    files = ExportFiles.open(tmp_path, triples=3, readers=1)
    export = _Export()
    first = files.follow("graph.nt", export)
    with pytest.raises(ServiceBusy, match="1 request reading whole-graph exports as they"):
        files.follow("graph.ttl", _Export())
    export.go.set()
    assert b"".join(first) == WHOLE  # read to its end: its place is given back
    assert files.follow("graph.ttl", _Export()) is not None
    assert _wait_for(lambda: files.kept("graph.nt") is not None)


def test_an_export_kept_meanwhile_is_not_written_again(files):
    export = _Export()
    reader = files.follow("graph.nt", export)
    export.go.set()
    assert b"".join(reader) == WHOLE
    assert _wait_for(lambda: files.kept("graph.nt") is not None)
    again = _Export()  # a request that looked before the rename, and asks after it
    assert files.follow("graph.nt", again) is None and again.started == 0


def test_a_failed_write_is_raised_by_its_readers_and_keeps_nothing(files):
    export = _Export(fail=QueryTimeout("the export stopped at its time limit"))
    reader = files.follow("graph.nt", export)
    assert next(reader) == PARTS[0]
    export.go.set()
    with pytest.raises(QueryTimeout, match="time limit"):
        next(reader)
    assert _wait_for(lambda: not (files.folder / "graph.nt.partial").exists())
    assert files.kept("graph.nt") is None and files.off is None


def test_a_write_a_crash_left_is_started_anew(files):
    (files.folder / "graph.nt.partial").write_bytes(b"half of an old export")
    export = _Export()
    reader = files.follow("graph.nt", export)
    export.go.set()
    assert b"".join(reader) == WHOLE
    assert _wait_for(lambda: files.kept("graph.nt") is not None)
    assert files.kept("graph.nt").read_bytes() == WHOLE


def test_an_export_another_process_writes_is_streamed_here(files):
    fd = os.open(files.folder / "graph.nt.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the writing process holds it
        assert files.follow("graph.nt", _Export()) is None
    finally:
        os.close(fd)
    assert files.follow("graph.nt", _Export()) is not None


def test_a_disk_without_room_keeps_nothing(tmp_path):
    files = ExportFiles.open(tmp_path, triples=10**15)  # 400 PB wanted
    assert files is not None and files.follow("graph.nt", _Export()) is None
    assert not list(files.folder.iterdir())


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_disk_that_refuses_a_write_stops_keeping(files):
    # the file written goes to /dev/full: every write fails with ENOSPC
    (files.folder / "graph.nt.partial").symlink_to("/dev/full")
    export = _Export()
    reader = files.follow("graph.nt", export)
    export.go.set()
    with pytest.raises(ExportFailed, match="server's disk"):
        b"".join(reader)
    assert files.off is not None and files.kept("graph.nt") is None
    assert files.follow("graph.ttl", _Export()) is None  # streamed from now on


def test_a_lock_that_cannot_be_made_streams_and_stops_keeping(files):
    # as a disk remounted read-only, out of inodes, or a lock file of another user: the
    # lock's open fails (a folder in its place here, since root may write anything)
    (files.folder / "graph.nt.lock").mkdir()
    assert files.follow("graph.nt", _Export()) is None and files.off is not None


def test_a_folder_removed_by_hand_is_made_again(files):
    files.folder.rmdir()  # an operator freeing the disk
    export = _Export()
    reader = files.follow("graph.nt", export)
    export.go.set()
    assert b"".join(reader) == WHOLE
    assert _wait_for(lambda: files.kept("graph.nt") is not None)


def test_other_code_versions_and_crashed_writes_are_removed_when_opened(tmp_path):
    first = ExportFiles.open(tmp_path, triples=3)
    old, busy = first.folder.parent / "old-code", first.folder.parent / "busy-code"
    for folder, name in ((old, "graph.nt"), (busy, "graph.ttl"), (first.folder, "graph.csv")):
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.lock").touch()
        (folder / f"{name}.partial").write_bytes(b"half")
    (old / "graph.nt").write_bytes(WHOLE)
    (first.folder / "graph.csv").write_bytes(b"kept")
    held = os.open(busy / "graph.ttl.lock", os.O_RDWR)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # a replica of that version writes it
        files = ExportFiles.open(tmp_path, triples=3)
    finally:
        os.close(held)
    assert not old.exists()
    assert (busy / "graph.ttl.partial").exists()
    assert not (files.folder / "graph.csv.partial").exists()
    assert files.kept("graph.csv").read_bytes() == b"kept"


def test_a_folder_that_cannot_be_written_keeps_nothing(tmp_path):
    (tmp_path / FOLDER).write_text("a file where the folder would be")
    assert ExportFiles.open(tmp_path, triples=3) is None


# ---------------------------------------------------------------- over HTTP

SEND_TIMEOUT = 3


@pytest.fixture(scope="module")
def kept_server(tmp_path_factory):
    """A store whose N-Triples (about 12 MB) fill a client's socket and the server's,
    two request threads, a short SEND_TIMEOUT."""
    from hubgen import write_hub_graph

    folder = tmp_path_factory.mktemp("kept-exports")
    data = write_hub_graph(folder / "hub.nt", findings=5_000)
    proc, url = start_server(["--store", str(folder / "store"), "--data", str(data),
                              "--workers", "1", "--threads", "2"],
                             env={"EXOKG_SEND_TIMEOUT": str(SEND_TIMEOUT)})
    yield proc, url, folder / "store"
    stop_server(proc)


def _kept(store: Path, name: str) -> Path:
    assert _wait_for(lambda: any(store.glob(f"*/{FOLDER}/*/{name}")), 60)
    return next(store.glob(f"*/{FOLDER}/*/{name}"))


def test_the_first_export_streams_and_the_next_are_the_file_with_its_length(kept_server):
    _, url, store = kept_server
    first = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=60)
    assert first.status_code == 200 and "Content-Length" not in first.headers
    path = _kept(store, "graph.nt")
    assert path.read_bytes() == first.content and len(first.content) > 5_000_000
    again = requests.get(f"{url}/api/export", params={"format": "ntriples"}, timeout=60)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["Content-Length"] == str(len(first.content))
    assert again.headers["Accept-Ranges"] == "bytes"
    assert again.headers["Content-Disposition"] == 'attachment; filename="exokg-graph.nt"'
    assert again.headers["ETag"] == first.headers["ETag"]
    head = requests.head(f"{url}/api/export", params={"format": "ntriples"}, timeout=60)
    assert head.headers["Content-Length"] == str(len(first.content)) and not head.content
    written = requests.get(f"{url}/api/export", params={"format": "turtle"}, timeout=60)
    _kept(store, "graph.ttl")
    kept = requests.get(f"{url}/api/export", params={"format": "turtle"}, timeout=60)
    assert "Content-Length" in kept.headers and kept.content == written.content
    assert kept.headers["Content-Type"] == written.headers["Content-Type"] == \
        "text/turtle; charset=utf-8"


def test_a_kept_export_answers_ranges_and_preconditions(kept_server):
    _, url, store = kept_server
    export = f"{url}/api/export?format=ntriples"
    requests.get(export, timeout=60).raise_for_status()
    whole = _kept(store, "graph.nt").read_bytes()
    etag = requests.head(export, timeout=10).headers["ETag"]
    part = requests.get(export, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == whole[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    assert part.headers["ETag"] == etag
    resumed = requests.get(export, headers={"Range": "bytes=100-", "If-Range": etag}, timeout=30)
    assert resumed.status_code == 206 and resumed.content == whole[100:]
    stale = requests.get(export, headers={"Range": "bytes=0-9", "If-Range": '"old"'}, timeout=30)
    assert stale.status_code == 200 and stale.content == whole
    # If-Range compares strongly (RFC 9110, 13.1.5): a weak tag is the whole answer
    weak = requests.get(export, headers={"Range": "bytes=0-9", "If-Range": f"W/{etag}"},
                        timeout=30)
    assert weak.status_code == 200 and weak.content == whole
    # several ranges, a unit not known, a range not valid: the whole answer, never a 416
    for asked in ("bytes=0-9,20-29", "items=0-9", "bytes=abc", "bytes=--5", "bytes=5-2"):
        r = requests.get(export, headers={"Range": asked}, timeout=30)
        assert r.status_code == 200 and r.content == whole, asked
    # the preconditions come before the range (RFC 9110, 13.2.2)
    for header in (etag, "*"):
        r = requests.get(export, headers={"If-None-Match": header, "Range": "bytes=0-9"},
                         timeout=10)
        assert r.status_code == 304, header
    past = requests.get(export, headers={"Range": f"bytes={len(whole)}-"}, timeout=10)
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(whole)}"
    # a false If-Match is the rule's 412 with its error, never the file under a 412
    refused = requests.get(export, headers={"If-Match": '"stale"', "Range": "bytes=0-9"},
                           timeout=10)
    assert refused.status_code == 412 and "If-Match" in refused.json()["error"]
    assert requests.get(export, headers={"If-None-Match": etag}, timeout=10).status_code == 304


def test_exports_refused_by_a_precondition_start_no_write(kept_server):
    """A false If-Match, or If-None-Match: *, was judged after the handler, which had
    started writing the export (a network format's scan, for a 412 or 304); and the 412
    closed its answer unread, leaving the reader counted, so that, after two such
    requests, every export not yet kept was a 503 for the life of the worker (two
    request threads: one reader at a time). Now neither starts a write."""
    proc, url, store = kept_server
    for fmt, header, status in (("nquads", {"If-Match": '"nope"'}, 412),
                                ("trig", {"If-Match": '"nope"'}, 412),
                                ("gexf", {"If-None-Match": "*"}, 304)):
        r = requests.get(f"{url}/api/export", params={"format": fmt, "findings": "true"},
                         headers=header, timeout=60)
        assert r.status_code == status, (fmt, r.text[:200])
        extension = get_format(fmt, kinds=GRAPH_KINDS).extension
        assert not list(store.glob(f"*/{FOLDER}/*/graph*.{extension}*")), fmt
    r = requests.get(f"{url}/api/export", params={"format": "jsonld"}, timeout=60)
    assert r.status_code == 200 and r.content.lstrip().startswith((b"[", b"{"))


def test_a_kept_export_removed_by_hand_is_written_again(kept_server):
    _, url, store = kept_server
    export = f"{url}/api/export?format=csv"
    first = requests.get(export, timeout=60)
    path = _kept(store, "graph.csv")
    for file in path.parent.iterdir():  # an operator freeing the disk
        file.unlink()
    path.parent.rmdir()
    again = requests.get(export, timeout=60)
    assert again.status_code == 200 and again.content == first.content
    assert _kept(store, "graph.csv").read_bytes() == first.content


def _unread(url: str, path: str) -> socket.socket:
    host, port = url.rsplit("/", 1)[1].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return sock


def test_downloads_of_a_kept_export_nobody_reads_hold_no_thread_and_are_dropped(kept_server):
    """Six downloads that read nothing, with two request threads: pages and queries are
    still answered (a download read from the file holds no thread), and each reader is
    dropped once it takes nothing for SEND_TIMEOUT."""
    proc, url, store = kept_server
    requests.get(f"{url}/api/export?format=ntriples", timeout=60).raise_for_status()
    _kept(store, "graph.nt")
    dropped = server_log(proc).count("took nothing for")
    readers = [_unread(url, "/api/export?format=ntriples") for _ in range(6)]
    try:
        time.sleep(0.5)
        for _ in range(3):
            r = requests.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"},
                             headers={"Accept": "application/sparql-results+json"}, timeout=5)
            assert r.status_code == 200 and r.json()["boolean"] is True
            assert requests.get(f"{url}/api/conflicts", timeout=5).status_code == 200
        assert _wait_for(lambda: server_log(proc).count("took nothing for") >= dropped + 6,
                         SEND_TIMEOUT + 20), server_log(proc)[-2000:]
    finally:
        for sock in readers:
            sock.close()


def test_a_store_named_relatively_sends_its_kept_exports_from_the_file(tmp_path):
    """``--store`` relative to the server's folder: the kept file is sent (Flask's
    ``send_file`` read a relative path against the package's folder, and every request
    streamed the store again)."""
    from conftest import RUN_DIR
    from hubgen import write_hub_graph

    data = write_hub_graph(tmp_path / "hub.nt", findings=200)
    store = os.path.relpath(tmp_path / "store", RUN_DIR)
    assert not os.path.isabs(store)
    proc, url = start_server(["--store", store, "--data", str(data), "--workers", "1"])
    try:
        export = f"{url}/api/export?format=ntriples"
        first = requests.get(export, timeout=60)
        assert first.status_code == 200 and "Content-Length" not in first.headers
        assert _kept(tmp_path / "store", "graph.nt").read_bytes() == first.content
        part = requests.get(export, headers={"Range": "bytes=0-9"}, timeout=30)
        assert part.status_code == 206 and part.content == first.content[:10]
        assert part.headers["Content-Range"] == f"bytes 0-9/{len(first.content)}"
    finally:
        stop_server(proc)
