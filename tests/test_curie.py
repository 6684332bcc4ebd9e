"""CURIEs (:mod:`exokg.curie`): the compaction finds what the curies converter finds, by
its rule (the longest URI prefix), for every IRI of the review's graph and at each edge of
every prefix the converter holds."""

from __future__ import annotations

from exokg.build import build_graph
from exokg.curie import compact_iri, converter, external_curie
from exokg.vocab import PREFIXES
from rdflib import URIRef


def _by_converter(iri: str) -> tuple[str, str | None] | None:
    """What compact_iri and external_curie answer, by curies' own compress; None where
    the converter finds no prefix (external_curie then tries the OBO and identifiers.org
    conventions, as its doctests show)."""
    curie = converter().compress(iri)
    if curie is None:
        return None
    prefix, _, local = curie.partition(":")
    own = prefix in PREFIXES
    return (curie if own and local else iri), (curie if not own and local else None)


def _iris() -> list[str]:
    graph = {str(t) for triple in build_graph() for t in triple if isinstance(t, URIRef)}
    edges = set()
    for record in converter().records:
        for uri_prefix in (record.uri_prefix, *record.uri_prefix_synonyms):
            # the prefix alone (no local name), one character short, and extended
            edges |= {uri_prefix, uri_prefix[:-1], uri_prefix + "x", uri_prefix + "x/y#z"}
    return sorted(graph | edges | {"http://example.org/a", "urn:x", ""})


def test_compaction_is_the_converters():
    iris = _iris()
    assert len(iris) > 500
    unmatched = 0
    for iri in iris:
        want = _by_converter(iri)
        if want is None:
            unmatched += 1
            assert compact_iri(iri) == iri
            continue
        assert (compact_iri(iri), external_curie(iri)) == want, iri
    assert 0 < unmatched < len(iris)  # both cases met


def test_the_longest_uri_prefix_wins(monkeypatch):
    """Where one URI prefix starts another (none does in the bundled map today), the
    longer one is taken, as the converter takes it."""
    import curies
    from exokg import curie

    nested = curies.Converter.from_prefix_map({
        "OBO": "http://purl.obolibrary.org/obo/", "GO": "http://purl.obolibrary.org/obo/GO_"})
    caches = (curie._uri_prefixes, curie.external_curie, curie.compact_iri)
    for cached in caches:
        cached.cache_clear()
    monkeypatch.setattr(curie, "converter", lambda: nested)
    try:
        for iri in ("http://purl.obolibrary.org/obo/GO_0032571",
                    "http://purl.obolibrary.org/obo/go.owl"):
            assert external_curie(iri) == nested.compress(iri)
        assert external_curie("http://purl.obolibrary.org/obo/GO_0032571") == "GO:0032571"
    finally:
        monkeypatch.undo()
        for cached in caches:
            cached.cache_clear()
