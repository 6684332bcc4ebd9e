"""A name's normalised keys: what a search and a look-up by name compare, and what two
entities' names may not share.

Case, width and punctuation are dropped (``MIR21``, ``ｍｉＲ－２１`` and ``miR‐21`` with
a Unicode hyphen are ``mir21``), and a miRNA name is reduced to one key, so that
``hsa-miR-21-5p``, ``miR21``, ``mir-21`` and ``microRNA-21`` reach ``miR-21``; a name
with an arm (``-5p``) also has the armless key, a little lower (:data:`ARMLESS`).

>>> exact_keys("MIR21") == exact_keys("miR-21") == ["mir21"]
True
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ARMLESS", "exact_keys", "fold", "identifier_keys", "name_keys"]

#: The penalty of an armless key, matched for a name with an arm.
ARMLESS = 15

_MIRNA = re.compile(
    r"^(?:[a-z]{3,4}-)?(?P<family>mir|mirna|microrna|mi-r|let)[-_ ]?(?P<number>\d+)"
    r"(?P<letter>[a-z])?(?:[-_ ]?(?P<copy>\d+))?(?:[-_ ]?(?P<arm>[35]p|\*))?$")


def fold(text: str) -> str:
    """``text`` in Unicode compatibility form (full-width letters as ASCII), case-folded
    and stripped.

    >>> fold(" ＭＩＲ21 ")
    'mir21'
    """
    return unicodedata.normalize("NFKC", text).casefold().strip()


def name_keys(text: str) -> list[tuple[str, int]]:
    """The normalised keys of a name, each with its penalty (0: the name itself).

    >>> name_keys("hsa-miR-21-5p")
    [('hsamir215p', 0), ('mir21-5p', 0), ('mir21', 15)]
    >>> [k for k, _ in name_keys("MIR21")], [k for k, _ in name_keys("let-7")]
    (['mir21'], ['let7'])
    """
    folded = fold(text)
    keys = [(re.sub(r"[\W_]+", "", folded), 0)]
    match = _MIRNA.match(folded)
    if match:
        family = "let" if match["family"] == "let" else "mir"
        base = f"{family}{match['number']}{match['letter'] or ''}"
        if match["copy"]:
            base += f"-{match['copy']}"
        if match["arm"]:
            keys += [(f"{base}-{match['arm']}", 0), (base, ARMLESS)]
        else:
            keys.append((base, 0))
    out: list[tuple[str, int]] = []
    for key, penalty in keys:
        if key and key not in [k for k, _ in out]:
            out.append((key, penalty))
    return out


def exact_keys(text: str) -> list[str]:
    """The keys that name ``text`` itself (no armless one): two entities whose names share
    one are named alike.

    >>> exact_keys("hsa-miR-21-5p")
    ['hsamir215p', 'mir21-5p']
    """
    return [key for key, penalty in name_keys(text) if penalty == 0]


def identifier_keys(curie: str) -> list[str]:
    """An identifier's keys: the CURIE and the bare accession (when not a bare number), by
    which a search and a look-up find the entity mapped to it.

    >>> identifier_keys("ensembl:ENSG00000284190"), identifier_keys("MONDO:0007256")
    (['ensembl:ensg00000284190', 'ensg00000284190'], ['mondo:0007256'])
    """
    folded = fold(curie)
    keys = [folded]
    local = folded.split(":", 1)[-1] if ":" in folded and "//" not in folded else ""
    if local and not local.isdigit():
        keys.append(local)
    return keys
