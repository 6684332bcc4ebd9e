"""A parameter given twice is a 400 naming it, on every page and API route
(server/params.py); the list parameters keep every value, in the links too."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

TWICE = [
    ("/api/neighborhood?node=miR-21&node=miR-122", "node", "application/json"),
    ("/api/rank?limit=3&limit=4", "limit", "application/json"),
    ("/api/conflicts?page=1&page=2", "page", "application/json"),
    ("/api/evidence?node=miR-21&page=1&page=1", "page", "application/json"),
    ("/api/export?format=turtle&format=csv", "format", "application/json"),
    ("/search?q=let-7&q=miR-21", "q", "text/html"),
    ("/search.json?q=let-7&q=miR-21", "q", "application/json"),
    ("/query?query=ASK%7B%7D&query=ASK%7B%7D", "query", "text/html"),
    ("/query.json?query=ASK%7B%7D&query=ASK%7B%7D", "query", "application/json"),
    ("/query.csv?query=ASK%7B%7D&query=ASK%7B%7D", "query", "application/json"),
    ("/id/content/mir-21?page=1&page=2", "page", "text/html"),
    ("/id/content/mir-21.json?page=1&page=2", "page", "application/json"),
]


@pytest.mark.parametrize(("url", "name", "media_type"), TWICE, ids=[u for u, _, _ in TWICE])
def test_a_parameter_given_twice_is_a_400_naming_it(client, url, name, media_type):
    r = client.get(url, headers={"Accept": "text/html"})
    assert r.status_code == 400
    assert r.content_type.split(";")[0] == media_type
    assert f"{name} is given 2 times: give it once" in r.get_data(as_text=True)


def test_a_list_parameter_keeps_every_value_in_its_links(client):
    r = client.get("/api/neighborhood?node=miR-21&types=MicroRNA&types=Disease")
    assert r.status_code == 200
    kinds = {n["kind"] for n in r.json["nodes"]}
    assert kinds == {"MicroRNA", "Disease"}
    link = parse_qs(urlsplit(r.json["formats"]["csv"]).query)
    assert link["types"] == ["MicroRNA", "Disease"] and link["format"] == ["csv"]


@pytest.mark.parametrize("name", ["_external", "_anchor", "endpoint", "_method"])
def test_a_parameter_named_like_url_fors_own_is_no_argument_of_it(client, name):
    """``?_external=1`` reached ``url_for`` as its own argument: a TypeError, a 500. It
    is read by nothing, so the links leave it out (exokg.server.params.link)."""
    r = client.get(f"/api/neighborhood?node=miR-21&{name}=1")
    assert r.status_code == 200
    link = parse_qs(urlsplit(r.json["formats"]["csv"]).query)
    assert name not in link and link["node"] == ["miR-21"]
    assert client.get(f"/api/conflicts?{name}=1").status_code == 200


BAD_BYTES = [
    ("/?x=%FF", "text/html"),
    ("/query?query=%FF", "text/html"),
    ("/id/content/mir-21?page=%FF", "text/html"),
    ("/id/content/mir-21.json?page=%FF", "application/json"),
    ("/search?q=a%00b", "text/html"),
    ("/api/entities?q=%FF", "application/json"),
    ("/api/entities?q=a%00b", "application/json"),
    ("/sparql?query=ASK%7B%7D%00", "text/plain"),
]


@pytest.mark.parametrize(("url", "media_type"), BAD_BYTES, ids=[u for u, _ in BAD_BYTES])
def test_a_parameter_not_valid_utf8_or_holding_nul_is_a_400_in_the_pages_own_form(
        client, url, media_type):
    """Pages answered a parameter that is not UTF-8 with a JSON body; a NUL reached the
    search page's HTML (its title) as a raw byte."""
    r = client.get(url, headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.content_type.split(";")[0] == media_type
    text = r.get_data(as_text=True)
    assert "\x00" not in text
    assert "not valid UTF-8" in text or "a NUL character" in text


def test_a_nul_in_a_path_is_not_shown_raw(client):
    """The 404 page quoted the path asked for, NUL and all."""
    r = client.get("/id/content/mi%00r-21", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.content_type.startswith("text/html")
    assert "\x00" not in r.get_data(as_text=True) and "mi\ufffdr-21" in r.get_data(as_text=True)
