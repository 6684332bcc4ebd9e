"""How views show the data's texts (:mod:`exokg.display`): an error's suggestions name a
node by a name a view shows, or by its CURIE."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def long_named(tmp_path_factory):
    """An app over the review and a lab's protein whose name is 200,000 characters."""
    from exokg.server import create_app

    tmp = tmp_path_factory.mktemp("long")
    folder = tmp / "lab"
    folder.mkdir()
    name = "BIGP" + "x" * 199_996
    (folder / "entities.tsv").write_text(
        "id\tclass\tlabel\tprinted_as\talt_labels\tcomment\n"
        "ref/lab-1\tReference\tOur study\tLab 1\t\t\n"
        f"content/bigp\tProtein\t{name}\tBIGP\t\t\n", encoding="utf-8")
    (folder / "table2.tsv").write_text(
        "row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
        "function\tref\n1\tHCC\tProteins\tBIGP\tSerum (n = 12)\tUp\tSBI\tqRT-PCR\tgrowth\t"
        "Lab 1\n", encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(tmp / "store"),
                      "RECORDS_DIRS": [str(folder)], "EXECUTORS": 1})
    yield app.test_client()
    app.extensions["exokg.sparql"].close()


@pytest.mark.parametrize("path", [
    "/api/neighborhood?node=BIGPx", "/api/evidence?node=BIGPx",
    "/api/path?source=BIGPx&target=miR-21", "/id/content/bigpx", "/id/content/bigpx.json",
])
def test_an_error_s_suggestions_stay_small_and_usable(long_named, path):
    """Five 1 MiB labels made a 404 of 8 MB: a long name is suggested by its CURIE."""
    r = long_named.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 404, r.data[:300]
    assert len(r.data) < 20_000, len(r.data)
    text = r.get_data(as_text=True)
    assert "exoid:content/bigp" in text or "/id/content/bigp" in text, text[:500]
    if path.startswith("/api/"):
        suggestion = next(s for s in r.json["suggestions"] if "bigp" in s)
        found = long_named.get("/api/neighborhood", query_string={"node": suggestion})
        assert found.status_code == 200


def test_a_404_twin_s_suggestions_name_a_long_named_node_by_its_curie(long_named):
    """The page shows a suggestion as it shows any name; its JSON twin held it cut
    ("... (200,000 characters)"), a label no node has."""
    twin = long_named.get("/id/content/bigpx.json").json
    labels = [s["label"] for s in twin["suggestions"]]
    assert "exoid:content/bigp" in labels
    assert not any("characters)" in label for label in labels)
