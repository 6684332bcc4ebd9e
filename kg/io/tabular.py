"""Tables: KGX TSV (a zip of ``nodes.tsv`` and ``edges.tsv``) and a CSV edge list.

KGX maps each node kind to a Biolink Model category and each predicate to a Biolink
predicate (all checked against the ``biolink-model`` package in the tests); ExoKG's own
class and predicate stay in ``original_category``-like columns (``exo_class``,
``original_predicate``). The cells are written for KGX's own reader, which reads TSV with
quoting off: quotes stay as written, a tab or line break (which no cell may hold) becomes a
space, and a list's items are joined with ``|``, KGX's list delimiter (an item that holds
``|`` reads back as two: KGX has no escape for it).

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
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
from exokg.io._rows import CHUNK, Edge, Node, encode, graph_edges, graph_nodes
from exokg.io._values import LIST_SEPARATOR, scalar
from exokg.network import compress

__all__ = ["BIOLINK_CATEGORY", "BIOLINK_PREDICATE", "kgx_tables", "stream_csv", "stream_kgx",
           "to_csv", "to_kgx"]

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


def _tsv_lines(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    yield "\t".join(columns) + "\n"
    for row in rows:
        yield "\t".join(_cell(row.get(c)) for c in columns) + "\n"


def _kgx_node(node: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": data.get("curie") or compress(node),
        "category": BIOLINK_CATEGORY.get(data.get("kind", ""), _DEFAULT_CATEGORY),
        "name": data.get("label"),
        "synonym": LIST_SEPARATOR.join(data.get("alt_labels", ())),
        "xref": LIST_SEPARATOR.join(data.get("xrefs", ())),
        "iri": node, "exo_class": data.get("class"),
        "description": data.get("function") if data.get("kind") == "Finding" else None,
    }


def _kgx_edge(i: int, u: str, v: str, key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    predicate = str(data.get("predicate", key))
    return {
        "id": f"exokg:edge/{i}",
        "subject": data.get("_source_curie") or compress(u),
        "predicate": BIOLINK_PREDICATE.get(predicate, _DEFAULT_PREDICATE),
        "object": data.get("_target_curie") or compress(v),
        "original_predicate": predicate,
        "knowledge_level": "knowledge_assertion", "agent_type": "manual_agent",
    }


def kgx_tables(G: nx.MultiDiGraph) -> tuple[list[dict], list[dict]]:
    """Node and edge rows of the KGX TSV files."""
    nodes = [_kgx_node(n, d) for n, d in graph_nodes(G)]
    edges = [_kgx_edge(i, u, v, k, d)
             for i, (u, v, k, d) in enumerate(graph_edges(G))]
    return nodes, edges


class _Sink:
    """A write-only, unseekable file whose bytes a generator takes as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> Iterator[bytes]:
        chunks, self.chunks = self.chunks, []
        return iter(chunks)


def stream_kgx(nodes: Iterable[Node], edges: Iterable[Edge]) -> Iterator[bytes]:
    """A zip of KGX ``nodes.tsv`` and ``edges.tsv`` as chunks of bytes (stable bytes:
    fixed timestamps). Node rows sorted by IRI and edge rows by (source, target, key)
    give sorted tables; the rows are read once."""
    sink = _Sink()
    # an unseekable sink: zipfile writes each member's sizes after its data
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        tables = (("nodes.tsv", _tsv_lines(_NODE_COLUMNS,
                                           (_kgx_node(n, d) for n, d in nodes))),
                  ("edges.tsv", _tsv_lines(_EDGE_COLUMNS,
                                           (_kgx_edge(i, u, v, k, d) for i, (u, v, k, d)
                                            in enumerate(edges)))))
        for name, lines in tables:
            info = zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in encode(lines):
                    member.write(chunk)
                    yield from sink.take()
    yield from sink.take()


def to_kgx(G: nx.MultiDiGraph) -> bytes:
    """A zip of KGX ``nodes.tsv`` and ``edges.tsv`` (see :func:`stream_kgx`)."""
    return b"".join(stream_kgx(graph_nodes(G), graph_edges(G)))


def stream_csv(nodes: Iterable[Node], edges: Iterable[Edge]) -> Iterator[bytes]:
    """A CSV edge list as chunks of bytes: source, source_label, predicate, target,
    target_label (the labels from each edge row's ``_source_label``/``_target_label``)."""
    del nodes  # every column comes with the edge rows
    return encode(_csv_lines(edges))


def _csv_lines(edges: Iterable[Edge]) -> Iterator[str]:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["source", "source_label", "predicate", "target", "target_label"])
    for u, v, key, data in edges:
        writer.writerow([u, data.get("_source_label", u), data.get("predicate", key), v,
                         data.get("_target_label", v)])
        if text.tell() >= CHUNK:
            yield text.getvalue()
            text.seek(0)
            text.truncate()
    yield text.getvalue()


def to_csv(G: nx.MultiDiGraph) -> bytes:
    """A CSV edge list: source, source_label, predicate, target, target_label."""
    return b"".join(stream_csv(graph_nodes(G), graph_edges(G)))
