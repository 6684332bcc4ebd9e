"""Build hook: install the web pages' browser assets at install time.

``pip install .`` and ``pip install -e .`` both run ``build_py``; before it copies the
package files, :class:`BuildPyWithAssets` runs ``npm ci`` in ``web/`` (versions pinned
in ``web/package-lock.json``) and ``node web/copy-assets.mjs``, which copies the
SPARQL editor (YASQE) and Cytoscape.js into ``server/static/vendor/``. So the pages
never load anything from a CDN and work offline.

Without node/npm the install still succeeds, with a warning; the pages then work
without the editor's highlighting and the graph views, and say how to add them
(``cd web && npm ci && npm run copy``). ``EXOKG_SKIP_ASSETS=1`` skips the step;
``EXOKG_FORCE_ASSETS=1`` reinstalls even when the copied files are up to date.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
WEB = HERE / "web"
VENDOR = HERE / "server" / "static" / "vendor"


def _locked_versions() -> dict[str, str]:
    lock = json.loads((WEB / "package-lock.json").read_text(encoding="utf-8"))
    return {name.removeprefix("node_modules/"): meta.get("version", "")
            for name, meta in lock.get("packages", {}).items() if name}


def _assets_current() -> bool:
    """Whether vendor/ holds the files of exactly the locked package versions."""
    manifest = VENDOR / "manifest.json"
    if not manifest.is_file():
        return False
    copied = json.loads(manifest.read_text(encoding="utf-8"))
    locked = _locked_versions()
    return all((VENDOR / name).is_file() and locked.get(meta["package"]) == meta["version"]
               for name, meta in copied.items())


def install_assets(log=print) -> bool:
    """Run ``npm ci`` and the copy script; return whether the assets are in place."""
    if os.environ.get("EXOKG_SKIP_ASSETS"):
        log("exokg: EXOKG_SKIP_ASSETS set; not installing web assets")
        return _assets_current()
    if not (WEB / "package-lock.json").is_file():  # e.g. a wheel built without web/
        return _assets_current()
    if _assets_current() and not os.environ.get("EXOKG_FORCE_ASSETS"):
        log(f"exokg: web assets up to date in {VENDOR}")
        return True
    npm, node = shutil.which("npm"), shutil.which("node")
    if not (npm and node):
        log("exokg: WARNING: node/npm not found; the web pages will lack the SPARQL editor "
            "and graph views. Install Node.js >= 18 and run: cd web && npm ci && npm run copy")
        return False
    try:
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                       cwd=WEB, check=True)
        subprocess.run([node, "copy-assets.mjs", str(VENDOR)], cwd=WEB, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        log(f"exokg: WARNING: installing web assets failed ({err}); run: "
            "cd web && npm ci && npm run copy")
        return False
    return True


class BuildPyWithAssets(build_py):
    """``build_py`` that first puts the browser assets into ``server/static/vendor``."""

    def run(self) -> None:
        install_assets(log=lambda msg: self.announce(msg, level=3))
        # package data is globbed lazily, so the files copied above are included
        super().run()


setup(cmdclass={"build_py": BuildPyWithAssets})
