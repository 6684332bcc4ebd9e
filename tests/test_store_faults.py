"""Faults of the on-disk store, met through real ``exokg serve`` processes.

Each kind of damage to a built store is rebuilt from its inputs (or, for a store given as
is, refused with the folder named and exit 2); a server killed mid-build leaves a
leftover the next start removes; a disk that fills up during a build leaves the
previous store serving and gives one clear line.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from conftest import RUN_DIR, start_server, stop_server
from exokg.store import prepare_store

SMALL = 2000


def _write_ntriples(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(f'<http://ex.org/s{i // 4}> <http://ex.org/p{i % 4}> "v{i}" .\n')
    return path


def _port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXOKG_")}
    return {**env, **extra}


def _serve_fails(args: list[str], *, env: dict[str, str] | None = None,
                 preexec_fn=None) -> subprocess.CompletedProcess:
    """Run ``exokg serve ARGS`` expecting it to exit (a server that starts is killed)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "exokg", "serve", "--host", "127.0.0.1", "--port", _port(),
             *args], cwd=RUN_DIR, env=env or _env(), capture_output=True, text=True,
            timeout=60, preexec_fn=preexec_fn)
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"exokg serve did not exit: {err.stderr}") from None


def _count(url: str) -> int:
    answer = requests.get(f"{url}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) "
                                                            "{ ?s ?p ?o }"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def _assert_serves(url: str, triples: int) -> None:
    health = requests.get(f"{url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["triples"] == triples
    assert _count(url) == triples


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, str]:
    """A data file of SMALL triples, a store folder holding its store, and its version."""
    tmp = tmp_path_factory.mktemp("built")
    data = _write_ntriples(tmp / "small.nt", SMALL)
    info = prepare_store(tmp / "store", data_files=[data])
    return data, tmp / "store", info.version


def _truncate_sst(folder: Path) -> None:
    sst = max((folder / "oxigraph").glob("*.sst"), key=lambda p: p.stat().st_size)
    os.truncate(sst, sst.stat().st_size // 2)


def _delete_current(folder: Path) -> None:
    (folder / "oxigraph" / "CURRENT").unlink()


def _garble_manifest(folder: Path) -> None:
    manifest = next((folder / "oxigraph").glob("MANIFEST-*"))
    data = bytearray(manifest.read_bytes())
    for i in range(0, len(data), 5):
        data[i] ^= 0x5A
    manifest.write_bytes(bytes(data))


def _garble_meta(folder: Path) -> None:
    (folder / "meta.json").write_text('{"version": "0123', encoding="utf-8")


def _empty_folder(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.mkdir()


def _older_build_format(folder: Path) -> None:
    """A store of an ExoKG before format 11, which did not record it."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    del meta["build_format"]
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def _other_build_format(folder: Path) -> None:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["build_format"] -= 1
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


DAMAGE = [_truncate_sst, _delete_current, _garble_manifest, _garble_meta, _empty_folder,
          _older_build_format, _other_build_format]


@pytest.fixture
def damaged(request, built, tmp_path) -> tuple[Path, Path, Path]:
    """A copy of the built store, damaged as the test's parameter says."""
    data, store, version = built
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    request.param(copy / version)
    return data, copy, copy / version


@pytest.mark.parametrize("damaged", DAMAGE, indirect=True, ids=lambda f: f.__name__[1:])
def test_damaged_store_is_rebuilt(damaged):
    data, store, folder = damaged
    proc, url = start_server(["--store", str(store), "--data", str(data), "--workers", "1",
                              "--executors", "1", "--no-access-log"])
    try:
        _assert_serves(url, SMALL)
        assert (folder / "meta.json").is_file()
    finally:
        stop_server(proc)


@pytest.mark.parametrize("damaged", DAMAGE, indirect=True, ids=lambda f: f.__name__[1:])
def test_damaged_store_given_as_is_is_refused(damaged):
    _data, _store, folder = damaged
    result = _serve_fails([], env=_env(EXOKG_STORE_PATH=str(folder)))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"exokg serve: error: store {folder}: ")
    assert "STORE_PATH" in result.stderr and "Traceback" not in result.stderr
    assert "serving" not in result.stderr


def test_kill_during_build_then_next_start_recovers(tmp_path):
    data = _write_ntriples(tmp_path / "big.nt", 200_000)
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-m", "exokg", "serve", "--port", _port(), "--store", str(store),
         "--data", str(data)], cwd=RUN_DIR, env=_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(store.glob(".building-*/oxigraph")) and time.monotonic() < deadline:
        assert proc.poll() is None
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = list(store.glob(".building-*"))
    assert left and not [p for p in store.iterdir() if len(p.name) == 16]
    proc, url = start_server(["--store", str(store), "--data", str(data), "--workers", "1",
                              "--executors", "1", "--no-access-log"])
    try:
        _assert_serves(url, 200_000)
        assert not list(store.glob(".building-*"))
    finally:
        stop_server(proc)


def _small_file_limit() -> None:  # in the child: writes past 1 MB fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def test_full_disk_during_build_leaves_previous_store_serving(built, tmp_path):
    data, store, version = built
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    proc, url = start_server(["--store", str(copy), "--data", str(data), "--workers", "1",
                              "--executors", "1", "--no-access-log"])
    try:
        bigger = _write_ntriples(tmp_path / "bigger.nt", 100_000)
        result = _serve_fails(["--store", str(copy), "--data", str(bigger)],
                              preexec_fn=_small_file_limit)
        assert result.returncode == 2, result.stderr
        assert f"exokg serve: error: cannot build the store in {copy}: " in result.stderr
        assert "File too large" in result.stderr and "Traceback" not in result.stderr
        assert not list(copy.glob(".building-*"))
        assert sorted(p.name for p in copy.iterdir() if not p.name.startswith(".")) == \
            [version]
        _assert_serves(url, SMALL)
    finally:
        stop_server(proc)


def test_a_store_folder_that_is_a_file_is_named_so(tmp_path):
    (tmp_path / "store").write_text("not a folder")
    result = _serve_fails(["--store", str(tmp_path / "store")])
    assert result.returncode == 2
    assert result.stderr.strip() == \
        f"exokg serve: error: store folder {tmp_path / 'store'}: a file, not a folder"


def _tiny_file_limit() -> None:  # the review's store loads; its artifacts' SQLite files do not
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (128 << 10, 128 << 10))


def test_full_disk_while_the_artifacts_are_written_is_one_line(tmp_path):
    store = tmp_path / "store"
    result = _serve_fails(["--store", str(store)], preexec_fn=_tiny_file_limit)
    assert result.returncode == 2, result.stderr
    assert f"exokg serve: error: cannot build the store in {store}: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(store.glob(".building-*"))


# --- the build runs in a child process: its errors arrive whole ---------------------------

_BAD_T2 = ("row\tdisease\tkind\texosomal_content\tsample\texpression\tisolation\tdetection\t"
           "function\tref\n"
           "1\tHCC\tmiRNAs\tmiR-99a\tSerum (n = 12)\tDown\tSBI\tqRT-PCR\tLower\t[14]\n")


def test_bad_records_stop_serve_with_the_located_message(tmp_path):
    records = tmp_path / "lab"
    records.mkdir()
    (records / "table2.tsv").write_text(_BAD_T2, encoding="utf-8")
    result = _serve_fails(["--store", str(tmp_path / "store"), "--records", str(records)])
    assert result.returncode == 2, result.stderr
    where = f"{records / 'table2.tsv'}, row 2, column exosomal_content: "
    assert where + "'miR-99a' names no content" in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stderr
    assert not list((tmp_path / "store").glob(".building-*"))


def test_record_error_of_the_build_process_keeps_its_fields(tmp_path):
    from exokg.errors import RecordError

    records = tmp_path / "lab"
    records.mkdir()
    (records / "table2.tsv").write_text(_BAD_T2, encoding="utf-8")
    with pytest.raises(RecordError, match="'miR-99a' names no content") as info:
        prepare_store(tmp_path / "store", records_dirs=[records])
    assert (info.value.file, info.value.row, info.value.column, info.value.status) == (
        str(records / "table2.tsv"), 2, "exosomal_content", 400)


def test_killed_build_process_is_a_clear_error(tmp_path, monkeypatch):
    from exokg.child import ChildFailed

    data = _write_ntriples(tmp_path / "a.nt", SMALL)
    # a builder the spawned build process imports by name (tests/ is on its sys.path)
    monkeypatch.setitem(__import__("exokg.store").store.ARTIFACT_BUILDERS, "zz-kill",
                        "probe_builders:kill_self")
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    with pytest.raises(ChildFailed,
                       match=r"^the store build \(child process \d+\) was killed by signal 9$"):
        prepare_store(tmp_path / "store", data_files=[data])
    assert not list((tmp_path / "store").glob(".building-*"))


@pytest.mark.parametrize("damaged", [_older_build_format, _other_build_format], indirect=True,
                         ids=lambda f: f.__name__[1:])
def test_a_store_of_another_build_format_given_as_is_says_so(damaged):
    """Its artifacts are laid out as the format that wrote them says: served, a graph
    query failed with a 500 on the first read of the adjacency."""
    from exokg.build_format import BUILD_FORMAT

    result = _serve_fails([], env=_env(EXOKG_STORE_PATH=str(damaged[2])))
    assert "built by another ExoKG (build format " in result.stderr
    assert f"this one reads format {BUILD_FORMAT}" in result.stderr

