"""A worker's warm-up: representative nodes from the artifacts, every surface answered
once, every executor given the queries they issued, and no answer left in the cache."""

from __future__ import annotations

import json

from conftest import start_server, stop_server, wait_for_log
from exokg.index import load_adjacency, load_metrics
from exokg.review import CONTENT_KINDS
from exokg.server.sparql import get_service
from exokg.server.warmup import warm_paths, warm_up
from exokg.store_source import index_folder
from exokg.warmup import representative_nodes


def test_representative_nodes_come_from_the_metrics(app):
    folder = index_folder(get_service(app).info)
    nodes = representative_nodes(folder)
    adj, metrics = load_adjacency(folder), load_metrics(folder)
    degree = {adj.iri(i): int(d) for i, d in enumerate(metrics.degree)}
    assert degree[nodes["hub"]] == max(degree.values())
    for name in ("molecule", "path_end"):
        assert adj.kind(adj.node_id(nodes[name])) in CONTENT_KINDS
    assert nodes["molecule"] != nodes["path_end"]
    assert degree[nodes["path_end"]] >= degree[nodes["molecule"]]


def test_no_artifacts_no_nodes(tmp_path):
    assert representative_nodes(None) == {}
    assert representative_nodes(tmp_path) == {}  # a folder without the index


def test_warm_up_answers_every_surface_and_leaves_the_cache_empty(app):
    report = warm_up(app)
    service = get_service(app)
    assert report["failed"] == [] and report["refused"] == []  # each one warmed its surface
    assert report["requests"] == len(warm_paths(app, representative_nodes(
        index_folder(service.info))))
    assert report["queries"] > 0 and report["executors"] == 1  # the app fixture's one
    assert len(service.cache) == 0  # no user answer comes from the warm-up


def test_a_refused_warm_up_request_is_reported_not_hidden(app, monkeypatch):
    """A warm-up request answered 4xx warmed nothing of its surface: it is listed as
    refused (the worker's line names it), not as failed, and the rest still run."""
    import exokg.server.warmup as warmup

    paths = warm_paths(app, representative_nodes(index_folder(get_service(app).info)))
    same = "https://w3id.org/exokg/id/disease/hcc"
    bad = "/api/path?source=" + same + "&target=" + same
    monkeypatch.setattr(warmup, "warm_paths", lambda app, nodes: [(bad, "application/json"),
                                                                 *paths])
    report = warm_up(app)
    assert report["refused"] == [bad]
    assert report["failed"] == [] and report["requests"] == len(paths) + 1


def test_warm_up_paths_name_the_chosen_nodes(app):
    nodes = {"hub": "https://w3id.org/exokg/id/disease/hcc",
             "molecule": "https://w3id.org/exokg/id/content/mir-638",
             "path_end": "https://w3id.org/exokg/id/content/mir-21"}
    paths = [path for path, _ in warm_paths(app, nodes)]
    assert "/id/disease/hcc" in paths and "/id/content/mir-638.json" in paths
    assert any(p.startswith("/api/path?") and "mir-21" in p and "mir-638" in p for p in paths)


def test_served_workers_warm_up_before_they_answer(store_dir):
    """The real server: each worker reports its warm-up (all executors) before /healthz
    answers, and the warm-up's requests are not in the access log."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "2"])
    try:
        import requests

        assert requests.get(f"{url}/api/conflicts", timeout=30).status_code == 200
        # the access-log line is written once the body is sent
        log = wait_for_log(proc, '"/api/conflicts"', tries=100)
    finally:
        stop_server(proc)
    warmed = [line for line in log.splitlines() if "warmed up in" in line]
    assert len(warmed) == 1 and "on 2 executors" in warmed[0], log[-2000:]
    paths = [json.loads(line)["path"] for line in log.splitlines() if line.startswith("{")]
    assert "/id/disease/hcc" not in paths and "/api/conflicts" in paths


_FIRST_CALLS = """
import json, sys
import networkx.utils.decorators as decorators
import exokg.server.warmup as warmup
from exokg.server import create_app
from exokg.server.warmup import get_service_of, warm_up

compiled = []
compile_first = decorators.argmap._lazy_compile

def spy(func):
    compiled.append(func.__qualname__)
    return compile_first(func)

decorators.argmap._lazy_compile = staticmethod(spy)
app = create_app({"TESTING": True, "STORE_DIR": sys.argv[1], "EXECUTORS": 1})
if sys.argv[2] == "warm, its path another branch":
    # at 10^6 findings the warm-up's own path (a hub's) stopped at the node cap
    paths = warmup.warm_paths
    warmup.warm_paths = lambda *a: [p for p in paths(*a) if not p[0].startswith("/api/path")]
if sys.argv[2] != "cold":
    warm_up(app)
compiled.clear()
client = app.test_client()
for url in sys.argv[3:]:
    assert client.get(url).status_code == 200, url
get_service_of(app).close()
print(json.dumps(compiled))
"""


def test_a_first_path_after_the_warm_up_compiles_nothing(store_dir, app):
    """networkx compiles a decorated function at its first call; the warm-up does it for
    every one the graph queries call, whichever branch its own requests took."""
    from urllib.parse import urlencode

    nodes = representative_nodes(index_folder(get_service(app).info))
    base = "https://w3id.org/exokg/id/"
    urls = ["/api/path?" + urlencode({"source": base + "content/mir-21",
                                      "target": base + "content/mir-122", "k": 3}),
            "/api/path?" + urlencode({"source": nodes["molecule"], "target": nodes["hub"]})]

    def compiled(mode: str) -> list[str]:
        return _in_a_new_process(_FIRST_CALLS, store_dir, mode, urls)

    assert "shortest_simple_paths" in compiled("cold")  # what the warm-up is for
    assert compiled("warm") == []
    assert compiled("warm, its path another branch") == []


def _in_a_new_process(script: str, store_dir, mode: str, urls: list[str]) -> list[str]:
    """What ``script`` prints last (a JSON list), run with the store, ``mode`` and the URLs
    in a new Python (what loads lazily is loaded once per process)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script, str(store_dir), mode, *urls],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


_PARSED = """
import json, sys
import rdflib
from exokg.server import create_app
from exokg.server.warmup import get_service_of, warm_up

app = create_app({"TESTING": True, "STORE_DIR": sys.argv[1], "EXECUTORS": 1})
if sys.argv[2] == "warm":
    warm_up(app)
parsed = []
parse = rdflib.Graph.parse

def spy(self, source=None, *args, **kwargs):
    parsed.append(str(source).rsplit("/", 1)[-1])
    return parse(self, source, *args, **kwargs)

rdflib.Graph.parse = spy
client = app.test_client()
for url in sys.argv[3:]:
    assert client.get(url).status_code == 200, url
get_service_of(app).close()
print(json.dumps(parsed))
"""


def test_a_first_filter_by_type_or_predicate_after_the_warm_up_parses_nothing(store_dir):
    """The vocabulary's kinds and predicates are read (rdflib parses the ontology) at the
    first ``type=`` or ``predicates=``; the warm-up's own requests have neither, and at
    10^6 findings the first rank by type took 50 ms against 11 ms the tenth."""
    from urllib.parse import urlencode

    urls = ["/api/rank?" + urlencode({"metric": "degree", "type": "MicroRNA"}),
            "/api/neighborhood?" + urlencode({"node": "https://w3id.org/exokg/id/content/mir-21",
                                              "predicates": "exo:citedIn"})]

    assert "exokg.ttl" in _in_a_new_process(_PARSED, store_dir, "cold", urls)
    assert _in_a_new_process(_PARSED, store_dir, "warm", urls) == []
