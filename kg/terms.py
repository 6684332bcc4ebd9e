"""The network's known node kinds and edge predicates, read from the ontology (one place).

The graph queries (:mod:`exokg.algorithms`) filter by kind (``types=MicroRNA``) and by
predicate (``predicates=upregulatedIn``). A name that is neither a kind nor a predicate
of the vocabulary is a typo, not an empty answer: :func:`parse_kinds` and
:func:`parse_predicates` refuse it with an :class:`~exokg.errors.InvalidQuery` (400)
that lists the known values.

>>> sorted(parse_kinds(["microRNA", "exo:Disease"]))
['disease', 'microrna']
>>> sorted(parse_predicates(["upregulatedIn"]))
['exo:upregulatedIn']
>>> parse_kinds(["Banana"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
exokg.errors.InvalidQuery: unknown type 'Banana'; known types: CircularRNA, ...
>>> parse_kinds(["foo:MicroRNA"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
exokg.errors.InvalidQuery: unknown type 'foo:MicroRNA'; known types: CircularRNA, ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cache

from exokg.curie import compact_iri, expand_curie
from exokg.errors import InvalidQuery
from exokg.resources import ontology_path
from exokg.review import CONTENT_KINDS
from exokg.vocab import EXO, OWL, PROV, RDF
from rdflib import Graph, URIRef

__all__ = ["CONTENT_ALIASES", "known_kinds", "known_predicates", "normalize_kinds", "parse_kinds",
           "parse_predicates"]

logger = logging.getLogger(__name__)

#: Names of the five molecule kinds together (``ExosomalContent`` is their class).
CONTENT_ALIASES = ("exosomalcontent", "content", "molecule")


@cache
def _ontology() -> Graph:
    return Graph().parse(ontology_path() / "exokg.ttl", format="turtle")


@cache
def known_kinds() -> tuple[str, ...]:
    """The kinds a node can have: the local names of the vocabulary's classes, sorted.

    >>> {"MicroRNA", "Disease", "Reference", "Finding", "Role"} <= set(known_kinds())
    True
    """
    exo = str(EXO)
    names = {str(c)[len(exo):] for c in _ontology().subjects(RDF.type, OWL.Class)
             if isinstance(c, URIRef) and str(c).startswith(exo)}
    return tuple(sorted(names))


@cache
def known_predicates() -> tuple[str, ...]:
    """The predicates that make edges: the vocabulary's object properties (and
    ``prov:wasDerivedFrom``), as CURIEs, sorted.

    >>> {"exo:upregulatedIn", "exo:citedIn", "prov:wasDerivedFrom"} <= set(known_predicates())
    True
    """
    exo = str(EXO)
    names = {compact_iri(str(p)) for p in _ontology().subjects(RDF.type, OWL.ObjectProperty)
             if isinstance(p, URIRef) and str(p).startswith(exo)}
    names.add(compact_iri(str(PROV.wasDerivedFrom)))
    return tuple(sorted(names))


def parse_kinds(types: Iterable[str] | None, *,
                extra: Iterable[str] = ()) -> frozenset[str] | None:
    """Kind names, lower-cased (``MicroRNA``, ``exo:MicroRNA``; ``ExosomalContent`` = the
    five molecule kinds); ``None`` when none are given.

    ``extra`` adds kinds the data has beyond the vocabulary (a ``--data`` file's classes).

    Raises
    ------
    InvalidQuery
        for a name that is no known kind, listing the known ones.
    """
    if not types:
        return None
    vocabulary = {k.lower() for k in known_kinds()}
    known = {k.lower(): k for k in (*known_kinds(), *extra) if k}
    for raw in types:
        namespace, name = _kind_parts(raw)
        text = raw.strip()
        # a name in another namespace is not the vocabulary's class of that name (the
        # data's own classes, ``extra``, are known by their local names only)
        foreign = namespace.lower() not in ("", "exo:") and namespace != str(EXO) and (
            name in vocabulary or name in CONTENT_ALIASES)
        if not name or foreign or name not in CONTENT_ALIASES and name not in known:
            raise InvalidQuery(f"unknown type {text!r}; known types: "
                               + ", ".join(sorted(set(known.values()))))
    return normalize_kinds(types)


def normalize_kinds(types: Iterable[str] | None) -> frozenset[str] | None:
    """Kind names lower-cased, ``ExosomalContent`` (and its aliases) as the five molecule
    kinds, without checking them against the vocabulary (:func:`parse_kinds` checks).

    >>> sorted(normalize_kinds(["exo:MicroRNA", "Disease"]))
    ['disease', 'microrna']
    >>> len(normalize_kinds(["content"]))
    5
    """
    out: set[str] = set()
    for raw in types or ():
        name = _kind_name(raw)
        if name in CONTENT_ALIASES:
            out.update(k.lower() for k in CONTENT_KINDS)
        elif name:
            out.add(name)
    return frozenset(out) or None


def _kind_parts(raw: str) -> tuple[str, str]:
    """``(namespace as written, local name lower-cased)``: ``exo:MicroRNA`` is
    ``("exo:", "microrna")``, an IRI splits at its ``#``."""
    text = raw.strip()
    local = text.rsplit(":", 1)[-1].rsplit("#", 1)[-1]
    return text[:len(text) - len(local)], local.lower()


def _kind_name(raw: str) -> str:
    return _kind_parts(raw)[1]


def parse_predicates(predicates: Iterable[str] | None, *,
                     extra: Iterable[str] = ()) -> frozenset[str] | None:
    """Predicate names as CURIEs (``upregulatedIn``, ``exo:upregulatedIn`` or the IRI);
    ``None`` when none are given.

    Raises
    ------
    InvalidQuery
        for a predicate that makes no edge, listing the known ones.
    """
    if not predicates:
        return None
    known = {*known_predicates(), *extra}
    out: set[str] = set()
    for raw in predicates:
        name = raw.strip()
        if not name:
            continue
        curie = compact_iri(expand_curie(name if ":" in name else f"exo:{name}"))
        if curie not in known:
            raise InvalidQuery(f"unknown predicate {name!r}; known predicates: "
                               + ", ".join(sorted(known)))
        out.add(curie)
    return frozenset(out) or None
