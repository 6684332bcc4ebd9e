"""The facets artifact: what a page shows about a hub, computed once with the store.

An entity page must not count a hub's 10^5 findings at request time. The artifact
(``facets.sqlite``, built by :func:`exokg.facets_build.build_facets` with the store) holds:

* ``node_count``, ``content_count``: per node, the findings naming it (any link but
  ``rdf:type``) and those with it as ``exo:content``;
* for each **hub** (a node named by more findings than a page shows, ``hub``):
  ``evidence`` (:func:`exokg.evidence.summarize` of the findings naming it, ``via =
  'any'``, and, for a molecule, of those with it as ``exo:content``, ``via = 'content'``,
  with :func:`exokg.evidence.group_by_disease_role`), ``facet`` (findings counted by
  table, disease, direction, sample and study) and ``page_order`` (its findings by table,
  row and IRI, so that any page is read by position);
* ``incoming``: per node, links from anything but a finding, per predicate;
* ``conflict``: the molecules whose studies disagree (``/api/conflicts``);
* ``stats``: the home page's counts (triples, instances per class, findings per table).

A node that is not a hub has at most a page of findings: its page reads them all and
summarises them with the same functions (:class:`NodeFacets` then carries ``None``).
:class:`Facets` reads the artifact by IRI. The conflict rule is :mod:`exokg.evidence`'s.

>>> import tempfile
>>> from pathlib import Path
>>> from exokg.facets_build import build_facets
>>> from exokg.store import open_store, prepare_store
>>> with tempfile.TemporaryDirectory() as tmp:
...     build_facets(open_store(prepare_store(tmp).path), Path(tmp) / "facets")
...     facets = Facets(Path(tmp) / "facets")
...     mir = facets.node("https://w3id.org/exokg/id/content/mir-638")
...     tables, conflicts = facets.stats()["tables"], facets.conflict_count()
>>> mir.count, mir.evidence, tables, conflicts > 0
(2, None, {1: 38, 2: 13, 3: 10, 4: 3, 5: 2}, True)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exokg.describe import finding_row, label_of
from exokg.errors import ArtifactMissing, StillBuilding
from exokg.evidence import group_by_disease_role, summarize
from exokg.facet_counts import FACET_NAMES
from exokg.labels import other_names
from exokg.pages import (
    PAGE_SIZE,
    all_finding_records,
    description_graph,
    finding_page,
    finding_records,
    incoming_rows,
    page_number,
)
from exokg.readonly_db import read_only
from exokg.vocab import EXO, RDF, RDFS, SKOS
from rdflib import URIRef

__all__ = ["ARTIFACT", "CONFLICTS_SHOWN", "FACETS_FILE", "FACET_NAMES", "SCHEMA", "Facets",
           "NodeFacets", "evidence_answer", "evidence_node", "graph_entry", "node_entry",
           "store_facets"]

logger = logging.getLogger(__name__)

#: The artifact's name in the store's artifact registry, and its file.
ARTIFACT = "facets"
FACETS_FILE = "facets.sqlite"

SCHEMA = """
CREATE TABLE node_count (node TEXT PRIMARY KEY, count INTEGER) WITHOUT ROWID;
CREATE TABLE content_count (node TEXT PRIMARY KEY, count INTEGER) WITHOUT ROWID;
CREATE TABLE hub (id INTEGER PRIMARY KEY, node TEXT UNIQUE);
CREATE TABLE evidence (node TEXT, via TEXT, count INTEGER, summary TEXT,
                       PRIMARY KEY (node, via)) WITHOUT ROWID;
CREATE TABLE facet (node TEXT, facet TEXT, rank INTEGER, key TEXT, label TEXT,
                    count INTEGER, PRIMARY KEY (node, facet, rank)) WITHOUT ROWID;
CREATE TABLE incoming (node TEXT, predicate TEXT, label TEXT, count INTEGER,
                       PRIMARY KEY (node, predicate)) WITHOUT ROWID;
CREATE TABLE conflict (node TEXT PRIMARY KEY, sort TEXT, entry TEXT) WITHOUT ROWID;
CREATE TABLE stats (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE finding (id INTEGER PRIMARY KEY, iri TEXT);
CREATE TABLE page_order (hub INTEGER, via TEXT, seq INTEGER, finding INTEGER,
                         PRIMARY KEY (hub, via, seq)) WITHOUT ROWID;
"""

#: Conflicts a node's summary lists at most: a hub disease has thousands of molecules
#: that studies disagree on (``conflicts_count`` says how many when cut).
CONFLICTS_SHOWN = 50


@dataclass
class NodeFacets:
    """What the artifact holds about one node: how many findings name it, its incoming
    links and, for a hub, its evidence summary and facet counts (``None`` otherwise: the
    node's page holds all its findings and summarises them)."""

    count: int
    evidence: dict[str, Any] | None
    facets: dict[str, list[dict[str, Any]]] | None
    incoming: list[dict[str, Any]]


def node_entry(node: str, label: str, types: list[str], alt_labels: list[str],
               xrefs: list[str]) -> dict[str, Any]:
    """A node as ``/api/evidence`` and ``/api/conflicts`` name it: ``id label curie class
    kind`` (its most specific class), ``alt_labels`` and ``xrefs`` when it has some."""
    from exokg.curie import compact_iri
    from exokg.network import most_specific

    cls = most_specific(types)
    entry: dict[str, Any] = {"id": node, "label": label, "curie": compact_iri(node),
                             "class": compact_iri(cls) if cls else "",
                             "kind": cls.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if cls else ""}
    names = sorted({a for a in alt_labels if a != label})
    if names:
        entry["alt_labels"] = names
    if xrefs:
        entry["xrefs"] = sorted(set(xrefs))
    return entry


def graph_entry(graph: Any, node: str) -> dict[str, Any]:
    """:func:`node_entry` from a graph holding the node's own statements."""
    subject = URIRef(node)
    label = label_of(graph, subject)
    return node_entry(node, label, [str(t) for t in graph.objects(subject, RDF.type)],
                      other_names(label, *(map(str, graph.objects(subject, p))
                                           for p in (RDFS.label, SKOS.altLabel))),
                      [str(x) for x in graph.objects(subject, EXO.xref)])


def _content_count(db: sqlite3.Connection, iri: str) -> int:
    hit = db.execute("SELECT count FROM content_count WHERE node = ?", (iri,)).fetchone()
    return int(hit[0]) if hit else 0


class Facets:
    """The facets artifact of one store, read by IRI (read-only, through the process's
    pooled connections: :func:`exokg.readonly_db.read_only`)."""

    def __init__(self, folder: Path | str) -> None:
        self.path = Path(folder) / FACETS_FILE
        if not self.path.is_file():
            raise FileNotFoundError(f"no facets artifact at {self.path}")

    def node(self, iri: str) -> NodeFacets:
        """The node's finding count and incoming links, and a hub's evidence and facets."""
        with read_only(self.path) as db:
            hit = db.execute("SELECT count FROM node_count WHERE node = ?", (iri,)).fetchone()
            summary = db.execute("SELECT summary FROM evidence WHERE node = ? AND via = 'any'",
                                 (iri,)).fetchone()
            facets: dict[str, list[dict[str, Any]]] = {name: [] for name in FACET_NAMES}
            for name, key, label, n in db.execute(
                    "SELECT facet, key, label, count FROM facet WHERE node = ? "
                    "ORDER BY facet, rank", (iri,)):
                facets[name].append({"key": key, "label": label, "count": n})
            incoming = db.execute("SELECT predicate, label, count FROM incoming "
                                  "WHERE node = ?", (iri,)).fetchall()
            labels = {p: label for p, label, _ in incoming if label}
            return NodeFacets(int(hit[0]) if hit else 0,
                              json.loads(summary[0]) if summary else None,
                              facets if summary else None,
                              incoming_rows(((p, n) for p, _, n in incoming), labels))

    def is_molecule(self, iri: str) -> bool:
        """Whether a finding has ``iri`` as ``exo:content``: the nodes ``/api/evidence``
        summarises."""
        return self.content_count(iri) > 0

    def content_count(self, iri: str) -> int:
        """How many findings have ``iri`` as ``exo:content`` (its molecule)."""
        with read_only(self.path) as db:
            return _content_count(db, iri)

    def content_evidence(self, iri: str) -> tuple[int, dict[str, Any] | None]:
        """How many findings have ``iri`` as ``exo:content``, and, for a hub,
        ``/api/evidence``'s summary of them (``groups`` per disease and role; ``None``
        for a node with at most a page of them)."""
        with read_only(self.path) as db:
            summary = db.execute("SELECT summary FROM evidence "
                                 "WHERE node = ? AND via = 'content'", (iri,)).fetchone()
            return _content_count(db, iri), (json.loads(summary[0]) if summary else None)

    def finding_page(self, iri: str, page: int, size: int, *,
                     via: str = "any") -> list[str] | None:
        """The IRIs of page ``page`` of a hub's findings (by table, row, IRI), or ``None``
        when the node has at most a page of them (read them with a query)."""
        with read_only(self.path) as db:
            rows = db.execute(
                "SELECT f.iri FROM hub h JOIN page_order o ON o.hub = h.id "
                "JOIN finding f ON f.id = o.finding WHERE h.node = ? AND o.via = ? "
                "AND o.seq >= ? AND o.seq < ? ORDER BY o.seq",
                (iri, via, (page - 1) * size, page * size)).fetchall()
            if not rows and not db.execute(
                    "SELECT 1 FROM hub h JOIN page_order o ON o.hub = h.id "
                    "WHERE h.node = ? AND o.via = ? LIMIT 1", (iri, via)).fetchone():
                return None
            return [iri_ for (iri_,) in rows]

    def conflicts(self, *, page: int = 1, size: int = 0) -> list[dict[str, Any]]:
        """The molecules whose studies disagree on their direction in one disease, by
        label: all of them, or page ``page`` of ``size``."""
        limit = f" LIMIT {int(size)} OFFSET {(int(page) - 1) * int(size)}" if size else ""
        with read_only(self.path) as db:
            return [json.loads(entry) for (entry,) in
                    db.execute("SELECT entry FROM conflict ORDER BY sort" + limit)]

    def conflict_count(self) -> int:
        """How many molecules :meth:`conflicts` lists."""
        with read_only(self.path) as db:
            return int(db.execute("SELECT COUNT(*) FROM conflict").fetchone()[0])

    def stats(self) -> dict[str, Any]:
        """The home page's counts: ``triples``, ``classes`` (IRI: n), ``tables`` (n: count)."""
        with read_only(self.path) as db:
            (value,) = db.execute("SELECT value FROM stats WHERE name = 'home'").fetchone()
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
    number = page_number(page, pages)
    graph, _ = description_graph(reader, node, cap=0)  # what the node is: all it needs
    ids = facets.finding_page(node, number, size, via="content") if count else []
    if ids is None:
        ids = finding_page(reader, node, number, size=size, predicate=str(EXO.content))
    records = finding_records(reader, ids)
    if summary is None:  # not a hub: at most a page of findings, summarised here
        every = [finding_row(r) for r in (records if count <= size else all_finding_records(
            reader, node, count, predicate=str(EXO.content)))]
        summary = {**summarize(every, node), "groups": group_by_disease_role(every)}
    return {"node": graph_entry(graph, node), **summary,
            "findings": [_api_finding(r) for r in records],
            "findings_count": count, "page": number, "pages": pages,
            "has_next": number < pages}


def store_facets(info: Any) -> Facets:
    """The facets artifact of a built store (:class:`exokg.store.StoreInfo`).

    A store built without the artifact (before the builder was registered) gets it
    built once beside it, atomically (a folder renamed into place).
    """
    if ARTIFACT in (getattr(info, "artifacts", None) or ()):
        return Facets(info.artifact_dir(ARTIFACT))
    if not getattr(info, "complete", True):  # its build is under way: not built here
        raise StillBuilding("this request")
    if info.remote:  # its artifacts come from exokg index only
        raise ArtifactMissing(
            f"the remote store's data version {info.version} has no {ARTIFACT} artifact: "
            f"build it with `exokg index --store-url {info.path} --store STORE_DIR` and "
            f"serve with the same --store")
    folder = Path(str(info.path).rstrip("/") + ".facets")
    if not (folder / FACETS_FILE).is_file():
        from exokg.store import open_store

        tmp = folder.with_name(f"{folder.name}.building-{os.getpid()}-{threading.get_ident()}")
        from exokg.facets_build import build_facets

        logger.info("building the facets artifact of %s", info.path)
        build_facets(open_store(info.path), tmp)
        try:
            tmp.rename(folder)
        except OSError:  # another process got there first: theirs holds the same
            shutil.rmtree(tmp, ignore_errors=True)
    return Facets(folder)


def evidence_node(source: Any, facets: Facets, name: str) -> str:
    """The molecule ``name`` stands for in ``/api/evidence``, found as every graph query
    finds a name (``source.resolve``: :meth:`exokg.store_source.StoreSource.resolve`, an
    IRI, a CURIE, a label or alternative label in any case, an identifier, a spelling the
    search index knows; a molecule first when a name names several).

    Raises
    ------
    NodeNotFound
        with suggestions, for a name that names nothing.
    InvalidQuery
        for a node that no finding names as its molecule (``exo:content``): the evidence
        summary is a molecule's; another node's findings are on its page.
    """
    from exokg.errors import FindingNotNode, InvalidQuery

    try:
        node = source.resolve(name)
    except FindingNotNode:  # its hint (findings=true) is the graph queries', not ours
        raise InvalidQuery(f"{name!r} is a finding: the evidence summary is a molecule's "
                           "(the finding's molecule is on its page)") from None
    if not facets.is_molecule(node):
        raise InvalidQuery(f"{name!r} names {node}, which no finding names as its molecule: "
                           "the evidence summary is a molecule's (the findings naming "
                           "another node are listed on its page)")
    return node
