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

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
from exokg.io._rows import Edge, Node, encode, graph_edges, graph_nodes
from exokg.io._style import edge_label, node_style
from exokg.io._values import ColumnTypes, attribute_text, cast_row, scalar_row
from exokg.io._xml import attr, text

__all__ = ["stream_graphml", "to_graphml"]

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
        lines.append(f'  <key id="{prefix}{i}" for="{domain}" attr.name={attr(name)} '
                     f'attr.type="{type_name}"/>\n')
    return lines, ids


def _data(key: str, value) -> str:
    return f'<data key="{key}">{text(attribute_text(value))}</data>'


def _edge_data(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"predicate": key, **data}


def stream_graphml(nodes: Iterable[Node], edges: Iterable[Edge], *,
                   name: str = "ExoKG") -> Iterator[bytes]:
    """GraphML as chunks of bytes from re-iterable node and edge rows (read twice: the
    attribute types come first)."""
    node_columns, edge_columns = ColumnTypes(), ColumnTypes()
    for _, data in nodes:
        node_columns.add(scalar_row(data))
    for _, _, key, data in edges:
        edge_columns.add(scalar_row(_edge_data(key, data)))
    return encode(_graphml(nodes, edges, node_columns, edge_columns, name))


def _graphml(nodes: Iterable[Node], edges: Iterable[Edge], node_columns: ColumnTypes,
             edge_columns: ColumnTypes, name: str) -> Iterator[str]:
    yield _HEADER
    node_lines, node_ids = _keys("node", node_columns.names(), "n")
    edge_lines, edge_ids = _keys("edge", edge_columns.names(), "e")
    yield from node_lines
    yield from edge_lines
    yield '  <key id="ng" for="node" yfiles.type="nodegraphics"/>\n'
    yield '  <key id="eg" for="edge" yfiles.type="edgegraphics"/>\n'
    yield f'  <graph id={attr(name)} edgedefault="directed">\n'
    node_types, edge_types = node_columns.types(), edge_columns.types()
    for node, raw in nodes:
        data = cast_row(scalar_row(raw), node_types)
        color, shape = node_style(str(data.get("kind", "")))
        label = str(data.get("label", node))
        width = max(40, 7 * len(label) + 16)
        yed = (f'<data key="ng"><y:ShapeNode><y:Geometry height="30.0" width="{width}.0"/>'
               f'<y:Fill color="{color}" transparent="false"/>'
               f'<y:NodeLabel>{text(label)}</y:NodeLabel>'
               f'<y:Shape type="{"roundrectangle" if shape == "rectangle" else shape}"/>'
               '</y:ShapeNode></data>')
        cells = "".join(_data(node_ids[n], v) for n, v in data.items())
        yield f"    <node id={attr(str(node))}>{cells}{yed}</node>\n"
    for i, (u, v, key, raw) in enumerate(edges):
        data = cast_row(scalar_row(_edge_data(key, raw)), edge_types)
        yed = ('<data key="eg"><y:PolyLineEdge><y:Arrows source="none" target="standard"/>'
               f'<y:EdgeLabel>{text(edge_label(str(data["predicate"])))}</y:EdgeLabel>'
               '</y:PolyLineEdge></data>')
        cells = "".join(_data(edge_ids[n], val) for n, val in data.items())
        yield (f"    <edge id=\"e{i}\" source={attr(str(u))} "
               f"target={attr(str(v))}>{cells}{yed}</edge>\n")
    yield "  </graph>\n</graphml>\n"


def to_graphml(G: nx.MultiDiGraph) -> bytes:
    """GraphML bytes of a projection or result graph."""
    return b"".join(stream_graphml(graph_nodes(G), graph_edges(G),
                                   name=str(G.graph.get("name") or "ExoKG")))
