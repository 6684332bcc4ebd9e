"""``exokg links``: the links to external ontologies and databases, or the entities
that have none.

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="exokg")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["links", "--kind", "disease", "--format", "json"])
>>> args.kind, args.format, args.unmapped
('disease', 'json', False)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence

from exokg.curie import converter
from exokg.links import Unmapped, unmapped
from exokg.sssom import KINDS, Mapping, load_mappings
from exokg.terminal import printable

__all__ = ["register", "run_links", "mapping_rows", "unmapped_rows", "format_rows",
           "MAPPING_FIELDS", "UNMAPPED_FIELDS"]

#: The columns of ``exokg links`` (mappings) and ``exokg links --unmapped``.
MAPPING_FIELDS = ("subject_id", "subject_label", "predicate_id", "object_id", "object_iri",
                  "object_label", "mapping_justification", "confidence", "comment")
UNMAPPED_FIELDS = ("iri", "label", "kind", "reason")

_EPILOG = """examples:
  exokg links                               every mapping, as TSV
  exokg links --kind disease                the diseases' mappings (MONDO, DOID, NCIT)
  exokg links --kind content --format json  the molecules' mappings as JSON
  exokg links --unmapped                    entities with no confirmed identifier, and why
  exokg links --unmapped --kind ref         cited studies that could not be identified

kinds: """ + ", ".join(KINDS) + """

Mappings are kept in data/mappings/exokg.sssom.tsv (SSSOM); the reasons for the
unmapped entities in data/mappings/unmapped.tsv. References are linked with
rdfs:seeAlso only: their identification was inferred, not read from the review."""


def register(subparsers) -> None:
    """Add the ``links`` command to ``subparsers`` (from ``add_subparsers``)."""
    parser = subparsers.add_parser(
        "links", help="list the links to external ontologies (or the unmapped entities)",
        description="List ExoKG's links from its entities to external ontologies and "
                    "databases (miRBase, HGNC, Ensembl, circBase, MONDO, DOID, NCIt, "
                    "UBERON, CL, OBI, CHMO, EFO, GO, ChEBI, MeSH, PubMed, DOI, PMC), "
                    "each with its predicate, confidence and where the identifier was "
                    "seen; or, with --unmapped, the entities of the built graph that have "
                    "no link, with the reason.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unmapped", action="store_true",
                        help="list the entities with no mapping (builds the graph)")
    parser.add_argument("--format", default="tsv", choices=["tsv", "json"],
                        help="output format (default: tsv)")
    parser.add_argument("--kind", choices=KINDS,
                        help="only entities of this kind (the first segment of their id)")
    parser.add_argument("--records", metavar="DIR", action="append", default=[],
                        help="with --unmapped: a folder of your own records, added to the "
                             "review's; may be given more than once")
    parser.set_defaults(func=run_links)


def mapping_rows(mappings: Iterable[Mapping], *, kind: str | None = None) -> list[dict]:
    """The mappings (of one kind, or all) as output rows, with the object's IRI.

    >>> rows = mapping_rows(load_mappings(), kind="disease")
    >>> [(r["subject_id"], r["object_iri"]) for r in rows if r["object_id"] == "MONDO:0007256"]
    [('exoid:disease/hcc', 'http://purl.obolibrary.org/obo/MONDO_0007256')]
    """
    conv = converter()
    rows = []
    for m in mappings:
        if kind is not None and m.kind != kind:
            continue
        rows.append({"subject_id": m.subject_id, "subject_label": m.subject_label,
                     "predicate_id": m.predicate_id, "object_id": m.object_id,
                     "object_iri": conv.expand(m.object_id, strict=True),
                     "object_label": m.object_label,
                     "mapping_justification": m.mapping_justification,
                     "confidence": m.confidence, "comment": m.comment})
    return rows


def unmapped_rows(entities: Iterable[Unmapped], *, kind: str | None = None) -> list[dict]:
    """The unmapped entities (of one kind, or all) as output rows."""
    return [{"iri": str(u.iri), "label": u.label, "kind": u.kind, "reason": u.reason}
            for u in entities if kind is None or u.kind == kind]


def _cell(value: object) -> str:
    text = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    return printable(text)


def format_rows(rows: Sequence[dict], columns: Sequence[str], fmt: str, *,
                name: str) -> str:
    """Rows as TSV (with a header) or as JSON ``{"ok": true, "count": n, name: rows}``.

    >>> format_rows([{"a": 1, "b": "x"}], ["a", "b"], "tsv", name="rows")
    'a\\tb\\n1\\tx\\n'
    >>> format_rows([{"a": 1}], ["a"], "json", name="rows")
    '{"ok": true, "count": 1, "rows": [{"a": 1}]}\\n'
    """
    if fmt == "json":
        body = [{c: row.get(c) for c in columns} for row in rows]
        return printable(json.dumps({"ok": True, "count": len(body), name: body},
                                    ensure_ascii=False)) + "\n"
    lines = ["\t".join(columns)]
    lines += ["\t".join(_cell(row.get(c)) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def run_links(args: argparse.Namespace) -> int:
    """Handle ``exokg links``: print the mappings (or the unmapped entities)."""
    if args.unmapped:
        from exokg.build import build_graph  # only --unmapped needs the graph

        graph = build_graph(getattr(args, "records", None) or ())
        rows = unmapped_rows(unmapped(graph), kind=args.kind)
        text = format_rows(rows, UNMAPPED_FIELDS, args.format, name="unmapped")
    else:
        rows = mapping_rows(load_mappings(), kind=args.kind)
        text = format_rows(rows, MAPPING_FIELDS, args.format, name="mappings")
    sys.stdout.write(text)
    return 0
