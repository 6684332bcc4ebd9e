"""Packaging: one import package, ``exokg``, shipping every module, the data, the ontology
and the browser assets; nothing else lands in site-packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_python_package_of_the_checkout_is_listed():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    folders = config["setuptools"]["package-dir"]
    found = set()
    for package, folder in folders.items():
        for init in (REPO / folder).rglob("__init__.py"):
            found.add(".".join([package, *init.parent.relative_to(REPO / folder).parts]))
    assert found <= listed, f"not in pyproject.toml's packages: {sorted(found - listed)}"
    assert all(name == "exokg" or name.startswith("exokg.") for name in listed)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(REPO)], check=True, cwd=out,
                   env={**os.environ, "PIP_NO_INPUT": "1"})
    (path,) = out.glob("exokg-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_installs_one_package(wheel):
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"exokg"}


def test_the_wheel_ships_data_ontology_assets_and_types(wheel):
    names = set(wheel.namelist())
    for path in ("exokg/py.typed", "exokg/data/entities.tsv", "exokg/data/records/table1.tsv",
                 "exokg/data/mappings/exokg.sssom.tsv", "exokg/ontology/exokg.ttl",
                 "exokg/ontology/shapes.ttl", "exokg/server/templates/base.html",
                 "exokg/server/static/vendor/LICENSES.txt",
                 "exokg/sparql/_executor.py"):
        assert path in names, path
    manifest = json.loads(wheel.read("exokg/server/static/vendor/manifest.json"))
    for name in manifest:
        assert f"exokg/server/static/vendor/{name}" in names


def test_vendored_assets_match_the_lock():
    lock = json.loads((REPO / "web" / "package-lock.json").read_text(encoding="utf-8"))
    vendor = REPO / "server" / "static" / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text(encoding="utf-8"))
    licences = (vendor / "LICENSES.txt").read_text(encoding="utf-8")
    for name, meta in manifest.items():
        assert lock["packages"][f"node_modules/{meta['package']}"]["version"] == meta["version"]
        assert (vendor / name).stat().st_size > 1000
    for key, meta in lock["packages"].items():
        if key:
            assert f"{key.removeprefix('node_modules/')} {meta['version']}\nLicense:" in licences


def test_a_tree_without_the_assets_fails_to_build(tmp_path):
    tree = tmp_path / "src"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(
        ".git", "node_modules", "build", "*.egg-info", "__pycache__", "test-output"))
    for item in (tree / "server" / "static" / "vendor").iterdir():
        item.unlink()
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path), str(tree)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode != 0
    assert "browser assets are missing" in done.stdout + done.stderr
