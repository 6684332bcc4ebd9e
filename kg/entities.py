"""Normalize records into entities: every printed name to its canonical node(s).

The entity table (``data/entities.tsv``) has one row per real thing: a molecule,
sample type, method, cell source, drug, disease or reference. Its ``printed_as``
column lists (``|``-separated) every cell text that names it, so that a name the
review prints two ways maps to one node, and a cell naming two things
("miR23-a/b", "Immunoblotting and ELISA") maps to each.

>>> table = load_entities()
>>> [e.id for e in table.resolve("content", "miR23-a/b")]
['content/mir-23a', 'content/mir-23b']
>>> table.resolve("isolation", "SBI")[0].label
'ExoQuick exosome precipitation solution (SBI)'

A user's records folder may add entities in its own ``entities.tsv`` (read like
the records, by :func:`exokg.tsv.read_tsv`). Its rows add new things only: an ``id``
the table has already, or a ``printed_as`` name that already names an entity of the
same field (in the review's table or in another user's file), or a label or
alternative label that is already any entity's (in any case: what a look-up such as
``exokg evidence miR-21`` finds a node by), is refused with the file, row and column.
A name thus means one thing across the whole graph: the
review's findings read exactly as without the user's files, and a user's record that
prints ``miR-21`` joins the review's ``content/mir-21`` (so it shows up in every query
about miR-21) instead of becoming a second, unrelated node. Scoping a user's names to
the user's own records was the other way; it was not taken because the same cell text
would then name different nodes in different folders, which splits the graph
silently. Within one file a name may name several entities, as the review's
``miR23-a/b`` does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from exokg.errors import RecordError
from exokg.formats import split_page_suffix
from exokg.name_keys import exact_keys, identifier_keys
from exokg.records import Record, parse_sample_size, printed_by
from exokg.resources import data_path
from exokg.review import CONTENT_HEADINGS, ID_NAMESPACE_OF_CLASS, ROLE_OF_TABLE
from exokg.sssom import XREF_PREDICATES, bundled
from exokg.tsv import Column, read_tsv

__all__ = ["Entity", "EntityTable", "Finding", "FIELD_OF_CLASS", "id_namespace",
           "load_entities", "normalize", "parse_sample_size"]

#: Which table column (field) names entities of each class.
FIELD_OF_CLASS = {
    **dict.fromkeys(CONTENT_HEADINGS.values(), "content"),
    "Disease": "disease", "SampleType": "sample", "IsolationMethod": "isolation",
    "DetectionMethod": "detection", "ExosomeSource": "source", "Drug": "drug",
    "Reference": "ref",
}


def id_namespace(cls: str) -> str:
    """The first segment of the ids of entities of class ``cls``: the graph mints the
    rest of its IRIs (``finding/``, ``review/``) in other namespaces, which an entity
    may not take over.

    >>> id_namespace("MicroRNA"), id_namespace("SampleType"), id_namespace("Reference")
    ('content', 'sampletype', 'ref')
    """
    return ID_NAMESPACE_OF_CLASS[cls]


_ENTITY_COLUMNS = (
    Column("id", pattern=r"[a-z]+/[a-z0-9][a-z0-9._-]*", form="an id like 'content/mir-21'"),
    Column("class", choices=tuple(FIELD_OF_CLASS)), Column("label"), Column("printed_as"),
    Column("alt_labels", required=False), Column("comment", required=False))


@dataclass(frozen=True)
class Entity:
    """A canonical node: ``id`` is its path below ``https://w3id.org/exokg/id/``."""

    id: str
    cls: str
    label: str
    printed_as: tuple[str, ...]
    alt_labels: tuple[str, ...] = ()
    comment: str = ""

    @property
    def field(self) -> str:
        return FIELD_OF_CLASS[self.cls]


class EntityTable:
    """Entities by id, and an index from (field, printed text) to entities.

    ``origin`` says where a user's entity was defined (file and row); the review's
    own entities have none.
    """

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.by_id: dict[str, Entity] = {}
        self.origin: dict[str, str] = {}
        self._printed: dict[tuple[str, str], list[Entity]] = defaultdict(list)
        self._named: dict[str, Entity] = {}  # label or alternative label, by exact key
        for entity in entities:
            self.add(entity)

    def add(self, entity: Entity, *, origin: str = "") -> None:
        if entity.id in self.by_id:
            raise ValueError(f"entity {entity.id} is defined twice")
        self.by_id[entity.id] = entity
        if origin:
            self.origin[entity.id] = origin
        for text in entity.printed_as:
            self._printed[(entity.field, text)].append(entity)
        for text in (entity.label, *entity.alt_labels):  # what users look it up by
            for key in exact_keys(text):
                self._named.setdefault(key, entity)

    def __iter__(self):
        return iter(sorted(self.by_id.values(), key=lambda e: e.id))

    def __len__(self) -> int:
        return len(self.by_id)

    def resolve(self, field: str, printed: str) -> list[Entity]:
        """The entities a cell of ``field`` names; ``[]`` when none does."""
        return sorted(self._printed.get((field, printed), []), key=lambda e: e.id)

    def named(self, name: str) -> Entity | None:
        """The entity with a label or alternative label named alike: sharing an exact key
        (:func:`exokg.name_keys.exact_keys`, what a search and a look-up by name compare,
        so that ``MIR21`` and ``miR-21`` are one name)."""
        return next((self._named[k] for k in exact_keys(name) if k in self._named), None)


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def _read_entity_rows(path: Path) -> list[tuple[int, Entity]]:
    name = str(path)
    rows = []
    for line_no, row in read_tsv(path, _ENTITY_COLUMNS, what="an entity table"):
        printed = _split(row["printed_as"])
        if not printed:
            raise RecordError("printed_as names no text ('|' separates names)", file=name,
                              row=line_no, column="printed_as")
        namespace = id_namespace(row["class"])
        if row["id"].split("/", 1)[0] != namespace:
            raise RecordError(f"an entity of class {row['class']} has an id in {namespace}/ "
                              f"(like '{namespace}/{row['id'].split('/', 1)[-1]}'), got "
                              f"{row['id']!r}", file=name, row=line_no, column="id")
        stem, suffix = split_page_suffix(row["id"])
        if suffix is not None:  # /id/<stem>.<suffix> is the other entity's download
            raise RecordError(f"the id {row['id']!r} ends in .{suffix}, which names a download "
                              f"of the entity {stem!r}'s page; choose another", file=name,
                              row=line_no, column="id")
        rows.append((line_no, Entity(row["id"], row["class"], row["label"], printed,
                                     _split(row.get("alt_labels", "")),
                                     row.get("comment", ""))))
    return rows


def read_entity_file(path: Path) -> list[Entity]:
    """Read an entity table, checking ids, classes and required cells.

    Raises
    ------
    RecordError
        naming the file, row and column of the first problem.
    """
    return [entity for _, entity in _read_entity_rows(path)]


def load_entities(*extra: Path | str) -> EntityTable:
    """The bundled entity table, extended by further (users') entity files.

    An extra file adds new entities only: it may neither repeat an id nor give a
    ``printed_as`` name that an entity of an earlier file (the review's, or another
    user's) already has in the same field.

    Raises
    ------
    RecordError
        naming the file, row and column of a bad or clashing entity.
    """
    table = EntityTable(read_entity_file(data_path() / "entities.tsv"))
    # look-ups resolve an entity's identifiers (exo:xref), by the CURIE and by the bare
    # accession, as they resolve its names. (A narrower or related thing, such as one arm
    # of a miRNA the review names without its arm, may be a user's own entity.)
    identifiers = {key: (m.object_id, m.subject_path) for m in bundled()[0]
                   if m.predicate_id in XREF_PREDICATES
                   for id_key in identifier_keys(m.object_id) for key in exact_keys(id_key)}

    def where(entity_id: str) -> str:
        return table.origin.get(entity_id) or "the review's entity table"

    for path in map(Path, extra):
        name = str(path)
        rows = _read_entity_rows(path)
        lines: dict[str, int] = {}
        named_here: dict[str, Entity] = {}
        for line_no, entity in rows:  # the whole file is checked before any of it is added
            if entity.id in table.by_id or entity.id in lines:
                also = where(entity.id) if entity.id in table.by_id else f"row {lines[entity.id]}"
                raise RecordError(f"entity {entity.id} is defined twice (also in {also})",
                                  file=name, row=line_no, column="id")
            lines[entity.id] = line_no
            for text in entity.printed_as:
                taken = table.resolve(entity.field, text)
                if taken:
                    raise RecordError(
                        f"{text!r} already names {taken[0].id} in {where(taken[0].id)}; "
                        f"records that print {text!r} mean that entity, so drop the name "
                        "here (or the row, when it adds nothing else)",
                        file=name, row=line_no, column="printed_as")
            for column, text in [("label", entity.label),
                                 *(("alt_labels", alt) for alt in entity.alt_labels)]:
                owner = table.named(text) or next(
                    (named_here[k] for k in exact_keys(text) if k in named_here), None)
                if owner is not None and owner.id != entity.id:
                    at = where(owner.id) if owner.id in table.by_id else \
                        f"row {lines[owner.id]}"
                    raise RecordError(
                        f"{text!r} is already a name of {owner.id} ({at}); a name looks "
                        "up one node, so give this entity another", file=name, row=line_no,
                        column=column)
                known = next((identifiers[k] for k in exact_keys(text) if k in identifiers),
                              None)
                if known is not None:
                    raise RecordError(
                        f"{text!r} is the identifier {known[0]} of {known[1]} (the bundled "
                        "links); a name looks up one node, so give this entity another",
                        file=name, row=line_no, column=column)
                for key in exact_keys(text):
                    named_here.setdefault(key, entity)
        for line_no, entity in rows:
            table.add(entity, origin=f"{name}, row {line_no}")
    return table


@dataclass(frozen=True)
class Finding:
    """One normalized row: the entities it names and the values it reports."""

    record: Record
    contents: tuple[Entity, ...]
    disease: Entity | None
    expression: str | None
    samples: tuple[Entity, ...]
    sample_size: int | None
    sample_size_note: str | None
    isolation: Entity | None
    detections: tuple[Entity, ...]
    source: Entity | None
    drug: Entity | None
    animal_model: bool | None
    clinical_sample: bool | None
    function: str
    ref: Entity
    roles: tuple[str, ...]
    printed: dict[str, str]


_SOURCE = re.compile(r"^(?P<source>.+?-exosomes),?\s+(?P<rest>.+)$")


def normalize(record: Record, entities: EntityTable) -> Finding:
    """Map a record's printed cells to entities and typed values.

    Raises
    ------
    RecordError
        when a cell names no entity, or has a form the table does not use.
    """
    cells, t = record.cells, record.table

    def lookup(field: str, column: str, text: str, *, many: bool = False) -> list[Entity]:
        found = entities.resolve(field, text)
        if not text:
            raise RecordError(f"the cell names no {field}", file=record.file, row=record.line,
                              column=column)
        if not found:
            raise RecordError(f"{text!r} names no {field} of the entity table "
                              f"(add it to an entities.tsv, printed_as column)",
                              file=record.file, row=record.line, column=column)
        if len(found) > 1 and not many:
            raise RecordError(f"{text!r} names {len(found)} {field} entities where one is "
                              f"expected: {', '.join(e.id for e in found)}",
                              file=record.file, row=record.line, column=column)
        return found

    def sample_size(column: str, cell: str) -> tuple[str, int | None, str | None]:
        try:
            return parse_sample_size(cell, printed_by(record))
        except ValueError as err:  # a Record built by hand, not read by read_records
            raise RecordError(str(err), file=record.file, row=record.line,
                              column=column) from None

    contents: list[Entity] = []
    disease = source = drug = isolation = None
    expression = None
    samples: list[Entity] = []
    detections: list[Entity] = []
    size = note = None
    animal = clinical = None
    printed: dict[str, str] = {"ref": cells["ref"]}
    roles = [ROLE_OF_TABLE[t]]

    if t in (1, 2, 3):
        contents = lookup("content", "exosomal_content", cells["exosomal_content"], many=True)
        kind = CONTENT_HEADINGS.get(cells.get("kind", ""))
        for content in contents if kind is not None else ():
            if content.cls != kind:
                # the heading the row is under says what its molecule is; it was read and
                # then dropped, so a row under the wrong one loaded as if under the right
                raise RecordError(f"{cells['exosomal_content']!r} is a {content.cls} of the "
                                  f"entity table ({content.id}), not one of the "
                                  f"{cells['kind']} this row's kind says",
                                  file=record.file, row=record.line, column="kind")
        disease = lookup("disease", "disease", cells["disease"])[0]
        expression = cells["expression"]
        sample_cell = cells["sample"]
        printed.update(content=cells["exosomal_content"], sample=sample_cell)
        if t == 3:
            match = _SOURCE.match(sample_cell)
            if not match:
                raise RecordError(f"{sample_cell!r} is not of the form "
                                  "'<cells>-exosomes, <sample> (n = N)'",
                                  file=record.file, row=record.line, column="sample")
            source = lookup("source", "sample", match["source"])[0]
            sample_cell = match["rest"]
        text, size, note = sample_size("sample", sample_cell)
        samples = lookup("sample", "sample", text, many=True)
        detection_column = "content_identification" if t == 3 else "detection"
        detections = lookup("detection", detection_column, cells[detection_column], many=True)
        printed["detection"] = cells[detection_column]
        if t in (1, 2):
            printed["isolation"] = cells["isolation"]
            if cells["isolation"] != "-":
                isolation = lookup("isolation", "isolation", cells["isolation"])[0]
        if t == 3:
            animal = cells["animal_model"] == "Y"
            printed["animal_model"] = cells["animal_model"]
        if cells.get("direction"):
            printed["direction"] = cells["direction"]
            roles.append("TherapeuticTarget")
        function = cells["function"]
    else:
        drug_column = "drugs" if t == 4 else "cargos"
        drug = lookup("drug", drug_column, cells[drug_column])[0]
        source = lookup("source", "source_of_exosomes", cells["source_of_exosomes"])[0]
        animal = cells["animal_model"] == "Y"
        clinical_cell = cells["clinical_sample"]
        clinical = clinical_cell.startswith("Y")
        _, size, note = sample_size("clinical_sample", clinical_cell)
        if not clinical:
            note = None  # a note on a missing n only where there is a clinical sample
        printed.update(drug=cells[drug_column], source=cells["source_of_exosomes"],
                       animal_model=cells["animal_model"], clinical_sample=clinical_cell)
        function = cells["functions"]

    ref = lookup("ref", "ref", cells["ref"])[0]
    return Finding(record, tuple(contents), disease, expression, tuple(samples), size, note,
                   isolation, tuple(detections), source, drug, animal, clinical, function, ref,
                   tuple(dict.fromkeys(roles)), printed)
