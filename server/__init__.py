"""ExoKG's web service: a Flask app factory with one blueprint per surface.

The store is found or built on the first request, not here:

>>> import tempfile
>>> app = create_app({"TESTING": True, "STORE_DIR": tempfile.mkdtemp()})
>>> sorted(app.blueprints)
['api', 'health', 'ld', 'openapi', 'sparql', 'ui']
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from exokg.config import Config
from exokg.release import include_code
from exokg.server import etags
from flask import Flask

__all__ = ["BLUEPRINT_MODULES", "FLASK_KEYS", "create_app"]

include_code(__name__)  # the views and templates are code: ETags change with them

#: Each module has ``init_app(app)``, which registers its blueprint(s); all must import.
BLUEPRINT_MODULES = ("exokg.server.errors", "exokg.server.sparql", "exokg.server.health",
                     "exokg.server.api", "exokg.server.ld", "exokg.server.ui",
                     "exokg.server.openapi")

#: Flask's own keys (TESTING, SECRET_KEY, ...): they pass through to ``app.config``.
FLASK_KEYS = frozenset({
    "TESTING", "SECRET_KEY", "SERVER_NAME", "APPLICATION_ROOT", "PREFERRED_URL_SCHEME",
    "PROPAGATE_EXCEPTIONS", "TRAP_HTTP_EXCEPTIONS", "TRAP_BAD_REQUEST_ERRORS",
    "MAX_CONTENT_LENGTH", "SEND_FILE_MAX_AGE_DEFAULT", "JSON_SORT_KEYS", "SESSION_COOKIE_NAME",
    "TEMPLATES_AUTO_RELOAD", "EXPLAIN_TEMPLATE_LOADING", "USE_X_SENDFILE", "ENV",
})


def create_app(config: Mapping[str, Any] | Config | None = None) -> Flask:
    """Create the app: settings from defaults, then ``EXOKG_*`` env, then ``config``
    (a :class:`~exokg.config.Config`, or setting names to values plus Flask's keys).

    Raises
    ------
    ConfigError
        for an unknown setting or a value of the wrong type.
    ImportError
        when a blueprint module does not import (never skipped silently).
    """
    from exokg.server.middleware import Middleware

    flask_keys: dict[str, Any] = {}
    if not isinstance(config, Config):
        values = dict(config or {})
        flask_keys = {k: values.pop(k) for k in list(values) if k in FLASK_KEYS}
        config = Config.load(values)
    from exokg.server.json_provider import OrjsonProvider

    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    # the settings by name too, for templates and extensions that read app.config
    app.config.from_mapping({**config.as_mapping(), **flask_keys})
    # TRUSTED_HOSTS is held by the middleware, in front of both doors (the /sparql fast
    # path too); Flask's own check of that key would refuse the worker's warm-up requests
    app.config["TRUSTED_HOSTS"] = flask_keys.get("TRUSTED_HOSTS")
    app.extensions["exokg.config"] = config
    for name in BLUEPRINT_MODULES:
        importlib.import_module(name).init_app(app)
    etags.init_app(app)  # the ETag rule of every cacheable GET/HEAD
    app.wsgi_app = Middleware(app.wsgi_app,  # type: ignore[method-assign]
                              access_log=config.access_log,
                              log_queries=config.log_queries,
                              trusted_hosts=config.trusted_hosts)
    return app
