"""Graph files: the network formats of the one registry (:mod:`exokg.formats`), and ``export``.

Each writer module has a pure ``to_<fmt>(G) -> bytes`` over a networkx projection and a
thin ``write_<fmt>(G, path)``. Importing this package registers them into
:data:`exokg.formats.FORMATS` (``kind="network"``) beside the RDF syntaxes; their registry
writer is a :class:`NetworkWriter`, which takes an rdflib graph like every writer of the
registry, and also writes a networkx result directly (:meth:`NetworkWriter.network`).

:func:`export` writes anything (an rdflib graph, a projection, a neighborhood or path
result) in any registered format: a networkx result goes to an RDF syntax through
:func:`exokg.network.to_rdf`.

>>> from exokg.build import build_graph
>>> from exokg.network import project
>>> from exokg.algorithms import neighborhood
>>> H = neighborhood(project(build_graph()), "miR-638")
>>> export(H, "graphml")[:38]
b'<?xml version="1.0" encoding="UTF-8"?>'
>>> export(H, "ttl").startswith(b"@prefix")
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import networkx as nx
from exokg.errors import UnknownFormat
from exokg.formats import FORMATS, Format, get_format
from rdflib import Graph

__all__ = ["GRAPH_KINDS", "NETWORK_FORMATS", "NetworkWriter", "download_name", "export",
           "graph_format_names"]

#: Format kinds that write a graph (the registry also holds SPARQL result formats).
GRAPH_KINDS = ("rdf", "network")


class NetworkWriter:
    """A registry writer for a graph-tool format; the module is imported on first use.

    Called with an rdflib graph, it projects it first (:func:`exokg.network.project`): with
    Findings as nodes when the graph has Findings but none of the shortcut edges (as a
    CONSTRUCT of findings has), else the entity view.
    """

    def __init__(self, module: str, function: str) -> None:
        self.module, self.function = module, function
        self.__name__ = function

    def network(self, G: nx.MultiDiGraph) -> bytes:
        """Write a networkx projection or result graph."""
        func: Callable[[nx.MultiDiGraph], bytes] = getattr(
            importlib.import_module(self.module), self.function)
        return func(G)

    def __call__(self, graph: Graph) -> bytes:
        from exokg.network import project
        from exokg.vocab import EXO, RDF, SHORTCUT_PREDICATES

        has_shortcuts = any(next(iter(graph.triples((None, p, None))), None) is not None
                            for p in SHORTCUT_PREDICATES)
        has_findings = (None, RDF.type, EXO.Finding) in graph
        return self.network(project(graph, findings=has_findings and not has_shortcuts))

    def __repr__(self) -> str:
        return f"NetworkWriter({self.module}.{self.function})"


def _network(name, media_type, extension, function, aliases, label) -> Format:
    module, func = function.rsplit(".", 1)
    return Format(name, media_type, extension, NetworkWriter(f"exokg.io.{module}", func),
                  aliases, kind="network", label=label)


#: The graph-tool formats, registered on import.
NETWORK_FORMATS = (
    _network("graphml", "application/graphml+xml", "graphml", "graphml.to_graphml",
             ("yed",), "GraphML (yEd, Gephi, Cytoscape, igraph)"),
    _network("gexf", "application/gexf+xml", "gexf", "gexf.to_gexf", ("gephi",),
             "GEXF (Gephi)"),
    _network("cytoscape", "application/json", "cyjs", "cytoscape.to_cytoscape",
             ("cyjs", "cytoscapejs", "cytoscape.js"), "Cytoscape.js JSON with style"),
    _network("cx2", "application/vnd.ndex.cx2+json", "cx2", "cytoscape.to_cx2", ("ndex",),
             "CX2 (Cytoscape desktop, NDEx)"),
    _network("dot", "text/vnd.graphviz", "dot", "graphviz.to_dot", ("gv", "graphviz"),
             "Graphviz DOT"),
    _network("svg", "image/svg+xml", "svg", "graphviz.to_svg", (), "SVG (drawn by Graphviz)"),
    _network("kgx", "application/zip", "kgx.zip", "tabular.to_kgx", ("kgx-tsv",),
             "KGX TSV (nodes.tsv, edges.tsv; Biolink), zipped"),
    _network("csv", "text/csv", "csv", "tabular.to_csv", ("edgelist", "edges"),
             "CSV edge list"),
)

def _register(fmt: Format) -> None:
    """Register without taking a key another format holds (``text/csv`` is SPARQL CSV's)."""
    for key in (fmt.name, *fmt.aliases, fmt.media_type):
        FORMATS.setdefault(key.lower(), fmt)


for _fmt in NETWORK_FORMATS:
    _register(_fmt)


def export(obj: Graph | nx.MultiDiGraph, format: str) -> bytes:  # noqa: A002
    """Write an rdflib graph or a networkx projection/result in a registered format.

    Raises
    ------
    UnknownFormat
        for a name, alias or media type the registry does not know.
    """
    fmt = get_format(format)
    if fmt.kind not in GRAPH_KINDS:
        raise UnknownFormat(f"{fmt.name} is not a graph format; graph formats: "
                            + ", ".join(graph_format_names()))
    if isinstance(obj, nx.Graph):
        if isinstance(fmt.writer, NetworkWriter):
            return fmt.writer.network(obj)
        from exokg.network import to_rdf

        obj = to_rdf(obj)
    return fmt.writer(obj)


def graph_format_names() -> list[str]:
    """The names of the formats a graph can be written in (RDF syntaxes and graph files)."""
    return sorted({f.name for f in FORMATS.values() if f.kind in GRAPH_KINDS})


def download_name(stem: str, format: str) -> str:  # noqa: A002
    """A safe download filename: ``exokg-mir-21.graphml``.

    >>> download_name("miR-21 depth 2", "kgx")
    'exokg-mir-21-depth-2.kgx.zip'
    """
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80] or "graph"
    return f"exokg-{slug}.{get_format(format).extension}"
