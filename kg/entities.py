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
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from exokg.errors import RecordError
from exokg.records import Record
from exokg.resources import data_path
from exokg.review import CONTENT_HEADINGS, ROLE_OF_TABLE

__all__ = ["Entity", "EntityTable", "Finding", "FIELD_OF_CLASS", "load_entities",
           "normalize", "parse_sample_size"]

#: Which table column (field) names entities of each class.
FIELD_OF_CLASS = {
    **dict.fromkeys(CONTENT_HEADINGS.values(), "content"),
    "Disease": "disease", "SampleType": "sample", "IsolationMethod": "isolation",
    "DetectionMethod": "detection", "ExosomeSource": "source", "Drug": "drug",
    "Reference": "ref",
}
_ENTITY_COLUMNS = ("id", "class", "label", "printed_as", "alt_labels", "comment")
_ID = re.compile(r"[a-z]+/[a-z0-9][a-z0-9._-]*")


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
    """Entities by id, and an index from (field, printed text) to entities."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.by_id: dict[str, Entity] = {}
        self._printed: dict[tuple[str, str], list[Entity]] = defaultdict(list)
        for entity in entities:
            self.add(entity)

    def add(self, entity: Entity) -> None:
        if entity.id in self.by_id:
            raise ValueError(f"entity {entity.id} is defined twice")
        self.by_id[entity.id] = entity
        for text in entity.printed_as:
            self._printed[(entity.field, text)].append(entity)

    def __iter__(self):
        return iter(sorted(self.by_id.values(), key=lambda e: e.id))

    def __len__(self) -> int:
        return len(self.by_id)

    def resolve(self, field: str, printed: str) -> list[Entity]:
        """The entities a cell of ``field`` names; ``[]`` when none does."""
        return sorted(self._printed.get((field, printed), []), key=lambda e: e.id)


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


def read_entity_file(path: Path) -> list[Entity]:
    """Read an entity table, checking ids, classes and required cells."""
    name = str(path)
    entities = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        unknown = [c for c in reader.fieldnames or [] if c not in _ENTITY_COLUMNS]
        if unknown:
            raise RecordError(f"unknown column {unknown[0]!r}", file=name, row=1,
                              column=unknown[0])
        for line_no, row in enumerate(reader, start=2):
            for col in ("id", "class", "label", "printed_as"):
                if not (row.get(col) or "").strip():
                    raise RecordError("required cell is empty", file=name, row=line_no,
                                      column=col)
            if row["class"] not in FIELD_OF_CLASS:
                raise RecordError(f"unknown class {row['class']!r}; one of "
                                  f"{', '.join(FIELD_OF_CLASS)}", file=name, row=line_no,
                                  column="class")
            if not _ID.fullmatch(row["id"]):
                raise RecordError(f"{row['id']!r} is not an id like 'content/mir-21'",
                                  file=name, row=line_no, column="id")
            entities.append(Entity(row["id"], row["class"], row["label"].strip(),
                                   _split(row["printed_as"]), _split(row.get("alt_labels") or ""),
                                   (row.get("comment") or "").strip()))
    return entities


def load_entities(*extra: Path | str) -> EntityTable:
    """The bundled entity table, extended by further entity files."""
    paths = [data_path() / "entities.tsv", *map(Path, extra)]
    table = EntityTable([])
    for path in paths:
        for entity in read_entity_file(path):
            try:
                table.add(entity)
            except ValueError as err:
                raise RecordError(str(err), file=str(path), column="id") from None
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


_SIZE = re.compile(r"^(?P<text>.*?)\s*\(n\s*=\s*(?P<n>[0-9]+|\?)\)$")
_SOURCE = re.compile(r"^(?P<source>.+?-exosomes),?\s+(?P<rest>.+)$")
_NO_SIZE = "The review prints no sample size"
_UNKNOWN_SIZE = "The review prints n = ?"


def parse_sample_size(cell: str) -> tuple[str, int | None, str | None]:
    """Split ``"Serum (n = 93)"`` into its text, n, and a note where n is absent.

    >>> parse_sample_size("Serum (n = 93)")
    ('Serum', 93, None)
    >>> parse_sample_size("Serum (n = ?)")
    ('Serum', None, 'The review prints n = ?')
    >>> parse_sample_size("Serum and ascitic fluid")
    ('Serum and ascitic fluid', None, 'The review prints no sample size')
    """
    match = _SIZE.match(cell)
    if not match:
        return cell, None, _NO_SIZE
    if match["n"] == "?":
        return match["text"], None, _UNKNOWN_SIZE
    return match["text"], int(match["n"]), None


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
        if not found:
            raise RecordError(f"{text!r} names no {field} of the entity table "
                              f"(add it to an entities.tsv, printed_as column)",
                              file=record.file, row=record.line, column=column)
        if len(found) > 1 and not many:
            raise RecordError(f"{text!r} names {len(found)} {field} entities where one is "
                              f"expected: {', '.join(e.id for e in found)}",
                              file=record.file, row=record.line, column=column)
        return found

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
        text, size, note = parse_sample_size(sample_cell)
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
        _, size, _ = parse_sample_size(clinical_cell)
        if clinical and size is None:
            note = _UNKNOWN_SIZE if "?" in clinical_cell else _NO_SIZE
        printed.update(drug=cells[drug_column], source=cells["source_of_exosomes"],
                       animal_model=cells["animal_model"], clinical_sample=clinical_cell)
        function = cells["functions"]

    ref = lookup("ref", "ref", cells["ref"])[0]
    return Finding(record, tuple(contents), disease, expression, tuple(samples), size, note,
                   isolation, tuple(detections), source, drug, animal, clinical, function, ref,
                   tuple(dict.fromkeys(roles)), printed)
