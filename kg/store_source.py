"""The store as a graph source: bounded SPARQL and the artifacts built with the store.

:class:`StoreSource` takes the steps of :class:`exokg.graph_source.GraphSource` over the
store, read through the SPARQL service's bounded path (``select``: the query checks,
killable executors, time limit, row cap and result cache of ``/sparql``) with
``VALUES`` over the nodes at hand, and through the artifacts :mod:`exokg.index` builds
with the store: the compact adjacency (a breadth-first step is a few numpy slices of
memory-mapped arrays), the metrics computed at build, the SQLite search index. Without
the artifacts (a store built without them) every step is bounded SPARQL. With Findings as
nodes, which the adjacency leaves out, the steps are SPARQL, but what the network alone
decides (a ring its nodes fill, the edges among them) still comes from the adjacency, so
that a hub's findings are not read. Only the nodes a query returns have their attributes
read, in one query.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import networkx as nx
from exokg.bounds import SEARCH_MAX
from exokg.curie import compact_iri
from exokg.display import TEXT_SHOWN, clip, suggested
from exokg.errors import ExoKGError, FindingNotNode, InvalidQuery, NodeNotFound, StoreChanged
from exokg.graph_source import REACH_ROWS, NoMetrics, Selector
from exokg.labels import preferred_label
from exokg.network import (
    EDGE_NAMESPACES,
    FINDING,
    VALUE_KINDS,
    compress,
    expand,
    is_edge_predicate,
    is_excluded,
    kind_rank,
    node_attributes,
    node_class,
    one_named,
    project_triples,
)
from exokg.pages import chunks, is_iri
from exokg.sparql.results import Results
from exokg.vocab import EXO, PROV, RDF, RDFS, SKOS
from rdflib import Literal, URIRef

__all__ = ["ATTRIBUTE_UNION_MAX", "INDEX_ARTIFACT", "PROMINENCE_COUNTED", "StoreSource",
           "attribute_query", "index_folder"]

logger = logging.getLogger(__name__)

#: The name the store's artifact of :mod:`exokg.index` is registered under.
INDEX_ARTIFACT = "index"
#: Candidates whose neighbours a SPARQL step counts exactly (beyond: see _network_prominence).
PROMINENCE_COUNTED = 2000
#: A frontier of at most this many rows is read by slices (:func:`_row_slices`).
_SLICED_ROWS = 64
#: Tied nodes whose labels are read to order a ranking's last place (beyond: by IRI).
_TIE_LABELS = 2000
_NAME_PREDICATES = (RDFS.label, SKOS.altLabel, EXO.xref)
_NAME_STRINGS = frozenset(map(str, _NAME_PREDICATES))
_ATTRIBUTE_PREDICATES = (RDF.type, SKOS.exactMatch, SKOS.closeMatch)


def _iri(text: str) -> str:
    """``<text>`` for a SPARQL query; refuses what is not an IRI (no injection)."""
    if not is_iri(text):
        raise InvalidQuery(f"not an IRI: {text!r}")
    return f"<{text}>"


def _string(text: str) -> str:
    """A SPARQL string literal of ``text``."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def _values(var: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(_iri(i) for i in iris)} }}"


#: Above this many literal properties, :func:`attribute_query` scans the nodes' statements.
ATTRIBUTE_UNION_MAX = 200


def attribute_query(nodes: Sequence[str], literal_properties: Sequence[str] | None) -> str:
    """The query of the nodes' attributes: their literals, types and match links.

    Given the store's ``literal_properties`` (the properties with a literal object
    anywhere), one ``UNION`` branch per property: Oxigraph then reads each node's
    statements of that property by index, so a hub's attributes cost what they return.
    Otherwise (a store counted before these statistics, or too many properties) every
    statement of the nodes is read and filtered (also when a property's IRI could not be
    written in a query): a molecule cited by 76,000 studies took 235 ms at 10^6
    findings, against 1.1 ms.

    >>> q = attribute_query(["https://w3id.org/exokg/id/content/mir-21"],
    ...                     ["http://www.w3.org/2000/01/rdf-schema#label"])
    >>> "UNION" in q and "rdf-schema#label> ?o BIND" in q
    True
    """
    attributes = [str(p) for p in _ATTRIBUTE_PREDICATES]
    tests = " || ".join(f"?p = <{p}>" for p in attributes)
    if literal_properties is not None:
        # only the literals a network node keeps: twenty 5 MB comments made every query
        # naming the node (its search hit, its neighbourhood) past the answer's byte bound
        literal_properties = [p for p in literal_properties if _kept_literal(p)]
    if literal_properties is None or len(literal_properties) > ATTRIBUTE_UNION_MAX \
            or not all(map(is_iri, literal_properties)):
        kept = " || ".join([f'STRSTARTS(STR(?p), "{ns}")' for ns in EDGE_NAMESPACES]
                           + [f"?p = <{p}>" for p in _NAME_PREDICATES])
        return (f"SELECT ?n ?p ?o {{ {_values('n', nodes)} ?n ?p ?o "
                f"FILTER(isLiteral(?o) && ({kept}) || {tests}) }}")
    # the filter outside the branches: Virtuoso 7's compiler fails on one inside a
    # branch that also binds ("sparp_gp_deprecate(): equiv replaces filter")
    branches = " UNION ".join(f"{{ ?n {_iri(p)} ?o BIND({_iri(p)} AS ?p) }}"
                              for p in sorted(set(literal_properties) | set(attributes)))
    return (f"SELECT ?n ?p ?o {{ {_values('n', nodes)} {branches} "
            f"FILTER(isLiteral(?o) || {tests}) }}")


def _kept_literal(predicate: str) -> bool:
    """Whether a network node keeps its literals of ``predicate`` (its names, and those of
    the vocabulary: :func:`exokg.network.project_triples`).

    >>> _kept_literal(str(RDFS.label)), _kept_literal(str(RDFS.comment))
    (True, False)
    """
    return predicate.startswith(EDGE_NAMESPACES) or predicate in _NAME_STRINGS


def _edge_filter(var: str, predicates: frozenset[str] | None) -> str:
    if predicates is not None:
        return _values(var, sorted(expand(p) for p in predicates))
    tests = [f'STRSTARTS(STR(?{var}), {_string(ns)})' for ns in EDGE_NAMESPACES]
    tests.append(f"?{var} = <{PROV.wasDerivedFrom}>")
    return f"FILTER({' || '.join(tests)})"


class StoreSource:
    """A source over the store: bounded SPARQL through ``selector`` and, when given, the
    artifacts built with the store (``artifacts``: the folder :mod:`exokg.index` wrote).

    The compact adjacency holds the network without Findings; with ``findings=True``
    the steps are SPARQL (see the module docs). Every SPARQL read is capped at
    ``max_rows`` rows.
    """

    def __init__(self, selector: Selector, *, findings: bool = False,
                 artifacts: Path | None = None, max_rows: int = REACH_ROWS) -> None:
        self.selector = selector
        self.findings = findings
        self.artifacts = artifacts
        self.max_rows = max_rows
        # the properties with a literal object somewhere in the store (the build's
        # statistics; None for a store counted before they were)
        stats = getattr(getattr(selector, "info", None), "stats", None) or {}
        self.literal_properties: list[str] | None = stats.get("literal_properties")
        self._ids: dict[str, int | None] = {}  # IRI -> adjacency id, of nodes seen
        self._kinds: dict[str, str] = {}  # IRI -> kind, of the nodes SPARQL steps reached

    # --- artifacts

    @property
    def adjacency(self) -> Any:
        """The compact adjacency (``None`` without artifacts or with Findings as nodes)."""
        if self.findings or self.artifacts is None:
            return None
        return _adjacency_at(self.artifacts)

    def _id(self, iri: str) -> int | None:
        """The adjacency id of ``iri``: remembered from this source's own steps, else
        found by bisection."""
        node = self._ids.get(iri)
        if node is None:
            node = self._ids[iri] = self.adjacency.node_id(iri)
        return node

    def _select(self, query: str, max_rows: int | None = None) -> Results:
        return self.selector.select(query, max_rows=max_rows or self.max_rows)

    # --- resolve

    def resolve(self, name: str) -> str:
        text = (name or "").strip()
        if not text:
            raise NodeNotFound("no node given", suggestions=[])
        iri = expand(text)
        if is_iri(iri) and self._is_node(iri):
            return iri
        if is_iri(iri) and not self.findings and self._select(
                f"ASK {{ {_iri(iri)} a <{FINDING}> }}").boolean:
            raise FindingNotNode(f"{text!r} is a finding: the graph queries leave findings "
                                 "out unless asked with findings=true")
        found = self._by_name(text)
        if found:
            return found
        names = self._suggest(text)
        message = f"no node named {clip(text, TEXT_SHOWN)!r}"
        if names:
            message += "; did you mean: " + ", ".join(names)
        raise NodeNotFound(message, suggestions=names)

    def _is_node(self, iri: str) -> bool:
        adj = self.adjacency
        if adj is not None:
            return self._id(iri) is not None
        rows = self._select(f"SELECT ?t {{ {_iri(iri)} a ?t }}", 100).rows
        types = [str(r[0]) for r in rows if r[0] is not None]
        if types:
            return not is_excluded(types, findings=self.findings)
        return iri in VALUE_KINDS  # an untyped value individual (exo:Biomarker)

    def _by_name(self, text: str) -> str | None:
        """An exact (case-insensitive) label, alternative label, CURIE or identifier;
        with the search index also its normalised spellings (``MIR21``, ``miR21``)."""
        folded = text.lower()
        if self.artifacts is not None:
            # a text past SEARCH_MAX is no name the index holds (nor a finding's label)
            best = _named(self.artifacts, text) if len(text) <= SEARCH_MAX else None
            if best is not None or not self.findings:
                return best
            # a finding (not in the index) by its label as written: a look-up of that
            # literal, where the case-blind comparison below reads every name there is
            names = " UNION ".join(f"{{ ?n <{p}> {_string(text)} }}" for p in _NAME_PREDICATES)
            where = f"{names} OPTIONAL {{ ?n a ?t }}"
        else:
            values = " ".join(f"<{p}>" for p in _NAME_PREDICATES)
            where = (f"VALUES ?p {{ {values} }} ?n ?p ?l "
                     f"FILTER(LCASE(STR(?l)) = {_string(folded)}) OPTIONAL {{ ?n a ?t }}")
        rows = self._select(f"SELECT ?n ?t {{ {where} }}", 1000).rows
        types: dict[str, list[str]] = defaultdict(list)
        for n, t in rows:
            if isinstance(n, URIRef):
                types[str(n)].extend([str(t)] if t is not None else [])
        nodes = [n for n, ts in types.items() if not is_excluded(ts, findings=self.findings)]
        if not nodes:
            return None
        return one_named(text, [(n, node_class(n, types[n])[1]) for n in nodes])

    def _suggest(self, text: str) -> list[str]:
        """Up to five names close to ``text``: of the longest prefix of it that names
        something (the search index), else of labels starting like it (SPARQL); of an
        IRI or a CURIE, those close to its last part (``.../content/mir-21x``: ``mir-21x``)."""
        names: list[str] = []
        if "://" in text or expand(text) != text:
            text = re.split(r"[/#:]", text.rstrip("/#"))[-1].strip() or text
        # from its first letter or digit ("((miR-21": a prefix of punctuation finds
        # nothing, though the text does), as a search reads at most
        text = (re.sub(r"^\W+", "", text) or text)[:SEARCH_MAX]
        folder = self.artifacts
        if folder is not None:
            from exokg import index

            hits = _longest_prefix_hits(
                text, lambda prefix: index.search(folder, prefix, limit=20))
            names = [suggested(h.label, h.curie) for h in hits]
        else:
            prefix = text[:max(3, len(text) * 2 // 3)].lower()
            rows = self._select(
                f"SELECT DISTINCT ?l ?n {{ ?n <{RDFS.label}> ?l "
                f"FILTER(STRSTARTS(LCASE(STR(?l)), {_string(prefix)})) }} LIMIT 50", 50).rows
            names = [suggested(str(r[0]), compact_iri(str(r[1]))) for r in rows
                     if r[0] is not None]
        close = difflib.get_close_matches(text, names, n=5, cutoff=0.0)
        return list(dict.fromkeys(close))

    # --- steps

    def reach(self, frontier: Collection[str], *, direction: str,
              predicates: frozenset[str] | None, limit: int) -> tuple[dict[str, str], bool]:
        if not frontier:
            return {}, False
        adj = self.adjacency
        if adj is not None:
            return self._reach_adjacency(adj, frontier, direction, predicates, limit)
        cap = min(limit, self.max_rows)
        parts = []
        if direction in ("both", "out"):
            parts.append("{ ?u ?p ?v }")
        if direction in ("both", "in"):
            parts.append("{ ?v ?p ?u }")
        query = (f"SELECT DISTINCT ?v ?t {{ {_values('u', sorted(frontier))} "
                 f"{' UNION '.join(parts)} FILTER(isIRI(?v)) {_edge_filter('p', predicates)} "
                 f"OPTIONAL {{ ?v a ?t }} }}")
        results = self._select(query, cap * 4)
        types: dict[str, list[str]] = defaultdict(list)
        for v, t in results.rows:
            types[str(v)].extend([str(t)] if t is not None else [])
        out = {v: node_class(v, ts)[1] for v, ts in types.items()
               if not is_excluded(ts, findings=self.findings)}
        self._kinds.update(out)
        return out, results.truncated

    def _reach_adjacency(self, adj: Any, frontier: Collection[str], direction: str,
                         predicates: frozenset[str] | None,
                         limit: int) -> tuple[dict[str, str], bool]:
        import numpy as np

        ids = np.asarray([i for i in (self._id(u) for u in frontier) if i is not None],
                         dtype=np.int64)
        reached, cut = self._reach_ids(adj, ids, direction, predicates, self.max_rows)
        kinds = _kind_names(adj.kind_names)
        out = {}
        for v, code in zip(reached.tolist(), np.asarray(adj.kinds[reached]).tolist(),
                           strict=True):
            iri = adj.iri(v)
            self._ids[iri] = v
            out[iri] = kinds[code]
        return out, cut

    def node_ids(self, iris: Sequence[str]) -> list[int] | None:
        """The adjacency ids of ``iris``, or ``None`` when the adjacency cannot walk
        them (no artifacts, Findings as nodes, or one of them outside the network)."""
        if self.adjacency is None:
            return None
        ids = [self._id(iri) for iri in iris]
        return None if None in ids else cast(list[int], ids)

    def iris_of(self, ids: Iterable[int]) -> list[str]:
        """The IRIs of adjacency ids (remembered for this source's later steps)."""
        adj, out = self.adjacency, []
        for v in ids:
            iri = adj.iri(v)
            self._ids[iri] = v
            out.append(iri)
        return out

    def reach_array(self, frontier: Any, *, predicates: frozenset[str] | None) -> Any:
        """Every neighbour (either direction) of the adjacency ids ``frontier``, as a
        sorted id array, uncut: a path's walk reads the adjacency's arrays, no rows."""
        return self._reach_ids(self.adjacency, frontier, "both", predicates, None)[0]

    def allowed_ids(self, ids: Any, kinds: frozenset[str] | None) -> Any:
        """Whether each adjacency id of ``ids`` is of one of ``kinds`` (all when ``None``),
        as a boolean array."""
        import numpy as np

        adj = self.adjacency
        return _class_allowed(adj, kinds)[np.asarray(adj.kinds[ids], dtype=np.int64)]

    @staticmethod
    def _reach_ids(adj: Any, ids: Any, direction: str, predicates: frozenset[str] | None,
                   cap: int | None) -> tuple[Any, bool]:
        """The neighbours of adjacency ids ``ids`` (unique, sorted; at most ``cap``, all
        when ``None``) and whether they were cut there."""
        import numpy as np

        codes = None if predicates is None else np.asarray(
            [adj.predicates.index(p) for p in predicates if p in adj.predicates])
        sides = ([(adj.out_indptr, adj.out_indices, adj.out_pred)]
                 if direction in ("both", "out") else []) + \
                ([(adj.in_indptr, adj.in_indices, adj.in_pred)]
                 if direction in ("both", "in") else [])
        found = []
        for indptr, indices, preds in sides:
            if len(ids) <= _SLICED_ROWS:
                targets, kept = _row_slices(indptr, ids, indices, preds)
                if codes is not None:
                    targets = targets[np.isin(kept, codes)]
                found.append(targets)
                continue
            _, pos = _gather(indptr, ids)
            if codes is not None:
                pos = pos[np.isin(preds[pos], codes)]
            found.append(np.asarray(indices[pos]))
        links = np.concatenate(found) if found else np.zeros(0, np.int64)
        if len(links) * 16 < adj.n:  # a molecule's dozen: sorted, nothing as long as the graph
            reached = np.unique(links)
        else:  # a frontier next to a disease reaches 770,000 links at 10^6 findings, which a
            marked = np.zeros(adj.n, dtype=bool)  # sort took 25 ms to make unique, marks 2 ms
            marked[links] = True
            reached = np.flatnonzero(marked)
        cut = cap is not None and len(reached) > cap
        return (reached[:cap] if cut else reached), cut

    def rings(self, center: str, *, depth: int, direction: str,
              predicates: frozenset[str] | None, kinds: frozenset[str] | None,
              limit: int | None) -> tuple[dict[str, int], bool] | None:
        """:func:`exokg.algorithms.neighborhood`'s rings (each node's depth, and whether
        nodes were left out) in integer ids over the adjacency: its rule (each ring's
        unseen neighbours of the allowed kinds, filled best-connected first, then by
        IRI, up to ``limit`` nodes) without a Python object per candidate; only the
        kept nodes become IRIs. With Findings as nodes, only a first ring that the
        network fills (:meth:`_filled_by_network`). ``None`` where the adjacency cannot
        answer (no artifacts, a centre outside the network, Findings as nodes beyond
        that): then the algorithm takes the source's steps."""
        adj = self.adjacency
        if adj is None and self.findings and self.artifacts is not None:
            return self._filled_by_network(center, direction, predicates, kinds, limit)
        first = None if adj is None else self._id(center)
        if first is None:
            return None
        import numpy as np

        allowed = _class_allowed(adj, kinds)
        kept, levels = [np.asarray([first], dtype=np.int64)], [0]
        seen = kept[0]
        frontier = kept[0]
        truncated = False
        for level in range(1, depth + 1):
            reached, cut = self._reach_ids(adj, frontier, direction, predicates,
                                           self.max_rows)
            truncated = truncated or cut
            fresh = reached[~np.isin(reached, seen, assume_unique=True)]
            candidates = fresh[allowed[np.asarray(adj.kinds[fresh], dtype=np.int64)]]
            if not len(candidates):
                break
            room = None if limit is None else limit - len(seen)
            if room is not None and len(candidates) > room:
                truncated = True
                rank = _prominence_of(adj, candidates)
                # best-connected first, then by IRI (ids are in IRI order)
                candidates = np.sort(candidates[np.lexsort((candidates, -rank))[:max(room, 0)]])
            kept.append(candidates)
            levels.append(level)
            seen = np.concatenate([seen, candidates])
            if truncated:
                break
            frontier = candidates
        dist = {}
        for ids, level in zip(kept, levels, strict=True):
            for v in ids.tolist():
                iri = adj.iri(v)
                self._ids[iri] = v
                dist[iri] = level
        return dist, truncated

    def _filled_by_network(self, center: str, direction: str,
                           predicates: frozenset[str] | None, kinds: frozenset[str] | None,
                           limit: int | None) -> tuple[dict[str, int], bool] | None:
        """With Findings as nodes, the first ring of a centre whose neighbours in the
        network alone fill the node cap, read from the adjacency: the rule's answer
        without reading the centre's findings (a hub's tens of thousands).

        Beyond :data:`PROMINENCE_COUNTED` candidates the rule ranks a finding 0 and a
        node of the network by its neighbours there (at least the centre), so the
        findings come after every such node and none is kept. ``None`` (the rule's own
        steps) when the centre is a finding or outside the network, when the network's
        nodes leave room, when all candidates may be few enough to be counted, or when
        they fill it exactly and no finding may be left out. A ring of more than
        ``max_rows`` network nodes is cut there, as without findings."""
        adj = _adjacency_at(self.artifacts)
        first = adj.node_id(center)
        if first is None or limit is None or limit < 2:
            return None
        import numpy as np

        reached, _ = self._reach_ids(adj, np.asarray([first], dtype=np.int64), direction,
                                     predicates, self.max_rows)
        fresh = reached[reached != first]
        candidates = fresh[_class_allowed(adj, kinds)[np.asarray(adj.kinds[fresh],
                                                                  dtype=np.int64)]]
        room = limit - 1
        if len(candidates) < room:
            return None
        if len(candidates) <= PROMINENCE_COUNTED or len(candidates) == room:
            if kinds is not None and "finding" not in kinds:
                return None
            wanted = max(PROMINENCE_COUNTED - len(candidates) + 1, 1)
            if self._findings_next_to(center, direction, predicates, wanted) < wanted:
                return None
        rank = _prominence_of(adj, candidates)
        kept = np.sort(candidates[np.lexsort((candidates, -rank))[:room]])
        return {center: 0, **{adj.iri(v): 1 for v in kept.tolist()}}, True

    def _findings_next_to(self, node: str, direction: str,
                          predicates: frozenset[str] | None, wanted: int) -> int:
        """How many findings are linked to ``node`` (as a step reads links), counting
        up to ``wanted``."""
        parts = ([f"{{ {_iri(node)} ?p ?v }}"] if direction in ("both", "out") else []) + \
                ([f"{{ ?v ?p {_iri(node)} }}"] if direction in ("both", "in") else [])
        rows = self._select(f"SELECT DISTINCT ?v {{ {' UNION '.join(parts)} FILTER(isIRI(?v)) "
                            f"{_edge_filter('p', predicates)} ?v a <{EXO.Finding}> }} "
                            f"LIMIT {wanted}", wanted).rows
        return len(rows)

    def prominence(self, nodes: Collection[str]) -> dict[str, int]:
        if not nodes:
            return {}
        adj = self.adjacency
        if adj is not None:
            return _adjacency_prominence(adj, {n: self._id(n) for n in nodes})
        if len(nodes) > PROMINENCE_COUNTED:
            return self._network_prominence(nodes)
        excluded = "" if self.findings else f"MINUS {{ ?x a <{EXO.Finding}> }}"
        query = (f"SELECT ?v (COUNT(DISTINCT ?o) AS ?out) (COUNT(DISTINCT ?i) AS ?in) {{ "
                 f"{_values('v', sorted(nodes))} "
                 f"{{ ?v ?p ?o FILTER(isIRI(?o)) {_edge_filter('p', None)} BIND(?o AS ?x) }} "
                 f"UNION {{ ?i ?p ?v {_edge_filter('p', None)} BIND(?i AS ?x) }} "
                 f"{excluded} }} GROUP BY ?v")
        out = dict.fromkeys(nodes, 0)
        for v, n_out, n_in in self._select(query, len(nodes) + 1).rows:
            out[str(v)] = int(n_out.toPython()) + int(n_in.toPython())  # type: ignore[union-attr]
        return out

    def _network_prominence(self, nodes: Collection[str]) -> dict[str, int]:
        """Too many candidates to count each one's neighbours in SPARQL (a molecule's
        thousands of findings): the stated approximation is each node's distinct
        neighbours in the network without findings (the adjacency; 0 for a Finding and
        for every node of a store without artifacts), ties by IRI."""
        logger.info("prominence of %d candidates from the network without findings",
                    len(nodes))
        if self.artifacts is None:
            return dict.fromkeys(nodes, 0)
        adj = _adjacency_at(self.artifacts)
        ids = {n: None if self._kinds.get(n) == "Finding" else adj.node_id(n) for n in nodes}
        return _adjacency_prominence(adj, ids)

    def subgraph(self, nodes: Collection[str], *, edges: bool = True) -> nx.MultiDiGraph:
        """The nodes' attributes (one ``VALUES`` query) and, unless ``edges`` is false (a
        list of nodes: search hits, a ranking), the edges among them (the adjacency, or
        one more query), projected as :func:`exokg.network.project` does."""
        nodes = sorted(nodes)
        rows: list[tuple[Any, Any, Any]] = []
        among: list[tuple[str, str, str]] = []
        if nodes:
            # in chunks: one query for 10,000 nodes passed the row cap, and the nodes past
            # it were sent without label or kind
            rows = [(n, p, o) for n, p, o in self._read_chunked(
                        nodes, _ATTRIBUTE_CHUNK,
                        lambda part: attribute_query(part, self.literal_properties))
                    if isinstance(n, URIRef) and p is not None and o is not None]
            if edges:
                among = self.edges_among(nodes)
        # the rows and the adjacency's edges (predicate CURIEs) straight into networkx:
        # no rdflib graph in between, no CURIE expanded to be compacted again
        G = project_triples(rows, findings=self.findings, edges=among)
        for node in nodes:  # an untyped node with no edge left: the projection's attributes
            if node not in G:
                G.add_node(node, **node_attributes(node, (), {}, {}, {}, {}))
        return G

    def edges_among(self, nodes: Collection[str]) -> list[tuple[str, str, str]]:
        adj = self.adjacency
        if adj is not None:
            return _adjacency_edges(adj, {i: n for i, n in ((self._id(n), n) for n in nodes)
                                          if i is not None})
        if self.findings and self.artifacts is not None:
            return self._edges_with_findings(nodes)
        member, edge = set(nodes), _edge_filter("p", None)
        rows = self._read_chunked(sorted(nodes), _EDGE_CHUNK, lambda part: (
            f"SELECT ?s ?p ?o {{ {_values('s', part)} ?s ?p ?o FILTER(isIRI(?o)) {edge} }}"))
        return [(str(s), compress(str(p)), str(o)) for s, p, o in rows
                if str(o) in member and is_edge_predicate(str(p))]

    def _read_chunked(self, items: Sequence[str], size: int,
                      query: Callable[[Sequence[str]], str]) -> list[Any]:
        """The rows of ``query`` over ``items``, ``size`` at a time, well within the row
        cap; a chunk that reaches it anyway is read again in halves, so that no row is
        silently left out (one item past the cap alone is cut there, and logged)."""
        rows: list[Any] = []
        for part in chunks(items, size):
            results = self._select(query(part))
            if results.truncated and len(part) > 1:
                rows += self._read_chunked(part, (len(part) + 1) // 2, query)
                continue
            if results.truncated:
                logger.warning("the statements of %s pass %d rows: cut", part[0],
                               self.max_rows)
            rows += results.rows
        return rows

    def _edges_with_findings(self, nodes: Collection[str]) -> list[tuple[str, str, str]]:
        """The edges among ``nodes`` with Findings as nodes: those between nodes of the
        network from the adjacency; those of the others (findings, values such as
        exo:Up) by SPARQL from their own side, so that a hub's thousands of statements
        are not read to find the few among ``nodes``. Links into the others are read
        for the findings only: a node linked to the network is in it (the adjacency
        takes either end of an edge), and exo:Up has a hundred thousand links."""
        adj = _adjacency_at(self.artifacts)
        ids = {n: adj.node_id(n) for n in nodes}
        edges = _adjacency_edges(adj, {i: n for n, i in ids.items() if i is not None})
        rest = sorted(n for n, i in ids.items() if i is None)
        if not rest:
            return edges
        member, edge = set(nodes), _edge_filter("p", None)
        read = self._read_chunked  # (a finding has a few dozen links)
        found = {(str(s), str(p), str(o)) for s, p, o in read(
            rest, _EDGE_CHUNK, lambda part: f"SELECT ?n ?p ?o {{ {_values('n', part)} ?n ?p ?o "
                                            f"FILTER(isIRI(?o)) {edge} }}")}
        findings = [str(n) for (n,) in read(
            rest, _EDGE_CHUNK,
            lambda part: f"SELECT ?n {{ {_values('n', part)} ?n a <{EXO.Finding}> }}")]
        found.update((str(s), str(p), str(o)) for s, p, o in read(
            findings, _EDGE_CHUNK,
            lambda part: f"SELECT ?s ?p ?n {{ {_values('n', part)} ?s ?p ?n {edge} }}"))
        edges += [(s, compress(p), o) for s, p, o in sorted(found)
                  if s in member and o in member and is_edge_predicate(p)]
        return edges

    # --- rank and search

    def top(self, metric: str, kinds: frozenset[str] | None,
            limit: int) -> list[tuple[str, float]]:
        import numpy as np

        adj, metrics = self.adjacency, self._load_metrics()
        if adj is None or metrics is None:
            raise NoMetrics("rankings are computed when the store is built, and this store "
                            "has no metrics; rebuild it with this version of exokg")
        allowed = _class_allowed(adj, kinds)
        codes = [i for i, kind in enumerate(_kind_names(adj.kind_names))
                 if kind != "Finding" and allowed[i]]
        # each class's best, ranked at build: what is read grows with ``limit``, not with
        # the class (sorting the 500,000 microRNAs at 10^6 findings took 20 ms a request)
        candidates = np.sort(np.concatenate(
            [metrics.best(metric, c, max(limit, _TIE_LABELS)) for c in codes]
            or [np.zeros(0, dtype=np.int64)]))
        if not len(candidates):
            return []
        # the candidates' scores only: the whole array as float64 was a copy of every
        # node's score a request (1.2 M at 10^6 findings)
        values = np.asarray(metrics.get(metric)[candidates], dtype=np.float64)
        order = np.argsort(-values, kind="stable")
        if len(order) > limit:
            cutoff = values[order[limit - 1]]
            # the ties at the last place are ordered by label, as over a projection;
            # beyond _TIE_LABELS of them, the first by IRI (ids are in IRI order)
            order = order[values[order] >= cutoff][:max(limit, _TIE_LABELS)]
        chosen = candidates[order]
        if metric in ("pagerank", "betweenness"):
            values = np.round(values, 8)
        counts = metric in ("degree", "studies")  # whole numbers, as networkx gives them
        scores = [int(v) if counts else float(v) for v in values[order].tolist()]
        iris = [adj.iri(i) for i in chosen.tolist()]
        self._ids.update(zip(iris, chosen.tolist(), strict=True))  # for the subgraph's edges
        # labels order equal scores only: a score no other node has needs none (PageRank's
        # top twenty, as a rule)
        tied = Counter(scores)
        labels = self._labels([n for n, s in zip(iris, scores, strict=True) if tied[s] > 1],
                              max_rows=4 * len(iris))
        rows = sorted((-s, labels.get(n, ""), n) for n, s in zip(iris, scores, strict=True))
        return [(n, -s) for s, _, n in rows[:limit]]

    def _load_metrics(self) -> Any:
        return None if self.artifacts is None else _metrics_at(self.artifacts)

    def _labels(self, iris: Sequence[str], max_rows: int | None = None) -> dict[str, str]:
        if not iris:
            return {}
        rows = self._select(f"SELECT ?n ?l {{ {_values('n', iris)} ?n <{RDFS.label}> ?l }}",
                            max_rows or len(iris) * 4).rows
        labels: dict[str, list[str]] = defaultdict(list)
        for n, label in rows:
            labels[str(n)].append(str(label))
        return {n: cast(str, preferred_label(values)) for n, values in labels.items()}

    def search(self, q: str, kinds: frozenset[str] | None,
               limit: int) -> list[tuple[str, int, dict[str, Any]]]:
        if self.artifacts is not None:
            from exokg.index import search

            hits = search(self.artifacts, q, types=sorted(kinds) if kinds else None,
                          limit=limit)
            return [(h.iri, h.score, {"field": h.field, "matched": h.matched}) for h in hits]
        from exokg.algorithms import match_score

        text = q.strip().lower()
        values = " ".join(f"<{p}>" for p in _NAME_PREDICATES)
        rows = self._select(
            f"SELECT ?n ?p ?l ?t {{ VALUES ?p {{ {values} }} ?n ?p ?l "
            f"FILTER(CONTAINS(LCASE(STR(?l)), {_string(text)})) OPTIONAL {{ ?n a ?t }} }}",
            self.max_rows).rows
        matched: dict[str, set[str]] = defaultdict(set)  # the labels that matched
        others: dict[str, list[str]] = defaultdict(list)
        types: dict[str, list[str]] = defaultdict(list)
        for n, p, name, t in rows:
            node = str(n)
            if p == RDFS.label and isinstance(name, Literal):
                matched[node].add(str(name))
            elif name is not None:
                others[node].append(str(name).lower())
            types[node].extend([str(t)] if t is not None else [])
        scored = []
        for node in others.keys() | matched.keys():
            kind = node_class(node, types[node])[1]
            if is_excluded(types[node], findings=False) or \
                    (kinds is not None and kind.lower() not in kinds):
                continue
            # of the labels that matched, the least as the label, the rest as other names
            label = (preferred_label(matched[node]) or "").lower()
            others[node] += [m.lower() for m in matched[node] if m.lower() != label]
            score = match_score(text, label, [*others[node], compress(node).lower()])
            if score:
                scored.append((-score, len(label), label, node))
        scored.sort()
        return [(node, -score, {}) for score, _, _, node in scored[:limit]]


def _class_allowed(adj: Any, kinds: frozenset[str] | None) -> Any:
    """Per class code of the adjacency, whether its nodes are of one of ``kinds`` (all
    when ``None``)."""
    import numpy as np

    return np.asarray([kinds is None or kind.lower() in kinds
                       for kind in _kind_names(adj.kind_names)] or [True], dtype=bool)


@functools.lru_cache(maxsize=8)
def _kind_names(classes: tuple[str, ...]) -> list[str]:
    """The kinds of the adjacency's class CURIEs, by code."""
    from exokg.index.adjacency import kind_name

    return [kind_name(c) for c in classes]


def _longest_prefix_hits(text: str, search: Callable[[str], list[Any]]) -> list[Any]:
    """The ``search`` hits of the longest prefix of ``text`` (two characters or more)
    that finds any: a prefix of a text that finds something finds something too (from a
    letter or a digit on), so it is searched for by halves (nine searches for 500
    characters; one per length cost a 32,000-character name 32,000 searches).

    >>> asked = []
    >>> def search(q):
    ...     asked.append(q)
    ...     return [q] if "mir-21".startswith(q) else []
    >>> _longest_prefix_hits("mir-21x-long-tail", search), len(asked)
    (['mir-21'], 4)
    """
    best: list[Any] = []
    low, high = 2, len(text)  # the longest that finds is from ``low`` to ``high``
    while low <= high:
        cut = (low + high) // 2
        hits = search(text[:cut])
        if hits:
            best, low = hits, cut + 1
        else:
            high = cut - 1
    return best


@functools.lru_cache(maxsize=4096)  # names users ask for again: the index is immutable
def _named(folder: Path, text: str) -> str | None:
    """The node the search index of ``folder`` names ``text`` exactly (a label,
    alternative label, CURIE or identifier, or a normalised spelling of one)."""
    from exokg.index import search

    folded = text.lower()
    hits = [h for h in search(folder, text, limit=50) if h.score >= 75]
    exact = [(h.iri, h.kind) for h in hits
             if h.matched.lower() == folded or h.curie.lower() == folded]
    if exact:  # two of one kind: ambiguous (exokg.network.one_named)
        return one_named(text, exact)
    if not hits:
        return None
    return min(hits, key=lambda h: (-h.score, kind_rank(h.kind), h.iri)).iri


@functools.lru_cache(maxsize=2)  # a worker serves one data version (two while it changes)
def _adjacency_at(folder: Path) -> Any:
    from exokg.index import load_adjacency

    return _artifact(load_adjacency, folder, "adjacency")


@functools.lru_cache(maxsize=2)
def _metrics_at(folder: Path) -> Any:
    from exokg.index import load_metrics

    return _artifact(load_metrics, folder, "metrics")


def _artifact(load: Callable[[Path], Any], folder: Path, name: str) -> Any:
    """``load(folder)``; a file of it gone or unreadable since the store was checked is
    :class:`~exokg.errors.StoreChanged` (a 503 naming the artifact; the loader's
    message, which holds the full path, is logged, not sent), not a 500."""
    try:
        return load(folder)
    except ExoKGError as err:
        raise StoreChanged.of_file(folder / name, "cannot be read", detail=str(err)) from None


def index_folder(info: Any) -> Path | None:
    """The folder of the artifacts :mod:`exokg.index` built with a store (its
    :class:`~exokg.store.StoreInfo`), or ``None`` when the store has none (then the
    graph queries read the store through SPARQL only, and rankings are unavailable).

    Raises
    ------
    StoreChanged
        when the store was built with them and they are gone (its folder moved or
        removed since): read through SPARQL alone, answers would differ silently.
    """
    artifact_dir = getattr(info, "artifact_dir", None)
    if artifact_dir is None or INDEX_ARTIFACT not in (getattr(info, "artifacts", None) or ()):
        return None
    folder = Path(artifact_dir(INDEX_ARTIFACT))
    if not folder.is_dir():
        raise StoreChanged.of(f"the store's artifact {INDEX_ARTIFACT!r} is gone")
    return folder


#: Nodes whose links one query reads (:meth:`StoreSource.edges_among`).
_EDGE_CHUNK = 500
#: Nodes whose attributes one query reads (a node has a few dozen at most, well within
#: the row cap; a chunk that passes it is read again in halves).
_ATTRIBUTE_CHUNK = 500

def _adjacency_edges(adj: Any, ids: dict[int, str]) -> list[tuple[str, str, str]]:
    """The adjacency's edges among the nodes of ``ids`` (adjacency id -> IRI), as
    ``(source, predicate CURIE, target)`` in the out-edges' order (source, target,
    predicate ids).

    Each edge among them is in its source's out-row and in its target's in-row: the side
    with fewer entries is read (twenty top-ranked molecules have 10^5 out-edges at 10^6
    findings, and few in-edges)."""
    import numpy as np

    keys = np.asarray(sorted(ids), dtype=np.int64)
    sizes = [int((np.asarray(indptr[keys + 1], dtype=np.int64)
                  - np.asarray(indptr[keys], dtype=np.int64)).sum())
             for indptr in (adj.out_indptr, adj.in_indptr)]
    out = sizes[0] <= sizes[1]
    indptr, indices, pred = ((adj.out_indptr, adj.out_indices, adj.out_pred) if out
                             else (adj.in_indptr, adj.in_indices, adj.in_pred))
    rows, pos = _gather(indptr, keys)
    others = np.asarray(indices[pos])
    member = np.zeros(adj.n, dtype=bool)  # marks: a hub's 10^5 entries are not sorted
    member[keys] = True
    keep = member[others]
    sources, targets = (rows, others) if out else (others, rows)
    sources, targets, preds = sources[keep], targets[keep], np.asarray(pred[pos])[keep]
    order = np.lexsort((preds, targets, sources))
    # ends as positions in ``keys`` and plain lists: a neighbourhood has thousands of
    # edges, and numpy scalars cost a conversion each
    names = [ids[k] for k in keys.tolist()]
    predicates = adj.predicates
    return [(names[u], predicates[p], names[v]) for u, p, v in zip(
        np.searchsorted(keys, sources[order]).tolist(), preds[order].tolist(),
        np.searchsorted(keys, targets[order]).tolist(), strict=True)]


def _row_slices(indptr: Any, rows: Any, *arrays: Any) -> list[Any]:
    """For a few CSR rows, each array's entries of those rows, row after row: their
    slices joined, where :func:`_gather` builds an index as long as the entries (the
    first ring of a molecule next to a disease: 750,000 links at 10^6 findings, in
    3 ms against 8)."""
    import numpy as np

    bounds = list(zip(np.asarray(indptr[rows]).tolist(),
                      np.asarray(indptr[rows + 1]).tolist(), strict=True))
    return [np.concatenate([array[a:b] for a, b in bounds]) if bounds
            else np.asarray(array[:0]) for array in arrays]


def _gather(indptr: Any, rows: Any) -> tuple[Any, Any]:
    """For CSR rows, each entry's row and its position in the CSR arrays."""
    import numpy as np

    starts = np.asarray(indptr[rows], dtype=np.int64)
    counts = np.asarray(indptr[rows + 1], dtype=np.int64) - starts
    row_of = np.repeat(rows, counts)
    offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                   counts)
    return row_of, np.repeat(starts, counts) + offsets


def _adjacency_prominence(adj: Any, ids: dict[str, int | None]) -> dict[str, int]:
    """Distinct out-neighbours plus distinct in-neighbours of each node (0 for a node
    outside the adjacency)."""
    import numpy as np

    keys = np.asarray(sorted({i for i in ids.values() if i is not None}), dtype=np.int64)
    counts = dict(zip(keys.tolist(), _prominence_of(adj, keys).tolist(), strict=True))
    return {n: counts[i] if i is not None else 0 for n, i in ids.items()}


def _prominence_of(adj: Any, keys: Any) -> Any:
    """Distinct out-neighbours plus distinct in-neighbours of each adjacency id of
    ``keys``, as an array in the order of ``keys`` (counted once, with the adjacency)."""
    import numpy as np

    return np.asarray(adj.prominence[keys], dtype=np.int64)
