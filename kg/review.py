"""The review ExoKG is built from, and the constants it fixes: one place for each.

Wei XC, Liu LJ, Zhu F (2022): its citation, DOI, PMID and licence; the base IRI of
ExoKG's identifiers; the five kinds of exosomal content its tables list; the role each
table proposes; and the tables' captions. The RDF graph (:mod:`exokg.build`), the VoID
description (:mod:`exokg.sparql.describe`), the pages and the queries read them here.

>>> CITATION_WITH_DOI.endswith("334-347. doi:10.4251/wjgo.v14.i1.334")
True
>>> ROLE_OF_TABLE[1], TABLE_TITLES[1]
('Biomarker', 'Potential biomarkers for liver cancer')
"""

from __future__ import annotations

import logging

__all__ = [
    "AUTHORS", "BASE_IRI", "CITATION", "CITATION_WITH_DOI", "CITATION_WITH_IDS",
    "CONTENT_HEADINGS", "CONTENT_KINDS", "DOI", "DOI_URL", "ID_NAMESPACES",
    "ID_NAMESPACE_OF_CLASS", "LABEL", "LICENSE_NAME",
    "LICENSE_URL", "PMID", "PUBMED_URL", "REVIEW_PAGE", "ROLE_OF_TABLE", "SOURCE",
    "TABLE_TITLES", "TITLE",
]

logger = logging.getLogger(__name__)

#: Where ExoKG's IRIs live: ``<base>vocab#`` for terms, ``<base>id/`` for entities.
BASE_IRI = "https://w3id.org/exokg/"

TITLE = "Exosomes as potential diagnosis and treatment for liver cancer"
AUTHORS = "Wei XC, Liu LJ, Zhu F"
DOI = "10.4251/wjgo.v14.i1.334"
DOI_URL = f"https://doi.org/{DOI}"
PMID = "35116120"
PUBMED_URL = f"https://pubmed.ncbi.nlm.nih.gov/{PMID}/"
LICENSE_NAME = "CC BY-NC 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by-nc/4.0/"
#: How the store's metadata names the bundled source.
SOURCE = "Wei, Liu, Zhu 2022 (World J Gastrointest Oncol 14(1):334-347)"
#: The review's ``rdfs:label`` in the graph.
LABEL = f"Wei, Liu, Zhu 2022: {TITLE}"
CITATION = f"{AUTHORS}. {TITLE}. World J Gastrointest Oncol 2022; 14(1): 334-347."
#: As the graph's ``dcterms:bibliographicCitation`` writes it.
CITATION_WITH_DOI = f"{CITATION} doi:{DOI}"
#: As the VoID description writes it.
CITATION_WITH_IDS = f"{CITATION} DOI {DOI}, PMID {PMID}"

#: What the pages show about the review (the ``review`` of every page's data).
REVIEW_PAGE = {
    "title": TITLE, "authors": AUTHORS, "citation": CITATION, "doi": DOI, "doi_url": DOI_URL,
    "pmid": PMID, "license": LICENSE_NAME, "license_url": LICENSE_URL,
}

#: The five kinds of exosomal content (classes of the ``exo:`` vocabulary), in the order
#: a label naming several nodes prefers them.
CONTENT_KINDS = ("MicroRNA", "LongNonCodingRNA", "CircularRNA", "MessengerRNA", "Protein")

#: The first segment of the ids of each class's entities (``content/mir-21``): one
#: namespace per kind of entity. The graph mints its other IRIs (``finding/``,
#: ``review/``) in namespaces that no entity may take over.
ID_NAMESPACE_OF_CLASS = {
    **dict.fromkeys(("ExosomalContent", *CONTENT_KINDS), "content"),
    "Disease": "disease", "SampleType": "sampletype", "IsolationMethod": "isolationmethod",
    "DetectionMethod": "detectionmethod", "ExosomeSource": "exosomesource", "Drug": "drug",
    "Reference": "ref",
}

#: The entities' namespaces, in the order lists of entities are sorted by kind.
ID_NAMESPACES = tuple(dict.fromkeys(ID_NAMESPACE_OF_CLASS.values()))

#: The headings the tables group their content under, in the tables' order, and the
#: kind each names (the ``kind`` column of the records).
CONTENT_HEADINGS = {"Proteins": "Protein", "mRNAs": "MessengerRNA", "miRNAs": "MicroRNA",
                    "lncRNAs": "LongNonCodingRNA", "circRNAs": "CircularRNA"}

#: The role (an ``exo:`` individual) the review proposes for the content of each table.
ROLE_OF_TABLE = {1: "Biomarker", 2: "Biotherapeutic", 3: "TherapeuticTarget",
                 4: "DrugCarrier", 5: "TherapeuticFactor"}

#: The review's captions of its five tables.
TABLE_TITLES = {
    1: "Potential biomarkers for liver cancer",
    2: "Potential therapeutic drugs",
    3: "Potential therapeutic targets",
    4: "As a carrier for drug treatment",
    5: "Exosomes from dendritic cells as potential therapeutic factors",
}
