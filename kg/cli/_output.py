"""Writing a command's result: to a file whole, or to standard output.

The one writer of every file a command makes (``exokg build --out``, ``exokg export
--out``, ...). A file appears whole or not at all: the bytes go to a hidden temporary
file beside it, which replaces the target only once written and flushed. A stream of
chunks (:func:`write_stream`: a whole-graph export) is written the same way, chunk by
chunk, so it is never held whole. A bad path
(a folder, a missing folder, no permission, a full disk) is a
:class:`~exokg.errors.ConfigError` naming the path, and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from exokg.config import resolved
from exokg.errors import ConfigError

__all__ = ["refuse_own_input", "write_output", "write_stream"]


def refuse_own_input(out: str, *, files: Iterable[str] = (), records: Iterable[str] = (),
                     stores: Iterable[str] = ()) -> None:
    """Refuse an ``--out`` that is one of the command's input ``files``, a table of one of
    its ``records`` folders (a ``.tsv`` file in it: each is read) or lies in one of its
    ``stores``: it would be replaced by what was read from it, with exit status 0.

    >>> refuse_own_input("graph.gexf", files=["data.nt"], records=["my-records"])
    >>> refuse_own_input("my-records/exokg.ttl", records=["my-records"])
    >>> refuse_own_input("my-records/table1.tsv", records=["my-records"])
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: --out my-records/table1.tsv: would replace a table of the \
input folder my-records; write the output elsewhere
    """
    target = resolved(out, "--out")
    for name in files:
        with contextlib.suppress(OSError):  # an input that cannot be read says so itself
            if target == resolved(name, "--data") or \
                    (target.exists() and os.path.samefile(target, name)):
                raise ConfigError(f"--out {out}: is the input file {name}; write the "
                                  "output elsewhere")
    for name in records:
        if target.parent == resolved(name, "--records") and target.suffix.lower() == ".tsv":
            raise ConfigError(f"--out {out}: would replace a table of the input folder "
                              f"{name}; write the output elsewhere")
    for name in stores:
        if target.is_relative_to(resolved(name, "--store")):
            raise ConfigError(f"--out {out}: is in the store folder {name}; write the output "
                              "elsewhere")


def write_output(data: bytes, out: str | None, *, what: str) -> None:
    """Write ``data`` to ``out`` (atomically: a failure leaves no partial file) or to
    standard output (``out`` None or ``-``).

    Raises
    ------
    ConfigError
        when ``out`` is a folder, lies in a folder that does not exist, or cannot be
        written; nothing is left behind.
    """
    write_stream([data], out, what=lambda size: what)


def write_stream(chunks: Iterable[bytes], out: str | None, *,
                 what: Callable[[int], str]) -> int:
    """Write chunks of bytes to ``out`` as they come (atomically, as :func:`write_output`)
    or to stdout; ``what(size)`` names what was written. Returns the bytes written.

    The target is checked before the first chunk is asked for; an error while the
    chunks come (a time limit) leaves no file behind.

    Raises
    ------
    ConfigError
        as :func:`write_output`.
    """
    if out is None or out == "-":
        try:
            return _copy(chunks, sys.stdout.buffer)
        except BrokenPipeError:
            raise  # its reader stopped reading (`| head`): not an error (exokg.cli.main)
        except OSError as err:  # a full disk behind a redirection
            raise ConfigError(f"cannot write to standard output: {err.strerror or err}"
                              ) from None
    if not out.strip():
        raise ConfigError("--out is empty: name the file to write, or - for standard output")
    try:
        size = _write_file(Path(out), chunks, out)
    except OSError as err:  # anything the checks could not foresee: a full disk, a long name
        raise ConfigError(f"--out {out}: cannot write it: {err.strerror or err}") from None
    print(f"wrote {what(size)} to {Path(out)}", file=sys.stderr)
    return size


def _copy(chunks: Iterable[bytes], stream: BinaryIO) -> int:
    size = 0
    for chunk in chunks:
        stream.write(chunk)
        size += len(chunk)
    stream.flush()
    return size


def _write_file(path: Path, chunks: Iterable[bytes], out: str) -> int:
    _check_target(path, out)
    if path.exists() and not path.is_file():  # a device or pipe (/dev/stdout): a stream
        with path.open("wb") as stream:
            return _copy(chunks, stream)
    path = resolved(path, "--out")  # through a symbolic link: replace the file, keep it
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            size = _copy(chunks, handle)
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return size


def _check_target(path: Path, out: str) -> None:
    if path.is_dir():
        raise ConfigError(f"--out {out}: is a folder; --out names the file to write")
    parent = path.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: the folder {parent} is not writable")


def _mode_for(path: Path) -> int:
    """The permissions the file would get from a plain ``open``: the old file's, or the umask's.

    ``mkstemp`` makes its file private (0600), which a replaced output should not stay.
    """
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
