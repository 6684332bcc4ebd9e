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

import json
from typing import Any

import networkx as nx
from exokg.io._style import KIND_STYLE, edge_label
from exokg.io._values import scalar, scalar_table

__all__ = ["cytoscape_style", "to_cx2", "to_cytoscape"]


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


def to_cytoscape(G: nx.MultiDiGraph) -> bytes:
    """Cytoscape.js JSON: ``{"elements": {"nodes": [...], "edges": [...]}, "style": [...]}``.

    Also carries ``directed``/``multigraph``/``data`` and each node's ``value`` (its IRI),
    so :func:`networkx.cytoscape_graph` reads it back.
    """
    nodes = []
    for node, data in G.nodes(data=True):
        item = {"id": str(node), "value": str(node), "name": str(data.get("label", node))}
        for name, value in data.items():
            if not name.startswith("_") and name not in item:
                value = _json_value(value)
                if value is not None:
                    item[name] = value
        nodes.append({"data": item, "group": "nodes"})
    edges = []
    for i, (u, v, key, data) in enumerate(G.edges(keys=True, data=True)):
        predicate = str(data.get("predicate", key))
        item = {"id": f"e{i}", "source": str(u), "target": str(v), "key": str(key),
                "predicate": predicate, "short": edge_label(predicate)}
        for name, value in data.items():
            if not name.startswith("_") and name not in item:
                item[name] = _json_value(value)
        edges.append({"data": item, "group": "edges"})
    doc = {
        "format_version": "1.0", "generated_by": "ExoKG",
        "target_cytoscapejs_version": "~3.0",
        "data": {"name": str(G.graph.get("name") or "ExoKG")},
        "directed": True, "multigraph": True,
        "elements": {"nodes": nodes, "edges": edges},
        "style": cytoscape_style(),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


_CX2_TYPES = {"string": "string", "long": "long", "double": "double", "boolean": "boolean"}


def to_cx2(G: nx.MultiDiGraph) -> bytes:
    """CX2 (Cytoscape Exchange 2.0): a JSON list of aspects.

    ``CXVersion``, ``metaData``, ``attributeDeclarations``, ``networkAttributes``,
    ``nodes`` (integer ids; ``name`` = label, ``represents`` = IRI), ``edges`` (``s``/``t``;
    ``interaction`` = predicate), ``visualProperties`` (colour and shape by kind) and
    ``status``.
    """
    ids = {node: i for i, node in enumerate(G)}
    rows = {}
    for node, data in G.nodes(data=True):
        row = {k: v for k, v in data.items() if k not in ("label", "curie", "name")}
        rows[node] = {"name": data.get("label", node), "represents": str(node),
                      "curie": data.get("curie"), **row}
    node_values, node_types = scalar_table(rows)
    edges = list(G.edges(keys=True, data=True))
    edge_values, edge_types = scalar_table(
        {i: {"interaction": d.get("predicate", k), **{n: x for n, x in d.items()
                                                       if n != "predicate"}}
         for i, (_, _, k, d) in enumerate(edges)})
    nodes = [{"id": ids[n], "v": node_values[n]} for n in G]
    cx_edges = [{"id": i, "s": ids[u], "t": ids[v], "v": edge_values[i]}
                for i, (u, v, _, _) in enumerate(edges)]
    declarations = {
        "networkAttributes": {"name": {"d": "string"}, "description": {"d": "string"}},
        "nodes": {n: {"d": _CX2_TYPES[t]} for n, t in node_types.items()},
        "edges": {n: {"d": _CX2_TYPES[t]} for n, t in edge_types.items()},
    }
    network = [{"name": str(G.graph.get("name") or "ExoKG"),
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
    aspects: list[tuple[str, list[Any]]] = [
        ("attributeDeclarations", [declarations]),
        ("networkAttributes", network),
        ("nodes", nodes),
        ("edges", cx_edges),
        ("visualProperties", visual),
    ]
    doc = [{"CXVersion": "2.0", "hasFragments": False},
           {"metaData": [{"name": name, "elementCount": len(items)} for name, items in aspects]}]
    doc += [{name: items} for name, items in aspects]
    doc.append({"status": [{"error": "", "success": True}]})
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")
