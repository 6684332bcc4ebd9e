"""Every graph format of the registry, opened by a real reader.

networkx and igraph read GraphML, networkx reads GEXF (igraph has no GEXF reader),
rdflib parses every RDF syntax back to an isomorphic graph, Graphviz renders the DOT,
the Cytoscape.js JSON and CX2 are checked against their documented structure (and read
by networkx and by ndex2's CX2 reader), the KGX tables load with pandas and use only
Biolink Model categories and predicates.
"""

from __future__ import annotations

import ast
import functools
import importlib.resources
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import igraph as ig
import networkx as nx
import pandas as pd
import pytest
import yaml
from exokg.algorithms import k_shortest_paths, neighborhood, paths_graph
from exokg.errors import FormatClash, UnknownFormat
from exokg.formats import GRAPH_KINDS, Format, format_names, formats, get_format, register
from exokg.io import download_name, export, graph_format_names
from exokg.io.tabular import BIOLINK_CATEGORY, BIOLINK_PREDICATE, kgx_tables
from exokg.network import project, to_rdf
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

GRAPH_FORMATS = graph_format_names()
NETWORK = format_names("network")
RDF_FORMATS = format_names("rdf")
KG = Path(__file__).resolve().parent.parent / "kg"


@pytest.fixture(scope="module")
def small(G) -> nx.MultiDiGraph:
    return neighborhood(G, "miR-21", depth=2)


def _edges(H) -> set[tuple[str, str, str]]:
    return {(str(u), str(v), str(d.get("predicate", k)))
            for u, v, k, d in H.edges(keys=True, data=True)}


def test_registry_lists_every_issue_format():
    assert {"graphml", "gexf", "cytoscape", "cx2", "dot", "svg", "jsonld", "turtle",
            "ntriples", "kgx", "csv"} <= set(GRAPH_FORMATS)
    for name in NETWORK:
        fmt = get_format(name, "network")
        assert fmt.writer_path.startswith("exokg.io.") and fmt.media_type and fmt.extension
    assert get_format("yed", "network").name == "graphml"
    assert get_format("text/vnd.graphviz", kinds=GRAPH_KINDS).name == "dot"


def test_one_name_in_two_kinds_is_two_formats():
    """csv is the edge list among graph files and SPARQL CSV among result formats."""
    edges, table = get_format("csv", "network"), get_format("csv", "results")
    assert (edges.name, table.name) == ("csv", "sparql-csv")
    assert get_format("text/csv", "results") is table
    assert get_format("text/csv", "network") is edges
    assert get_format("csv", kinds=GRAPH_KINDS) is edges  # exokg export --format csv
    with pytest.raises(UnknownFormat, match="known results formats: sparql-csv, sparql-json"):
        get_format("graphml", "results")
    with pytest.raises(TypeError):
        get_format("csv")  # a lookup names its kind


def test_register_refuses_a_clash():
    taken = get_format("graphml", "network")
    clash = Format("graphml", "network", "application/x-other", "other", "exokg.io.gexf:to_gexf")
    with pytest.raises(FormatClash, match="'graphml' is already network format 'graphml'"):
        register(clash)
    alias_clash = Format("new-net", "network", "application/x-new", "new", None, ("yed",))
    with pytest.raises(FormatClash, match="'yed'"):
        register(alias_clash)
    assert get_format("graphml", "network") is taken
    with pytest.raises(UnknownFormat):
        get_format("new-net", "network")  # a refused registration leaves nothing behind
    assert register(taken) is taken  # the same format again is no clash
    assert formats("network").count(taken) == 1


def test_writers_load_on_first_use_and_no_import_cycle():
    """The registry names its writers; it imports none of exokg.io (rdflib's Plugin)."""
    code = ("import sys, exokg.formats as f; assert not any(m.startswith('exokg.io') "
            "for m in sys.modules), sorted(sys.modules); "
            "w = f.get_format('gexf', 'network').writer; "
            "assert 'exokg.io.gexf' in sys.modules and w.__name__ == 'to_gexf'")
    subprocess.run([sys.executable, "-c", code], check=True)
    imported = {node.module for node in ast.walk(ast.parse((KG / "formats.py").read_text()))
                if isinstance(node, ast.ImportFrom)}
    assert not {m for m in imported if m and m.startswith("exokg.io")}
    for path in (KG / "io").glob("[!_]*.py"):
        tree = ast.parse(path.read_text())
        assert "exokg.formats" not in {n.module for n in ast.walk(tree)
                                       if isinstance(n, ast.ImportFrom)}, path


@pytest.mark.parametrize("name", GRAPH_FORMATS)
def test_every_format_writes_every_kind_of_result(name, graph, G, small):
    paths = paths_graph(G, k_shortest_paths(G, "miR-122", "miR-21", k=3))
    construct = graph.query("""
        PREFIX exo: <https://w3id.org/exokg/vocab#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        CONSTRUCT { ?c exo:upregulatedIn ?d ; a ?t ; rdfs:label ?l }
        WHERE { ?c exo:upregulatedIn ?d ; a ?t ; rdfs:label ?l }""").graph
    for obj in (small, paths, construct):
        data = export(obj, name)
        assert isinstance(data, bytes) and data
    assert download_name("miR-21", name).endswith(
        "." + get_format(name, kinds=GRAPH_KINDS).extension)


def test_unknown_and_non_graph_formats(small):
    with pytest.raises(UnknownFormat):
        export(small, "pdf")
    with pytest.raises(UnknownFormat):
        export(small, "sparql-json")


# ------------------------------------------------------------------ RDF syntaxes

@pytest.mark.parametrize("name", RDF_FORMATS)
def test_rdf_formats_parse_back_isomorphic(name, graph, small):
    fmt = get_format(name, "rdf")
    for source in (graph, to_rdf(small)):
        data = export(source, name)
        if name in ("nquads", "trig"):
            back = Graph()
            for triple in Dataset().parse(data=data, format=name).triples((None, None, None)):
                back.add(triple)
        else:
            back = Graph().parse(data=data, format=fmt.media_type)
        assert isomorphic(back, source)


# ------------------------------------------------------------------ GraphML, GEXF

def _check_attributes(back: nx.Graph, H: nx.MultiDiGraph) -> None:
    for node, data in H.nodes(data=True):
        got = back.nodes[node]
        for name in ("label", "curie", "class", "kind"):
            assert got[name] == data[name]
        if "refNumber" in data:
            assert got["refNumber"] == data["refNumber"] and isinstance(got["refNumber"], int)
        if "alt_labels" in data:
            assert got["alt_labels"].split("|") == list(data["alt_labels"])


@pytest.mark.parametrize("which", ["whole", "neighborhood"])
def test_graphml_read_by_networkx_and_igraph(which, G, small, tmp_path):
    H = G if which == "whole" else small
    path = tmp_path / "g.graphml"
    path.write_bytes(export(H, "graphml"))
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(H.nodes)
    assert _edges(back) == _edges(H)
    _check_attributes(back, H)
    ing = ig.Graph.Read_GraphML(str(path))
    assert ing.vcount() == H.number_of_nodes() and ing.ecount() == H.number_of_edges()
    assert set(ing.vs["id"]) == set(H.nodes)
    assert sorted(ing.vs["label"]) == sorted(d["label"] for _, d in H.nodes(data=True))
    assert set(ing.es["predicate"]) == {p for *_, p in _edges(H)}
    assert b"<y:NodeLabel>miR-21</y:NodeLabel>" in path.read_bytes()  # yEd's label


@pytest.mark.parametrize("which", ["whole", "neighborhood"])
def test_gexf_read_by_networkx(which, G, small, tmp_path):
    H = G if which == "whole" else small
    path = tmp_path / "g.gexf"
    path.write_bytes(export(H, "gexf"))
    back = nx.read_gexf(path)
    assert set(back.nodes) == set(H.nodes)
    assert _edges(back) == _edges(H)
    _check_attributes(back, H)
    converted = ig.Graph.from_networkx(back)  # igraph has no GEXF reader of its own
    assert converted.vcount() == H.number_of_nodes()


def test_writers_survive_rdf_values_none_lists_and_mixed_types(tmp_path):
    H = nx.MultiDiGraph()
    H.add_node("https://x.org/a", label=Literal("a"), ref=URIRef("https://x.org/r"),
               n=Literal(3), gone=None, names=["x", "y"], mixed=1, flag=True, score=0.5)
    H.add_node("https://x.org/b", label="b", mixed="one", flag=False, score=2)
    H.add_edge("https://x.org/a", "https://x.org/b", key="exo:p", predicate="exo:p",
               weight=None)
    for name in ("graphml", "gexf"):
        path = tmp_path / f"x.{name}"
        path.write_bytes(export(H, name))
        back = (nx.read_graphml if name == "graphml" else nx.read_gexf)(path)
        a, b = back.nodes["https://x.org/a"], back.nodes["https://x.org/b"]
        assert (a["label"], a["ref"], a["n"], a["names"]) == ("a", "https://x.org/r", 3, "x|y")
        assert (a["mixed"], b["mixed"]) == ("1", "one")
        assert (a["flag"], b["flag"]) == (True, False)
        assert (a["score"], b["score"]) == (0.5, 2.0)
        assert "gone" not in a
    for name in NETWORK:
        assert export(H, name)


# ------------------------------------------------------------------ Graphviz

def test_dot_renders_with_graphviz(small):
    dot = shutil.which("dot")
    assert dot, "Graphviz 'dot' must be installed (apt-get install graphviz)"
    done = subprocess.run([dot, "-Tsvg"], input=export(small, "dot"), capture_output=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert ElementTree.fromstring(done.stdout).tag.endswith("svg")


def _slow_dot(tmp_path) -> str:
    """A stand-in for ``dot`` that reads its input and then takes a minute."""
    script = tmp_path / "dot"
    script.write_text(f"#!{sys.executable}\nimport sys, time\nsys.stdin.read()\n"
                      "time.sleep(60)\n")
    script.chmod(0o755)
    return str(script)


def test_svg_stops_when_the_client_hangs_up(small, tmp_path):
    """Graphviz ran on for its own 120 s after the request's client had gone."""
    import threading
    import time

    from exokg.errors import QueryCancelled
    from exokg.io.graphviz import to_svg
    from exokg.sparql.cancel import CancelToken, use_token

    token = CancelToken()
    use_token(token)
    try:
        threading.Timer(0.5, token.cancel).start()
        started = time.monotonic()
        with pytest.raises(QueryCancelled):
            to_svg(small, dot=_slow_dot(tmp_path))
        assert time.monotonic() - started < 30  # not the minute the program takes
    finally:
        use_token(None)
        token.close()


def test_svg_stops_at_its_time_limit(small, tmp_path, monkeypatch):
    from exokg.errors import ExoKGError
    from exokg.io.graphviz import to_svg

    monkeypatch.setattr("exokg.io.graphviz._TIMEOUT_S", 0.5)
    with pytest.raises(ExoKGError, match="Graphviz took over 0.5 s"):
        to_svg(small, dot=_slow_dot(tmp_path))


def test_svg_is_drawn_when_graphviz_starts_slowly_on_a_large_input(tmp_path):
    """A loaded machine started Graphviz after the first quarter-second poll: the rest of a
    DOT larger than a pipe's buffer was never written, and the drawing waited out its 30 s
    (the whole review's graph once in CI)."""
    import time

    from exokg.io.graphviz import to_dot, to_svg

    G = nx.MultiDiGraph()
    for i in range(600):  # about 90 KB of DOT, past a pipe's 64 KiB
        G.add_node(f"https://x.org/n{i}", label="node " * 8, kind="Disease")
        G.add_edge(f"https://x.org/n{i}", f"https://x.org/n{(i + 1) % 600}",
                   key="https://x.org/p", predicate="https://x.org/p")
    assert len(to_dot(G)) > 65536
    script = tmp_path / "dot"
    script.write_text(f"#!/bin/sh\nsleep 0.6\nexec {shutil.which('dot')} \"$@\"\n")
    script.chmod(0o755)
    started = time.monotonic()
    root = ElementTree.fromstring(to_svg(G, dot=str(script)))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert time.monotonic() - started < 25  # not the time limit's 30 s


def test_a_label_past_graphviz_s_string_limit_is_whole_in_dot_and_cut_in_svg():
    """A user's record may hold a 1 MiB name: Graphviz refused its DOT ("longer than
    16384?"), and the SVG was a 500 (also for a page's drawing)."""
    G = nx.MultiDiGraph()
    label = 'a"b\\c\nd' * 3000 + "\u00e9" * 20000  # 41,000 characters, 61 KB of UTF-8
    G.add_node("https://x.org/big", label=label, kind="Protein")
    G.add_node("https://x.org/b", label="b", kind="Disease")
    G.add_edge("https://x.org/big", "https://x.org/b", key="https://x.org/p",
               predicate="https://x.org/p")
    done = subprocess.run([shutil.which("dot") or "dot", "-Tjson"], input=export(G, "dot"),
                          capture_output=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr[:300]
    drawn = {o["name"]: o["label"] for o in json.loads(done.stdout)["objects"]}
    # Graphviz keeps its own escapes (a backslash, a line break) in the label it read
    assert drawn["https://x.org/big"] == label.replace("\\", "\\\\").replace("\n", "\\n")
    root = ElementTree.fromstring(export(G, "svg"))
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.endswith("\u2026 (41,000 characters)") for t in texts), texts


def test_svg_above_its_cap_is_422_as_the_whole_graph_s(monkeypatch):
    """A graph past SVG's node cap is the drawing's limit (422, the whole graph's status),
    not a bad request (it was a 400)."""
    from exokg.errors import TooLargeToDraw
    from exokg.io.graphviz import SVG_MAX_NODES

    G = nx.MultiDiGraph()
    G.add_nodes_from(f"https://x.org/{i}" for i in range(SVG_MAX_NODES + 1))
    with pytest.raises(TooLargeToDraw, match=f"at most {SVG_MAX_NODES} nodes") as err:
        export(G, "svg")
    assert err.value.status == 422


def test_svg_is_svg_with_every_node(small):
    root = ElementTree.fromstring(export(small, "svg"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = {t.text for t in root.iter("{http://www.w3.org/2000/svg}title")}
    assert set(small.nodes) <= titles


# ------------------------------------------------------------------ Cytoscape, CX2

def test_cytoscape_json_structure(small):
    doc = json.loads(export(small, "cytoscape"))
    nodes, edges = doc["elements"]["nodes"], doc["elements"]["edges"]
    ids = [n["data"]["id"] for n in nodes]
    assert len(ids) == len(set(ids)) == small.number_of_nodes()
    assert all(isinstance(i, str) for i in ids)
    edge_ids = [e["data"]["id"] for e in edges]
    assert len(edge_ids) == len(set(edge_ids)) == small.number_of_edges()
    assert not set(ids) & set(edge_ids)
    for e in edges:
        assert e["data"]["source"] in ids and e["data"]["target"] in ids
    assert all(n["group"] == "nodes" for n in nodes)
    assert all(set(s) == {"selector", "style"} and isinstance(s["style"], dict)
               for s in doc["style"])
    back = nx.cytoscape_graph(doc)
    assert set(back.nodes) == set(small.nodes) and _edges(back) == _edges(small)


def test_cx2_structure_and_ndex2_reader(small):
    doc = json.loads(export(small, "cx2"))
    assert doc[0] == {"CXVersion": "2.0", "hasFragments": False}
    aspects = {next(iter(a)): next(iter(a.values())) for a in doc[1:]}
    assert list(aspects)[0] == "metaData" and list(aspects)[-1] == "status"
    for meta in aspects["metaData"]:
        assert meta["elementCount"] == len(aspects[meta["name"]])
    declared = aspects["attributeDeclarations"][0]
    types = {"string": str, "long": int, "double": float, "boolean": bool}
    for kind, key in (("nodes", "v"), ("edges", "v")):
        for item in aspects[kind]:
            for name, value in item[key].items():
                assert isinstance(value, types[declared[kind][name]["d"]]), (name, value)
    node_ids = {n["id"] for n in aspects["nodes"]}
    assert all(e["s"] in node_ids and e["t"] in node_ids for e in aspects["edges"])
    assert {n["v"]["represents"] for n in aspects["nodes"]} == set(small.nodes)
    from ndex2.cx2 import CX2Network

    net = CX2Network()
    net.create_from_raw_cx2(doc)
    assert len(net.get_nodes()) == small.number_of_nodes()
    assert len(net.get_edges()) == small.number_of_edges()
    assert net.get_visual_properties()["default"]["node"]["NODE_SHAPE"] == "ellipse"


# ------------------------------------------------------------------ KGX, CSV

@functools.cache
def _biolink() -> tuple[set[str], set[str]]:
    schema = yaml.safe_load((importlib.resources.files("biolink_model") / "schema" /
                             "biolink_model.yaml").read_text(encoding="utf-8"))
    classes = {"biolink:" + "".join(w[0].upper() + w[1:] for w in name.split())
               for name in schema["classes"]}

    def is_predicate(name: str) -> bool:
        while name:
            if name == "related to":
                return True
            name = schema["slots"][name].get("is_a")
        return False

    predicates = {"biolink:" + name.replace(" ", "_") for name in schema["slots"]
                  if is_predicate(name)}
    return classes, predicates


def test_biolink_mappings_are_real_terms():
    classes, predicates = _biolink()
    assert set(BIOLINK_CATEGORY.values()) <= classes
    assert set(BIOLINK_PREDICATE.values()) | {"biolink:related_to"} <= predicates


@pytest.mark.parametrize("findings", [False, True])
def test_kgx_loads_with_pandas_and_uses_biolink(findings, graph):
    H = project(graph, findings=findings)
    with zipfile.ZipFile(io.BytesIO(export(H, "kgx"))) as archive:
        assert sorted(archive.namelist()) == ["edges.tsv", "nodes.tsv"]
        # as KGX's own TsvSource reads them: quoting off (csv.QUOTE_NONE)
        nodes = pd.read_csv(archive.open("nodes.tsv"), sep="\t", dtype=str,
                            keep_default_na=False, quoting=3)
        edges = pd.read_csv(archive.open("edges.tsv"), sep="\t", dtype=str,
                            keep_default_na=False, quoting=3)
    classes, predicates = _biolink()
    assert len(nodes) == H.number_of_nodes() and nodes["id"].is_unique
    assert len(edges) == H.number_of_edges()
    assert all(c in classes for cell in nodes["category"] for c in cell.split("|"))
    assert set(edges["predicate"]) <= predicates
    assert set(edges["subject"]) | set(edges["object"]) <= set(nodes["id"])
    assert set(nodes["iri"]) == set(H.nodes)
    mir21 = nodes.set_index("id").loc["exoid:content/mir-21"]
    assert (mir21["name"], mir21["category"]) == ("miR-21", "biolink:MicroRNA")
    assert kgx_tables(H)[0][0]["id"] == nodes["id"][0]


def test_kgx_cells_read_back_as_written_by_kgx_s_reader():
    """A label with quotes or a tab: KGX reads its TSV with quoting off, so quotes stay
    as written (a quoted cell would come back with its quotes doubled) and a tab, which
    no cell may hold there, is a space."""
    G = nx.MultiDiGraph()
    G.add_node("https://w3id.org/exokg/id/content/a", label='"quoted" name', kind="MicroRNA",
               curie="exoid:content/a", alt_labels=("tab\there", 'say "x"'))
    with zipfile.ZipFile(io.BytesIO(export(G, "kgx"))) as archive:
        nodes = pd.read_csv(archive.open("nodes.tsv"), sep="\t", dtype=str,
                            keep_default_na=False, quoting=3)
    assert nodes["name"][0] == '"quoted" name'
    assert nodes["synonym"][0].split("|") == ["tab here", 'say "x"']


def test_csv_edge_list(small):
    table = pd.read_csv(io.BytesIO(export(small, "csv")))
    assert list(table.columns) == ["source", "source_label", "predicate", "target",
                                   "target_label"]
    assert set(map(tuple, table[["source", "target", "predicate"]].values)) == _edges(small)


def test_network_writer_projects_an_rdflib_graph(graph):
    back = nx.read_graphml(io.BytesIO(export(graph, "graphml")))
    assert back.number_of_nodes() == project(graph).number_of_nodes()
    findings_only = graph.query("""
        PREFIX exo: <https://w3id.org/exokg/vocab#>
        CONSTRUCT { ?f a exo:Finding ; exo:content ?c . ?c a exo:MicroRNA }
        WHERE { ?f a exo:Finding ; exo:content ?c . ?c a exo:MicroRNA }""").graph
    back = nx.read_graphml(io.BytesIO(export(findings_only, "graphml")))
    assert {d["kind"] for _, d in back.nodes(data=True)} == {"Finding", "MicroRNA"}


def test_graph_kinds():
    assert GRAPH_KINDS == ("rdf", "network")


def test_rdfxml_keeps_a_carriage_return():
    """pyoxigraph writes a literal's ``\\r`` as it is in RDF/XML, which XML parsers read as a
    line feed: the export writes ``&#13;``."""
    from exokg.io import export
    from rdflib import Graph, Literal, URIRef

    g = Graph()
    g.add((URIRef("http://ex.org/s"), URIRef("http://ex.org/p"), Literal("a\r\nb")))
    data = export(g, "rdfxml")
    assert [str(o) for o in Graph().parse(data=data, format="xml").objects()] == ["a\r\nb"]
