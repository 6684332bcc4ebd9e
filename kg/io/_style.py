"""One look for every graph file: a colour and a shape per node kind."""

from __future__ import annotations

__all__ = ["DEFAULT_COLOR", "KIND_STYLE", "edge_label", "node_style"]

#: kind -> (fill colour, shape); the shapes are names that Cytoscape, yEd and
#: Graphviz all know (``ellipse``, ``rectangle``, ``diamond``, ``hexagon``, ``octagon``).
KIND_STYLE: dict[str, tuple[str, str]] = {
    "MicroRNA": ("#E15759", "ellipse"),
    "LongNonCodingRNA": ("#F28E2B", "ellipse"),
    "CircularRNA": ("#EDC948", "ellipse"),
    "MessengerRNA": ("#B07AA1", "ellipse"),
    "Protein": ("#FF9DA7", "ellipse"),
    "Disease": ("#4E79A7", "diamond"),
    "Reference": ("#BAB0AC", "rectangle"),
    "IsolationMethod": ("#59A14F", "hexagon"),
    "DetectionMethod": ("#8CD17D", "hexagon"),
    "SampleType": ("#76B7B2", "octagon"),
    "ExosomeSource": ("#9C755F", "octagon"),
    "Drug": ("#D37295", "rectangle"),
    "Role": ("#79706E", "rectangle"),
    "Finding": ("#FFFFFF", "rectangle"),
}
DEFAULT_COLOR = "#CCCCCC"


def node_style(kind: str) -> tuple[str, str]:
    """(colour, shape) of a node kind.

    >>> node_style("Disease")
    ('#4E79A7', 'diamond')
    """
    return KIND_STYLE.get(kind, (DEFAULT_COLOR, "ellipse"))


def edge_label(predicate: str) -> str:
    """The short label of an edge: the predicate's local name.

    >>> edge_label("exo:upregulatedIn")
    'upregulatedIn'
    """
    return predicate.rsplit(":", 1)[-1].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
