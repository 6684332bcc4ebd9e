"""exokg.store: build once, reuse while the data is unchanged, serve any RDF files."""

from __future__ import annotations

import pytest
from exokg.errors import ConfigError
from exokg.store import open_graph, open_store, prepare_store

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
