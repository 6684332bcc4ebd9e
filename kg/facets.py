"""The facets artifact: per-entity evidence, counts and links, computed once with the store.

An entity page must not count a hub's 10^4 findings at request time, so
:func:`build_facets` (an artifact builder run inside the store build) reads every
finding once, in batches, and writes, into ``facets.sqlite``:

* ``evidence``: per node, :func:`exokg.evidence.summarize` of the findings naming it
  (``via = 'any'``, the entity page's) and of those with it as ``exo:content``
  (``via = 'content'``, ``/api/evidence``'s, with :func:`exokg.evidence.group_by_disease_role`);
* ``facet``: per node, findings counted by table, disease, direction, sample and study;
* ``incoming``: per node, links from anything but a finding, per predicate;
* ``conflict``: the molecules whose studies disagree (``/api/conflicts``);
* ``stats``: the home page's counts (triples, instances per class, findings per table).

A finding is read from pyoxigraph's terms by :func:`_fast_row`, which gives what the pages'
reader (:func:`exokg.describe.finding_record` and :func:`exokg.describe.finding_row` over an
rdflib graph) gives; a value it does not read the same way (a number not typed as an
integer, a boolean not written ``true``/``false``) sends that finding through
``finding_record`` itself. Creating rdflib terms for every finding triple cost half of the
build.

:class:`Facets` reads it by IRI. The conflict rule is :mod:`exokg.evidence`'s.

>>> import tempfile
>>> from pathlib import Path
>>> from exokg.store import open_store, prepare_store
>>> with tempfile.TemporaryDirectory() as tmp:
...     build_facets(open_store(prepare_store(tmp).path), Path(tmp) / "facets")
...     facets = Facets(Path(tmp) / "facets")
...     mir = facets.node("https://w3id.org/exokg/id/content/mir-638")
...     stats = facets.stats()
>>> mir.count, mir.evidence["conflict"], mir.facets["direction"]
(2, True, [{'key': 'Down', 'label': 'Down', 'count': 1}, {'key': 'Up', 'label': 'Up', 'count': 1}])
>>> stats["tables"]
{1: 38, 2: 13, 3: 10, 4: 3, 5: 2}
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox
from exokg.describe import _local_name, finding_record, finding_row, label_of
from exokg.errors import ArtifactMissing
from exokg.evidence import Finding, group_by_disease_role, summarize
from exokg.pages import (
    _OBJECT_FACTS,
    PAGE_SIZE,
    description_graph,
    finding_page,
    finding_query,
    finding_records,
    incoming_rows,
    iri_term,
    page_number,
)
from exokg.vocab import EXO, RDF, RDFS, SKOS
from rdflib import BNode, Graph, Literal, URIRef

__all__ = ["ARTIFACT", "CONFLICTS_SHOWN", "FACETS_FILE", "FACET_NAMES", "Facets", "NodeFacets",
           "build_facets",
           "evidence_answer", "evidence_node", "node_entry", "store_facets"]

logger = logging.getLogger(__name__)

#: The artifact's name in the store's artifact registry, and its file.
ARTIFACT = "facets"
FACETS_FILE = "facets.sqlite"

#: The facets counted per node, in the order a page shows them.
FACET_NAMES = ("table", "disease", "direction", "sample", "study")

#: Findings read per query while building (bounded memory per query).
_BATCH = 500

#: Values kept per facet of one node (the top ones by count).
_TOP = 25

_SCHEMA = """
CREATE TABLE evidence (node TEXT, via TEXT, count INTEGER, summary TEXT,
                       PRIMARY KEY (node, via)) WITHOUT ROWID;
CREATE TABLE facet (node TEXT, facet TEXT, rank INTEGER, key TEXT, label TEXT,
                    count INTEGER, PRIMARY KEY (node, facet, rank)) WITHOUT ROWID;
CREATE TABLE incoming (node TEXT, predicate TEXT, label TEXT, count INTEGER,
                       PRIMARY KEY (node, predicate)) WITHOUT ROWID;
CREATE TABLE conflict (node TEXT PRIMARY KEY, sort TEXT, entry TEXT) WITHOUT ROWID;
CREATE TABLE stats (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE finding (id INTEGER PRIMARY KEY, iri TEXT);
CREATE TABLE page_order (node TEXT, via TEXT, seq INTEGER, finding INTEGER,
                         PRIMARY KEY (node, via, seq)) WITHOUT ROWID;
"""

_PREFIXES = f"PREFIX exo: <{EXO}>\nPREFIX rdf: <{RDF}>\n" \
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


@dataclass
class NodeFacets:
    """What the artifact holds about one node (count 0 and empty for a node without
    findings)."""

    count: int
    evidence: dict[str, Any]
    facets: dict[str, list[dict[str, Any]]]
    incoming: list[dict[str, Any]]


@dataclass
class _Row:
    """One finding as the builder keeps it: its evidence row and its facet values."""

    finding: Finding
    values: dict[str, list[tuple[str, str]]]
    order: tuple[int, int, str]  # table, row, IRI: the order of a node's pages


def _facet_values(record: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    study = record["study"]
    return {
        "table": [(str(record["table"]), f"Table {record['table']}")] if record["table"] else [],
        "disease": [(record["disease"]["iri"], record["disease"]["label"])]
        if record["disease"] else [],
        "direction": [(record["expression"], record["expression"])]
        if record["expression"] else [],
        "sample": [(s["iri"], s["label"]) for s in record["samples"]],
        "study": [(study["iri"], study["label"])] if study else [],
    }


def _solutions(store: ox.Store, query: str) -> ox.QuerySolutions:
    """A SELECT's solutions, straight from the store (the build runs before any service)."""
    answer = store.query(query)
    assert isinstance(answer, ox.QuerySolutions), query
    return answer


class _TripleIndex:
    """The reads :func:`exokg.describe.finding_record` makes of a graph (``value``,
    ``objects``, ``predicate_objects``), over a batch of pyoxigraph triples.

    The builder reads every finding of the store; an rdflib graph per batch (N-Triples
    parsed into its memory store) cost three quarters of the build.
    """

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self._spo: dict[Any, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        terms: dict[Any, Any] = {}

        def term(t: Any) -> Any:
            hit = terms.get(t)
            if hit is None:
                hit = terms[t] = _rdflib_term(t)
            return hit

        for t in triples:
            objects = self._spo[term(t.subject)][term(t.predicate)]
            obj = term(t.object)
            if obj not in objects:
                objects.append(obj)

    def value(self, subject: Any, predicate: Any) -> Any:
        found = self._spo.get(subject, {}).get(predicate)
        return found[0] if found else None

    def objects(self, subject: Any, predicate: Any) -> Iterator[Any]:
        return iter(self._spo.get(subject, {}).get(predicate, ()))

    def predicate_objects(self, subject: Any) -> Iterator[tuple[Any, Any]]:
        for predicate, objects in self._spo.get(subject, {}).items():
            for obj in objects:
                yield predicate, obj


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _rdflib_term(t: Any) -> Any:
    """A pyoxigraph term as rdflib reads it from N-Triples (``xsd:string`` literals plain)."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        if t.datatype.value == _XSD_STRING:
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value))
    return BNode(t.value)


def _finding_triples(store: ox.Store, batch: list[str],
                     facts: dict[Any, list[ox.Triple]]) -> list[ox.Triple]:
    """What :func:`exokg.pages.finding_query` answers for ``batch``, in two queries: the
    findings' own triples, then the facts (labels, a study's number) of the objects not
    seen in an earlier batch (``facts``, filled here). One query with an ``OPTIONAL`` over
    the objects scanned the store per batch (two thirds of the build)."""
    own: list[Any]
    if isinstance(store, ox.Store):
        # the index read directly (the same subject-ordered rows a CONSTRUCT gives, a
        # third cheaper than the query)
        default = ox.DefaultGraph()
        own = [q for f in batch
               for q in store.quads_for_pattern(ox.NamedNode(f), None, None, default)]
    else:  # a remote store's adapter (exokg.sparql.remote_index) answers queries only
        own = list(cast(Any, store.query(
            _PREFIXES + "CONSTRUCT { ?f ?p ?o } WHERE { VALUES ?f { "
            + " ".join(iri_term(f) for f in batch) + " } ?f ?p ?o }")))
    objects = {t.object for t in own if not isinstance(t.object, ox.Literal)}
    if any(isinstance(o, ox.BlankNode) for o in objects):
        # a blank node cannot be named in a second query: the one query for this batch
        return list(cast(Any, store.query(finding_query(batch))))
    new = [o for o in objects if o not in facts]
    for start in range(0, len(new), _BATCH):
        chunk = new[start:start + _BATCH]
        for o in chunk:
            facts[o] = []
        values = " ".join(str(o) for o in chunk)
        for t in cast(Any, store.query(
                _PREFIXES + f"PREFIX skos: <{SKOS}>\nCONSTRUCT {{ ?o ?q ?v }} WHERE {{ "
                f"VALUES ?o {{ {values} }} ?o ?q ?v FILTER(?q IN {_OBJECT_FACTS}) }}")):
            facts[t.subject].append(t)
    return own + [t for o in objects for t in facts[o]]


_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Datatypes whose lexical form rdflib reads as a Python ``int`` (what ``finding_record``'s
#: numbers are); anything else takes the rdflib path.
_INTEGER_TYPES = frozenset(_XSD + t for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte"))
_BOOLEAN = _XSD + "boolean"
_LABELS = (str(RDFS.label), str(SKOS.prefLabel))  # describe.label_of's order
_P = {name: str(EXO[name]) for name in (
    "citedIn", "refNumber", "retracted", "expression", "sourceTable", "sourceRow",
    "content", "disease", "sample", "sampleSize", "role")}
_RDF_TYPE = str(RDF.type)


class _Odd(Exception):
    """A value the fast reader does not interpret the way rdflib would: the finding is read
    through :func:`exokg.describe.finding_record` instead."""


class _FastIndex:
    """A batch's triples by subject and predicate IRI (pyoxigraph terms, no rdflib terms:
    creating those cost half the build), in the order the store gives them."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.spo: dict[Any, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            objects = self.spo[t.subject][t.predicate.value]
            if t.object not in objects:
                objects.append(t.object)

    def value(self, subject: Any, predicate: str) -> Any:
        found = self.spo.get(subject, {}).get(predicate)
        return found[0] if found else None

    def objects(self, subject: Any, predicate: str) -> list[Any]:
        return self.spo.get(subject, {}).get(predicate, [])

    def label(self, node: Any) -> str:
        """:func:`exokg.describe.label_of`."""
        if isinstance(node, ox.Literal):
            return str(node.value)
        for predicate in _LABELS:
            value = self.value(node, predicate)
            if value is not None:
                return str(value.value)
        return _local_name(node.value)

    def ref(self, node: Any) -> tuple[str, str] | None:
        return None if node is None else (str(node.value), self.label(node))

    def refs(self, subject: Any, predicate: str) -> list[tuple[str, str]]:
        # describe._refs: sorted by lower-cased label, stable over the store's order
        return sorted(((str(n.value), self.label(n)) for n in self.objects(subject, predicate)),
                      key=lambda r: r[1].lower())


def _fast_int(value: Any) -> int | None:
    """``describe._int`` for the literals it meets in practice."""
    if value is None or isinstance(value, ox.NamedNode):
        return None
    if not isinstance(value, ox.Literal) or value.datatype.value not in _INTEGER_TYPES:
        raise _Odd
    text = value.value.strip()
    if not text.lstrip("+-").isdigit():
        raise _Odd
    return int(text)


def _fast_bool(value: Any) -> bool | None:
    """``describe._bool`` for canonical booleans."""
    if not isinstance(value, ox.Literal):
        return None
    if value.datatype.value != _BOOLEAN or value.value not in ("true", "false"):
        raise _Odd
    return value.value == "true"


def _fast_row(index: _FastIndex, f: str) -> tuple[_Row, list[str]]:
    """What :func:`finding_record` + :func:`finding_row` + :func:`_facet_values` give for
    finding ``f`` (and its ``exo:content`` IRIs), read from the batch's terms.

    Raises
    ------
    _Odd
        for a value it does not read as rdflib would (the caller takes the rdflib path).
    """
    node = ox.NamedNode(f)
    study = index.value(node, _P["citedIn"])
    study_ref = index.ref(study)
    number = _fast_int(index.value(study, _P["refNumber"])) if study is not None else None
    expression = index.value(node, _P["expression"])
    direction = None if expression is None else (
        str(expression.value) if isinstance(expression, ox.Literal)
        else _local_name(expression.value))
    table = _fast_int(index.value(node, _P["sourceTable"]))
    row = _fast_int(index.value(node, _P["sourceRow"]))
    contents = index.refs(node, _P["content"])
    disease = index.ref(index.value(node, _P["disease"]))
    samples = index.refs(node, _P["sample"])
    finding = Finding(
        f, molecules=tuple(contents), diseases=(disease[1],) if disease else (),
        directions=(direction,) if direction else (),
        study=study_ref[0] if study_ref else None, ref_number=number,
        sample_size=_fast_int(index.value(node, _P["sampleSize"])), table=table,
        roles=tuple(label for _, label in index.refs(node, _P["role"])),
        retracted=any([_fast_bool(o) for o in index.objects(node, _P["retracted"])]))
    values = {
        "table": [(str(table), f"Table {table}")] if table else [],
        "disease": [disease] if disease else [],
        "direction": [(direction, direction)] if direction else [],
        "sample": samples,
        "study": [study_ref] if study_ref else [],
    }
    return _Row(finding, values, (table or 0, row or 0, f)), [iri for iri, _ in contents]


def _rdflib_row(graph: Graph, f: str) -> tuple[_Row, list[str]]:
    """:func:`_fast_row` through :func:`exokg.describe.finding_record` (any value)."""
    record = finding_record(graph, URIRef(f))
    return (_Row(finding_row(record), _facet_values(record),
                 (record["table"] or 0, record["row"] or 0, f)),
            [ref["iri"] for ref in record["contents"]])


def _read_findings(store: ox.Store) -> tuple[list[_Row], dict[str, list[int]],
                                             dict[str, list[int]]]:
    """Every finding, and which findings name each node (any link; ``exo:content``)."""
    ids = [sol[0].value for sol in _solutions(store,
        _PREFIXES + "SELECT ?f WHERE { ?f a exo:Finding } ORDER BY ?f")]
    rows: list[_Row] = []
    facts: dict[Any, list[ox.Triple]] = {}
    naming: dict[str, list[int]] = defaultdict(list)
    content: dict[str, list[int]] = defaultdict(list)
    slow = 0
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        triples = _finding_triples(store, batch, facts)
        index = _FastIndex(triples)
        graph: Graph | None = None
        for f in batch:
            try:
                row, contents = _fast_row(index, f)
            except _Odd:
                slow += 1
                if graph is None:  # finding_record reads only what the index answers
                    graph = cast(Graph, _TripleIndex(triples))
                row, contents = _rdflib_row(graph, f)
            number = len(rows)
            rows.append(row)
            named = {str(o.value) for p, objects in index.spo.get(ox.NamedNode(f), {}).items()
                     if p != _RDF_TYPE for o in objects if isinstance(o, ox.NamedNode)}
            for node in sorted(named):
                naming[node].append(number)
            for iri in contents:
                content[iri].append(number)
    if slow:
        logger.info("%d findings read through rdflib (values outside the fast reader's)", slow)
    return rows, naming, content


def _sorted_rows(rows: list[_Row], indexes: list[int]) -> list[Finding]:
    # the order of findings_about: table, row, IRI (summaries do not depend on it, but
    # the conflicts' study lists are built in this order)
    return [rows[i].finding for i in indexes]


def _facets(rows: list[_Row], indexes: list[int]) -> list[tuple[str, int, str, str, int]]:
    out = []
    for name in FACET_NAMES:
        counts: Counter[str] = Counter()
        labels: dict[str, str] = {}
        for i in indexes:
            for key, label in rows[i].values[name]:
                counts[key] += 1
                labels[key] = label
        top = sorted(counts.items(), key=lambda kv: (-kv[1], labels[kv[0]].lower(), kv[0]))
        for rank, (key, n) in enumerate(top[:_TOP]):
            out.append((name, rank, key, labels[key], n))
    return out


def node_entry(node: str, label: str, types: list[str], alt_labels: list[str],
               xrefs: list[str]) -> dict[str, Any]:
    """A node as ``/api/evidence`` and ``/api/conflicts`` name it: ``id label curie class
    kind`` (its most specific class), ``alt_labels`` and ``xrefs`` when it has some."""
    from exokg.curie import compact_iri
    from exokg.network import _most_specific

    cls = _most_specific(types)
    entry: dict[str, Any] = {"id": node, "label": label, "curie": compact_iri(node),
                             "class": compact_iri(cls) if cls else "",
                             "kind": cls.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if cls else ""}
    names = sorted({a for a in alt_labels if a != label})
    if names:
        entry["alt_labels"] = names
    if xrefs:
        entry["xrefs"] = sorted(set(xrefs))
    return entry


def _graph_entry(graph: Any, node: str) -> dict[str, Any]:
    """:func:`node_entry` from a graph holding the node's own statements."""
    subject = URIRef(node)
    return node_entry(node, label_of(graph, subject),
                      [str(t) for t in graph.objects(subject, RDF.type)],
                      [str(a) for a in graph.objects(subject, SKOS.altLabel)],
                      [str(x) for x in graph.objects(subject, EXO.xref)])


def _node_entries(store: ox.Store, nodes: list[str]) -> dict[str, dict[str, Any]]:
    """:func:`node_entry` of each node, from one query per batch of nodes (a description
    graph per conflicting molecule cost a quarter of the build)."""
    entries: dict[str, dict[str, Any]] = {}
    for start in range(0, len(nodes), _BATCH):
        batch = nodes[start:start + _BATCH]
        values = " ".join(iri_term(n) for n in batch)
        answer: Any = store.query(_PREFIXES + f"""PREFIX skos: <{SKOS}>
CONSTRUCT {{ ?n ?p ?o }} WHERE {{ VALUES ?n {{ {values} }} ?n ?p ?o
  FILTER(?p IN (rdf:type, rdfs:label, skos:prefLabel, skos:altLabel, exo:xref)) }}""")
        index = _TripleIndex(answer)
        for node in batch:
            entries[node] = _graph_entry(index, node)
    return entries


def _stats(store: ox.Store, rows: list[_Row]) -> dict[str, Any]:
    """The home page's counts (the default graph, as the whole-graph ``graph_stats``)."""
    triples = next(iter(_solutions(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))[0].value
    classes = {sol[0].value: int(sol[1].value) for sol in _solutions(store,
        "SELECT ?c (COUNT(*) AS ?n) { ?s a ?c } GROUP BY ?c")}
    tables = Counter(int(key) for r in rows for key, _ in r.values["table"])
    return {"triples": int(triples), "classes": dict(sorted(classes.items())),
            "tables": dict(sorted(tables.items()))}


def build_facets(store: ox.Store, folder: Path) -> None:
    """Write ``folder/facets.sqlite`` from a loaded store (an artifact builder).

    Reads every finding once (batches of a few hundred) and the store's links with
    global ``GROUP BY`` queries; the evidence rule is :func:`exokg.evidence.summarize`.
    """
    started = time.monotonic()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FACETS_FILE
    tmp = folder / (FACETS_FILE + ".tmp")
    tmp.unlink(missing_ok=True)
    # millions of small objects that live until the end and form no cycles: the cyclic
    # collector's full passes over them are wasted work
    collecting = gc.isenabled()
    gc.disable()
    try:
        _build_facets(store, tmp, started)
    finally:
        if collecting:
            gc.enable()
    tmp.replace(path)


def _build_facets(store: ox.Store, tmp: Path, started: float) -> None:
    rows, naming, content = _read_findings(store)
    db = sqlite3.connect(tmp)
    try:
        # the build folder is thrown away on failure: no journal, no fsync
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO finding VALUES (?, ?)",
                       ((i, r.finding.iri) for i, r in enumerate(rows)))
        _write_order(db, rows, naming, "any")
        _write_order(db, rows, content, "content")
        for node, indexes in naming.items():
            summary = summarize(_sorted_rows(rows, indexes))
            db.execute("INSERT INTO evidence VALUES (?, 'any', ?, ?)",
                       (node, len(indexes), json.dumps(_bounded(summary))))
            db.executemany("INSERT INTO facet VALUES (?, ?, ?, ?, ?, ?)",
                           [(node, *f) for f in _facets(rows, indexes)])
        conflicts = []
        for node, indexes in content.items():
            found = _sorted_rows(rows, indexes)
            summary = summarize(found)
            summary["groups"] = group_by_disease_role(found)
            db.execute("INSERT INTO evidence VALUES (?, 'content', ?, ?)",
                       (node, len(indexes), json.dumps(_bounded(summary))))
            label = dict(m for f in found for m in f.molecules).get(node, node)
            own = [c for c in summary["conflicts"] if c["molecule"] == label]
            if own:
                entry = {"conflicts": own,
                         "studies": summary["studies"], "directions": summary["directions"]}
                conflicts.append((node, f"{label.lower()}\x00{node}", entry))
        entries = _node_entries(store, [node for node, _, _ in conflicts])
        db.executemany("INSERT INTO conflict VALUES (?, ?, ?)",
                       ((node, sort, json.dumps({"node": entries[node], **entry}))
                        for node, sort, entry in conflicts))
        _write_incoming(store, db)
        db.execute("INSERT INTO stats VALUES ('home', ?)", (json.dumps(_stats(store, rows)),))
        db.commit()
    finally:
        db.close()
    logger.info("facets of %d findings, %d nodes in %.1f s", len(rows), len(naming),
                time.monotonic() - started)


#: Conflicts a node's summary lists at most: a hub disease has thousands of molecules
#: that studies disagree on (``conflicts_count`` says how many when cut).
CONFLICTS_SHOWN = 50


def _bounded(summary: dict[str, Any]) -> dict[str, Any]:
    conflicts = summary["conflicts"]
    if len(conflicts) <= CONFLICTS_SHOWN:
        return summary
    return {**summary, "conflicts": conflicts[:CONFLICTS_SHOWN],
            "conflicts_count": len(conflicts), "conflicts_truncated": True}


def _write_order(db: sqlite3.Connection, rows: list[_Row], nodes: dict[str, list[int]],
                 via: str) -> None:
    """The order of a hub's findings (more than a page of them), so that any page is read
    by position instead of sorting the hub's findings at request time."""
    for node, indexes in nodes.items():
        if len(indexes) > PAGE_SIZE:
            ordered = sorted(indexes, key=lambda i: rows[i].order)
            db.executemany("INSERT INTO page_order VALUES (?, ?, ?, ?)",
                           ((node, via, seq, i) for seq, i in enumerate(ordered)))


def _write_incoming(store: ox.Store, db: sqlite3.Connection) -> None:
    # MINUS, not FILTER NOT EXISTS, and IRIs checked here, not by isIRI: Oxigraph decodes
    # a filter's terms per row (0.25 s against 0.8 s at 10^4 findings)
    query = _PREFIXES + """SELECT ?o ?p (COUNT(?s) AS ?n) WHERE {
  ?s ?p ?o MINUS { ?s a exo:Finding } } GROUP BY ?o ?p"""
    counts = [(sol[0].value, sol[1].value, int(sol[2].value))
              for sol in _solutions(store, query) if isinstance(sol[0], ox.NamedNode)]
    predicates = sorted({p for _, p, _ in counts})
    labels: dict[str, str] = {}
    for start in range(0, len(predicates), _BATCH):
        values = " ".join(iri_term(p) for p in predicates[start:start + _BATCH])
        for sol in _solutions(store, _PREFIXES + f"SELECT ?p ?l WHERE {{ VALUES ?p {{ {values} }} "
                              "?p rdfs:label ?l }"):
            labels[sol[0].value] = sol[1].value  # the last, as the OPTIONAL's rows did
    db.executemany("INSERT OR REPLACE INTO incoming VALUES (?, ?, ?, ?)",
                   [(o, p, labels.get(p), n) for o, p, n in counts])


class Facets:
    """The facets artifact of one store, read by IRI (each call opens it read-only)."""

    def __init__(self, folder: Path | str) -> None:
        self.path = Path(folder) / FACETS_FILE
        if not self.path.is_file():
            raise FileNotFoundError(f"no facets artifact at {self.path}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def node(self, iri: str) -> NodeFacets:
        """The node's evidence summary, facet counts and incoming links."""
        db = self._connect()
        try:
            hit = db.execute("SELECT count, summary FROM evidence WHERE node = ? AND via = 'any'",
                             (iri,)).fetchone()
            facets: dict[str, list[dict[str, Any]]] = {name: [] for name in FACET_NAMES}
            for name, key, label, n in db.execute(
                    "SELECT facet, key, label, count FROM facet WHERE node = ? "
                    "ORDER BY facet, rank", (iri,)):
                facets[name].append({"key": key, "label": label, "count": n})
            incoming = db.execute("SELECT predicate, label, count FROM incoming "
                                  "WHERE node = ?", (iri,)).fetchall()
        finally:
            db.close()
        count, evidence = (hit[0], json.loads(hit[1])) if hit else (0, summarize([]))
        labels = {p: label for p, label, _ in incoming if label}
        return NodeFacets(count, evidence, facets,
                          incoming_rows(((p, n) for p, _, n in incoming), labels))

    def content_evidence(self, iri: str) -> tuple[int, dict[str, Any]]:
        """``/api/evidence``'s summary (findings with ``iri`` as ``exo:content``) and
        their count; ``groups`` per disease and role."""
        db = self._connect()
        try:
            hit = db.execute("SELECT count, summary FROM evidence "
                             "WHERE node = ? AND via = 'content'", (iri,)).fetchone()
        finally:
            db.close()
        if hit is None:
            return 0, {**summarize([]), "groups": []}
        return int(hit[0]), json.loads(hit[1])

    def finding_page(self, iri: str, page: int, size: int, *,
                     via: str = "any") -> list[str] | None:
        """The IRIs of page ``page`` of a hub's findings (by table, row, IRI), or ``None``
        when the node has at most a page of them (read them with a query)."""
        db = self._connect()
        try:
            rows = db.execute(
                "SELECT f.iri FROM page_order o JOIN finding f ON f.id = o.finding "
                "WHERE o.node = ? AND o.via = ? AND o.seq >= ? AND o.seq < ? ORDER BY o.seq",
                (iri, via, (page - 1) * size, page * size)).fetchall()
            if not rows and not db.execute(
                    "SELECT 1 FROM page_order WHERE node = ? AND via = ? LIMIT 1",
                    (iri, via)).fetchone():
                return None
        finally:
            db.close()
        return [iri_ for (iri_,) in rows]

    def conflicts(self, *, page: int = 1, size: int = 0) -> list[dict[str, Any]]:
        """The molecules whose studies disagree on their direction in one disease, by
        label: all of them, or page ``page`` of ``size``."""
        limit = f" LIMIT {int(size)} OFFSET {(int(page) - 1) * int(size)}" if size else ""
        db = self._connect()
        try:
            return [json.loads(entry) for (entry,) in
                    db.execute("SELECT entry FROM conflict ORDER BY sort" + limit)]
        finally:
            db.close()

    def conflict_count(self) -> int:
        """How many molecules :meth:`conflicts` lists."""
        db = self._connect()
        try:
            return int(db.execute("SELECT COUNT(*) FROM conflict").fetchone()[0])
        finally:
            db.close()

    def stats(self) -> dict[str, Any]:
        """The home page's counts: ``triples``, ``classes`` (IRI: n), ``tables`` (n: count)."""
        db = self._connect()
        try:
            (value,) = db.execute("SELECT value FROM stats WHERE name = 'home'").fetchone()
        finally:
            db.close()
        stats = json.loads(value)
        stats["tables"] = {int(k): v for k, v in stats["tables"].items()}
        return stats


def _api_finding(record: dict[str, Any]) -> dict[str, Any]:
    """A finding as ``/api/evidence`` lists it."""
    study = record["study"] or {}
    return {"id": record["iri"], "label": record["label"], "table": record["table"],
            "row": record["row"],
            "disease": [record["disease"]["label"]] if record["disease"] else [],
            "expression": [record["expression"]] if record["expression"] else [],
            "roles": [r["label"] for r in record["roles"]],
            "samples": [s["label"] for s in record["samples"]],
            "reference": study.get("iri"), "ref_number": study.get("number"),
            "sample_size": record["sample_size"], "function": record["function"] or None}


def evidence_answer(reader: Any, facets: Facets, node: str, *, page: str | int | None = None,
                    size: int | None = None) -> dict[str, Any]:
    """``/api/evidence``: the summary of the findings with ``node`` as ``exo:content`` (from
    the artifact), their groups per disease and role, and one page of them.

    Keys: ``node``, the fields of :func:`exokg.evidence.summarize`, ``groups``,
    ``findings`` (this page's), ``findings_count``, ``page``, ``pages``, ``has_next``.

    Raises
    ------
    InvalidQuery
        for a page out of range.
    """
    size = size or PAGE_SIZE
    count, summary = facets.content_evidence(node)
    pages = max(1, -(-count // size))
    number = page if isinstance(page, int) else page_number(page, pages)
    if not 1 <= number <= pages:
        page_number(str(number), pages)  # raises, naming the range
    graph, _ = description_graph(reader, node)
    ids = facets.finding_page(node, number, size, via="content") if count else []
    if ids is None:
        ids = finding_page(reader, node, number, size=size, predicate=str(EXO.content))
    return {"node": _graph_entry(graph, node), **summary,
            "findings": [_api_finding(r) for r in finding_records(reader, ids)],
            "findings_count": count, "page": number, "pages": pages,
            "has_next": number < pages}


def store_facets(info: Any) -> Facets:
    """The facets artifact of a built store (:class:`exokg.store.StoreInfo`).

    A store built without the artifact (before the builder was registered) gets it
    built once beside it, atomically (a folder renamed into place).
    """
    if ARTIFACT in (getattr(info, "artifacts", None) or ()):
        return Facets(info.artifact_dir(ARTIFACT))
    if "://" in str(info.path):  # a remote store: its artifacts come from exokg index only
        raise ArtifactMissing(
            f"the remote store's data version {info.version} has no {ARTIFACT} artifact: "
            f"build it with `exokg index --store-url {info.path} --store STORE_DIR` and "
            f"serve with the same --store")
    folder = Path(str(info.path).rstrip("/") + ".facets")
    if not (folder / FACETS_FILE).is_file():
        from exokg.store import open_store

        tmp = folder.with_name(f"{folder.name}.building-{os.getpid()}-{threading.get_ident()}")
        logger.info("building the facets artifact of %s", info.path)
        build_facets(open_store(info.path), tmp)
        try:
            tmp.rename(folder)
        except OSError:  # another process got there first: theirs holds the same
            shutil.rmtree(tmp, ignore_errors=True)
    return Facets(folder)


def evidence_node(reader: Any, facets: Facets, name: str, *,
                  search: Callable[[str], list[dict[str, Any]]] | None = None) -> str:
    """The node ``name`` stands for in ``/api/evidence``: an IRI, a CURIE or an exact label
    (a molecule first when a label names several), else the search's hit of that label.

    Raises
    ------
    NodeNotFound
        with the search's hits as ``suggestions``.
    """
    from exokg.errors import NodeNotFound
    from exokg.pages import find_node

    hits = find_node(reader, name)
    if hits:
        return min(hits, key=lambda n: (facets.content_evidence(n)[0] == 0, n))
    found = search(name) if search is not None and name.strip() else []
    exact = [h for h in found if h["label"].lower() == name.strip().lower()]
    if exact:
        return str(exact[0]["iri"])
    names = list(dict.fromkeys(str(h["label"]) for h in found))
    message = f"no node named {name!r}"
    if names:
        message += "; did you mean: " + ", ".join(names)
    raise NodeNotFound(message, suggestions=names)
