"""The search index: every entity's names and identifiers in SQLite, built with the store.

Indexed per entity (the network's nodes, :mod:`exokg.index.adjacency`): its label,
alternative labels, CURIE, and mapped identifiers (``exo:xref`` literals and the
``skos:exactMatch``/``closeMatch`` IRIs as CURIEs and as bare accessions; the
``narrowMatch``/``broadMatch``/``relatedMatch`` ones as *related*, ranked below).

Names are normalised the same way when indexed and when asked
(:func:`exokg.name_keys.name_keys`):
case and punctuation are dropped, and miRNA names are reduced to one key, so that
``hsa-miR-21-5p``, ``MIR21`` (the HGNC symbol), ``miR21``, ``mir-21`` and
``microRNA-21`` all reach ``miR-21``; a query with an arm (``-5p``) also matches the
entity without one, a little lower. ``let-7`` reaches ``let-7a``, ``let-7b`` ... as
prefixes of the same key.

Two tables: ``names`` (normalised key -> entity, B-tree indexed, for exact and prefix
matches) and ``words``, an FTS5 table of the names' words (token matches:
``carcinoma`` finds ``hepatocellular carcinoma``), with prefix indexes of 1 to 4
characters: without them a word's prefix (``circ*`` of ``circ-0010224``, ``7*`` of
``let-7``) is answered by merging the lists of every indexed word it starts, a cost that
grows with the data (at 10^6 findings: 0.7 ms for ``circ-0010224``'s words, 7 ms for
``let-7``'s, 33 ms for ``mir-1``'s) instead of with the answer (0.02, 0.02 and 7 ms).

Ranking: exact label > exact alias or identifier > label prefix > alias prefix > word
match; ties go to the more prominent entity (more studies, then higher degree), then the
shorter label.

>>> import pyoxigraph as ox, tempfile
>>> from pathlib import Path
>>> from exokg.index.adjacency import build_adjacency
>>> from exokg.index.metrics import build_metrics
>>> store = ox.Store()
>>> store.load(b'''
...   @prefix exo: <https://w3id.org/exokg/vocab#> .
...   @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
...   <https://w3id.org/exokg/id/content/let-7a> a exo:MicroRNA ; rdfs:label "let-7a" .
...   <https://w3id.org/exokg/id/content/mir-21> a exo:MicroRNA ; rdfs:label "miR-21" .''',
...   format=ox.RdfFormat.TURTLE)
>>> with tempfile.TemporaryDirectory() as tmp:
...     for build in (build_adjacency, build_metrics, build_search_index):
...         build(store, Path(tmp))
...     [(h.label, h.field) for h in search(Path(tmp), "hsa-mir-21-5p")]
[('miR-21', 'label')]
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyoxigraph as ox
from exokg.bounds import integer_in, search_text
from exokg.build_db import build_db
from exokg.curie import external_curie
from exokg.errors import ArtifactMissing
from exokg.index.adjacency import excluded_types, kind_name, load_adjacency
from exokg.index.metrics import load_metrics
from exokg.index.scan import excluded_filter, node_ids, select, tagged_union
from exokg.labels import preferred_label
from exokg.name_keys import fold, identifier_keys, name_keys
from exokg.network import compress
from exokg.readonly_db import read_only
from exokg.terms import normalize_kinds
from exokg.vocab import EXO, RDFS, SKOS

__all__ = ["SEARCH_FILE", "Hit", "build_search_index", "search"]

logger = logging.getLogger(__name__)

SEARCH_FILE = "search.sqlite"
_FIELDS = ("label", "altLabel", "curie", "xref", "related")
#: Score of an exact and of a prefix match, per field.
_EXACT = {"label": 100, "altLabel": 90, "curie": 90, "xref": 90, "related": 60}
_PREFIX = {"label": 70, "altLabel": 60, "curie": 55, "xref": 55, "related": 40}
_WORD = 30
_CANDIDATES = 2000  # rows kept per prefix or word lookup, best prominence first
_SCAN = 5_000  # prefix rows read at most (in key order), to bound a short query's cost

_PREDICATES = {str(RDFS.label): "label", str(SKOS.altLabel): "altLabel",
               str(EXO.xref): "xref", str(SKOS.exactMatch): "xref",
               str(SKOS.closeMatch): "xref", str(SKOS.narrowMatch): "related",
               str(SKOS.broadMatch): "related", str(SKOS.relatedMatch): "related"}


def _iri_keys(q: str) -> list[str]:
    """The keys of an IRI (``<...>`` or bare) by its CURIEs: ExoKG's own, as the index
    holds its nodes, and its source's (``hgnc:31586`` for identifiers.org's), as it holds
    mapped identifiers.

    >>> _iri_keys("<https://w3id.org/exokg/id/content/mir-21>")
    ['exoid:content/mir-21', 'content/mir-21']
    >>> _iri_keys("https://identifiers.org/hgnc:31586"), _iri_keys("miR-21")
    (['hgnc:31586'], [])
    """
    iri = q.strip().removeprefix("<").removesuffix(">")
    if "://" not in iri:
        return []
    curies = [c for c in (compress(iri), external_curie(iri)) if c is not None and c != iri]
    return [key for curie in curies for key in identifier_keys(curie)]


@dataclass(frozen=True)
class Hit:
    """One search result: the entity and why it matched."""

    iri: str
    label: str
    curie: str
    kind: str
    cls: str
    score: int
    field: str
    matched: str
    studies: int
    degree: int

    def to_dict(self) -> dict:
        return {"id": self.iri, "label": self.label, "curie": self.curie, "kind": self.kind,
                "class": self.cls, "score": self.score, "field": self.field,
                "matched": self.matched, "studies": self.studies, "degree": self.degree}


_SCHEMA = """
CREATE TABLE entity (id INTEGER PRIMARY KEY, iri TEXT NOT NULL, label TEXT NOT NULL,
    curie TEXT NOT NULL, class TEXT NOT NULL, studies INTEGER NOT NULL,
    degree INTEGER NOT NULL, prominence REAL NOT NULL);
CREATE TABLE names (key TEXT NOT NULL, entity INTEGER NOT NULL, field INTEGER NOT NULL,
    penalty INTEGER NOT NULL, name TEXT NOT NULL);
CREATE VIRTUAL TABLE words USING fts5(text, entity UNINDEXED, field UNINDEXED,
    tokenize = "unicode61 remove_diacritics 2", prefix = '1 2 3 4');
"""


def _name_rows(store: ox.Store, ids: dict[str, int], excluded: list[str]
               ) -> tuple[np.ndarray, list[int], list[str]]:
    """The names of the nodes: (node ids, field codes, values), grouped by node id.

    One streamed query (a ``UNION`` over the name predicates, Findings dropped inside
    Oxigraph); within a node, the rows keep the query's order.
    """
    fields = [_FIELDS.index(f) for f in _PREDICATES.values()]
    query = (f"SELECT ?n ?i ?o {{ {{ {tagged_union('n', _PREDICATES, 'o', 'i')} }} "
             f"{excluded_filter('n', excluded)} }}")
    field_of = {str(i): f for i, f in enumerate(fields)}
    nodes, codes, values = array("q"), [], []
    get = ids.get
    for n, i, o in select(store, query):
        node = get(n.value) if type(n) is ox.NamedNode else None
        if node is None:
            continue  # a name of a non-node: a schema term, a blank node
        if type(o) is ox.NamedNode:
            value = external_curie(o.value) or compress(o.value)
        elif type(o) is ox.Literal:
            value = o.value
        else:
            continue
        nodes.append(node)
        codes.append(field_of[i.value])
        values.append(value)
    node_array = np.frombuffer(nodes, dtype=np.int64) if nodes else np.zeros(0, np.int64)
    order = np.argsort(node_array, kind="stable")
    return (node_array[order], [codes[k] for k in order.tolist()],
            [values[k] for k in order.tolist()])


_LABEL, _ALT, _CURIE = (_FIELDS.index(f) for f in ("label", "altLabel", "curie"))
_ID_FIELDS = frozenset(_FIELDS.index(f) for f in ("curie", "xref", "related"))


def _index_rows(node: int, label: str, curie: str, fields: list[int], values: list[str]
                ) -> Iterator[tuple[str, int, int, int, str]]:
    """The ``names`` rows of one entity: (key, entity, field, penalty, name)."""
    seen = set()
    pairs = [(_LABEL, label), (_CURIE, curie)]
    pairs += [(f, v) for f, v in zip(fields, values, strict=True) if f != _LABEL]
    for field, value in pairs:
        if field in _ID_FIELDS:
            keys = [(k, 0) for k in identifier_keys(value)] + name_keys(value)[:1]
        else:
            keys = name_keys(value)
        for key, penalty in keys:
            # each name once per key: two names with one key ("miR-10" and "MIR10") are
            # both kept, so that each view can say which name matched
            if (key, field, value) not in seen:
                seen.add((key, field, value))
                yield key, node, field, penalty, value


def build_search_index(store: ox.Store, folder: Path) -> None:
    """Write the search index ``folder / "search.sqlite"`` (run after the metrics).

    The names of the adjacency's nodes are read from the store in one streamed query
    and grouped by node id with numpy, then written with ``executemany`` in one
    transaction (journal and sync off: the build folder is thrown away on failure);
    the ``names`` index and the FTS5 merge come after the inserts.
    """
    start = time.perf_counter()
    folder = Path(folder)
    adj, metrics = load_adjacency(folder), load_metrics(folder)
    iris = adj.iris()
    name_nodes, name_fields, name_values = _name_rows(store, node_ids(iris),
                                                      excluded_types(store))
    bounds = np.searchsorted(name_nodes, np.arange(adj.n + 1)).tolist()
    del name_nodes
    studies, degree = metrics.studies.tolist(), metrics.degree.tolist()
    classes = [adj.kind_names[k] for k in adj.kinds.tolist()]
    path = folder / SEARCH_FILE
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = build_db(tmp)
    try:
        con.executescript(_SCHEMA)
        batch_e: list[tuple] = []
        batch_n: list[tuple[str, int, int, int, str]] = []
        batch_w: list[tuple[str, int, str]] = []
        for node, iri in enumerate(iris):
            lo, hi = bounds[node], bounds[node + 1]
            fields, values = name_fields[lo:hi], name_values[lo:hi]
            label = preferred_label(v for f, v in zip(fields, values, strict=True)
                                    if f == _LABEL) or re.split(r"[#/]", iri.rstrip("/#"))[-1]
            # the other labels are alternative names, as every view shows them
            fields = [_ALT if f == _LABEL and v != label else f
                      for f, v in zip(fields, values, strict=True)]
            curie = compress(iri)
            batch_e.append((node, iri, label, curie, classes[node], studies[node],
                            degree[node], studies[node] * 1e6 + degree[node]))
            batch_n.extend(_index_rows(node, label, curie, fields, values))
            # the label first, then the alternative labels, each once
            words = dict.fromkeys([label] + [v for f, v in zip(fields, values, strict=True)
                                             if f == _ALT])
            batch_w.extend((w, node, "label" if w == label else "altLabel") for w in words)
            if len(batch_n) >= 50_000:
                _flush(con, batch_e, batch_n, batch_w)
        _flush(con, batch_e, batch_n, batch_w)
        con.executescript("CREATE INDEX names_key ON names (key, field);"
                          "INSERT INTO words(words) VALUES ('optimize');")
        con.commit()
    finally:
        con.close()
    tmp.replace(path)
    logger.info("search index of %d entities in %.1f s", adj.n, time.perf_counter() - start)


def _flush(con: sqlite3.Connection, entities: list, names: list, words: list) -> None:
    con.executemany("INSERT INTO entity VALUES (?, ?, ?, ?, ?, ?, ?, ?)", entities)
    con.executemany("INSERT INTO names VALUES (?, ?, ?, ?, ?)", names)
    con.executemany("INSERT INTO words (text, entity, field) VALUES (?, ?, ?)", words)
    entities.clear()
    names.clear()
    words.clear()


def _connect(index_folder: Path) -> contextlib.AbstractContextManager[sqlite3.Connection]:
    path = Path(index_folder) / SEARCH_FILE
    if not path.is_file():  # the service's want, not the query's fault: a 503
        raise ArtifactMissing(f"no search index ({path.parent.name}/{path.name}); build the "
                              "store's artifacts first")
    return read_only(path)


_ROW = ("SELECT n.entity, n.field, n.penalty, n.name, e.prominence FROM names n "
        "JOIN entity e ON e.id = n.entity ")


def search(index_folder: Path, q: str, *, types: Iterable[str] | None = None,
           limit: int = 20) -> list[Hit]:
    """Entities whose names or identifiers match ``q``, best first (see the module docs).

    Parameters
    ----------
    index_folder
        the artifact folder holding ``search.sqlite``.
    q
        a name, alias, CURIE or accession, any case and spelling.
    types
        keep only these kinds (``MicroRNA``, ``exo:Disease``; ``ExosomalContent`` = all five).
    limit
        1 to 1000 hits.

    Raises
    ------
    InvalidQuery
        for an empty ``q`` or one past :data:`~exokg.bounds.SEARCH_MAX`, a bad ``limit``
        or a folder without an index.
    """
    q = search_text(q)
    limit = integer_in("limit", limit, 1, 1000)
    kinds = normalize_kinds(types)
    keys = name_keys(q)  # exact and prefix lookups; identifiers only exactly
    named = {key for key, _ in keys}
    ids = [k for k in [*identifier_keys(q), *_iri_keys(q)] if k not in named]
    exact = keys + [(k, 0) for k in dict.fromkeys(ids)]
    best: dict[int, tuple[int, str, str]] = {}

    def offer(entity: int, score: int, field: str, name: str) -> None:
        if entity not in best or score > best[entity][0]:
            best[entity] = (score, field, name)

    with _connect(index_folder) as con:
        for key, penalty in exact:
            for entity, field, pen, name, _ in con.execute(_ROW + "WHERE n.key = ?", (key,)):
                offer(entity, _EXACT[_FIELDS[field]] - max(penalty, pen), _FIELDS[field], name)
        for key, penalty in keys:
            if len(key) < 2:
                continue
            # at most _SCAN keys in key order, the most prominent _CANDIDATES of them:
            # a one-letter query costs the same at 10^3 and 10^6 entities
            rows = con.execute("SELECT entity, field, penalty, name FROM (" + _ROW +
                               "WHERE n.key > ? AND n.key < ? LIMIT ?) "
                               "ORDER BY prominence DESC LIMIT ?",
                               (key, key + "\U0010ffff", _SCAN, _CANDIDATES))
            for entity, field, pen, name in rows:
                offer(entity, _PREFIX[_FIELDS[field]] - max(penalty, pen), _FIELDS[field],
                      name)
        words = list(dict.fromkeys(re.findall(r"\w+", fold(q))))  # each word once
        if words:
            match = " AND ".join(f'"{w}"*' for w in words)
            rows = con.execute("SELECT w.entity, w.field, w.text FROM (SELECT entity, field, "
                               "text FROM words WHERE words MATCH ? LIMIT ?) w JOIN entity e "
                               "ON e.id = w.entity ORDER BY e.prominence DESC LIMIT ?",
                               (match, _SCAN, _CANDIDATES))
            for entity, field, text in rows:
                offer(int(entity), _WORD, field, text)
        if not best:
            return []
        marks = ",".join("?" * len(best))
        info = {row[0]: row[1:] for row in con.execute(
            f"SELECT id, iri, label, curie, class, studies, degree, prominence FROM entity "
            f"WHERE id IN ({marks})", list(best))}
    hits = []
    for entity, (score, field, name) in best.items():
        iri, label, curie, cls, studies, degree, prominence = info[entity]
        kind = kind_name(cls)
        if kinds is not None and kind.lower() not in kinds:
            continue
        hits.append((-score, -prominence, len(label), label, Hit(
            iri=iri, label=label, curie=curie, kind=kind, cls=cls, score=score, field=field,
            matched=name, studies=studies, degree=degree)))
    hits.sort(key=lambda h: h[:4])
    return [h[4] for h in hits[:limit]]
