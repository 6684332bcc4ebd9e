"""The OpenAPI description of the graph API (/openapi.json), and the API fuzzed against it.

schemathesis generates requests from the description and sends them to a real server
(``live_server``): no answer may be a 5xx, and every answer must match the description
(status code, content type, body schema; errors as ``{"ok": false, "error": ...}``).
Examples are bounded (30 per operation, no deadline), so the run stays well under a minute.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from exokg.server.openapi import openapi_document
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection


@pytest.fixture(scope="module")
def document(live_server):
    answer = requests.get(f"{live_server}/openapi.json", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer.json()


def test_the_description_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_api_route_is_described_and_nothing_else(app, document):
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert routes == set(document["paths"])


def test_download_media_types_are_the_formats_of_the_registry(live_server, document):
    formats = requests.get(f"{live_server}/api/formats", timeout=30).json()["formats"]
    media_types = {f["media_type"] for f in formats} | {"application/json"}
    for path in ("/api/neighborhood", "/api/path", "/api/export"):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == media_types, path


@pytest.fixture(scope="module")
def api_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server}/openapi.json")


def _fuzz(operation, mode, **checks) -> None:
    """Send ``operation`` 30 generated requests (derandomized) and check every answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(timeout=30, **checks)

    run()


#: Every operation with valid requests; those with parameters also with invalid ones.
RUNS = [pytest.param(path, mode, id=f"{path}-{'valid' if valid else 'invalid'}")
        for path, item in sorted(openapi_document()["paths"].items())
        for valid, mode in ((True, GenerationMode.POSITIVE), (False, GenerationMode.NEGATIVE))
        if valid or item["get"]["parameters"]]


#: Driven by hand with hypothesis: schemathesis's pytest plugin does not run under pytest 9.
@pytest.mark.parametrize(("path", "mode"), RUNS)
def test_api_answers_as_described(api_schema, path, mode):
    _fuzz(api_schema[path]["GET"], mode)


@pytest.mark.parametrize("path", ["/api/entities", "/api/rank"])
def test_invalid_kinds_are_rejected_when_fuzzed(api_schema, path):
    _fuzz(api_schema[path]["GET"], GenerationMode.NEGATIVE, checks=[negative_data_rejection])


@pytest.mark.parametrize("url", ["/api/neighborhood?node=miR-21&types=Nonsense",
                                 "/api/neighborhood?node=miR-21&predicates=foo:bar",
                                 "/api/entities?q=mir&type=Banana",
                                 "/api/rank?type=Banana"])
def test_an_unknown_kind_or_predicate_is_400_naming_the_known_ones(live_server, url):
    answer = requests.get(live_server + url, timeout=30)
    assert answer.status_code == 400
    body = answer.json()
    assert body["ok"] is False and "known" in body["error"]


def test_an_unknown_api_route_is_a_json_404(live_server):
    answer = requests.get(f"{live_server}/api/nothing-here", timeout=30)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["ok"] is False
