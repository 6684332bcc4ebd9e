"""Reading the store's files ahead at a worker's start: which files, in what order, and
never past the stated share of the available memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import server_log, start_server, stop_server, wait_for_log
from exokg.config import Config
from exokg.errors import ConfigError
from exokg.prefetch import available_memory, prefetch, start_prefetch, store_files


def _files(root, sizes: dict[str, int]):
    for name, size in sizes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


def test_store_files_artifacts_first_and_no_locks(tmp_path):
    _files(tmp_path, {"oxigraph/000001.sst": 10, "oxigraph/LOCK": 0, "in-use.lock": 0,
                      "artifacts/index/search.sqlite": 10, "meta.json": 5})
    names = [p.relative_to(tmp_path).as_posix() for p in store_files(tmp_path)]
    assert names == ["artifacts/index/search.sqlite", "meta.json", "oxigraph/000001.sst"]


def test_prefetch_stays_within_the_share_of_memory(tmp_path):
    _files(tmp_path, {"a": 4096, "b": 8192, "c": 4096})
    files = [tmp_path / n for n in "abc"]
    # budget 10,000 bytes: a (4,096) fits, b would pass it and is left, c still fits
    report = prefetch(files, share=0.5, available=20_000)
    assert report == {"files": 2, "bytes": 8192, "skipped": 1, "budget": 10_000}
    report = prefetch(files, share=1.0, available=20_000)
    assert (report["files"], report["bytes"], report["skipped"]) == (3, 16384, 0)


def test_prefetch_reads_nothing_at_share_0_and_skips_a_vanished_file(tmp_path):
    _files(tmp_path, {"a": 100})
    assert prefetch([tmp_path / "a"], share=0, available=1 << 30)["files"] == 0
    report = prefetch([tmp_path / "gone", tmp_path / "a"], share=0.5, available=1 << 30)
    assert (report["files"], report["bytes"], report["skipped"]) == (1, 100, 1)


def test_start_prefetch_reports_in_the_background(tmp_path):
    _files(tmp_path, {"artifacts/x": 300, "y.sst": 200})
    got: list[dict] = []
    thread = start_prefetch(tmp_path, share=0.5, on_done=got.append)
    assert thread is not None and thread.daemon
    thread.join(timeout=30)
    if available_memory():  # Linux: the kernel says what memory is available
        assert got and (got[0]["files"], got[0]["bytes"]) == (2, 500)
    assert start_prefetch(tmp_path, share=0) is None


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_prefetch_share_is_a_share(value):
    with pytest.raises(ConfigError, match="PREFETCH_SHARE"):
        Config.load({"PREFETCH_SHARE": value})


def test_a_served_worker_reads_its_store_ahead(store_dir):
    """The real server: each worker asks for its store's files once it starts, within
    the share; with PREFETCH_SHARE=0 it reads nothing ahead."""
    proc, url = start_server(["--store", str(store_dir), "--workers", "1"])
    try:
        log = wait_for_log(proc, "read ahead")
    finally:
        stop_server(proc)
    lines = [line for line in log.splitlines() if "read ahead" in line]
    assert len(lines) == 1 and "MB of the store's files in " in lines[0], log[-2000:]
    # the data version's folder: the store and its artifacts, every file within the share
    folder = Path(lines[0].split(" files in ", 1)[1].split(" (", 1)[0])
    files = store_files(folder)
    assert (folder / "oxigraph").is_dir() and any("artifacts" in f.parts for f in files)
    assert f"({len(files)} files; 0 not read" in lines[0]
    proc, url = start_server(["--store", str(store_dir), "--workers", "1"],
                             env={"EXOKG_PREFETCH_SHARE": "0"})
    try:
        log = server_log(proc)
    finally:
        stop_server(proc)
    assert "read ahead" not in log
