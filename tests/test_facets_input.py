"""The facets artifact built from the ``--data`` files beside the store's load
(:mod:`exokg.facets_input`) holds exactly what the builder writes reading the loaded store:
with triples given twice, a finding's triples spread over the file and over two files,
blank nodes of two files with the same label, several values of one property (the review's
studies and the generated hub's share IRIs and differ in labels); and, where the input holds
what the store rewrites (a non-canonical integer, a finding naming a blank node), the build
says so and reads the store instead."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from _facets import facet_tables
from exokg.errors import ConfigError
from exokg.facets import Facets
from exokg.facets_build import build_facets
from exokg.store import bundled_ntriples, open_store, prepare_store

BASE = "https://w3id.org/exokg/id/"
EXO = "https://w3id.org/exokg/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"
MENTIONS = "http://example.org/mentions"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
MIR21 = BASE + "content/mir-21"
FROM_INPUT = "(from the input, beside the load)"


def _lines(tmp: Path) -> list[str]:
    from hubgen import write_hub_graph

    hub = write_hub_graph(tmp / "hub.nt", findings=300).read_text(encoding="utf-8")
    return bundled_ntriples([]).decode().splitlines(keepends=True) + hub.splitlines(keepends=True)


def _build(tmp: Path, files: list[Path], caplog) -> tuple[Path, Path]:
    """The store built from ``files`` (its facets artifact) and the facets the builder
    writes from the loaded store, for comparison."""
    with caplog.at_level(logging.INFO, logger="exokg"):
        info = prepare_store(tmp / "stores", data_files=files)
    reference = tmp / "reference"
    build_facets(open_store(info.path), reference)
    return Path(info.artifact_dir("facets")), reference


def test_input_path_equals_the_store_path(tmp_path, caplog):
    lines = _lines(tmp_path)
    # every finding's triples spread over the file (odd lines first, then even, reversed)
    spread = lines[::2] + lines[1::2][::-1]
    a, b = tmp_path / "a.nt", tmp_path / "b.nt"
    # a third of the triples given again in the second file, a blank node in each file
    # under the same label (two nodes for the store), a second disease for a finding
    a.write_text("".join(spread) + f"_:x <{MENTIONS}> <{MIR21}> .\n", encoding="utf-8")
    b.write_text("".join(spread[::3]) + f"_:x <{MENTIONS}> <{MIR21}> .\n"
                 f"<{BASE}finding/t1-10> <{EXO}disease> <{BASE}disease/a-second> .\n"
                 f"<{BASE}disease/a-second> <http://www.w3.org/2000/01/rdf-schema#label> "
                 '"a second disease" .\n'
                 # a finding named by a blank node links from a finding: not an incoming link
                 f"_:f <{RDF_TYPE}> <{EXO}Finding> .\n_:f <{MENTIONS}> <{MIR21}> .\n"
                 # a literal holding the words the input's search looks for
                 f'<{MIR21}> <{MENTIONS}> "a <http://www.w3.org/2000/01/rdf-schema#label> b '
                 f'<{RDF_TYPE}> <{EXO}Finding> ." .\n',
                 encoding="utf-8")
    built, reference = _build(tmp_path, [a, b], caplog)
    assert any(FROM_INPUT in r.getMessage() for r in caplog.records)
    assert not any("facets read from the store" in r.getMessage() for r in caplog.records)
    assert facet_tables(built) == facet_tables(reference)
    facets = Facets(built)
    assert {"predicate": MENTIONS, "count": 2} in [
        {k: link[k] for k in ("predicate", "count")} for link in facets.node(MIR21).incoming]
    assert facets.node(BASE + "content/mir-hub").count == 300


@pytest.mark.parametrize("extra, why", [
    (f'<{BASE}finding/t1-10> <{EXO}sampleSize> "090"^^<{XSD}integer> .\n', "xsd:integer"),
    # canonical, but a derived type: the store holds it as xsd:integer
    (f'<{BASE}finding/t1-10> <{EXO}sampleSize> "90"^^<{XSD}int> .\n', "xsd:int"),
    (f'<{BASE}finding/t1-10> <{EXO}sampleSize> "90"^^<{XSD}unsignedShort> .\n',
     "xsd:unsignedShort"),
    (f"<{BASE}finding/t1-10> <{EXO}sample> _:s .\n"
     '_:s <http://www.w3.org/2000/01/rdf-schema#label> "a sample" .\n', "blank node"),
])
def test_input_the_store_rewrites_is_read_from_the_store(tmp_path, caplog, extra, why):
    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)) + extra, encoding="utf-8")
    built, reference = _build(tmp_path, [data], caplog)
    said = [r.getMessage() for r in caplog.records
            if "facets read from the store" in r.getMessage()]
    assert said and why in said[0]
    assert facet_tables(built) == facet_tables(reference)


@pytest.mark.parametrize("program, fault, said", [
    ("sort", "missing", "no sort program to order the input"),
    ("sort", "failing", "the input's sort failed (2): sort: write failed: No space left on "
                        "device"),
    ("grep", "missing", "no grep program to search the input"),
    ("grep", "failing", "the input's search failed (2): grep: write failed: No space left on "
                        "device"),
    ("grep", "killed", "the input's search failed (-9): "),  # its output may be cut
])
def test_without_a_working_sort_or_grep_the_store_is_read(tmp_path, caplog, monkeypatch,
                                                          program, fault, said):
    import shutil

    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for other in {"sort", "grep"} - {program}:  # the other one works
        (bin_dir / other).symlink_to(shutil.which(other))
    if fault != "missing":  # as a full disk makes it, or the kernel's OOM killer
        fake = bin_dir / program
        fake.write_text("#!/bin/sh\nkill -9 $$\n" if fault == "killed" else
                        f"#!/bin/sh\necho '{program}: write failed: No space left on device' "
                        ">&2\nexit 2\n", encoding="utf-8")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))  # the build's child inherits it
    built, reference = _build(tmp_path, [data], caplog)
    told = [r.getMessage() for r in caplog.records
            if "facets read from the store" in r.getMessage()]
    assert told == [f"facets read from the store: {said}"]
    assert facet_tables(built) == facet_tables(reference)


def test_bad_input_fails_the_build_at_once(tmp_path):
    good, bad = tmp_path / "good.nt", tmp_path / "bad.nt"
    good.write_text("".join(_lines(tmp_path)), encoding="utf-8")
    bad.write_text("<http://ex/a> <http://ex/p> .\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.nt: not valid RDF"):
        prepare_store(tmp_path / "stores", data_files=[good, bad])
    assert [p.name for p in (tmp_path / "stores").iterdir() if not p.name.startswith(".")] == []


def test_a_build_given_up_after_the_read_stops_before_its_tallies_end(tmp_path, monkeypatch):
    """The builder asks ``alive()`` between its phases after the read too (not only while
    it reads): a build given up then stops at the next phase and writes no artifact."""
    from exokg import facets_build
    from exokg.child import ChildFailed
    from exokg.facets_input import build_facets_from_input

    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)), encoding="utf-8")
    store = open_store(prepare_store(tmp_path / "stores", data_files=[data]).path)
    given_up = []
    by_study = facets_build._by_study

    def give_up_then_tally(*args):
        given_up.append(True)  # the read is done: the build is given up now
        return by_study(*args)

    def alive():
        if given_up:
            raise ChildFailed("the store build was given up")

    monkeypatch.setattr(facets_build, "_by_study", give_up_then_tally)
    with pytest.raises(ChildFailed, match="given up"):
        build_facets_from_input([data], tmp_path / "facets", lambda: store, alive)
    assert not (tmp_path / "facets" / facets_build.FACETS_FILE).exists()


@pytest.mark.parametrize("wait", [True, False])
def test_served_early_the_read_waits_for_the_load(tmp_path, wait):
    """With a copy of the loaded store served early (``loading`` given), only the input's
    serialisation runs beside the load: it is sorted and read once ``loaded()`` has
    answered, and the artifact is the same."""
    from exokg.facets_input import build_facets_from_input

    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)), encoding="utf-8")
    store = open_store(prepare_store(tmp_path / "stores", data_files=[data]).path)
    reference = tmp_path / "reference"
    build_facets(store, reference)
    folder = tmp_path / "facets"
    calls: list[list[str]] = []

    def loaded():
        # what the pass had made when the store was first asked for
        scratch = tmp_path / "facets.input"
        with contextlib.closing(sqlite3.connect(scratch / "facts.sqlite")) as db:
            calls.append(sorted(n for (n,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")))
        calls[-1] += [(scratch / name).exists() for name in ("part0.nt", "input.nt")]
        return store

    build_facets_from_input([data], folder, loaded, loading=(lambda: True) if wait else None)
    assert facet_tables(folder) == facet_tables(reference)
    # waiting: asked once the input was serialised, before its sort; else once the
    # findings were read and tallied
    assert calls[0] == (["fact", "link", True, False] if wait
                        else ["fact", "incoming", False, True]), \
        calls
    assert not (tmp_path / "facets.input").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's nice value is Linux's")
def test_the_serialisation_yields_to_the_load_while_it_runs_only(tmp_path, monkeypatch):
    """While ``loading()`` says the load runs, the input is serialised at the lowest CPU
    priority; once it is done, at the caller's (a thread at nice 19 would stay there,
    behind the early copy's queries)."""
    from exokg import facets_input
    from exokg.facets_input import build_facets_from_input

    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)), encoding="utf-8")
    store = open_store(prepare_store(tmp_path / "stores", data_files=[data]).path)
    # alive() asked before each run of 500 triples, in the thread that serialises it
    monkeypatch.setattr(facets_input, "RUN", 500)
    seen: list[int] = []

    def alive():  # asked by the thread that serialises
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    from exokg.child import at_lowest_priority

    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    lowest = at_lowest_priority(lambda: os.getpriority(os.PRIO_PROCESS,
                                                       threading.get_native_id()))
    if ours == 19 or lowest != 19:  # nothing to tell apart here
        pytest.skip(f"this test runs at nice {ours}, and a thread can take nice {lowest}")
    asked = []

    def loading():  # the load runs while three runs are serialised
        asked.append(True)
        return len(asked) <= 3

    build_facets_from_input([data], tmp_path / "facets", lambda: store, alive,
                            loading=loading)
    # while loading, alive() is asked by the caller before each run, and by the run's
    # thread at its first triple: three runs of 500 at nice 19, then all at the caller's
    assert seen[:6] == [ours, 19] * 3 and set(seen[6:]) == {ours}, seen


def test_a_build_given_up_during_the_load_stops_while_it_waits(tmp_path):
    """Given up while it waits for the load (``loaded()`` raises, as the build's waiter
    does): the pass stops there, and leaves no scratch folder and no artifact."""
    from exokg.child import ChildFailed
    from exokg.facets_build import FACETS_FILE
    from exokg.facets_input import build_facets_from_input

    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)), encoding="utf-8")
    asked = []

    def given_up():
        asked.append((tmp_path / "facets.input" / "part0.nt").exists())
        raise ChildFailed("the store build was given up")

    with pytest.raises(ChildFailed, match="given up"):
        build_facets_from_input([data], tmp_path / "facets", given_up, loading=lambda: True)
    assert asked == [True]  # asked once, with the input serialised
    assert not (tmp_path / "facets.input").exists()
    assert not (tmp_path / "facets" / FACETS_FILE).exists()


def test_rdf12_data_is_refused_even_when_the_store_is_read_instead(tmp_path, monkeypatch):
    """The refusal of RDF 1.2 terms rides on the input's serialisation: with no sort
    program (the store read instead), it ran after the program's look-up, and the store
    was built."""
    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)) + f'<{MIR21}> <{MENTIONS}> "x"@ar--rtl .\n',
                    encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))  # no sort, no grep
    with pytest.raises(ConfigError, match="a literal with a base direction in"):
        prepare_store(tmp_path / "stores", data_files=[data])


@pytest.mark.parametrize("name, extra, said", [
    # Turtle's reifier: a blank node that rdf:reifies a triple term
    ("data.ttl", f"<<<{MIR21}> <{MENTIONS}> <{MIR21}>>> <{MENTIONS}> <{MIR21}> .\n",
     "data.ttl: a triple term in "),
    ("data.nt", f'<{MIR21}> <{MENTIONS}> "x"@ar--ltr .\n',
     "data.nt: a literal with a base direction in "),
    # a named graph's quads are judged too, though only the default graph is written
    ("data.nq", f'<{MIR21}> <{MENTIONS}> "x"@ar--rtl <http://example.org/g> .\n',
     "data.nq: a literal with a base direction in "),
])
def test_rdf12_terms_are_refused_wherever_they_are(tmp_path, name, extra, said):
    data = tmp_path / name
    data.write_text("".join(_lines(tmp_path)) + extra, encoding="utf-8")
    with pytest.raises(ConfigError, match=said):
        prepare_store(tmp_path / "stores", data_files=[data])
    assert [p.name for p in (tmp_path / "stores").iterdir() if not p.name.startswith(".")] == []


def test_rdf12_marks_in_a_literal_or_an_iri_are_rdf_1_1(tmp_path, caplog):
    """A literal or an IRI may hold the text of a triple term or of a base direction: the
    refusal judges each line it finds, and these are built from the input like any other."""
    data = tmp_path / "data.nt"
    data.write_text("".join(_lines(tmp_path)) + f'<{MIR21}> <{MENTIONS}> '
                    f'"a <<( <{MIR21}> <{MENTIONS}> \\"x\\"@ar--rtl )>> b --ltr"@en .\n'
                    f'<{MIR21}> <{MENTIONS}> <http://example.org/a--ltr--rtl> .\n',
                    encoding="utf-8")
    built, reference = _build(tmp_path, [data], caplog)
    assert any(FROM_INPUT in r.getMessage() for r in caplog.records)
    assert facet_tables(built) == facet_tables(reference)


@pytest.mark.parametrize("extra, refused", [
    ("", False),
    (f'<{MIR21}> <{MENTIONS}> "x"@ar--rtl .\n', True),
])
def test_rdf12_search_cut_short_is_done_again(tmp_path, caplog, monkeypatch, extra, refused):
    """A ``grep`` that dies as it writes (the kernel's OOM killer) cuts its last line:
    the refusal scans the file itself, and the facets are read from the store."""
    import shutil

    data = tmp_path / "data.nt"
    # grep's output is cut inside this line, before the base direction after it
    data.write_text("".join(_lines(tmp_path)) + f'<{MIR21}> <{MENTIONS}> "a --ltr b" .\n'
                    + extra, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sort").symlink_to(shutil.which("sort"))
    (bin_dir / "grep").write_text(f"#!/bin/sh\n{shutil.which('grep')} \"$@\" | head -c 70\n"
                                  "kill -9 $$\n", encoding="utf-8")
    (bin_dir / "grep").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.path.dirname(shutil.which('head'))}")
    if refused:
        with pytest.raises(ConfigError, match="data.nt: a literal with a base direction in"):
            prepare_store(tmp_path / "stores", data_files=[data])
        return
    built, reference = _build(tmp_path, [data], caplog)
    assert any("facets read from the store: the input's search failed (-9)" in r.getMessage()
               for r in caplog.records)
    assert facet_tables(built) == facet_tables(reference)


def test_a_json_ld_named_graph_is_left_out_and_judged(tmp_path, caplog):
    """JSON-LD holds named graphs as N-Quads and TriG do: the default graph is read from
    the input (it was refused as "not valid RDF"), and every graph judged."""
    data, graph = tmp_path / "data.nt", tmp_path / "g.jsonld"
    data.write_text("".join(_lines(tmp_path)), encoding="utf-8")

    def named_graph(value: object) -> str:
        return json.dumps({"@id": "http://example.org/g",
                           "@graph": [{"@id": MIR21, MENTIONS: value}]})

    graph.write_text(named_graph("in a named graph"), encoding="utf-8")
    built, reference = _build(tmp_path, [data, graph], caplog)
    assert any(FROM_INPUT in r.getMessage() for r in caplog.records)
    assert facet_tables(built) == facet_tables(reference)
    graph.write_text(named_graph({"@value": "x", "@language": "ar", "@direction": "rtl"}),
                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r'g.jsonld: a base direction \("@direction", line 1\)'):
        prepare_store(tmp_path / "stores2", data_files=[data, graph])
