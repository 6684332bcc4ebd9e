"""Shared helpers of the web tests (test_ui, test_ld, test_browser): a full-graph app and server.

The ``app``/``client`` fixtures of ``conftest.py`` may serve a small test graph; these
tests check the review's own answers, so they build the app over the bundled graph.
``site_url`` uses the ``live_server`` fixture (a real ``exokg serve`` process) when
``conftest.py`` provides it, else serves the app from a thread.
"""

from __future__ import annotations

import threading

import pytest
from exokg.server import create_app
from werkzeug.serving import make_server


def make_full_app(tmp_path_factory: pytest.TempPathFactory, **config):
    store = tmp_path_factory.mktemp("store")
    return create_app({"TESTING": True, "STORE_DIR": str(store), **config})


def thread_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def site_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Yield the base URL of a running ExoKG server over the bundled graph."""
    try:
        url = request.getfixturevalue("live_server")
    except pytest.FixtureLookupError:
        url = None
    if url is not None:
        yield str(getattr(url, "url", url)).rstrip("/")
        return
    server, url = thread_server(make_full_app(tmp_path_factory))
    try:
        yield url
    finally:
        server.shutdown()
