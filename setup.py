"""Build hook: refuse to build a package whose web pages would lack their browser assets.

The SPARQL editor (YASQE) and Cytoscape.js are vendored in ``server/static/vendor/``
(committed, with ``manifest.json`` and ``LICENSES.txt``; refreshed from
``web/package-lock.json`` by ``tools/update-web-assets``), so installing ExoKG needs
no Node.js and the pages never load anything from a CDN. A source tree without them
(a partial copy, a deleted folder) fails here with a clear message instead of
installing pages without their editor and graph views.
"""

from __future__ import annotations

import json
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

VENDOR = Path(__file__).resolve().parent / "server" / "static" / "vendor"


def missing_assets() -> list[str]:
    """The vendored files named by ``manifest.json`` (and the manifest) that are absent."""
    manifest = VENDOR / "manifest.json"
    if not manifest.is_file():
        return [str(manifest)]
    names = [*json.loads(manifest.read_text(encoding="utf-8")), "LICENSES.txt"]
    return [str(VENDOR / name) for name in names if not (VENDOR / name).is_file()]


class BuildPyWithAssets(build_py):
    """``build_py`` that first checks the vendored browser assets are in the tree."""

    def run(self) -> None:
        missing = missing_assets()
        if missing:
            raise SystemExit(
                "exokg: the web pages' browser assets are missing: " + ", ".join(missing)
                + ". They are part of the source tree; restore them (git checkout -- "
                "server/static/vendor) or rebuild them with tools/update-web-assets "
                "(needs Node.js and npm).")
        super().run()


setup(cmdclass={"build_py": BuildPyWithAssets})
