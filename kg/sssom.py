"""Reading ExoKG's link data: the SSSOM mappings, the unmapped list and the references.

Three files of ``data/`` (the package ``exokg.data``):

``mappings/exokg.sssom.tsv``
    an SSSOM table (https://mapping-commons.github.io/sssom/): one row per link,
    ``subject_id`` (``exoid:content/mir-21``), ``predicate_id`` (``skos:exactMatch`` ...),
    ``object_id`` (``MONDO:0007256``), the justification, a confidence and a ``comment``
    that says where the identifier was seen. Its leading ``#`` lines are the SSSOM
    metadata block (YAML: ``curie_map``, ``mapping_set_id``, ``license`` ...).
``mappings/unmapped.tsv``
    the entities that have no confirmed identifier, with the reason and where it was
    looked for. Every entity of ``entities.tsv`` is in exactly one of the two files.
``references.tsv``
    what is known of each study the tables cite (refs 14-71): its identification
    status (``inferred``/``unknown``), the bibliographic fields that were seen, the
    evidence, any disagreement with the table, and whether it was retracted.

Each reader checks its rows and raises :class:`exokg.errors.RecordError` naming the
file, line and column of the first bad cell. Writing them into a graph is
:mod:`exokg.links`; checking the CURIEs against bioregistry is :mod:`exokg.curie_check`.

>>> mappings = load_mappings()
>>> [m.object_id for m in mappings
...  if m.subject_id == "exoid:disease/hcc" and m.predicate_id == "skos:exactMatch"]
['DOID:684', 'MONDO:0007256', 'NCIT:C3099']
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from exokg.curie import external_prefixes
from exokg.errors import RecordError
from exokg.resources import data_path
from exokg.review import ID_NAMESPACES
from exokg.vocab import RDFS, SKOS
from rdflib import URIRef

__all__ = [
    "CURIE_SYNTAX", "KINDS", "MAPPING_COLUMNS", "PREDICATES", "XREF_PREDICATES", "Mapping",
    "ReferenceInfo", "UnmappedNote", "bundled", "load_mappings",
    "load_references", "load_unmapped", "read_metadata",
]

logger = logging.getLogger(__name__)

#: The kinds of entity, as the first segment of their id (``content/mir-21``).
KINDS = ID_NAMESPACES

#: The mapping predicates a row may use, and the RDF property each one writes.
#: ``rdfs:seeAlso`` is for inferred identifications (the cited studies).
PREDICATES: dict[str, URIRef] = {
    "skos:exactMatch": SKOS.exactMatch, "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch, "skos:narrowMatch": SKOS.narrowMatch,
    "skos:relatedMatch": SKOS.relatedMatch, "rdfs:seeAlso": RDFS.seeAlso,
}

#: The columns of ``exokg.sssom.tsv``, in order; all are required.
MAPPING_COLUMNS = ("subject_id", "subject_label", "predicate_id", "object_id",
                   "object_label", "mapping_justification", "confidence", "comment")

_SUBJECT = re.compile(r"exoid:([a-z]+)/[A-Za-z0-9][A-Za-z0-9._-]*")
#: A CURIE as the mappings write it: ``prefix:local``.
CURIE_SYNTAX = re.compile(r"([A-Za-z][A-Za-z0-9._-]*):(\S+)")
_JUSTIFICATION = re.compile(r"semapv:[A-Za-z]+")
_MAPPINGS_FILE = "mappings/exokg.sssom.tsv"
_UNMAPPED_FILE = "mappings/unmapped.tsv"
_REFERENCES_FILE = "references.tsv"

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


#: The links whose object identifies the entity itself (the ontology's ``exo:xref``): an
#: exact or close match, or a cited study's identification (``rdfs:seeAlso``). A related,
#: narrower or broader thing (a circRNA's host gene, one arm of a miRNA named without its
#: arm, a panel's member) is not an identifier of it.
XREF_PREDICATES = frozenset({"skos:exactMatch", "skos:closeMatch", "rdfs:seeAlso"})


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


def _parse_metadata(lines: list[tuple[int, str]], file: str) -> dict[str, Any]:
    """Parse the metadata block (YAML, as SSSOM specifies) with pyyaml."""
    if not lines:
        return {}
    block = "".join(text + "\n" for _, text in lines)
    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        row = lines[min(mark.line, len(lines) - 1)][0] if mark is not None else lines[0][0]
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise RecordError(f"the metadata block is not YAML: {problem}", file=file, row=row,
                          column="metadata") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise RecordError("the metadata block is not a YAML map of 'key: value' lines",
                          file=file, row=lines[0][0], column="metadata")
    return meta


def read_metadata(path: Path | str | None = None) -> dict[str, Any]:
    """The SSSOM metadata block of a mappings file (default: the bundled one).

    Returns
    -------
    dict
        ``curie_map`` (a dict of prefix -> IRI prefix), ``mapping_set_id``,
        ``license`` ... as strings.

    Raises
    ------
    RecordError
        for a metadata block that is not a YAML map.

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


def _check_curie_map(meta: dict[str, Any], file: str, line: int) -> dict[str, str]:
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
    obj = CURIE_SYNTAX.fullmatch(row["object_id"])
    if not obj:
        raise bad("object_id", f"{row['object_id']!r} is not a CURIE (prefix:id)")
    prefix = obj.group(1)
    known = external_prefixes()
    if prefix not in known:
        raise bad("object_id", f"prefix {prefix!r} is not one ExoKG expands "
                               f"({', '.join(sorted(known))})")
    if curie_map.get(prefix) != known[prefix]:
        raise bad("object_id", f"prefix {prefix!r} must be in the curie_map as "
                               f"{known[prefix]}")
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
        values: dict[str, Any] = {c: row[c] for c in columns}
        values["ref"] = int(row["ref"])
        values["retracted"] = row["retracted"] == "true"
        refs.append(ReferenceInfo(**values))
    return refs


@cache
def bundled() -> tuple[tuple[Mapping, ...], tuple[UnmappedNote, ...],
                        tuple[ReferenceInfo, ...]]:
    """The bundled mappings, unmapped notes and references, read once."""
    return tuple(load_mappings()), tuple(load_unmapped()), tuple(load_references())
