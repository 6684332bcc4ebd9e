"""A small deterministic store with hubs, in the review's vocabulary (for paging tests).

``write_hub_graph(path, findings=N)`` writes N findings of one molecule (``content/mir-hub``)
in one disease (``disease/hub-disease``), across the five tables, ~N/8 studies, both
directions, four sample types and a handful of other molecules, as N-Triples; with
``cited=K`` the hub itself cites K studies (``exo:citedIn``, more studies made as needed).
"""

from __future__ import annotations

from pathlib import Path

BASE = "https://w3id.org/exokg/id/"
EXO = "https://w3id.org/exokg/vocab#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"

HUB = BASE + "content/mir-hub"
#: A node with more own statements than a description reads (2,000).
WIDE = BASE + "content/mir-wide"
DISEASE = BASE + "disease/hub-disease"
SAMPLES = ("serum", "plasma", "tissue", "urine")


def _t(s: str, p: str, o: str) -> str:
    return f"<{s}> <{p}> {o} .\n"


def _iri(x: str) -> str:
    return f"<{x}>"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _int(n: int) -> str:
    return f'"{n}"^^<{XSD_INT}>'


def write_hub_graph(path: Path, *, findings: int, cited: int = 0) -> Path:
    """Write the graph to ``path`` (N-Triples) and return it."""
    lines = [_t(HUB, RDF_TYPE, _iri(EXO + "MicroRNA")), _t(HUB, LABEL, _lit("miR-hub")),
             _t(DISEASE, RDF_TYPE, _iri(EXO + "Disease")),
             _t(DISEASE, LABEL, _lit("hub disease"))]
    studies = max(2, findings // 8)
    for s in range(1, max(studies, cited) + 1):
        ref = f"{BASE}ref/{s}"
        lines += [_t(ref, RDF_TYPE, _iri(EXO + "Reference")),
                  _t(ref, LABEL, _lit(f"Reference [{s}]")), _t(ref, EXO + "refNumber", _int(s))]
    for name in SAMPLES:
        node = f"{BASE}sampletype/{name}"
        lines += [_t(node, RDF_TYPE, _iri(EXO + "SampleType")), _t(node, LABEL, _lit(name))]
    others = [f"{BASE}content/mir-other-{k}" for k in range(5)]
    for k, node in enumerate(others):
        lines += [_t(node, RDF_TYPE, _iri(EXO + "MicroRNA")),
                  _t(node, LABEL, _lit(f"miR-other-{k}"))]
    for i in range(findings):
        table = i % 5 + 1
        f = f"{BASE}finding/hub-{i}"
        study = f"{BASE}ref/{i % studies + 1}"
        lines += [
            _t(f, RDF_TYPE, _iri(EXO + "Finding")),
            _t(f, LABEL, _lit(f"Table {table}, row {i}: miR-hub")),
            _t(f, EXO + "sourceTable", _int(table)), _t(f, EXO + "sourceRow", _int(i)),
            _t(f, EXO + "content", _iri(HUB)),
            _t(f, EXO + "disease", _iri(DISEASE)),
            _t(f, EXO + "expression", _iri(EXO + ("Up" if i % 3 else "Down"))),
            _t(f, EXO + "sample", _iri(f"{BASE}sampletype/{SAMPLES[i % len(SAMPLES)]}")),
            _t(f, EXO + "citedIn", _iri(study)),
            _t(f, EXO + "function", _lit(f"Finding {i} of the hub: a sentence of a typical "
                                         "length about what the molecule does")),
            _t(f, EXO + "role", _iri(EXO + "Biomarker")),
        ]
        if i % 7:
            lines.append(_t(f, EXO + "sampleSize", _int(10 + i % 90)))
        if i % 11 == 0:
            lines.append(_t(f, EXO + "content", _iri(others[i % len(others)])))
    lines += [_t(HUB, EXO + "citedIn", _iri(f"{BASE}ref/{s}")) for s in range(1, cited + 1)]
    lines += [_t(WIDE, RDF_TYPE, _iri(EXO + "MicroRNA")), _t(WIDE, LABEL, _lit("miR-wide"))]
    lines += [_t(WIDE, "http://www.w3.org/2004/02/skos/core#altLabel", _lit(f"wide-{k}"))
              for k in range(2100)]
    path.write_text("".join(lines), encoding="utf-8")
    return path
