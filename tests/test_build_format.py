"""exokg.build_format: the data version follows the declared build format, not the code,
and what the review's store holds is pinned, so a build change cannot go unbumped."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import exokg
import exokg.build_format
import pytest
from exokg.build_format import BUILD_DIGESTS, BUILD_FORMAT, build_digests
from exokg.store import input_version, prepare_store

SEEDS = ("1", "2")

_DIGESTS = ("import json, sys; from exokg.build_format import build_digests; "
            "from exokg.store import prepare_store; "
            "print(json.dumps(build_digests(prepare_store(sys.argv[1]).folder)))")


@pytest.mark.parametrize("seed", SEEDS)
def test_review_store_holds_what_the_build_format_records(tmp_path, seed):
    """Built in a process of its own under each hash seed: the same digests, the recorded
    ones. When this fails, the build writes something else for the same inputs."""
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", _DIGESTS, str(tmp_path / "s")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    changed = sorted(k for k in got.keys() | BUILD_DIGESTS.keys()
                     if got.get(k) != BUILD_DIGESTS.get(k))
    new = "\n".join(f"    {k!r}: {v!r}," for k, v in sorted(got.items()))
    assert not changed, (
        f"what the build writes for the review's inputs changed ({', '.join(changed)}): a "
        f"store built before would be served as current. In kg/build_format.py bump "
        f"BUILD_FORMAT (now {BUILD_FORMAT!r}) and set\nBUILD_DIGESTS = {{\n{new}\n}}")


def test_digests_read_content_not_file_bytes(tmp_path):
    """SQLite's page layout is no content (a VACUUM keeps the digests); a table is, and
    only its artifact's digest changes."""
    info = prepare_store(tmp_path / "s")
    before = build_digests(info.folder)
    assert build_digests(info.path) == before  # the oxigraph/ folder names the same store
    for db in sorted(Path(info.folder).glob("artifacts/*/*.sqlite")):
        with contextlib.closing(sqlite3.connect(db)) as con:
            con.execute("VACUUM")
    assert build_digests(info.folder) == before
    (db,) = info.artifact_dir("facets").glob("*.sqlite")
    with contextlib.closing(sqlite3.connect(db)) as con:
        con.executescript("CREATE TABLE added (x); INSERT INTO added VALUES (1);")
    after = build_digests(info.folder)
    assert [k for k in before if after[k] != before[k]] == ["artifacts/facets"]


def test_version_follows_the_build_format_not_the_code(monkeypatch):
    _, _, version, _ = input_version([], [])
    monkeypatch.setattr(exokg, "__version__", "99.0")  # an upgrade writing the same
    assert input_version([], [])[2] == version
    monkeypatch.setattr(exokg.build_format, "BUILD_FORMAT", f"{BUILD_FORMAT}-next")
    assert input_version([], [])[2] != version
