"""Validate a graph against ExoKG's ontology and SHACL shapes (pyshacl).

>>> from exokg.build import build_graph
>>> validate_graph(build_graph()).conforms
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from exokg.resources import ontology_path
from rdflib import Graph

__all__ = ["Report", "ontology_graph", "shapes_graph", "validate_graph"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """A SHACL validation outcome: ``conforms``, the report text, the number of violations."""

    conforms: bool
    text: str
    violations: int


@cache
def _parsed(name: str) -> Graph:
    return Graph().parse(ontology_path() / name, format="turtle")


def ontology_graph() -> Graph:
    """A fresh copy of the OWL ontology (``ontology/exokg.ttl``)."""
    return _parsed("exokg.ttl") + Graph()


def shapes_graph() -> Graph:
    """A fresh copy of the SHACL shapes (``ontology/shapes.ttl``)."""
    return _parsed("shapes.ttl") + Graph()


def validate_graph(graph: Graph) -> Report:
    """Validate ``graph`` with pyshacl against the shapes, with the ontology's class tree."""
    from pyshacl import validate  # slow to import; only ``exokg validate`` needs it

    conforms, results, text = validate(graph, shacl_graph=_parsed("shapes.ttl"),
                                       ont_graph=_parsed("exokg.ttl"), inference="none",
                                       advanced=True, allow_warnings=True)
    from rdflib.namespace import SH

    violations = len(set(results.subjects(predicate=SH.resultSeverity, object=SH.Violation)))
    logger.info("SHACL: conforms=%s, %d violations", conforms, violations)
    return Report(bool(conforms), str(text), violations)
