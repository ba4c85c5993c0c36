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


GC_THRESHOLDS = (50_000, 20, 10)
"""The cyclic collector's thresholds in a served process (CPython's are 700, 10, 10).

A full collection walks every tracked object, and a gateway holding 10,000 subscriptions
tracks ~1.45 million (~145 per WebSocket: uvicorn's protocol, the ASGI middlewares'
coroutines, the connection's tasks): one took 1 to 5 s of the event loop there. CPython
starts one whenever the objects promoted to the oldest generation since the last reach a
quarter of it, and with a young generation of 700 an object lived ~20 ms to be promoted:
the objects of each delivery in flight, so at 1,000 deliveries/s there was one every 3 to
10 s and the p99 of delivery was 0.7 to 3 s (bench/subscriptions.py). With 50,000, only
what outlives ~1 s of allocations is promoted, and the full collections are rare; a young
collection then walks up to 50,000 objects (15-20 ms of CPU in that gateway).

On fedbench (sharing off), the collector took 8.6% of the gateway's CPU at 50 connections
and 20% at 200 with CPython's thresholds, full collections of up to 70 ms of CPU each that
every request in flight waits out (the p99 tail); with raised thresholds ~0% and 3.4%, and
no full collection while serving (``python -m bench.profile_gateway --gc``; ``python -m
bench.gc_thresholds`` compares sets)."""

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
    services: list[Service],
    *,
    on_started: str | None = None,
    ready_fd: int | None = None,
    gc_thresholds: tuple[int, ...] = GC_THRESHOLDS,
) -> None:
    """Run every service until SIGINT/SIGTERM, then shut all of them down cleanly: first
    what makes work of its own (each app's ``begin_shutdown``), then the services in the
    reverse of ``services``' order (callers before what they call).

    A second signal cuts connections that are still open. Raises :class:`StartupFailed` when
    a service cannot start; the services already started are stopped first. Once all have
    started, ``on_started`` is printed and one byte is written to ``ready_fd`` (then closed):
    how a supervisor learns that its child is up. The cyclic collector runs at
    ``gc_thresholds`` from then on (see :data:`GC_THRESHOLDS`).
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
    gc.set_threshold(*gc_thresholds)
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
    services: list[Service],
    *,
    on_started: str | None = None,
    ready_fd: int | None = None,
    gc_thresholds: tuple[int, ...] = GC_THRESHOLDS,
) -> None:
    """:func:`serve_all` on its own event loop (uvloop's when installed) until stopped."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(
            serve_all(
                services, on_started=on_started, ready_fd=ready_fd, gc_thresholds=gc_thresholds
            )
        )
