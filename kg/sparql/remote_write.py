"""Writing to a remote store: one HTTP request, a SPARQL Update, and which version a
derived graph holds.

``exokg load`` writes a version graph and switches to it; ``exokg index`` writes the
graphs it derives from a version (the metrics' named graph
<https://w3id.org/exokg/graph/metrics>, whose public name users query). A derived graph
is one graph in the engine, shared by every version, so the control graph
(:data:`~exokg.sparql.remote.CONTROL_GRAPH`) stamps which version it holds now
(``<derived graph> HOLDS <version graph>``): readers expose it only while that is the
version they serve (:func:`exokg.sparql.remote.read_current`), and ``exokg index`` takes
the stamp away before it writes the graph and puts it back, naming its version, once the
graph is whole (:func:`unpublish`, :func:`publish`).
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from urllib.parse import urlencode, urljoin, urlsplit

from exokg.errors import ExoKGError
from exokg.sparql.remote import (
    CONTROL_GRAPH,
    HOLDS,
    REFRESH,
    VIRTUOSO,
    RemoteEndpoint,
    RemoteUnavailable,
)

__all__ = ["graph_store_endpoint", "http_request", "publish", "sparql_literal", "sparql_update",
           "unpublish"]

logger = logging.getLogger(__name__)


def graph_store_endpoint(update_url: str, given: str | None = None, engine: str = "") -> str:
    """The Graph Store Protocol endpoint that ``exokg load`` and ``exokg index`` write
    through: ``given``, else the engine's own beside its update endpoint (``engine`` as
    :func:`~exokg.sparql.remote.check_engine` names it from the ``Server`` header):
    Virtuoso's ``sparql-graph-crud``, Oxigraph server's ``store``.

    >>> graph_store_endpoint("http://127.0.0.1:7878/update")
    'http://127.0.0.1:7878/store'
    >>> graph_store_endpoint("http://h:8890/sparql", engine="Virtuoso")
    'http://h:8890/sparql-graph-crud'
    >>> graph_store_endpoint("http://h/sparql", "http://h/graphs", engine="Virtuoso")
    'http://h/graphs'
    """
    if given:
        return given
    # Virtuoso answers a PUT to Oxigraph's path with 501, and only after exokg index has
    # built every artifact. The engine, known from its Server header, names its own (a
    # proxy that rewrites the header hides it: then --graph-store-url names the endpoint)
    return urljoin(update_url, "sparql-graph-crud" if engine == VIRTUOSO else "store")


def http_request(method: str, url: str, *, body, headers: dict[str, str],
                 timeout: float) -> bytes:
    """Send one request (a write: Graph Store ``PUT``/``POST``, SPARQL Update) and return
    the answer's body.

    Raises
    ------
    RemoteUnavailable
        when the engine cannot be reached.
    ExoKGError
        when it answers 3xx or above (its message kept).
    """
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""),
                     body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
    except (OSError, http.client.HTTPException) as err:
        raise RemoteUnavailable(f"{method} {url} failed: {err}") from None
    finally:
        conn.close()
    if resp.status >= 300:
        raise ExoKGError(f"{method} {url} answered {resp.status}: "
                         f"{data[:500].decode(errors='replace')}")
    return data


def sparql_update(update_url: str, update: str, timeout: float) -> None:
    """Run a SPARQL Update on the engine (one request: Oxigraph runs it as one
    transaction)."""
    http_request("POST", update_url, body=urlencode({"update": update}).encode(),
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 timeout=timeout)


def sparql_literal(text: str) -> str:
    """``text`` as a SPARQL string literal.

    >>> sparql_literal('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    return json.dumps(text)  # a JSON string is a valid SPARQL string literal


def _holds(endpoint: RemoteEndpoint, graph: str, timeout: float) -> str | None:
    rows = endpoint.select(f"SELECT ?v WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ <{graph}> "
                           f"<{HOLDS}> ?v }} }}", timeout=timeout)
    return next((r[0].value for r in rows if r[0] is not None), None)


def unpublish(endpoint: RemoteEndpoint, update_url: str, graph: str, *,
              timeout: float, grace: float = REFRESH + 1.0) -> None:
    """Take away the stamp of the derived ``graph`` before it is written: no reader
    exposes it from then on. A reader reads the stamps again every
    :data:`~exokg.sparql.remote.REFRESH` seconds, so when the graph was stamped this
    waits ``grace`` seconds: none still exposes it once writing starts."""
    if _holds(endpoint, graph, timeout) is None:
        return
    sparql_update(update_url, f"DELETE WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ <{graph}> "
                              f"<{HOLDS}> ?v }} }}", timeout)
    logger.info("<%s> is being written: unpublished; waiting %.1f s for readers", graph,
                grace)
    time.sleep(grace)


def publish(graphs: list[str], version_graph: str) -> str:
    """The update that stamps each of ``graphs`` as holding ``version_graph`` (sent with
    the version's facts, in one request)."""
    return " ;\n".join(
        f"DELETE WHERE {{ GRAPH <{CONTROL_GRAPH}> {{ <{g}> <{HOLDS}> ?v }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{CONTROL_GRAPH}> {{ <{g}> <{HOLDS}> <{version_graph}> }} }}"
        for g in graphs)
