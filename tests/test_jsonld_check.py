"""kg/jsonld_check.py: a JSON-LD input from which JSON-LD would drop terms or relative
IRIs, or that is no JSON-LD document, is refused naming the file, the terms and their
lines; a document that maps all it holds loads whole."""

from __future__ import annotations

import json
import re

import pytest
from exokg.cli import main
from exokg.errors import ConfigError
from exokg.jsonld_check import check_jsonld

LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
MIR = "https://w3id.org/exokg/id/content/x"


def _write(tmp_path, doc, name="in.jsonld"):
    path = tmp_path / name
    path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc, indent=1).encode())
    return path


@pytest.mark.parametrize(("doc", "words"), [
    # a key the context does not map, and a @type it cannot expand: both dropped
    ({"@context": {"label": LABEL}, "@id": MIR, "label": "X", "sampleSize": 12},
     "JSON-LD would drop 1 statement: the term 'sampleSize' (line 7) maps to no IRI"),
    # the line is the key's, not that of the same word as a value before it
    ({"@context": {"label": LABEL}, "@id": MIR, "label": "sampleSize", "sampleSize": 12},
     "the term 'sampleSize' (line 7)"),
    ({"@id": MIR, "@type": "MicroRNA", LABEL: "X"}, "the term 'MicroRNA' (line 3)"),
    # a relative @id, with no base to resolve it against
    ({"@id": "content/x", LABEL: "X"}, "the relative IRI 'content/x' (line 2) resolves"),
    (b'"hello"', "a JSON-LD document is a JSON object or an array"),
    (b" " * 70_000 + b'"hello"', "a JSON-LD document is a JSON object or an array"),
    (b"\xef\xbb\xbf 12", "a JSON-LD document is a JSON object or an array"),
    # nothing is fetched on a file's behalf
    ({"@context": "http://schema.org/", "name": "x"}, "does not fetch"),
    # a context that resets the marks (at any depth, in an array too) hides nothing:
    # each passed, the statement dropped without a word
    ([{"@id": MIR, LABEL: "X"}, {"@context": {"@base": None}, "@id": "rel", LABEL: "Z"}],
     "JSON-LD would drop 1 statement: the relative IRI 'rel' (line 10) resolves"),
    ({"@context": {"@base": None}, "@id": MIR, "http://www.w3.org/2000/01/rdf-schema#seeAlso":
      {"@id": "rel"}}, "the relative IRI 'rel' (line 7) resolves"),
    ({"@context": {"@vocab": "https://example.org/"}, "@id": MIR,
      "part": {"@context": None, "@id": MIR + "/p", "sampleSize": 3}},
     "the term 'sampleSize' (line 9) maps to no IRI"),
    ({"@context": {"@vocab": "https://example.org/"}, "@id": MIR,
      "part": {"@context": [{"@vocab": None}], "@id": MIR + "/p", "sampleSize": 3}},
     "the term 'sampleSize' (line 13) maps to no IRI"),
    # a base direction (RDF 1.2): without a language JSON-LD dropped it without a word
    ({"@id": MIR, LABEL: {"@value": "X", "@direction": "rtl"}},
     'a base direction ("@direction", line 5); ExoKG reads RDF 1.1 data'),
    ({"@context": {"@direction": "ltr"}, "@id": MIR, LABEL: "X"}, "line 3"),
    # past the first chunk read, and across two chunks, in a file of one line
    (b'[{"@id": "' + MIR.encode() + b'", "' + LABEL.encode() + b'": "' + b"x" * 70_000
     + b'"}, {"@id": "' + MIR.encode() + b'", "' + LABEL.encode()
     + b'": {"@value": "y", "@direction": "rtl"}}]', '("@direction", line 1)'),
    (b"\n" * 3 + b" " * (65_536 - 10) + b'[{"@direction"  :  "rtl"}]', "line 4"),
    # the reset rewritten in the bytes, nothing else: repeated keys and numbers past a
    # double's range are read as the load reads them (a JSON round trip hid this drop)
    (b'{"@context": {"@base": null, "label": "' + LABEL.encode() + b'"}, "@id": "' + MIR.encode()
     + b'", "label": "A", "label": "B", "n": 1e400, "sampleSize": 12}',
     "the terms 'n' (line 1), 'sampleSize' (line 1) map to no IRI"),
])
def test_what_json_ld_would_drop_is_refused(tmp_path, doc, words):
    path = _write(tmp_path, doc)
    with pytest.raises(ConfigError, match=re.escape(words)) as err:
        check_jsonld(path)
    assert str(path) in str(err.value)


def test_many_terms_are_counted_not_listed(tmp_path):
    doc = {"@id": MIR, **{f"k{i}": i for i in range(8)}}
    with pytest.raises(ConfigError, match=r"'k4' \(line 7\) and 3 more map"):
        check_jsonld(_write(tmp_path, doc))


@pytest.mark.parametrize("doc", [
    {"@context": {"@vocab": "https://example.org/"}, "@id": MIR, "sampleSize": 12},
    {"@context": {"@base": "https://w3id.org/exokg/id/"}, "@id": "content/x", LABEL: "X"},
    [{"@id": MIR, LABEL: {"@value": "X", "@language": "en"}}],
    {"@context": {"label": LABEL}, "@graph": [{"@id": MIR, "label": "X"}]},
    {}, [],
    # read whole, though the marked reading marks them: a @type, a @vocab-coerced value and
    # @vocab itself resolved against the file's own @base
    {"@context": {"@base": "https://example.org/"}, "@id": MIR, "@type": "T"},
    {"@context": {"@base": "https://example.org/",
                  "p": {"@id": "https://example.org/p", "@type": "@vocab"}},
     "@id": MIR, "p": "Thing"},
    {"@context": {"@base": "https://example.org/doc", "@vocab": "#"}, "@id": MIR, "p": 1},
    # a reset that drops nothing; a null value (no statement, in either reading); no
    # direction
    {"@context": {"@base": None, "@vocab": "https://example.org/", "@direction": None},
     "@id": MIR, "p": None, "q": "\"@direction\": \"rtl\""},
])
def test_a_document_that_maps_all_it_holds_passes(tmp_path, doc):
    check_jsonld(_write(tmp_path, doc))


def test_exokgs_own_json_ld_passes_and_loads(tmp_path, capsys):
    """The export's JSON-LD is read back whole (no false alarm on ExoKG's own context)."""
    out = tmp_path / "review.jsonld"
    assert main(["export", "--format", "jsonld", "--out", str(out)]) == 0
    check_jsonld(out)
    capsys.readouterr()
    assert main(["validate", "--data", str(out)]) == 0


def test_every_command_refuses_the_file_before_building(tmp_path, capsys):
    path = _write(tmp_path, {"@context": {"label": LABEL}, "@id": MIR, "label": "X",
                             "sampleSize": 12})
    store = tmp_path / "store"
    for args in (["validate", "--data", str(path)],
                 ["query", "--data", str(path), "--store", str(store), "ASK {}"]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f"{path}: not valid JSON-LD for ExoKG: JSON-LD would drop 1 statement: " \
            "the term 'sampleSize'" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not store.exists() or not any(store.rglob("meta.json"))
