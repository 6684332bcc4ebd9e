"""What a built store folder holds, and the check that it is whole.

One data version is one folder, ``<store_dir>/<version>/``, holding::

    oxigraph/     the Oxigraph (RocksDB) store
    meta.json     what the store holds: version, triple count, sources, statistics
    artifacts/    one folder per artifact built from the store (search index, metrics ...)
    in-use.lock   a shared lock held by every process that has this version open

A folder only gets its name once all of it is written (see :mod:`exokg.store`), so a
folder that fails :func:`open_store_info` was damaged afterwards: on disk, by hand, or
by a disk that filled up under an older layout.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     try:
...         open_store_info(tmp)
...     except StoreDamaged as err:
...         "meta.json" in str(err)
True
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from exokg.errors import ConfigError, StillBuilding

__all__ = ["ARTIFACTS_DIR", "META_FILE", "OXIGRAPH_DIR", "StoreDamaged", "StoreInfo",
           "artifact_problem", "artifact_sizes", "check_store", "mark_checked",
           "open_store_info", "store_folder", "write_meta"]

logger = logging.getLogger(__name__)

OXIGRAPH_DIR = "oxigraph"
META_FILE = "meta.json"
ARTIFACTS_DIR = "artifacts"

#: Folders checked in this process (and the workers forked from it): checked once.
_CHECKED: set[str] = set()


class StoreDamaged(ConfigError):
    """A store folder that cannot be used as it is (missing, damaged or incomplete)."""


@dataclass
class StoreInfo:
    """A built store: where it is, which data it holds, and its statistics.

    ``path`` is the Oxigraph store (what :func:`exokg.store.open_store` opens);
    ``folder`` the data version's folder holding it, ``meta.json`` and the artifacts.
    ``complete`` is false for the copy of a store served while its artifacts and
    statistics are still being built (:func:`exokg.store.prepare_store`'s ``early``).
    """

    path: str
    version: str
    triples: int
    sources: list[str]
    built: str
    stats: dict[str, Any] = field(default_factory=dict)
    reused: bool = False
    folder: str = ""
    artifacts: list[str] = field(default_factory=list)
    complete: bool = True
    #: every file of ``artifacts/`` as built, by path under it: its size in bytes
    artifact_sizes: dict[str, int] = field(default_factory=dict)
    #: the :data:`~exokg.build_format.BUILD_FORMAT` it was built with (0: not recorded,
    #: a store of an ExoKG before format 11, or a remote engine's)
    build_format: int = 0
    #: the build's own name where its input may hold blank nodes ("": it holds none),
    #: whose names in the store are the build's (:mod:`exokg.blank_nodes`)
    build_id: str = ""

    @property
    def tag(self) -> str:
        """What ETags name the data by: its version, and its build where the names of its
        blank nodes are the build's own.

        >>> StoreInfo(path="", version="v", triples=0, sources=[], built="").tag
        'v'
        >>> StoreInfo(path="", version="v", triples=0, sources=[], built="", build_id="b").tag
        'v build b'
        """
        return f"{self.version} build {self.build_id}" if self.build_id else self.version

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def require_complete(self, what: str) -> None:
        """Raise :class:`~exokg.errors.StillBuilding` for ``what`` when the store is an
        early copy (see ``complete``).

        >>> StoreInfo(path="", version="v", triples=0, sources=[], built="",
        ...           complete=False).require_complete("the home page")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        exokg.errors.StillBuilding: the home page: the store is loaded and /sparql answers, ...
        """
        if not self.complete:
            raise StillBuilding(what)

    @property
    def remote(self) -> bool:
        """Whether the store is a remote engine's (its path is the endpoint's URL)."""
        return "://" in self.path

    def artifact_dir(self, name: str) -> Path:
        """The folder of the artifact ``name``, built with the store.

        >>> info = StoreInfo(path="/s/v/oxigraph", version="v", triples=0, sources=[],
        ...                  built="", folder="/s/v", artifacts=["search"])
        >>> str(info.artifact_dir("search"))
        '/s/v/artifacts/search'
        """
        if name not in self.artifacts:
            raise ConfigError(f"the store {self.folder} has no artifact {name!r}; it has: "
                              f"{', '.join(self.artifacts) or 'none'}")
        return Path(self.folder) / ARTIFACTS_DIR / name


def store_folder(path: Path | str) -> Path:
    """The data version's folder for ``path``: the folder itself or its ``oxigraph/``."""
    path = Path(path).expanduser()
    if path.name == OXIGRAPH_DIR and (path.parent / META_FILE).exists():
        return path.parent
    return path


def write_meta(folder: Path, info: StoreInfo) -> None:
    """Write ``meta.json`` of a store being built (the folder is renamed into place later),
    stamped with the build format that wrote it."""
    from exokg.build_format import BUILD_FORMAT  # it reads this module's layout names

    meta = {**info.to_dict(), "build_format": BUILD_FORMAT}
    for key in ("path", "folder", "reused"):
        meta.pop(key)
    if meta["complete"]:  # said of an early copy only: a built store's file is as before
        del meta["complete"]
    (folder / META_FILE).write_text(json.dumps(meta, indent=1))


def _read_meta(folder: Path) -> dict[str, Any]:
    meta_path = folder / META_FILE
    if not folder.is_dir():
        raise StoreDamaged(f"store {folder}: no such folder")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreDamaged(f"store {folder}: {META_FILE} is missing (an incomplete store, "
                           "or one of an older ExoKG)") from None
    except json.JSONDecodeError as err:
        raise StoreDamaged(f"store {folder}: {META_FILE} is not valid JSON ({err})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise StoreDamaged(f"store {folder}: {META_FILE} is unreadable ({err})") from None
    names = {f.name for f in fields(StoreInfo)}
    needed = {"version", "triples", "sources", "built"}
    if not isinstance(meta, dict) or not needed <= meta.keys() or \
            not isinstance(meta["triples"], int):
        raise StoreDamaged(f"store {folder}: {META_FILE} lacks {', '.join(sorted(needed))}")
    return {k: v for k, v in meta.items() if k in names}


def check_store(info: StoreInfo, *, count: bool = True) -> None:
    """Open the store read-only and read from every index; raise :class:`StoreDamaged`.

    RocksDB checks at open that CURRENT, the MANIFEST and every table file listed there
    exist with their recorded sizes and checksummed MANIFEST records (a truncated or
    missing ``.sst``, a missing CURRENT, a garbled MANIFEST all fail here). The triple
    count is compared with ``meta.json``, and one lookup per index (subject, predicate,
    object, graph; each resolving its terms' strings) reads a block of each. Every
    artifact file must have the size it was built with (``artifact_sizes``); a file
    rewritten to its own size is not seen (that would take reading every byte at each
    start). ``count`` false leaves out the count, a read of every triple (12 s at 10^6
    findings).
    """
    folder = Path(info.folder)
    try:
        store = ox.Store.read_only(info.path)
        triples = len(store) if count else info.triples
        # the first quad of the default graph and of a named graph, each looked up by its
        # subject, predicate and object: reads a block of every index and the strings
        graphs: list[ox.DefaultGraph | ox.NamedNode | ox.BlankNode] = [ox.DefaultGraph()]
        graphs += itertools.islice(store.named_graphs(), 1)
        for graph in graphs:
            for quad in itertools.islice(store.quads_for_pattern(None, None, None, graph), 1):
                by = store.quads_for_pattern
                for found in (by(quad.subject, None, None, graph),
                              by(None, quad.predicate, None, graph),
                              by(None, None, quad.object, graph)):
                    str(next(iter(found)))
        del store
    except (OSError, RuntimeError, ValueError) as err:
        raise StoreDamaged(f"store {folder}: the Oxigraph store is damaged: "
                           f"{str(err).splitlines()[0][:300]}") from None
    if triples != info.triples:
        raise StoreDamaged(f"store {folder}: holds {triples} triples, {META_FILE} says "
                           f"{info.triples}")
    for name in info.artifacts:
        if not (folder / ARTIFACTS_DIR / name).is_dir():
            raise StoreDamaged(f"store {folder}: artifact {name!r} is missing")
    # a file cut short (a crash, a full disk) or emptied was served as it was: pages 500,
    # and an adjacency read as empty answered neighbourhoods of one node, silently
    problem = artifact_problem(info)
    if problem is not None:
        raise StoreDamaged(problem)


def artifact_problem(info: StoreInfo) -> str | None:
    """What is wrong with the store's artifact files -- one gone, or not of the size it
    was built with (a stat per file) -- or ``None``: each is as built."""
    folder = Path(info.folder)
    for name, size in info.artifact_sizes.items():
        try:
            on_disk = (folder / ARTIFACTS_DIR / name).stat().st_size
        except OSError:
            return f"store {folder}: the artifact file {name} is missing"
        if on_disk != size:
            return f"store {folder}: the artifact file {name} holds {on_disk} bytes, {size} " \
                   "when built"
    return None


def artifact_sizes(folder: Path) -> dict[str, int]:
    """Every file of ``folder/artifacts/`` by its path there, with its size in bytes: what
    :func:`check_store` compares at each start (a stat per file)."""
    root = folder / ARTIFACTS_DIR
    return {path.relative_to(root).as_posix(): path.stat().st_size
            for path in sorted(root.rglob("*")) if path.is_file()}


def mark_checked(folder: Path | str) -> None:
    """Count the store in ``folder`` as checked in this process and the workers it forks
    (it was just built here: :func:`check_store` would read all of it again)."""
    _CHECKED.add(str(store_folder(folder)))


def open_store_info(path: Path | str, *, check: bool = True) -> StoreInfo:
    """The description of the built store at ``path`` (a version folder or its ``oxigraph/``).

    Parameters
    ----------
    path
        the data version's folder, or the Oxigraph store inside it.
    check
        run :func:`check_store` (once per process and its forked children).

    Raises
    ------
    StoreDamaged
        naming the folder and what is wrong with it.
    """
    from exokg.build_format import BUILD_FORMAT  # it reads this module's layout names

    folder = store_folder(path)
    meta = _read_meta(folder)
    built_with = meta.get("build_format") or 0
    if built_with != BUILD_FORMAT:
        # its artifacts are read by the layout of the format that wrote them: served by
        # this code, a graph query failed on the first read of one
        raise StoreDamaged(f"store {folder}: built by another ExoKG (build format "
                           f"{built_with or 'not recorded'}; this one reads format "
                           f"{BUILD_FORMAT})")
    info = StoreInfo(**{**meta, "path": str(folder / OXIGRAPH_DIR), "folder": str(folder),
                        "reused": True})
    if check and str(folder) not in _CHECKED:
        check_store(info)
        _CHECKED.add(str(folder))
    return info
