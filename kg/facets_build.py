"""Building the facets artifact (:mod:`exokg.facets`) from a loaded store, in bounded memory.

An entity page must not count a hub's 10^5 findings at request time, and the build must
not hold the store's findings in memory either (at 10^6 findings that took 3.6 GB). So
:func:`build_facets` reads every finding once and keeps in memory only what one finding,
one study or one molecule needs:

1. **Read.** Every finding, in batches of a few hundred, from pyoxigraph's terms
   (:func:`_fast_row`, which gives what :func:`exokg.describe.finding_record` gives; a
   value it does not read the same way sends that finding through ``finding_record``
   itself). Each finding becomes one compact row in a scratch SQLite file; the nodes it
   names are counted. The findings come from a :class:`Findings` source: the loaded store,
   or the input files while the store loads them (:mod:`exokg.facets_input`, which also
   counts the links into each node); the rest is read from the store.
2. **Hubs.** A node named by more findings than a page shows (:data:`HUB_MIN`) is a hub.
   Only hubs get a stored summary, facet counts and page order: a page about any other
   node reads all its findings anyway and summarises them itself
   (:func:`exokg.pages.entity_page`), so the artifact's size and the build's memory grow
   with the hubs, not with every node.
3. **By study.** The rows, in study order, give each hub's counts, facets (its top
   studies from one study at a time) and page order.
4. **By molecule.** The rows, in molecule order, give the conflicts (two studies
   disagreeing on one molecule in one disease: :func:`exokg.evidence.find_conflicts` over
   that molecule's findings only), for ``/api/conflicts`` and for each hub's summary, and
   ``/api/evidence``'s summary of the molecules that are hubs. From :data:`APART_MIN`
   findings this runs in a child process beside step 3, on the other core: it reads the
   scratch file of step 1 and writes one of its own, taken into the artifact after step 3.

Every node's finding counts (any link; ``exo:content``) and incoming links from
non-findings are stored, one row per node.

>>> import tempfile
>>> from pathlib import Path
>>> from exokg.facets import Facets
>>> from exokg.store import open_store, prepare_store
>>> with tempfile.TemporaryDirectory() as tmp:
...     build_facets(open_store(prepare_store(tmp).path), Path(tmp) / "facets", hub_min=1)
...     facets = Facets(Path(tmp) / "facets")
...     mir = facets.node("https://w3id.org/exokg/id/content/mir-638")
...     stats = facets.stats()
>>> mir.count, mir.evidence["conflict"], mir.facets["direction"]
(2, True, [{'key': 'Down', 'label': 'Down', 'count': 1}, {'key': 'Up', 'label': 'Up', 'count': 1}])
>>> stats["tables"]
{1: 38, 2: 13, 3: 10, 4: 3, 5: 2}
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import pickle
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

import pyoxigraph as ox
from exokg.build_db import attach_build_db, build_db
from exokg.child import Started, start_in_child
from exokg.curie import local_name
from exokg.describe import checked_number, finding_record, finding_row, whole_number
from exokg.evidence import DIRECTIONS, Finding, find_conflicts, group_by_disease_role, summarize
from exokg.facet_counts import FACET_NAMES, TOP, FacetValues, facet_values, ranked, sort_key
from exokg.facets import CONFLICTS_SHOWN, FACETS_FILE, SCHEMA, graph_entry
from exokg.labels import preferred_label
from exokg.machine import cores
from exokg.pages import PAGE_SIZE, facts_of, finding_query, iri_term
from exokg.rdf_terms import TripleIndex, rdflib_term
from exokg.vocab import EXO, RDF, RDFS, SKOS
from rdflib import Graph, URIRef

__all__ = ["APART_MIN", "HUB_MIN", "Findings", "build_facets", "write_facets"]

logger = logging.getLogger(__name__)

#: A node named by more findings than this is a hub (more than one page of them).
HUB_MIN = PAGE_SIZE

#: Findings read per query while building (bounded memory per query).
_BATCH = 500

#: Objects whose names the reader remembers between batches (then it starts afresh).
_FACTS_KEPT = 100_000

_PREFIXES = f"PREFIX exo: <{EXO}>\nPREFIX rdf: <{RDF}>\n" \
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"

#: One finding as the builder keeps it: its evidence row, its facet values and its
#: ``(table, row)`` (with the finding's IRI, the order of a node's pages).
_Row = tuple[Finding, FacetValues, tuple[int, int]]

_SCRATCH = """
CREATE TABLE s.found (iri TEXT);
CREATE TABLE s.row (id INTEGER PRIMARY KEY, study TEXT, data BLOB);
CREATE TABLE s.content (molecule TEXT, id INTEGER);
CREATE TABLE o.ord (hub INTEGER, via TEXT, tbl INTEGER, row INTEGER, id INTEGER);
"""

#: The tallies by molecule, as :func:`_by_molecule` writes them (in its order: rowid).
_MOLECULES = """
CREATE TABLE evidence (node TEXT, count INTEGER, summary TEXT);
CREATE TABLE ord (hub INTEGER, tbl INTEGER, row INTEGER, id INTEGER);
CREATE TABLE content_count (node TEXT, count INTEGER);
CREATE TABLE conflict (node TEXT, sort TEXT, entry BLOB);
CREATE TABLE hub_conflict (hub INTEGER, molecule TEXT, conflicts BLOB);
"""

#: From this many findings the tallies by molecule run in a process of their own, beside
#: the tallies by study (at 10^5 findings each takes about 3 s, at 10^6 a minute; below,
#: the process's start costs more than it saves).
APART_MIN = 20_000


def _solutions(store: ox.Store, query: str) -> ox.QuerySolutions:
    """A SELECT's solutions, straight from the store (the build runs before any service)."""
    answer = store.query(query)
    assert isinstance(answer, ox.QuerySolutions), query
    return answer


def _triple_index(triples: Iterable[ox.Triple]) -> TripleIndex:
    """The reads :func:`exokg.describe.finding_record` makes, over a batch of pyoxigraph
    triples (an rdflib graph per batch cost three quarters of the build)."""
    terms: dict[Any, Any] = {}

    def term(t: Any) -> Any:
        hit = terms.get(t)
        if hit is None:
            hit = terms[t] = rdflib_term(t)
        return hit

    return TripleIndex((term(t.subject), term(t.predicate), term(t.object)) for t in triples)


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
                f"VALUES ?o {{ {values} }} {facts_of('o')} }}")):
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


def _canonical(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """``triples`` in the order of their N-Triples text, whatever order they came in."""
    return sorted(triples, key=str)


class _FastIndex(TripleIndex):
    """A batch's triples by subject and predicate IRI (pyoxigraph terms, no rdflib terms:
    creating those cost half the build). A predicate's several objects are in the order of
    their N-Triples text, not of the source (which one is "the" value, and how equal labels
    sort, must not depend on whether the store or the input file was read)."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        super().__init__((t.subject, t.predicate.value, t.object) for t in triples)
        self.sort_objects(key=str)

    def label(self, node: Any) -> str:
        """:func:`exokg.describe.label_of`."""
        if isinstance(node, ox.Literal):
            return str(node.value)
        for predicate in _LABELS:
            value = preferred_label(o.value for o in self.objects(node, predicate))
            if value is not None:
                return value
        return local_name(node.value)

    def ref(self, node: Any) -> tuple[str, str] | None:
        return None if node is None else (str(node.value), self.label(node))

    def refs(self, subject: Any, predicate: str) -> list[tuple[str, str]]:
        # describe._refs: sorted by lower-cased label, stable over the store's order
        return sorted(((str(n.value), self.label(n)) for n in self.objects(subject, predicate)),
                      key=lambda r: r[1].lower())


def _fast_int(index: _FastIndex, subject: Any, predicate: str) -> int | None:
    """``describe._int`` for the literals it meets in practice (the same range check)."""
    values = 0 if subject is None else index.count(subject, predicate)
    if values == 0:
        return None
    if values > 1:  # describe._int says why
        raise _Odd
    value = index.value(subject, predicate)
    if not isinstance(value, ox.Literal) or value.datatype.value not in _INTEGER_TYPES:
        raise _Odd
    number = whole_number(value.value)
    if number is None:  # the rdflib reader says why (checked_number), if it is wrong
        raise _Odd
    return checked_number(number, subject.value, predicate, str(value))


def _fast_bool(value: Any) -> bool | None:
    """``describe._bool`` for canonical booleans."""
    if not isinstance(value, ox.Literal):
        return None
    if value.datatype.value != _BOOLEAN or value.value not in ("true", "false"):
        raise _Odd
    return value.value == "true"


def _fast_row(index: _FastIndex, f: str) -> _Row:
    """What :func:`finding_record` + :func:`finding_row` + :func:`facet_values` give for
    finding ``f``, read from the batch's terms.

    Raises
    ------
    _Odd
        for a value it does not read as rdflib would (the caller takes the rdflib path).
    """
    node = ox.NamedNode(f)
    study = index.value(node, _P["citedIn"])
    study_ref = index.ref(study)
    number = _fast_int(index, study, _P["refNumber"])
    expression = index.value(node, _P["expression"])
    direction = None if expression is None else (
        str(expression.value) if isinstance(expression, ox.Literal)
        else local_name(expression.value))
    table = _fast_int(index, node, _P["sourceTable"])
    row = _fast_int(index, node, _P["sourceRow"])
    contents = index.refs(node, _P["content"])
    disease = index.ref(index.value(node, _P["disease"]))
    samples = index.refs(node, _P["sample"])
    finding = Finding(
        f, molecules=tuple(contents), diseases=(disease[1],) if disease else (),
        directions=(direction,) if direction else (),
        study=study_ref[0] if study_ref else None, ref_number=number,
        sample_size=_fast_int(index, node, _P["sampleSize"]), table=table,
        roles=tuple(label for _, label in index.refs(node, _P["role"])),
        retracted=any([_fast_bool(o) for o in index.objects(node, _P["retracted"])]))
    values = {
        "table": [(str(table), f"Table {table}")] if table else [],
        "disease": [disease] if disease else [],
        "direction": [(direction, direction)] if direction else [],
        "sample": samples,
        "study": [study_ref] if study_ref else [],
    }
    return finding, values, (table or 0, row or 0)




def _rdflib_row(graph: Graph, f: str) -> _Row:
    """:func:`_fast_row` through :func:`exokg.describe.finding_record` (any value)."""
    record = finding_record(graph, URIRef(f))
    return finding_row(record), facet_values(record), (record["table"] or 0, record["row"] or 0)



#: What :func:`exokg.facets.graph_entry` reads of a node.
_ENTRY_FACTS = tuple(map(str, (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, EXO.xref)))


def _node_entries(store: ox.Store, nodes: list[str]) -> dict[str, dict[str, Any]]:
    """:func:`node_entry` of each node, from one query per batch of nodes (a description
    graph per conflicting molecule cost a quarter of the build)."""
    entries: dict[str, dict[str, Any]] = {}
    for start in range(0, len(nodes), _BATCH):
        batch = nodes[start:start + _BATCH]
        values = " ".join(iri_term(n) for n in batch)
        answer: Any = store.query(_PREFIXES + f"""PREFIX skos: <{SKOS}>
CONSTRUCT {{ ?n ?q ?v }} WHERE {{ VALUES ?n {{ {values} }} {facts_of("n", _ENTRY_FACTS)} }}""")
        index = _triple_index(answer)
        for node in batch:
            entries[node] = graph_entry(index, node)
    return entries


def build_facets(store: ox.Store, folder: Path, *, hub_min: int = HUB_MIN,
                 apart_min: int = APART_MIN) -> None:
    """Write ``folder/facets.sqlite`` from a loaded store (an artifact builder).

    ``hub_min``: a node named by more findings than this gets its summary stored (tests
    set it low to compare the stored summaries with the pages' own); ``apart_min``: see
    :func:`write_facets`.
    """
    write_facets(Path(folder), _StoreFindings(store), lambda: store, hub_min=hub_min,
                 apart_min=apart_min)


class Findings(Protocol):
    """Where the builder reads the findings from: the loaded store, or the parsed input
    (:mod:`exokg.facets_input`). Both give the same IRIs and, per finding, the same
    triples (its own, and the facts of what it names: :func:`_finding_triples`)."""

    #: Once :meth:`batches` are read: a SQLite file whose table ``incoming (node,
    #: predicate, count)`` holds what :func:`_incoming_rows` counts in the store, or None
    #: (counted from the store).
    incoming: Path | None

    def iris(self) -> Iterable[str]:
        """Every finding's IRI (any order, repeats allowed)."""
        ...

    def batches(self, db: sqlite3.Connection,
                numbers: int) -> Iterator[tuple[list[tuple[int, str]], list[ox.Triple]]]:
        """The findings numbered in ``db``'s table ``finding`` (``numbers`` of them), in
        batches: ``(number, iri)`` of each, and their triples."""
        ...


def write_facets(folder: Path, findings: Findings, store: Callable[[], ox.Store], *,
                 hub_min: int = HUB_MIN, alive: Callable[[], None] = lambda: None,
                 apart_min: int = APART_MIN) -> None:
    """Write ``folder/facets.sqlite``: the findings read from ``findings``; what is not
    about a finding (node descriptions, incoming links unless ``findings`` counted them,
    the home page's counts) from the loaded store, which ``store()`` gives (it may wait
    for the load: the findings are read first). ``alive()``, called between phases and,
    in the by-study and by-molecule tallies, every 100,000 hub rows and 10,000 molecules,
    raises when the build was given up (the read asks ``findings``' own). From
    ``apart_min`` findings the tallies by molecule run in a child process, beside those
    by study (``alive()`` is then asked every second while the builder waits for it)."""
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FACETS_FILE
    tmp = folder / (FACETS_FILE + ".tmp")
    # the findings' rows, read by the tallies by molecule from another process while
    # the tallies by study write the page order: in files of their own (a reader of a
    # file holds off its writers)
    scratch = _Scratch(*(folder / (FACETS_FILE + suffix)
                         for suffix in (".scratch", ".order", ".molecules")))
    incoming = _Incoming(folder / (FACETS_FILE + ".incoming"))
    for stale in (tmp, *scratch):
        stale.unlink(missing_ok=True)
    # many small objects per batch that form no cycles: the cyclic collector's passes
    # over them are wasted work
    collecting = gc.isenabled()
    gc.disable()
    try:
        db = build_db(tmp)
        try:
            attach_build_db(db, scratch.rows, "s")
            attach_build_db(db, scratch.order, "o")
            db.executescript(SCHEMA + _SCRATCH)
            if isinstance(findings, _StoreFindings) and isinstance(findings.store, ox.Store):
                # beside the read, on the second core
                incoming.start(store)
            _build(db, hub_min, findings, store, incoming, alive, scratch, apart_min)
            db.commit()
            db.execute("DETACH DATABASE s")
            db.execute("DETACH DATABASE o")
        finally:
            db.close()
    finally:
        incoming.close()
        for scratch_file in scratch:
            scratch_file.unlink(missing_ok=True)
        if collecting:
            gc.enable()
    tmp.replace(path)
    logger.info("facets built in %.1f s", time.monotonic() - started)


class _Scratch(NamedTuple):
    """The build's scratch files: the findings' rows, the page order, the tallies by
    molecule."""

    rows: Path
    order: Path
    molecules: Path


def _build(db: sqlite3.Connection, hub_min: int, source: Findings,
           loaded: Callable[[], ox.Store], incoming: _Incoming,
           alive: Callable[[], None], scratch: _Scratch, apart_min: int) -> None:
    started = time.monotonic()

    def done(phase: str) -> None:  # where a build's time goes, in its log
        logger.info("facets: %s done at %.1f s", phase, time.monotonic() - started)
        alive()

    findings = _number_findings(db, source.iris())
    named, slow = _read_findings(db, source.batches(db, findings))
    incoming.counted(source.incoming)
    done("read")
    if slow:
        logger.info("%d findings read through rdflib (values outside the fast reader's)", slow)
    db.executemany("INSERT INTO node_count VALUES (?, ?)", named.items())
    hubs = {node: number for number, node in enumerate(
        sorted(node for node, n in named.items() if n > hub_min))}
    del named
    db.executemany("INSERT INTO hub VALUES (?, ?)", ((n, node) for node, n in hubs.items()))
    db.execute("CREATE INDEX s.row_study ON row (study, id)")
    db.execute("CREATE INDEX s.content_molecule ON content (molecule, id)")
    db.commit()  # the rows as the tallies by molecule read them
    tallies = {number: _Hub() for number in hubs.values()}
    molecules = _ByMolecule(scratch, hubs, hub_min,
                            apart=findings >= apart_min and cores() > 1)
    try:
        tables = _by_study(db, hubs, tallies, alive)
        done("by study")
        conflicts = molecules.merge(db, tallies, alive)
    finally:
        molecules.stop()
    done("by molecule")
    for node, number in hubs.items():
        tally = tallies[number]
        db.execute("INSERT INTO evidence VALUES (?, 'any', ?, ?)",
                   (node, tally.count, json.dumps(tally.summary())))
        db.executemany("INSERT INTO facet VALUES (?, ?, ?, ?, ?, ?)",
                       ((node, name, rank, v["key"], v["label"], v["count"])
                        for name, values in tally.facets().items()
                        for rank, v in enumerate(values)))
    db.execute("""INSERT INTO page_order SELECT hub, via,
        row_number() OVER (PARTITION BY hub, via ORDER BY tbl, row, id) - 1, id
        FROM o.ord""")
    done("page order")
    store = loaded()
    done("waiting for the store")
    entries = _node_entries(store, [node for node, _, _ in conflicts])
    db.executemany("INSERT INTO conflict VALUES (?, ?, ?)",
                   ((node, sort, json.dumps({"node": entries[node], **entry}))
                    for node, sort, entry in conflicts))
    done("conflicts")
    incoming.write(store, db)
    done("incoming")
    db.execute("INSERT INTO stats VALUES ('home', ?)", (json.dumps(_stats(store, tables)),))
    logger.info("facets of %d findings, %d hubs, %d molecules in conflict", findings,
                len(hubs), len(conflicts))


class _StoreFindings:
    """The findings read from the loaded store (:class:`Findings`)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.incoming: Path | None = None

    def iris(self) -> Iterable[str]:
        return (sol[0].value for sol in _solutions(
            self.store, _PREFIXES + "SELECT ?f WHERE { ?f a exo:Finding FILTER(isIRI(?f)) }"))

    def batches(self, db: sqlite3.Connection,
                numbers: int) -> Iterator[tuple[list[tuple[int, str]], list[ox.Triple]]]:
        facts: dict[Any, list[ox.Triple]] = {}
        for start in range(0, numbers, _BATCH):
            batch = db.execute("SELECT id, iri FROM finding WHERE id >= ? AND id < ? "
                               "ORDER BY id", (start, start + _BATCH)).fetchall()
            if len(facts) > _FACTS_KEPT:
                facts.clear()
            yield batch, _finding_triples(self.store, [iri for _, iri in batch], facts)


def _number_findings(db: sqlite3.Connection, iris: Iterable[str]) -> int:
    """Every finding's IRI in the ``finding`` table, numbered in IRI order (so that a
    hub's page order sorts numbers, not IRIs)."""
    db.executemany("INSERT INTO s.found VALUES (?)", ((iri,) for iri in iris))
    db.execute("INSERT INTO finding SELECT row_number() OVER (ORDER BY iri) - 1, iri "
               "FROM (SELECT DISTINCT iri FROM s.found)")
    db.execute("DELETE FROM s.found")
    return int(db.execute("SELECT COUNT(*) FROM finding").fetchone()[0])


def _pack(row: _Row, named: list[str]) -> bytes:
    f, values, order = row
    return _pickled((f.iri, f.molecules, f.diseases, f.directions, f.study, f.ref_number,
                     f.sample_size, f.table, f.roles, f.retracted, values, order, named))


def _unpack(data: bytes) -> tuple[Finding, FacetValues, tuple[int, int], list[str]]:
    *fields, values, order, named = pickle.loads(data)
    return Finding(*fields), values, order, named


def _read_findings(db: sqlite3.Connection,
                   batches: Iterable[tuple[list[tuple[int, str]], list[ox.Triple]]]
                   ) -> tuple[Counter[str], int]:
    """Each finding's compact row into the scratch file; how many findings name each node
    (any link but ``rdf:type``), and how many findings went through rdflib."""
    named: Counter[str] = Counter()
    slow = 0
    for batch, triples in batches:
        index = _FastIndex(triples)
        graph: Graph | None = None
        rows, contents = [], []
        for number, f in batch:
            try:
                row = _fast_row(index, f)
            except _Odd:
                slow += 1
                if graph is None:  # finding_record reads only what the index answers
                    graph = cast(Graph, _triple_index(_canonical(triples)))
                row = _rdflib_row(graph, f)
            names = sorted({str(o.value) for p, o in index.predicate_objects(ox.NamedNode(f))
                            if p != _RDF_TYPE and isinstance(o, ox.NamedNode)})
            named.update(names)
            rows.append((number, row[0].study, _pack(row, names)))
            contents += [(iri, number) for iri in dict(row[0].molecules)]
        db.executemany("INSERT INTO s.row VALUES (?, ?, ?)", rows)
        db.executemany("INSERT INTO s.content VALUES (?, ?)", contents)
    return named, slow


#: The facets a hub counts value by value (its studies come one study at a time).
_COUNTED = tuple(name for name in FACET_NAMES if name != "study")


class _Hub:
    """What is summed over one hub's findings: :func:`exokg.evidence.summarize`'s fields,
    the facet counts, and the first conflicts (in memory: the counts, a few dozen facet
    values and conflicts, never the findings)."""

    def __init__(self) -> None:
        self.count = self.studies = self.total_n = self.without_n = self.retracted = 0
        self.directions: dict[str, int] = dict.fromkeys(DIRECTIONS, 0)
        self.tables: set[int] = set()
        self.counts: dict[str, Counter[str]] = {n: Counter() for n in _COUNTED}
        self.labels: dict[str, dict[str, str]] = {n: {} for n in _COUNTED}
        self.top_studies: list[tuple[tuple[int, str, str], str, str, int]] = []
        self.conflicts: list[tuple[tuple[str, str, str], dict[str, Any]]] = []
        self.conflict_count = 0
        self.conflicting: set[str] = set()

    def add(self, f: Finding, values: FacetValues) -> None:
        self.count += 1
        for d in f.directions:
            self.directions[d] = self.directions.get(d, 0) + 1
        if f.sample_size is None:
            self.without_n += 1
        else:
            self.total_n += f.sample_size
        if f.table:
            self.tables.add(f.table)
        self.retracted += f.retracted
        for name, counts in self.counts.items():
            labels = self.labels[name]
            for key, label in values[name]:
                counts[key] += 1
                labels[key] = label

    def add_study(self, key: str, label: str, count: int) -> None:
        """``count`` of the hub's findings cite study ``key`` (all of them: the rows come
        in study order)."""
        self.studies += 1
        self.top_studies.append((sort_key(key, label, count), key, label, count))
        if len(self.top_studies) > 4 * TOP:
            self.top_studies = sorted(self.top_studies)[:TOP]

    def add_conflicts(self, molecule: str, conflicts: list[dict[str, Any]]) -> None:
        self.conflict_count += len(conflicts)
        for c in conflicts:
            self.conflicting.add(c["disease"])
            # find_conflicts' order; the molecule's IRI breaks ties between equal labels
            self.conflicts.append(((str(c["molecule"]).lower(), str(c["disease"]), molecule), c))
        if len(self.conflicts) > 4 * CONFLICTS_SHOWN:
            self.conflicts = sorted(self.conflicts, key=lambda kc: kc[0])[:CONFLICTS_SHOWN]

    def summary(self) -> dict[str, Any]:
        """:func:`exokg.evidence.summarize` of the hub's findings, conflicts cut at
        :data:`~exokg.facets.CONFLICTS_SHOWN` (``conflicts_count`` says how many)."""
        shown = [c for _, c in sorted(self.conflicts, key=lambda kc: kc[0])[:CONFLICTS_SHOWN]]
        out: dict[str, Any] = {
            "count": self.count, "studies": self.studies, "total_n": self.total_n,
            "findings_without_n": self.without_n,
            "directions": dict(sorted(self.directions.items())),
            "tables": sorted(self.tables), "retracted_findings": self.retracted,
            "conflict": bool(self.conflict_count), "conflicts": shown,
            "conflicting_diseases": sorted(self.conflicting)}
        if self.conflict_count > CONFLICTS_SHOWN:
            out.update(conflicts_count=self.conflict_count, conflicts_truncated=True)
        return out

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        """The :func:`exokg.facet_counts.ranked` values of each facet."""
        out = {name: ranked(self.counts[name], self.labels[name]) for name in self.counts}
        out["study"] = [{"key": k, "label": label, "count": n}
                        for _, k, label, n in sorted(self.top_studies)[:TOP]]
        return out


def _groups(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, list[tuple[Any, ...]]]]:
    """Consecutive rows with the same first column, as ``(value, rows)``."""
    key: Any = object()
    group: list[tuple[Any, ...]] = []
    for row in rows:
        if row[0] != key:
            if group:
                yield key, group
            key, group = row[0], []
        group.append(row)
    if group:
        yield key, group


def _by_study(db: sqlite3.Connection, hubs: dict[str, int],
              tallies: dict[int, _Hub], alive: Callable[[], None]) -> Counter[int]:
    """Each hub's counts, facets and page order from the rows in study order; the number
    of findings per table (all findings)."""
    tables: Counter[int] = Counter()
    order: list[tuple[int, str, int, int, int]] = []
    rows = db.execute("SELECT study, id, data FROM s.row ORDER BY study, id")
    for study, group in _groups(rows):
        cited: Counter[int] = Counter()
        label = ""
        for _, number, data in group:
            f, values, (table, row), named = _unpack(data)
            for key, _ in values["table"]:
                tables[int(key)] += 1
            if values["study"]:
                label = values["study"][0][1]
            for node in named:
                hub = hubs.get(node)
                if hub is not None:
                    tallies[hub].add(f, values)
                    cited[hub] += 1
                    order.append((hub, "any", table, row, number))
        if study:
            for hub, n in cited.items():
                tallies[hub].add_study(study, label, n)
        if len(order) > 100_000:
            db.executemany("INSERT INTO o.ord VALUES (?, ?, ?, ?, ?)", order)
            order.clear()
            alive()
    db.executemany("INSERT INTO o.ord VALUES (?, ?, ?, ?, ?)", order)
    return tables


def _by_molecule(rows: sqlite3.Connection, out: sqlite3.Connection, hubs: dict[str, int],
                 hub_min: int, alive: Callable[[], None] = lambda: None) -> None:
    """The conflicts, from the rows (``rows``: the scratch file) in molecule order, into
    ``out``'s tables (:data:`_MOLECULES`): each hub's, and the molecules in conflict
    (``/api/conflicts``' entries, unsorted). Also every molecule's ``exo:content`` count
    and, for hubs, ``/api/evidence``'s summary and order.
    """
    conflicts: list[tuple[str, str, bytes]] = []
    hub_conflicts: list[tuple[int, str, bytes]] = []
    counts: list[tuple[str, int]] = []

    def flush() -> None:
        out.executemany("INSERT INTO content_count VALUES (?, ?)", counts)
        out.executemany("INSERT INTO conflict VALUES (?, ?, ?)", conflicts)
        out.executemany("INSERT INTO hub_conflict VALUES (?, ?, ?)", hub_conflicts)
        for written in (counts, conflicts, hub_conflicts):
            written.clear()

    found_rows = rows.execute("SELECT c.molecule, c.id, r.data FROM content c "
                              "JOIN row r ON r.id = c.id ORDER BY c.molecule, c.id")
    for molecule, group in _groups(found_rows):
        unpacked = [(number, *_unpack(data)) for _, number, data in group]
        found = [f for _, f, _, _, _ in unpacked]
        counts.append((molecule, len(found)))
        label = dict(m for f in found for m in f.molecules).get(molecule, molecule)
        # this molecule's conflicts only (a finding may be about several molecules)
        alone = [dataclasses.replace(f, molecules=((molecule, label),)) for f in found]
        own = find_conflicts(alone)
        if own:
            summary = summarize(found)
            conflicts.append((molecule, f"{label.lower()}\x00{molecule}", _pickled({
                "conflicts": own, "studies": summary["studies"],
                "directions": summary["directions"]})))
            by_hub: dict[int, list[Finding]] = defaultdict(list)
            for (*_, names), f, whole in zip(unpacked, alone, found, strict=True):
                # another molecule of the finding lists its own conflicts only
                # (exokg.evidence.conflict_rows)
                others = {iri for iri, _ in whole.molecules} - {molecule}
                for node in names:
                    hub = hubs.get(node)
                    if hub is not None and node not in others:
                        by_hub[hub].append(f)
            hub_conflicts += ((hub, molecule, _pickled(find_conflicts(mine)))
                              for hub, mine in by_hub.items())
        if len(found) > hub_min:
            summary = summarize(found, molecule)
            summary["groups"] = group_by_disease_role(found)
            out.execute("INSERT INTO evidence VALUES (?, ?, ?)",
                        (molecule, len(found), json.dumps(_bounded(summary))))
            out.executemany("INSERT INTO ord VALUES (?, ?, ?, ?)",
                            ((hubs[molecule], table, row, number)
                             for number, _, _, (table, row), _ in unpacked))
        if len(counts) > 10_000:
            flush()
            alive()
    flush()


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _tally_molecules(rows: Path, out: Path, hubs: dict[str, int], hub_min: int,
                     alive: Callable[[], None] = lambda: None) -> None:
    """:func:`_by_molecule` over the scratch file ``rows`` (read only), into the new
    SQLite file ``out`` (in a child process, or in the builder's)."""
    gc.disable()  # as in the builder (write_facets): no cycles among the rows' objects
    source = sqlite3.connect(rows.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        db = build_db(out)
        try:
            db.executescript(_MOLECULES)
            _by_molecule(source, db, hubs, hub_min, alive)
            db.commit()
        finally:
            db.close()
    finally:
        source.close()


class _ByMolecule:
    """The tallies by molecule (:func:`_tally_molecules`): started in a child process
    now when ``apart`` (the second core's work while this one tallies by study), else
    run by :meth:`merge`; their outcome taken into the artifact by :meth:`merge`."""

    def __init__(self, scratch: _Scratch, hubs: dict[str, int], hub_min: int, *,
                 apart: bool) -> None:
        self.scratch, self.hubs, self.hub_min = scratch, hubs, hub_min
        self.child: Started[None] | None = None
        if apart:
            self.child = start_in_child(_tally_molecules, scratch.rows, scratch.molecules,
                                        hubs, hub_min, what="the facets' tallies by molecule")

    def merge(self, db: sqlite3.Connection, tallies: dict[int, _Hub],
              alive: Callable[[], None]) -> list[tuple[str, str, dict[str, Any]]]:
        """Their rows into ``db`` after those by study (the artifact's order), each hub's
        conflicts into ``tallies``; the molecules in conflict."""
        if self.child is None:
            _tally_molecules(self.scratch.rows, self.scratch.molecules, self.hubs,
                             self.hub_min, alive)
        else:
            while not self.child.ready(1.0):
                alive()  # a build given up stops here (then stop() ends the child)
            child, self.child = self.child, None
            child()
        db.execute("ATTACH DATABASE ? AS m", (str(self.scratch.molecules),))
        db.execute("INSERT INTO evidence SELECT node, 'content', count, summary "
                   "FROM m.evidence ORDER BY rowid")
        db.execute("INSERT INTO o.ord SELECT hub, 'content', tbl, row, id FROM m.ord "
                   "ORDER BY rowid")
        db.execute("INSERT INTO content_count SELECT node, count FROM m.content_count "
                   "ORDER BY rowid")
        for hub, molecule, found in db.execute(
                "SELECT hub, molecule, conflicts FROM m.hub_conflict ORDER BY rowid"):
            tallies[hub].add_conflicts(molecule, pickle.loads(found))
        conflicts = [(node, sort, pickle.loads(entry)) for node, sort, entry in db.execute(
            "SELECT node, sort, entry FROM m.conflict ORDER BY rowid")]
        db.commit()  # a database is detached outside a transaction
        db.execute("DETACH DATABASE m")
        return conflicts

    def stop(self) -> None:
        """End a child still running (the build failed or was given up)."""
        if self.child is not None:
            self.child.stop()


def _bounded(summary: dict[str, Any]) -> dict[str, Any]:
    conflicts = summary["conflicts"]
    if len(conflicts) <= CONFLICTS_SHOWN:
        return summary
    return {**summary, "conflicts": conflicts[:CONFLICTS_SHOWN],
            "conflicts_count": len(conflicts), "conflicts_truncated": True}


def _stats(store: ox.Store, tables: Counter[int]) -> dict[str, Any]:
    """The home page's counts (the default graph, as the whole-graph ``graph_stats``)."""
    triples = next(iter(_solutions(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))[0].value
    classes = {sol[0].value: int(sol[1].value) for sol in _solutions(store,
        "SELECT ?c (COUNT(*) AS ?n) { ?s a ?c } GROUP BY ?c")}
    return {"triples": int(triples), "classes": dict(sorted(classes.items())),
            "tables": dict(sorted(tables.items()))}


def _incoming_rows(store: ox.Store) -> Iterator[tuple[str, str, int]]:
    """Links into each node from anything but a finding, counted per predicate:
    ``(node, predicate, count)``."""
    # MINUS, not FILTER NOT EXISTS, and IRIs checked here, not by isIRI: Oxigraph decodes
    # a filter's terms per row (0.25 s against 0.8 s at 10^4 findings)
    query = _PREFIXES + """SELECT ?o ?p (COUNT(?s) AS ?n) WHERE {
  ?s ?p ?o MINUS { ?s a exo:Finding } } GROUP BY ?o ?p"""
    return ((sol[0].value, sol[1].value, int(sol[2].value))
            for sol in _solutions(store, query) if isinstance(sol[0], ox.NamedNode))


class _Incoming:
    """The ``incoming`` table: :func:`_incoming_rows`, counted by the findings' source
    (:attr:`Findings.incoming`), or by the store's own aggregate in a thread (no GIL held
    while Oxigraph counts: beside the Python-bound read, on the second core) into a
    scratch file of its own, or in turn over a store that answers queries only; then the
    predicates' labels."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source: Path | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.stop = threading.Event()
        path.unlink(missing_ok=True)

    def start(self, loaded: Callable[[], ox.Store]) -> None:
        """Count beside the caller, in the embedded store that ``loaded()`` gives (once
        there: the thread waits for it)."""
        # a daemon thread: a failing build does not wait for the aggregate to end
        self.thread = threading.Thread(target=self._count, args=(loaded,),
                                       name="facets-incoming", daemon=True)
        self.thread.start()

    def _count(self, loaded: Callable[[], ox.Store]) -> None:
        try:
            store = loaded()
            if self.stop.is_set():  # the build ended (or changed course) meanwhile
                return
            db = build_db(self.path)
            try:
                db.execute("CREATE TABLE incoming (node TEXT, predicate TEXT, count INTEGER)")
                db.executemany("INSERT INTO incoming VALUES (?, ?, ?)", (
                    row for row in _incoming_rows(store) if not self.stop.is_set()))
                db.commit()
            finally:
                db.close()
        except BaseException as err:  # noqa: BLE001 - raised in the builder's thread
            self.error = err

    def counted(self, source: Path | None) -> None:
        """Take the counts from ``source`` (a file like the thread's, not removed here)
        if there is one."""
        self.source = source

    def write(self, store: ox.Store, db: sqlite3.Connection) -> None:
        """Fill ``db``'s table ``incoming``: the source's count or the thread's, or
        counted here."""
        counted = self.source
        if counted is None and self.thread is not None:
            self.thread.join()
            if self.error is not None:
                raise self.error
            counted = self.path
        if counted is None:
            db.executemany("INSERT OR REPLACE INTO incoming VALUES (?, ?, NULL, ?)",
                           _incoming_rows(store))
        else:
            db.execute("ATTACH DATABASE ? AS i", (str(counted),))
            db.execute("INSERT OR REPLACE INTO incoming SELECT node, predicate, NULL, count "
                       "FROM i.incoming ORDER BY rowid")
            db.commit()  # a database is detached outside a transaction
            db.execute("DETACH DATABASE i")
        predicates = [p for (p,) in db.execute(
            "SELECT DISTINCT predicate FROM incoming ORDER BY 1")]
        names: dict[str, list[str]] = defaultdict(list)
        for start in range(0, len(predicates), _BATCH):
            values = " ".join(iri_term(p) for p in predicates[start:start + _BATCH])
            for sol in _solutions(store, _PREFIXES + "SELECT ?p ?l WHERE { VALUES ?p { "
                                  f"{values} }} ?p rdfs:label ?l }}"):
                names[sol[0].value].append(sol[1].value)
        db.executemany("UPDATE incoming SET label = ? WHERE predicate = ?",
                       ((preferred_label(values), p) for p, values in names.items()))

    def close(self) -> None:
        """Stop counting (the thread ends at its next row: the aggregate itself cannot be
        interrupted, but nobody waits for it) and remove the scratch file."""
        self.stop.set()
        self.path.unlink(missing_ok=True)
