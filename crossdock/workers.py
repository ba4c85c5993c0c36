"""``crossdock gateway --workers N``: N gateway processes serving one port, under a supervisor.

Every worker is a whole gateway: it reads the supergraph itself (and reloads it when the file
changes), plans, executes and opens subscriptions on the subgraphs itself. Each worker accepts
from a ``SO_REUSEPORT`` socket of its own, bound and held by the supervisor
(:mod:`crossdock.supervisor`) and handed to the worker's replacement when it dies:

- one socket per worker, because on one shared socket the worker that wakes first accepts a
  burst of connections whole and keeps them alive (``bench/workers.py`` measured a 99%/1%
  CPU split over two workers); the kernel spreads connections over reuse-port sockets by
  their addresses;
- held by the supervisor, because the kernel resets the connections queued on a reuse-port
  socket when it closes: held, they wait in its queue for the replacement instead, and no
  new connection is refused while a worker restarts.

Every response of a worker says which process answered (``x-crossdock-worker: <pid>``).

``/metrics`` of any worker speaks for all when the gateway keeps its metrics with
prometheus-client's multiprocess mode: the supervisor gives the workers a private directory
of their own (``PROMETHEUS_MULTIPROC_DIR``), releases a dead worker's files
(``mark_process_dead``) and removes the directory when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossdock.runner import StartupFailed, listen
from crossdock.supervisor import Child, Supervisor

__all__ = [
    "MULTIPROC_ENV",
    "WORKER_HEADER",
    "WithWorkerHeader",
    "listen_for_workers",
    "metrics_dir",
    "run_workers",
]

WORKER_HEADER = "x-crossdock-worker"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class WithWorkerHeader:
    """``app`` with every HTTP response naming this process (its pid) in ``WORKER_HEADER``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The app's state (begin_shutdown, ready checks) is what the runner looks for.
        self.state = getattr(app, "state", None)
        self._header = (WORKER_HEADER.encode(), str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self._header]}
            await send(message)

        await self.app(scope, receive, send_with_header)


@contextlib.contextmanager
def metrics_dir() -> Iterator[Path]:
    """A fresh private directory for the workers' metric files, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="crossdock-metrics-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _releaser(directory: Path) -> Callable[[int], None]:
    """What to call with a dead worker's pid: prometheus-client's ``mark_process_dead`` on
    ``directory`` when that library is installed (the gateway's /metrics uses it), else
    nothing, since then no worker wrote files there."""
    try:  # not a dependency of ours until the gateway's /metrics uses it
        multiprocess = importlib.import_module("prometheus_client.multiprocess")
    except ImportError:
        return lambda pid: None

    def release(pid: int) -> None:
        multiprocess.mark_process_dead(pid, str(directory))

    return release


def listen_for_workers(host: str, port: int, count: int) -> list[socket.socket]:
    """One ``SO_REUSEPORT`` socket per worker on ``host:port``, bound here. Raises
    ``StartupFailed`` when the port is taken."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(listen("gateway", host, port, reuse_port=True))
    except StartupFailed:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def run_workers(
    worker_argv: Sequence[str], sockets: Sequence[socket.socket], on_started: str
) -> int:
    """Run a process of ``worker_argv`` on each of ``sockets`` until Ctrl-C; the exit status."""
    with metrics_dir() as directory:
        env = {**os.environ, MULTIPROC_ENV: str(directory)}
        children = [
            Child(f"gateway worker {n}", worker_argv, sock, env)
            for n, sock in enumerate(sockets, start=1)
        ]
        supervisor = Supervisor(children, on_exit=_releaser(directory))
        return asyncio.run(supervisor.run(on_started=on_started))
