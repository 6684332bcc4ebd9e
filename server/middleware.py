"""The one WSGI middleware around the whole app: security headers, CORS, the access log.

It wraps everything else (the ``/sparql`` fast path and Flask), so every response,
whichever door answered it, gets the same headers and one access-log line.

- A request whose Host is not one of ``TRUSTED_HOSTS`` (when set), or not a host name or
  address with an optional port at all (``a"><b>``, ``x/../y``, empty), is a 400 before
  any route runs: pages, links and the service description name the host a request was
  sent to, and a shared cache that does not key on it would keep a poisoned one.
- Security headers on every response: ``X-Content-Type-Options: nosniff``, a
  Content-Security-Policy allowing only the site's own scripts, styles, images and
  fetches (no inline script; pages keep their data in ``<script type=application/json>``
  blocks, which are data, not script), and ``Referrer-Policy``.
- CORS on the SPARQL surface (``/sparql``, ``/.well-known/void``, ``/healthz``), as the
  protocol's browser clients need.
- The request's cancellation token (``environ["exokg.cancel"]``, set by
  :class:`exokg.server.asgi.AsgiBridge`) bound to the request's context, so that every
  query the request issues (pages and the API too) stops when its client disconnects.
- The URL's query string decoded once, for every route: a parameter whose name or value
  is not UTF-8 (``%FF``) is refused with a 400 naming it (:func:`query_params`), before any
  route reads it (werkzeug would have read it as U+FFFD, a silent wrong answer).
- The access log (``exokg.access``, one JSON line per request, written once the body is
  sent so that a streamed answer's row count is known; status 499 for a request whose
  client hung up before its body was done, whatever status went ahead of the body). A
  surface that ran a SPARQL query puts its :class:`~exokg.sparql.QueryAnswer` in
  ``environ[ANSWER_KEY]``.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from exokg.chunks import close_chunks
from exokg.errors import InvalidQuery
from exokg.server.asgi import CANCEL_KEY, SENT_KEY
from exokg.sparql.cancel import use_token
from exokg.sparql.service import start_recording
from werkzeug.exceptions import BadHost, SecurityError
from werkzeug.routing import Map
from werkzeug.sansio.utils import host_is_trusted
from werkzeug.urls import uri_to_iri
from werkzeug.wsgi import get_host

__all__ = ["ANSWER_KEY", "CORS_HEADERS", "CORS_PATHS", "CYTOSCAPE_STYLE_HASH",
           "SECURITY_HEADERS", "Middleware", "query_params"]

access_logger = logging.getLogger("exokg.access")


#: A map with no rules: binding it to a host is how Flask's link building reads the host.
_NO_RULES = Map()


def _is_host(value: str) -> bool:
    """Whether a Host header's value is a name or address with an optional port, by
    werkzeug's rules: the syntax its links are built with (they name an empty host,
    "http:///api/...", for any other value), a name IDNA can encode (a label of more than
    63 characters or an empty one made link building fail), and one whose IRI form can
    be read ("xn--e-ss" is no punycode: the pages' ETags failed on it). Each of those
    was a 500 on every page.

    A name outside ASCII is sent in its IDNA form (``xn--mnchen-3ya.de``):

    >>> [_is_host(h) for h in ("example.org:8080", "[::1]", "xn--mnchen-3ya.de", "a_b",
    ...                        "a..b", "a" * 64, "xn--e-ss.com", "münchen.de")]
    [True, True, True, False, False, False, False, False]
    """
    if not host_is_trusted(value, None):
        return False
    try:
        _NO_RULES.bind(value)
        uri_to_iri(f"http://{value}/")
    except (BadHost, UnicodeError, ValueError):
        return False
    return True


def _host(environ: dict[str, Any]) -> str | None:
    """The request's Host, or None where it named none. granian gives a request with no
    Host an empty one; HTTP/1.0 needs none (RFC 9112, section 3.2), nor does a balancer's
    health check (HAProxy's `option httpchk` sends HTTP/1.0 without one), so an empty Host
    there is none; on HTTP/1.1 it stays the bad value it is.

    >>> _host({"HTTP_HOST": "", "SERVER_PROTOCOL": "HTTP/1.0", "PATH_INFO": "/"}) is None
    True
    >>> _host({"HTTP_HOST": "", "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/"})
    ''
    """
    host = environ.get("HTTP_HOST")
    if host == "" and (environ.get("SERVER_PROTOCOL") == "HTTP/1.0"
                       or environ.get("PATH_INFO") == "/healthz"):
        return None
    return host


#: Where a surface leaves the query answer it sent, for the access log.
ANSWER_KEY = "exokg.answer"

CORS_PATHS = frozenset({"/sparql", "/.well-known/void", "/healthz"})
CORS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, Accept, If-None-Match, If-Match"),
    ("Access-Control-Expose-Headers", "ETag, X-Result-Truncated, X-Result-Max-Rows, "
                                      "X-ExoKG-Data-Version"),
    ("Access-Control-Max-Age", "86400"),
)
#: Cytoscape.js inserts one <style> element, ``.__________cytoscape_container { position:
#: relative; }``, into the page; this hash allows exactly that one and no other inline style
#: (YASQE and the pages set styles through the CSSOM, which style-src does not govern).
CYTOSCAPE_STYLE_HASH = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' " + CYTOSCAPE_STYLE_HASH
     + "; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
     "form-action 'self'; frame-ancestors 'none'"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)


@functools.lru_cache(maxsize=256)
def query_params(query_string: str) -> tuple[tuple[str, str], ...]:
    """The parameters of a WSGI ``QUERY_STRING`` (the URL's bytes as Latin-1 text), in
    order, blank ones kept, percent-escapes decoded as UTF-8.

    Memoized: percent-decoding a long query costs ~0.1 ms in Python, and clients repeat
    the same query strings.

    Raises
    ------
    InvalidQuery
        naming the first parameter whose name or value is not UTF-8.

    Examples
    --------
    >>> query_params("q=mi%52&limit=")
    (('q', 'miR'), ('limit', ''))
    >>> query_params("limit=5&q=%FF%FE")
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: URL parameter 'q' is not valid UTF-8 (byte 0xff)
    >>> query_params("q=a%00b")
    Traceback (most recent call last):
    ...
    exokg.errors.InvalidQuery: URL parameter 'q' holds a NUL character (%00)
    """
    params: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        try:
            raw = part.encode("latin-1")
            params += parse_qsl(raw.decode(), keep_blank_values=True, errors="strict")
        except UnicodeError as err:
            name = unquote_to_bytes(part.partition("=")[0].replace("+", " ").encode(
                "latin-1", "replace")).decode("utf-8", "replace")
            where = f" (byte 0x{err.object[err.start]:02x})" if isinstance(
                err, UnicodeDecodeError) else ""
            raise InvalidQuery(f"URL parameter {name!r} is not valid UTF-8{where}") from None
    for name, value in params:
        if "\x00" in name or "\x00" in value:  # no text holds one; HTML pages cannot
            raise InvalidQuery(f"URL parameter {name.replace(chr(0), '?')!r} holds a NUL "
                               "character (%00)")
    return tuple(params)


class _Logged:
    """``body``, its failure noted in ``cut`` (and raised), closed and its access-log line
    written when the server closes it: once, whether it was read to its end, broke off,
    or was closed before its first chunk (a generator's ``finally`` would not run then).
    """

    def __init__(self, body: Iterable[bytes], write: Callable[[], None],
                 cut: list[tuple[str, int]]) -> None:
        self._body, self._write, self._cut = body, write, cut
        self._chunks: Iterator[bytes] | None = None
        self._closed = False

    def __iter__(self) -> _Logged:
        return self

    def __next__(self) -> bytes:
        try:
            if self._chunks is None:
                self._chunks = iter(self._body)
            return next(self._chunks)
        except StopIteration:
            raise
        except Exception as err:
            self._cut.append((str(err) or type(err).__name__, getattr(err, "status", 500)))
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close_chunks(self._body)
        finally:
            self._write()


class Middleware:
    """WSGI middleware adding the security and CORS headers and writing the access log.

    Parameters
    ----------
    app
        the WSGI app it wraps (the fast path in front of Flask).
    access_log
        write one ``exokg.access`` line per request (the ``ACCESS_LOG`` setting).
    log_queries
        list in that line the SPARQL queries the request issued through the library's
        read path (the ``LOG_QUERIES`` setting; the scale benchmark replays them against
        a peer engine).
    """

    def __init__(self, app: Callable, *, access_log: bool, log_queries: bool = False,
                 trusted_hosts: tuple[str, ...] = ()) -> None:
        self.app, self.access_log, self.log_queries = app, access_log, log_queries
        self.trusted_hosts = list(trusted_hosts)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.monotonic()
        path = environ.get("PATH_INFO", "")
        extra = SECURITY_HEADERS + CORS_HEADERS if path in CORS_PATHS else SECURITY_HEADERS
        status_line = ["000"]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_line[0] = status
            present = {key.lower() for key, _ in headers}
            headers.extend(item for item in extra if item[0].lower() not in present)
            return start_response(status, headers, exc_info)

        if _host(environ) is None:  # read as none from here on: links name the server
            environ.pop("HTTP_HOST", None)
        cancel = environ.get(CANCEL_KEY)
        use_token(cancel)  # the bridge runs each request in its own context
        issued = start_recording() if self.log_queries else None
        body: Iterable[bytes] = (self.app if self._trusted(environ) else _untrusted)(
            environ, start)
        if not (self.access_log and access_logger.isEnabledFor(logging.INFO)):
            return body

        cut: list[tuple[str, int]] = []  # why a streamed body failed, and its status
        sent = environ.get(SENT_KEY)  # whether the status went out (the ASGI bridge's)

        def write() -> None:
            status = int(status_line[0][:3])
            if cancel is not None and cancel.cancelled:
                # the client hung up before the body was done (a 200 sent ahead of a
                # streamed export is not what it got): 499, "client closed request"
                status = 499
            entry: dict[str, Any] = {"method": environ.get("REQUEST_METHOD"), "path": path,
                                     "status": status,
                                     "ms": round((time.monotonic() - started) * 1000, 2)}
            if cut and status != 499:
                if sent is None or sent():
                    entry["cut"] = cut[0][0]  # the status went out; the body broke off
                else:  # nothing went out: the bridge answers the error's own status
                    entry["status"] = cut[0][1]
            answer = environ.get(ANSWER_KEY)
            if answer is not None:
                entry["rows"] = answer.info.get("rows")
                entry["cache"] = answer.info.get("cache")
                if answer.truncated:
                    entry["truncated"] = True
            if issued is not None:
                entry["queries"] = [q["query"] for q in issued]
                entry["query_ms"] = round(sum(q["ms"] for q in issued), 2)
            access_logger.info(json.dumps(entry))

        if isinstance(body, list):  # sent in one go: the server need not iterate in Python
            write()
            return body
        return _Logged(body, write, cut)

    def _trusted(self, environ: dict[str, Any]) -> bool:
        """Whether the request's Host is a host[:port] and one of ``TRUSTED_HOSTS`` (any,
        when none are set)."""
        host = environ.get("HTTP_HOST")  # none (see _host): the server's own name is used
        if host is not None and not _is_host(host):
            return False
        # /healthz names no host, and a balancer's check may send any, or none (HAProxy's
        # `option httpchk` without a Host header)
        if not self.trusted_hosts or environ.get("PATH_INFO") == "/healthz":
            return True
        try:
            get_host(environ, trusted_hosts=self.trusted_hosts)
        except SecurityError:
            return False
        return True


def _untrusted(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
    """The 400 of a request whose Host is not trusted: before any route, which would name
    that host in its links (a shared cache could keep the page for everyone)."""
    from exokg.server.errors import error_reply

    host = environ.get("HTTP_HOST")
    if host is None:
        host = environ.get("SERVER_NAME", "")
    err = InvalidQuery(f"this service does not answer to the host {host!r} (TRUSTED_HOSTS)"
                       if _is_host(host) else f"the Host header {host!r} is not a host "
                       "name or address with an optional port (RFC 9112, section 3.2)")
    status, headers, body = error_reply(err, method=environ.get("REQUEST_METHOD", ""),
                                        path=environ.get("PATH_INFO", ""),
                                        accept=environ.get("HTTP_ACCEPT"))
    start_response(f"{status} Bad Request", [*headers.items(),
                                             ("Content-Length", str(len(body)))])
    return [body]
