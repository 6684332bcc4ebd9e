"""CURIEs: one :class:`curies.Converter` for every compaction and expansion.

The converter holds the ``curie_map`` of the bundled SSSOM file
(``data/mappings/exokg.sssom.tsv``: the external sources, as bioregistry spells their
prefixes, plus ``exoid``, ``skos``, ``rdfs``, ``semapv``), ExoKG's own prefixes
(:data:`exokg.vocab.PREFIXES`) and the other spellings accepted on input (``HGNC``,
``mondo`` ...). Three views of it:

* :func:`compact_iri` and :func:`expand_curie`: ExoKG's own prefixes only. This is the
  form of node ids, classes and predicates in the projection, the pages and the CLI
  (``exoid:content/mir-21``); an external IRI stays an IRI there.
* :func:`external_curie`: an external IRI as the CURIE of its source
  (``MONDO:0007256``), as node ``xrefs`` and ``exo:xref`` write it.
* :func:`converter`: the converter itself, for the SSSOM objects (strict expansion).

>>> compact_iri("https://w3id.org/exokg/id/content/mir-21")
'exoid:content/mir-21'
>>> compact_iri("http://purl.obolibrary.org/obo/MONDO_0007256")
'http://purl.obolibrary.org/obo/MONDO_0007256'
>>> external_curie("http://purl.obolibrary.org/obo/MONDO_0007256")
'MONDO:0007256'
>>> expand_curie("exo:regulates")
'https://w3id.org/exokg/vocab#regulates'
>>> expand_curie("MONDO:0007256")
'MONDO:0007256'
"""

from __future__ import annotations

import logging
import re
from functools import cache, lru_cache

import curies
from exokg.vocab import PREFIXES

__all__ = ["SYNONYMS", "compact_iri", "converter", "expand_curie", "local_name",
           "external_curie", "external_prefixes"]

logger = logging.getLogger(__name__)

#: Other spellings accepted on input (expanded like the preferred prefix).
SYNONYMS: dict[str, list[str]] = {
    "CHEBI": ["chebi"], "CHMO": ["chmo"], "CL": ["cl"], "DOID": ["doid"], "GO": ["go"],
    "MONDO": ["mondo"], "NCIT": ["ncit"], "OBI": ["obi"], "UBERON": ["uberon"],
    "EFO": ["efo"], "circbase": ["circBase"], "hgnc": ["HGNC"], "mesh": ["MESH", "MeSH"],
    "mirbase": ["MIRBASE"], "mirbase.mature": ["MIRBASE.MATURE"], "pmc": ["PMC", "pmcid"],
    "pubmed": ["PUBMED", "pmid", "PMID"], "doi": ["DOI"], "ensembl": ["ENSEMBL"],
}

#: Prefixes of the curie_map that name the SSSOM file's own vocabulary, not a source.
_SSSOM_VOCABULARIES = frozenset({"semapv"})
#: External IRIs outside the curie_map still read as CURIEs when they follow the two
#: conventions every OBO ontology and identifiers.org database does (a user's --data).
_OBO = re.compile(r"^https?://purl\.obolibrary\.org/obo/([A-Za-z]+)_(\w+)$")
_IDORG = re.compile(r"^https?://identifiers\.org/([^/:]+)[:/](.+)$")


@cache
def _curie_map() -> dict[str, str]:
    # imported here: reading the SSSOM file checks its rows against this converter
    from exokg.sssom import read_metadata

    curie_map = read_metadata()["curie_map"]
    return {str(k): str(v) for k, v in curie_map.items()}


@cache
def external_prefixes() -> dict[str, str]:
    """CURIE prefix -> IRI prefix of every external source (the SSSOM curie_map's).

    >>> external_prefixes()["MONDO"]
    'http://purl.obolibrary.org/obo/MONDO_'
    """
    return {p: uri for p, uri in sorted(_curie_map().items())
            if p not in PREFIXES and p not in _SSSOM_VOCABULARIES}


@cache
def converter() -> curies.Converter:
    """The converter: the SSSOM curie_map, ExoKG's prefixes and the accepted synonyms.

    Examples
    --------
    >>> conv = converter()
    >>> conv.expand("HGNC:31586")
    'https://identifiers.org/hgnc:31586'
    >>> conv.expand("doi:10.1186/s13046-018-0677-7")
    'https://doi.org/10.1186/s13046-018-0677-7'
    >>> conv.compress("http://purl.obolibrary.org/obo/CL_0000451")
    'CL:0000451'
    """
    prefixes = {**_curie_map(), **PREFIXES}
    records = [curies.Record(prefix=prefix, uri_prefix=uri,
                             prefix_synonyms=list(SYNONYMS.get(prefix, [])))
               for prefix, uri in prefixes.items()]
    return curies.Converter(records)


@cache
def _uri_prefixes() -> tuple[re.Pattern[str], dict[str, str]]:
    """Every URI prefix of the converter (synonyms too), longest first, as one pattern; and
    the prefix each belongs to."""
    owner: dict[str, str] = {}
    for record in converter().records:
        for uri_prefix in (record.uri_prefix, *record.uri_prefix_synonyms):
            owner[uri_prefix] = record.prefix
    # an alternation is tried in order: the first that matches is the longest prefix
    longest_first = sorted(owner, key=lambda p: (-len(p), p))
    return re.compile("|".join(map(re.escape, longest_first))), owner


def _compress(iri: str) -> tuple[str, str] | None:
    """``(prefix, local)`` of ``iri`` by the converter's rule (the longest URI prefix that
    starts it), or None.

    The same answer as ``converter().parse_uri(iri)``, whose trie walks the IRI a character
    at a time in Python (18 us an IRI; the store's build compacts every node's IRI, a
    million at 10^6 findings); the compiled pattern takes about 1 us.

    >>> _compress("http://purl.obolibrary.org/obo/MONDO_0007256")
    ('MONDO', '0007256')
    >>> _compress("http://example.org/x") is None
    True
    """
    pattern, owner = _uri_prefixes()
    found = pattern.match(iri)
    if found is None:
        return None
    return owner[found.group()], iri[found.end():]


#: IRIs and CURIEs whose conversion is remembered (curies' converter rebuilds its prefix map
#: on each call: a neighbourhood's thousands of edges and node classes paid it each time).
_REMEMBERED = 1 << 16


@lru_cache(maxsize=_REMEMBERED)
def compact_iri(iri: str) -> str:
    """An IRI as a CURIE of ExoKG's own prefixes, or the IRI itself.

    >>> compact_iri("https://w3id.org/exokg/vocab#")
    'https://w3id.org/exokg/vocab#'
    """
    text = str(iri)
    found = _compress(text)
    if found is not None:
        prefix, local = found
        if prefix in PREFIXES and local:
            return f"{prefix}:{local}"
    return text


@lru_cache(maxsize=_REMEMBERED)
def expand_curie(curie: str) -> str:
    """The IRI of a CURIE of ExoKG's own prefixes; anything else is returned unchanged
    (a bare prefix, ``exo``, is a name, not a CURIE).

    >>> expand_curie("exo:Finding"), expand_curie("exo"), expand_curie("exo:")
    ('https://w3id.org/exokg/vocab#Finding', 'exo', 'https://w3id.org/exokg/vocab#')
    """
    prefix, colon, local = curie.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return converter().expand(curie) or curie
    return curie


@lru_cache(maxsize=_REMEMBERED)
def external_curie(iri: str) -> str | None:
    """An external IRI as the CURIE of its source, or ``None``.

    >>> external_curie("https://identifiers.org/hgnc:31586")
    'hgnc:31586'
    >>> external_curie("https://w3id.org/exokg/id/content/mir-21") is None
    True
    """
    found = _compress(str(iri))
    if found is not None:
        prefix, local = found
        return f"{prefix}:{local}" if prefix not in PREFIXES and local else None
    match = _OBO.match(iri) or _IDORG.match(iri)
    return f"{match.group(1)}:{match.group(2)}" if match else None



def local_name(iri: str) -> str:
    """An IRI's last name: its fragment, else its last path segment (trailing separators
    aside); the IRI itself when it has neither. What a node without a label is called.

    >>> local_name("https://w3id.org/exokg/vocab#Up"), local_name("http://x.org/a/b/")
    ('Up', 'b')
    >>> local_name("urn:x")
    'urn:x'
    """
    for sep in ("#", "/"):
        text = iri.rstrip(sep)
        if sep in text:
            return text.rsplit(sep, 1)[1]
    return iri
