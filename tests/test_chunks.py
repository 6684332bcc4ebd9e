"""exokg.chunks: what closing an answer's chunks frees, and when."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from exokg.chunks import Chunks, close_chunks


class _Source:
    """A source that says whether it was closed (an executor's stream, a reply)."""

    def __init__(self, chunks: list[bytes], fail_at: int | None = None) -> None:
        self.chunks, self.fail_at, self.closed, self.read = chunks, fail_at, 0, 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.read == self.fail_at:
            raise OSError("connection reset")
        if self.read == len(self.chunks):
            raise StopIteration
        self.read += 1
        return self.chunks[self.read - 1]

    def close(self) -> None:
        self.closed += 1


def _wrapped(source: _Source) -> tuple[Chunks, list[str]]:
    events: list[str] = []
    return Chunks(source, then=lambda: events.append("then"),
                  ended=lambda: events.append("ended")), events


def test_closed_before_the_first_chunk_frees_it() -> None:
    # a generator wrapping the source would run neither its finally nor the release here
    source = _Source([b"a"])
    chunks, events = _wrapped(source)
    chunks.close()
    assert (source.closed, events) == (1, ["then"])
    assert source.read == 0


def test_read_to_the_end_frees_it_once_and_says_it_ended() -> None:
    source = _Source([b"a", b"b"])
    chunks, events = _wrapped(source)
    assert b"".join(chunks) == b"ab"
    chunks.close()
    assert (source.closed, events) == (1, ["ended", "then"])


def test_a_failing_source_is_freed_and_the_error_passes() -> None:
    source = _Source([b"a", b"b"], fail_at=1)
    chunks, events = _wrapped(source)
    assert next(chunks) == b"a"
    with pytest.raises(OSError, match="connection reset"):
        next(chunks)
    assert (source.closed, events) == (1, ["then"])


def test_cut_midway_frees_it_without_saying_it_ended() -> None:
    source = _Source([b"a", b"b"])
    chunks, events = _wrapped(source)
    next(chunks)
    chunks.close()
    assert (source.closed, events) == (1, ["then"])


def test_dropped_unclosed_frees_it() -> None:
    source = _Source([b"a", b"b"])
    chunks, events = _wrapped(source)
    next(chunks)
    del chunks
    assert (source.closed, events) == (1, ["then"])


def test_each_chunk_is_mapped() -> None:
    assert list(Chunks(iter([b"a", b"b"]), each=bytes.upper)) == [b"A", b"B"]


def test_close_chunks_closes_what_can_be_closed() -> None:
    source = _Source([b"a"])
    close_chunks(source)
    close_chunks([b"a"])  # nothing to free: no error
    assert source.closed == 1
