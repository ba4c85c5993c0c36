"""``tests.support.ports.reserve_port``: the port stays out of the kernel's hands until a
server that sets ``SO_REUSEADDR`` (every server the tests start does) binds it."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from crossdock.runner import listen
from tests.support.ports import reserve_port
from tests.support.private_redis import private_redis


def _bind(port: int, *, reuse: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if reuse:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return sock


def test_a_reserved_port_is_bindable_with_reuseaddr_and_refuses_connections() -> None:
    port = reserve_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
    with _bind(port, reuse=True) as sock:
        sock.listen()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_a_reserved_port_is_held_against_a_bind_without_reuseaddr() -> None:
    port = reserve_port()
    with pytest.raises(OSError) as raised:
        _bind(port, reuse=False).close()
    assert raised.value.errno == errno.EADDRINUSE


def test_the_kernel_hands_a_reserved_port_to_no_one_binding_port_zero() -> None:
    reserved = {reserve_port() for _ in range(50)}
    assert len(reserved) == 50
    # Held together, so each is a different port: 2,000 of the ~28,000 ephemeral ports,
    # where 50 ports merely released would be met a few times.
    held = [_bind(0, reuse=True) for _ in range(2000)]
    try:
        taken = {sock.getsockname()[1] for sock in held}
    finally:
        for sock in held:
            sock.close()
    assert not taken & reserved


def test_our_servers_bind_a_reserved_port(tmp_path: Path) -> None:
    """crossdock.runner (every ``crossdock`` service), uvicorn given a host and port, and
    redis-server all set SO_REUSEADDR: each gets the port it is given."""
    listen("runner", "127.0.0.1", reserve_port()).close()
    config = uvicorn.Config(Starlette(), host="127.0.0.1", port=reserve_port())
    config.bind_socket().close()
    with private_redis(tmp_path) as server:
        assert server.answers()
