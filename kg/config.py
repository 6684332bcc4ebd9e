"""ExoKG's settings: one typed, frozen :class:`Config`, read once and passed down.

Every setting is a field of :class:`Config` (its name in upper case is the setting's
name; ``EXOKG_<NAME>`` its environment variable; the field's default and help are the
setting's). :meth:`Config.load` applies the defaults, then the environment, then the
given mapping (flags, a test's values); an unknown key or a value of the wrong type
raises :class:`exokg.errors.ConfigError` at startup.

>>> c = Config.load({"QUERY_TIMEOUT": 2}, environ={})
>>> c.query_timeout, c.max_rows, c.debug
(2.0, 10000, False)
>>> Config.load({"NOPE": 1}, environ={})
Traceback (most recent call last):
...
exokg.errors.ConfigError: unknown setting 'NOPE'
>>> Config.load({}, environ={"EXOKG_MAX_ROWS": "ten"})
Traceback (most recent call last):
...
exokg.errors.ConfigError: EXOKG_MAX_ROWS: expected int, got 'ten'
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exokg import review
from exokg.errors import ConfigError

__all__ = ["DRAIN_MARGIN", "ENV_PREFIX", "Config", "check_one_input", "default_store_dir",
           "resolved",
           "settings_table"]

ENV_PREFIX = "EXOKG_"

#: Seconds a stopping server waits beyond the query time limit (the answer's sending).
DRAIN_MARGIN = 5.0
#: The least memory a query executor is given (an in-memory copy of a store of
#: ``MEMORY_TRIPLES`` triples takes about 40 MB).
QUERY_MEMORY_FLOOR = 1 << 30
#: The most ``QUERY_MEMORY`` may say, in MB (16 TB; more overflows the kernel's limit).
QUERY_MEMORY_MAX = 1 << 24
#: The longest time limit, in seconds (a week): the standard library's waits overflow
#: past about 24.8 days (``OverflowError: timeout is too large``).
MAX_SECONDS = 7 * 86_400
#: The most processes and threads a server may be asked for: each executor is a
#: process with the store open, and a million of them was a fork storm.
MAX_PROCESSES = {"workers": 256, "threads": 1024, "executors": 256}
#: The most executor processes in all (``WORKERS`` times ``EXECUTORS``).
MAX_EXECUTORS = 1024

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _setting(default: Any, help: str) -> Any:  # noqa: A002 - the setting's help line
    return field(default=default, metadata={"help": help})


def resolved(name: str | Path, what: str) -> Path:
    """``name`` made absolute through its symbolic links; a
    :class:`~exokg.errors.ConfigError` naming it and ``what`` (its option) when they loop
    (Python's own error was a traceback).

    >>> import os, tempfile
    >>> loop = os.path.join(tempfile.mkdtemp(), "loop.nt")
    >>> os.symlink(loop, loop)
    >>> resolved(loop, "--data")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: --data .../loop.nt: its symbolic links lead round in a loop
    """
    try:
        return Path(name).resolve()
    except (RuntimeError, OSError):  # RuntimeError: Python 3.11's "Symlink loop"; ELOOP
        raise ConfigError(f"{what} {name}: its symbolic links lead round in a loop") from None


def check_one_input(data_files: Sequence[str], records_dirs: Sequence[str]) -> None:
    """Records folders add to the review's tables; RDF files are served instead of them:
    both at once is a :class:`~exokg.errors.ConfigError` (the records were silently left
    out, even a folder that does not exist).

    >>> check_one_input(["a.nt"], ["my-records"])
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: --records (RECORDS_DIRS) adds records to the review's tables, \
--data (DATA_FILES) serves RDF files instead of them: give one or the other
    >>> check_one_input([], ["lab", "./lab/"])
    Traceback (most recent call last):
    ...
    exokg.errors.ConfigError: --records (RECORDS_DIRS): ./lab/ is given twice (also as lab)
    """
    if data_files and records_dirs:
        raise ConfigError("--records (RECORDS_DIRS) adds records to the review's tables, "
                          "--data (DATA_FILES) serves RDF files instead of them: give one "
                          "or the other")
    # one input given twice (its rows said "defined twice" against themselves)
    for option, names in (("--data (DATA_FILES)", data_files),
                          ("--records (RECORDS_DIRS)", records_dirs)):
        seen: dict[Path, str] = {}
        for name in names:
            key = resolved(name, option)
            if key in seen:
                raise ConfigError(f"{option}: {name} is given twice (also as {seen[key]})")
            seen[key] = name


def default_store_dir() -> str:
    """The per-user cache folder for stores: ``$XDG_CACHE_HOME/exokg/store``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "exokg" / "store")


@dataclass(frozen=True)
class Config:
    """Every setting of ExoKG, typed; build it with :meth:`load` (or directly).

    Paths are ``str`` (or ``None``), lists are tuples of ``str``. ``store_dir`` is
    resolved to :func:`default_store_dir` when not given; it and ``store_path`` are made
    absolute.
    """

    store_dir: str | None = _setting(
        None, "folder of the on-disk store (default: ~/.cache/exokg/store); a store per "
        "data version is kept inside")
    store_path: str | None = _setting(
        None, "a built store to open as is (set by 'exokg serve' for its workers; default: "
        "found or built in STORE_DIR)")
    data_files: tuple[str, ...] = _setting(
        (), "RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) to serve instead "
        "of the bundled graph")
    records_dirs: tuple[str, ...] = _setting(
        (), "folders of your own records, added to the review's when the bundled graph is "
        "built (not with DATA_FILES)")
    store_url: str | None = _setting(
        None, "a SPARQL 1.1 Protocol endpoint holding ExoKG data (loaded by 'exokg load') to "
        "serve instead of the embedded store")
    store_timeout_param: str = _setting(
        "", "the remote store's own time-limit request parameter, sent in ms (Virtuoso: "
        "'timeout'; Oxigraph server has none: start it with --timeout-s)")
    page_rows: int = _setting(
        250_000, "rows per part when 'exokg index' reads a remote store (each read is "
        "split by a hash of its rows' first values into parts of about this many): keep it "
        "well under the engine's own answer cap (Virtuoso: ResultSetMaxRows, and 1,048,576 "
        "over HTTP whatever that says; it undercounts large aggregates, so its parts come "
        "out up to 2.2x their share); each "
        "part costs the engine a whole evaluation of the read (0: unsplit)")
    query_timeout: float = _setting(
        30.0, "seconds a SPARQL query may run before it is stopped")
    export_timeout: float = _setting(
        3600.0, "seconds a whole-graph export (a store dump or the rows of a network "
        "format) may stream before it is stopped; exports are not cut at MAX_ROWS (0: no "
        "limit)")
    export_files: bool = _setting(
        True, "keep each whole-graph export as a file in its data version's folder: written "
        "once, by one executor at the store's speed, then read from the file by every client "
        "(resumable with Range; sent without holding a request thread); written only "
        "while the disk keeps 1 GiB plus 400 bytes per triple free. false: every export "
        "streams from the store, holding an executor while its client reads")
    drain_timeout: float = _setting(
        0.0, "seconds a stopping server (SIGTERM) lets requests in flight finish before it "
        "kills its workers; 0: QUERY_TIMEOUT plus 5 s (no limit when QUERY_TIMEOUT is 0). "
        "Exports still streaming then are cut")
    max_rows: int = _setting(
        10000, "most rows (or triples) a result returns; a cut result says so (0: no cap)")
    max_answer_bytes: int = _setting(
        64 << 20, "bytes an answer cut at MAX_ROWS may take (it is held whole to be cut): a "
        "larger one is refused (422) rather than held in memory (0: no limit; with MAX_ROWS "
        "0, answers stream and neither applies)")
    max_body_bytes: int = _setting(1_000_000, "largest request body accepted (413 beyond)")
    cache_size: int = _setting(
        512, "results kept in each worker's result cache (0: no cache)")
    cache_max_bytes: int = _setting(
        64_000_000, "bytes the result cache of one worker may hold")
    workers: int = _setting(2, "HTTP worker processes")
    threads: int = _setting(4, "request threads per worker")
    executors: int = _setting(
        3, "query executor processes per worker (each can be killed at the time limit); "
        "with 3 or more, users' queries leave one to the pages' and the API's own, and "
        "whole-graph exports stream at most all but two at once (at least one)")
    body_timeout: float = _setting(
        30.0, "seconds a request's body may take to arrive (then 408)")
    header_timeout: float = _setting(
        30.0, "seconds a client may take to send a request's headers, from the connection's "
        "start or its previous answer; then the connection is closed (so a balancer must "
        "keep an idle connection to the server for less)")
    send_timeout: float = _setting(
        300.0, "seconds a client's connection may take no more of an answer; then the client "
        "is dropped and its query or export stopped (0: no limit). The wait covers the "
        "system's send buffer (up to a few MB) draining, so a reader slower than about "
        "5 KB/s may be dropped")
    busy_timeout: float = _setting(
        2.0, "seconds queries wait for a query executor while none frees (each runs a query "
        "started before); then those waiting, and each new query until one frees, answer 503 "
        "with Retry-After, so that slow queries never hold every request thread (0: wait up "
        "to the time limit)")
    query_memory: int = _setting(
        0, "MB of memory one query may take in its executor, beyond what the executor held "
        "before it (a query past it answers 503); 0: half of this machine's (or its "
        "container's) memory over every executor of every worker, at least 1024")
    memory_triples: int = _setting(
        100_000, "query executors copy a store of at most this many triples into memory "
        "(queries 2-4x faster; ~0.4 KB per triple per executor; 0: never)")
    early_triples: int = _setting(
        1_000_000, "a store built by `serve` of at least this many triples answers SPARQL as "
        "soon as it is loaded, while its artifacts and statistics are built (pages, search "
        "and graph queries answer 503 until then; 0: never)")
    prefetch_share: float = _setting(
        0.5, "share of the memory available at start that a worker may fill with the "
        "store's files, read ahead in the background so that first requests do not wait "
        "for the disk (artifacts first, then the store; 0: never)")
    service_allowlist: tuple[str, ...] = _setting(
        (), "SPARQL endpoints a SERVICE clause may call (default: none; SERVICE is refused)")
    public_base_iri: str = _setting(
        review.BASE_IRI, "the public base IRI of the data")
    trusted_hosts: tuple[str, ...] = _setting(
        (), "host names the service answers to (ports aside; '.example.org' takes its "
        "subdomains too): pages and answers name the host a request was sent to, so a "
        "request whose Host header names another is a 400 (default: any; a Host that is "
        "no name or address with an optional port is a 400 whatever the setting: letters, "
        "digits, dots and hyphens, so a container name with an underscore, `exokg_web`, "
        "is one; HTTP/1.0 may send none, and the service then names itself)")
    max_radius: int = _setting(3, "largest neighbourhood radius the API serves")
    access_log: bool = _setting(True, "log one structured line per request")
    log_queries: bool = _setting(
        False, "list in each access-log line the SPARQL queries the request issued "
        "(for benchmarks and debugging)")
    debug: bool = _setting(False, "debug mode (never in production)")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = _check(_KINDS[f.name], getattr(self, f.name), f.name.upper())
            object.__setattr__(self, f.name, value)
        for name in ("query_timeout", "export_timeout", "drain_timeout", "busy_timeout",
                     "send_timeout", "max_rows", "max_answer_bytes", "page_rows",
                     "max_body_bytes", "cache_size", "cache_max_bytes", "max_radius",
                     "memory_triples", "early_triples", "prefetch_share", "query_memory"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.upper()} must not be negative, got "
                                  f"{getattr(self, name)!r}")
        if self.prefetch_share > 1:
            raise ConfigError(f"PREFETCH_SHARE is a share of memory, from 0 to 1, got "
                              f"{self.prefetch_share!r}")
        if self.query_memory > QUERY_MEMORY_MAX:
            raise ConfigError(f"QUERY_MEMORY is at most {QUERY_MEMORY_MAX} MB, got "
                              f"{self.query_memory!r}")
        for name in ("body_timeout", "header_timeout"):  # must arrive in some time
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.upper()} must be above 0, got "
                                  f"{getattr(self, name)!r}")
        for name in ("query_timeout", "export_timeout", "drain_timeout", "body_timeout",
                     "busy_timeout", "send_timeout", "header_timeout"):
            if getattr(self, name) > MAX_SECONDS:
                raise ConfigError(f"{name.upper()} is at most {MAX_SECONDS:,} s (a week), "
                                  f"got {getattr(self, name)!r}")
        for name, most in MAX_PROCESSES.items():
            if not 1 <= getattr(self, name) <= most:
                raise ConfigError(f"{name.upper()} must be from 1 to {most}, got "
                                  f"{getattr(self, name)!r}")
        if self.workers * self.executors > MAX_EXECUTORS:
            raise ConfigError(f"WORKERS times EXECUTORS is at most {MAX_EXECUTORS} executor "
                              f"processes, got {self.workers} x {self.executors}")
        check_one_input(self.data_files, self.records_dirs)
        _check_base_iri(self.public_base_iri)
        for endpoint in self.service_allowlist:  # else each query would look the name up
            if not endpoint.startswith(("http://", "https://")):
                raise ConfigError(f"SERVICE_ALLOWLIST: expected http(s) endpoint IRIs, got "
                                  f"{endpoint!r}")
        if not self.store_dir:
            object.__setattr__(self, "store_dir", default_store_dir())
        for name in ("store_dir", "store_path"):
            # as the process's folder names them: Flask's send_file reads a relative path
            # against the package's folder (a relative --store sent no kept export's file)
            if getattr(self, name):
                object.__setattr__(self, name, os.path.abspath(getattr(self, name)))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The settings' names (``STORE_DIR``, ``MAX_ROWS`` ...), in table order."""
        return tuple(f.name.upper() for f in dataclasses.fields(cls))

    @classmethod
    def load(cls, values: Mapping[str, Any] | None = None, *,
             environ: Mapping[str, str] | None = None) -> Config:
        """The settings from defaults, then ``EXOKG_*`` environment variables, then
        ``values`` (by setting name: flags, a test's mapping).

        Parameters
        ----------
        values
            setting names (``MAX_ROWS`` ...) to values.
        environ
            the environment to read (default: ``os.environ``).

        Raises
        ------
        ConfigError
            for an unknown key, a value of the wrong type, or a limit out of range.
        """
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        for name in cls.names():
            raw = env.get(ENV_PREFIX + name)
            if raw is not None:
                kwargs[name.lower()] = _from_env(_KINDS[name.lower()], raw, ENV_PREFIX + name)
        for key, value in (values or {}).items():
            if key.lower() not in _KINDS or key != key.upper():
                raise ConfigError(f"unknown setting {key!r}")
            kwargs[key.lower()] = _check(_KINDS[key.lower()], value, key)
        return cls(**kwargs)

    @property
    def busy_patience(self) -> float | None:
        """``BUSY_TIMEOUT`` for the query runners (``None``: 0, no bound but the time limit).

        >>> Config.load({}, environ={}).busy_patience
        2.0
        >>> Config.load({"BUSY_TIMEOUT": 0}, environ={}).busy_patience is None
        True
        """
        return self.busy_timeout or None

    @property
    def query_memory_bytes(self) -> int:
        """The memory one query may take in its executor (:mod:`exokg.sparql._executor`
        watches it): ``QUERY_MEMORY`` MB, else half of this machine's memory (or its
        container's: :func:`exokg.machine.memory`) over every executor of every worker (at least
        :data:`QUERY_MEMORY_FLOOR`), so that the executors' worst queries at once leave
        the machine the other half.

        >>> Config.load({"QUERY_MEMORY": 1500}, environ={}).query_memory_bytes
        1572864000
        >>> Config.load({}, environ={}).query_memory_bytes >= QUERY_MEMORY_FLOOR
        True
        """
        if self.query_memory:
            return self.query_memory << 20
        from exokg.machine import memory

        return max(QUERY_MEMORY_FLOOR, memory() // 2 // (self.workers * self.executors))

    @property
    def drain_seconds(self) -> float | None:
        """Seconds a stopping server waits for requests in flight (``None``: no limit):
        ``DRAIN_TIMEOUT``, else the query time limit plus :data:`DRAIN_MARGIN`, so that
        a query running when the server is told to stop still completes.

        >>> Config.load({"QUERY_TIMEOUT": 30}, environ={}).drain_seconds
        35.0
        >>> Config.load({"DRAIN_TIMEOUT": 120}, environ={}).drain_seconds
        120.0
        """
        if self.drain_timeout:
            return self.drain_timeout
        return self.query_timeout + DRAIN_MARGIN if self.query_timeout else None

    def as_mapping(self) -> dict[str, Any]:
        """Every setting by its name (``{"MAX_ROWS": 10000, ...}``)."""
        return {f.name.upper(): getattr(self, f.name) for f in dataclasses.fields(self)}


def _kind(hint: Any) -> str:
    if hint is bool:
        return "bool"
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if hint is str:
        return "str"
    if typing.get_origin(hint) is tuple:
        return "list"
    return "path"  # str | None


_KINDS: dict[str, str] = {name: _kind(hint)
                          for name, hint in typing.get_type_hints(Config).items()}


def _from_env(kind: str, raw: str, where: str) -> Any:
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ConfigError(f"{where}: expected {kind}, got {raw!r}") from None
    if kind == "bool":
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        raise ConfigError(f"{where}: expected bool (true/false), got {raw!r}")
    if kind == "list":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind == "path":
        return raw or None
    return raw


def _check_base_iri(iri: str) -> None:
    """Refuse a public base IRI the store would refuse as a query's base, or that
    is not an ``http(s)`` IRI ending in ``/`` (pages' paths are appended to it).

    >>> _check_base_iri("https://kg.example.org/exo/")
    >>> _check_base_iri("kg.example.org/")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ConfigError: PUBLIC_BASE_IRI: expected an http(s) IRI ending in /, got 'kg.example.org/'
    """
    import pyoxigraph as ox

    try:
        ox.Store().query("ASK {}", base_iri=iri)
        ok = iri.startswith(("http://", "https://")) and iri.endswith("/")
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"PUBLIC_BASE_IRI: expected an http(s) IRI ending in /, got {iri!r}")


def _check(kind: str, value: Any, where: str) -> Any:
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "path": value is None or isinstance(value, str | os.PathLike),
        "list": isinstance(value, list | tuple)
        and all(isinstance(v, str | os.PathLike) for v in value),
    }[kind]
    if not ok:
        raise ConfigError(f"{where}: expected {kind}, got {value!r}")
    if kind == "float":
        if not math.isfinite(value):  # a time limit of inf or nan bounds nothing
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if kind == "path":
        return None if value is None else str(value)
    if kind == "list":
        return tuple(str(v) for v in value)
    return value


def settings_table() -> str:
    """The settings as the README's Markdown table (``tests/test_readme.py`` checks it)."""
    lines = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(Config):
        default = list(f.default) if isinstance(f.default, tuple) else f.default
        lines.append(f"| {f.name.upper()} | {ENV_PREFIX}{f.name.upper()} | {default!r} | "
                     f"{f.metadata['help']} |")
    return "\n".join(lines)
