"""Which of a node's names is its label: one rule for every view.

A node may have several ``rdfs:label`` values (a name and its translation, two sources
merged). Each view named it by the value its own read met first: the entity page by
one, search, the network and the exports by another, and the other name was lost from
the page and from search. The label is the least value in code-point order, whatever
order the store gives them; every other name is one of the node's alternative names.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["other_names", "preferred_label"]


def preferred_label(values: Iterable[str]) -> str | None:
    """The label of a node whose labels are ``values``, or ``None`` when it has none.

    >>> preferred_label(["Two B", "Two A"]), preferred_label([])
    ('Two A', None)
    """
    return min(values, default=None)


def other_names(label: str | None, *names: Iterable[str]) -> list[str]:
    """A node's alternative names: each of ``names`` (its other labels, its
    ``skos:altLabel`` values) once, sorted, without its ``label``.

    >>> other_names("Two A", ["Two A", "Two B"], ["Deux"])
    ['Deux', 'Two B']
    """
    return sorted({n for group in names for n in group} - {label})
