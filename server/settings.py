"""ExoKG's settings: one typed table, read once, passed down.

Every setting is a row of :data:`SETTINGS` (name, default, help, type), as Datasette
does. :func:`load_settings` applies the defaults, then ``EXOKG_<NAME>`` environment
variables, then the given mapping (flags or a test's config). An unknown key or a
value of the wrong type raises :class:`exokg.errors.ConfigError` at startup.

>>> s = load_settings({"QUERY_TIMEOUT": 2}, environ={})
>>> s["QUERY_TIMEOUT"], s["MAX_ROWS"], s["DEBUG"]
(2.0, 10000, False)
>>> load_settings({"NOPE": 1}, environ={})
Traceback (most recent call last):
...
exokg.errors.ConfigError: unknown setting 'NOPE'
>>> load_settings({}, environ={"EXOKG_MAX_ROWS": "ten"})
Traceback (most recent call last):
...
exokg.errors.ConfigError: EXOKG_MAX_ROWS: expected int, got 'ten'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exokg.errors import ConfigError

__all__ = ["SETTINGS", "Setting", "default_store_dir", "load_settings", "settings_table"]

ENV_PREFIX = "EXOKG_"


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, a help line and its type.

    ``type`` is one of ``int``, ``float``, ``bool``, ``str``, ``list`` (a list of
    strings; comma-separated in the environment) or ``path`` (a ``str`` or ``None``).
    """

    name: str
    default: Any
    help: str
    type: str = "str"


def default_store_dir() -> str:
    """The per-user cache folder for stores: ``$XDG_CACHE_HOME/exokg/store``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "exokg" / "store")


#: Every setting the service knows; other modules add rows here.
SETTINGS: tuple[Setting, ...] = (
    Setting("STORE_DIR", None, "folder of the on-disk store (default: "
            "~/.cache/exokg/store); a store per data version is kept inside", "path"),
    Setting("STORE_PATH", None, "a built store to open as is (set by 'exokg serve' for its "
            "workers; default: found or built in STORE_DIR)", "path"),
    Setting("DATA_FILES", [], "RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) "
            "to serve instead of the bundled graph", "list"),
    Setting("RECORDS_DIRS", [], "folders of your own records, added to the review's when the "
            "bundled graph is built", "list"),
    Setting("QUERY_TIMEOUT", 30.0, "seconds a SPARQL query may run before it is stopped", "float"),
    Setting("MAX_ROWS", 10000, "most rows (or triples) a result returns; a cut result says so "
            "(0: no cap)", "int"),
    Setting("MAX_BODY_BYTES", 1_000_000, "largest request body accepted (413 beyond)", "int"),
    Setting("CACHE_SIZE", 512, "results kept in each worker's result cache (0: no cache)", "int"),
    Setting("CACHE_MAX_BYTES", 64_000_000, "bytes the result cache of one worker may hold",
            "int"),
    Setting("WORKERS", 2, "HTTP worker processes", "int"),
    Setting("THREADS", 4, "request threads per worker", "int"),
    Setting("EXECUTORS", 3, "query executor processes per worker (each can be killed at the "
            "time limit)", "int"),
    Setting("MEMORY_TRIPLES", 100_000, "query executors copy a store of at most this many "
            "triples into memory (queries 2-4x faster; ~0.4 KB per triple per executor; "
            "0: never)", "int"),
    Setting("SERVICE_ALLOWLIST", [], "SPARQL endpoints a SERVICE clause may call (default: "
            "none; SERVICE is refused)", "list"),
    Setting("PUBLIC_BASE_IRI", "https://w3id.org/exokg/", "the public base IRI of the data",
            "str"),
    Setting("MAX_RADIUS", 3, "largest neighbourhood radius the API serves", "int"),
    Setting("ACCESS_LOG", True, "log one structured line per request", "bool"),
    Setting("DEBUG", False, "debug mode (never in production)", "bool"),
)

_BY_NAME = {s.name: s for s in SETTINGS}

# Flask's own keys (TESTING, SECRET_KEY, ...) pass through unchecked.
_FLASK_KEYS = frozenset({
    "TESTING", "SECRET_KEY", "SERVER_NAME", "APPLICATION_ROOT", "PREFERRED_URL_SCHEME",
    "PROPAGATE_EXCEPTIONS", "TRAP_HTTP_EXCEPTIONS", "TRAP_BAD_REQUEST_ERRORS",
    "MAX_CONTENT_LENGTH", "SEND_FILE_MAX_AGE_DEFAULT", "JSON_SORT_KEYS", "SESSION_COOKIE_NAME",
    "TEMPLATES_AUTO_RELOAD", "EXPLAIN_TEMPLATE_LOADING", "USE_X_SENDFILE", "ENV",
})

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _from_env(setting: Setting, raw: str, where: str) -> Any:
    kind = setting.type
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
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind == "path":
        return raw or None
    return raw


def _check(setting: Setting, value: Any, where: str) -> Any:
    kind = setting.type
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
        return float(value)
    if kind == "path":
        return None if value is None else str(value)
    if kind == "list":
        return [str(v) for v in value]
    return value


def load_settings(config: Mapping[str, Any] | None = None, *,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from defaults, then ``EXOKG_*`` environment variables, then ``config``.

    Parameters
    ----------
    config
        setting names to values (flags, a test's mapping); Flask's own keys pass through.
    environ
        the environment to read (default: ``os.environ``).

    Returns
    -------
    dict
        every setting by name, typed; ``STORE_DIR`` resolved to a folder.

    Raises
    ------
    ConfigError
        for an unknown key, a value of the wrong type, or a negative limit.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        default = setting.default
        values[setting.name] = list(default) if isinstance(default, list) else default
        raw = env.get(ENV_PREFIX + setting.name)
        if raw is not None:
            values[setting.name] = _from_env(setting, raw, ENV_PREFIX + setting.name)
    for key, value in (config or {}).items():
        if key in _FLASK_KEYS:
            values[key] = value
            continue
        setting = _BY_NAME.get(key)
        if setting is None:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _check(setting, value, key)
    for name in ("QUERY_TIMEOUT", "MAX_ROWS", "MAX_BODY_BYTES", "CACHE_SIZE",
                 "CACHE_MAX_BYTES", "MAX_RADIUS", "MEMORY_TRIPLES"):
        if values[name] < 0:
            raise ConfigError(f"{name} must not be negative, got {values[name]!r}")
    for name in ("WORKERS", "THREADS", "EXECUTORS"):
        if values[name] < 1:
            raise ConfigError(f"{name} must be at least 1, got {values[name]!r}")
    if not values["STORE_DIR"]:
        values["STORE_DIR"] = default_store_dir()
    return values


def settings_table() -> str:
    """The settings as a Markdown table (for the README and ``--help``)."""
    lines = ["| setting | environment | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| {s.name} | {ENV_PREFIX}{s.name} | {s.default!r} | {s.help} |")
    return "\n".join(lines)
