"""Shared helpers of the web tests (test_ui, test_ld, test_browser): a full-graph app and server.

The ``app``/``client`` fixtures of ``conftest.py`` may serve a small test graph; these
tests check the review's own answers, so they build the app over the bundled graph.
``site_url`` uses the ``live_server`` fixture (a real ``exokg serve`` process) when
``conftest.py`` provides it, else serves the app from a thread.

:class:`HttpClient` asks a real server what Flask's test client asks the app, and
answers as it does (``status_code``, ``mimetype``, ``data``, ``json``, ``headers``): the
tests written against the test client run unchanged against a real server, such as
``exokg serve --store-url`` (:func:`store_client`).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from exokg.server import create_app
from werkzeug.serving import make_server


def make_full_app(tmp_path_factory: pytest.TempPathFactory, **config):
    store = tmp_path_factory.mktemp("store")
    return create_app({"TESTING": True, "STORE_DIR": str(store), **config})


def data_client(folder, ntriples: str, **config):
    """Yield a test client of an app over a ``--data`` file of ``ntriples`` in ``folder``
    (one executor), closing its executors after."""
    data = folder / "data.nt"
    data.write_text(ntriples, encoding="utf-8")
    app = create_app({"TESTING": True, "STORE_DIR": str(folder / "store"),
                      "DATA_FILES": [str(data)], "EXECUTORS": 1, **config})
    yield app.test_client()
    app.extensions["exokg.sparql"].close()


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


class HttpResponse:
    """A :class:`requests.Response` read as Flask's test response is."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content
        self.mimetype = (response.headers.get("Content-Type") or "").split(";")[0].strip()

    @property
    def json(self) -> Any:
        return self.get_json()

    def get_json(self) -> Any:
        return self.response.json() if self.mimetype.endswith("json") else None

    def get_data(self, as_text: bool = False) -> bytes | str:
        return self.response.text if as_text else self.data


class HttpClient:
    """Flask's test client's ``get``/``post`` over HTTP to the server at ``base``; an
    absolute URL (a ``next`` link) keeps only its path and query."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()

    def _url(self, url: str) -> str:
        parts = urlsplit(url)
        return self.base + parts.path + (f"?{parts.query}" if parts.query else "")

    def open(self, method: str, url: str, *, headers: dict[str, str] | None = None,
             query_string: dict[str, Any] | None = None, **kwargs: Any) -> HttpResponse:
        return HttpResponse(self.session.request(method, self._url(url), headers=headers,
                                                 params=query_string, timeout=60, **kwargs))

    def get(self, url: str, **kwargs: Any) -> HttpResponse:
        return self.open("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> HttpResponse:
        return self.open("POST", url, **kwargs)


def store_client(request: pytest.FixtureRequest, store: str, embedded):
    """A client over the bundled graph in ``store`` (one of ``conftest.STORES``): the
    test client ``embedded()`` makes, or an :class:`HttpClient` of the real server over
    that remote store."""
    from conftest import server_for

    if store == "embedded":
        return embedded()
    return HttpClient(server_for(request, store))
