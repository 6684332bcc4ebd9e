"""The OpenAPI 3.1 description of the graph API (:mod:`exokg.server.api`), at ``/openapi.json``.

The description is a data file beside this module (``openapi.json``). What depends on the
server is filled in when it is served: the export formats (``format=`` names and aliases, and
one media type per format for the downloads of each operation whose 200 answer is marked
``x-exokg-download-formats``) as ``/api/formats`` lists them, so a new export format is
described as soon as it exists; and this server's largest ``depth`` and node ``limit``.
"""

from __future__ import annotations

import copy
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

__all__ = ["DOCUMENT", "bp", "init_app", "openapi_document", "served_document"]

logger = logging.getLogger(__name__)

#: The description as written (without what depends on the server).
DOCUMENT = Path(__file__).with_name("openapi.json")
_MARK = "x-exokg-download-formats"

bp = Blueprint("openapi", __name__)


@cache
def openapi_document() -> dict[str, Any]:
    """The description as written in ``openapi.json`` (cached: callers must not change it).

    >>> sorted(openapi_document()["paths"])[:2]
    ['/api/conflicts', '/api/entities']
    """
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def _export_formats() -> list[dict[str, Any]]:
    """The export formats, as ``/api/formats`` answers them (from the format registry)."""
    answer = current_app.view_functions["api.formats"]()
    if not isinstance(answer, Response):
        raise TypeError(f"/api/formats answered a {type(answer).__name__}, not a Response")
    return answer.get_json()["formats"]


def served_document() -> dict[str, Any]:
    """The description with this server's export formats and limits (in a request)."""
    doc = copy.deepcopy(openapi_document())
    formats = _export_formats()
    names = sorted({name for fmt in formats for name in (fmt["name"], *fmt["aliases"])})
    media_types = sorted({fmt["media_type"] for fmt in formats})
    parameters = doc["components"]["parameters"]
    parameters["format"]["schema"]["enum"] = ["json", *names]
    parameters["exportFormat"]["schema"]["enum"] = names
    settings = current_app.config
    parameters["depth"]["schema"]["maximum"] = max(1, min(int(settings.get("MAX_RADIUS") or 3), 3))
    for path, item in doc["paths"].items():
        for operation in item.values():
            answer = operation["responses"]["200"]
            if answer.pop(_MARK, False):
                for media_type in media_types:
                    answer["content"].setdefault(media_type, {"schema": {}})
            for parameter in operation["parameters"]:
                if path == "/api/neighborhood" and parameter.get("name") == "limit":
                    parameter["schema"]["maximum"] = max(int(settings.get("MAX_ROWS") or 10000),
                                                         1)
    return doc


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The description, for clients and tools (Swagger UI, schemathesis, code generators)."""
    response = jsonify(served_document())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def init_app(app: Flask) -> None:
    """Register ``/openapi.json``."""
    app.register_blueprint(bp)
