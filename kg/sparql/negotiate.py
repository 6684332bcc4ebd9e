"""Content negotiation for SPARQL results: Accept (with q-values) or ``format=`` names; and
:func:`preferred`, the same reading of Accept for the pages and error bodies.

Result formats (kind ``"results"``) and RDF syntaxes (kind ``"rdf"``) come from the one
registry, :mod:`exokg.formats`, in its order of preference (the first of each kind is
the default). A request gets two candidates, one for solutions (SELECT/ASK) and one for
graphs (CONSTRUCT/DESCRIBE), since the query form is only certain once Oxigraph has
parsed it.

>>> s, g = negotiate("application/sparql-results+xml;q=0.9, text/csv")
>>> s.media_type, g
('text/csv', None)
>>> s, g = negotiate(None)
>>> s.media_type, g.media_type
('application/sparql-results+json', 'text/turtle')
>>> negotiate("text/html", format_name="ttl")[1].media_type
'text/turtle'
>>> negotiate("text/turtle", format_name=("n3", "nope"))[1].name  # unknown: Accept decides
'turtle'
>>> negotiate("text/plain;q=0, application/n-triples")[1].name  # either type, the higher q
'ntriples'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from exokg.errors import UnknownFormat
from exokg.formats import Format, formats, get_format

__all__ = ["GRAPH_KIND", "SOLUTIONS_KIND", "check_format_name", "negotiate", "negotiate_for",
           "parse_accept", "preferred", "served", "xml_fallbacks"]

#: The registry kinds that answer solutions (SELECT, ASK) and graphs (CONSTRUCT, DESCRIBE).
SOLUTIONS_KIND, GRAPH_KIND = "results", "rdf"
_KIND_OF_FORM = {"SELECT": SOLUTIONS_KIND, "ASK": SOLUTIONS_KIND,
                 "CONSTRUCT": GRAPH_KIND, "DESCRIBE": GRAPH_KIND}


def parse_accept(header: str) -> list[tuple[str, float, int]]:
    """``(media range, q, position)`` for each entry of an Accept header.

    >>> parse_accept("text/turtle;q=0.5, */*;q=0.1")
    [('text/turtle', 0.5, 0), ('*/*', 0.1, 1)]

    A q that is no number from 0 to 1 (``nan``, ``inf``, ``abc``) is 0: not acceptable
    (``nan`` was read as 1, above any other); one past the bounds is taken to them.

    >>> parse_accept("text/csv;q=nan, text/tab-separated-values;q=0.5000, */*;q=2")
    [('text/csv', 0.0, 0), ('text/tab-separated-values', 0.5, 1), ('*/*', 1.0, 2)]
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
                    q = float(value)
                except ValueError:
                    q = 0.0
                q = max(0.0, min(1.0, q)) if math.isfinite(q) else 0.0
        out.append((media, q, pos))
    return out


def _match(ranges: list[tuple[str, float, int]], offer: str | Format
           ) -> tuple[int, float, int] | None:
    """``(specificity, q, position)`` of the most specific range that names ``offer`` (a
    media type, or a format with the other media types it answers to), if any."""
    media_type = offer if isinstance(offer, str) else offer.media_type
    names = {media_type} if isinstance(offer, str) else {media_type, *offer.accepts}
    kind = media_type.split("/")[0]
    match = None
    for media, q, pos in ranges:
        if media in names:
            spec = 2
        elif media == f"{kind}/*":
            spec = 1
        elif media == "*/*":
            spec = 0
        else:
            continue
        # the most specific range; of two as specific (a format's two media types), the
        # higher q: text/plain;q=0 did not refuse N-Triples asked as application/n-triples
        if match is None or spec > match[0] or (spec == match[0] and q > match[1]):
            match = (spec, q, pos)
    return match


def _best(ranges: list[tuple[str, float, int]], offers: list[Format]) -> Format | None:
    best, best_key = None, None
    for order, offer in enumerate(offers):
        match = _match(ranges, offer)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -match[2], -order)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best


def preferred(accept: str | None, offers: Sequence[str | Format]) -> str | Format | None:
    """The offer (a media type, or a format) that an ``Accept`` header prefers: the highest
    q, then the most specific range naming it; a tie goes to the earlier offer. ``None``
    when the header accepts none; the first offer when there is no header.

    A range's parameters other than q (``charset``, JSON-LD's ``profile``) do not keep it
    from matching: werkzeug's matching, used for the pages before, did, and answered
    ``text/turtle; charset=utf-8`` with HTML.

    >>> preferred("text/turtle; charset=utf-8, text/html;q=0.5", ["text/html", "text/turtle"])
    'text/turtle'
    >>> preferred("*/*", ["text/html", "application/json"])  # a tie: the first offer
    'text/html'
    >>> preferred("application/json, */*", ["text/html", "application/json"])
    'application/json'
    >>> preferred("image/png", ["text/html"]) is None
    True
    """
    if not accept or not accept.strip():
        return offers[0] if offers else None
    ranges = parse_accept(accept)
    best, best_key = None, None
    for order, offer in enumerate(offers):
        match = _match(ranges, offer)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -order)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best


def _known(name: str, kind: str) -> Format | None:
    try:
        return get_format(name, kind)
    except UnknownFormat:
        return None


def check_format_name(name: str) -> None:
    """Refuse a name no result format or RDF syntax has (for a command line, where a typo
    must not fall back to the default format as an HTTP ``format=`` does).

    Raises
    ------
    UnknownFormat
        listing the known names.

    >>> check_format_name("turtle")
    >>> check_format_name("n3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exokg.errors.UnknownFormat: unknown format 'n3'; known results and rdf formats: ...
    """
    if _known(name, SOLUTIONS_KIND) is None and _known(name, GRAPH_KIND) is None:
        get_format(name, kinds=(SOLUTIONS_KIND, GRAPH_KIND))  # raises, listing the names


def served(form: str | None = None) -> str:
    """The media types served for a query form (all forms when ``None``), for messages.

    >>> served("DESCRIBE")  # doctest: +ELLIPSIS
    'text/turtle, application/n-triples, ..., application/trig (CONSTRUCT, DESCRIBE)'
    """
    kinds = [_KIND_OF_FORM[form]] if form in _KIND_OF_FORM else [SOLUTIONS_KIND, GRAPH_KIND]
    return "; ".join(
        ", ".join(f.media_type for f in formats(kind)) + " ("
        + ", ".join(f for f, k in _KIND_OF_FORM.items() if k == kind) + ")"
        for kind in kinds)


def negotiate(accept: str | None, *, format_name: str | Sequence[str] | None = None
              ) -> tuple[Format | None, Format | None]:
    """The formats to answer solutions and graphs in (``None``: nothing acceptable).

    ``format_name`` (the ``format=`` parameter, or all its values in order) wins over
    Accept: the first value that names a result format or an RDF syntax (``json`` and
    ``xml`` name one of each) decides; when none does, Accept decides, as for the
    ``format=n3`` that SPARQLWrapper sends with a Turtle Accept. Memoized per request
    shape: clients send the same few headers.
    """
    names = (format_name,) if isinstance(format_name, str) else tuple(format_name or ())
    return _negotiate(accept, names)


def negotiate_for(form: str | None, accept: str | None, *,
                  format_name: str | Sequence[str] | None = None
                  ) -> tuple[Format | None, Format | None]:
    """:func:`negotiate` for a query of this form (``None``: not known yet).

    Raises
    ------
    UnknownFormat
        when nothing acceptable answers the form (406), listing the media types served.

    >>> negotiate_for("SELECT", "text/turtle")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exokg.errors.UnknownFormat: no acceptable media type for a SELECT query; served: ...
    """
    sol, graph = negotiate(accept, format_name=format_name)
    kind = _KIND_OF_FORM.get(form or "")
    if sol is None and graph is None or kind == SOLUTIONS_KIND and sol is None or \
            kind == GRAPH_KIND and graph is None:
        raise UnknownFormat(f"no acceptable media type for a {form or 'SPARQL'} query; "
                            f"served: {served(form)}")
    return sol, graph


def xml_fallbacks(accept: str | None, *, format_name: str | Sequence[str] | None = None
                  ) -> tuple[Format | None, Format | None]:
    """For solutions and for graphs, the format to answer in when :func:`negotiate` chose
    an XML one and the answer holds what XML 1.0 cannot (a control character in a
    literal): the best other match of Accept (RFC 9110 lets a server answer in any
    acceptable type), or ``None`` (then 406). A ``format=`` that named the format leaves
    no choice.

    >>> sol, graph = xml_fallbacks("application/sparql-results+xml, */*;q=0.1")
    >>> sol.media_type, graph
    ('application/sparql-results+json', None)
    >>> xml_fallbacks("application/sparql-results+xml")
    (None, None)
    """
    names = (format_name,) if isinstance(format_name, str) else tuple(format_name or ())
    return _xml_fallbacks(accept, names)


@functools.lru_cache(maxsize=256)
def _xml_fallbacks(accept: str | None, names: tuple[str, ...]
                   ) -> tuple[Format | None, Format | None]:
    if any(_known(n, SOLUTIONS_KIND) or _known(n, GRAPH_KIND) for n in names) or \
            not accept or not accept.strip():
        return None, None
    ranges = parse_accept(accept)

    def other(pick: Format | None, kind: str) -> Format | None:
        if pick is None or not pick.xml:
            return None
        return _best(ranges, [f for f in formats(kind) if not f.xml])

    sol, graph = _negotiate(accept, names)
    return other(sol, SOLUTIONS_KIND), other(graph, GRAPH_KIND)


@functools.lru_cache(maxsize=256)
def _negotiate(accept: str | None, names: tuple[str, ...]
               ) -> tuple[Format | None, Format | None]:
    for name in names:
        sol, graph = _known(name, SOLUTIONS_KIND), _known(name, GRAPH_KIND)
        if sol is not None or graph is not None:
            return sol, graph
    solutions, graphs = formats(SOLUTIONS_KIND), formats(GRAPH_KIND)
    if not accept or not accept.strip():
        return solutions[0], graphs[0]
    ranges = parse_accept(accept)
    return _best(ranges, solutions), _best(ranges, graphs)
