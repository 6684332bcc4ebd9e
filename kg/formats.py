"""One registry of formats, keyed by (name, kind) as rdflib's plugin registry is.

A *kind* is a namespace of formats: ``"rdf"`` (RDF syntaxes), ``"network"`` (graph-tool
files: GraphML, GEXF, Cytoscape, CX2, DOT, SVG, KGX, the CSV edge list) and
``"results"`` (SPARQL query result formats). Within a kind, a format's name, aliases and
media type are its keys; :func:`register` refuses a key another format of the kind
holds, so ``csv`` can be the edge list (``network``) and SPARQL CSV (``results``) without
either shadowing the other. Every format menu, negotiation table and service
description is derived from here: a new format is one :func:`register` line.

A writer is stored as ``"module:function"`` and imported on first use (as rdflib's
``Plugin.getClass`` does), so this module imports none of them: no cycle with
:mod:`exokg.io`, and optional dependencies stay optional.

>>> get_format("text/turtle", "rdf").name
'turtle'
>>> get_format("csv", "network").label, get_format("csv", "results").label
('CSV edge list', 'CSV')
>>> get_format("ttl", kinds=GRAPH_KINDS).extension
'ttl'
>>> get_format("nope", "rdf")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
exokg.errors.UnknownFormat: unknown format 'nope'; known rdf formats: jsonld, nquads, ..., turtle
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from exokg.errors import ExoKGError, FormatClash, UnknownFormat

__all__ = ["DUMP", "Format", "format_names", "FormatClash", "formats", "get_format",
           "GRAPH_KINDS", "page_suffixes", "register",
           "split_page_suffix"]

logger = logging.getLogger(__name__)

#: The kinds that write a graph (an rdflib graph or a networkx projection).
GRAPH_KINDS = ("rdf", "network")

#: The ``stream_path`` of the RDF syntaxes that the store dumps itself.
DUMP = "dump"


@dataclass(frozen=True)
class Format:
    """A format of one kind: its names, media type, extension and (lazy) writer.

    Parameters
    ----------
    name, kind
        The registry key (unique within the kind).
    media_type, extension
        What a response or file of this format carries.
    writer_path
        ``"module:function"``, imported on first use (:attr:`writer`): the function takes
        an rdflib graph (``rdf``) or a networkx graph (``network``) and returns bytes.
        ``None`` for the SPARQL result formats, which pyoxigraph writes by media type.
    aliases
        Further names (and media types) of the format within its kind.
    label
        The name shown in menus.
    accepts
        Generic media types (``application/json``, ``text/plain``) that content
        negotiation also answers with this format; not lookup names, since formats of
        several kinds answer them.
    w3c
        The local name of its IRI under ``http://www.w3.org/ns/formats/``, if any.
    stream_path
        How the whole graph is written as a stream: for ``network``, ``"module:function"``
        of a ``stream_<fmt>(nodes, edges)`` generator of bytes over node and edge rows
        (:mod:`exokg.io`); for ``rdf``, ``"dump"``: the store writes it itself
        (``Store.dump``, through the query executors). ``None``: the format is for small
        graphs only (DOT, SVG).
    edges_only
        Whether the format holds edges and nothing else (the CSV edge list): a graph
        whose triples all end in literals has nothing to write in it.
    """

    name: str
    kind: str
    media_type: str
    extension: str
    writer_path: str | None = None
    aliases: tuple[str, ...] = ()
    label: str = ""
    accepts: tuple[str, ...] = ()
    w3c: str | None = None
    stream_path: str | None = None
    edges_only: bool = False

    @property
    def xml(self) -> bool:
        """Whether the format is XML 1.0, which cannot hold most control characters in any
        form (an answer holding one is written in another acceptable format, or refused).

        >>> get_format("sparql-xml", "results").xml, get_format("turtle", "rdf").xml
        (True, False)
        """
        return self.media_type.endswith("+xml")

    @property
    def streams(self) -> bool:
        """Whether the whole graph can be written in this format as a stream.

        >>> get_format("graphml", "network").streams, get_format("svg", "network").streams
        (True, False)
        """
        return self.stream_path is not None

    @property
    def streamer(self) -> Callable[..., Any]:
        """The ``stream_<fmt>(nodes, edges)`` generator of a network format, imported on
        first use.

        Raises
        ------
        UnknownFormat
            for a format that is not streamed from rows (RDF syntaxes, DOT, SVG).
        """
        if self.stream_path is None or self.stream_path == DUMP:
            raise UnknownFormat(f"{self.name} ({self.kind}) is not written from node and "
                                "edge rows")
        return _load(self.stream_path)

    @property
    def keys(self) -> tuple[str, ...]:
        """The lookup keys of the format within its kind (lower case, no repeats)."""
        return tuple(dict.fromkeys(k.strip().lower()
                                   for k in (self.name, *self.aliases, self.media_type)))

    @property
    def writer(self) -> Callable[[Any], bytes]:
        """The writer function, imported on first use.

        Raises
        ------
        UnknownFormat
            for a format without a writer here (SPARQL results).
        ExoKGError
            when the writer's module cannot be imported.
        """
        if self.writer_path is None:
            raise UnknownFormat(f"{self.name} ({self.kind}) is written by the SPARQL "
                                "service, not by a writer of the registry")
        return _load(self.writer_path)


@functools.cache
def _load(path: str) -> Callable[[Any], bytes]:
    module, _, function = path.partition(":")
    try:
        func: Callable[[Any], bytes] = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as err:
        raise ExoKGError(f"the writer {path} cannot be loaded: {err}") from err
    return func


#: (key, kind) -> format; several keys point to one format.
_REGISTRY: dict[tuple[str, str], Format] = {}


def register(fmt: Format) -> Format:
    """Add a format under its name, aliases and media type within its kind.

    Registering the same format again changes nothing.

    Raises
    ------
    FormatClash
        when another format of the kind holds one of its keys (nothing is registered).

    >>> register(Format("turtle", "rdf", "text/n3", "n3"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exokg.errors.FormatClash: cannot register rdf format 'turtle': 'turtle' is already ...
    """
    if not fmt.name or not fmt.kind:
        raise FormatClash(f"a format needs a name and a kind, not {fmt!r}")
    for key in fmt.keys:
        held = _REGISTRY.get((key, fmt.kind))
        if held is not None and held != fmt:
            raise FormatClash(f"cannot register {fmt.kind} format {fmt.name!r}: {key!r} is "
                              f"already {held.kind} format {held.name!r} ({held.media_type})")
    for key in fmt.keys:
        _REGISTRY[key, fmt.kind] = fmt
    return fmt


def page_suffixes() -> dict[str, str]:
    """Suffix -> representation of an entity page (``/id/...``): ``html``, ``json``, and
    each RDF syntax's extension and name. An entity id may not end in one (its page's
    downloads would be another entity's).

    >>> suffixes = page_suffixes()
    >>> suffixes["ttl"], suffixes["json"], suffixes["jsonld"]
    ('turtle', 'json', 'jsonld')
    """
    out = {"html": "html", "json": "json"}
    for fmt in formats("rdf", by_name=True):
        out.setdefault(fmt.extension, fmt.name)
        out.setdefault(fmt.name, fmt.name)
    return out


def split_page_suffix(path: str) -> tuple[str, str | None]:
    """``path`` and the page suffix it ends in (:func:`page_suffixes`), or ``(path, None)``.

    >>> split_page_suffix("content/mir-21.ttl"), split_page_suffix("content/mir-21")
    (('content/mir-21', 'ttl'), ('content/mir-21', None))
    """
    stem, dot, suffix = path.rpartition(".")
    if dot and suffix in page_suffixes() and "/" not in suffix:
        return stem, suffix
    return path, None


def formats(*kinds: str, by_name: bool = False) -> list[Format]:
    """The distinct formats of these kinds, kind by kind, each in registration order (the
    order of preference in content negotiation) or, for menus, by name.

    >>> [f.name for f in formats("results")]
    ['sparql-json', 'sparql-xml', 'sparql-csv', 'sparql-tsv']
    """
    out = []
    for kind in kinds:
        of_kind = list(dict.fromkeys(f for (_, k), f in _REGISTRY.items() if k == kind))
        out += sorted(of_kind, key=lambda f: f.name) if by_name else of_kind
    return out


def format_names(*kinds: str) -> list[str]:
    """The sorted names of the formats of these kinds."""
    return sorted({f.name for f in formats(*kinds)})


def get_format(name: str, kind: str | None = None, *,
               kinds: Iterable[str] | None = None) -> Format:
    """The format of a kind (or of the first of ``kinds`` that has it) by name, alias or
    media type.

    Raises
    ------
    UnknownFormat
        listing the known names of the kind(s).
    """
    if (kind is None) == (kinds is None):
        raise TypeError("get_format needs a kind or kinds")
    wanted = (kind,) if kind is not None else tuple(kinds or ())
    key = name.strip().lower()
    for k in wanted:
        fmt = _REGISTRY.get((key, k))
        if fmt is not None:
            return fmt
    raise UnknownFormat(f"unknown format {name!r}; known {' and '.join(wanted)} formats: "
                        + ", ".join(format_names(*wanted)))


def _rdf(name: str, media_type: str, extension: str, aliases: tuple[str, ...], label: str,
         w3c: str, accepts: tuple[str, ...] = ()) -> Format:
    return register(Format(name, "rdf", media_type, extension, f"exokg.io.rdf:to_{name}",
                           aliases, label, accepts, w3c, stream_path=DUMP))


def _network(name: str, media_type: str, extension: str, writer: str,
             aliases: tuple[str, ...], label: str, *, streams: bool = True,
             edges_only: bool = False) -> Format:
    module, _, function = writer.partition(":")
    stream = f"exokg.io.{module}:{function.replace('to_', 'stream_', 1)}" if streams else None
    return register(Format(name, "network", media_type, extension, f"exokg.io.{writer}",
                           aliases, label, stream_path=stream, edges_only=edges_only))


def _results(name: str, media_type: str, extension: str, aliases: tuple[str, ...],
             label: str, w3c: str, accepts: tuple[str, ...] = ()) -> Format:
    return register(Format(name, "results", media_type, extension, None, aliases, label,
                           accepts, w3c))


# RDF syntaxes (the first is the default answer to a CONSTRUCT or DESCRIBE).
_rdf("turtle", "text/turtle", "ttl", ("ttl",), "Turtle", "Turtle")
_rdf("ntriples", "application/n-triples", "nt", ("nt", "n-triples"), "N-Triples",
     "N-Triples", accepts=("text/plain",))
_rdf("jsonld", "application/ld+json", "jsonld", ("json-ld", "json"), "JSON-LD", "JSON-LD",
     accepts=("application/json",))
_rdf("rdfxml", "application/rdf+xml", "rdf", ("xml", "rdf"), "RDF/XML", "RDF_XML",
     accepts=("application/xml", "text/xml"))
_rdf("nquads", "application/n-quads", "nq", ("nq",), "N-Quads", "N-Quads")
_rdf("trig", "application/trig", "trig", (), "TriG", "TriG")

# Graph-tool files: a networkx projection written by a module of exokg.io, or the whole
# graph's node and edge rows streamed by its stream_<fmt>.
_network("graphml", "application/graphml+xml", "graphml", "graphml:to_graphml", ("yed",),
         "GraphML (yEd, Gephi, Cytoscape, igraph)")
_network("gexf", "application/gexf+xml", "gexf", "gexf:to_gexf", ("gephi",), "GEXF (Gephi)")
_network("cytoscape", "application/json", "cyjs", "cytoscape:to_cytoscape",
         ("cyjs", "cytoscapejs", "cytoscape.js"), "Cytoscape.js JSON with style")
_network("cx2", "application/vnd.ndex.cx2+json", "cx2", "cytoscape:to_cx2", ("ndex",),
         "CX2 (Cytoscape desktop, NDEx)")
# DOT and SVG draw small graphs: the whole graph only up to a node cap, never streamed.
_network("dot", "text/vnd.graphviz", "dot", "graphviz:to_dot", ("gv", "graphviz"),
         "Graphviz DOT", streams=False)
_network("svg", "image/svg+xml", "svg", "graphviz:to_svg", (), "SVG (drawn by Graphviz)",
         streams=False)
_network("kgx", "application/zip", "kgx.zip", "tabular:to_kgx", ("kgx-tsv",),
         "KGX TSV (nodes.tsv, edges.tsv; Biolink), zipped")
_network("csv", "text/csv", "csv", "tabular:to_csv", ("edgelist", "edges"), "CSV edge list",
         edges_only=True)

# SPARQL result formats (the first is the default answer to a SELECT or ASK).
_results("sparql-json", "application/sparql-results+json", "srj", ("srj", "json"),
         "JSON (SPARQL results)", "SPARQL_Results_JSON", accepts=("application/json",))
_results("sparql-xml", "application/sparql-results+xml", "srx", ("srx", "xml"),
         "XML (SPARQL results)", "SPARQL_Results_XML",
         accepts=("application/xml", "text/xml"))
_results("sparql-csv", "text/csv", "csv", ("csv",), "CSV", "SPARQL_Results_CSV")
_results("sparql-tsv", "text/tab-separated-values", "tsv", ("tsv",), "TSV",
         "SPARQL_Results_TSV")
