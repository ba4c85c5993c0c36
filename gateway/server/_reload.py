"""Pick up a changed supergraph file without a restart and without failing requests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from gateway.engine import Gateway
from gateway.supergraph import Supergraph, SupergraphError, parse_supergraph

__all__ = ["SupergraphWatcher", "load_supergraph"]

log = logging.getLogger("gateway.reload")


def load_supergraph(path: Path) -> Supergraph:
    """Read and parse a supergraph file; raise ``SupergraphError`` or ``OSError``."""
    return parse_supergraph(path.read_text(encoding="utf-8"))


class SupergraphWatcher:
    """Polls a file's modification stamp; a new, valid supergraph replaces the served one.

    A file that does not parse is logged and ignored: the gateway keeps serving the last good
    supergraph. Requests in flight keep the plan and executor they started with.
    """

    def __init__(self, gateway: Gateway, path: Path, interval: float) -> None:
        self.gateway = gateway
        self.path = path
        self.interval = interval
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
            supergraph = load_supergraph(self.path)
        except (OSError, SupergraphError) as error:
            log.warning("supergraph reload failed, keeping the current one: %s", error)
            return False
        self.gateway.use(supergraph)
        self.reloads += 1
        log.info("supergraph reloaded from %s", self.path)
        return True

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await asyncio.to_thread(self.check)

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="supergraph-watcher")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
