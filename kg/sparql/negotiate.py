"""Content negotiation for SPARQL results: Accept (with q-values) or a ``format=`` name.

Result formats (``kind == "results"``) and RDF formats (``kind == "rdf"``) come from the
one registry, :mod:`exokg.formats`. A request gets two candidates, one for solutions
(SELECT/ASK) and one for graphs (CONSTRUCT/DESCRIBE), since the query form is only
certain once Oxigraph has parsed it.

>>> s, g = negotiate("application/sparql-results+xml;q=0.9, text/csv")
>>> s.media_type, g
('text/csv', None)
>>> s, g = negotiate(None)
>>> s.media_type, g.media_type
('application/sparql-results+json', 'text/turtle')
>>> negotiate("text/html", format_name="ttl")[1].media_type
'text/turtle'
"""

from __future__ import annotations

import functools

from exokg.errors import UnknownFormat
from exokg.formats import FORMATS, Format, get_format

__all__ = ["GRAPH_MEDIA_TYPES", "SOLUTION_MEDIA_TYPES", "negotiate", "parse_accept"]

#: In the server's order of preference (the first is the default).
SOLUTION_MEDIA_TYPES = ("application/sparql-results+json", "application/sparql-results+xml",
                        "text/csv", "text/tab-separated-values")
GRAPH_MEDIA_TYPES = ("text/turtle", "application/n-triples", "application/ld+json",
                     "application/rdf+xml", "application/n-quads", "application/trig")
# Generic media types some clients send, to (solutions, graph) media types.
_SYNONYMS = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/plain": (None, "application/n-triples"),
}
_SHORT = {"json": ("application/sparql-results+json", "application/ld+json"),
          "xml": ("application/sparql-results+xml", "application/rdf+xml"),
          "csv": ("text/csv", None), "tsv": ("text/tab-separated-values", None)}


# Registry names (not media types: another module may register text/csv for an edge list).
_NAMES = {"application/sparql-results+json": "sparql-json",
          "application/sparql-results+xml": "sparql-xml", "text/csv": "sparql-csv",
          "text/tab-separated-values": "sparql-tsv", "text/turtle": "turtle",
          "application/n-triples": "ntriples", "application/ld+json": "jsonld",
          "application/rdf+xml": "rdfxml", "application/n-quads": "nquads",
          "application/trig": "trig"}


def _fmt(media_type: str | None) -> Format | None:
    return FORMATS[_NAMES[media_type]] if media_type else None


def parse_accept(header: str) -> list[tuple[str, float, int]]:
    """``(media range, q, position)`` for each entry of an Accept header.

    >>> parse_accept("text/turtle;q=0.5, */*;q=0.1")
    [('text/turtle', 0.5, 0), ('*/*', 0.1, 1)]
    """
    out = []
    for pos, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        if media == "*":
            media = "*/*"
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        out.append((media, q, pos))
    return out


def _best(ranges: list[tuple[str, float, int]], offers: tuple[str, ...]) -> str | None:
    best, best_key = None, None
    for order, offer in enumerate(offers):
        kind = offer.split("/")[0]
        names = {offer} | {syn for syn, pair in _SYNONYMS.items() if offer in pair}
        match = None  # (specificity, q, position) of the most specific matching range
        for media, q, pos in ranges:
            if media in names:
                spec = 2
            elif media == f"{kind}/*":
                spec = 1
            elif media == "*/*":
                spec = 0
            else:
                continue
            if match is None or spec > match[0]:
                match = (spec, q, pos)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -match[2], -order)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best


def negotiate(accept: str | None, *, format_name: str | None = None
              ) -> tuple[Format | None, Format | None]:
    """The formats to answer solutions and graphs in (``None``: nothing acceptable).

    ``format_name`` (a browser's ``format=`` parameter) wins over Accept. Memoized per
    (Accept, format name): clients send the same few headers.

    Raises
    ------
    UnknownFormat
        for a ``format_name`` no writer knows.
    """
    return _negotiate(accept, format_name)


@functools.lru_cache(maxsize=256)
def _negotiate(accept: str | None, format_name: str | None
               ) -> tuple[Format | None, Format | None]:
    if format_name:
        name = format_name.strip().lower()
        if name in _SHORT:
            sol, graph = _SHORT[name]
            return _fmt(sol), _fmt(graph)
        fmt = get_format(name)
        if fmt.media_type in SOLUTION_MEDIA_TYPES and fmt.kind == "results":
            return fmt, None
        if fmt.media_type in GRAPH_MEDIA_TYPES and fmt.kind == "rdf":
            return None, fmt
        raise UnknownFormat(f"format {format_name!r} cannot carry SPARQL results")
    if not accept or not accept.strip():
        return _fmt(SOLUTION_MEDIA_TYPES[0]), _fmt(GRAPH_MEDIA_TYPES[0])
    ranges = parse_accept(accept)
    return (_fmt(_best(ranges, SOLUTION_MEDIA_TYPES)), _fmt(_best(ranges, GRAPH_MEDIA_TYPES)))
