"""Store.dump of N-Triples into a null sink beside the same dump streamed through a query
executor (:func:`exokg.io.stream_graph`), alternated, like for like.

    python benchmarks/bench_export_dump.py STORE_PATH [ROUNDS]
"""

from __future__ import annotations

import sys
import time

import pyoxigraph as ox
from exokg.config import Config
from exokg.io import stream_graph
from exokg.sparql import SparqlService


class _Null:
    """A binary sink that counts and drops what it is given."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def main(path: str, rounds: int = 2) -> None:
    service = SparqlService(Config.load({"STORE_PATH": path, "EXECUTORS": 1,
                                         "MEMORY_TRIPLES": 0}))
    try:
        for i in range(rounds):
            started = time.perf_counter()
            store, sink = ox.Store.read_only(path), _Null()
            store.dump(sink, ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
            dumped = time.perf_counter() - started
            del store
            started = time.perf_counter()
            size = sum(len(chunk) for chunk in stream_graph(service, "ntriples"))
            streamed = time.perf_counter() - started
            print(f"round {i}: dump to a null sink {dumped:.2f} s "
                  f"({sink.size / dumped / 1e6:.1f} MB/s); streamed through an executor "
                  f"{streamed:.2f} s ({size / streamed / 1e6:.1f} MB/s); "
                  f"ratio {dumped / streamed:.2f}", flush=True)
    finally:
        service.close()


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
