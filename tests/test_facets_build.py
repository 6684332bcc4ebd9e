"""The facets builder's fast finding reader writes exactly what the pages' reader
(:func:`exokg.describe.finding_record` over an rdflib graph) gives, on a 10^4-finding store
with values the fast reader hands back to rdflib (odd literals, a literal object)."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from _facets import facet_tables
from exokg import facets_build
from exokg.facets_build import build_facets
from exokg.store import open_store, prepare_store

FINDINGS = 10_000
BASE = "https://w3id.org/exokg/id/"
EXO = "https://w3id.org/exokg/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"

HUB = BASE + "content/mir-hub"


def _odd(n: int, predicate: str, value: str) -> str:
    f = f"{BASE}finding/odd-{n}"
    return (f"<{f}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EXO}Finding> .\n"
            f"<{f}> <{EXO}content> <{HUB}> .\n<{f}> <{EXO}citedIn> <{BASE}ref/1> .\n"
            f"<{f}> <{EXO}{predicate}> {value} .\n")


#: Findings with values only rdflib reads as finding_record does (a decimal row, a
#: language-tagged table, an ill-typed sample size), and values the fast reader takes (a
#: disease and a direction given as literals, booleans).
ODD = (_odd(1, "sourceRow", '"3"'), _odd(2, "sourceTable", '"1"@en'),
       _odd(3, "retracted", f'"1"^^<{XSD}boolean>'),
       _odd(4, "sampleSize", '"12"'),
       _odd(5, "disease", '"a disease in words"'), _odd(6, "expression", '"upregulated"'),
       _odd(7, "retracted", f'"true"^^<{XSD}boolean>'))
SLOW = 3  # Oxigraph stores "1"^^xsd:boolean as "true"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from hubgen import write_hub_graph

    folder = tmp_path_factory.mktemp("facets-build")
    data = write_hub_graph(folder / "hub.nt", findings=FINDINGS)
    with data.open("a", encoding="utf-8") as fh:
        fh.writelines(ODD)
    return open_store(prepare_store(folder / "stores", data_files=[data]).path), folder


def test_fast_reader_writes_what_finding_record_gives(store, monkeypatch, caplog):
    ox_store, folder = store
    with caplog.at_level("INFO", logger="exokg.facets_build"):
        build_facets(ox_store, folder / "fast")
    # the odd findings went through rdflib, the others did not
    assert any(r.getMessage().startswith(f"{SLOW} findings read through rdflib")
               for r in caplog.records), [r.getMessage() for r in caplog.records]

    def rdflib_only(index, f):
        raise facets_build._Odd

    monkeypatch.setattr(facets_build, "_fast_row", rdflib_only)
    build_facets(ox_store, folder / "reference")
    fast, reference = facet_tables(folder / "fast"), facet_tables(folder / "reference")
    assert fast.keys() == reference.keys()
    for name in reference:
        assert fast[name] == reference[name], name
    assert len(fast["finding"]) == FINDINGS + len(ODD)
    hub_diseases = {row[3] for row in fast["facet"] if row[0] == HUB and row[1] == "disease"}
    assert "a disease in words" in hub_diseases


class _QueryOnly:
    """A store that answers SPARQL queries and nothing else (as a remote store's adapter,
    :class:`exokg.sparql.remote_index.IndexStore`, does)."""

    def __init__(self, store):
        self._store = store

    def query(self, query, **options):
        return self._store.query(query, **options)


def test_a_store_answering_queries_only_gets_the_same_facets(store):
    """Over an embedded store the builder reads with look-ups and counts the incoming links
    in a thread beside the read; over queries only it does both by query, in turn: the
    same tables."""
    ox_store, folder = store
    build_facets(ox_store, folder / "embedded")
    build_facets(_QueryOnly(ox_store), folder / "queries")
    embedded, queries = facet_tables(folder / "embedded"), facet_tables(folder / "queries")
    assert embedded.keys() == queries.keys()
    for name in embedded:
        assert embedded[name] == queries[name], name
    assert embedded["incoming"]  # links into the classes from the entities
    assert not list((folder / "embedded").glob("*.incoming"))  # its scratch file is gone


def test_a_failing_build_does_not_wait_for_the_incoming_count(tmp_path, monkeypatch):
    """The incoming links are counted in a thread beside the read; a build that fails
    meanwhile raises at once, leaving no scratch file, not after the count."""
    review = open_store(prepare_store(tmp_path / "stores").path)
    release = threading.Event()

    def slow_count(store):
        release.wait(120)
        return iter(())

    def failing(*args):
        raise RuntimeError("the by-study pass failed")

    monkeypatch.setattr(facets_build, "_incoming_rows", slow_count)
    monkeypatch.setattr(facets_build, "_by_study", failing)
    try:
        with pytest.raises(RuntimeError, match="by-study"):
            build_facets(review, tmp_path / "facets")
        counting = [t for t in threading.enumerate() if t.name == "facets-incoming"]
        assert counting and counting[0].is_alive()  # raised while it still counts
        left = {p.suffix for p in (tmp_path / "facets").iterdir()}
        assert not left & {".scratch", ".incoming"}, left
    finally:
        release.set()


def _tallying_children():
    return [p for p in multiprocessing.active_children() if "_tally_molecules" in p.name]


def test_the_tallies_by_molecule_in_a_child_give_the_same_facets(store, monkeypatch):
    """From ``apart_min`` findings the tallies by molecule run in a child process beside
    those by study: the same tables as in the builder's own, no scratch file left."""
    ox_store, folder = store
    monkeypatch.setattr(facets_build, "cores", lambda: 2)
    build_facets(ox_store, folder / "inline", apart_min=FINDINGS * 10)
    build_facets(ox_store, folder / "apart", apart_min=0)
    inline, apart = facet_tables(folder / "inline"), facet_tables(folder / "apart")
    assert inline.keys() == apart.keys()
    for name in inline:
        assert inline[name] == apart[name], name
    assert inline["conflict"] and inline["page_order"]  # the child's share is there
    assert [p.name for p in (folder / "apart").iterdir()] == ["facets.sqlite"]
    assert not _tallying_children()


def test_a_failing_build_stops_the_tallies_by_molecule(tmp_path, monkeypatch):
    """The tallies by study fail while the child tallies by molecule: the build raises,
    the child is ended, no scratch file is left."""
    review = open_store(prepare_store(tmp_path / "stores").path)
    monkeypatch.setattr(facets_build, "cores", lambda: 2)

    def failing(*args):
        assert _tallying_children()  # started before the tallies by study
        raise RuntimeError("the by-study pass failed")

    monkeypatch.setattr(facets_build, "_by_study", failing)
    with pytest.raises(RuntimeError, match="by-study"):
        build_facets(review, tmp_path / "facets", apart_min=0)
    assert not _tallying_children()
    left = {p.suffix for p in (tmp_path / "facets").iterdir()}
    assert not left & {".scratch", ".order", ".molecules", ".incoming"}, left


def test_on_one_core_the_tallies_by_molecule_stay_in_the_builder(tmp_path, monkeypatch):
    """A second process beside the builder gains nothing without a second core."""
    review = open_store(prepare_store(tmp_path / "stores").path)
    monkeypatch.setattr(facets_build, "cores", lambda: 1)

    def no_child(*args, **kwargs):
        raise AssertionError("a child process was started")

    monkeypatch.setattr(facets_build, "start_in_child", no_child)
    build_facets(review, tmp_path / "facets", apart_min=0)
    assert facet_tables(tmp_path / "facets")["conflict"]


class _GaveUp(Exception):
    pass


def test_a_build_given_up_while_it_waits_for_the_child_ends_the_child(tmp_path, monkeypatch,
                                                                      caplog):
    """The builder waits for the tallies by molecule asking ``alive()`` each second: a
    build given up then stops within about a second, the child ended, no scratch left
    (the child here sleeps: the review's own tallies end before the builder waits)."""
    import logging
    import time

    review = open_store(prepare_store(tmp_path / "stores").path)
    monkeypatch.setattr(facets_build, "cores", lambda: 2)
    children = []
    start = facets_build.start_in_child

    def sleeping_child(func, *args, what=None):
        children.append(start(time.sleep, 60, what=what))
        return children[-1]

    monkeypatch.setattr(facets_build, "start_in_child", sleeping_child)
    given_up_at, asked = [], []

    def alive():
        if "by study done" in caplog.text and not given_up_at:
            asked.append(1)
            if len(asked) == 2:  # the first: the phase's own end; the next: while waiting
                given_up_at.append(time.monotonic())
                raise _GaveUp

    caplog.set_level(logging.INFO, logger="exokg.facets_build")
    with pytest.raises(_GaveUp):
        facets_build.write_facets(tmp_path / "facets", facets_build._StoreFindings(review),
                                  lambda: review, alive=alive, apart_min=0)
    assert "by molecule done" not in caplog.text  # given up while it waited
    assert time.monotonic() - given_up_at[0] < 5
    proc = children[0]._proc
    proc.join(5)
    assert not proc.is_alive()
    left = {p.suffix for p in (tmp_path / "facets").iterdir()}
    assert not left & {".scratch", ".order", ".molecules", ".incoming"}, left
