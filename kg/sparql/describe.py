"""Describe the service (SPARQL 1.1 Service Description) and the data (VoID).

Both are rdflib graphs, written by the format registry like every other graph. They
say only what is true of this service: its formats, its language (SPARQL 1.1 Query;
no Update), its limits, and the counts of the data it holds.
"""

from __future__ import annotations

from exokg import review
from exokg.config import Config
from exokg.formats import formats
from exokg.store import StoreInfo
from exokg.vocab import DCTERMS, EXOID, OWL, RDF, RDFS, XSD, bind_prefixes
from rdflib import BNode, Graph, Literal, Namespace, URIRef

__all__ = ["LICENSE", "REVIEW_CITATION", "REVIEW_DOI", "largest_graphs", "service_description",
           "void_graph"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
ENT = Namespace("http://www.w3.org/ns/entailment/")

REVIEW_CITATION = review.CITATION_WITH_IDS
REVIEW_DOI = URIRef(review.DOI_URL)
REVIEW_PUBMED = URIRef(review.PUBMED_URL)
LICENSE = URIRef(review.LICENSE_URL)

#: Named graphs VoID describes as subsets, the largest first (a data file may hold
#: thousands; the total counts them all).
GRAPHS_DESCRIBED = 100

#: The registry kinds /sparql answers in: solutions (SELECT, ASK), then graphs.
_SERVED_KINDS = ("results", "rdf")


def _bundled(info: StoreInfo) -> bool:
    return bool(info.sources) and info.sources[0].startswith("bundled")


def service_description(endpoint: str, info: StoreInfo, config: Config) -> Graph:
    """The SPARQL 1.1 Service Description of the endpoint at ``endpoint``."""
    g = bind_prefixes(Graph())
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("formats", FORMATS_NS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.defaultEntailmentRegime, ENT.Simple))
    for fmt in formats(*_SERVED_KINDS):
        if fmt.w3c:
            g.add((service, SD.resultFormat, FORMATS_NS[fmt.w3c]))
    allow = list(config.service_allowlist)
    if allow:
        g.add((service, SD.feature, SD.BasicFederatedQuery))
    timeout, rows, body = config.query_timeout, config.max_rows, config.max_body_bytes
    limits = ["read-only (SPARQL Update, LOAD and remote graph fetching are refused)",
              f"query time limit {timeout:g} s" if timeout else "no query time limit",
              f"at most {rows} rows or triples per result (X-Result-Truncated says when a "
              "result was cut)" if rows else "no row cap",
              f"request bodies up to {body} bytes",
              "SERVICE only to: " + ", ".join(allow) if allow else "SERVICE is refused"]
    g.add((service, RDFS.comment, Literal("Limits: " + "; ".join(limits) + ".")))
    dataset = BNode("dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = BNode("defaultGraph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    counts = info.stats.get("graph_triples")  # each named graph's (stores built since)
    if counts is not None:
        g.add((default, VOID.triples, Literal(info.triples - sum(counts.values()),
                                              datatype=XSD.integer)))
    for graph_iri in info.stats.get("graphs", []):
        named = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(graph_iri)))
        if counts is not None and graph_iri in counts:
            graph = BNode()
            g.add((named, SD.graph, graph))
            g.add((graph, RDF.type, SD.Graph))
            g.add((graph, VOID.triples, Literal(counts[graph_iri], datatype=XSD.integer)))
    g.add((dataset, VOID.triples, Literal(info.triples, datatype=XSD.integer)))
    g.add((dataset, OWL.versionInfo, Literal(info.version)))
    return g


def largest_graphs(info: StoreInfo, limit: int) -> list[tuple[str, int]]:
    """The ``limit`` named graphs of most triples, ``(graph, triples)``, largest first
    (ties by name), of the store's counted ones (none for a store counted before them)."""
    counts = info.stats.get("graph_triples", {})
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def void_graph(dataset_iri: str, endpoint: str, info: StoreInfo) -> Graph:
    """The VoID description of the data: counts, partitions, version, licence, citation."""
    from exokg.index.metrics import METRICS_GRAPH  # the index's numpy, only when asked

    g = bind_prefixes(Graph())
    g.bind("void", VOID)
    g.bind("sd", SD)
    ds = URIRef(dataset_iri)
    stats = info.stats
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, VOID.sparqlEndpoint, URIRef(endpoint)))
    g.add((ds, VOID.triples, Literal(stats.get("triples", info.triples), datatype=XSD.integer)))
    for key, prop in (("distinct_subjects", VOID.distinctSubjects),
                      ("distinct_objects", VOID.distinctObjects)):
        if key in stats:
            g.add((ds, prop, Literal(stats[key], datatype=XSD.integer)))
    g.add((ds, VOID.classes, Literal(len(stats.get("classes", [])), datatype=XSD.integer)))
    g.add((ds, VOID.properties, Literal(len(stats.get("properties", [])),
                                        datatype=XSD.integer)))
    for i, (cls, n) in enumerate(stats.get("classes", [])):
        part = BNode(f"class{i}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for i, (prop, n) in enumerate(stats.get("properties", [])):
        part = BNode(f"property{i}")
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
    counts = stats.get("graph_triples", {})
    largest = largest_graphs(info, GRAPHS_DESCRIBED)
    if len(counts) > len(largest):
        g.add((ds, RDFS.comment, Literal(
            f"{len(counts)} named graphs hold {sum(counts.values())} of the triples; the "
            f"{len(largest)} largest are described as subsets.", lang="en")))
    for i, (graph_iri, n) in enumerate(largest):
        # the total above holds the named graphs' triples: each one is a subset,
        # ExoKG's own metrics among them (exokg.index.metrics)
        part = BNode(f"graph{i}")
        g.add((ds, VOID.subset, part))
        g.add((part, RDF.type, VOID.Dataset))
        g.add((part, SD.name, URIRef(graph_iri)))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
        if graph_iri == METRICS_GRAPH:
            g.add((part, DCTERMS.description, Literal(
                "Degree, PageRank, betweenness and study counts, computed by ExoKG when "
                "the store was built.", lang="en")))
    g.add((ds, OWL.versionInfo, Literal(info.version)))
    g.add((ds, DCTERMS.modified, Literal(info.built, datatype=XSD.dateTime)))
    if _bundled(info):
        g.add((ds, DCTERMS.title, Literal("ExoKG: exosomal molecules in liver cancer", lang="en")))
        g.add((ds, DCTERMS.description, Literal(
            "The five tables of a review of exosomes in liver cancer as a knowledge graph.",
            lang="en")))
        g.add((ds, DCTERMS.license, LICENSE))
        g.add((ds, DCTERMS.source, REVIEW_DOI))
        g.add((ds, DCTERMS.source, REVIEW_PUBMED))
        g.add((ds, DCTERMS.bibliographicCitation, Literal(REVIEW_CITATION)))
        g.add((ds, VOID.uriSpace, Literal(str(EXOID))))
        g.add((ds, VOID.exampleResource, EXOID["content/mir-21"]))
    else:
        g.add((ds, DCTERMS.title, Literal("RDF data served by ExoKG", lang="en")))
        g.add((ds, RDFS.comment, Literal(
            "Served from the files given to 'exokg serve --data'; their licence is their "
            "publisher's.", lang="en")))
        for src in info.sources:
            g.add((ds, DCTERMS.source, Literal(src.rsplit("/", 1)[-1])))
    return g
