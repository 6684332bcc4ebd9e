"""Views read what they show of long literals, not the whole: a node with megabytes of
comments is found, drawn and paged like any other."""

from __future__ import annotations

import pytest
from _web import data_client

NODE = "https://w3id.org/exokg/id/content/long"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
NOTE = "https://example.org/note"
#: the answer's byte bound of the app (MAX_ANSWER_BYTES), smaller than the comments
BOUND = 200_000


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An app over a --data file whose molecule has five comments of 100,000 characters
    (half a megabyte in all, past the app's byte bound) beside its label."""
    lines = [f'<{NODE}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
             '<https://w3id.org/exokg/vocab#MicroRNA> .',
             f'<{NODE}> <http://www.w3.org/2000/01/rdf-schema#label> "long one" .',
             f'<{NODE}> <https://w3id.org/exokg/vocab#regulates> '
             '<https://w3id.org/exokg/id/disease/d1> .',
             '<https://w3id.org/exokg/id/disease/d1> '
             '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
             '<https://w3id.org/exokg/vocab#Disease> .']
    lines += [f'<{NODE}> <{COMMENT}> "{n}{"x" * 100_000}" .' for n in range(5)]
    lines += [f'<{NODE}> <{NOTE}> "{"e" * 9_999}"@en .',
              f'<{NODE}> <{NOTE}> "<p>{"h" * 9_993}</p>"^^'
              '<http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML> .']
    yield from data_client(tmp_path_factory.mktemp("long"), "\n".join(lines) + "\n",
                           MAX_ANSWER_BYTES=BOUND)


@pytest.mark.parametrize("url", ["/api/entities?q=long+one", "/search.json?q=long+one",
                                 "/api/neighborhood?node=long+one",
                                 "/api/neighborhood?node=disease/d1&depth=1"])
def test_a_node_with_long_comments_is_found_and_drawn(client, url):
    """Each read of the node's attributes took its comments, which no network node keeps:
    every query naming it passed the byte bound (422)."""
    r = client.get(url)
    assert r.status_code == 200, r.get_json()
    assert "long one" in r.get_data(as_text=True)
    assert len(r.data) < 20_000


def test_the_entity_page_and_its_twin_read_the_first_characters_of_each_comment(client):
    """The page's read of the node took all five comments (a 422 past the byte bound);
    it reads VIEW_CHARS of each, marked with the whole length, which the page says."""
    from exokg.display import VIEW_CHARS

    twin = client.get("/id/content/long.json")
    assert twin.status_code == 200, twin.get_json()
    (comments,) = [f["values"] for f in twin.get_json()["facts"] if f["predicate"] == COMMENT]
    assert len(comments) == 5
    for value in comments:
        text = value["value"]
        assert text.endswith("… (100001 characters)") and len(text) < VIEW_CHARS + 30
    assert len(twin.data) < 100_000
    page = client.get("/id/content/long")
    assert page.status_code == 200 and len(page.data) < 100_000
    assert "(100,001 characters)" in page.get_data(as_text=True)


def test_sparql_keeps_the_whole_text(client):
    r = client.get("/sparql", query_string={
        "query": f"SELECT (MAX(STRLEN(?c)) AS ?n) {{ <{NODE}> <{COMMENT}> ?c }}"},
        headers={"Accept": "application/json"})
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "100001"


def test_a_long_text_of_any_kind_but_a_number_is_read_in_part(client):
    """A language's text and an rdf:HTML one are cut as a string is (a number that long
    is none to Oxigraph: out of its range, it is cut too)."""
    twin = client.get("/id/content/long.json").get_json()
    (notes,) = [f["values"] for f in twin["facts"] if f["predicate"] == NOTE]
    ends = sorted(v["value"][-22:] for v in notes)
    assert ends == ["eee… (9999 characters)", "hh… (10000 characters)"], ends


WIDE = "https://w3id.org/exokg/id/content/wide"
POINTED = "https://w3id.org/exokg/id/content/pointed"


@pytest.fixture(scope="module")
def wide_client(tmp_path_factory):
    """A node with 2,000 predicates of a 3,000-character value each, and one pointed to
    by 300 predicates of 20,000-character IRIs (as a hostile tester wrote them)."""
    kind = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/exokg/vocab#MicroRNA>"
    lines = [f"<{WIDE}> {kind} .", f"<{POINTED}> {kind} ."]
    lines += [f'<{WIDE}> <https://example.org/p{n}> "{n}{"v" * 3_000}" .' for n in range(2_000)]
    lines += [f"<https://example.org/s{n}> <https://example.org/{n}{'q' * 20_000}> <{POINTED}> ."
              for n in range(300)]
    yield from data_client(tmp_path_factory.mktemp("wide"), "\n".join(lines) + "\n")


@pytest.mark.parametrize("node", [WIDE, POINTED])
def test_an_entity_page_of_many_long_statements_stays_within_its_bound(wide_client, node):
    """Pages and twins of 6.5 to 16 MB: the facts and the incoming links had no bound in
    characters (only in number)."""
    path = "/id/" + node.split("/id/", 1)[1]
    for url in (path, path + ".json"):
        r = wide_client.get(url)
        assert r.status_code == 200 and len(r.data) < 500_000, (url, len(r.data))
    twin = wide_client.get(path + ".json").get_json()
    if node == WIDE:
        assert twin["facts_truncated"] is True and twin["facts"]
    else:
        assert twin["incoming_truncated"] is True and twin["incoming"]
