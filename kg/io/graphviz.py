"""Graphviz DOT, and SVG rendered from it by the ``dot`` program.

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://x.org/a", label='say "hi"', kind="Disease")
>>> print(to_dot(G).decode().splitlines()[4])
  "https://x.org/a" [label="say \\"hi\\"", fillcolor="#4E79A7", shape=diamond, tooltip="https://x.org/a"];
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import networkx as nx
from exokg.display import NAME_SHOWN, clip
from exokg.errors import ExoKGError, NotAvailable, QueryCancelled, TooLargeToDraw
from exokg.io._rows import graph_edges, graph_nodes
from exokg.io._style import edge_label, node_style
from exokg.io._xml import clean
from exokg.sparql.cancel import current_token

__all__ = ["SVG_MAX_NODES", "to_dot", "to_svg"]

#: Graphviz lays out large graphs slowly; past this, export DOT and lay it out yourself.
SVG_MAX_NODES = 3000
_LAYERED_MAX = (100, 400)  # ``dot`` (layered) up to these nodes/edges; ``sfdp`` above
#: Graphviz's time limit, the same as ``QUERY_TIMEOUT``'s default (the layout runs in the
#: web worker, past the executors' limits); the request's client hanging up stops it
#: sooner (its :class:`~exokg.sparql.cancel.CancelToken`).
_TIMEOUT_S = 30
_POLL_S = 0.25


#: Characters of text in one quoted DOT string: Graphviz refuses a quoted string past
#: 16,384 bytes ("longer than 16384?"), and a character takes at most 4 bytes escaped.
_PIECE = 2000


def _quote(text: str) -> str:
    """``text`` as a DOT string; a long one as quoted pieces joined by ``+`` (DOT's own
    concatenation), each within Graphviz's limit.

    >>> _quote('say "hi"'), _quote("ab" * 1500).count('" + "')
    ('"say \\\\"hi\\\\""', 1)
    """
    # what XML cannot hold, Graphviz would copy into its SVG
    text = clean(text)
    return " + ".join(
        '"' + piece.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        for piece in (text[i:i + _PIECE] for i in range(0, max(len(text), 1), _PIECE)))


def to_dot(G: nx.MultiDiGraph, *, shown: int | None = None) -> bytes:
    """DOT text: nodes labelled and coloured by kind, edges labelled by predicate; each
    label whole, or cut to ``shown`` characters (:func:`exokg.display.clip`) for a
    drawing."""
    name = str(G.graph.get("name") or "ExoKG")
    out = [f"digraph {_quote(name)} {{",
           '  graph [overlap=false, splines=true, fontname="Helvetica"];',
           '  node [style=filled, fontname="Helvetica", fontsize=10];',
           '  edge [fontname="Helvetica", fontsize=8, color="#999999"];']
    for node, data in graph_nodes(G):
        color, shape = node_style(str(data.get("kind", "")))
        shape = {"rectangle": "box"}.get(shape, shape)
        label = str(data.get("label", node))
        out.append(f"  {_quote(node)} [label={_quote(clip(label, shown) if shown else label)}, "
                   f"fillcolor=\"{color}\", shape={shape}, tooltip={_quote(node)}];")
    for u, v, key, data in graph_edges(G):
        predicate = str(data.get("predicate", key))
        out.append(f"  {_quote(u)} -> {_quote(v)} [label={_quote(edge_label(predicate))}, "
                   f"tooltip={_quote(predicate)}];")
    out.append("}")
    return ("\n".join(out) + "\n").encode("utf-8")


def to_svg(G: nx.MultiDiGraph, *, dot: str | None = None) -> bytes:
    """SVG drawn by Graphviz (``dot`` up to 100 nodes and 400 edges, ``sfdp`` above).

    Raises
    ------
    TooLargeToDraw
        above :data:`SVG_MAX_NODES` nodes (422, as the whole graph's drawing cap).
    NotAvailable
        when Graphviz is not installed.
    ExoKGError
        when Graphviz fails.
    """
    if G.number_of_nodes() > SVG_MAX_NODES:
        raise TooLargeToDraw(f"SVG is drawn for at most {SVG_MAX_NODES} nodes, not "
                             f"{G.number_of_nodes()}; export DOT and lay it out with sfdp")
    program = dot or shutil.which("dot")
    if not program:
        raise NotAvailable("SVG needs Graphviz's 'dot' program, which is not installed here "
                           "(apt-get install graphviz); DOT needs no program")
    if G.number_of_nodes() <= _LAYERED_MAX[0] and G.number_of_edges() <= _LAYERED_MAX[1]:
        command = [program, "-Kdot", "-Tsvg"]
    else:  # straight edges: sfdp's spline routing takes minutes on a few hundred nodes
        command = [program, "-Ksfdp", "-Gsplines=false", "-Goverlap=prism", "-Tsvg"]
    token, waited = current_token(), 0.0
    # The DOT goes in as a file, not a pipe: ``communicate`` stops writing its input once a
    # poll has timed out, so a Graphviz slow to start never read past a pipe's 64 KiB.
    with tempfile.TemporaryFile() as source:
        # a drawn label shows what a page does (a 1 MiB one laid out is no picture)
        source.write(to_dot(G, shown=NAME_SHOWN))
        source.seek(0)
        with subprocess.Popen(command, stdin=source, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as drawing:
            while True:
                try:
                    out, err = drawing.communicate(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    waited += _POLL_S
                    if token is not None and token.cancelled:
                        drawing.kill()
                        raise QueryCancelled("the client hung up while Graphviz drew") from None
                    if waited >= _TIMEOUT_S:
                        drawing.kill()
                        raise ExoKGError(f"Graphviz took over {_TIMEOUT_S} s; export DOT and "
                                         "lay it out yourself") from None
    if drawing.returncode != 0:
        raise ExoKGError(f"Graphviz failed: {err.decode(errors='replace')[:500]}")
    return out
