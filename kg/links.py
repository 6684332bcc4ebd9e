"""Links from ExoKG's entities to external ontologies and databases.

The links are data, kept in three files of ``data/`` (the package ``exokg.data``):

``mappings/exokg.sssom.tsv``
    an SSSOM table (https://mapping-commons.github.io/sssom/): one row per link,
    ``subject_id`` (``exoid:content/mir-21``), ``predicate_id`` (``skos:exactMatch`` ...),
    ``object_id`` (``MONDO:0007256``), the justification, a confidence and a ``comment``
    that says where the identifier was seen. Its leading ``#`` lines are the SSSOM
    metadata block (``curie_map``, ``mapping_set_id``, ``license`` ...).
``mappings/unmapped.tsv``
    the entities that have no confirmed identifier, with the reason and where it was
    looked for. Every entity of ``entities.tsv`` is in exactly one of the two files.
``references.tsv``
    what is known of each study the tables cite (refs 14-71): its identification
    status (``inferred``/``unknown``), the bibliographic fields that were seen, the
    evidence, any disagreement with the table, and whether it was retracted.

:func:`add_links` writes them into a graph: ``<entity> skos:exactMatch <IRI>`` and
``<entity> exo:xref "CURIE"`` for each mapping, and for references ``rdfs:seeAlso``
(never ``owl:sameAs``: the identifications are inferred), ``exo:identificationStatus``,
``exo:identificationEvidence``, ``dcterms:title`` ... and ``exo:retracted``.

>>> mappings = load_mappings()
>>> [m.object_id for m in mappings
...  if m.subject_id == "exoid:disease/hcc" and m.predicate_id == "skos:exactMatch"]
['DOID:684', 'MONDO:0007256', 'NCIT:C3099']
>>> converter().expand("MONDO:0007256")
'http://purl.obolibrary.org/obo/MONDO_0007256'
>>> validate_curies(mappings)
[]
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import NamedTuple

import curies
from exokg.errors import RecordError
from exokg.resources import data_path
from exokg.vocab import DCTERMS, EXO, EXOID, RDF, RDFS, SKOS, XSD
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

__all__ = [
    "KINDS", "PREDICATES", "PREFIX_MAP", "LOCAL_PATTERNS", "MAPPING_COLUMNS",
    "Mapping", "UnmappedNote", "ReferenceInfo", "Unmapped",
    "read_metadata", "load_mappings", "load_unmapped", "load_references",
    "converter", "add_links", "unmapped", "validate_curies",
]

logger = logging.getLogger(__name__)

#: The kinds of entity, as the first segment of their id (``content/mir-21``).
KINDS = ("content", "disease", "sampletype", "isolationmethod", "detectionmethod",
         "exosomesource", "drug", "ref")

#: The class of each kind's entities in the graph.
_CLASSES_OF_KIND = {
    "content": (EXO.ExosomalContent, EXO.Protein, EXO.MessengerRNA, EXO.MicroRNA,
                EXO.LongNonCodingRNA, EXO.CircularRNA),
    "disease": (EXO.Disease,), "sampletype": (EXO.SampleType,),
    "isolationmethod": (EXO.IsolationMethod,), "detectionmethod": (EXO.DetectionMethod,),
    "exosomesource": (EXO.ExosomeSource,), "drug": (EXO.Drug,), "ref": (EXO.Reference,),
}

#: The mapping predicates a row may use, and the RDF property each one writes.
#: ``rdfs:seeAlso`` is for inferred identifications (the cited studies).
PREDICATES: dict[str, URIRef] = {
    "skos:exactMatch": SKOS.exactMatch, "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch, "skos:narrowMatch": SKOS.narrowMatch,
    "skos:relatedMatch": SKOS.relatedMatch, "rdfs:seeAlso": RDFS.seeAlso,
}

_OBO = "http://purl.obolibrary.org/obo/"
_IDORG = "https://identifiers.org/"

#: CURIE prefix -> IRI prefix of every external source. Prefixes are bioregistry's
#: preferred ones (upper case for OBO ontologies); IRIs are OBO PURLs for OBO
#: ontologies, identifiers.org for the databases, doi.org for DOIs. circBase is not
#: in bioregistry (0.15.6) nor, so, identifiers.org: its own record page is used.
PREFIX_MAP: dict[str, str] = {
    "CHEBI": _OBO + "CHEBI_", "CHMO": _OBO + "CHMO_", "CL": _OBO + "CL_",
    "DOID": _OBO + "DOID_", "GO": _OBO + "GO_", "MONDO": _OBO + "MONDO_",
    "NCIT": _OBO + "NCIT_", "OBI": _OBO + "OBI_", "UBERON": _OBO + "UBERON_",
    "EFO": "http://www.ebi.ac.uk/efo/EFO_",
    "circbase": "http://www.circbase.org/cgi-bin/singlerecord.cgi?id=",
    "doi": "https://doi.org/",
    "ensembl": _IDORG + "ensembl:", "hgnc": _IDORG + "hgnc:", "mesh": _IDORG + "mesh:",
    "mirbase": _IDORG + "mirbase:", "mirbase.mature": _IDORG + "mirbase.mature:",
    "pmc": _IDORG + "pmc:", "pubmed": _IDORG + "pubmed:",
}

#: Other spellings accepted on input (expanded like the preferred prefix).
_SYNONYMS = {"CHEBI": ["chebi"], "CHMO": ["chmo"], "CL": ["cl"], "DOID": ["doid"],
             "GO": ["go"], "MONDO": ["mondo"], "NCIT": ["ncit"], "OBI": ["obi"],
             "UBERON": ["uberon"], "EFO": ["efo"], "circbase": ["circBase"],
             "hgnc": ["HGNC"], "mesh": ["MESH", "MeSH"], "mirbase": ["MIRBASE"],
             "mirbase.mature": ["MIRBASE.MATURE"], "pmc": ["PMC", "pmcid"],
             "pubmed": ["PUBMED", "pmid", "PMID"], "doi": ["DOI"], "ensembl": ["ENSEMBL"]}

#: Identifier patterns for prefixes bioregistry does not know (checked by
#: :func:`validate_curies` instead of bioregistry's pattern).
LOCAL_PATTERNS: dict[str, str] = {"circbase": r"^hsa_circ_\d{7}$"}

#: The columns of ``exokg.sssom.tsv``, in order; all are required.
MAPPING_COLUMNS = ("subject_id", "subject_label", "predicate_id", "object_id",
                   "object_label", "mapping_justification", "confidence", "comment")

_SEMAPV = "https://w3id.org/semapv/vocab/"
_SUBJECT = re.compile(r"exoid:([a-z]+)/[A-Za-z0-9][A-Za-z0-9._-]*")
_CURIE = re.compile(r"([A-Za-z][A-Za-z0-9._-]*):(\S+)")
_JUSTIFICATION = re.compile(r"semapv:[A-Za-z]+")
_MAPPINGS_FILE = "mappings/exokg.sssom.tsv"
_UNMAPPED_FILE = "mappings/unmapped.tsv"
_REFERENCES_FILE = "references.tsv"
_NO_NOTE = "no curated mapping and not listed in data/mappings/unmapped.tsv"


@dataclass(frozen=True, order=True)
class Mapping:
    """One row of the SSSOM table: a link from an ExoKG entity to an external concept."""

    subject_id: str
    subject_label: str
    predicate_id: str
    object_id: str
    object_label: str
    mapping_justification: str
    confidence: float | None
    comment: str

    @property
    def subject_path(self) -> str:
        """The entity id below ``exoid:``, e.g. ``"content/mir-21"``."""
        return self.subject_id.split(":", 1)[1]

    @property
    def kind(self) -> str:
        """The entity's kind, the first segment of its id (one of :data:`KINDS`)."""
        return self.subject_path.split("/", 1)[0]

    @property
    def object_prefix(self) -> str:
        """The object CURIE's prefix, e.g. ``"MONDO"``."""
        return self.object_id.split(":", 1)[0]


class UnmappedNote(NamedTuple):
    """A row of ``unmapped.tsv``: an entity with no confirmed identifier, and why."""

    subject_id: str
    subject_label: str
    reason: str
    where_searched: str


@dataclass(frozen=True)
class ReferenceInfo:
    """A row of ``references.tsv``: what is known of one study the tables cite.

    Every field but ``ref``, ``status`` and ``retracted`` is empty where it was not
    seen in a retrieved source.
    """

    ref: int
    status: str
    first_author: str
    year: str
    title: str
    journal: str
    pmid: str
    doi: str
    pmcid: str
    retracted: bool
    evidence: str
    disagreement: str


class Unmapped(NamedTuple):
    """An entity of a graph with no mapping: its IRI, label, kind and the reason."""

    iri: URIRef
    label: str
    kind: str
    reason: str


# ---------------------------------------------------------------------------------------
# reading


def _read(path: Path | str | None, default: str) -> tuple[str, str]:
    """The text of ``path`` (or of the bundled file ``default``) and a name for errors."""
    if path is None:
        return (data_path() / default).read_text(encoding="utf-8"), f"data/{default}"
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as err:
        raise RecordError(f"cannot read the file: {err.strerror}", file=str(path)) from err


def _split_metadata(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The leading ``#`` lines (without the ``#``) and the other lines, with line numbers."""
    meta: list[tuple[int, str]] = []
    body: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not body and line.startswith("#"):
            meta.append((number, line[1:]))
        elif line.strip():
            body.append((number, line))
    return meta, body


def _parse_metadata(lines: list[tuple[int, str]], file: str) -> dict[str, object]:
    """Parse the metadata block: the YAML subset SSSOM uses (scalars, one nested map)."""
    meta: dict[str, object] = {}
    current: dict[str, str] | None = None
    base: int | None = None  # the indentation of top-level keys
    for number, raw in lines:
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip())
        base = indent if base is None else base
        nested = indent > base
        key, sep, value = raw.strip().partition(":")
        if not sep or not key:
            raise RecordError(f"metadata line is not 'key: value': {raw.strip()!r}",
                              file=file, row=number, column="metadata")
        value = value.strip().strip('"').strip("'")
        if nested:
            if current is None:
                raise RecordError(f"indented metadata line outside a map: {raw.strip()!r}",
                                  file=file, row=number, column="metadata")
            current[key] = value
        elif value:
            meta[key], current = value, None
        else:
            current = {}
            meta[key] = current
    return meta


def read_metadata(path: Path | str | None = None) -> dict[str, object]:
    """The SSSOM metadata block of a mappings file (default: the bundled one).

    Returns
    -------
    dict
        ``curie_map`` (a dict of prefix -> IRI prefix), ``mapping_set_id``,
        ``license`` ... as strings.

    Raises
    ------
    RecordError
        for a metadata line that is not ``key: value``.

    Examples
    --------
    >>> meta = read_metadata()
    >>> meta["mapping_set_id"]
    'https://w3id.org/exokg/mappings/exokg.sssom.tsv'
    >>> meta["curie_map"]["MONDO"]
    'http://purl.obolibrary.org/obo/MONDO_'
    """
    text, file = _read(path, _MAPPINGS_FILE)
    meta_lines, _ = _split_metadata(text)
    return _parse_metadata(meta_lines, file)


def _tsv(lines: list[tuple[int, str]], file: str,
         required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV body (header first) as dicts, each with its line number."""
    if not lines:
        raise RecordError("no header row", file=file)
    header_line, header = lines[0]
    columns = next(csv.reader([header], delimiter="\t"))
    for column in required:
        if column not in columns:
            raise RecordError("missing column", file=file, row=header_line, column=column)
    rows = []
    for number, line in lines[1:]:
        cells = next(csv.reader([line], delimiter="\t"))
        if len(cells) != len(columns):
            column = (columns[len(cells)] if len(cells) < len(columns)
                      else f"{len(columns) + 1} (extra)")
            raise RecordError(f"{len(cells)} cells where the header has {len(columns)}",
                              file=file, row=number, column=column)
        rows.append((number, {c: v.strip() for c, v in zip(columns, cells, strict=True)}))
    return rows


def _check_curie_map(meta: dict[str, object], file: str, line: int) -> dict[str, str]:
    curie_map = meta.get("curie_map")
    if not isinstance(curie_map, dict):
        raise RecordError("the metadata block has no curie_map", file=file, row=line,
                          column="curie_map")
    for key in ("mapping_set_id", "license"):
        if not meta.get(key):
            raise RecordError(f"the metadata block has no {key}", file=file, row=line,
                              column=key)
    return curie_map


def _mapping(number: int, row: dict[str, str], file: str,
             curie_map: dict[str, str]) -> Mapping:
    def bad(column: str, message: str) -> RecordError:
        return RecordError(message, file=file, row=number, column=column)

    match = _SUBJECT.fullmatch(row["subject_id"])
    if not match or match.group(1) not in KINDS:
        raise bad("subject_id", f"{row['subject_id']!r} is not exoid:<kind>/<id> with a "
                                f"kind of {', '.join(KINDS)}")
    if row["predicate_id"] not in PREDICATES:
        raise bad("predicate_id", f"{row['predicate_id']!r} is not one of "
                                  f"{', '.join(PREDICATES)}")
    if row["predicate_id"] == "rdfs:seeAlso" and match.group(1) != "ref":
        raise bad("predicate_id", "rdfs:seeAlso is kept for the cited studies (ref/...)")
    obj = _CURIE.fullmatch(row["object_id"])
    if not obj:
        raise bad("object_id", f"{row['object_id']!r} is not a CURIE (prefix:id)")
    prefix = obj.group(1)
    if prefix not in PREFIX_MAP:
        raise bad("object_id", f"prefix {prefix!r} is not one ExoKG expands "
                               f"({', '.join(sorted(PREFIX_MAP))})")
    if curie_map.get(prefix) != PREFIX_MAP[prefix]:
        raise bad("object_id", f"prefix {prefix!r} must be in the curie_map as "
                               f"{PREFIX_MAP[prefix]}")
    if not _JUSTIFICATION.fullmatch(row["mapping_justification"]):
        raise bad("mapping_justification",
                  f"{row['mapping_justification']!r} is not a semapv: term")
    confidence: float | None = None
    if row["confidence"]:
        try:
            confidence = float(row["confidence"])
        except ValueError:
            raise bad("confidence", f"{row['confidence']!r} is not a number") from None
        if not 0.0 <= confidence <= 1.0:
            raise bad("confidence", f"{confidence} is not between 0 and 1")
    if row["predicate_id"] == "rdfs:seeAlso" and (confidence is None or confidence >= 1):
        raise bad("confidence", "an inferred identification has a confidence below 1")
    if not row["comment"]:
        raise bad("comment", "every mapping says where its identifier was seen")
    values = {f.name: row[f.name] for f in fields(Mapping) if f.name != "confidence"}
    return Mapping(confidence=confidence, **values)


def load_mappings(path: Path | str | None = None) -> list[Mapping]:
    """Read and check an SSSOM mappings file (default: the bundled one).

    Parameters
    ----------
    path
        an SSSOM TSV file with its ``#`` metadata block; ``None`` for
        ``data/mappings/exokg.sssom.tsv`` of the installed package.

    Returns
    -------
    list of Mapping
        in file order.

    Raises
    ------
    RecordError
        naming the file, the row (its line number in the file) and the column of the
        first malformed cell: an unknown predicate, a prefix missing from the
        ``curie_map``, a confidence outside 0..1, an empty comment, a duplicate row ...

    Examples
    --------
    >>> mir = [m for m in load_mappings() if m.subject_id == "exoid:content/mir-92a-3p"]
    >>> sorted(m.object_id for m in mir if m.object_prefix == "mirbase")
    ['mirbase:MI0000093', 'mirbase:MI0000094']
    """
    text, file = _read(path, _MAPPINGS_FILE)
    meta_lines, body = _split_metadata(text)
    meta = _parse_metadata(meta_lines, file)
    curie_map = _check_curie_map(meta, file, meta_lines[-1][0] if meta_lines else 1)
    mappings: list[Mapping] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in _tsv(body, file, MAPPING_COLUMNS):
        mapping = _mapping(number, row, file, curie_map)
        key = (mapping.subject_id, mapping.predicate_id, mapping.object_id)
        if key in seen:
            raise RecordError(f"the same mapping is on line {seen[key]}", file=file,
                              row=number, column="object_id")
        seen[key] = number
        mappings.append(mapping)
    logger.debug("read %d mappings from %s", len(mappings), file)
    return mappings


def load_unmapped(path: Path | str | None = None) -> list[UnmappedNote]:
    """Read the entities that have no confirmed identifier (default: the bundled list).

    Raises
    ------
    RecordError
        for a row without a subject or a reason.

    Examples
    --------
    >>> notes = {n.subject_id: n for n in load_unmapped()}
    >>> "FAM72D" in notes["exoid:content/lnc-fam72d-3"].reason
    True
    """
    text, file = _read(path, _UNMAPPED_FILE)
    _, body = _split_metadata(text)
    notes = []
    for number, row in _tsv(body, file, UnmappedNote._fields):
        if not _SUBJECT.fullmatch(row["subject_id"]):
            raise RecordError(f"{row['subject_id']!r} is not exoid:<kind>/<id>", file=file,
                              row=number, column="subject_id")
        if not row["reason"]:
            raise RecordError("an unmapped entity needs a reason", file=file, row=number,
                              column="reason")
        notes.append(UnmappedNote(*(row[c] for c in UnmappedNote._fields)))
    return notes


def load_references(path: Path | str | None = None) -> list[ReferenceInfo]:
    """Read what is known of the cited studies (default: ``data/references.tsv``).

    Raises
    ------
    RecordError
        for a bad ``ref``, ``status``, ``year``, ``pmid``, ``doi``, ``pmcid`` or
        ``retracted`` cell.

    Examples
    --------
    >>> refs = {r.ref: r for r in load_references()}
    >>> refs[60].retracted, refs[60].status, refs[60].doi
    (True, 'inferred', '10.1186/s13046-018-0677-7')
    """
    text, file = _read(path, _REFERENCES_FILE)
    _, body = _split_metadata(text)
    checks = {"ref": r"[1-9]\d*", "status": r"inferred|unknown", "year": r"(\d{4})?",
              "pmid": r"(\d+)?", "doi": r"(10\.\d{4,9}/\S+)?", "pmcid": r"(PMC\d+)?",
              "retracted": r"true|false"}
    columns = [f.name for f in fields(ReferenceInfo)]
    refs = []
    for number, row in _tsv(body, file, columns):
        for column, pattern in checks.items():
            if not re.fullmatch(pattern, row[column]):
                raise RecordError(f"{row[column]!r} does not match {pattern}", file=file,
                                  row=number, column=column)
        values = {c: row[c] for c in columns}
        values["ref"] = int(row["ref"])
        values["retracted"] = row["retracted"] == "true"
        refs.append(ReferenceInfo(**values))
    return refs


@cache
def _bundled() -> tuple[tuple[Mapping, ...], tuple[UnmappedNote, ...],
                        tuple[ReferenceInfo, ...]]:
    return tuple(load_mappings()), tuple(load_unmapped()), tuple(load_references())


# ---------------------------------------------------------------------------------------
# CURIEs


def converter() -> curies.Converter:
    """A :class:`curies.Converter` for every prefix the mappings use.

    OBO ontologies expand to OBO PURLs, databases to identifiers.org, DOIs to
    doi.org; ``exoid``, ``skos``, ``rdfs`` and ``semapv`` are included. Other
    spellings (``HGNC``, ``MESH``, ``mondo`` ...) are accepted as synonyms.

    Examples
    --------
    >>> conv = converter()
    >>> conv.expand("hgnc:31586")
    'https://identifiers.org/hgnc:31586'
    >>> conv.expand("HGNC:31586")
    'https://identifiers.org/hgnc:31586'
    >>> conv.expand("doi:10.1186/s13046-018-0677-7")
    'https://doi.org/10.1186/s13046-018-0677-7'
    >>> conv.compress("http://purl.obolibrary.org/obo/CL_0000451")
    'CL:0000451'
    """
    records = [curies.Record(prefix=prefix, uri_prefix=uri,
                             prefix_synonyms=list(_SYNONYMS.get(prefix, [])))
               for prefix, uri in PREFIX_MAP.items()]
    records += [curies.Record(prefix="exoid", uri_prefix=str(EXOID)),
                curies.Record(prefix="skos", uri_prefix=str(SKOS)),
                curies.Record(prefix="rdfs", uri_prefix=str(RDFS)),
                curies.Record(prefix="semapv", uri_prefix=_SEMAPV)]
    return curies.Converter(records)


def validate_curies(mappings: Iterable[Mapping]) -> list[str]:
    """Check each object CURIE against bioregistry: known prefix, preferred spelling
    and the prefix's identifier pattern.

    Prefixes that bioregistry does not know are checked against
    :data:`LOCAL_PATTERNS` instead (circBase). bioregistry is imported here only.

    Parameters
    ----------
    mappings
        the mappings to check (e.g. :func:`load_mappings`).

    Returns
    -------
    list of str
        one message per bad CURIE, sorted; empty when all are valid.

    Examples
    --------
    >>> bad = Mapping("exoid:disease/hcc", "HCC", "skos:exactMatch", "MONDO:7256", "",
    ...               "semapv:ManualMappingCuration", 1.0, "a test")
    >>> validate_curies([bad])  # doctest: +ELLIPSIS
    ["exoid:disease/hcc -> MONDO:7256: '7256' does not match MONDO's pattern ..."]
    """
    import bioregistry

    problems: set[str] = set()
    for mapping in mappings:
        where = f"{mapping.subject_id} -> {mapping.object_id}"
        match = _CURIE.fullmatch(mapping.object_id)
        if not match:
            problems.add(f"{where}: not a CURIE")
            continue
        prefix, local = match.groups()
        if prefix in LOCAL_PATTERNS:
            pattern: str | None = LOCAL_PATTERNS[prefix]
        else:
            norm = bioregistry.normalize_prefix(prefix)
            if norm is None:
                problems.add(f"{where}: prefix {prefix!r} is unknown to bioregistry")
                continue
            preferred = bioregistry.get_preferred_prefix(norm) or norm
            if prefix != preferred:
                problems.add(f"{where}: write the prefix as bioregistry's {preferred!r}")
            pattern = bioregistry.get_pattern(norm)
        if pattern and not re.search(pattern, local):
            problems.add(f"{where}: {local!r} does not match {prefix}'s pattern {pattern}")
    return sorted(problems)


# ---------------------------------------------------------------------------------------
# graph


def _citation(ref: ReferenceInfo) -> str:
    parts = [ref.first_author, ref.title, ref.journal, ref.year]
    return ". ".join(p.rstrip(".") for p in parts if p) + "." if any(parts) else ""


def _add_reference(graph: Graph, ref: ReferenceInfo) -> None:
    node = EXOID[f"ref/{ref.ref}"]
    add = graph.add
    add((node, EXO.identificationStatus, Literal(ref.status)))
    evidence = ref.evidence
    if ref.disagreement:
        evidence += f" | differs from the review's table: {ref.disagreement}"
    if evidence:
        add((node, EXO.identificationEvidence, Literal(evidence)))
    if ref.title:
        add((node, DCTERMS.title, Literal(ref.title)))
    if ref.year:
        add((node, DCTERMS.date, Literal(ref.year, datatype=XSD.gYear)))
    citation = _citation(ref)
    if citation:
        add((node, DCTERMS.bibliographicCitation, Literal(f"{citation} (inferred)")))
    if ref.retracted:
        add((node, EXO.retracted, Literal(True)))
        for finding in sorted(graph.subjects(EXO.citedIn, node)):
            if (finding, RDF.type, EXO.Finding) in graph:
                add((finding, EXO.retracted, Literal(True)))


def _in_graph(graph: Graph, node: Node) -> bool:
    return (node, None, None) in graph


def add_links(graph: Graph, mappings: Iterable[Mapping] | None = None, *,
              references: Iterable[ReferenceInfo] | None = None) -> Graph:
    """Add the external links and the references' identification to ``graph``.

    For each mapping whose subject is in the graph: ``<subject> <predicate> <object
    IRI>`` and, unless the match is only ``skos:relatedMatch``, ``<subject> exo:xref
    "CURIE"``. For each cited study in the graph:
    ``exo:identificationStatus``, ``exo:identificationEvidence`` and the fields that
    were seen (``dcterms:title``, ``dcterms:date`` as ``xsd:gYear``,
    ``dcterms:bibliographicCitation``), and ``exo:retracted true`` on a retracted
    study and on every ``exo:Finding`` ``exo:citedIn`` it. Entities not in the
    graph are skipped, so a partial graph gets the links of what it holds.

    Parameters
    ----------
    graph
        the graph to add to; it is changed in place (the same triples each time).
    mappings
        default: the bundled SSSOM file.
    references
        default: the bundled ``data/references.tsv``.

    Returns
    -------
    rdflib.Graph
        ``graph`` itself.

    Examples
    --------
    >>> g = Graph()
    >>> _ = g.add((EXOID["disease/hcc"], RDF.type, EXO.Disease))
    >>> _ = add_links(g)
    >>> mondo = URIRef("http://purl.obolibrary.org/obo/MONDO_0007256")
    >>> (EXOID["disease/hcc"], SKOS.exactMatch, mondo) in g
    True
    >>> (EXOID["disease/hcc"], EXO.xref, Literal("MONDO:0007256")) in g
    True
    """
    bundled = _bundled() if mappings is None or references is None else None
    mappings = bundled[0] if mappings is None else mappings
    references = bundled[2] if references is None else references
    conv = converter()
    added = 0
    for mapping in sorted(mappings):
        subject = EXOID[mapping.subject_path]
        if not _in_graph(graph, subject):
            continue
        iri = conv.expand(mapping.object_id, strict=True)
        graph.add((subject, PREDICATES[mapping.predicate_id], URIRef(iri)))
        if mapping.predicate_id != "skos:relatedMatch":
            # exo:xref names the entity itself; a related thing (a circRNA's host gene,
            # a mature miRNA's precursor) is not an identifier of it
            graph.add((subject, EXO.xref, Literal(mapping.object_id)))
        added += 1
    for ref in sorted(references, key=lambda r: r.ref):
        if _in_graph(graph, EXOID[f"ref/{ref.ref}"]):
            _add_reference(graph, ref)
    logger.info("added %d external links", added)
    return graph


def _kind_of(graph: Graph, node: Node) -> str | None:
    types = set(graph.objects(node, RDF.type))
    for kind, classes in _CLASSES_OF_KIND.items():
        if types.intersection(classes):
            return kind
    return None


def unmapped(graph: Graph, *, mappings: Iterable[Mapping] | None = None,
             notes: Iterable[UnmappedNote] | None = None) -> list[Unmapped]:
    """The entities of ``graph`` that no mapping links, each with the reason.

    Entities are the nodes typed as a content (any of the five kinds), disease,
    sample type, isolation or detection method, exosome source, drug or reference.
    The reason comes from ``data/mappings/unmapped.tsv``; an entity missing from it
    too is reported as not curated.

    Parameters
    ----------
    graph
        a graph of ExoKG entities (e.g. :func:`exokg.build.build_graph`).
    mappings, notes
        default: the bundled mappings and unmapped list.

    Returns
    -------
    list of Unmapped
        ``(iri, label, kind, reason)`` tuples, sorted by kind (in :data:`KINDS`
        order) and IRI.

    Examples
    --------
    >>> g = Graph()
    >>> _ = g.add((EXOID["content/lnc-fam72d-3"], RDF.type, EXO.LongNonCodingRNA))
    >>> _ = g.add((EXOID["disease/hcc"], RDF.type, EXO.Disease))
    >>> [(u.kind, u.iri.rsplit("/", 1)[1]) for u in unmapped(g)]
    [('content', 'lnc-fam72d-3')]
    """
    bundled = _bundled() if mappings is None or notes is None else None
    mappings = bundled[0] if mappings is None else mappings
    notes = bundled[1] if notes is None else notes
    linked = {EXOID[m.subject_path] for m in mappings}
    reasons = {EXOID[n.subject_id.split(":", 1)[1]]: n.reason for n in notes}
    classes = {c for group in _CLASSES_OF_KIND.values() for c in group}
    nodes = {s for c in classes for s in graph.subjects(RDF.type, c)
             if isinstance(s, URIRef)}
    result = []
    for node in nodes - linked:
        kind = _kind_of(graph, node)
        assert kind is not None  # typed with one of the classes above
        label = graph.value(node, RDFS.label)
        result.append(Unmapped(node, str(label) if label is not None else "", kind,
                               reasons.get(node, _NO_NOTE)))
    result.sort(key=lambda u: (KINDS.index(u.kind), str(u.iri)))
    return result
