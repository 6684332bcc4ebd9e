"""GEXF 1.2 for Gephi, written row by row (as networkx's reader reads it back).

The ``label`` attribute is the GEXF node label (networkx reads it back as ``label``);
colours and sizes go into Gephi's ``viz`` data; each edge's id goes into
``networkx_key`` too, so a multigraph's parallel edges keep their keys.

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

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
from exokg.io._rows import Edge, Node, encode, graph_edges, graph_nodes
from exokg.io._style import node_style
from exokg.io._values import ColumnTypes, attribute_text, cast_row, scalar_row
from exokg.io._xml import attr

__all__ = ["stream_gexf", "to_gexf"]

_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<gexf xmlns="http://www.gexf.net/1.2draft" '
           'xmlns:viz="http://www.gexf.net/1.2draft/viz" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://www.gexf.net/1.2draft '
           'http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
           '  <meta>\n    <creator>ExoKG</creator>\n  </meta>\n')
#: Edge attributes GEXF holds in the element itself (not written as attributes).
_EDGE_RESERVED = frozenset({"id", "key", "label", "weight", "type", "start", "end"})


def _rgb(color: str) -> str:
    return (f'r="{int(color[1:3], 16)}" g="{int(color[3:5], 16)}" '
            f'b="{int(color[5:7], 16)}" a="1.0"')


def _node_row(data: Mapping[str, Any]) -> dict[str, Any]:
    return scalar_row(data, skip=frozenset({"id"}))


def _edge_row(key: str, data: Mapping[str, Any], i: int) -> dict[str, Any]:
    row = scalar_row({"predicate": key, **data}, skip=_EDGE_RESERVED)
    row["networkx_key"] = f"e{i}"
    return row


def _declare(domain: str, types: dict[str, str], start: int) -> tuple[list[str], dict]:
    lines = [f'    <attributes mode="static" class="{domain}">\n']
    ids = {}
    for i, (name, type_name) in enumerate(types.items(), start=start):
        ids[name] = str(i)
        lines.append(f'      <attribute id="{i}" title={attr(name)} '
                     f'type="{type_name}" />\n')
    lines.append("    </attributes>\n")
    return lines, ids


def _attvalues(row: Mapping[str, Any], ids: Mapping[str, str], pad: str) -> str:
    if not row:
        return ""
    cells = "".join(f'{pad}  <attvalue for="{ids[n]}" value={attr(attribute_text(v))} />\n'
                    for n, v in row.items())
    return f"{pad}<attvalues>\n{cells}{pad}</attvalues>\n"


def stream_gexf(nodes: Iterable[Node], edges: Iterable[Edge], *,
                name: str = "ExoKG") -> Iterator[bytes]:
    """GEXF as chunks of bytes from re-iterable node and edge rows (read twice: the
    attribute declarations come first)."""
    node_columns, edge_columns = ColumnTypes(), ColumnTypes()
    for _, data in nodes:
        node_columns.add({k: v for k, v in _node_row(data).items() if k != "label"})
    for i, (_, _, key, data) in enumerate(edges):
        edge_columns.add(_edge_row(key, data, i))
    return encode(_gexf(nodes, edges, node_columns, edge_columns, name))


def _gexf(nodes: Iterable[Node], edges: Iterable[Edge], node_columns: ColumnTypes,
          edge_columns: ColumnTypes, name: str) -> Iterator[str]:
    yield _HEADER
    yield f'  <graph defaultedgetype="directed" mode="static" name={attr(name)}>\n'
    node_lines, node_ids = _declare("node", dict(node_columns.names()), 0)
    edge_lines, edge_ids = _declare("edge", dict(edge_columns.names()), len(node_ids))
    yield from node_lines
    yield from edge_lines
    node_types, edge_types = node_columns.types(), edge_columns.types()
    yield "    <nodes>\n"
    for node, raw in nodes:
        row = _node_row(raw)
        label = row.pop("label", node)
        color, _ = node_style(str(row.get("kind", "")))
        yield (f"      <node id={attr(str(node))} label={attr(str(label))}>\n"
               f"        <viz:color {_rgb(color)} />\n"
               '        <viz:size value="10.0" />\n'
               + _attvalues(cast_row(row, node_types), node_ids, "        ")
               + "      </node>\n")
    yield "    </nodes>\n    <edges>\n"
    for i, (u, v, key, raw) in enumerate(edges):
        row = cast_row(_edge_row(key, raw, i), edge_types)
        yield (f"      <edge source={attr(str(u))} target={attr(str(v))} "
               f'id="e{i}" label={attr(str(row["predicate"]))}>\n'
               + _attvalues(row, edge_ids, "        ")
               + "      </edge>\n")
    yield "    </edges>\n  </graph>\n</gexf>\n"


def to_gexf(G: nx.MultiDiGraph) -> bytes:
    """GEXF bytes of a projection or result graph."""
    return b"".join(stream_gexf(graph_nodes(G), graph_edges(G),
                                name=str(G.graph.get("name") or "ExoKG")))
