"""One rule for whole-number arguments (:mod:`exokg.bounds`), the same through the API,
the pages and the Python functions."""

from __future__ import annotations

import networkx as nx
import pytest
from exokg.algorithms import neighborhood
from exokg.bounds import integer_in
from exokg.errors import InvalidQuery


@pytest.mark.parametrize("value", ["0", "4", "-1", "1.0", " 2", "2 ", "1_0", "\u0662", "9" * 19,
                                   "", 0, 4, True, 2.0, None])
def test_what_is_not_an_integer_in_range_is_refused_naming_both(value):
    with pytest.raises(InvalidQuery) as err:
        integer_in("depth", value, 1, 3)
    assert str(err.value) == f"depth must be an integer from 1 to 3, not {value!r}"
    assert err.value.status == 400


@pytest.mark.parametrize(("value", "number"), [("1", 1), ("3", 3), ("-0", 0), (2, 2)])
def test_integers_in_range_are_taken(value, number):
    assert integer_in("depth", value, -1, 3) == number


@pytest.mark.parametrize(("url", "message"), [
    ("/api/neighborhood?node=miR-21&depth=9", "depth must be an integer from 1 to 3, not '9'"),
    ("/api/rank?limit=%EF%BC%95", "limit must be an integer from 1 to 1000, not '５'"),
    ("/id/content/mir-21.json?page=7", "page must be an integer from 1 to 1, not '7'"),
    ("/search.json?q=mir&page=x", "page must be an integer from 1 to"),
])
def test_http_parameters_follow_the_rule(client, url, message):
    r = client.get(url)
    assert r.status_code == 400, r.data[:300]
    assert r.json["error"].startswith(message), r.json


def test_python_functions_follow_the_rule():
    G = nx.MultiDiGraph([("a", "b")])
    with pytest.raises(InvalidQuery, match="depth must be an integer from 1 to 3, not 0"):
        neighborhood(G, "a", depth=0)


def test_python_functions_take_what_the_rule_takes():
    """The rule read "2" as 2 and the functions went on with "2" (a TypeError)."""
    from exokg.algorithms import k_shortest_paths, rank

    G = nx.MultiDiGraph([("a", "b"), ("b", "c")])
    for n in G:
        G.nodes[n].update(label=n, kind="Disease")
    assert set(neighborhood(G, "a", depth="2").nodes) == {"a", "b", "c"}  # type: ignore[arg-type]
    assert len(rank(G, "degree", limit="2")) == 2  # type: ignore[arg-type]
    assert len(k_shortest_paths(G, "a", "c", k="1")) == 1  # type: ignore[arg-type]
