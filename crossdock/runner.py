"""Serve several ASGI apps from one process and one event loop, and stop them together."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

__all__ = ["Service", "serve_all"]


@dataclass(frozen=True)
class Service:
    """One named app on one port."""

    name: str
    app: ASGIApp
    host: str
    port: int
    path: str = ""  # where a person should point a browser or client, e.g. "/graphql"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


class _Server(uvicorn.Server):
    # Signals are handled once for all servers by serve_all, not by each server.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_all(services: list[Service], *, on_started: str | None = None) -> None:
    """Run every service until SIGINT/SIGTERM, then shut all of them down cleanly."""
    servers = [
        _Server(uvicorn.Config(s.app, host=s.host, port=s.port, log_level="warning"))
        for s in services
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [
        asyncio.create_task(server.serve(), name=s.name)
        for s, server in zip(services, servers, strict=True)
    ]
    try:
        while not all(server.started for server in servers):
            done = [t for t in tasks if t.done()]
            if done:
                failed = done[0]
                raise SystemExit(f"{failed.get_name()} failed to start (is its port in use?)")
            await asyncio.sleep(0.05)
        if on_started:
            print(on_started, flush=True)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
