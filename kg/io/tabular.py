"""Tables: KGX TSV (a zip of ``nodes.tsv`` and ``edges.tsv``) and a CSV edge list.

KGX maps each node kind to a Biolink Model category and each predicate to a Biolink
predicate (all checked against the ``biolink-model`` package in the tests); ExoKG's own
class and predicate stay in ``original_category``-like columns (``exo_class``,
``original_predicate``).

>>> import networkx as nx
>>> G = nx.MultiDiGraph()
>>> G.add_node("https://w3id.org/exokg/id/content/a", label="miR-A", kind="MicroRNA",
...            curie="exoid:content/a")
>>> print(to_csv(G).decode().splitlines()[0])
source,source_label,predicate,target,target_label
"""

from __future__ import annotations

import csv
import io
import zipfile

import networkx as nx
from exokg.io._values import LIST_SEPARATOR, scalar
from exokg.network import compress

__all__ = ["BIOLINK_CATEGORY", "BIOLINK_PREDICATE", "kgx_tables", "to_csv", "to_kgx"]

#: ExoKG node kind -> Biolink Model category.
BIOLINK_CATEGORY = {
    "MicroRNA": "biolink:MicroRNA",
    "LongNonCodingRNA": "biolink:NoncodingRNAProduct",
    "CircularRNA": "biolink:NoncodingRNAProduct",
    "MessengerRNA": "biolink:RNAProduct",
    "Protein": "biolink:Protein",
    "Disease": "biolink:Disease",
    "SampleType": "biolink:AnatomicalEntity",
    "IsolationMethod": "biolink:Procedure",
    "DetectionMethod": "biolink:Procedure",
    "ExosomeSource": "biolink:Cell",
    "Drug": "biolink:ChemicalEntity",
    "Reference": "biolink:Publication",
    "Review": "biolink:Publication",
    "Role": "biolink:Attribute",
    "Expression": "biolink:Attribute",
    "Finding": "biolink:Evidence",
}
_DEFAULT_CATEGORY = "biolink:NamedThing"

#: ExoKG predicate -> Biolink predicate (the rest: ``biolink:related_to``).
BIOLINK_PREDICATE = {
    "exo:regulates": "biolink:associated_with",
    "exo:upregulatedIn": "biolink:associated_with",
    "exo:downregulatedIn": "biolink:associated_with",
    "exo:citedIn": "biolink:mentioned_by",
    "prov:wasDerivedFrom": "biolink:related_to",
}
_DEFAULT_PREDICATE = "biolink:related_to"

_NODE_COLUMNS = ("id", "category", "name", "synonym", "xref", "iri", "exo_class",
                 "description")
_EDGE_COLUMNS = ("id", "subject", "predicate", "object", "original_predicate",
                 "knowledge_level", "agent_type")


def _cell(value) -> str:
    value = scalar(value)
    text = "" if value is None else str(value)
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _tsv(columns, rows) -> bytes:
    lines = ["\t".join(columns)]
    lines += ["\t".join(_cell(row.get(c)) for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def kgx_tables(G: nx.MultiDiGraph) -> tuple[list[dict], list[dict]]:
    """Node and edge rows of the KGX TSV files."""
    nodes = []
    for node, data in sorted(G.nodes(data=True)):
        nodes.append({
            "id": data.get("curie") or compress(node),
            "category": BIOLINK_CATEGORY.get(data.get("kind", ""), _DEFAULT_CATEGORY),
            "name": data.get("label"),
            "synonym": LIST_SEPARATOR.join(data.get("alt_labels", ())),
            "xref": LIST_SEPARATOR.join(data.get("xrefs", ())),
            "iri": node, "exo_class": data.get("class"),
            "description": data.get("function") if data.get("kind") == "Finding" else None,
        })
    edges = []
    for i, (u, v, key, data) in enumerate(sorted(G.edges(keys=True, data=True),
                                                  key=lambda e: e[:3])):
        predicate = str(data.get("predicate", key))
        edges.append({
            "id": f"exokg:edge/{i}",
            "subject": G.nodes[u].get("curie") or compress(u),
            "predicate": BIOLINK_PREDICATE.get(predicate, _DEFAULT_PREDICATE),
            "object": G.nodes[v].get("curie") or compress(v),
            "original_predicate": predicate,
            "knowledge_level": "knowledge_assertion", "agent_type": "manual_agent",
        })
    return nodes, edges


def to_kgx(G: nx.MultiDiGraph) -> bytes:
    """A zip of KGX ``nodes.tsv`` and ``edges.tsv`` (stable bytes: fixed timestamps)."""
    nodes, edges = kgx_tables(G)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("nodes.tsv", _tsv(_NODE_COLUMNS, nodes)),
                           ("edges.tsv", _tsv(_EDGE_COLUMNS, edges))):
            info = zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def to_csv(G: nx.MultiDiGraph) -> bytes:
    """A CSV edge list: source, source_label, predicate, target, target_label."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["source", "source_label", "predicate", "target", "target_label"])
    for u, v, key, data in sorted(G.edges(keys=True, data=True), key=lambda e: e[:3]):
        writer.writerow([u, G.nodes[u].get("label", u), data.get("predicate", key), v,
                         G.nodes[v].get("label", v)])
    return text.getvalue().encode("utf-8")
