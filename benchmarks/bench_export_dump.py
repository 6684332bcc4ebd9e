"""Store.dump of N-Triples into a null sink beside the same dump streamed through a query
executor (exokg.io.stream_graph), alternated: python benchmarks/bench_export_dump.py STORE_PATH."""

import sys
import time

import pyoxigraph as ox
from exokg.config import Config
from exokg.io import stream_graph
from exokg.sparql import SparqlService

P=sys.argv[1]
class Null:
    n=0
    def write(self, b): self.n+=len(b); return len(b)
    def flush(self): pass
s=SparqlService(Config.load({'STORE_PATH':P,'EXECUTORS':1,'MEMORY_TRIPLES':0}))
for i in range(2):
    t=time.time(); st=ox.Store.read_only(P); sink=Null(); st.dump(sink, ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()); d=time.time()-t; del st
    t=time.time(); n=sum(len(c) for c in stream_graph(s,"ntriples")); e=time.time()-t
    print(f"round {i}: dump to a null sink {d:.2f} s ({sink.n/d/1e6:.1f} MB/s); streamed through the executor {e:.2f} s ({n/e/1e6:.1f} MB/s); ratio {d/e:.2f}", flush=True)
s.close()
