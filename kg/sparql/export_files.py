"""Whole-graph exports kept as files: each written once per data version and format, then
read from the file by every client.

Streamed from the store, an export holds a query executor for as long as its client
reads: a client taking a few KB/s held one of its worker's export places for up to
``EXPORT_TIMEOUT`` (an hour), and two such clients denied everyone whole-graph exports.
Kept (the ``EXPORT_FILES`` setting, on by default), an export is written once, at the
store's speed, into its data version's folder (``exports/<code version>/``: a new ExoKG
writes its own); its executor is free as soon as the file is whole, and the file serves
any number of clients, resumable (``Range``), read outside the request threads (the web
layer's ASGI bridge does that).

- A file gets its name only once whole (written as ``<name>.partial``, synced, then
  renamed): a file named is a whole export of its data version, and goes with the
  version's folder.
- While one is written, the requests of the same process read it as it grows
  (:meth:`ExportFiles.follow`), each holding its request thread to the end of its read:
  at most ``readers`` at once (then 503 with ``Retry-After``; a request that comes once
  the file is whole holds no thread, and counts for nothing). The write
  stops, leaving nothing, when its last reader leaves: a client gone stops its work, here
  as everywhere. One process writes a given
  export at a time (a lock on ``<name>.lock``); a request in another process meanwhile
  streams the store itself, as without files.
- A file is written only while the disk keeps :data:`RESERVE` bytes free beyond
  :data:`BYTES_PER_TRIPLE` per triple of the store; a write the disk refuses cuts its
  readers' answers (visibly) and stops keeping in that process.

>>> import tempfile
>>> from exokg.sparql.cancel import CancelToken
>>> def export(cancel: CancelToken):
...     yield from (b"<a> <b> ", b"<c> .\\n")
>>> with tempfile.TemporaryDirectory() as tmp:
...     files = ExportFiles.open(tmp, triples=1)
...     print(files.kept("graph.nt"))
...     print(b"".join(files.follow("graph.nt", export)))
...     print(files.kept("graph.nt").read_bytes())
None
b'<a> <b> <c> .\\n'
b'<a> <b> <c> .\\n'
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from exokg.chunks import close_chunks
from exokg.errors import ExoKGError, ExportFailed, QueryCancelled
from exokg.release import code_version
from exokg.sparql.cancel import CancelToken, current_token
from exokg.sparql.pool import ServiceBusy

__all__ = ["BYTES_PER_TRIPLE", "FOLDER", "RESERVE", "ExportFiles", "Writer", "file_name"]

logger = logging.getLogger(__name__)

#: The folder of a data version's folder that holds its kept exports.
FOLDER = "exports"
#: Bytes a disk keeps free, beyond the export's own estimate, for a file to be written.
RESERVE = 1 << 30
#: The estimate of an export's size per triple of the store: above every format's (the
#: N-Triples of the benchmark's data take 130 bytes a triple, JSON-LD about 250).
BYTES_PER_TRIPLE = 400

#: Bytes a reader takes from the file at a time.
_CHUNK = 1 << 16

#: Writes an export: its chunks, stopped when the token fires.
Writer = Callable[[CancelToken], Iterator[bytes]]


def file_name(extension: str, *, findings: bool = False) -> str:
    """The name an export is kept under.

    >>> file_name("nt"), file_name("kgx.zip", findings=True)
    ('graph.nt', 'graph-findings.kgx.zip')
    """
    return f"graph{'-findings' * findings}.{extension}"


class ExportFiles:
    """The kept exports of one data version (``<version folder>/exports/``), for one
    process; make it with :meth:`open`."""

    def __init__(self, folder: Path, *, triples: int, readers: int = 1) -> None:
        self.folder = folder
        #: requests that may read exports being written at once, in this process
        self.readers = readers
        #: free bytes a write needs before it starts
        self.room = RESERVE + BYTES_PER_TRIPLE * triples
        #: why this process keeps no more files (a disk that refused a write)
        self.off: str | None = None
        self._lock = threading.Lock()
        self._writes: dict[str, _Write] = {}
        self._reading = 0  # readers of all writes under way

    @classmethod
    def open(cls, version_folder: str | Path, *, triples: int,
             readers: int = 1) -> ExportFiles | None:
        """The kept exports of the data version in ``version_folder`` written by this
        code (``readers``: as for the class); ``None`` where none can be written (a
        folder the process may not write)."""
        # by code too: the data version names the data, and a file written by an older
        # ExoKG (a writer since mended) was sent under the new code's ETag
        folder = Path(version_folder) / FOLDER / code_version()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            logger.info("whole-graph exports are streamed, not kept: %s", err)
            return None
        if not os.access(folder, os.W_OK | os.X_OK):
            logger.info("whole-graph exports are streamed, not kept: %s is not writable",
                        folder)
            return None
        _remove_unused(folder)
        return cls(folder, triples=triples, readers=readers)

    def kept(self, name: str) -> Path | None:
        """The file of the export ``name`` when it is whole, else ``None``."""
        path = self.folder / name
        return path if path.is_file() else None

    def follow(self, name: str, write: Writer) -> Iterator[bytes] | None:
        """The export ``name`` as it is written into its file: by the write under way in
        this process, or by ``write`` started now in a thread of its own. ``None`` when
        this process cannot write it now (another process does, the disk lacks room,
        keeping is off: stream it from the store), or it is kept now (:meth:`kept`).

        The chunks come as the file grows; an error of the write is raised by each
        reader, once it has read what was written before it (``QueryCancelled`` when its
        own request is cancelled). Closing the iterator leaves the write, and the last
        reader's leaving stops it.

        Raises
        ------
        ServiceBusy
            when ``readers`` requests of this process read exports as they were written
            (the end of their read included).
        """
        with self._lock:
            if self._reading >= self.readers:
                raise ServiceBusy(
                    f"this worker has {self.readers} request{'s' * (self.readers > 1)} "
                    "reading whole-graph exports as they were written: try again later "
                    "(an export once written is sent to any number)")
            job = self._writes.get(name)
            if job is None:
                job = self._start(name, write)
                if job is None:
                    return None
            job.readers += 1
            self._reading += 1
            try:
                return _Reader(job)
            except BaseException:
                job.readers -= 1
                self._reading -= 1
                raise

    def _start(self, name: str, write: Writer) -> _Write | None:
        if self.off is not None:
            return None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # removed by hand, to free space
            free = shutil.disk_usage(self.folder).free
            if free < self.room:
                logger.info("export %s streamed, not kept: %d bytes free on its disk, %d "
                            "needed", name, free, self.room)
                return None
            lock = os.open(self.folder / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:  # a disk remounted read-only, out of inodes, a lock not ours
            self._stop_keeping(err)
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another process writes it
            os.close(lock)
            return None
        if self.kept(name) is not None:  # written since the caller looked
            os.close(lock)
            return None
        try:
            partial = self.folder / f"{name}.partial"
            out = partial.open("wb")  # what a write stopped by a crash left is started anew
        except OSError as err:
            os.close(lock)
            self._stop_keeping(err)
            return None
        job = _Write(self, name, partial, out, lock)
        self._writes[name] = job
        threading.Thread(target=job.run, args=(write,), name=f"exokg-export-{name}",
                         daemon=True).start()
        return job

    def _leave(self, job: _Write) -> None:
        """A reader of ``job`` is done; the last one's leaving stops an unfinished write."""
        with self._lock:
            job.readers -= 1
            self._reading -= 1
            if job.readers or job.finished:
                return
            if self._writes.get(job.name) is job:
                del self._writes[job.name]  # the next request starts anew
        job.cancel.cancel()

    def _ended(self, job: _Write) -> None:
        with self._lock:
            if self._writes.get(job.name) is job:
                del self._writes[job.name]

    def _stop_keeping(self, err: OSError) -> None:
        self.off = f"{self.folder}: {err.strerror or err}"
        logger.warning("whole-graph exports are streamed from now on, not kept: %s", self.off)


def _remove_unused(folder: Path) -> None:
    """Remove what no process uses any more beside ``folder`` (one code version's kept
    exports): the files of other code versions (an upgrade writes its own, and the old
    ones took the disk's room for good) and the partial files of writes that crashed;
    each name only once its lock is taken here (a write under way, perhaps by a replica
    of another version, keeps it)."""
    others = [path for path in folder.parent.iterdir() if path != folder and path.is_dir()]
    for lock in [*folder.glob("*.lock"), *(path for o in others for path in o.glob("*.lock"))]:
        name, mine = lock.name.removesuffix(".lock"), lock.parent == folder
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for gone in [f"{name}.partial"] if mine else [name, f"{name}.partial", lock.name]:
                with contextlib.suppress(FileNotFoundError):
                    (lock.parent / gone).unlink()
        except OSError:  # held: a write under way; or not ours to remove
            pass
        finally:
            os.close(fd)
    for other in others:
        with contextlib.suppress(OSError):  # empty now, unless a write holds a name
            other.rmdir()


class _Write:
    """One export written into its file, in a thread of its own; readers wait on ``cond``
    for ``size`` to grow or ``finished`` to be set."""

    def __init__(self, files: ExportFiles, name: str, partial: Path, out: BinaryIO,
                 lock: int) -> None:
        self.files = files
        self.name = name
        self.partial = partial
        self._out = out
        self._lock = lock
        self.cond = threading.Condition()
        self.size = 0  # bytes in the file
        self.finished = False
        self.error: ExoKGError | None = None
        self.readers = 0  # counted under the files' lock
        self.cancel = CancelToken()

    def run(self, write: Writer) -> None:
        chunks: Iterator[bytes] | None = None
        try:
            out = self._out
            chunks = write(self.cancel)
            for chunk in chunks:
                self._disk(out.write, chunk)
                self._disk(out.flush)  # readers read the file by handles of their own
                with self.cond:
                    self.size += len(chunk)
                    self.cond.notify_all()
            self._disk(os.fsync, out.fileno())  # named once its bytes are on the disk
            self._disk(out.close)
            self._disk(os.replace, self.partial, self.files.folder / self.name)
            logger.info("export %s kept: %d bytes", self.name, self.size)
        except BaseException as err:  # noqa: BLE001 - every reader is told, below
            self._failed(err)
        finally:
            try:
                if chunks is not None:
                    close_chunks(chunks)
            finally:
                with contextlib.suppress(OSError):  # a disk that refused the bytes
                    self._out.close()               # refuses the close's flush too
                os.close(self._lock)
                self.cancel.close()
                self.files._ended(self)
                with self.cond:
                    self.finished = True
                    self.cond.notify_all()

    @staticmethod
    def _disk(step: Callable[..., object], *args: object) -> None:
        try:
            step(*args)
        except OSError as err:
            raise _DiskRefused(err) from err

    def _failed(self, err: BaseException) -> None:
        self.files._ended(self)  # before the file goes: a reader opens it while listed
        with contextlib.suppress(OSError):
            self.partial.unlink(missing_ok=True)
        if isinstance(err, ExoKGError):
            self.error = err
            if not isinstance(err, QueryCancelled):
                logger.info("export %s not kept: %s", self.name, err)
            return
        if isinstance(err, _DiskRefused):
            self.files._stop_keeping(err.refusal)
            self.error = ExportFailed(f"the export could not be written on the server's "
                                      f"disk: {err.refusal.strerror or err.refusal}")
            return
        logger.error("export %s failed", self.name, exc_info=err)
        self.error = ExportFailed("the export failed on the server")


class _DiskRefused(Exception):
    """The file of an export could not be written (a disk full, a disk fault)."""

    def __init__(self, refusal: OSError) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class _Reader:
    """One request's read of an export being written (see :meth:`ExportFiles.follow`);
    made while the write is listed, so its file is there: still partial, or named."""

    def __init__(self, job: _Write) -> None:
        self._job = job
        try:
            self._file: BinaryIO = job.partial.open("rb")
        except FileNotFoundError:  # whole and renamed since
            self._file = (job.files.folder / job.name).open("rb")
        self._at = 0
        self._closed = False
        self._token = current_token()  # its request's: a client gone wakes it
        self._unwatch = (self._token.on_cancel(self._wake) if self._token is not None
                         else lambda: None)

    def _wake(self) -> None:
        with self._job.cond:
            self._job.cond.notify_all()

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> bytes:
        job = self._job
        with job.cond:
            while job.size <= self._at and not job.finished:
                if self._token is not None and self._token.cancelled:
                    break
                job.cond.wait()
            size, finished, error = job.size, job.finished, job.error
        if self._token is not None and self._token.cancelled:
            self.close()
            raise QueryCancelled()
        if self._at < size:
            data = self._file.read(min(_CHUNK, size - self._at))
            self._at += len(data)
            return data
        self.close()
        if finished and error is not None:
            raise error
        raise StopIteration

    def close(self) -> None:
        """Leave the write (once); the last reader to leave stops it."""
        if self._closed:
            return
        self._closed = True
        self._unwatch()
        self._file.close()
        self._job.files._leave(self._job)
