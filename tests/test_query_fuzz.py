"""Hostile and broken queries against a real server: 2xx or 4xx with a message, never
a 5xx or a hang; deep nesting refused before the engine; readable syntax errors;
relative IRIs resolved against the public base."""

from __future__ import annotations

import random

import pytest
import requests
from exokg.examples import EXAMPLES
from exokg.sparql.check import MAX_DEPTH

SRJ = "application/sparql-results+json"


def ask(base, query, method="GET", **kw):
    if method == "GET":
        return requests.get(f"{base}/sparql", params={"query": query}, timeout=30, **kw)
    return requests.post(f"{base}/sparql", data=query.encode() if isinstance(query, str)
                         else query, timeout=30,
                         headers={"Content-Type": "application/sparql-query", **kw.pop(
                             "headers", {})}, **kw)


def assert_sane(r):
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.text.strip() and "Traceback" not in r.text


DEEP = {
    "parentheses": lambda n: "SELECT * { FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "braces": lambda n: "SELECT * " + "{" * n + "}" * n,
    "optionals": lambda n: "SELECT * { " + "OPTIONAL { " * n + "}" * n + " }",
    "sub-selects": lambda n: "SELECT * { " + "{ SELECT * { " * n + "}}" * n + " }",
    "calls": lambda n: "SELECT * { FILTER(" + "STR(" * n + "1" + ")" * n + ") }",
    "unions": lambda n: "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }",
    "ands": lambda n: "SELECT * { FILTER(" + " && ".join(["true"] * n) + ") }",
    "paths": lambda n: "SELECT * { ?s " + "/".join(["<p:x>"] * n) + " ?o }",
}


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_nesting_is_refused_with_its_place(live_server, kind):
    r = ask(live_server, DEEP[kind](5000), "POST")
    assert r.status_code == 400, r.text[:300]
    assert "nests too deeply" in r.text and "line 1, column" in r.text


@pytest.mark.parametrize("kind", ["parentheses", "braces", "calls", "optionals"])
def test_nesting_just_under_the_limit_runs(live_server, kind):
    # the deepest accepted query of each kind reaches the engine and does not crash it
    n = MAX_DEPTH // {"braces": 2, "optionals": 3}.get(kind, 1) - 10
    r = ask(live_server, DEEP[kind](n), "POST", headers={"Accept": SRJ})
    assert r.status_code == 200, r.text[:300]
    assert ask(live_server, "ASK {}").json()["boolean"] is True


def test_undeclared_prefix_is_named(live_server):
    r = ask(live_server, "SELECT * WHERE {\n  ?s exo:name ?o }")
    assert r.status_code == 400
    assert r.text.strip() == ("prefix exo: is not declared (line 2, column 6); add PREFIX "
                              "exo: <https://w3id.org/exokg/vocab#>")
    assert "\\u{" not in ask(live_server, "SELECT * { ?s foo:bar ?o }").text


@pytest.mark.parametrize("query,expected", [
    ("SELECT * WHERE { ?s ?p ?o ", "{ at line 1, column 16 is never closed"),
    ("SELECT * WHERE { ?s ?p ?o }}", "} at line 1, column 28 closes nothing"),
    ("SELECT * WHERE { ?s ?p 'abc }", "string starting at line 1, column 24 is not closed"),
    ("SELECT * WHERE { ?s ?p ?o FILTER(?o > 1 }", "does not match ( at line 1, column 33"),
    # an IRI with a space: was "prefix http: is not declared", its scheme read as a prefix
    ("SELECT * WHERE { ?s <http://ex ample> ?o }",
     "the IRI <http://ex ample> at line 1, column 21 is not valid: it holds a space"),
    ("SELECT * WHERE {\n ?s <urn:x:a|b> ?o }",
     "the IRI <urn:x:a|b> at line 2, column 5 is not valid: it holds '|'"),
    # an escaped space is a space; a backslash that escapes nothing is a backslash
    ("SELECT * WHERE { ?s <urn:x:a\\u0020b> ?o }", "is not valid: it holds a space"),
    ("SELECT * WHERE { ?s <urn:x:a\\b> ?o }", "is not valid: it holds '\\\\'"),
])
def test_syntax_errors_are_short_and_located(live_server, query, expected):
    r = ask(live_server, query)
    assert r.status_code == 400 and expected in r.text
    assert len(r.text) < 200 and "\\u{" not in r.text


def test_relative_iris_resolve_against_the_public_base(live_server):
    # W3C protocol test query_content_type_construct
    r = ask(live_server, "CONSTRUCT { <s> <p> 1 } WHERE {}", headers={
        "Accept": "application/n-triples"})
    assert r.status_code == 200, r.text
    assert r.text.strip() == '<https://w3id.org/exokg/s> <https://w3id.org/exokg/p> ' \
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .'


def _mutations(query: str, rng: random.Random) -> list[str]:
    tokens = query.split()
    out = []
    for _ in range(3):
        t = tokens[:]
        i = rng.randrange(len(t))
        op = rng.choice(["delete", "duplicate", "swap", "char"])
        if op == "delete":
            del t[i]
        elif op == "duplicate":
            t.insert(i, t[i])
        elif op == "swap":
            j = rng.randrange(len(t))
            t[i], t[j] = t[j], t[i]
        else:
            t[i] = t[i][:1] + rng.choice("{}()[]<>\"'.;,#?$:^|\\\x00é") + t[i][1:]
        out.append(" ".join(t))
    step = max(1, len(query) // 6)
    out += [query[:k] for k in range(step, len(query), step)]
    return out


def test_mutated_and_truncated_examples_never_fail_the_server(live_server):
    rng = random.Random(11)
    session = requests.Session()
    for example in EXAMPLES:
        for i, query in enumerate(_mutations(example.sparql, rng)):
            method = "GET" if i % 2 else "POST"
            if method == "GET":
                r = session.get(f"{live_server}/sparql", params={"query": query}, timeout=30)
            else:
                r = session.post(f"{live_server}/sparql", data=query.encode(), timeout=30,
                                 headers={"Content-Type": "application/sparql-query"})
            assert_sane(r)


def test_huge_literal_and_bad_utf8(live_server):
    assert_sane(ask(live_server, "SELECT * { BIND('" + "x" * 500_000 + "' AS ?x) }", "POST"))
    r = requests.post(f"{live_server}/sparql", data=b"SELECT * { ?s ?p '\xff\xfe' }",
                      headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 400 and "UTF-8" in r.text
    r = requests.get(f"{live_server}/sparql?query=SELECT%20*%20%7B%7D%FF", timeout=30)
    assert_sane(r)


def _busy_executor(server_pid: int) -> int | None:
    """The pid of the server's executor process that has used the most CPU."""
    from conftest import executor_ticks

    ticks = executor_ticks(server_pid)
    return max(ticks, key=ticks.__getitem__) if ticks else None


def test_an_executor_crash_is_a_400_and_the_executor_is_replaced(small_server_process):
    import os
    import signal
    import threading
    import time

    proc, base = small_server_process
    runaway = ("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
               "?m ?n ?o . ?p ?q ?r . ?s ?t ?u . ?v ?w ?x }")
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=ask(base, runaway)))
    thread.start()
    time.sleep(0.7)  # the query is now running in an executor
    pid = _busy_executor(proc.pid)
    assert pid is not None
    os.kill(pid, signal.SIGABRT)  # what a stack overflow in the engine does
    thread.join(30)
    r = result["r"]
    assert r.status_code == 400 and "crashed the SPARQL engine" in r.text
    assert ask(base, "ASK {}").json()["boolean"] is True
