"""GraphML with yEd labels, colours and shapes (read by yEd, Gephi, Cytoscape, networkx, igraph).

Node ids are the IRIs; every attribute is typed (``attr.type``); the yFiles
``nodegraphics``/``edgegraphics`` data give yEd its labels.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://x.org/a", label="miR-A", kind="MicroRNA", refNumber=3)
>>> G.add_edge("https://x.org/a", "https://x.org/a", key="exo:p", predicate="exo:p")
'exo:p'
>>> b"<y:NodeLabel>miR-A</y:NodeLabel>" in to_graphml(G)
True
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import networkx as nx
from exokg.io._style import edge_label, node_style
from exokg.io._values import scalar_table

__all__ = ["to_graphml"]

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:y="http://www.yworks.com/xml/graphml" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://www.yworks.com/xml/schema/graphml/1.1/ygraphml.xsd">\n')


def _keys(domain: str, types: dict[str, str], prefix: str) -> tuple[list[str], dict[str, str]]:
    lines, ids = [], {}
    for i, (name, type_name) in enumerate(types.items()):
        ids[name] = f"{prefix}{i}"
        lines.append(f'  <key id="{prefix}{i}" for="{domain}" attr.name={quoteattr(name)} '
                     f'attr.type="{type_name}"/>\n')
    return lines, ids


def _data(key: str, value) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f'<data key="{key}">{escape(str(value))}</data>'


def to_graphml(G: nx.MultiDiGraph) -> bytes:
    """GraphML bytes of a projection or result graph."""
    node_values, node_types = scalar_table(dict(G.nodes(data=True)))
    edges = list(G.edges(keys=True, data=True))
    edge_rows: dict[object, dict[str, object]] = {
        i: {"predicate": k, **d} for i, (_, _, k, d) in enumerate(edges)}
    edge_values, edge_types = scalar_table(edge_rows)
    out = [_HEADER]
    node_lines, node_ids = _keys("node", node_types, "n")
    edge_lines, edge_ids = _keys("edge", edge_types, "e")
    out += node_lines + edge_lines
    out.append('  <key id="ng" for="node" yfiles.type="nodegraphics"/>\n')
    out.append('  <key id="eg" for="edge" yfiles.type="edgegraphics"/>\n')
    out.append(f'  <graph id={quoteattr(str(G.graph.get("name") or "ExoKG"))} '
               'edgedefault="directed">\n')
    for node in G:
        data = node_values[node]
        color, shape = node_style(str(data.get("kind", "")))
        label = str(data.get("label", node))
        width = max(40, 7 * len(label) + 16)
        yed = (f'<data key="ng"><y:ShapeNode><y:Geometry height="30.0" width="{width}.0"/>'
               f'<y:Fill color="{color}" transparent="false"/>'
               f'<y:NodeLabel>{escape(label)}</y:NodeLabel>'
               f'<y:Shape type="{"roundrectangle" if shape == "rectangle" else shape}"/>'
               '</y:ShapeNode></data>')
        cells = "".join(_data(node_ids[n], v) for n, v in data.items())
        out.append(f"    <node id={quoteattr(str(node))}>{cells}{yed}</node>\n")
    for i, (u, v, _, _) in enumerate(edges):
        data = edge_values[i]
        yed = ('<data key="eg"><y:PolyLineEdge><y:Arrows source="none" target="standard"/>'
               f'<y:EdgeLabel>{escape(edge_label(str(data["predicate"])))}</y:EdgeLabel>'
               '</y:PolyLineEdge></data>')
        cells = "".join(_data(edge_ids[n], val) for n, val in data.items())
        out.append(f"    <edge id=\"e{i}\" source={quoteattr(str(u))} "
                   f"target={quoteattr(str(v))}>{cells}{yed}</edge>\n")
    out.append("  </graph>\n</graphml>\n")
    return "".join(out).encode("utf-8")
