"""``exokg serve``: the web service (SPARQL, API, Linked Data) under granian.

granian is a production HTTP server written in Rust: HTTP parsing, keep-alive and the
connection loop cost no Python, which matters when a query itself takes well under a
millisecond (on the review's graph, a gunicorn gthread worker spent more CPU per request
than the query). It serves the app over ASGI, through :class:`exokg.server.asgi.AsgiBridge`:
the app itself is WSGI (Flask), run in ``THREADS`` threads per worker, and the bridge
stops a request's query as soon as its client disconnects (granian's WSGI interface
gives no such sign, so a runaway query whose client left ran on to the time limit).

The store is prepared once, in the master process, before the workers start: built
from the bundled graph (or ``--data`` files) on first start and reused while the
data's hash is unchanged. Each worker (a forked process) then creates the app and
starts its own small pool of query executor processes before it serves; a worker that
dies is replaced, and its executors stop with it.

A large build (``EARLY_TRIPLES``) serves early: once its data is loaded, the workers
start on a copy of the loaded store (:func:`exokg.store.prepare_store`'s ``loaded_copy``)
while the artifacts and statistics are built. Meanwhile ``/sparql`` answers, what needs
the artifacts answers 503 with ``Retry-After`` (:class:`exokg.errors.StillBuilding`),
and so does ``/healthz``, so that a balancer sends nothing to a replica before it can
answer everything as the others do. When the build ends the workers are replaced, one
by one, by workers on the complete store (granian's graceful reload, what ``SIGHUP``
does too, on the same store: new data needs a restart); an old worker stops only once
its replacement has warmed up (:class:`exokg.cli._workers.ReadyServer`, which says what
it cannot prevent), so no connection is refused meanwhile. A build that fails stops the
server with its error.

Start-up faults end in one line on stderr and exit status 2, before anything is served:
a port out of range, a host that is not an address of this machine, a port another
process listens on (granian binds with ``SO_REUSEPORT``, which would silently share the
port with another server, so the address is first bound once without it).

Lifecycle: each worker asks the kernel for ``SIGTERM`` when its master dies (a master
killed with ``kill -9`` leaves no worker serving), closes its query executors when it
exits, and freezes the heap once after its warm-up (the app and the store are long-lived;
a frozen heap keeps full collections during requests short).

Memory: with glibc's defaults a worker's heap kept what its requests had freed, and
kept more the larger the data: after the same 600 requests (4 threads) a worker held
180 MB anonymous at 10^5 findings and 271 MB at 10^6. Two causes, two settings
(:func:`tune_malloc`, applied before the workers fork; the operator's own
``MALLOC_ARENA_MAX`` / ``MALLOC_MMAP_THRESHOLD_`` win): each thread that allocates gets an
arena of its own, up to 8 per core, so freed memory lay scattered over them; and glibc
raises its mmap threshold to the largest block freed, up to 32 MB, so large answer
buffers came from the heap and stayed there. With 2 arenas and a fixed 128 KiB
threshold: 132 MB at 10^5, 147 MB at 10^6 (benchmarks/RESULTS-scale.md, session 5).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import gc
import logging
import math
import multiprocessing.util
import os
import signal
import socket
import sys
import threading
from typing import Any

from exokg.cli._early import EVERY_WORKER_COMPLETE, SERVING_EARLY, EarlyBuild

__all__ = ["EVERY_WORKER_COMPLETE", "MALLOC_SETTINGS", "SERVING_EARLY", "ServeError",
           "check_address", "hold_port", "register", "serve", "tune_malloc"]

logger = logging.getLogger(__name__)

_EPILOG = """examples:
  exokg serve                                  # the review's graph on http://127.0.0.1:8080
  exokg serve --port 9000 --workers 4 --timeout 10
  exokg serve --data my.ttl other.nq           # publish your own RDF instead
  exokg serve --store /var/lib/exokg --records my-records/
  exokg serve --store-url http://127.0.0.1:7878/query   # a remote store ('exokg load')
  EXOKG_MAX_ROWS=50000 exokg serve             # every setting is also an EXOKG_* variable

then:
  curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 5' \\
       http://127.0.0.1:8080/sparql
"""

# flag dest -> setting name
_FLAGS = {"store": "STORE_DIR", "data": "DATA_FILES", "records": "RECORDS_DIRS",
          "workers": "WORKERS", "threads": "THREADS", "executors": "EXECUTORS",
          "memory_triples": "MEMORY_TRIPLES",
          "timeout": "QUERY_TIMEOUT", "drain_timeout": "DRAIN_TIMEOUT",
          "max_rows": "MAX_ROWS", "max_body": "MAX_BODY_BYTES",
          "cache_size": "CACHE_SIZE", "service_allow": "SERVICE_ALLOWLIST",
          "base_iri": "PUBLIC_BASE_IRI", "store_url": "STORE_URL"}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="serve SPARQL, the API and Linked Data over HTTP (granian)",
        description="Serve the knowledge graph: a SPARQL 1.1 endpoint at /sparql (service "
                    "description on GET without a query), VoID at /.well-known/void, "
                    "/healthz, and the API and Linked Data pages. Runs granian (a "
                    "production HTTP server); a query whose client disconnects is "
                    "stopped at once; every "
                    "option is also an EXOKG_<SETTING> environment variable.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    p.add_argument("--store", metavar="DIR",
                   help="folder for the on-disk store (default: ~/.cache/exokg/store)")
    p.add_argument("--store-url", metavar="URL",
                   help="serve a remote store: a SPARQL 1.1 Protocol endpoint holding ExoKG "
                        "data (see 'exokg load') instead of the embedded store")
    p.add_argument("--data", metavar="FILE", nargs="+", action="extend",
                   help="serve these RDF files (.ttl .nt .nq .trig .jsonld .rdf) instead of "
                        "the bundled graph")
    p.add_argument("--records", metavar="DIR", action="append",
                   help="a folder of your own records, added to the review's")
    p.add_argument("--workers", type=int, help="HTTP worker processes (default: 2)")
    p.add_argument("--threads", type=int, help="threads per worker (default: 4)")
    p.add_argument("--executors", type=int,
                   help="query executor processes per worker (default: 3)")
    p.add_argument("--memory-triples", type=int, metavar="N",
                   help="executors hold an in-memory copy of a store of at most N triples "
                        "(faster queries; default: 100000; 0: never)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="query time limit in seconds (default: 30)")
    p.add_argument("--drain-timeout", type=float, metavar="S",
                   help="on SIGTERM, seconds requests in flight may take to finish before "
                        "the workers are killed (default: the query time limit plus 5 s); "
                        "an export still streaming then is cut")
    p.add_argument("--max-rows", type=int, help="row cap of a result (default: 10000; 0: none)")
    p.add_argument("--max-body", type=int, metavar="BYTES",
                   help="largest request body (default: 1000000)")
    p.add_argument("--cache-size", type=int, help="results cached per worker (default: 512)")
    p.add_argument("--service-allow", metavar="URL", action="append",
                   help="a SPARQL endpoint SERVICE clauses may call (default: none)")
    p.add_argument("--base-iri", help="public base IRI (default: https://w3id.org/exokg/)")
    p.add_argument("--no-access-log", action="store_true", help="no access log lines")
    p.set_defaults(func=_serve)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    config = {setting: getattr(args, dest) for dest, setting in _FLAGS.items()
              if getattr(args, dest, None) is not None}
    if args.no_access_log:
        config["ACCESS_LOG"] = False
    return config


class ServeError(Exception):
    """A start-up fault of ``exokg serve`` (bad address, busy port): one line, exit 2."""


def check_address(host: str, port: int) -> None:
    """Check that ``host:port`` can be served: a port number, an address of this machine,
    and no other process listening there (:func:`hold_port` first closes the window in
    which another ``exokg serve`` is starting there but not listening yet).

    Raises
    ------
    ServeError
        naming the flag and the reason.
    """
    if not 1 <= port <= 65535:
        raise ServeError(f"--port {port}: a port is a number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise ServeError(f"--host {host}: not an address to listen on ({reason})") from None
    family, kind, proto, _, address = infos[0]
    hold_port(port)  # before the probe, which sees no server that is still starting
    # Bound without SO_REUSEPORT (granian's own socket sets it): a port another server
    # listens on is refused here instead of being shared with it.
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise ServeError(f"--port {port}: {host}:{port} is already in use by another "
                                 "process (is another server running?)") from None
            raise ServeError(f"--host {host} --port {port}: cannot listen there "
                             f"({err.strerror})") from None


#: Connections one worker holds at once (granian's ``backpressure``), idle ones included
#: (granian raises the process's open-file limit to its hard limit).
CONNECTIONS = 8192


#: The folder of this user's port locks: a fixed path (not $TMPDIR, which two servers of
#: one user may set apart), since the kernel shares a port between the user's processes.
_LOCK_ROOT = "/tmp"

#: The port locks this process holds (open files: a lock lasts while its file is open,
#: here and in the workers forked from here, which inherit it).
_PORT_LOCKS: list[Any] = []


def hold_port(port: int) -> None:
    """Take this user's lock on ``port`` (on whatever address) for the life of this server
    (this process and its workers), or raise :class:`ServeError` naming the ``exokg
    serve`` that holds it.

    The probe in :func:`check_address` sees a server that listens, not one still
    starting: granian binds only once its workers are up, and with ``SO_REUSEPORT``, so
    two servers started a second apart both bound the port and shared its connections,
    each answering from its own graph. A lock file per port (``flock``, in a folder of
    this user's under ``/tmp``: ``SO_REUSEPORT`` shares a port only within one user)
    closes that window. It is one per port, whatever the address: a server starting on
    ``0.0.0.0`` binds beside one on ``127.0.0.1`` and takes the port's other clients.
    The folder must be this user's own, not a link, and open to no one else, and the
    lock file is opened without following a link; else no lock is taken (logged), and
    the probe alone stands.
    """
    import fcntl
    import stat

    folder = os.path.join(_LOCK_ROOT, f"exokg-{os.getuid()}")
    name = f"port-{port}.lock"
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or \
                stat.S_IMODE(info.st_mode) & 0o077:
            logger.warning("%s is not a private folder of this user's: no lock on port %d",
                           folder, port)
            return
    except OSError as err:
        logger.warning("no lock on port %d (%s)", port, err.strerror or err)
        return
    path = os.path.join(folder, name)
    for _ in range(10):  # again if the file locked was removed by the server leaving it
        try:
            lock = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600), "r+")
        except OSError as err:
            logger.warning("no lock on port %d (%s)", port, err.strerror or err)
            return
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = lock.read().strip()[:20] or "?"
            lock.close()
            raise ServeError(f"--port {port}: port {port} is already in use by another "
                             f"exokg server (pid {holder}, starting or serving)") from None
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino:
                break
        lock.close()
    else:
        return
    lock.truncate(0)
    lock.write(str(os.getpid()))
    lock.flush()
    _PORT_LOCKS.append(lock)
    owner = os.getpid()

    def release() -> None:  # the server's own process only: its workers inherit this
        if os.getpid() == owner:
            with contextlib.suppress(OSError):
                os.unlink(path)  # removed while held: a server starting now locks afresh
            lock.close()

    atexit.register(release)


#: glibc malloc settings of the server's processes (see the module docs): the environment
#: variable, its ``mallopt`` parameter number (malloc.h) and value.
MALLOC_SETTINGS = (("MALLOC_ARENA_MAX", -8, 2), ("MALLOC_MMAP_THRESHOLD_", -3, 128 * 1024))


def tune_malloc() -> dict[str, int]:
    """Apply :data:`MALLOC_SETTINGS` to this process and the processes it starts; the
    settings applied here (``{}`` where the C library is not glibc).

    The environment (the operator's value, else ours) reaches processes started afresh
    (the query executors); ``mallopt`` applies it to this process, whose forks (the
    workers) keep it.

    >>> [name for name, _, _ in MALLOC_SETTINGS]
    ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']
    """
    import ctypes
    import ctypes.util

    values = {name: int(os.environ.setdefault(name, str(value)))
              for name, _, value in MALLOC_SETTINGS}
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return {}
    return {name: values[name] for name, param, _ in MALLOC_SETTINGS
            if mallopt(param, values[name]) == 1}


def _die_with(master: int) -> None:
    """Make this worker stop when its master process dies (even by ``kill -9``)."""
    # The fork inherited the master's SIGTERM handler, which would only flag the master's
    # (copied) loop: until granian installs the worker's own handler, SIGTERM ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # An orphan is killed, not asked to stop: granian's graceful stop of a worker could
    # wait on its master, which is gone (seen: workers alive 10 s after the master's kill
    # -9). Its executors then see their parent gone and exit too. A master's own stop
    # (SIGTERM to its workers) is not this path and stays graceful.
    from exokg.child import killed_with_parent

    if killed_with_parent():  # Linux
        if os.getppid() != master:  # the master died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)
        return

    def watch() -> None:  # elsewhere: poll, as the query executors do
        while os.getppid() == master:
            threading.Event().wait(1.0)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="exokg-master-watch", daemon=True).start()


def serve(config: dict[str, Any], *, host: str = "127.0.0.1", port: int = 8080) -> int:
    """Check the address, prepare the store, then run granian with ``config`` until
    stopped.

    Raises
    ------
    ServeError
        for a port out of range, a host not of this machine, or a busy port.
    ConfigError
        for a bad setting.
    """
    tune_malloc()  # first: before the imports and the store's preparation allocate
    # SIGHUP replaces the workers once they run (granian's handler); until then, while
    # the store is found or built (an hour at 10^6 findings), its default would kill
    # the master silently and leave the build half-done
    signal.signal(signal.SIGHUP, _hangup_before_serving)
    from exokg.cli._workers import ReadyServer
    from exokg.config import Config
    from exokg.prefetch import start_prefetch
    from exokg.server import create_app  # imported here, in the master: workers inherit it
    from exokg.server.asgi import AsgiBridge
    from exokg.store import find_store
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    settings = Config.load(config)
    check_address(host, port)
    build: EarlyBuild | None = None
    if settings.store_url:  # a remote store: read its version now (fails early if down)
        from exokg.sparql.remote import RemotePool

        info = RemotePool(settings.store_url, artifacts_dir=settings.store_dir).info()
        if not info.artifacts:
            print(f"exokg serve: warning: no artifacts for the remote store's data version "
                  f"{info.version} in {settings.store_dir}: SPARQL answers, but the pages, "
                  f"search and graph queries answer 503 until `exokg index --store-url "
                  f"{settings.store_url} --store {settings.store_dir}` builds them",
                  file=sys.stderr, flush=True)
    elif settings.store_path or not settings.store_dir or not settings.early_triples:
        info = find_store(settings.store_dir, store_path=settings.store_path,
                          data_files=settings.data_files, records_dirs=settings.records_dirs)
        settings = Config.load({**config, "STORE_PATH": info.path})
    else:
        build = EarlyBuild(settings)
        try:
            info = build.first()
        except BaseException:
            build.close()
            raise
        settings = Config.load({**config, "STORE_PATH": info.path})
    current = {"settings": settings, "info": info}  # what workers forked from now on serve
    access = logging.getLogger("exokg.access")
    if settings.access_log:
        access.setLevel(logging.INFO)
        if not access.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            access.addHandler(handler)
            access.propagate = False

    master = os.getpid()

    def load_app():  # runs in each worker, once forked
        _die_with(master)
        settings, info = current["settings"], current["info"]
        if not settings.store_url:  # the store's files, read ahead beside the warm-up
            # the data version's folder: the store and its artifacts
            start_prefetch(info.folder or info.path, share=settings.prefetch_share,
                           on_done=_read_ahead)
        app = create_app(settings)
        _warm_up(app)
        # a health check answers while slow requests hold every other thread
        bridge = AsgiBridge(app, threads=settings.threads, max_body=settings.max_body_bytes,
                            body_timeout=settings.body_timeout, own_thread=("/healthz",),
                            access_log=settings.access_log,
                            send_timeout=settings.send_timeout)
        server.ready()  # the worker this one replaces may stop now (exokg.cli._workers)
        return bridge

    drain = settings.drain_seconds
    # ASGI without lifespan events (the workers' set-up is load_app's); granian's
    # blocking threads run the event loop only (one), the bridge's pool runs the app
    server = ReadyServer(
        "exokg", address=host, port=port, interface=Interfaces.ASGINL,
        # HTTP/1 only: in "auto" mode granian reads a connection's first bytes (to tell
        # the two versions apart) before the header read timeout starts, so a connection
        # that sent nothing was never closed, and ~2,000 of them stopped the server
        http=HTTPModes.http1, http1_settings=HTTP1Settings(
            header_read_timeout=math.ceil(settings.header_timeout * 1000)),
        # idle connections count against a worker's backpressure until the header
        # timeout closes them: room for many (granian's default is backlog / workers)
        backpressure=CONNECTIONS, workers=settings.workers, blocking_threads=1,
        runtime_threads=1, backlog=4096, log_level=LogLevels.warning, log_access=False,
        # a replacement starts once ready (ReadyServer); the interval covers its bind
        respawn_failed_workers=True, respawn_interval=1.0,
        # SIGTERM: each worker stops accepting and finishes what is in flight; a query
        # started just before runs to its time limit, so the drain waits that long
        workers_kill_timeout=None if drain is None else math.ceil(drain))
    server.before_reload = lambda: _store_problem(current["info"])
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL writes it
    print(f"exokg: serving {info.triples} triples (data version {info.version}, store "
          f"{info.path}{', reused' if info.reused else ''}) at http://{shown}:{port}/sparql "
          f"with {settings.workers} workers", file=sys.stderr, flush=True)
    if build is not None and not info.complete:
        print(f"exokg: {SERVING_EARLY}, while its artifacts and statistics are built "
              "(pages, search and graph queries answer 503 until then)",
              file=sys.stderr, flush=True)
        threading.Thread(target=build.switch, args=(server, current, config), daemon=True,
                         name="exokg-store-switch").start()
    try:
        server.serve(target_loader=load_app, wrap_loader=False)
    finally:
        if build is not None:
            build.close()
    if build is not None and build.error is not None and not build.cancelled:
        from exokg.errors import ExoKGError

        if isinstance(build.error, ExoKGError):
            raise build.error
        raise ServeError(f"the store build failed: {build.error}")
    return 0


def _store_problem(info: Any) -> str | None:
    """Why the workers' store cannot be opened again (gone, damaged), or ``None``;
    checked before the workers are replaced. A remote store is its engine's to keep:
    only the artifacts built for it here (``--store``) are checked."""
    from exokg.store_layout import StoreDamaged, artifact_problem, check_store, open_store_info

    if not info.folder:
        return None
    if info.remote:
        return artifact_problem(info)
    try:
        check_store(open_store_info(info.folder, check=False), count=False)
    except StoreDamaged as err:
        return str(err)
    return None


def _hangup_before_serving(signum: int, frame: Any) -> None:
    with contextlib.suppress(OSError):  # a terminal hung up: stderr may be gone with it
        print("exokg: SIGHUP ignored: no worker runs yet to replace (the store is being "
              "prepared)", file=sys.stderr, flush=True)


def _read_ahead(report: dict[str, Any]) -> None:
    """A worker's line once the kernel was asked to read the store's files ahead."""
    print(f"exokg: worker {os.getpid()} read ahead {report['bytes'] / 1e6:.1f} MB of the "
          f"store's files in {report['folder']} ({report['files']} files; "
          f"{report['skipped']} not read: past "
          f"PREFETCH_SHARE of the available memory, or gone) in {report['seconds']:.2f} s",
          file=sys.stderr, flush=True)


def _warm_up(app) -> None:
    """A worker's start: executors, the warm-up requests (:mod:`exokg.server.warmup`:
    the first user request is no slower than the tenth), then one heap freeze (the graph
    queries read the store and its artifacts per request; no worker holds a graph of
    the whole store)."""
    from exokg.server.sparql import get_service

    service = get_service(app)
    # closed when this worker process exits (no lifespan events are asked of granian;
    # multiprocessing runs its finalizers as the worker ends)
    multiprocessing.util.Finalize(service, service.close, exitpriority=10)
    try:
        service.start()
    except Exception:  # noqa: BLE001 - the first request will retry and report
        logger.exception("warming up the worker failed")
    else:
        from exokg.server.warmup import warm_up

        report = warm_up(app)
        # a refused (4xx) warm-up request warmed less than meant: named, not hidden
        refused = "".join(f", {path} refused" for path in report["refused"])
        print(f"exokg: worker {os.getpid()} warmed up in {report['seconds']:.2f} s "
              f"({report['requests']} requests{refused}, {report['queries']} queries on "
              f"{report['executors']} executors)", file=sys.stderr, flush=True)
    gc.collect()
    gc.freeze()


def _serve(args: argparse.Namespace) -> int:
    try:
        return serve(_config(args), host=args.host, port=args.port)
    except ServeError as err:
        print(f"exokg serve: {err}", file=sys.stderr)
        return 2
