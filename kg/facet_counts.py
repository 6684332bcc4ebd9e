"""Facet counts: a node's findings counted by table, disease, direction, sample and study.

One rule for the two places that count them: the facets artifact, over a hub's findings
while the store is built (:mod:`exokg.facets_build`), and an entity page, over the
findings of a node with at most a page of them (:func:`exokg.pages.entity_page`).

>>> record = {"table": 1, "disease": {"iri": "d", "label": "HCC"}, "expression": "Up",
...           "samples": [{"iri": "s", "label": "serum"}], "study": None}
>>> count_facets([facet_values(record)] * 2)["disease"]
[{'key': 'd', 'label': 'HCC', 'count': 2}]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FACET_NAMES", "TOP", "FacetValues", "count_facets", "facet_values", "ranked"]

#: The facets counted per node, in the order a page shows them.
FACET_NAMES = ("table", "disease", "direction", "sample", "study")

#: Values kept per facet of one node (the top ones by count).
TOP = 25

#: One finding's ``(key, label)`` pairs per facet.
FacetValues = dict[str, list[tuple[str, str]]]


def facet_values(record: Mapping[str, Any]) -> FacetValues:
    """A finding's values per facet, from :func:`exokg.describe.finding_record`'s dict."""
    study = record["study"]
    return {
        "table": [(str(record["table"]), f"Table {record['table']}")] if record["table"] else [],
        "disease": [(record["disease"]["iri"], record["disease"]["label"])]
        if record["disease"] else [],
        "direction": [(record["expression"], record["expression"])]
        if record["expression"] else [],
        "sample": [(s["iri"], s["label"]) for s in record["samples"]],
        "study": [(study["iri"], study["label"])] if study else [],
    }


def sort_key(key: str, label: str, count: int) -> tuple[int, str, str]:
    """A facet value's place: most findings first, then by label (case aside), then key."""
    return (-count, label.lower(), key)


def ranked(counts: Mapping[str, int], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The :data:`TOP` values of one facet, as a page lists them.

    >>> ranked({"a": 1, "b": 2}, {"a": "A", "b": "B"})
    [{'key': 'b', 'label': 'B', 'count': 2}, {'key': 'a', 'label': 'A', 'count': 1}]
    """
    top = sorted(counts, key=lambda k: sort_key(k, labels[k], counts[k]))[:TOP]
    return [{"key": k, "label": labels[k], "count": counts[k]} for k in top]


def count_facets(findings: Iterable[FacetValues]) -> dict[str, list[dict[str, Any]]]:
    """Each facet's :func:`ranked` values over the findings' :func:`facet_values`."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_NAMES}
    labels: dict[str, dict[str, str]] = {name: {} for name in FACET_NAMES}
    for values in findings:
        for name in FACET_NAMES:
            for key, label in values[name]:
                counts[name][key] += 1
                labels[name][key] = label
    return {name: ranked(counts[name], labels[name]) for name in FACET_NAMES}
