"""Writing a command's result: to a file whole, or to standard output."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["write_output"]


def write_output(data: bytes, out: str | None, *, what: str) -> None:
    """Write ``data`` to ``out`` (atomically: a failure leaves no partial file) or stdout."""
    if not out:
        sys.stdout.buffer.write(data)
        return
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    print(f"wrote {what} to {path}", file=sys.stderr)
