"""The app's JSON (orjson through Flask's provider) is the JSON Flask's own encoder
writes: the same values, keys sorted, compact."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest
from flask.json.provider import DefaultJSONProvider

VALUES = [
    {"b": 1, "a": [1.5, 1e-05, -0.0, True, None], "é": "miR-21 – ß"},
    {"nodes": [{"id": "x", "alt_labels": ("a", "b"), "refNumber": 28}]},
    {"big": 2**70, "date": datetime.date(2026, 11, 28),
     "when": datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC),
     "n": decimal.Decimal("1.25"), "id": uuid.UUID(int=7)},
    {2: "int keys", 1: "as text"},
]


@pytest.mark.parametrize("value", VALUES)
def test_same_json_as_flasks_encoder(app, value):
    ours = app.json.dumps(value)
    theirs = DefaultJSONProvider(app).dumps(value)
    assert json.loads(ours) == json.loads(theirs)
    assert list(json.loads(ours)) == sorted(json.loads(ours))


def test_api_answers_are_sorted_compact_utf8(client):
    response = client.get("/api/neighborhood?node=miR-21&depth=1")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b'{"center":') and b'": ' not in body[:200]
    assert json.loads(body)["ok"] is True


def test_unencodable_values_still_fail_as_before(app):
    with pytest.raises(TypeError):
        app.json.dumps({"s": {1, 2}})
