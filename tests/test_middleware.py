"""The one WSGI middleware, over HTTP against real ``exokg serve`` processes: security
headers on every response (whichever door answered it), CORS on the SPARQL surface, and
one access-log line per request."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from conftest import server_log, start_server, stop_server
from exokg.config import Config

# every kind of response: the /sparql fast path (200, 304-able, 400), Flask's /sparql
# (HEAD), pages, the API, Linked Data, static files, errors and Flask's own 404 and 405
PATHS = [
    ("GET", "/sparql?query=ASK%20%7B%7D"),
    ("GET", "/sparql?query=ASK%20%7B"),
    ("HEAD", "/sparql?query=ASK%20%7B%7D"),
    ("PUT", "/sparql"),
    ("GET", "/sparql"),
    ("GET", "/healthz"),
    ("GET", "/.well-known/void"),
    ("GET", "/"),
    ("GET", "/query?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201"),
    ("GET", "/api/entities?q=mir-21"),
    ("GET", "/api/nope"),
    ("GET", "/no/such/page"),
    ("GET", "/static/exokg.js"),
]


@pytest.mark.parametrize("method,path", PATHS)
def test_security_headers_on_every_response(live_server, method, path):
    r = requests.request(method, live_server + path, timeout=30)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = dict(part.strip().split(" ", 1) for part in
               r.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'"
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in r.headers["Content-Security-Policy"]
    # each header once, even where a surface set one itself
    names = [k.lower() for k in r.raw.headers]
    assert names.count("content-security-policy") == 1


@pytest.mark.parametrize("method,path", PATHS)
def test_cors_on_the_sparql_surface_only(live_server, method, path):
    r = requests.request(method, live_server + path, timeout=30)
    sparql = path.split("?")[0] in ("/sparql", "/healthz", "/.well-known/void")
    assert (r.headers.get("Access-Control-Allow-Origin") == "*") is sparql
    if sparql:
        assert "X-Result-Truncated" in r.headers["Access-Control-Expose-Headers"]
        assert [k.lower() for k in r.raw.headers].count("access-control-allow-origin") == 1


def test_access_log_one_line_per_request_from_both_doors(store_dir):
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1"])
    try:
        requests.get(f"{url}/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 3"},
                     timeout=30)  # the fast path
        requests.head(f"{url}/sparql", params={"query": "ASK {}"}, timeout=30)  # Flask
        requests.get(f"{url}/api/entities", params={"q": "mir-21"}, timeout=30)
        time.sleep(0.5)
    finally:
        stop_server(proc)
    lines = [json.loads(line) for line in server_log(proc).splitlines()
             if line.startswith("{")]
    by_path = {(e["method"], e["path"]): e for e in lines}
    fast = by_path[("GET", "/sparql")]
    assert fast["status"] == 200 and fast["rows"] == 3 and fast["cache"] == "miss"
    assert by_path[("HEAD", "/sparql")]["status"] == 200
    assert by_path[("GET", "/api/entities")]["status"] == 200
    assert sum(e["path"] == "/sparql" and e["method"] == "GET" for e in lines) == 1


@pytest.mark.parametrize("path,query,parameter", [
    ("/api/entities", "q=%ff%fe", "q"),
    ("/api/neighborhood", "node=%C3%28&depth=1", "node"),
    ("/query.json", "query=SELECT%20*%7B%7D%23%ED%A0%80", "query"),  # an encoded surrogate
    ("/search", "q=mir&limit=%ff", "limit"),
    ("/sparql", "query=ASK%7B%7D&format=%ff", "format"),
])
def test_a_url_parameter_that_is_not_utf8_is_400_naming_it(live_server, path, query,
                                                           parameter):
    # one rule for every route: read as U+FFFD it was a silent wrong answer (a search for
    # "%FF%FE", download links double-encoded)
    r = requests.get(f"{live_server}{path}?{query}", timeout=30,
                     headers={"Accept": "application/json"})
    assert r.status_code == 400, r.text
    # each route's own error form (a page's JSON twin adds its empty suggestions)
    body = r.json()
    assert body["ok"] is False and body["status"] == 400 and set(body) <= {
        "ok", "status", "error", "suggestions"}
    assert f"URL parameter {parameter!r} is not valid UTF-8" in body["error"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"  # the middleware's headers too


@pytest.mark.parametrize("path", ["/id/content/mir%01", "/id/%00", "/id/content/mi%22r",
                                  "/id/content/a%7f", "/id/content/%ff%fe", "/id/content/%zz"])
def test_an_entity_path_with_control_characters_is_404_with_encoded_links(live_server, path):
    # the 404 page's Link header carried the path raw: granian refused the header and
    # answered its own 500 ("Unsupported ASGI message")
    r = requests.get(live_server + path, timeout=30)
    assert r.status_code == 404, r.text
    assert "no node" in r.text and "SELECT" not in r.text and "ASK" not in r.text
    link = r.headers["Link"]
    target = link[1:link.index(">")]
    assert target.startswith("/id/") and target.endswith(".json")
    assert not re.search(r'[\x00-\x20\x7f"<>]', target)
    assert requests.get(live_server + target, timeout=30).status_code == 404


def test_a_line_break_in_a_path_injects_no_header(live_server):
    r = requests.get(f"{live_server}/id/content/mir%0d%0aX-Injected:%201", timeout=30)
    assert r.status_code == 404 and "X-Injected" not in r.headers


BAD_HOSTS = ['a"><b>x', "evil.example:1/../x", "", "a b", "kg.example.org,evil.example",
             "x:port", "my_host", "x:0", "a" * 64, "a..b", "xn--e-ss.com"]


# an empty Host is how granian passes none on, which a check of /healthz may send
@pytest.mark.parametrize("host,path", [
    (host, path) for host in BAD_HOSTS
    for path in ("/api/conflicts", "/id/content/mir-21", "/sparql", "/healthz", "/")
    if (host, path) != ("", "/healthz")])
def test_a_host_header_that_is_no_host_is_400(live_server, host, path):
    """With no TRUSTED_HOSTS set, such a Host was answered 200, every self-link in the
    answer broken (``"url": "http:///api/conflicts"``); a label IDNA cannot encode (64
    characters, empty) or a punycode label that does not decode was a 500 on every page,
    /healthz too."""
    r = requests.get(live_server + path, headers={"Host": host, "Accept": "application/json"},
                     timeout=30)
    assert r.status_code == 400, r.text
    assert f"the Host header {host!r} is not a host name" in r.json()["error"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("host", ["kg.example.org", "kg.example.org:8080", "127.0.0.1:5",
                                  "[::1]:8080", "KG.example.org", "xn--mnchen-3ya.de",
                                  "a" * 63 + ".example"])
def test_a_host_header_that_is_a_host_is_served_and_named(live_server, host):
    r = requests.get(f"{live_server}/api/entities", params={"q": "mir", "limit": 1},
                     headers={"Host": host}, timeout=30)
    assert r.status_code == 200, r.text
    named = host.lower().replace("xn--mnchen-3ya", "münchen")  # links are IRIs
    assert r.json()["url"].lower().startswith(f"http://{named}/api/entities")


def _raw_get(url: str, request: bytes) -> tuple[bytes, bytes]:
    """The status line and body of one raw ``request`` sent to the server at ``url``."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], body


@pytest.mark.parametrize("path", ["/healthz", "/api/entities?q=mir&limit=1"])
def test_http_1_0_without_a_host_is_served_and_names_the_server(live_server, path):
    """HTTP/1.0 needs no Host, and HAProxy's health check (deploy/haproxy.cfg) sends none:
    granian passes it on as an empty Host, which was a 400, every replica then marked
    down."""
    status, body = _raw_get(live_server, f"GET {path} HTTP/1.0\r\n"
                            "Accept: application/json\r\n\r\n".encode())
    assert status.startswith(b"HTTP/1.0 200"), (status, body)
    if path.startswith("/api"):
        assert json.loads(body)["url"].startswith(live_server + "/api/entities")


def test_http_1_1_with_an_empty_host_is_400(live_server):
    """HTTP/1.1 requires a Host naming the server (RFC 9112, section 3.2); /healthz aside."""
    status, body = _raw_get(live_server, b"GET /api/entities HTTP/1.1\r\nHost: \r\n"
                            b"Accept: application/json\r\nConnection: close\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 400"), (status, body)
    assert b"is not a host name" in body


def _bridge(app, path: str, headers: list | None = None) -> list[dict]:
    """The ASGI messages :class:`~exokg.server.asgi.AsgiBridge` sends for a GET of
    ``path`` to the WSGI ``app``."""
    import asyncio

    from exokg.server.asgi import AsgiBridge

    sent: list[dict] = []

    async def receive():
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": headers or [], "http_version": "1.1"}
    asyncio.run(AsgiBridge(app, threads=1, max_body=1024,
                           body_timeout=Config().body_timeout)(scope, receive, send))
    return sent


@pytest.mark.parametrize("header", [("Link", "</id/a\x01>"), ("X-Bad", "a\r\nb"),
                                    ("X-Name", "caf\u00e9\u2192"), ("Bad Name", "x")])
def test_the_bridge_answers_its_own_500_for_a_header_the_server_refuses(header):
    # whatever an app puts in a header, granian sees only what it accepts: at worst
    # our own plain 500 (granian's own was an "Unsupported ASGI message" in its log)


    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), header])
        return [b"ok"]

    start, body = _bridge(app, "/x")
    assert start["status"] == 500 and body["body"] == b"internal server error\n"
    names = [name for name, _ in start["headers"]]
    assert header[0].lower().encode() not in names  # the header refused is not sent
    assert b"content-type" in names and b"x-content-type-options" in names


def test_a_stream_that_fails_before_its_first_batch_gets_its_own_status(caplog):
    """A streamed answer past the time limit within its first 64 KiB: nothing was sent,
    yet the client got a 500 and the log a traceback, and the access log a 200."""
    import logging

    from exokg.errors import QueryTimeout
    from exokg.server.middleware import Middleware

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/csv")])

        def body():
            yield b"x" * 1000
            raise QueryTimeout("query stopped at the time limit")
        return body()

    with caplog.at_level(logging.INFO):
        start, body = _bridge(Middleware(app, access_log=True), "/sparql",
                              [(b"accept", b"text/plain")])
    assert start["status"] == 503 and b"time limit" in body["body"]
    assert (b"x-content-type-options", b"nosniff") in start["headers"]
    assert b"access-control-allow-origin" in dict(start["headers"])  # /sparql's CORS
    access = [json.loads(r.getMessage()) for r in caplog.records if r.name == "exokg.access"]
    assert [(a["status"], "cut" in a) for a in access] == [(503, False)]
    assert not [r for r in caplog.records if r.exc_info]  # no traceback


def test_a_host_not_trusted_is_400_before_any_route_names_it(store_dir):
    """``TRUSTED_HOSTS``: pages, API links, the service description and VoID name the
    host a request was sent to; a Host header an attacker sends (for a shared cache that
    does not key on it) is refused, by both doors, before anything names it."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1", "--executors", "1"],
                             env={"EXOKG_TRUSTED_HOSTS": "kg.example.org, 127.0.0.1"})
    try:
        for path, params in [("/api/neighborhood", {"node": "miR-21"}),
                             ("/sparql", None), ("/id/content/mir-21", None),
                             ("/sparql", {"query": "ASK { ?s ?p ?o }"})]:
            bad = requests.get(f"{url}{path}", params=params, timeout=30,
                               headers={"Host": "evil.example"})
            assert bad.status_code == 400, (path, bad.text)
            assert "does not answer to the host 'evil.example' (TRUSTED_HOSTS)" in bad.text
            assert "evil.example/" not in bad.text
            good = requests.get(f"{url}{path}", params=params, timeout=30,
                                headers={"Host": "kg.example.org"})
            assert good.status_code == 200, (path, good.text)
        links = requests.get(f"{url}/api/neighborhood", params={"node": "miR-21"}, timeout=30,
                             headers={"Host": "kg.example.org"}).json()
        assert links["url"].startswith("http://kg.example.org/api/neighborhood")
        # the server's own address, with its port: ports are not compared
        assert requests.get(f"{url}/api/formats", timeout=30).status_code == 200
        # a balancer's health check, whatever Host it sends: /healthz names none
        assert requests.get(f"{url}/healthz", headers={"Host": "10.0.0.5"},
                            timeout=30).status_code == 200
    finally:
        stop_server(proc)
    assert "Traceback" not in server_log(proc)


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/nope", 404), ("GET", "/static/nope.js", 404), ("GET", "/vocab/nope", 404),
    ("GET", "/healthz/x", 404), ("POST", "/id/content/mir-21", 405), ("DELETE", "/", 405),
])
def test_an_unknown_route_is_the_site_s_error_page(live_server, method, path, status):
    """Past the blueprints' routes it was Flask's bare "404 Not Found" HTML: no site
    navigation, no JSON twin, whatever the client accepted."""
    r = requests.request(method, live_server + path, timeout=30)
    assert r.status_code == status and r.headers["Content-Type"].startswith("text/html")
    assert "<nav" in r.text and 'rel="alternate"' in r.headers["Link"]
    if status == 405:
        assert "GET" in r.headers["Allow"]
    r = requests.request(method, live_server + path, timeout=30,
                         headers={"Accept": "application/json"})
    assert r.status_code == status and r.json()["ok"] is False
    assert r.json()["status"] == status


def test_an_http_error_keeps_its_own_headers(live_server):
    """The site's error page kept only Allow and Retry-After: a 416 lost its
    Content-Range (RFC 9110, 15.5.17)."""
    r = requests.get(f"{live_server}/static/exokg.js", headers={"Range": "bytes=99999999-"},
                     timeout=30)
    assert r.status_code == 416
    assert r.headers["Content-Range"].startswith("bytes */")


@pytest.mark.parametrize("batches", [0, 3])
def test_a_client_that_takes_nothing_is_dropped_at_the_send_timeout(batches, caplog):
    """A client that never takes the answer: within the batches the app's response is
    closed at SEND_TIMEOUT; the last batch (most answers are only that) held its
    connection for ever."""
    import asyncio
    import logging
    import time

    from exokg.server.asgi import AsgiBridge

    closed = []

    class Body:
        def __init__(self) -> None:
            self.parts = iter([b"x" * 65536] * batches + [b"end"])

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.parts)

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    async def receive():
        await asyncio.sleep(3600)

    async def send(message):  # the client takes the status, then nothing more
        if message["type"] == "http.response.body":
            await asyncio.sleep(3600)

    scope = {"type": "http", "method": "GET", "path": "/x", "raw_path": b"/x",
             "query_string": b"", "headers": [], "http_version": "1.1"}
    bridge = AsgiBridge(app, threads=1, max_body=1024, body_timeout=5, send_timeout=0.5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(bridge(scope, receive, send), 10))
    assert time.monotonic() - started < 5
    assert closed == [True]
    assert "took nothing for 0.5 s (SEND_TIMEOUT)" in caplog.text
