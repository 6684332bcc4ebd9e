"""Cytoscape.js JSON (elements + style sheet) and CX2 for Cytoscape desktop and NDEx.

>>> import json, networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://x.org/a", label="miR-A", kind="MicroRNA")
>>> G.add_edge("https://x.org/a", "https://x.org/a", key="exo:p", predicate="exo:p")
'exo:p'
>>> doc = json.loads(to_cytoscape(G))
>>> doc["elements"]["nodes"][0]["data"]["id"], doc["style"][0]["selector"]
('https://x.org/a', 'node')
>>> [list(aspect)[0] for aspect in json.loads(to_cx2(G))][:3]
['CXVersion', 'metaData', 'attributeDeclarations']
"""

from __future__ import annotations

import bisect
import hashlib
import json
from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
from exokg.errors import ExoKGError
from exokg.io._rows import Edge, Node, encode, graph_edges, graph_nodes
from exokg.io._style import KIND_STYLE, edge_label
from exokg.io._values import ColumnTypes, cast_row, finite, scalar, scalar_row

__all__ = ["cytoscape_style", "stream_cx2", "stream_cytoscape", "to_cx2", "to_cytoscape"]


def _json_value(value):
    if isinstance(value, tuple | list | set | frozenset):
        return [scalar(v) for v in value]
    return scalar(value)


def cytoscape_style() -> list[dict]:
    """The Cytoscape.js style sheet: label, colour and shape by node kind, arrows on edges."""
    style = [
        {"selector": "node", "style": {"label": "data(label)", "background-color": "#CCCCCC",
                                       "font-size": 10, "text-valign": "center"}},
        {"selector": "edge", "style": {"label": "data(short)", "curve-style": "bezier",
                                       "target-arrow-shape": "triangle", "font-size": 8,
                                       "line-color": "#999999",
                                       "target-arrow-color": "#999999"}},
    ]
    for kind, (color, shape) in KIND_STYLE.items():
        style.append({"selector": f'node[kind = "{kind}"]',
                      "style": {"background-color": color, "shape": shape}})
    return style


def _cytoscape_node(node: str, data: Mapping[str, Any]) -> dict[str, Any]:
    item = {"id": str(node), "value": str(node), "name": str(data.get("label", node))}
    for name, value in data.items():
        if not name.startswith("_") and name not in item:
            value = _json_value(value)
            if value is not None:
                item[name] = value
    return {"data": item, "group": "nodes"}


def _cytoscape_edge(i: int, u: str, v: str, key: str, data: Mapping[str, Any]) -> dict:
    predicate = str(data.get("predicate", key))
    item = {"id": f"e{i}", "source": str(u), "target": str(v), "key": str(key),
            "predicate": predicate, "short": edge_label(predicate)}
    for name, value in data.items():
        if not name.startswith("_") and name not in item:
            item[name] = _json_value(value)
    return {"data": item, "group": "edges"}


#: Stand-ins for the element lists in the document's skeleton (JSON-escaped as written).
_NODES, _EDGES = "\x00nodes\x00", "\x00edges\x00"


def _dumps(obj: Any, indent: int | None) -> str:
    """``obj`` as JSON, a NaN or infinite value (a literal "NaN"^^xsd:double) null: JSON
    has no such numbers, and Cytoscape and NDEx refuse the ``NaN`` Python writes."""
    try:
        return json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)
    except ValueError:
        return json.dumps(finite(obj), ensure_ascii=False, indent=indent)


def _json_items(items: Iterable[Any], level: int, *, indent: int | None) -> Iterator[str]:
    """A JSON array written item by item, as ``json.dumps`` writes it at nesting
    ``level`` (``indent``: as json.dumps's; ``None``: one line)."""
    pad = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
    first = True
    for item in items:
        text = _dumps(item, indent)
        if indent is not None:
            text = text.replace("\n", pad)
        yield ("[" if first else ",") + (pad if indent is not None else
                                         ("" if first else " ")) + text
        first = False
    if first:
        yield "[]"
    else:
        yield ("\n" + " " * (indent * level) if indent is not None else "") + "]"


def _with_lists(doc: Any, lists: dict[str, tuple[Iterable[Any], int]], *,
                indent: int | None) -> Iterator[str]:
    """``json.dumps(doc)`` with each stand-in string replaced by its streamed list."""
    text = _dumps(doc, indent)
    for marker, (items, level) in lists.items():
        quoted = json.dumps(marker)
        head, _, text = text.partition(quoted)
        yield head
        yield from _json_items(items, level, indent=indent)
    yield text


def stream_cytoscape(nodes: Iterable[Node], edges: Iterable[Edge], *,
                     name: str = "ExoKG") -> Iterator[bytes]:
    """Cytoscape.js JSON as chunks of bytes, from node and edge rows read once."""
    doc = {
        "format_version": "1.0", "generated_by": "ExoKG",
        "target_cytoscapejs_version": "~3.0",
        "data": {"name": name},
        "directed": True, "multigraph": True,
        "elements": {"nodes": _NODES, "edges": _EDGES},
        "style": cytoscape_style(),
    }
    node_items = (_cytoscape_node(n, d) for n, d in nodes)
    edge_items = (_cytoscape_edge(i, u, v, k, d) for i, (u, v, k, d) in enumerate(edges))
    return encode(_with_lists(doc, {_NODES: (node_items, 2), _EDGES: (edge_items, 2)},
                              indent=1))


def to_cytoscape(G: nx.MultiDiGraph) -> bytes:
    """Cytoscape.js JSON: ``{"elements": {"nodes": [...], "edges": [...]}, "style": [...]}``.

    Also carries ``directed``/``multigraph``/``data`` and each node's ``value`` (its IRI),
    so :func:`networkx.cytoscape_graph` reads it back.
    """
    return b"".join(stream_cytoscape(graph_nodes(G), graph_edges(G),
                                     name=str(G.graph.get("name") or "ExoKG")))


_CX2_TYPES = {"string": "string", "long": "long", "double": "double", "boolean": "boolean"}


def _cx2_node(node: str, data: Mapping[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in data.items() if k not in ("label", "curie", "name")}
    return scalar_row({"name": data.get("label", node), "represents": str(node),
                       "curie": data.get("curie"), **row})


def _cx2_edge(key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return scalar_row({"interaction": data.get("predicate", key),
                       **{n: x for n, x in data.items() if n != "predicate"}})


class _NodeIds:
    """Node IRI -> its position in the node rows, held as two arrays of 64-bit hashes
    and positions (16 bytes a node) rather than a dict of IRIs."""

    def __init__(self, digests: array[int]) -> None:
        order = sorted(range(len(digests)), key=digests.__getitem__)
        self._keys = array("Q", (digests[i] for i in order))
        self._ids = array("Q", order)
        if any(a == b for a, b in zip(self._keys, self._keys[1:], strict=False)):
            raise ExoKGError("two node IRIs share a 64-bit hash; CX2 cannot be streamed")

    @staticmethod
    def digest(node: str) -> int:
        return int.from_bytes(hashlib.blake2b(node.encode(), digest_size=8).digest(), "big")

    def __getitem__(self, node: str) -> int:
        return self._ids[bisect.bisect_left(self._keys, self.digest(node))]


def stream_cx2(nodes: Iterable[Node], edges: Iterable[Edge], *,
               name: str = "ExoKG") -> Iterator[bytes]:
    """CX2 (Cytoscape Exchange 2.0) as chunks of bytes: a JSON list of aspects.

    ``CXVersion``, ``metaData``, ``attributeDeclarations``, ``networkAttributes``,
    ``nodes`` (integer ids; ``name`` = label, ``represents`` = IRI), ``edges`` (``s``/``t``;
    ``interaction`` = predicate), ``visualProperties`` (colour and shape by kind) and
    ``status``. The rows are read twice: counts and attribute types come first.
    """
    node_columns, edge_columns = ColumnTypes(), ColumnTypes()
    digests = array("Q")
    for node, data in nodes:
        node_columns.add(_cx2_node(node, data))
        digests.append(_NodeIds.digest(str(node)))
    for _, _, key, data in edges:
        edge_columns.add(_cx2_edge(key, data))
    ids = _NodeIds(digests)
    del digests
    node_types, edge_types = node_columns.types(), edge_columns.types()
    node_items = ({"id": i, "v": cast_row(_cx2_node(n, d), node_types)}
                  for i, (n, d) in enumerate(nodes))
    edge_items = ({"id": i, "s": ids[str(u)], "t": ids[str(v)],
                   "v": cast_row(_cx2_edge(k, d), edge_types)}
                  for i, (u, v, k, d) in enumerate(edges))
    node_types_named, edge_types_named = node_columns.names(), edge_columns.names()
    declarations = {
        "networkAttributes": {"name": {"d": "string"}, "description": {"d": "string"}},
        "nodes": {n: {"d": _CX2_TYPES[t]} for n, t in node_types_named.items()},
        "edges": {n: {"d": _CX2_TYPES[t]} for n, t in edge_types_named.items()},
    }
    network = [{"name": name,
                "description": "ExoKG: exosomal molecules in liver cancer"}]
    visual = [{
        "default": {
            "network": {"NETWORK_BACKGROUND_COLOR": "#FFFFFF"},
            "node": {"NODE_BACKGROUND_COLOR": "#CCCCCC", "NODE_SHAPE": "ellipse",
                     "NODE_WIDTH": 40, "NODE_HEIGHT": 25, "NODE_LABEL_FONT_SIZE": 10},
            "edge": {"EDGE_LINE_COLOR": "#999999", "EDGE_TARGET_ARROW_SHAPE": "triangle",
                     "EDGE_LABEL_FONT_SIZE": 8, "EDGE_WIDTH": 1.0},
        },
        "nodeMapping": {
            "NODE_LABEL": {"type": "PASSTHROUGH", "definition": {"attribute": "name"}},
            "NODE_BACKGROUND_COLOR": {"type": "DISCRETE", "definition": {
                "attribute": "kind", "map": [{"v": k, "vp": c} for k, (c, _) in
                                             KIND_STYLE.items()]}},
            "NODE_SHAPE": {"type": "DISCRETE", "definition": {
                "attribute": "kind", "map": [{"v": k, "vp": s if s != "rectangle" else
                                              "round-rectangle"}
                                             for k, (_, s) in KIND_STYLE.items()]}},
        },
        "edgeMapping": {
            "EDGE_LABEL": {"type": "PASSTHROUGH", "definition": {"attribute": "interaction"}},
        },
    }]
    counts = {"attributeDeclarations": 1, "networkAttributes": 1,
              "nodes": node_columns.rows, "edges": edge_columns.rows, "visualProperties": 1}
    doc: list[Any] = [{"CXVersion": "2.0", "hasFragments": False},
                      {"metaData": [{"name": aspect, "elementCount": count}
                                    for aspect, count in counts.items()]},
                      {"attributeDeclarations": [declarations]},
                      {"networkAttributes": network},
                      {"nodes": _NODES}, {"edges": _EDGES},
                      {"visualProperties": visual},
                      {"status": [{"error": "", "success": True}]}]
    return encode(_with_lists(doc, {_NODES: (node_items, 0), _EDGES: (edge_items, 0)},
                              indent=None))


def to_cx2(G: nx.MultiDiGraph) -> bytes:
    """CX2 (Cytoscape Exchange 2.0) bytes of a projection or result graph (see
    :func:`stream_cx2`)."""
    return b"".join(stream_cx2(graph_nodes(G), graph_edges(G),
                               name=str(G.graph.get("name") or "ExoKG")))
