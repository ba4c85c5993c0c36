"""Loopback ports for servers a test starts later, in this process or another one.

Binding port 0, reading the port and closing the socket leaves a window in which the kernel
may hand the same port to anyone else who binds port 0 or connects out (another test's
client, a worker of ``pytest -n``, another program on the machine), and the server then
fails to start on a taken port. :func:`reserve_port` closes that window (the trick of
Yelp's ephemeral-port-reserve): it accepts one connection on the port and closes the accepted
side first, so the port stays in TIME_WAIT for about a minute. The kernel does not hand a
port in TIME_WAIT out for ``bind(("127.0.0.1", 0))`` or an outgoing connection, but a server
that binds it with ``SO_REUSEADDR`` may take it, as ours do (``crossdock.runner.listen``,
uvicorn, asyncio's ``create_server``, ``redis-server``).

A test that needs a port where nothing listens (connections refused) holds a socket bound
there and not listening instead (``tests.support.redis.refused_url``).
"""

from __future__ import annotations

import socket

__all__ = ["reserve_port"]


def reserve_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nothing listens on and the kernel hands no one else for about
    a minute; a server that sets ``SO_REUSEADDR`` can bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        address = listener.getsockname()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(address)
            accepted, _ = listener.accept()
            # The side that closes first keeps the connection in TIME_WAIT: the accepted one,
            # whose local port is the reserved port.
            accepted.close()
    port: int = address[1]
    return port
