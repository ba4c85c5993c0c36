"""Pick up a changed supergraph file without a restart and without failing requests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from gateway.engine import Gateway
from gateway.supergraph import Supergraph, parse_supergraph

__all__ = ["SupergraphWatcher", "load_supergraph"]

log = logging.getLogger("gateway.reload")


def load_supergraph(path: Path, *, override_labels: Iterable[str] = ()) -> Supergraph:
    """Read and parse a supergraph file; raise ``SupergraphError`` or ``OSError``."""
    return parse_supergraph(path.read_text(encoding="utf-8"), override_labels=override_labels)


class SupergraphWatcher:
    """Polls a file's modification stamp; a new, valid supergraph replaces the served one.

    A file that cannot be served (it does not parse, names an unknown graph, has a field set
    that selects nothing real, or loading fails in any other way) is logged and ignored: the
    gateway keeps serving the last good supergraph, and the watcher keeps watching. Requests in
    flight keep the plan and executor they started with.
    """

    def __init__(
        self,
        gateway: Gateway,
        path: Path,
        interval: float,
        *,
        override_labels: Iterable[str] = (),
        accept: Callable[[Supergraph], None] | None = None,
    ) -> None:
        self.gateway = gateway
        # Raises to refuse a supergraph that loads but may not be served as configured.
        self.accept = accept
        self.path = path
        self.interval = interval
        self.override_labels = frozenset(override_labels)
        self.failures = 0
        self.stamp = self._stamp()
        self.reloads = 0
        self._task: asyncio.Task[None] | None = None

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def check(self) -> bool:
        """Reload if the file changed; return whether a new supergraph is now served."""
        stamp = self._stamp()
        if stamp is None or stamp == self.stamp:
            return False
        self.stamp = stamp
        try:
            supergraph = load_supergraph(self.path, override_labels=self.override_labels)
            if self.accept is not None:
                self.accept(supergraph)
        except Exception as error:
            # Anything at all: a reload must never take down the supergraph being served.
            self.failures += 1
            log.warning(
                "supergraph reload from %s failed, keeping the current one: %s: %s",
                self.path,
                type(error).__name__,
                error,
            )
            return False
        self.gateway.use(supergraph)
        self.reloads += 1
        log.info("supergraph reloaded from %s", self.path)
        return True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self.check)
            except Exception:
                # ``check`` already guards the load; this keeps the task alive through
                # anything else (a failing ``use``, a thread pool shutting down).
                log.exception("supergraph watcher check failed; still watching")

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="supergraph-watcher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
