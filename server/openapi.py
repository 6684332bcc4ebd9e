"""The OpenAPI 3.1 description of the graph API (:mod:`exokg.server.api`), at ``/openapi.json``.

The description is a data file beside this module (``openapi.json``). The media types of the
file downloads (``format=``) and the format names are not repeated there: they come from the
registry (:data:`exokg.formats.FORMATS`), so a new export format is described as soon as it
exists. Each operation whose 200 answer is marked ``x-exokg-download-formats`` gets one entry
per graph format's media type, and the ``format`` parameters list the names and aliases.
"""

from __future__ import annotations

import copy
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify

__all__ = ["DOCUMENT", "bp", "init_app", "openapi_document"]

logger = logging.getLogger(__name__)

#: The description as written (without the download media types).
DOCUMENT = Path(__file__).with_name("openapi.json")
_MARK = "x-exokg-download-formats"

bp = Blueprint("openapi", __name__)


def _graph_formats() -> list[Any]:
    from exokg.formats import FORMATS
    from exokg.io import GRAPH_KINDS

    return [fmt for fmt in FORMATS.values() if fmt.kind in GRAPH_KINDS]


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document served at ``/openapi.json`` (cached: callers must not change it).

    >>> openapi_document()["openapi"]
    '3.1.0'
    """
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    formats = _graph_formats()
    media_types = sorted({fmt.media_type for fmt in formats})
    names = sorted({name for fmt in formats for name in (fmt.name, *fmt.aliases)})
    parameters = doc["components"]["parameters"]
    parameters["format"]["schema"]["enum"] = ["json", *names]
    parameters["exportFormat"]["schema"]["enum"] = names
    for item in doc["paths"].values():
        for operation in item.values():
            answer = operation["responses"]["200"]
            if answer.pop(_MARK, False):
                for media_type in media_types:
                    answer["content"].setdefault(media_type, {"schema": {}})
    return doc


def _with_limits(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` with this server's limits: the largest depth and node limit."""
    doc = copy.deepcopy(doc)
    settings = current_app.config
    depth = doc["components"]["parameters"]["depth"]["schema"]
    depth["maximum"] = max(1, min(int(settings.get("MAX_RADIUS") or 3), 3))
    for parameter in doc["paths"]["/api/neighborhood"]["get"]["parameters"]:
        if parameter.get("name") == "limit":
            parameter["schema"]["maximum"] = max(int(settings.get("MAX_ROWS") or 10000), 1)
    return doc


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The description, for clients and tools (Swagger UI, schemathesis, code generators)."""
    response = jsonify(_with_limits(openapi_document()))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def init_app(app: Flask) -> None:
    """Register ``/openapi.json``."""
    app.register_blueprint(bp)
