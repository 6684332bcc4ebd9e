"""The layers point one way: the library (every module of exokg outside exokg.server) never
imports Flask, werkzeug or the server; the command line is the only bridge, and only
``exokg serve`` (kg/cli/serve.py) may start the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import RUN_DIR, WEB_MODULES_LOADED

REPO = Path(__file__).resolve().parent.parent


def _library_modules() -> list[str]:
    names = []
    for path in sorted((REPO / "kg").rglob("*.py")):
        parts = path.relative_to(REPO / "kg").with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1]
        names.append(".".join(["exokg", *parts]))
    return names


def test_no_library_module_imports_the_web_layer():
    modules = _library_modules()
    assert "exokg.store" in modules and "exokg.cli.serve" in modules
    script = ("import importlib, sys\n"
              f"for name in {modules!r}:\n"
              "    importlib.import_module(name)\n"
              f"bad = {WEB_MODULES_LOADED}\n"
              "print(bad)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=RUN_DIR, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_only_serve_names_the_server():
    naming = sorted(str(p.relative_to(REPO)) for p in (REPO / "kg").rglob("*.py")
                    if "exokg.server" in p.read_text(encoding="utf-8")
                    or "import flask" in p.read_text(encoding="utf-8")
                    or "from flask" in p.read_text(encoding="utf-8"))
    assert naming == ["kg/cli/serve.py"], naming
