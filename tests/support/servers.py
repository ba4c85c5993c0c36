"""Run an ASGI app on a real loopback port in a background thread, for integration tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from tests.support.waiting import wait_until

__all__ = ["serve", "serve_on", "wait_until"]


@contextmanager
def serve(app: ASGIApp, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on an ephemeral loopback port; yield its base URL (no trailing slash)."""
    # IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (crossdock.runner).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    try:
        with serve_on(app, sock) as url:
            yield url
    finally:
        sock.close()


@contextmanager
def serve_on(app: ASGIApp, sock: socket.socket) -> Iterator[str]:
    """Serve ``app`` on the bound ``sock`` (for a URL that must be known before the app
    starts: another service is told it first); yield its base URL."""
    host, port = sock.getsockname()[:2]
    # ``proxy_headers=False`` as crossdock.runner serves: the app sees the real peer.
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", ws="websockets-sansio", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), what=f"server on {port}")
        if not server.started:
            raise RuntimeError("server thread died during start-up")
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
