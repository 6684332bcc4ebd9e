"""pyoxigraph terms as rdflib terms: a store's answer read into an rdflib graph.

Pages, the query page and the facets builder read CONSTRUCT answers into rdflib graphs
(what :mod:`exokg.describe` reads). rdflib's N-Triples parser takes about 140 us a line,
a third of a hub page's time at 10^5 findings; pyoxigraph parses the same bytes in Rust
and the terms are converted once each.

>>> graph = ntriples_graph(b'<http://ex/a> <http://ex/p> "x" .\\n_:b <http://ex/p> "1"@en .\\n')
>>> sorted(str(o) for o in graph.objects())
['1', 'x']
>>> rdflib_term(ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))).value
2
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyoxigraph as ox
from exokg.errors import RDF12_UNFIT, UnknownFormat
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

__all__ = ["TripleIndex", "ntriples_graph", "rdf12_problem", "rdflib_literal",
           "rdflib_term", "rdflib_triples", "triples_graph"]

logger = logging.getLogger(__name__)

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = r"[+-]?[0-9]+"
_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
#: The lexical forms XSD gives the datatypes rdflib reads with Python's own readers,
#: which take more ("1_000", "١٢", " 12", "maybe" as False): a literal of another form is
#: ill-typed, and kept as written (:class:`_NoValue`).
_LEXICAL = {_XSD + name: re.compile(pattern) for name, pattern in [
    ("boolean", r"true|false|1|0"), ("decimal", _DECIMAL),
    ("double", rf"{_DECIMAL}(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN"),
    ("float", rf"{_DECIMAL}(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN"),
    *((name, _INTEGER) for name in (
        "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
        "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
        "positiveInteger"))]}


def rdf12_problem(triple: Any) -> str | None:
    """Why a pyoxigraph triple of a user's data is refused, or ``None``: RDF 1.2 terms
    (rdflib, which writes the pages and most syntaxes here, has none).

    >>> s, p = ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p")
    >>> rdf12_problem(ox.Triple(s, p, ox.Triple(s, p, s)))[:60]
    'a triple term in <http://ex/s> <http://ex/p> <<( <http://ex/'
    >>> rdf12_problem(ox.Triple(s, p, ox.Literal("x", language="ar",
    ...                                          direction=ox.BaseDirection.RTL)))[:74]
    'a literal with a base direction in <http://ex/s> <http://ex/p> "x"@ar--rtl'
    >>> rdf12_problem(ox.Triple(s, p, ox.Literal("x", language="ar"))) is None
    True
    """
    term = triple.object
    if isinstance(term, ox.Triple) or isinstance(triple.subject, ox.Triple):
        kind = "a triple term"
    elif isinstance(term, ox.Literal) and term.direction is not None:
        kind = "a literal with a base direction"
    else:
        return None
    return f"{kind} in {triple}; ExoKG reads RDF 1.1 data (no triple terms, no base directions)"


class _NoValue(Literal):
    """A typed literal whose text its datatype does not take, kept as written with no
    value, as rdflib keeps the ill-typed literals its readers refuse: its writers quote it
    with its datatype. rdflib read ``"maybe"^^xsd:boolean`` as ``False`` (and wrote it
    back ``"false"``, or, not normalised, bare: no longer Turtle) and ``"1_000"`` as 1000.
    Made without rdflib's reader (which warns of a "weird boolean"); it stays so when
    pickled (a network export's rows are), where a plain ``Literal`` is read again.

    >>> import pickle
    >>> lit = pickle.loads(pickle.dumps(_NoValue("maybe", _XSD + "boolean")))
    >>> lit.n3(), lit.ill_typed, lit.toPython() is lit
    ('"maybe"^^<http://www.w3.org/2001/XMLSchema#boolean>', True, True)
    """

    __slots__ = ()

    def __new__(cls, text: str, datatype: str) -> _NoValue:
        literal = str.__new__(cls, text)
        literal._language, literal._datatype = None, URIRef(datatype)
        literal._value, literal._ill_typed = None, True
        return literal

    def __reduce__(self) -> tuple[Any, ...]:
        return _NoValue, (str(self), str(self.datatype))


def rdflib_literal(text: str, *, lang: str | None = None,
                   datatype: str | None = None) -> Literal:
    """A literal as rdflib reads it from N-Triples (an ``xsd:string`` plain; an ill-typed
    number or boolean as written, see :class:`_NoValue`): from a store's term or a SPARQL
    result's binding alike.

    >>> rdflib_literal("12", datatype=_XSD + "integer").toPython()
    12
    >>> ill = rdflib_literal("1_000", datatype=_XSD + "integer")
    >>> ill.n3(), ill.ill_typed, ill.toPython() is ill
    ('"1_000"^^<http://www.w3.org/2001/XMLSchema#integer>', True, True)
    """
    if lang:
        return Literal(text, lang=lang)
    if datatype is None or datatype == _XSD_STRING:
        return Literal(text)
    form = _LEXICAL.get(datatype)
    if form is not None and not form.fullmatch(text):
        return _NoValue(text, datatype)
    # as written ("INF", not rdflib's normal "inf", which XSD does not take); a boolean
    # normalised, since rdflib's Turtle writes one bare ("1" would read back an integer)
    return Literal(text, datatype=URIRef(datatype), normalize=datatype == _XSD + "boolean")


def rdflib_term(term: Any) -> Node:
    """A pyoxigraph term as rdflib reads it from N-Triples (``xsd:string`` literals plain,
    a blank node by its label). An RDF 1.2 term (:func:`rdf12_problem`), which rdflib
    cannot hold, is :class:`~exokg.errors.UnknownFormat` (406): only the SPARQL endpoint's
    own syntaxes carry it."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.direction is not None:
            raise UnknownFormat(RDF12_UNFIT)
        return rdflib_literal(term.value, lang=term.language, datatype=term.datatype.value)
    if isinstance(term, ox.Triple):
        raise UnknownFormat(RDF12_UNFIT)
    return BNode(term.value)


def rdflib_triples(triples: Iterable[Any]) -> Iterator[tuple[Node, Node, Node]]:
    """``triples`` (pyoxigraph triples or quads; their graph names ignored) as rdflib
    terms, in their order. Blank nodes are new to this call, as rdflib's parser makes
    them for each document it reads; each term is made once."""
    terms: dict[Any, Node] = {}

    def term(t: Any) -> Node:
        hit = terms.get(t)
        if hit is None:
            hit = terms[t] = BNode() if isinstance(t, ox.BlankNode) else rdflib_term(t)
        return hit

    for t in triples:
        yield term(t.subject), term(t.predicate), term(t.object)


def triples_graph(triples: Iterable[Any], graph: Graph | None = None) -> Graph:
    """:func:`rdflib_triples` of ``triples`` added to ``graph`` (a new one by default:
    over rdflib's context-free store, which adds a triple in half the time of its
    default; these graphs are CONSTRUCT answers, with no named graph)."""
    graph = Graph(store="SimpleMemory") if graph is None else graph
    add = graph.add
    for triple in rdflib_triples(triples):
        add(triple)
    return graph


def ntriples_graph(data: bytes, graph: Graph | None = None) -> Graph:
    """N-Triples ``data`` read into ``graph`` (a new one by default), as
    :func:`triples_graph`."""
    return triples_graph(ox.parse(data, format=ox.RdfFormat.N_TRIPLES), graph)


class TripleIndex:
    """The reads :func:`exokg.describe.finding_record` makes of a graph (``value``,
    ``objects``, ``predicate_objects``) over rdflib triples, as plain dictionaries: what
    rdflib's graph answers, in its order (each object first seen first), at a dictionary
    look-up each (rdflib's own look-ups made a hub page's 100 records cost 0.2 s). Any
    hashable terms do: the facets build indexes pyoxigraph's.

    >>> from rdflib import URIRef
    >>> index = TripleIndex(ntriples_graph(b'<http://ex/a> <http://ex/p> "x" .\\n'))
    >>> str(index.value(URIRef("http://ex/a"), URIRef("http://ex/p")))
    'x'
    """

    def __init__(self, triples: Iterable[tuple[Any, Any, Any]]) -> None:
        self._spo: dict[Any, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            objects = self._spo[s][p]
            if o not in objects:
                objects.append(o)

    def sort_objects(self, key: Callable[[Any], Any]) -> None:
        """Put each subject's several objects of one predicate in ``key``'s order instead
        of the order they came in.

        >>> index = TripleIndex([("a", "p", "y"), ("a", "p", "x")])
        >>> index.sort_objects(key=str)
        >>> index.value("a", "p")
        'x'
        """
        for objects in self._spo.values():
            for values in objects.values():
                if len(values) > 1:
                    values.sort(key=key)

    def value(self, subject: Any, predicate: Any) -> Any:
        """One object of ``subject``'s ``predicate`` (the first), or ``None``."""
        found = self._spo.get(subject, {}).get(predicate)
        return found[0] if found else None

    def count(self, subject: Any, predicate: Any) -> int:
        """How many objects ``subject`` has for ``predicate``."""
        return len(self._spo.get(subject, {}).get(predicate, ()))

    def objects(self, subject: Any, predicate: Any) -> Iterator[Any]:
        """Every object of ``subject``'s ``predicate``."""
        return iter(self._spo.get(subject, {}).get(predicate, ()))

    def predicate_objects(self, subject: Any) -> Iterator[tuple[Any, Any]]:
        """Every ``(predicate, object)`` of ``subject``."""
        for predicate, objects in self._spo.get(subject, {}).items():
            for obj in objects:
                yield predicate, obj
