"""exokg.store: build once, reuse while the data is unchanged, serve any RDF files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import exokg.build
import exokg.store_dir
import exokg.store_layout
import pytest
from exokg.errors import ConfigError
from exokg.resources import data_path
from exokg.store import ARTIFACT_BUILDERS, open_graph, open_store, prepare_store, register_artifact
from exokg.store_dir import in_use, prune_versions
from exokg.store_layout import StoreDamaged, open_store_info

NT = b'<http://ex/a> <http://ex/p> "1" .\n<http://ex/b> <http://ex/p> "2" .\n'


def test_bundled_store_is_reused(tmp_path):
    info = prepare_store(tmp_path)
    assert not info.reused and info.triples > 3000
    again = prepare_store(tmp_path)
    assert again.reused and again.version == info.version and again.path == info.path
    stats = again.stats
    assert dict(stats["classes"])["https://w3id.org/exokg/vocab#Finding"] == 66
    assert sum(n for _, n in stats["properties"]) == info.triples


def test_data_files_and_versions(tmp_path):
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    first = prepare_store(tmp_path / "s", data_files=[data])
    assert first.triples == 2
    data.write_bytes(NT + b'<http://ex/c> <http://ex/p> "3" .\n')
    changed = prepare_store(tmp_path / "s", data_files=[data])
    assert changed.version != first.version and changed.triples == 3 and not changed.reused


@pytest.mark.parametrize("name,text", [
    ("d.ttl", '@prefix ex: <http://ex/> . ex:a ex:p "1" .'),
    ("d.trig", '@prefix ex: <http://ex/> . ex:g { ex:a ex:p "1" . }'),
    ("d.nq", '<http://ex/a> <http://ex/p> "1" <http://ex/g> .'),
    ("d.jsonld", '{"@id": "http://ex/a", "http://ex/p": "1"}'),
])
def test_formats(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    info = prepare_store(tmp_path / "s", data_files=[path])
    assert info.triples == 1
    if name.endswith(("trig", "nq")):
        assert info.stats["graphs"] == ["http://ex/g"]
    assert len(open_store(info.path)) == 1


def test_bad_data(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        prepare_store(tmp_path, data_files=[tmp_path / "missing.ttl"])
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle")
    with pytest.raises(ConfigError, match="not valid RDF"):
        prepare_store(tmp_path / "s", data_files=[bad])
    odd = tmp_path / "x.docx"
    odd.write_text("")
    with pytest.raises(ConfigError, match="unknown RDF file suffix"):
        prepare_store(tmp_path / "s", data_files=[odd])


def test_rdflib_view(tmp_path):
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    g = open_graph(prepare_store(tmp_path / "s", data_files=[data]).path)
    assert len(g) == 2
    assert {str(o) for o in g.objects()} == {"1", "2"}


# --- found by the inputs' hash, checked, rebuilt; leftovers and old versions --------------

_TABLE5 = ("row\tcargos\tsource_of_exosomes\tanimal_model\tclinical_sample\tfunctions\tref\n"
           "1\tExosomes\tDCs-exosomes\tY\tN\t{}\t[70]\n")


def _no_graph_build(*args, **kwargs):
    raise AssertionError("the graph was built although its store exists")


def test_found_by_inputs_without_building_the_graph(tmp_path, monkeypatch):
    records = tmp_path / "mine"
    records.mkdir()
    (records / "table5.tsv").write_text(_TABLE5.format("Shrinks tumours"), encoding="utf-8")
    bundled = prepare_store(tmp_path / "s")
    mine = prepare_store(tmp_path / "s", records_dirs=[records])
    assert mine.version != bundled.version and mine.triples > bundled.triples
    monkeypatch.setattr(exokg.build, "build_graph", _no_graph_build)
    assert prepare_store(tmp_path / "s").reused
    assert prepare_store(tmp_path / "s", records_dirs=[records]).version == mine.version
    monkeypatch.undo()
    (records / "table5.tsv").write_text(_TABLE5.format("Slows tumours"), encoding="utf-8")
    edited = prepare_store(tmp_path / "s", records_dirs=[records])
    assert not edited.reused and edited.version not in (mine.version, bundled.version)


def test_layout_one_folder_per_version(tmp_path):
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    info = prepare_store(tmp_path / "s", data_files=[data])
    folder = Path(info.folder)
    assert folder == tmp_path / "s" / info.version and Path(info.path) == folder / "oxigraph"
    assert (folder / "meta.json").is_file()
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [".lock", info.version]
    assert open_store_info(info.path).triples == open_store_info(folder).triples == 2


def test_damaged_store_is_rebuilt_or_refused(tmp_path, monkeypatch):
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    info = prepare_store(tmp_path / "s", data_files=[data])
    # opened again by a later process: the one that built it counts it as checked
    monkeypatch.setattr(exokg.store_layout, "_CHECKED", set())
    (Path(info.path) / "CURRENT").unlink()
    with pytest.raises(StoreDamaged, match=f"store {info.folder}: the Oxigraph store is damaged"):
        open_store_info(info.folder)
    again = prepare_store(tmp_path / "s", data_files=[data])
    assert not again.reused and again.triples == 2 and len(open_store(again.path)) == 2
    monkeypatch.setattr(exokg.store_layout, "_CHECKED", set())
    meta = Path(info.folder) / "meta.json"
    meta.write_text(meta.read_text().replace('"triples": 2', '"triples": 3', 1))
    with pytest.raises(StoreDamaged, match="holds 2 triples, meta.json says 3"):
        open_store_info(info.folder)


@pytest.mark.parametrize("cut", ["emptied", "truncated", "removed"])
def test_an_artifact_file_damaged_between_runs_is_rebuilt(tmp_path, monkeypatch, cut):
    """A search index emptied or a facets file cut short (a crash, a full disk) was served
    as it was: pages answered 500 and /healthz 200; an emptied adjacency file answered
    every neighbourhood with its centre alone."""
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    info = prepare_store(tmp_path / "s", data_files=[data])
    sizes = info.artifact_sizes
    assert sizes and all(size == (Path(info.folder) / "artifacts" / name).stat().st_size
                         for name, size in sizes.items())
    name = max(sizes, key=lambda n: sizes[n])  # the largest file (an SQLite database)
    path = Path(info.folder) / "artifacts" / name
    if cut == "removed":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:0 if cut == "emptied" else sizes[name] // 2])
    monkeypatch.setattr(exokg.store_layout, "_CHECKED", set())  # a later process
    with pytest.raises(StoreDamaged, match=f"the artifact file {name} "):
        open_store_info(info.folder)
    again = prepare_store(tmp_path / "s", data_files=[data])
    assert not again.reused and set(again.artifact_sizes) == set(sizes)
    monkeypatch.setattr(exokg.store_layout, "_CHECKED", set())
    assert open_store_info(again.folder).artifact_sizes == again.artifact_sizes


def _version(tmp_path: Path, n: int) -> Path:
    data = tmp_path / f"d{n}.nt"
    data.write_bytes(b'<http://ex/a> <http://ex/p> "%d" .\n' % n)
    return Path(prepare_store(tmp_path / "s", data_files=[data]).folder)


def test_old_versions_removed_but_not_one_in_use(tmp_path, monkeypatch):
    monkeypatch.setattr(exokg.store_dir, "_HELD", {})

    def release() -> None:  # as if each version had been opened by a process now gone
        for fh in exokg.store_dir._HELD.values():
            fh.close()
        exokg.store_dir._HELD.clear()

    first = _version(tmp_path, 0)
    release()
    holder = subprocess.Popen(  # another process, still serving the oldest version
        [sys.executable, "-c", "import sys, exokg.store_dir as d; d.hold_in_use(sys.argv[1]); "
         "print('held', flush=True); sys.stdin.read()", str(first)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        assert in_use(first)
        folders = []
        for n in range(1, 6):
            folders.append(_version(tmp_path, n))
            release()
        assert first.is_dir()
        assert [f.is_dir() for f in folders] == [False, False, True, True, True]
    finally:
        holder.communicate("")
    assert not in_use(first)
    prune_versions(tmp_path / "s", keep=1)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [".lock", folders[-1].name]


def test_leftover_build_folder_is_removed(tmp_path):
    left = tmp_path / "s" / ".building-0123456789abcdef-1"
    (left / "oxigraph").mkdir(parents=True)
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    prepare_store(tmp_path / "s", data_files=[data])
    assert not left.exists()


def test_artifacts_are_built_with_the_store(tmp_path, monkeypatch):
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    plain = prepare_store(tmp_path / "s", data_files=[data])
    monkeypatch.setattr("exokg.store.ARTIFACT_BUILDERS", dict(ARTIFACT_BUILDERS))

    def count(store, folder: Path) -> None:
        (folder / "count.txt").write_text(str(len(store)))

    register_artifact("counts", count)
    info = prepare_store(tmp_path / "s", data_files=[data])
    assert info.version != plain.version
    assert info.artifacts == sorted([*ARTIFACT_BUILDERS, "counts"])  # the built-in ones too
    assert (info.artifact_dir("counts") / "count.txt").read_text() == "2"
    assert open_store_info(info.folder).artifact_dir("counts") == info.artifact_dir("counts")

    def broken(store, folder: Path) -> None:
        raise ValueError("no metrics today")

    register_artifact("metrics", broken)
    with pytest.raises(ValueError, match="no metrics today"):
        prepare_store(tmp_path / "s", data_files=[data])
    assert not list((tmp_path / "s").glob(".building-*"))
    with pytest.raises(ConfigError, match="lower-case"):
        register_artifact("Metrics!", broken)


@pytest.mark.parametrize("kind", ["data", "records"])
def test_an_input_changed_while_its_store_is_built_is_refused(tmp_path, monkeypatch, kind):
    """The version was hashed from the inputs at the start and the build read them again
    later: a file rewritten between the two left a store holding one graph under another's
    version, reused from then on. The build cannot tell when it read a file, so a change
    at any moment of it refuses the store; a file only touched does not."""
    records = tmp_path / "records"
    records.mkdir()
    table = records / "table4.tsv"
    table.write_bytes((data_path() / "records" / "table4.tsv").read_bytes())
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    changed = data if kind == "data" else table
    monkeypatch.setattr("exokg.store.ARTIFACT_BUILDERS", dict(ARTIFACT_BUILDERS))
    edit = {"how": "touch"}

    def meanwhile(store, folder: Path) -> None:  # a curator's editor, during the build
        if edit["how"] == "touch":
            os.utime(changed, ns=(1, 1))
            os.chmod(changed, 0o600)
        else:
            changed.write_bytes(changed.read_bytes() + b"\n")

    register_artifact("zz-meanwhile", meanwhile)
    inputs = {"data_files": [data]} if kind == "data" else {"records_dirs": [records]}
    kept = prepare_store(tmp_path / "s", **inputs)  # touched, not changed: kept
    assert (tmp_path / "s" / kept.version).is_dir()
    edit["how"] = "rewrite"
    with pytest.raises(ConfigError, match=f"{changed}: changed while the store was built"):
        prepare_store(tmp_path / "s2", **inputs)
    assert not [p for p in (tmp_path / "s2").iterdir() if not p.name.startswith(".")]


def test_store_is_built_in_another_process(tmp_path, monkeypatch):
    """The serving process never holds the build's memory (its workers fork from it)."""
    data = tmp_path / "a.nt"
    data.write_bytes(NT)
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # the build process imports it
    monkeypatch.setattr("exokg.store.ARTIFACT_BUILDERS", dict(ARTIFACT_BUILDERS))
    register_artifact("pid", "probe_builders:write_pid")
    info = prepare_store(tmp_path / "s", data_files=[data])
    pid, triples = (info.artifact_dir("pid") / "pid").read_text().split()
    assert int(pid) != os.getpid() and int(triples) == 2


def test_statistics_name_the_properties_with_a_literal_object():
    """``literal_properties``: each property with a literal object in any graph, once,
    however few; what the graph queries read a node's attributes by."""
    import pyoxigraph as ox
    from exokg.store import dataset_stats

    store = ox.Store()
    store.load(b"""
        <urn:a> <urn:lit> "x" ; <urn:iri> <urn:b> ; <urn:both> <urn:c> .
        <urn:b> <urn:both> "y"@en .
        <urn:g> { <urn:c> <urn:named> 1 . }""", format=ox.RdfFormat.TRIG)
    stats = dataset_stats(store)
    assert stats["literal_properties"] == ["urn:both", "urn:lit", "urn:named"]
    assert dict(stats["properties"]) == {"urn:lit": 1, "urn:iri": 1, "urn:both": 2,
                                         "urn:named": 1}


def test_a_loaded_copy_is_made_and_the_store_built_as_without_it(tmp_path):
    """``loaded_copy``: a copy of the loaded store, not complete, beside a build whose
    store and artifacts are those of a build without it (the builders that start from
    the input files then only serialise it beside the load, and sort and read it once
    loaded)."""
    from exokg.build_format import build_digests
    from exokg.store import bundled_ntriples

    data = tmp_path / "review.nt"
    data.write_bytes(bundled_ntriples([]))
    plain = prepare_store(tmp_path / "plain", data_files=[data])
    (tmp_path / "served").mkdir()
    copy = tmp_path / "served" / ".early-test"
    built = prepare_store(tmp_path / "served", data_files=[data], loaded_copy=copy,
                          early_triples=1)
    early = open_store_info(copy)
    assert not early.complete and early.artifacts == []
    assert early.version == f"{built.version}-early" and built.version == plain.version
    assert early.triples == len(open_store(early.path)) < built.triples
    assert built.complete and built.stats == plain.stats
    assert build_digests(built.folder) == build_digests(plain.folder)  # store, artifacts
    with pytest.raises(ConfigError, match="a loaded copy goes in"):
        prepare_store(tmp_path / "other", data_files=[data], loaded_copy=tmp_path / "x")


def test_data_in_named_graphs_is_said_at_build(tmp_path, caplog):
    """TriG whose triples were all in a named graph served an empty site, silently."""
    import logging

    from exokg.store import prepare_store

    data = tmp_path / "named.trig"
    data.write_text('<http://g/1> { <http://e/a> <http://e/p> "x" . <http://e/a> <http://e/q> '
                    '"y" . }\n<http://e/b> <http://e/p> "z" .\n')
    with caplog.at_level(logging.WARNING, logger="exokg.store"):
        prepare_store(tmp_path / "store", data_files=[data])
    said = [r.getMessage() for r in caplog.records if "named graphs" in r.getMessage()]
    assert said == ["2 of the data's triples are in named graphs: SPARQL reads them with "
                    "GRAPH or FROM, but the pages, search, graph queries and exports read "
                    "the default graph only"]
    caplog.clear()
    plain = tmp_path / "plain.nt"
    plain.write_text('<http://e/b> <http://e/p> "z" .\n')
    with caplog.at_level(logging.WARNING, logger="exokg.store"):
        prepare_store(tmp_path / "store2", data_files=[plain])
    assert not [r for r in caplog.records if "named graphs" in r.getMessage()]


def test_an_exokg_metrics_graph_in_the_data_is_computed_again(tmp_path, caplog):
    """An N-Quads export of a store, given back as data, held the old metrics: they sat
    beside the new ones (two PageRank values for a node)."""
    import logging

    import pyoxigraph as ox
    from exokg.store import prepare_store

    data = tmp_path / "again.nq"
    data.write_text(
        '<http://e/a> <http://e/p> <http://e/b> .\n'
        '<http://e/a> <https://w3id.org/exokg/vocab#pageRank> '
        '"9.5"^^<http://www.w3.org/2001/XMLSchema#double> '
        '<https://w3id.org/exokg/graph/metrics> .\n')
    with caplog.at_level(logging.WARNING, logger="exokg.store"):
        info = prepare_store(tmp_path / "store", data_files=[data])
    assert any("was dropped: the build computes the metrics again" in r.getMessage()
               for r in caplog.records)
    store = ox.Store.read_only(info.path)
    ranks = [q.object.value for q in store.quads_for_pattern(
        ox.NamedNode("http://e/a"), ox.NamedNode("https://w3id.org/exokg/vocab#pageRank"),
        None, None)]
    assert "9.5" not in ranks
