"""The one evidence summary and conflict rule (exokg.evidence), on hand-made finding rows."""

from __future__ import annotations

from exokg.evidence import Finding, find_conflicts, group_by_disease_role, summarize

MIR = ("https://x.org/mir-1", "miR-1")
LET = ("https://x.org/let-7", "let-7")


def row(iri, *, molecule=MIR, disease="HCC", direction="Up", study="s1", ref=1, n=None,
        table=1, role="Biomarker", retracted=False):
    return Finding(iri, molecules=(molecule,), diseases=(disease,), directions=(direction,),
                   study=study, ref_number=ref, sample_size=n, table=table, roles=(role,),
                   retracted=retracted)


def test_two_studies_opposite_directions_conflict():
    rows = [row("a", study="s1", ref=1), row("b", direction="Down", study="s2", ref=2)]
    assert find_conflicts(rows) == [{"molecule": "miR-1", "disease": "HCC", "up": [1],
                                     "down": [2]}]


def test_one_study_both_directions_is_not_a_conflict():
    rows = [row("a"), row("b", direction="Down")]
    assert find_conflicts(rows) == []
    assert summarize(rows)["conflict"] is False


def test_two_molecules_opposite_directions_are_not_a_conflict():
    rows = [row("a", study="s1", ref=1), row("b", molecule=LET, direction="Down", study="s2",
                                             ref=2)]
    assert summarize(rows)["conflicts"] == []


def test_two_diseases_opposite_directions_are_not_a_conflict():
    rows = [row("a", study="s1", ref=1), row("b", disease="HB", direction="Down", study="s2",
                                             ref=2)]
    assert find_conflicts(rows) == []


def test_a_third_study_makes_a_shared_side_a_conflict():
    rows = [row("a", study="s1", ref=1), row("b", direction="Down", study="s1", ref=1),
            row("c", direction="Down", study="s3", ref=3)]
    assert find_conflicts(rows)[0]["up"] == [1] and find_conflicts(rows)[0]["down"] == [1, 3]


def test_summary_counts():
    rows = [row("a", n=10, table=1), row("b", direction="Down", study="s2", ref=2, table=2,
                                         retracted=True)]
    s = summarize(rows)
    assert (s["count"], s["studies"], s["total_n"], s["findings_without_n"]) == (2, 2, 10, 1)
    assert s["directions"] == {"Down": 1, "Up": 1} and s["tables"] == [1, 2]
    assert s["retracted_findings"] == 1 and s["conflicting_diseases"] == ["HCC"]


def test_empty_summary_lists_both_directions():
    s = summarize([])
    assert s["count"] == 0 and s["directions"] == {"Down": 0, "Up": 0} and not s["conflict"]


def test_groups_by_disease_and_role():
    rows = [row("a", n=3), row("b", role="DrugCarrier", n=4), row("c", n=5)]
    groups = {(g["disease"], g["role"]): g["total_n"] for g in group_by_disease_role(rows)}
    assert groups == {("HCC", "Biomarker"): 8, ("HCC", "DrugCarrier"): 4}


def test_a_conflicts_references_are_listed_by_number():
    """They were sorted as text: [128, 181, 528, 58, 97]."""
    rows = [row(str(ref), study=f"s{ref}", ref=ref) for ref in (97, 128, 58)]
    rows += [row(f"d{ref}", direction="Down", study=f"s{ref}", ref=ref) for ref in (528, 181)]
    assert find_conflicts(rows)[0]["up"] == [58, 97, 128]
    assert find_conflicts(rows)[0]["down"] == [181, 528]
    # a study without a reference number (a user's record) after the numbered ones
    rows.append(row("e", direction="Down", study="https://x.org/study", ref=None))
    assert find_conflicts(rows)[0]["down"] == [181, 528, "https://x.org/study"]
