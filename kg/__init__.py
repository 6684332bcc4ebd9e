"""ExoKG: exosomal molecules in liver cancer as an RDF knowledge graph.

The data flows one way: records (:mod:`exokg.records`) -> entities
(:mod:`exokg.entities`) -> RDF graph (:mod:`exokg.build`) -> SPARQL store, networkx
view and exporters.

>>> from exokg import build_graph
>>> graph = build_graph()
>>> len(graph) > 1000
True
"""

import logging


class _WithoutTraceback(logging.Filter):
    """rdflib logs a literal whose value does not fit its datatype (``"abc"^^xsd:integer``)
    as a warning with a traceback. It is the data's fault, not the program's, and legal
    RDF: where ExoKG relies on the value (a finding's numbers) its own error names the
    value and the file, so the warning, without its traceback, is kept for debugging."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        if record.levelno == logging.WARNING and record.getMessage().startswith(
                "Failed to convert Literal lexical form"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            # the logger let it through as a warning: asked again as debug
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


logging.getLogger("rdflib.term").addFilter(_WithoutTraceback())

from exokg.build import build_graph  # noqa: E402

__all__ = ["build_graph"]
__version__ = "0.1.0"
