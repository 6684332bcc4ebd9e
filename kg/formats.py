"""One registry of output formats: name, media type, extension, writer.

Every place that turns a graph into bytes (CLI, HTTP) looks the format up here,
by name, alias or media type, as rdflib's plugin registry does.

>>> get_format("text/turtle").name
'turtle'
>>> get_format("ttl").extension
'ttl'
>>> get_format("nope")
Traceback (most recent call last):
...
exokg.errors.UnknownFormat: unknown format 'nope'; known: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from exokg.errors import UnknownFormat
from rdflib import Graph

__all__ = ["Format", "FORMATS", "get_format", "register", "rdf_writer"]


@dataclass(frozen=True)
class Format:
    """An output format; ``writer`` turns an rdflib graph into bytes."""

    name: str
    media_type: str
    extension: str
    writer: Callable[[Graph], bytes] = field(compare=False)
    aliases: tuple[str, ...] = ()
    kind: str = "rdf"  # "rdf" (an RDF syntax) or "network" (a graph tool's file)
    label: str = ""


#: Formats by name, alias and media type (several keys may point to one Format).
FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add a format under its name, aliases and media type."""
    for key in (fmt.name, *fmt.aliases, fmt.media_type):
        FORMATS[key.lower()] = fmt
    return fmt


def get_format(name: str) -> Format:
    """The format for a name, alias or media type.

    Raises
    ------
    UnknownFormat
        listing the known names.
    """
    try:
        return FORMATS[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted({f.name for f in FORMATS.values()}))
        raise UnknownFormat(f"unknown format {name!r}; known: {known}") from None


_QUAD_SYNTAXES = frozenset({"nquads", "trig"})


def _as_dataset(graph: Graph):
    """A Dataset holding ``graph`` as its default graph, with its prefixes."""
    from rdflib import Dataset

    dataset = Dataset()
    for prefix, namespace in graph.namespaces():
        dataset.bind(prefix, namespace, override=True, replace=True)
    default = dataset.default_graph
    for triple in graph:
        default.add(triple)
    return dataset


def rdf_writer(rdflib_format: str) -> Callable[[Graph], bytes]:
    """A writer that delegates to rdflib's serializer plugin of that name."""

    def write(graph: Graph) -> bytes:
        if rdflib_format == "nt":
            from exokg.build import to_sorted_ntriples  # sorted, so downloads are stable

            return to_sorted_ntriples(graph)
        if rdflib_format in _QUAD_SYNTAXES and not graph.context_aware:
            graph = _as_dataset(graph)  # rdflib writes quads only from a Dataset
        return graph.serialize(format=rdflib_format, encoding="utf-8")

    write.__name__ = f"write_{rdflib_format.replace('-', '_')}"
    return write


for _fmt in (
    Format("turtle", "text/turtle", "ttl", rdf_writer("turtle"), ("ttl",), label="Turtle"),
    Format("ntriples", "application/n-triples", "nt", rdf_writer("nt"), ("nt", "n-triples"),
           label="N-Triples"),
    Format("jsonld", "application/ld+json", "jsonld", rdf_writer("json-ld"),
           ("json-ld",), label="JSON-LD"),
    Format("rdfxml", "application/rdf+xml", "rdf", rdf_writer("xml"), ("xml", "rdf"),
           label="RDF/XML"),
    Format("nquads", "application/n-quads", "nq", rdf_writer("nquads"), ("nq",),
           label="N-Quads"),
    Format("trig", "application/trig", "trig", rdf_writer("trig"), (), label="TriG"),
):
    register(_fmt)



def results_writer(media_type: str) -> Callable[[object], bytes]:
    """A writer of SPARQL query results (pyoxigraph ``QuerySolutions``/``QueryBoolean``)."""

    def write(results) -> bytes:
        import pyoxigraph

        return results.serialize(format=pyoxigraph.QueryResultsFormat.from_media_type(
            media_type))

    write.__name__ = "write_results"
    return write


# SPARQL result formats (kind "results"), served by /sparql and ``exokg query``.
for _fmt in (
    Format("sparql-json", "application/sparql-results+json", "srj",
           results_writer("application/sparql-results+json"), ("srj",), kind="results",
           label="SPARQL Results JSON"),
    Format("sparql-xml", "application/sparql-results+xml", "srx",
           results_writer("application/sparql-results+xml"), ("srx",), kind="results",
           label="SPARQL Results XML"),
    Format("sparql-csv", "text/csv", "csv", results_writer("text/csv"), (), kind="results",
           label="SPARQL Results CSV"),
    Format("sparql-tsv", "text/tab-separated-values", "tsv",
           results_writer("text/tab-separated-values"), (), kind="results",
           label="SPARQL Results TSV"),
):
    register(_fmt)

# The graph-tool formats (GraphML, GEXF, Cytoscape, CX2, DOT, SVG, KGX, CSV) register
# themselves from exokg.io, which imports this module: import it last to avoid a cycle.
import exokg.io  # noqa: E402, F401
