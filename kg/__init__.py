"""ExoKG: exosomal molecules in liver cancer as an RDF knowledge graph.

The data flows one way: records (:mod:`exokg.records`) -> entities
(:mod:`exokg.entities`) -> RDF graph (:mod:`exokg.build`) -> SPARQL store, networkx
view and exporters.

>>> from exokg import build_graph
>>> graph = build_graph()
>>> len(graph) > 1000
True
"""

from exokg.build import build_graph  # noqa: E402

__all__ = ["build_graph"]
__version__ = "0.1.0"
