"""Serve several ASGI apps from one process and one event loop, and stop them together.

:func:`run` is the process's entry: uvloop's event loop when it is installed (uvicorn[standard]
brings it; asyncio's otherwise), and what start-up built (schemas, supergraphs, the systems'
data) frozen out of the cyclic garbage collector's walks.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

__all__ = ["Service", "StartupFailed", "listen", "run", "serve_all"]

# Seconds that open connections get to finish after Ctrl-C before they are cut.
GRACEFUL_SHUTDOWN_SECONDS = 5


@dataclass(frozen=True)
class Service:
    """One named app on one port."""

    name: str
    app: ASGIApp
    host: str
    port: int
    path: str = ""  # where a person should point a browser or client, e.g. "/graphql"
    # A socket already listening on the port, inherited from a supervisor (crossdock.supervisor)
    # that holds it across this process's restarts; None: bind the port here.
    listen_fd: int | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"


class StartupFailed(Exception):
    """A service could not start (its port is taken, or its app failed to start up)."""


class _Server(uvicorn.Server):
    # Signals are handled once for all servers by serve_all, not by each server.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Tell the app shutdown begins (``app.state.begin_shutdown()``, if it has one), then
        shut down as uvicorn does: requests that never end on their own (event streams) can
        end cleanly now instead of being cut after the graceful timeout."""
        _begin_shutdown(self)
        await super().shutdown(sockets)


def _begin_shutdown(server: uvicorn.Server) -> None:
    """``app.state.begin_shutdown()`` of the server's app, if it has one (it may be called
    more than once)."""
    state = getattr(server.config.app, "state", None)
    begin = getattr(state, "begin_shutdown", None)
    if callable(begin):
        begin()


WS_PER_MESSAGE_DEFLATE = False
"""permessage-deflate keeps ~42 KiB of zlib state per WebSocket: 72 instead of 29 KiB per
idle gateway subscriber (bench/subscriptions.py), to shrink milestones of a few hundred
bytes. Off."""


GC_THRESHOLDS = (100_000, 50, 100)
"""The cyclic collector's thresholds while serving (``gc.set_threshold``; CPython's are
(700, 10, 10)). A gateway request allocates thousands of dicts and lists (decoded subgraph
answers, the response tree), nearly all freed by reference counting, none in a cycle; with the
default thresholds the collector ran a young collection every ~700 of them and a full one
whenever the requests in flight had pushed enough survivors into the old generation. Measured
on fedbench with sharing off (``python -m bench.profile_gateway --gc``): 8.6% of the gateway's
CPU at 50 connections and 20% at 200, full collections of up to 70 ms of CPU each (every
request in flight waits them out: the p99 tail); with these thresholds ~0% and 3.4%, no full
collection while serving. Garbage in cycles is still collected: young collections every
100,000 net allocations, older ones every 50 and 100 of those."""


# uvicorn's default; its create_server listens again on the socket with the same backlog.
_BACKLOG = 2048


def listen(name: str, host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """Bind and listen on ``host:port`` now: a taken port fails before anything starts,
    and a client (or another service: the gateway's first fetch to a subgraph) that connects
    while the services are still starting waits in the backlog instead of being refused.
    With ``reuse_port``, more sockets may listen on the port (``SO_REUSEPORT``: the kernel
    spreads the connections over them).

    Raises :class:`StartupFailed` naming ``name`` when the port cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for sockets
    # that say so, and without it every kept-alive response waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError as error:
        sock.close()
        raise StartupFailed(f"{name} cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


def _bind(service: Service) -> socket.socket:
    if service.listen_fd is not None:
        return socket.socket(fileno=service.listen_fd)
    return listen(service.name, service.host, service.port)


async def _serve(server: _Server, sock: socket.socket, name: str) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit:
        # uvicorn exits the process when an app's lifespan start-up fails; here that would
        # skip the other services' shutdown, so it becomes an ordinary failure of this task.
        raise StartupFailed(f"{name} failed to start") from None


async def serve_all(
    services: list[Service], *, on_started: str | None = None, ready_fd: int | None = None
) -> None:
    """Run every service until SIGINT/SIGTERM, then shut all of them down cleanly: first
    what makes work of its own (each app's ``begin_shutdown``), then the services in the
    reverse of ``services``' order (callers before what they call).

    A second signal cuts connections that are still open. Raises :class:`StartupFailed` when
    a service cannot start; the services already started are stopped first. Once all have
    started, ``on_started`` is printed and one byte is written to ``ready_fd`` (then closed):
    how a supervisor learns that its child is up.
    """
    servers: list[_Server] = []
    stop = asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():
            for server in servers:
                server.force_exit = True
        stop.set()

    # Before the ports are bound: a signal sent as soon as a port answers is a clean stop,
    # not a KeyboardInterrupt in the middle of start-up.
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    sockets: list[socket.socket] = []
    try:
        for service in services:
            sockets.append(_bind(service))
    except StartupFailed:
        for sock in sockets:
            sock.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        raise
    servers += [
        _Server(
            uvicorn.Config(
                s.app,
                log_level="warning",
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
                ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,
                # The app sees the real peer: uvicorn would otherwise rewrite it from
                # X-Forwarded-For for 127.0.0.1, which the gateway's rate limits only believe
                # from its configured trusted proxies (gateway/server/_clients.py).
                proxy_headers=False,
            )
        )
        for s in services
    ]
    # Everything built so far lives as long as the process: the collector need not walk it
    # again at every collection (a profile under load found 15% of the gateway's CPU there).
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    tasks = [
        asyncio.create_task(_serve(server, sock, s.name), name=s.name)
        for s, server, sock in zip(services, servers, sockets, strict=True)
    ]
    try:
        while not all(server.started for server in servers):
            failed = next((t for t in tasks if t.done()), None)
            if failed is not None:
                raise StartupFailed(f"{failed.get_name()} failed to start")
            await asyncio.sleep(0.05)
        if on_started:
            print(on_started, flush=True)
        if ready_fd is not None:
            os.write(ready_fd, b"1")
            os.close(ready_fd)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        crashed = next((t for t in tasks if t.done() and t.exception() is not None), None)
        if crashed is not None and not stop.is_set():
            raise StartupFailed(f"{crashed.get_name()} stopped: {crashed.exception()}")
    finally:
        # What makes work of its own (the WMS timer and webhooks, the demo traffic) stops
        # first; then the services in the reverse of their start order, each after those
        # that call it (gateway, subgraphs, systems): none of them sees a call fail because
        # the service it calls went first.
        for server in servers:
            _begin_shutdown(server)
        for server, task in reversed(list(zip(servers, tasks, strict=True))):
            server.should_exit = True
            await asyncio.wait([task])
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for sock in sockets:
            sock.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(
    services: list[Service], *, on_started: str | None = None, ready_fd: int | None = None
) -> None:
    """:func:`serve_all` on its own event loop (uvloop's when installed) until stopped."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve_all(services, on_started=on_started, ready_fd=ready_fd))
