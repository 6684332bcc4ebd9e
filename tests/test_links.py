"""Tests of the external links: the SSSOM data files and :mod:`exokg.links`."""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

import pytest
from exokg.curie import converter, external_prefixes
from exokg.curie_check import LOCAL_PATTERNS, validate_curies
from exokg.errors import RecordError
from exokg.links import add_links, unmapped
from exokg.resources import data_path
from exokg.sssom import (
    KINDS,
    MAPPING_COLUMNS,
    Mapping,
    load_mappings,
    load_references,
    load_unmapped,
    read_metadata,
)
from exokg.vocab import DCTERMS, EXO, EXOID, OWL, RDF, RDFS, SKOS, XSD
from rdflib import Graph, Literal, URIRef

DATA = data_path()
ROOT = Path(__file__).resolve().parents[1]
# the read-only inputs lie beside the checkout (as in CI)
SEED_CANDIDATES = [ROOT.parent / "shared" / "seed"]
SEED = next((p for p in SEED_CANDIDATES if (p / "identifiers.tsv").is_file()), None)
ARM = re.compile(r"-[35]p$")
MONDO_HCC = URIRef("http://purl.obolibrary.org/obo/MONDO_0007256")


@pytest.fixture(scope="module")
def mappings() -> list[Mapping]:
    return load_mappings()


@pytest.fixture(scope="module")
def entities() -> dict[str, dict[str, str]]:
    with (DATA / "entities.tsv").open(encoding="utf-8") as f:
        return {row["id"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="module")
def built():
    from exokg.build import build_graph

    return build_graph()


def _tiny_graph() -> Graph:
    g = Graph()
    for node, cls in [("disease/hcc", EXO.Disease), ("content/mir-21", EXO.MicroRNA),
                      ("content/lnc-fam72d-3", EXO.LongNonCodingRNA),
                      ("ref/60", EXO.Reference), ("ref/14", EXO.Reference),
                      ("ref/21", EXO.Reference)]:
        g.add((EXOID[node], RDF.type, cls))
        g.add((EXOID[node], RDFS.label, Literal(node)))
    for finding, ref in [("finding/t3-4", "ref/60"), ("finding/t1-1", "ref/14")]:
        g.add((EXOID[finding], RDF.type, EXO.Finding))
        g.add((EXOID[finding], EXO.citedIn, EXOID[ref]))
    g.add((EXOID["content/mir-32-5p"], EXO.citedIn, EXOID["ref/60"]))  # a shortcut edge
    return g


# --- the SSSOM file -------------------------------------------------------------------


def test_sssom_file_has_metadata_block_and_parses_as_tsv():
    import pandas as pd

    path = DATA / "mappings" / "exokg.sssom.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    n_meta = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    assert n_meta > 10
    with path.open(encoding="utf-8") as f:
        frame = pd.read_csv(f, sep="\t", skiprows=n_meta, dtype=str, keep_default_na=False)
    for column in ("subject_id", "subject_label", "predicate_id", "object_id",
                   "object_label", "mapping_justification", "confidence", "comment"):
        assert column in frame.columns
    assert len(frame) == len(load_mappings())
    meta = read_metadata()
    assert meta["mapping_set_id"] == "https://w3id.org/exokg/mappings/exokg.sssom.tsv"
    assert meta["license"].startswith("https://creativecommons.org/")
    assert meta["mapping_set_version"]
    curie_map = meta["curie_map"]
    used = {c.split(":", 1)[0] for c in frame["object_id"]}
    used |= {c.split(":", 1)[0] for col in ("subject_id", "predicate_id",
                                            "mapping_justification") for c in frame[col]}
    assert used <= set(curie_map), used - set(curie_map)
    for prefix, uri in external_prefixes().items():
        if prefix in used:
            assert curie_map[prefix] == uri


def test_metadata_block_is_yaml_and_read_alike():
    import yaml

    text = (DATA / "mappings" / "exokg.sssom.tsv").read_text(encoding="utf-8")
    block = "".join(line[1:] + "\n" for line in text.splitlines() if line.startswith("#"))
    assert yaml.safe_load(block) == read_metadata()


def test_every_row_says_where_its_identifier_was_seen(mappings):
    for m in mappings:
        assert "Seen in:" in m.comment, m
        source = m.comment.split("Seen in:", 1)[1].strip()
        assert len(source) > 20, m
        assert m.mapping_justification.startswith("semapv:")


def test_every_object_curie_validates_with_bioregistry(mappings):
    assert validate_curies(mappings) == []


def test_validate_curies_reports_bad_ones():
    bad = [Mapping("exoid:disease/hcc", "", "skos:exactMatch", obj, "", "semapv:X", 1.0, "c")
           for obj in ("MONDO:7256", "nosuchprefix:1", "circbase:circ_1", "HGNC:31586")]
    problems = validate_curies(bad)
    assert len(problems) == 4
    assert any("unknown to bioregistry" in p for p in problems)
    assert any("'hgnc'" in p for p in problems)  # not bioregistry's preferred spelling
    assert "circbase" in LOCAL_PATTERNS


def test_every_entity_is_mapped_or_listed_unmapped(mappings, entities):
    mapped = {m.subject_path for m in mappings}
    listed = {n.subject_id.split(":", 1)[1] for n in load_unmapped()}
    assert not mapped & listed, mapped & listed
    assert set(entities) == mapped | listed, set(entities) ^ (mapped | listed)
    for note in load_unmapped():
        assert note.reason and note.where_searched, note
        assert note.subject_label == entities[note.subject_id.split(":", 1)[1]]["label"]
    for m in mappings:
        assert m.subject_label == entities[m.subject_path]["label"], m


# --- microRNAs ------------------------------------------------------------------------


def _mirnas(entities) -> list[str]:
    return [e for e, row in entities.items()
            if row["class"] == "MicroRNA" or e == "drug/mir-214"]


def test_no_exact_match_for_a_mirna_name_without_arm(mappings, entities):
    for entity in _mirnas(entities):
        label = entities[entity]["label"]
        exact = [m for m in mappings if m.subject_path == entity
                 and m.predicate_id == "skos:exactMatch"]
        for m in exact:
            assert m.object_prefix == "mirbase.mature", m
            if not ARM.search(label):
                # only where miRBase itself names its single mature without an arm
                assert not ARM.search(m.object_label), m
                assert m.object_label == "hsa-" + label, m
        if ARM.search(label):
            assert len(exact) == 1, entity
            assert exact[0].object_label == "hsa-" + label


@pytest.mark.parametrize("entity", ["content/mir-21", "content/mir-122", "content/mir-125b",
                                    "content/mir-1298", "content/mir-96", "drug/mir-214"])
def test_armless_mirna_is_close_to_its_precursor_never_to_a_mature(mappings, entity):
    rows = [m for m in mappings if m.subject_path == entity]
    assert rows
    matures = [m for m in rows if m.object_prefix == "mirbase.mature"]
    # every arm is narrower than the review's armless name; none is chosen as the match
    assert matures and all(m.predicate_id == "skos:narrowMatch" for m in matures)
    assert all(m.predicate_id == "skos:closeMatch" for m in rows if m not in matures)
    assert any(m.object_prefix == "mirbase" for m in rows)
    assert any(m.object_prefix == "hgnc" for m in rows)


def test_an_arm_is_linked_but_is_no_cross_reference_of_an_armless_mirna(built):
    mir21 = EXOID["content/mir-21"]
    arm = URIRef("https://identifiers.org/mirbase.mature:MIMAT0000076")
    assert (mir21, SKOS.narrowMatch, arm) in built
    assert (mir21, EXO.xref, Literal("mirbase.mature:MIMAT0000076")) not in built
    assert (mir21, EXO.xref, Literal("mirbase:MI0000077")) in built


@pytest.mark.parametrize("entity, precursors", [
    ("content/mir-92a-3p", {"mirbase:MI0000093", "mirbase:MI0000094"}),
    ("content/mir-125b", {"mirbase:MI0000446", "mirbase:MI0000470"}),
    ("content/mir-9-3p", {"mirbase:MI0000466", "mirbase:MI0000467", "mirbase:MI0000468"}),
    ("content/mir-320d", {"mirbase:MI0008190", "mirbase:MI0008192"}),
])
def test_a_name_covering_several_precursors_links_each(mappings, entity, precursors):
    linked = {m.object_id for m in mappings if m.subject_path == entity}
    assert precursors <= linked


# --- the traps of identifiers.tsv ----------------------------------------------------------

_DB_PREFIXES = {"HGNC": {"hgnc"}, "Ensembl": {"ensembl"}, "circBase": {"circbase"},
                "MONDO": {"MONDO"}, "DOID": {"DOID"}, "NCIT": {"NCIT"}, "EFO": {"EFO"},
                "UBERON": {"UBERON"}, "OBI": {"OBI"}, "CL": {"CL"}, "ChEBI": {"CHEBI"},
                "MeSH": {"mesh"}, "CHMO": {"CHMO"}, "miRBase": {"mirbase", "mirbase.mature"},
                "LNCipedia": {"lncipedia"}, "HGNC/Ensembl": {"hgnc", "ensembl"},
                "OBI/EFO": {"OBI", "EFO"}}
_KITS = {"isolationmethod/exoeasy-maxi-kit", "isolationmethod/exoquick-sbi",
         "isolationmethod/exorneasy-midi-kit", "isolationmethod/total-exosome-isolation-kit",
         "isolationmethod/total-exosome-isolation-reagent"}
#: identifiers.tsv's entity names -> ExoKG entity ids (empty: context only, map nothing)
ENTITY_OF: dict[str, set[str]] = {
    "(context) bone marrow (BMSCs)": set(), "(context) liver": set(),
    "(context) cancer cells": {"exosomesource/cancer-cells", "exosomesource/bel-5fu-cells"},
    "5-FU": set(), "5-FU (Bel/5-FU; 5-fluorouracil)": set(), "Sorafenib": set(),
    "oxaliplatin": set(), "AFP (Table 3 text: upregulate AFP level)": set(),
    "miR-1270 (Table 3 text: Cdr1as sponges miR-1270)": set(), "NASH": set(),
    "liver cancer": set(), "liver cirrhosis": set(),
    "lnc-EPC1-* (neighbour protein-coding gene only)": set(),
    "lnc-FAM72D-* (neighbour protein-coding gene only)": set(),
    "circRNA Cdr1as (withdrawn symbol)": set(),
    "qRT-PCR (miRNA context)": {"detectionmethod/qrt-pcr"},
    "ANGPT2": {"content/angpt2"}, "ASMTL-AS1": {"content/asmtl-as1"},
    "DANCR": {"content/dancr"}, "ENO1": {"content/eno1"}, "LDH-C4": {"content/ldh-c4"},
    "LINC00161": {"content/linc00161"}, "PCED1B-AS1": {"content/pced1b-as1"},
    "SENP3-EIF4A1": {"content/senp3-eif4a1"}, "hnRNPH1": {"content/hnrnph1"},
    "lncRNA FAL1": {"content/lncrna-fal1"}, "lncRNA Jpx": {"content/lncrna-jpx"},
    "lncRNA-ATB": {"content/lncrna-atb"},
    "lncRNA-RP11-583F2.2": {"content/lncrna-rp11-583f2.2"},
    "lnc-EPC1-4": {"content/lnc-epc1-4"}, "lnc-FAM72D-3": {"content/lnc-fam72d-3"},
    "ENSG00000248932.1 (Table 1)": {"content/ensg00000248932.1"},
    "ENST00000440688.1 / ENST00000457302.2": {"content/enst00000440688.1",
                                              "content/enst00000457302.2"},
    "circ-0051443": {"content/circ-0051443"}, "circ-DB": {"content/circ-db"},
    "circ_0070396": {"content/circ_0070396"}, "circAKT3": {"content/circakt3"},
    "circAKT3 (host gene)": {"content/circakt3"}, "circPTGR1": {"content/circptgr1"},
    "circPTGR1 (host gene)": {"content/circptgr1"},
    "circRNA Cdr1as": {"content/circrna-cdr1as"},
    "circRNA Cdr1as (linear host locus)": {"content/circrna-cdr1as"},
    "circUHRF1": {"content/circuhrf1"}, "circUHRF1 (host gene)": {"content/circuhrf1"},
    "hepatocellular carcinoma (HCC)": {"disease/hcc"}, "hepatoblastoma (HB)": {"disease/hb"},
    "Serum": {"sampletype/serum"}, "Serum (as specimen)": {"sampletype/serum"},
    "Plasma": {"sampletype/plasma"}, "Plasma (as specimen)": {"sampletype/plasma"},
    "ascitic fluid": {"sampletype/ascitic-fluid"}, "tissue": {"sampletype/tissue"},
    "BMSCs (bone marrow mesenchymal stem cell)": {"exosomesource/bmscs"},
    "BMSCs (generic MSC)": {"exosomesource/bmscs"}, "DCs (dendritic cells)": {"exosomesource/dcs"},
    "Fibroblasts": {"exosomesource/fibroblasts"},
    "TAMs (tumor-associated macrophages)": {"exosomesource/tams"},
    "hCEC (human cerebral endothelial cell)": {"exosomesource/hcecs"},
    "hCEC (alternative)": {"exosomesource/hcecs"},
    "Norcantharidin": {"drug/norcantharidin"}, "siGRP78 (target GRP78)": {"drug/sigrp78"},
    "miR-214": {"drug/mir-214"},
    "Ultracentrifugation": {"isolationmethod/ultracentrifugation"},
    "Ultracentrifugation (broader)": {"isolationmethod/ultracentrifugation"},
    "SBI ExoQuick / Total Exosome Isolation reagent / exoRNeasy kits": _KITS,
    "qRT-PCR": {"detectionmethod/qrt-pcr"}, "qRT-PCR (broader)": {"detectionmethod/qrt-pcr"},
    "ELISA": {"detectionmethod/elisa"}, "Immunoblotting": {"detectionmethod/immunoblotting"},
    "Immunoblotting / western blot": {"detectionmethod/immunoblotting"},
    "IHC staining": {"detectionmethod/ihc"},
    "Digital droplet PCR (DDPCR)": {"detectionmethod/ddpcr"},
    "Digital droplet PCR (DDPCR) (broader)": {"detectionmethod/ddpcr"},
    "miR23-a/b (miR-23a)": {"content/mir-23a"}, "miR23-a/b (miR-23b)": {"content/mir-23b"},
    "miR-125a/b (miR-125a)": {"content/mir-125a"}, "miR-125a/b (miR-125b)": {"content/mir-125b"},
    "miR-34s (miR-34a)": {"content/mir-34s"}, "miR-34s (miR-34b)": {"content/mir-34s"},
    "miR-34s (miR-34c)": {"content/mir-34s"}, "miRNA-1298": {"content/mir-1298"},
    "miRNA-96": {"content/mir-96"},
}
#: identifiers seen outside identifiers.tsv (each row's comment says where)
BEYOND_SEED = {"GO:0070062"}
_TRAP = re.compile(r"Symbol Withdrawn|OBSOLETE|not the lncRNA itself|different HCC study")


def _seed_rows() -> list[dict[str, str]]:
    if SEED is None:
        pytest.skip("shared/seed/identifiers.tsv is not here")
    with open(SEED / "identifiers.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _entities_of(name: str) -> set[str]:
    if name in ENTITY_OF:
        return ENTITY_OF[name]
    entity = "content/" + name.lower().replace("mirna-", "mir-")
    assert re.fullmatch(r"content/mir-[0-9a-z-]+", entity), \
        f"identifiers.tsv names {name!r}: add it to ENTITY_OF"
    return {entity}


def _seed_curie(row: dict[str, str]) -> str:
    db, ident = row["db"], row["id"]
    if db == "miRBase":
        return ("mirbase.mature:" if ident.startswith("MIMAT") else "mirbase:") + ident
    (prefix,) = _DB_PREFIXES[db]
    return f"{prefix}:{ident.split(':', 1)[1] if ':' in ident else ident}"


def test_mappings_agree_with_identifiers_tsv(mappings):
    rows = _seed_rows()
    owners: dict[str, set[str]] = {}
    for row in rows:
        if row["confidence"] == "seen" and row["id"]:
            entities = _entities_of(row["entity_as_in_review"])
            owners.setdefault(_seed_curie(row), set()).update(entities)
    for m in mappings:
        if m.kind == "ref":
            continue
        assert m.object_id in owners or m.object_id in BEYOND_SEED, \
            f"{m.object_id} is in neither identifiers.tsv nor BEYOND_SEED"
        if m.object_id in owners:
            assert m.subject_path in owners[m.object_id], \
                f"{m.subject_id} -> {m.object_id}: identifiers.tsv has {owners[m.object_id]}"


def test_no_trap_or_not_found_row_is_mapped(mappings):
    rows = _seed_rows()
    mapped = {(m.subject_path, m.object_prefix) for m in mappings}
    objects = {m.object_id for m in mappings}
    for row in rows:
        if row["confidence"] == "not_found":
            for entity in _entities_of(row["entity_as_in_review"]):
                for prefix in _DB_PREFIXES[row["db"]]:
                    assert (entity, prefix) not in mapped, (entity, row)
        elif row["id"] and _TRAP.search(row["official_name"]):
            assert _seed_curie(row) not in objects, row
    for trap in ("hgnc:48926", "hgnc:33593", "hgnc:19876", "hgnc:18683",
                 "circbase:hsa_circ_0048674"):
        assert trap not in objects


def test_lnc_fam72d_3_is_unmapped_with_a_reason(mappings):
    assert not [m for m in mappings if m.subject_path == "content/lnc-fam72d-3"]
    notes = {n.subject_id: n for n in load_unmapped()}
    note = notes["exoid:content/lnc-fam72d-3"]
    assert "FAM72D" in note.reason and note.where_searched


def test_hepatoblastoma_is_not_hcc(mappings):
    hb = {m.object_id for m in mappings if m.subject_path == "disease/hb"}
    hcc = {m.object_id for m in mappings if m.subject_path == "disease/hcc"}
    assert "MONDO:0018666" in hb and "MONDO:0007256" in hcc
    assert not hb & hcc


# --- references --------------------------------------------------------------------------


def test_references_tsv_has_each_cited_study_once():
    refs = load_references()
    assert [r.ref for r in refs] == list(range(14, 72))
    assert {r.status for r in refs} == {"inferred", "unknown"}
    assert [r.ref for r in refs if r.retracted] == [60]
    assert sum(r.status == "unknown" for r in refs) == 12
    by_ref = {r.ref: r for r in refs}
    assert "plasma" in by_ref[40].disagreement and "600" in by_ref[40].disagreement
    for r in refs:
        if r.status == "unknown":
            assert not (r.pmid or r.doi or r.pmcid or r.title)


def test_references_are_see_also_with_confidence_below_one(mappings):
    refs = {r.ref: r for r in load_references()}
    expected = set()
    for r in refs.values():
        expected |= {f"pubmed:{r.pmid}"} if r.pmid else set()
        expected |= {f"doi:{r.doi}"} if r.doi else set()
        expected |= {f"pmc:{r.pmcid}"} if r.pmcid else set()
    found = set()
    for m in mappings:
        if m.kind == "ref":
            assert m.predicate_id == "rdfs:seeAlso", m
            assert m.confidence is not None and m.confidence < 1, m
            assert "INFERRED" in m.comment, m
            assert refs[int(m.subject_path.split("/")[1])].status == "inferred"
            found.add(m.object_id)
        else:
            assert m.predicate_id != "rdfs:seeAlso"
    assert found == expected


def test_retracted_reference_and_its_finding_are_flagged():
    g = add_links(_tiny_graph())
    true = Literal(True)
    assert true.datatype == XSD.boolean
    assert (EXOID["ref/60"], EXO.retracted, true) in g
    assert (EXOID["finding/t3-4"], EXO.retracted, true) in g
    assert (EXOID["finding/t1-1"], EXO.retracted, None) not in g
    assert (EXOID["ref/14"], EXO.retracted, None) not in g
    assert (EXOID["content/mir-32-5p"], EXO.retracted, None) not in g  # not a Finding
    assert (None, OWL.sameAs, None) not in g
    ref60 = EXOID["ref/60"]
    assert g.value(ref60, EXO.identificationStatus) == Literal("inferred")
    assert (ref60, RDFS.seeAlso, URIRef("https://doi.org/10.1186/s13046-018-0677-7")) in g
    assert (ref60, EXO.xref, Literal("doi:10.1186/s13046-018-0677-7")) in g
    assert g.value(EXOID["ref/14"], EXO.identificationEvidence) is not None
    assert g.value(EXOID["ref/14"], RDFS.seeAlso) is not None
    assert g.value(EXOID["ref/14"], EXO.xref) is not None
    date = g.value(EXOID["ref/14"], DCTERMS.date)
    assert date == Literal("2020", datatype=XSD.gYear)
    assert g.value(EXOID["ref/21"], EXO.identificationStatus) == Literal("unknown")
    assert g.value(EXOID["ref/21"], RDFS.seeAlso) is None



def test_built_graph_flags_ref_60_and_only_its_finding(built):
    retracted = set(built.subjects(EXO.retracted, Literal(True)))
    findings = {f for f in retracted if (f, RDF.type, EXO.Finding) in built}
    assert EXOID["ref/60"] in retracted
    assert findings == set(built.subjects(EXO.citedIn, EXOID["ref/60"])) & \
        set(built.subjects(RDF.type, EXO.Finding))
    assert findings
    assert (None, OWL.sameAs, None) not in built


# --- add_links, unmapped, converter -------------------------------------------------------


def test_add_links_puts_mondo_on_hcc():
    g = add_links(_tiny_graph())
    hcc = EXOID["disease/hcc"]
    assert (hcc, SKOS.exactMatch, MONDO_HCC) in g
    assert (hcc, EXO.xref, Literal("MONDO:0007256")) in g
    assert (EXOID["content/mir-21"], SKOS.closeMatch,
            URIRef("https://identifiers.org/mirbase:MI0000077")) in g
    assert not list(g.triples((EXOID["disease/hb"], None, None)))  # not in the graph


def test_add_links_is_deterministic_and_idempotent():
    one = add_links(_tiny_graph())
    two = add_links(add_links(_tiny_graph()))
    assert sorted(one) == sorted(two)


def test_built_graph_has_the_links(built):
    assert (EXOID["disease/hcc"], SKOS.exactMatch, MONDO_HCC) in built
    assert (EXOID["content/mir-10b-5p"], SKOS.exactMatch,
            URIRef("https://identifiers.org/mirbase.mature:MIMAT0000254")) in built


def test_unmapped_lists_the_unmapped_entities_with_their_reasons(built):
    rows = unmapped(built)
    listed = {n.subject_id.split(":", 1)[1] for n in load_unmapped()}
    assert {str(u.iri).removeprefix(str(EXOID)) for u in rows} == listed
    assert all(u.reason and u.kind in KINDS and u.label for u in rows)
    assert "not listed" not in " ".join(u.reason for u in rows)


def test_unmapped_reports_an_uncurated_entity():
    g = Graph()
    g.add((EXOID["content/new-thing"], RDF.type, EXO.Protein))
    (row,) = unmapped(g)
    assert row.kind == "content" and "not listed" in row.reason


@pytest.mark.parametrize("curie, iri", [
    ("MONDO:0007256", "http://purl.obolibrary.org/obo/MONDO_0007256"),
    ("CHEBI:197221", "http://purl.obolibrary.org/obo/CHEBI_197221"),
    ("mirbase.mature:MIMAT0000254", "https://identifiers.org/mirbase.mature:MIMAT0000254"),
    ("mirbase:MI0000077", "https://identifiers.org/mirbase:MI0000077"),
    ("hgnc:31586", "https://identifiers.org/hgnc:31586"),
    ("ensembl:ENSG00000284190", "https://identifiers.org/ensembl:ENSG00000284190"),
    ("pubmed:32183816", "https://identifiers.org/pubmed:32183816"),
    ("pmc:PMC7077328", "https://identifiers.org/pmc:PMC7077328"),
    ("doi:10.1186/s12964-020-00535-8", "https://doi.org/10.1186/s12964-020-00535-8"),
    ("exoid:disease/hcc", "https://w3id.org/exokg/id/disease/hcc"),
    ("skos:exactMatch", str(SKOS.exactMatch)),
])
def test_converter_expands_to_canonical_iris(curie, iri):
    assert converter().expand(curie) == iri


def test_every_mapping_expands(mappings):
    conv = converter()
    for m in mappings:
        assert conv.expand(m.object_id, strict=True)


# --- malformed files ----------------------------------------------------------------------


def _corrupt(tmp_path: Path, old: str, new: str) -> Path:
    text = (DATA / "mappings" / "exokg.sssom.tsv").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, column", [
    ("\tskos:exactMatch\tMONDO:0007256", "\towl:sameAs\tMONDO:0007256", "predicate_id"),
    ("\tMONDO:0007256\t", "\tMONDO_0007256\t", "object_id"),
    ("\tMONDO:0007256\t", "\tFOO:0007256\t", "object_id"),
    ("semapv:ManualMappingCuration\t1\tPrimary disease mapping",
     "semapv:ManualMappingCuration\t7\tPrimary disease mapping", "confidence"),
    ("exoid:disease/hcc\thepatocellular carcinoma\tskos:exactMatch\tMONDO",
     "exoid:hcc\thepatocellular carcinoma\tskos:exactMatch\tMONDO", "subject_id"),
    ("\tsemapv:ManualMappingCuration\t1\tPrimary disease mapping.",
     "\tManualMappingCuration\t1\tPrimary disease mapping.", "mapping_justification"),
    ('#   MONDO: "http://purl.obolibrary.org/obo/MONDO_"\n', "", "object_id"),
])
def test_malformed_row_raises_record_error(tmp_path, old, new, column):
    path = _corrupt(tmp_path, old, new)
    with pytest.raises(RecordError) as err:
        load_mappings(path)
    assert err.value.file == str(path)
    assert err.value.column == column
    assert err.value.row is not None and err.value.row > 1


def test_malformed_metadata_names_its_line(tmp_path):
    text = (DATA / "mappings" / "exokg.sssom.tsv").read_text(encoding="utf-8")
    bad = tmp_path / "badmeta.tsv"
    bad.write_text(text.replace('# mapping_set_id: "', '# mapping_set_id: [unclosed "', 1),
                   encoding="utf-8")
    with pytest.raises(RecordError) as err:
        load_mappings(bad)
    assert err.value.file == str(bad) and err.value.column == "metadata"
    line = next(i for i, row in enumerate(text.splitlines(), start=1)
                if row.startswith("# mapping_set_id"))
    assert err.value.row is not None and line <= err.value.row <= line + 2
    scalar = tmp_path / "scalar.tsv"
    scalar.write_text("# just text\n" + "\t".join(MAPPING_COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match="not a YAML map") as err:
        load_mappings(scalar)
    assert (err.value.row, err.value.column) == (1, "metadata")


def test_empty_comment_and_missing_column_raise(tmp_path):
    text = (DATA / "mappings" / "exokg.sssom.tsv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    cells = lines[header + 1].rstrip("\n").split("\t")
    cells[-1] = ""
    bad = tmp_path / "nocomment.tsv"
    bad.write_text("".join(lines[:header + 1]) + "\t".join(cells) + "\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        load_mappings(bad)
    assert (err.value.row, err.value.column) == (header + 2, "comment")
    nocol = tmp_path / "nocol.tsv"
    nocol.write_text("".join(lines[:header]) + "subject_id\tobject_id\n", encoding="utf-8")
    with pytest.raises(RecordError) as err:
        load_mappings(nocol)
    assert err.value.column == "subject_label"
    missing = tmp_path / "missing.tsv"
    with pytest.raises(RecordError):
        load_mappings(missing)


# --- the command --------------------------------------------------------------------------


def _run(argv: list[str]) -> int:
    from exokg.cli.links import register

    parser = argparse.ArgumentParser(prog="exokg")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_lists_mappings_as_tsv(capsys):
    assert _run(["links", "--kind", "disease"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("subject_id\tsubject_label\tpredicate_id\tobject_id")
    assert any("MONDO:0007256" in line and str(MONDO_HCC) in line for line in lines)
    assert all(line.startswith("exoid:disease/") for line in lines[1:])


def test_cli_lists_unmapped_as_json(capsys):
    assert _run(["links", "--unmapped", "--kind", "ref", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["count"] == len(data["unmapped"]) > 0
    assert {row["kind"] for row in data["unmapped"]} == {"ref"}
    assert all(row["reason"] for row in data["unmapped"])


def test_cli_rejects_an_unknown_kind():
    with pytest.raises(SystemExit):
        _run(["links", "--kind", "gene"])


def test_built_graph_still_conforms_to_the_shapes(built):
    from exokg.validate import validate_graph

    report = validate_graph(built)
    assert report.conforms, report.text[:2000]


def test_sssom_file_validates_with_sssom_py():
    """The reference implementation parses every row and finds no schema or CURIE error."""
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    path = DATA / "mappings" / "exokg.sssom.tsv"
    rows = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][1:]
    msdf = parse_sssom_table(str(path))
    assert len(msdf.df) == len(rows)  # sssom-py drops a malformed row; none is dropped
    reports = validate(msdf, fail_on_error=False)
    assert reports and all(report.results == [] for report in reports.values())


def test_xref_names_the_entity_not_what_it_is_related_to(built):
    g = built
    circ = EXOID["content/circuhrf1"]
    host = URIRef("https://identifiers.org/hgnc:12556")
    assert (circ, SKOS.relatedMatch, host) in g  # the host gene stays linked ...
    assert (circ, EXO.xref, Literal("hgnc:12556")) not in g  # ... but is no xref of it
