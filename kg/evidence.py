"""What the review's findings say about a node: one summary shape and one conflict rule.

Pure functions over plain finding rows (:class:`Finding`), so that the entity page
(rows read from an rdflib graph), the JSON API and the CLI (rows read from the networkx
projection) and any later reader (SPARQL results, a store extract) agree by
construction.

The conflict rule
-----------------
A **conflict** is two *different* studies reporting *opposite* directions (one up, one
down) for the *same molecule* in the *same disease*. This is what a curator must resolve:

* one study printing a molecule both up and down is the table's own wording (two
  sample types, two time points), not a disagreement between sources;
* different molecules going opposite ways in one disease (what a disease page or a
  study page lists) is biology, not a conflict;
* the same molecule going opposite ways in two diseases is not a contradiction either.

Earlier the entity page flagged any disease with findings both up and down (so a study
page or a disease page could show a "conflict" between two molecules), while the API
needed two studies; both now call :func:`find_conflicts`.

>>> rows = [Finding("f1", molecules=(("m", "miR-638"),), diseases=("HCC",),
...                 directions=("Up",), study="r28", ref_number=28, sample_size=54, table=1),
...         Finding("f2", molecules=(("m", "miR-638"),), diseases=("HCC",),
...                 directions=("Down",), study="r50", ref_number=50, sample_size=147, table=2)]
>>> s = summarize(rows)
>>> s["count"], s["studies"], s["total_n"], s["directions"], s["conflicting_diseases"]
(2, 2, 201, {'Down': 1, 'Up': 1}, ['HCC'])
>>> s["conflicts"]
[{'molecule': 'miR-638', 'disease': 'HCC', 'up': [28], 'down': [50]}]
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["DIRECTIONS", "Finding", "conflict_rows", "find_conflicts", "group_by_disease_role",
           "summarize", "tally"]

logger = logging.getLogger(__name__)

#: The two directions a finding can report; both always appear in ``directions``.
DIRECTIONS = ("Down", "Up")
_NONE = "(none)"


@dataclass(frozen=True)
class Finding:
    """One finding as the evidence rules need it (whatever store it was read from).

    Attributes
    ----------
    iri
        the finding's IRI.
    molecules
        ``(iri, label)`` of the exosomal contents it is about.
    diseases, directions, roles
        labels (directions: ``Up``/``Down``).
    study, ref_number
        the cited study's IRI and the review's reference number.
    sample_size, table
        the n printed (``None`` when none) and the review's table.
    retracted
        whether the finding cites a retracted study.
    """

    iri: str
    molecules: tuple[tuple[str, str], ...] = ()
    diseases: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()
    study: str | None = None
    ref_number: int | None = None
    sample_size: int | None = None
    table: int | None = None
    roles: tuple[str, ...] = ()
    retracted: bool = False

    @property
    def study_key(self) -> int | str | None:
        """How the study is named in a conflict: its reference number, else its IRI."""
        return self.ref_number if self.ref_number is not None else self.study


def tally(findings: Iterable[Finding]) -> dict[str, Any]:
    """Counts over findings: ``count studies total_n findings_without_n directions tables
    retracted_findings``.

    ``total_n`` sums the sample sizes the review prints; findings without n add nothing
    and are counted in ``findings_without_n``.

    >>> tally([Finding("f", directions=("Up",), study="s", sample_size=3, table=1)])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'count': 1, 'studies': 1, 'total_n': 3, 'findings_without_n': 0,
     'directions': {'Down': 0, 'Up': 1}, 'tables': [1], 'retracted_findings': 0}
    """
    rows = list(findings)
    directions = dict.fromkeys(DIRECTIONS, 0)
    for f in rows:
        for d in f.directions:
            directions[d] = directions.get(d, 0) + 1
    sizes = [f.sample_size for f in rows if f.sample_size is not None]
    return {
        "count": len(rows),
        "studies": len({f.study for f in rows if f.study}),
        "total_n": sum(sizes),
        "findings_without_n": len(rows) - len(sizes),
        "directions": dict(sorted(directions.items())),
        "tables": sorted({f.table for f in rows if f.table}),
        "retracted_findings": sum(1 for f in rows if f.retracted),
    }


def find_conflicts(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Each (molecule, disease) that two different studies report in opposite directions.

    Returns ``[{"molecule", "disease", "up", "down"}]`` (``up``/``down``: the studies'
    reference numbers, sorted), by molecule then disease. See the module docstring.
    """
    sides: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    labels: dict[str, str] = {}
    for f in findings:
        key = f.study_key
        if key is None:
            continue
        for iri, label in f.molecules:
            labels[iri] = label
            for disease in f.diseases:
                for d in f.directions:
                    sides[iri, disease][d].add(key)
    out: list[dict[str, Any]] = []
    for (iri, disease), dirs in sides.items():
        up, down = dirs.get("Up", set()), dirs.get("Down", set())
        # some study up and a *different* study down: true iff both sides are non-empty
        # and together they name at least two studies
        if up and down and len(up | down) >= 2:
            out.append({"molecule": labels[iri], "disease": disease,
                        "up": sorted(up, key=_study_order),
                        "down": sorted(down, key=_study_order)})
    out.sort(key=lambda c: (str(c["molecule"]).lower(), str(c["disease"])))
    return out


def _study_order(key: int | str) -> tuple[bool, int | str]:
    """Reference numbers in order (58 before 128), then the studies named otherwise."""
    return isinstance(key, str), key


def summarize(findings: Iterable[Finding], node: str | None = None) -> dict[str, Any]:
    """The one evidence summary of ``node``'s findings: :func:`tally` plus ``conflict``,
    ``conflicts`` and ``conflicting_diseases`` (:func:`find_conflicts` over
    :func:`conflict_rows`: a molecule's own conflicts)."""
    rows = list(findings)
    conflicts = find_conflicts(conflict_rows(rows, node))
    return {**tally(rows), "conflict": bool(conflicts), "conflicts": conflicts,
            "conflicting_diseases": sorted({c["disease"] for c in conflicts})}


def conflict_rows(findings: list[Finding], node: str | None) -> list[Finding]:
    """The rows whose conflicts are ``node``'s: about a molecule, each finding as about
    that molecule alone; about anything else (a disease, a study), the rows as they are.

    A finding may name several molecules; a molecule's summary listed the others'
    conflicts too, each from the few findings shared with it, and cut at 50 it could
    leave out the molecule's own (miR-21 at 10^5 findings: 91 conflicts, its own in
    HCC not among the 50 shown).

    >>> two = Finding("f", molecules=(("m1", "miR-1"), ("m2", "miR-2")))
    >>> [f.molecules for f in conflict_rows([two], "m2")]
    [(('m2', 'miR-2'),)]
    >>> conflict_rows([two], "disease/hcc") == [two]
    True
    """
    if node is None or not any(iri == node for f in findings for iri, _ in f.molecules):
        return findings
    return [dataclasses.replace(f, molecules=tuple(m for m in f.molecules if m[0] == node))
            for f in findings]


def group_by_disease_role(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """:func:`tally` per (disease, role), ``(none)`` where a finding names none.

    >>> [(g["disease"], g["role"], g["count"])
    ...  for g in group_by_disease_role([Finding("f", diseases=("HCC",))])]
    [('HCC', '(none)', 1)]
    """
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        for disease in f.diseases or (_NONE,):
            for role in f.roles or (_NONE,):
                groups[disease, role].append(f)
    return [{"disease": d, "role": r, **tally(fs)} for (d, r), fs in sorted(groups.items())]
