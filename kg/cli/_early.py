"""``exokg serve``'s early serving: the store's build in a thread of the master, and the
copy of its loaded store served while the artifacts and statistics are built.

:class:`EarlyBuild` runs :func:`exokg.store.find_store` with a ``loaded_copy`` folder;
:meth:`~EarlyBuild.first` gives the store to serve first (the copy, when the build makes
one before it ends); :meth:`~EarlyBuild.switch`, in a thread once the server runs, has
the workers replaced by workers on the complete store (granian's reload, what ``SIGHUP``
does) and removes the copy once no worker uses it; :meth:`~EarlyBuild.close`, once the
server stopped, ends a build still running and removes what only this server used.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["EVERY_WORKER_COMPLETE", "SERVING_EARLY", "SWITCH_WAIT", "EarlyBuild"]

logger = logging.getLogger(__name__)

#: What the master says when its workers start on the loaded copy.
SERVING_EARLY = "serving the loaded store early"
#: What the master says once no worker serves the loaded copy any more.
EVERY_WORKER_COMPLETE = "every worker serves the complete store"
#: Seconds the switch waits for the last worker on the copy to go before it leaves the
#: copy to the next start (a worker draining a long export may hold it that long).
SWITCH_WAIT = 3600.0


class EarlyBuild:
    """The store's build for ``exokg serve`` (its settings: ``store_dir``, ``data_files``,
    ``records_dirs``, ``early_triples``), started at once in a thread."""

    def __init__(self, settings: Any) -> None:
        from exokg.store_dir import EARLY_PREFIX

        self.settings = settings
        # a token, not only the pid: a container's master has the same pid every start,
        # and a copy left by a killed one must never pass for this build's
        self.copy = Path(settings.store_dir).expanduser() / \
            f"{EARLY_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.done = threading.Event()
        self.info: Any = None
        self.error: BaseException | None = None
        self.cancelled = False  # the server stopped before the build ended
        threading.Thread(target=self._run, daemon=True, name="exokg-store-build").start()

    def _run(self) -> None:
        from exokg.store import find_store

        try:
            self.info = find_store(self.settings.store_dir, data_files=self.settings.data_files,
                                   records_dirs=self.settings.records_dirs,
                                   loaded_copy=self.copy,
                                   early_triples=self.settings.early_triples)
        except BaseException as err:  # noqa: BLE001 - raised in the master's thread
            self.error = err
        finally:
            self.done.set()

    def first(self) -> Any:
        """The store to serve first: the one found or built, or the copy of the loaded
        store when the build makes one before it ends."""
        from exokg.store_dir import hold_in_use
        from exokg.store_layout import META_FILE, mark_checked, open_store_info

        while not self.done.wait(0.1):
            if (self.copy / META_FILE).exists():
                info = open_store_info(self.copy, check=False)  # just made by the build
                # nor do the workers forked from here check it: a check counts every
                # triple (12.7 s at 10^6 findings, twice, beside the build)
                mark_checked(self.copy)
                hold_in_use(self.copy)  # and so do the workers forked from here
                return info
        self._remove_copy()  # made just before the build ended: never served
        if self.error is not None:
            raise self.error
        return self.info

    def switch(self, server: Any, current: dict[str, Any], config: dict[str, Any]) -> None:
        """Once the build ends, have the workers replaced by workers on the complete
        store, or, when it failed (or anything here does), stop the server."""
        try:
            self.done.wait()
            if self.cancelled:
                return
            if self.error is not None:
                print(f"exokg: the store build failed while serving its loaded copy: "
                      f"{self.error}; stopping", file=sys.stderr, flush=True)
                server.signal_handler_interrupt()  # what SIGTERM does
                return
            self._replace_workers(server, current, config)
        except Exception as err:  # noqa: BLE001 - a copy served forever would be worse
            logger.exception("switching to the complete store failed")
            self.error = err
            server.signal_handler_interrupt()

    def _replace_workers(self, server: Any, current: dict[str, Any],
                         config: dict[str, Any]) -> None:
        from exokg.config import Config
        from exokg.store_dir import release_in_use, remove_if_unused

        info = self.info
        current.update(settings=Config.load({**config, "STORE_PATH": info.path}), info=info)
        print(f"exokg: store built ({info.triples} triples, data version {info.version}); "
              f"replacing the workers", file=sys.stderr, flush=True)
        # let go first, or the new workers would inherit the hold (the old ones keep
        # theirs until they exit)
        release_in_use(self.copy)
        server.signal_handler_reload()  # what SIGHUP does: each worker replaced once ready
        deadline = time.monotonic() + SWITCH_WAIT
        while not remove_if_unused(self.copy):
            if time.monotonic() > deadline:
                logger.warning("a worker still serves %s after %.0f s: left for the next "
                               "start to remove", self.copy, SWITCH_WAIT)
                return
            time.sleep(0.1)
        print(f"exokg: {EVERY_WORKER_COMPLETE}; its early copy is removed", file=sys.stderr,
              flush=True)

    def close(self) -> None:
        """Once the server has stopped: end a build still running (its folder is removed
        by the next start, which builds again) and remove the copy."""
        if not self.done.is_set():
            self.cancelled = True
            for child in multiprocessing.active_children():  # the build's process
                if child.name.startswith("exokg-"):
                    child.terminate()
            self.done.wait(30)
        self._remove_copy()

    def _remove_copy(self) -> None:
        from exokg.store_dir import release_in_use, remove_if_unused

        release_in_use(self.copy)
        remove_if_unused(self.copy)
