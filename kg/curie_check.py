"""Checking the mappings' CURIEs against bioregistry: known prefix, preferred spelling,
identifier pattern.

bioregistry is a dependency of ExoKG, imported only when :func:`validate_curies` runs
(``exokg validate``), since loading its registry takes about a second.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from exokg.sssom import CURIE_SYNTAX, Mapping

__all__ = ["LOCAL_PATTERNS", "validate_curies"]

logger = logging.getLogger(__name__)

#: Identifier patterns for prefixes bioregistry does not know (checked by
#: :func:`validate_curies` instead of bioregistry's pattern).
LOCAL_PATTERNS: dict[str, str] = {"circbase": r"^hsa_circ_\d{7}$"}


def validate_curies(mappings: Iterable[Mapping]) -> list[str]:
    """Check each object CURIE against bioregistry: known prefix, preferred spelling
    and the prefix's identifier pattern.

    Prefixes that bioregistry does not know are checked against
    :data:`LOCAL_PATTERNS` instead (circBase). bioregistry is imported here only (it loads slowly).

    Parameters
    ----------
    mappings
        the mappings to check (e.g. :func:`load_mappings`).

    Returns
    -------
    list of str
        one message per bad CURIE, sorted; empty when all are valid.

    Examples
    --------
    >>> bad = Mapping("exoid:disease/hcc", "HCC", "skos:exactMatch", "MONDO:7256", "",
    ...               "semapv:ManualMappingCuration", 1.0, "a test")
    >>> validate_curies([bad])  # doctest: +ELLIPSIS
    ["exoid:disease/hcc -> MONDO:7256: '7256' does not match MONDO's pattern ..."]
    """
    import bioregistry

    problems: set[str] = set()
    for mapping in mappings:
        where = f"{mapping.subject_id} -> {mapping.object_id}"
        match = CURIE_SYNTAX.fullmatch(mapping.object_id)
        if not match:
            problems.add(f"{where}: not a CURIE")
            continue
        prefix, local = match.groups()
        if prefix in LOCAL_PATTERNS:
            pattern: str | None = LOCAL_PATTERNS[prefix]
        else:
            norm = bioregistry.normalize_prefix(prefix)
            if norm is None:
                problems.add(f"{where}: prefix {prefix!r} is unknown to bioregistry")
                continue
            preferred = bioregistry.get_preferred_prefix(norm) or norm
            if prefix != preferred:
                problems.add(f"{where}: write the prefix as bioregistry's {preferred!r}")
            pattern = bioregistry.get_pattern(norm)
        if pattern and not re.search(pattern, local):
            problems.add(f"{where}: {local!r} does not match {prefix}'s pattern {pattern}")
    return sorted(problems)
