"""The identity of the running code, and the one strong ETag built on it.

A body the service sends follows the code as well as the data (a serializer, a page
template, a default cap), so a strong ETag must change with either. The store's data
version follows only the inputs and the declared build format (:mod:`exokg.build_format`:
a code change that writes the same store keeps it), so the code enters here instead:
:func:`code_version` hashes the package version, the versions of the packages it runs on
and the bytes of every file of the installed package, once per process. Two replicas on
the same install and data thus give the same ETag for the same URL, and an upgrade that
keeps the store still renews every ETag.

The package's folders: ``exokg`` and its bundled ``exokg.data`` and ``exokg.ontology``
(in a wheel, one folder holding every subpackage; in an editable install, the folders
``pyproject.toml`` maps). A layer above the library (the web service) adds its own folder
with :func:`include_code`, so its templates and views count as code too.

>>> make_etag("v1", "/id/content/mir-21") == make_etag("v1", "/id/content/mir-21")
True
>>> make_etag("v1", "/a") != make_etag("v2", "/a") != make_etag("v1", "/b")
True
>>> make_etag("v1", "/a")[0] == make_etag("v1", "/a")[-1] == '"'
True
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import re
import sys
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

from exokg import __version__
from exokg.store import tree_digests

__all__ = ["CODE_PACKAGES", "code_version", "include_code", "make_etag"]

logger = logging.getLogger(__name__)

#: The import packages whose files are the code (the library's own; see :func:`include_code`).
CODE_PACKAGES: list[str] = ["exokg", "exokg.data", "exokg.ontology"]

_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9._-]+")


def include_code(package: str) -> None:
    """Count the files of the import package ``package`` as code from now on (a layer
    above the library names its own package when it is imported)."""
    if package not in CODE_PACKAGES:
        CODE_PACKAGES.append(package)


def code_version() -> str:
    """A short hash of the running code: the package version, the Python version, the
    versions of the installed requirements, and the name and bytes of every file of the
    packages of :data:`CODE_PACKAGES` (read once per process and set of packages).

    >>> code_version() == code_version()
    True
    >>> len(code_version())
    16
    """
    return _code_version(tuple(CODE_PACKAGES))


@functools.cache
def _code_version(packages: tuple[str, ...]) -> str:
    digest = hashlib.sha256(f"exokg {__version__}\x00python {sys.version_info[:2]}".encode())
    for requirement in _requirements():
        digest.update(b"\x00" + requirement.encode())
    for folder in _folders(packages):
        digest.update(b"\x00" + folder.name.encode())
        for chunk in tree_digests(folder):
            digest.update(chunk)
    code = digest.hexdigest()[:16]
    logger.info("code version %s (exokg %s, packages %s)", code, __version__,
                ", ".join(packages))
    return code


def _requirements() -> list[str]:
    """``name==version`` of each runtime requirement installed (their writers make bodies)."""
    try:
        declared = requires("exokg") or []
    except PackageNotFoundError:  # run from a checkout without installing
        declared = []
    out = []
    for line in declared:
        found = _REQUIREMENT_NAME.match(line)
        if "extra ==" in line or found is None:
            continue
        try:
            out.append(f"{found.group()}=={version(found.group())}")
        except PackageNotFoundError:
            out.append(f"{found.group()} missing")
    return sorted(out)


def _folders(packages: tuple[str, ...]) -> list[Path]:
    """The folders of ``packages``, without those inside another (hashed with it)."""
    folders: set[Path] = set()
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"no package {name!r} to hash as code")
        folders.update(Path(p).resolve() for p in spec.submodule_search_locations)
    return sorted(f for f in folders if not any(o != f and o in f.parents for o in folders))


def make_etag(*parts: str) -> str:
    """The strong ETag (quoted, as sent) of a body this code makes from ``parts`` (the
    data version, the URL or query, the media type, the settings the body depends on).

    Every ETag ExoKG sends is made here: ``/sparql`` answers, the service description,
    VoID, pages, the API and exports.
    """
    key = "\x00".join([code_version(), *parts])
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
