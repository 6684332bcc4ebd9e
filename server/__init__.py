"""ExoKG's web service: a Flask app factory with one blueprint per surface.

>>> app = create_app({"TESTING": True})  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["BLUEPRINT_MODULES", "create_app"]

#: Each module has ``init_app(app)``, which registers its blueprint(s).
BLUEPRINT_MODULES = ("exokg.server.errors", "exokg.server.sparql", "exokg.server.api",
                     "exokg.server.ld", "exokg.server.ui", "exokg.server.openapi")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app: settings from defaults, then ``EXOKG_*`` env, then ``config``."""
    from exokg.server.settings import load_settings

    app = Flask(__name__)
    app.config.from_mapping(load_settings(config))
    for name in BLUEPRINT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue
        module.init_app(app)
    return app
