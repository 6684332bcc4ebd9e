"""The networkx view of the RDF graph: entities as nodes, the vocabulary's edges as edges.

The projection is documented here because users see it in every graph export:

* **Nodes** are the IRIs of the graph's instances (every typed subject that is not
  an OWL/RDFS term) and every IRI at either end of an *edge predicate*. Node id =
  the IRI (a ``str``). Attributes:

  ``label``
      ``rdfs:label`` (else the IRI's local name);
  ``curie``
      the compact IRI (``exoid:content/mir-21``);
  ``class``
      the CURIE of the most specific class (``exo:MicroRNA``, not ``exo:ExosomalContent``);
  ``kind``
      that class's local name (``MicroRNA``, ``Disease``, ``Reference``, ``Finding`` ...);
  ``alt_labels``, ``xrefs``
      tuples of ``skos:altLabel`` and of external CURIEs (``exo:xref`` literals and
      ``skos:exactMatch``/``closeMatch`` IRIs in OBO or identifiers.org form);
  any other literal of an ``exo:`` property
      by its local name, as a Python value of its datatype (``refNumber=28``,
      ``sampleSize=54``, ``animalModel=True``); a property with several values gives a tuple.

* **Edges** are the triples between two nodes whose predicate is an ``exo:`` property
  or ``prov:wasDerivedFrom``; the key and the ``predicate`` attribute are the
  predicate's CURIE (``exo:upregulatedIn``). Without Findings (the default) these are
  the shortcut edges of the vocabulary (content -> disease, method, reference, role).

* **Findings** (``exo:Finding``) are nodes only with ``findings=True``; then their
  edges (``exo:content``, ``exo:disease``, ``exo:sample``, ``prov:wasDerivedFrom`` ...)
  are edges too, so the evidence can be walked.

* **A query's result** (``every_statement=True``: a CONSTRUCT or DESCRIBE downloaded
  in a network format) keeps the statements its author asked for: every subject and
  object is a node (a blank node by its ``_:`` label), every statement between two of
  them an edge whatever its predicate, and a literal of another namespace an attribute
  named by its CURIE (``dcterms:title``). ``rdf:type`` gives the class, as above, and a
  mapping to an IRI no external CURIE names is an edge, not dropped.

>>> from exokg.build import build_graph
>>> G = project(build_graph())
>>> G.nodes["https://w3id.org/exokg/id/content/mir-21"]["kind"]
'MicroRNA'
>>> G.has_edge("https://w3id.org/exokg/id/content/mir-21",
...            "https://w3id.org/exokg/id/disease/hcc", key="exo:upregulatedIn")
True
>>> resolve_node(G, "MIR-21")
'https://w3id.org/exokg/id/content/mir-21'
"""

from __future__ import annotations

import difflib
import itertools
import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

import networkx as nx
from exokg.bounds import SEARCH_MAX
from exokg.curie import compact_iri, expand_curie, external_curie, local_name
from exokg.display import TEXT_SHOWN, clip, suggested
from exokg.errors import AmbiguousNode, NodeNotFound
from exokg.labels import preferred_label
from exokg.review import CONTENT_KINDS
from exokg.vocab import (
    CONTENT_CLASSES,
    EXO,
    OWL,
    PROV,
    RDF,
    RDFS,
    ROLE_OF_TABLE,
    SKOS,
    XSD,
    bind_prefixes,
)
from rdflib import BNode, Graph, Literal, URIRef

__all__ = [
    "EDGE_NAMESPACES", "FINDING", "MATCH_PREDICATES", "SCHEMA_NAMESPACES", "VALUE_KINDS", "XREF",
    "compress", "expand", "graph_json", "most_specific", "node_attributes", "node_json",
    "kind_rank", "one_named", "project", "project_triples", "resolve_node", "to_rdf",
]

logger = logging.getLogger(__name__)

#: Predicates in these namespaces (plus ``prov:wasDerivedFrom``) become edges.
EDGE_NAMESPACES = (str(EXO),)
_EXTRA_EDGE_PREDICATES = frozenset({str(PROV.wasDerivedFrom)})
#: Namespaces of schema terms, which are no network nodes.
SCHEMA_NAMESPACES = (str(OWL), str(RDFS), str(RDF))
_CONTENT_CLASSES = frozenset(str(c) for c in CONTENT_CLASSES)
#: The finding class, the cross-reference predicate and the mapping predicates whose
#: objects become a node's ``xrefs`` (read by the store-side projection too).
FINDING = str(EXO.Finding)
XREF = str(EXO.xref)
MATCH_PREDICATES = (str(SKOS.exactMatch), str(SKOS.closeMatch))
#: Node kinds, most preferred first, when a label names several nodes.
_KIND_ORDER = (*CONTENT_KINDS, "Disease", "Drug", "SampleType", "IsolationMethod",
               "DetectionMethod", "ExosomeSource", "Role", "Reference", "Expression", "Review",
               "Finding")
#: Vocabulary values that are nodes of a kind though they have no ``rdf:type``.
VALUE_KINDS = {**{str(r): "Role" for r in ROLE_OF_TABLE.values()},
                str(EXO.Up): "Expression", str(EXO.Down): "Expression"}


# ---------------------------------------------------------------- CURIEs

#: The projection's CURIEs are :mod:`exokg.curie`'s (ExoKG's own prefixes).
compress = compact_iri
expand = expand_curie


# ---------------------------------------------------------------- projection

def project(graph: Graph, *, findings: bool = False,
            every_statement: bool = False) -> nx.MultiDiGraph:
    """Project an RDF graph into a networkx ``MultiDiGraph`` (see the module docs).

    Parameters
    ----------
    graph
        the whole ExoKG graph, a CONSTRUCT result or any subgraph of them.
    findings
        include ``exo:Finding`` nodes and their edges.
    every_statement
        a query's result: keep every statement, whatever its predicate (module docs).

    Returns
    -------
    networkx.MultiDiGraph
        a new graph; ``G.graph`` holds ``findings`` (the flag) and ``name``.

    Examples
    --------
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''
    ...   @prefix exo: <https://w3id.org/exokg/vocab#> .
    ...   @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ...   <https://w3id.org/exokg/id/content/a> a exo:MicroRNA ; rdfs:label "miR-A" ;
    ...       exo:citedIn <https://w3id.org/exokg/id/ref/1> .
    ...   <https://w3id.org/exokg/id/ref/1> a exo:Reference ; exo:refNumber 1 .''',
    ...   format="turtle")
    >>> G = project(g)
    >>> sorted(G.nodes(data="label"))  # doctest: +NORMALIZE_WHITESPACE
    [('https://w3id.org/exokg/id/content/a', 'miR-A'),
     ('https://w3id.org/exokg/id/ref/1', '1')]
    >>> list(G.edges(keys=True))[0][2], G.nodes["https://w3id.org/exokg/id/ref/1"]["refNumber"]
    ('exo:citedIn', 1)

    See Also
    --------
    to_rdf : the inverse, from a networkx result back to RDF.
    """
    return project_triples(graph, findings=findings, every_statement=every_statement)


def project_triples(triples: Iterable[tuple[Any, Any, Any]], *, findings: bool = False,
                    edges: Iterable[tuple[str, str, str]] = (),
                    every_statement: bool = False) -> nx.MultiDiGraph:
    """:func:`project` of rdflib triples (a graph or SPARQL rows of ``?s ?p ?o``), with
    more ``edges`` given as ``(source IRI, predicate CURIE, target IRI)`` (the
    adjacency's: they need no round trip through RDF terms).

    >>> from exokg.vocab import EXO, RDF
    >>> from rdflib import URIRef
    >>> a, b = "https://w3id.org/exokg/id/content/a", "https://w3id.org/exokg/id/disease/b"
    >>> G = project_triples([(URIRef(a), RDF.type, EXO.MicroRNA),
    ...                      (URIRef(b), RDF.type, EXO.Disease)],
    ...                     edges=[(a, "exo:upregulatedIn", b)])
    >>> list(G.edges(keys=True)) == [(a, b, "exo:upregulatedIn")], G.nodes[a]["kind"]
    (True, 'MicroRNA')
    """
    start = time.perf_counter()
    types: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    alt: dict[str, list[str]] = defaultdict(list)
    xrefs: dict[str, list[str]] = defaultdict(list)
    literals: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    #: the literals whose plain value loses their language or type, as RDF writes them
    tagged: dict[str, list[tuple[str, Literal]]] = defaultdict(list)
    iri_edges: list[tuple[str, str, str]] = []
    rdf_type, label, alt_label = str(RDF.type), str(RDFS.label), str(SKOS.altLabel)
    subjects: set[str] = set()
    for subject, predicate, o in triples:
        if isinstance(subject, BNode):
            if not every_statement:
                continue
            s = _node_id(subject)
        else:
            s = str(subject)
        p = str(predicate)
        if every_statement:
            subjects.add(s)
        if isinstance(o, Literal):
            names = p in (label, alt_label, XREF)
            kept = names or p.startswith(EDGE_NAMESPACES) or every_statement
            # what the projection writes, where its plain value loses something: names
            # (a str) lose a language or a type, other literals (toPython) a language,
            # and an ill-typed literal (kept as its text) its type
            loses = o.language or (names and o.datatype is not None) or o.ill_typed
            if loses and kept:
                tagged[s].append((p, o))
            if p == label:  # of several, the least (an RDF export writes each back)
                labels[s] = cast(str, preferred_label((labels.get(s, str(o)), str(o))))
            elif p == alt_label:
                alt[s].append(str(o))
            elif p == XREF:
                xrefs[s].append(str(o))
            elif p.startswith(EDGE_NAMESPACES):
                literals[s][p[len(str(EXO)):]].append(o.toPython())
            elif every_statement:
                literals[s][compress(p)].append(o.toPython())
        elif isinstance(o, URIRef):
            if p == rdf_type:
                types[s].add(str(o))
            elif p in MATCH_PREDICATES and (ext := external_curie(str(o))):
                xrefs[s].append(ext)
            elif every_statement or is_edge_predicate(p):
                iri_edges.append((s, p, str(o)))
        elif every_statement:  # a blank node
            iri_edges.append((s, p, _node_id(o)))
    excluded = set() if every_statement else {
        s for s, ts in types.items() if is_excluded(ts, findings=findings)}
    G = nx.MultiDiGraph(name="ExoKG", findings=findings or every_statement)
    G.add_nodes_from(node for node in types if node not in excluded)
    G.add_nodes_from(subjects)
    compact = [(s, compress(p), o) for s, p, o in iri_edges]
    add_edge = G.add_edge
    # add_edge one by one, not add_edges_from: that one looks each new edge up again
    # through the graph's views (half the time of a neighbourhood's 5,000 edges)
    for s, key, o in itertools.chain(compact, edges):
        if s not in excluded and o not in excluded:
            add_edge(s, o, key, predicate=key)
    for node, data in G.nodes(data=True):
        data.update(node_attributes(node, types.get(node, ()), labels, alt, xrefs, literals))
        if node in tagged:  # hidden from every export but RDF's (to_rdf)
            data[TAGGED] = tuple(tagged[node])
    if logger.isEnabledFor(logging.INFO):  # counting the edges walks them all
        logger.info("projected %d nodes, %d edges (findings=%s) in %.2f s",
                    G.number_of_nodes(), G.number_of_edges(), findings,
                    time.perf_counter() - start)
    return G


def _node_id(term: URIRef | BNode) -> str:
    """A network node's id: an IRI as is, a blank node by its N-Triples label.

    >>> _node_id(BNode("b0")), _node_id(URIRef("https://w3id.org/exokg/id/disease/hcc"))
    ('_:b0', 'https://w3id.org/exokg/id/disease/hcc')
    """
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _node_term(node: str) -> URIRef | BNode:
    """The RDF term of a node id (:func:`_node_id`'s inverse)."""
    return BNode(node[2:]) if node.startswith("_:") else URIRef(node)


def node_class(node: str, node_types: Iterable[str]) -> tuple[str, str]:
    """The CURIE of a node's class and its kind, as the projection gives them.

    The most specific of its types (``exo:MicroRNA``, not ``exo:ExosomalContent``);
    untyped value individuals (``exo:Biomarker``, ``exo:Up``) get their value class.

    >>> node_class("https://w3id.org/exokg/id/content/a",
    ...            ["https://w3id.org/exokg/vocab#ExosomalContent",
    ...             "https://w3id.org/exokg/vocab#MicroRNA"])
    ('exo:MicroRNA', 'MicroRNA')
    >>> node_class("https://w3id.org/exokg/vocab#Up", [])
    ('exo:Expression', 'Expression')
    """
    cls = most_specific(node_types)
    if cls:
        return compress(cls), local_name(cls)
    if node in VALUE_KINDS:
        return compress(str(EXO[VALUE_KINDS[node]])), VALUE_KINDS[node]
    return "", ""


def is_excluded(node_types: Iterable[str], *, findings: bool) -> bool:
    """Whether a node of these types is left out of the network: schema terms, and
    ``exo:Finding`` rows unless ``findings``."""
    return any(t.startswith(SCHEMA_NAMESPACES) or (not findings and t == FINDING)
               for t in node_types)


def is_edge_predicate(predicate: str) -> bool:
    """Whether triples of this predicate IRI are edges (``exo:`` and ``prov:wasDerivedFrom``)."""
    return predicate.startswith(EDGE_NAMESPACES) or predicate in _EXTRA_EDGE_PREDICATES


def node_attributes(node: str, node_types: Iterable[str], labels, alt, xrefs,
                    literals) -> dict:
    """A network node's attributes (label, CURIE, class, kind, names, xrefs, literals):
    one rule for the in-memory projection and the store-side rows."""
    cls, kind = node_class(node, node_types)
    data = {"label": labels.get(node) or local_name(node), "curie": compress(node),
            "class": cls, "kind": kind}
    names = [a for a in alt.get(node, ()) if a != data["label"]]
    if names:
        data["alt_labels"] = tuple(sorted(set(names)))
    if node in xrefs:
        data["xrefs"] = tuple(sorted(set(xrefs[node])))
    # by name, not in the order the triples came (a graph's order may follow the hashing);
    # an exo: property named like an attribute of every node (exo:label) keeps its prefix:
    # it overwrote the node's label, CURIE or kind in every export
    for name, values in sorted(literals.get(node, {}).items()):
        key = f"exo:{name}" if name in _RESERVED_ATTRIBUTES else name
        data[key] = values[0] if len(values) == 1 else tuple(sorted(values, key=str))
    return data


def most_specific(node_types: Iterable[str]) -> str | None:
    """The most specific of a node's classes (a content class first), or ``None``."""
    node_types = sorted(node_types)
    for t in node_types:
        if t in _CONTENT_CLASSES:
            return t
    for t in node_types:
        if t != str(EXO.ExosomalContent) and not t.startswith(SCHEMA_NAMESPACES):
            return t
    return node_types[0] if node_types else None


# ---------------------------------------------------------------- lookup

def _index(G: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Lower-cased label, alternative label, CURIE and xref -> nodes (cached on G)."""
    index = G.graph.get("_index")
    if index is None:
        index = defaultdict(list)
        for node, data in G.nodes(data=True):
            keys = {data.get("label", ""), data.get("curie", ""), *data.get("alt_labels", ()),
                    *data.get("xrefs", ())}
            for key in keys:
                if key:
                    index[key.lower()].append(node)
        index = dict(index)
        G.graph["_index"] = index
    return index


def kind_rank(kind: str, *, molecules_as_one: bool = False) -> int:
    """Which kind a name means when it fits nodes of several: molecules first, then
    diseases, drugs, samples, methods, references; kinds from outside ExoKG's vocabulary
    last, as one. ``molecules_as_one``: every molecule class ranks alike (which of a
    microRNA and a protein of one name is meant is open).

    >>> kind_rank("MicroRNA") < kind_rank("Disease") < kind_rank("Reference") < kind_rank("Gene")
    True
    """
    if molecules_as_one and kind in CONTENT_KINDS:
        return 0
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


def _rank_key(G: nx.MultiDiGraph, node: str) -> tuple:
    return kind_rank(G.nodes[node].get("kind", "")), node


def one_named(name: str, named: Iterable[tuple[str, str]]) -> str:
    """Of the nodes ``name`` names exactly, as ``(node IRI, kind)``, the one it means, by
    :func:`kind_rank` (molecules as one): two of the first rank found (two molecules
    labelled ``miR-21``, or two nodes of kinds outside ExoKG's vocabulary) make the name
    ambiguous, not one of them the answer.

    >>> one_named("HCC", [("https://x.org/d", "Disease"), ("https://x.org/m", "MicroRNA")])
    'https://x.org/m'
    >>> one_named("miR-21", [("https://x.org/b", "MicroRNA"), ("https://x.org/a", "Protein")])
    Traceback (most recent call last):
    ...
    exokg.errors.AmbiguousNode: 'miR-21' names 2 nodes: https://x.org/a (Protein), \
https://x.org/b (MicroRNA); name one by its IRI or CURIE

    Raises
    ------
    AmbiguousNode
        with the CURIEs of the nodes (up to 20).
    """
    kinds = dict(named)
    ranked = sorted((kind_rank(kind, molecules_as_one=True), node)
                    for node, kind in kinds.items())
    first = [node for rank, node in ranked if rank == ranked[0][0]]
    if len(first) > 1:
        shown = [compress(n) for n in first[:20]]
        listed = ", ".join(f"{compress(n)} ({kinds[n] or 'untyped'})" for n in first[:5])
        raise AmbiguousNode(f"{name!r} names {len(first)} nodes: {listed}"
                            f"{', ...' if len(first) > 5 else ''}; name one by its IRI or "
                            "CURIE", candidates=shown)
    return first[0]


def resolve_node(G: nx.MultiDiGraph, name: str) -> str:
    """The node named by an IRI, a CURIE (ExoKG's or an external xref) or a label.

    Labels and alternative labels match case-insensitively; when a name fits several
    nodes, molecules come before diseases, methods and references (:func:`one_named`).

    Raises
    ------
    NodeNotFound
        with up to five close matches (labels or CURIEs) as ``suggestions``.

    Examples
    --------
    >>> from exokg.build import build_graph
    >>> G = project(build_graph())
    >>> resolve_node(G, "exoid:disease/hcc")
    'https://w3id.org/exokg/id/disease/hcc'
    >>> resolve_node(G, "miR-21x")
    Traceback (most recent call last):
    ...
    exokg.errors.NodeNotFound: no node named 'miR-21x'; did you mean: miR-21, ...
    """
    text = (name or "").strip()
    if not text:
        raise NodeNotFound("no node given", suggestions=[])
    if text in G:
        return text
    iri = expand(text)
    if iri in G:
        return iri
    hits = _index(G).get(text.lower())
    if hits:
        return one_named(text, [(n, G.nodes[n].get("kind", "")) for n in set(hits)])
    message, names = _not_found(G, text)
    raise NodeNotFound(message, suggestions=names)


def _not_found(G: nx.MultiDiGraph, text: str) -> tuple[str, list[str]]:
    index = _index(G)
    # no name is longer than a search takes: a longer text is compared by its start
    close = difflib.get_close_matches(text[:SEARCH_MAX].lower(), list(index), n=5,
                                      cutoff=0.6)
    names = []
    for key in close:
        node = min(index[key], key=lambda n: _rank_key(G, n))
        data = G.nodes[node]
        name = data["label"] if data["label"].lower() == key else data["curie"] \
            if data["curie"].lower() == key else key
        name = suggested(name, data["curie"])
        if name not in names:
            names.append(name)
    message = f"no node named {clip(text, TEXT_SHOWN)!r}"
    if names:
        message += "; did you mean: " + ", ".join(names)
    return message, names


# ---------------------------------------------------------------- back to RDF and JSON

def to_rdf(G: nx.MultiDiGraph) -> Graph:
    """The RDF graph of a projection or of a query result: its nodes and edges.

    Every node gives its ``rdf:type``, ``rdfs:label``, ``skos:altLabel`` and the
    literals it carries; every edge gives its triple. So any result can be written in
    any format of the registry, and ``project(to_rdf(H))`` has the nodes and edges of ``H``.

    >>> from exokg.build import build_graph
    >>> G = project(build_graph())
    >>> H = project(to_rdf(G))
    >>> (sorted(H.nodes) == sorted(G.nodes), sorted(H.edges) == sorted(G.edges))
    (True, True)
    """
    graph = bind_prefixes(Graph())
    add = graph.add
    for node, data in G.nodes(data=True):
        s = _node_term(node)
        cls = data.get("class")
        if cls:
            add((s, RDF.type, URIRef(expand(cls))))
            if expand(cls) in _CONTENT_CLASSES:
                add((s, RDF.type, EXO.ExosomalContent))
        # a literal with a language or a type, as the store had it: its plain value,
        # which the other writers take, is not written again beside it
        tagged = data.get(TAGGED, ())
        written = {(URIRef(p), str(o)) for p, o in tagged}
        for p, o in tagged:
            add((s, URIRef(p), o))
        if data.get("label") and (RDFS.label, str(data["label"])) not in written:
            add((s, RDFS.label, Literal(data["label"])))
        for value in data.get("alt_labels", ()):
            if (SKOS.altLabel, str(value)) not in written:
                add((s, SKOS.altLabel, Literal(value)))
        for value in data.get("xrefs", ()):
            if (EXO.xref, str(value)) not in written:
                add((s, EXO.xref, Literal(value)))
        for name, value in data.items():
            if name in _RESERVED_ATTRIBUTES or name.startswith("_"):
                continue
            predicate = _attribute_predicate(name)
            for item in value if isinstance(value, tuple) else (value,):
                if (predicate, str(item)) not in written:
                    add((s, predicate, _literal(item)))
    for u, v, key, data in G.edges(keys=True, data=True):
        add((_node_term(u), URIRef(expand(data.get("predicate", key))), _node_term(v)))
    return graph


def _attribute_predicate(name: str) -> URIRef:
    """The predicate of a node's literal attribute: an ``exo:`` property by its local name
    (or ``exo:label``, kept prefixed), another by its CURIE or IRI (a query's result).

    >>> _attribute_predicate("refNumber"), _attribute_predicate("dcterms:title")
    (rdflib.term.URIRef('https://w3id.org/exokg/vocab#refNumber'), \
rdflib.term.URIRef('http://purl.org/dc/terms/title'))
    """
    if ":" in name and not name.startswith("exo:"):
        iri = expand(name)
        if iri != name or _SCHEME.match(name):
            return URIRef(iri)
    return EXO[name.removeprefix("exo:")]


#: An absolute IRI's scheme (``tag:``, ``urn:``, ``mailto:``), RFC 3987.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


#: A node's hidden attribute (exporters skip names starting with ``_``): its literals that
#: carry a language or a datatype, ``(predicate IRI, rdflib Literal)``, for :func:`to_rdf`.
TAGGED = "_tagged"

#: The attributes every node has (or a query gives it, or a JSON node names it by: ``id``,
#: ``url``; GEXF and Cytoscape take ``name`` and ``value`` for their own): an exo:
#: property of one of these names keeps its prefix (``exo:label``).
_RESERVED_ATTRIBUTES = frozenset({"label", "curie", "class", "kind", "alt_labels", "xrefs",
                                  "depth", "score", "id", "url", "name", "value",
                                  "parent"})  # Cytoscape.js: a compound node's parent


def _literal(value) -> Literal:
    if isinstance(value, bool):
        return Literal(value, datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    return Literal(value)


def node_json(G: nx.MultiDiGraph, node: str) -> dict:
    """A node as a JSON-ready dict: ``id`` (the IRI), label, curie, class, kind, ...

    >>> from exokg.build import build_graph
    >>> G = project(build_graph())
    >>> node_json(G, "https://w3id.org/exokg/id/disease/hcc")["label"]
    'hepatocellular carcinoma'
    """
    data: dict[str, Any] = {"id": node}
    for name, value in G.nodes[node].items():
        if not name.startswith("_"):
            data[name] = list(value) if isinstance(value, tuple) else value
    return data


def graph_json(G: nx.MultiDiGraph) -> dict:
    """Nodes and edges of a (result) graph as JSON-ready lists, sorted for stable output.

    Each edge is ``{"source", "target", "predicate"}`` with both ends as IRIs.
    """
    nodes = [node_json(G, n) for n in sorted(G.nodes)]
    # (u, v, key) is unique in a multigraph: the tuples sort by it, the predicate never
    # compared; an edge without one is named by its key. The edge view walks networkx's
    # own dicts (G.adj's views cost half a neighbourhood's JSON); iter(), or sorted()
    # asks the view its length first, a second walk.
    edges = [{"source": u, "target": v, "predicate": k if p is None else p}
             for u, v, k, p in sorted(iter(G.edges(keys=True, data="predicate")))]
    return {"nodes": nodes, "edges": edges}
