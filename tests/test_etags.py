"""The ETag rule (server/etags.py) and the code identity under it (kg/release.py).

Every cacheable GET/HEAD answer (pages, their JSON/RDF twins, the API, exports, the
ontology, /openapi.json) carries a strong ETag known before its handler runs, with
``Cache-Control: public, no-cache`` and ``Vary: Accept`` where ``Accept`` picks the
representation; an ``If-None-Match`` naming it is a 304 that runs no query. Errors,
/healthz and other methods carry none. Asked of real servers.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests
from conftest import RUN_DIR, server_log, start_server, stop_server
from exokg.examples import EXAMPLES
from exokg.server import create_app

#: (path, Accept, whether Accept picks the representation)
CACHEABLE = [
    ("/id/content/mir-21", "text/html", True),
    ("/id/content/mir-21.json", "application/json", True),
    ("/id/content/mir-21", "text/turtle", True),
    ("/id/content/mir-21.nt", None, True),
    ("/", "application/json", True),
    ("/search?q=mir-21", "text/html", True),
    (f"/query?example={EXAMPLES[0].slug}", "text/html", True),
    ("/vocab", "text/html", True),
    ("/vocab.ttl", None, True),
    ("/api/neighborhood?node=miR-21&depth=2", None, False),
    ("/api/neighborhood?node=miR-21&format=graphml", None, False),
    ("/api/evidence?node=miR-21", None, False),
    ("/api/export?format=turtle", None, False),
    ("/api/export?format=graphml&findings=true", None, False),
    ("/api/formats", None, False),
    ("/openapi.json", None, False),
]
#: Answers that must carry no ETag: (method, path, expected status).
UNCACHED = [("GET", "/id/content/nope", 404), ("GET", "/id/content/nope.json", 404),
            ("GET", "/api/neighborhood?node=miR-21x", 404),
            ("GET", "/api/neighborhood?node=miR-21&depth=9", 400),
            ("GET", "/api/export?format=nope", 406), ("GET", "/healthz", 200),
            ("POST", "/api/formats", 405), ("GET", "/query?query=SELECT%20*%20%7B", 400)]


def _get(url: str, accept: str | None = None, **headers: str) -> requests.Response:
    if accept:
        headers["Accept"] = accept
    return requests.get(url, headers=headers, timeout=60)


@pytest.mark.parametrize(("path", "accept", "negotiated"), CACHEABLE,
                         ids=[f"{p} {a or ''}" for p, a, _ in CACHEABLE])
def test_a_cacheable_answer_has_a_strong_etag_and_revalidates(live_server, path, accept,
                                                            negotiated):
    url = live_server + path
    first = _get(url, accept)
    assert first.status_code == 200, first.text[:300]
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert ("Accept" in first.headers.get("Vary", "")) == negotiated
    assert _get(url, accept).headers["ETag"] == etag  # stable
    # a client's copy is revalidated: 304, no body, the same validators
    again = _get(url, accept, **{"If-None-Match": f'"other", {etag}'})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, no-cache"
    assert ("Accept" in again.headers.get("Vary", "")) == negotiated
    # a HEAD has the GET's validator; a stale one gets the body again
    head = requests.head(url, headers={"Accept": accept} if accept else {}, timeout=60)
    assert head.status_code == 200 and head.headers["ETag"] == etag and head.content == b""
    stale = _get(url, accept, **{"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.content == first.content


@pytest.mark.parametrize(("method", "path", "status"), UNCACHED,
                         ids=[f"{m} {p}" for m, p, _ in UNCACHED])
def test_errors_healthz_and_other_methods_have_no_etag(live_server, method, path, status):
    r = requests.request(method, live_server + path, timeout=60)
    assert r.status_code == status
    assert "ETag" not in r.headers
    assert r.headers.get("Cache-Control") != "public, no-cache"


def test_the_etag_follows_the_representation_and_the_url(live_server):
    page = f"{live_server}/id/content/mir-21"
    tags = {_get(page, accept).headers["ETag"]
            for accept in ("text/html", "application/json", "text/turtle",
                           "application/n-triples")}
    assert len(tags) == 4
    # one URL, one validator: an ETag of the HTML page is no 304 for the JSON twin
    html = _get(page, "text/html").headers["ETag"]
    twin = _get(page, "application/json", **{"If-None-Match": html})
    assert twin.status_code == 200 and twin.headers["ETag"] != html
    # an API answer names the URL it was asked at, so the Host is part of its validator
    url = f"{live_server}/api/neighborhood?node=miR-21"
    here, there = (_get(url, Host=host) for host in ("a.example", "b.example"))
    assert here.json()["url"] != there.json()["url"]
    assert here.headers["ETag"] != there.headers["ETag"]
    # the same for the parameters, as sent
    other = _get(f"{live_server}/api/neighborhood?node=miR-21&depth=1")
    assert other.headers["ETag"] != _get(url).headers["ETag"]


def test_if_none_match_star_is_a_304_only_where_a_representation_exists(live_server):
    star = {"If-None-Match": "*"}
    assert _get(f"{live_server}/id/content/mir-21", **star).status_code == 304
    assert _get(f"{live_server}/api/export?format=ntriples", **star).status_code == 304
    assert _get(f"{live_server}/id/content/nope", **star).status_code == 404


def test_a_post_whose_if_none_match_names_its_answer_is_412(live_server):
    """RFC 9110 (13.1.2): a 304 answers GET and HEAD; a POST whose If-None-Match is
    false is a 412 (it was a 304)."""
    query = {"query": "ASK { ?s ?p ?o }"}
    first = requests.post(f"{live_server}/sparql", data=query, timeout=60)
    assert first.status_code == 200
    url = f"{live_server}/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
    for posted_tag, got_tag in ((first.headers["ETag"], _get(url).headers["ETag"]), ("*", "*")):
        posted = requests.post(f"{live_server}/sparql", data=query, timeout=60,
                               headers={"If-None-Match": posted_tag})
        assert posted.status_code == 412, posted.text
        assert "send the query with GET to revalidate it" in posted.text
        assert _get(url, **{"If-None-Match": got_tag}).status_code == 304
        assert requests.head(url, headers={"If-None-Match": got_tag},
                             timeout=60).status_code == 304
    stale = requests.post(f"{live_server}/sparql", data=query, timeout=60,
                          headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json()["boolean"] is True


@pytest.mark.parametrize("path", [
    "/id/content/mir-21", "/id/content/mir-21.json", "/api/conflicts",
    "/api/export?format=ntriples", "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
    "/sparql", "/.well-known/void",
])
def test_an_if_match_that_names_no_current_version_is_412(live_server, path):
    """RFC 9110 (13.1.1): If-Match is evaluated before the method, GET included; a false
    one was ignored (200)."""
    url = live_server + path
    current = _get(url)
    assert current.status_code == 200
    for header in ('"stale"', f"W/{current.headers['ETag']}"):  # a weak tag never matches
        r = _get(url, **{"If-Match": header})
        assert r.status_code == 412, (header, r.text[:200])
        assert "If-Match names no current version" in r.text
        assert requests.head(url, headers={"If-Match": header}, timeout=60).status_code == 412
    for header in (current.headers["ETag"], f'"stale", {current.headers["ETag"]}', "*"):
        r = _get(url, **{"If-Match": header})
        assert r.status_code == 200 and r.content == current.content, header
    if path.startswith("/sparql?"):
        posted = requests.post(f"{live_server}/sparql", timeout=60,
                               data={"query": "ASK { ?s ?p ?o }"}, headers={"If-Match": '"x"'})
        assert posted.status_code == 412
    if path == "/id/content/mir-21":  # a page's 412 is the site's error page
        r = _get(url, **{"If-Match": '"stale"'})
        assert r.headers["Content-Type"].startswith("text/html") and "<nav" in r.text


@pytest.mark.parametrize(("path", "status"), [
    ("/id/content/nope", 404), ("/id/content/nope.json", 404),
    ("/api/neighborhood?node=nope", 404), ("/api/neighborhood?node=miR-21&depth=9", 400),
    ("/sparql?query=SELEC", 400), ("/sparql?query=SELECT%20*%20%7B%20%3Fs%20%3Fq%20%7D", 400),
])
def test_an_if_match_is_ignored_where_the_answer_would_be_an_error(live_server, path, status):
    """RFC 9110 (13.2.1): preconditions are ignored where the answer without them would
    not be a 2xx; a missing node was a 412 naming an ETag of nothing."""
    r = _get(live_server + path, **{"If-Match": '"stale"'})
    assert r.status_code == status, r.text[:200]


def test_the_etag_follows_the_settings_that_change_bodies(store_dir):
    """A row cap changes what pages and answers hold (and what /openapi.json states):
    two servers on the same data with other caps send other validators."""
    tags = []
    for rows in (10000, 5):
        app = create_app({"TESTING": True, "STORE_DIR": str(store_dir), "MAX_ROWS": rows})
        client = app.test_client()
        try:
            answer = client.get("/openapi.json")
            assert answer.status_code == 200
            tags.append((answer.headers["ETag"], answer.data))
        finally:
            app.extensions["exokg.sparql"].close()
    assert tags[0][1] != tags[1][1] and tags[0][0] != tags[1][0]


@pytest.fixture(scope="module")
def logged_server(store_dir):
    """A real server whose access log lists the queries each request issued."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--threads", "2",
                              "--executors", "1", "--timeout", "10"],
                             env={"EXOKG_LOG_QUERIES": "true"})
    yield proc, url
    stop_server(proc)


def _logged(proc, path: str) -> list[dict]:
    out = []
    for line in server_log(proc).splitlines():
        start = line.find("{")
        if start < 0 or '"path"' not in line:
            continue
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        if entry.get("path") == path:
            out.append(entry)
    return out


@pytest.mark.parametrize(("path", "query"), [("/id/content/mir-122", ""),
                                           ("/api/evidence", "?node=miR-122"),
                                           ("/api/neighborhood", "?node=miR-122&format=gexf")])
def test_a_revalidation_runs_no_query(logged_server, path, query):
    proc, url = logged_server
    first = _get(url + path + query)
    assert first.status_code == 200
    again = _get(url + path + query, **{"If-None-Match": first.headers["ETag"]})
    head = requests.head(url + path + query, timeout=60,
                         headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == head.status_code == 304
    entries = _logged(proc, path)
    assert [e["status"] for e in entries[-3:]] == [200, 304, 304]
    assert entries[-3]["queries"], entries[-3]  # the answer read the store
    assert entries[-2]["queries"] == entries[-1]["queries"] == []


def _code_version(pythonpath: str) -> str:
    script = ("from exokg import release\n"
              "release.include_code('etagprobe')\n"
              "print(release.code_version())\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=RUN_DIR, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": pythonpath,
                                                       "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_code_version_follows_the_installed_files(tmp_path):
    """Two processes on the same files agree; an edited file gives another version (so
    an upgrade renews every ETag even where the store, and its data version, stay)."""
    package = tmp_path / "etagprobe"
    package.mkdir()
    (package / "__init__.py").write_text("ANSWER = 1\n")
    first = _code_version(str(tmp_path))
    assert _code_version(str(tmp_path)) == first and len(first) == 16
    (package / "__init__.py").write_text("ANSWER = 2\n")
    assert _code_version(str(tmp_path)) != first


@pytest.mark.parametrize("path", ["/sparql", "/.well-known/void"])
def test_the_descriptions_follow_the_same_rule(live_server, path):
    """The service description (answered before Flask, by /sparql's fast path) and VoID
    make their ETags with the same seed; a HEAD has the GET's."""
    url = live_server + path
    first = _get(url, "text/turtle")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, no-cache"
    assert _get(url, "application/n-triples").headers["ETag"] != etag
    head = requests.head(url, headers={"Accept": "text/turtle"}, timeout=60)
    assert head.status_code == 200 and head.headers["ETag"] == etag
    assert _get(url, "text/turtle", **{"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("blank", [True, False])
def test_two_builds_of_blank_nodes_never_share_an_etag_over_different_bytes(tmp_path, blank):
    """Oxigraph names a load's blank nodes at random: two builds of the same input (a
    store built again, another replica's) dump them differently, so their ETags differ;
    without blank nodes both give the same bytes under the same ETag."""
    from _web import data_client

    node = "_:b{n}" if blank else "<urn:node/{n}>"
    text = "".join(f'{node.format(n=n)} <urn:p> "v{n}" .\n<urn:s{n}> <urn:q> {node.format(n=n)} .\n'
                   for n in range(50))
    answers = []
    for build in ("first", "again"):
        (tmp_path / build).mkdir()
        for client in data_client(tmp_path / build, text):
            export = client.get("/api/export?format=ntriples")
            sparql = client.get("/sparql", query_string={"query": "SELECT ?o { ?s <urn:q> ?o }"},
                                headers={"Accept": "text/csv"})
            answers.append([(r.headers["ETag"], r.data) for r in (export, sparql)])
    for (etag, body), (etag_again, body_again) in zip(*answers, strict=True):
        assert (etag == etag_again) == (body == body_again)
        assert (body == body_again) is not blank
