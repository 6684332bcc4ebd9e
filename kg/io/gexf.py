"""GEXF 1.2 for Gephi, written by networkx after the values are made typed scalars.

networkx's GEXF writer takes the ``label`` attribute as the GEXF node label (and reads
it back as ``label``); colours and shapes go into Gephi's ``viz`` data.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://x.org/a", label="miR-A", kind="MicroRNA", alt_labels=("a", "b"))
>>> G.add_edge("https://x.org/a", "https://x.org/a", key="exo:p", predicate="exo:p")
'exo:p'
>>> H = nx.read_gexf(__import__("io").BytesIO(to_gexf(G)))
>>> H.nodes["https://x.org/a"]["label"], H.nodes["https://x.org/a"]["alt_labels"]
('miR-A', 'a|b')
"""

from __future__ import annotations

import networkx as nx
from exokg.io._style import node_style
from exokg.io._values import scalar_table

__all__ = ["to_gexf"]


def _rgb(color: str) -> dict[str, float]:
    return {"r": int(color[1:3], 16), "g": int(color[3:5], 16), "b": int(color[5:7], 16),
            "a": 1.0}


def to_gexf(G: nx.MultiDiGraph) -> bytes:
    """GEXF bytes of a projection or result graph."""
    node_values, _ = scalar_table(dict(G.nodes(data=True)))
    edges = list(G.edges(keys=True, data=True))
    edge_values, _ = scalar_table({i: {"predicate": k, **d}
                                   for i, (_, _, k, d) in enumerate(edges)},
                                  skip=frozenset({"id", "key", "label", "weight", "type",
                                                  "start", "end"}))
    H = nx.MultiDiGraph(name=str(G.graph.get("name") or "ExoKG"))
    for node in G:
        data = dict(node_values[node])
        data.pop("id", None)
        color, _ = node_style(str(data.get("kind", "")))
        data["viz"] = {"color": _rgb(color), "size": 10.0}
        H.add_node(str(node), **data)
    for i, (u, v, _, _) in enumerate(edges):
        data = edge_values[i]
        data["label"] = data["predicate"]
        H.add_edge(str(u), str(v), key=f"e{i}", id=f"e{i}", **data)
    text = "\n".join(nx.generate_gexf(H, version="1.2draft")) + "\n"
    return text.encode("utf-8")
