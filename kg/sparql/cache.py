"""A bounded, thread-safe LRU cache of serialized results (entries and bytes).

>>> cache = ResultCache(max_entries=2, max_bytes=10)
>>> cache.put("a", b"12345", {}); cache.put("b", b"678", {}); cache.put("c", b"9", {})
>>> cache.get("a") is None, cache.get("c")[0]
(True, b'9')
>>> cache.put("big", b"x" * 11, {}); cache.get("big") is None
True
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["ResultCache"]


class ResultCache:
    """At most ``max_entries`` results and ``max_bytes`` bytes, least recently used out."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[str, tuple[bytes, dict[str, Any]]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, dict[str, Any]] | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, data: bytes, meta: dict[str, Any]) -> None:
        if not self.max_entries or len(data) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._items[key] = (data, meta)
            self._bytes += len(data)
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (evicted, _) = self._items.popitem(last=False)
                self._bytes -= len(evicted)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)
