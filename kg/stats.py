"""Counts over a graph: per class, per table, per predicate.

>>> from exokg.build import build_graph
>>> stats = graph_stats(build_graph(links=False))
>>> stats["tables"]
{1: 38, 2: 13, 3: 10, 4: 3, 5: 2}
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from exokg.vocab import EXO, RDF
from rdflib import Graph, Literal

__all__ = ["graph_stats"]


def graph_stats(graph: Graph) -> dict[str, Any]:
    """Triples; instances per class; findings per table; triples per predicate (sorted)."""
    classes = Counter(str(o) for o in graph.objects(None, RDF.type))
    predicates = Counter(str(p) for p in graph.predicates())
    tables = Counter(int(t.toPython()) for f in graph.subjects(RDF.type, EXO.Finding)
                     for t in graph.objects(f, EXO.sourceTable) if isinstance(t, Literal))
    return {
        "triples": len(graph),
        "classes": dict(sorted(classes.items())),
        "tables": dict(sorted(tables.items())),
        "predicates": dict(sorted(predicates.items())),
    }
