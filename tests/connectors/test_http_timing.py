"""The client's two timing promises to the systems (connectors/http.py): a read sent again
after a dropped connection still ends within the call's deadline, and an idle connection is
given up before the server would close it, so reuse rarely meets a connection being closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import uvicorn

from connectors import SystemClient, SystemUnavailable
from connectors.http import KEEPALIVE_EXPIRY

_OK = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
TIMEOUT = 0.6


@dataclass
class SlowSystem:
    """A real HTTP/1.1 server on loopback: each request waits ``delay`` seconds, then the first
    ``drops`` are hung up on without a byte and the rest answered on a kept-alive connection.
    It counts the connections it was opened."""

    delay: float
    drops: int
    url: str = ""
    connections: int = 0
    received: list[float] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                self.received.append(time.monotonic())
                await asyncio.sleep(self.delay)
                if len(self.received) <= self.drops:
                    return
                writer.write(_OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def system() -> AsyncIterator[SlowSystem]:
    system = SlowSystem(delay=0.0, drops=0)
    server = await asyncio.start_server(system.handle, "127.0.0.1", 0)
    system.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield system


async def test_a_read_sent_again_still_ends_by_the_deadline(system: SlowSystem) -> None:
    # The first attempt is dropped after most of the call's time: the second would be
    # answered too late, so the call ends at its deadline, not after it.
    system.delay, system.drops = TIMEOUT * 0.6, 1
    client = SystemClient("erp", system.url, timeout=TIMEOUT, max_retries=0, max_retry_after=0)
    started = time.monotonic()
    try:
        with pytest.raises(SystemUnavailable, match="timed out"):
            await client.get_json("/orders/1")
    finally:
        await client.aclose()
    elapsed = time.monotonic() - started
    assert len(system.received) == 2  # it was sent again, once
    assert elapsed < TIMEOUT + 0.25, elapsed


async def test_a_read_dropped_at_the_deadline_is_not_sent_again(system: SlowSystem) -> None:
    system.delay, system.drops = TIMEOUT * 1.5, 1
    client = SystemClient("erp", system.url, timeout=TIMEOUT, max_retries=0, max_retry_after=0)
    try:
        with pytest.raises(SystemUnavailable, match="timed out"):
            await client.get_json("/orders/1")
    finally:
        await client.aclose()
    assert len(system.received) == 1


async def test_an_idle_connection_is_given_up_before_the_server_would_close_it(
    system: SlowSystem,
) -> None:
    client = SystemClient("erp", system.url, timeout=5.0, max_retries=0, max_retry_after=0)
    try:
        await client.get_json("/a")
        await client.get_json("/b")
        assert system.connections == 1  # kept alive between calls in quick succession
        await asyncio.sleep(KEEPALIVE_EXPIRY + 0.5)  # idle past the client's expiry
        await client.get_json("/c")
    finally:
        await client.aclose()
    assert system.connections == 2


def test_the_systems_keep_connections_longer_than_the_client_does() -> None:
    # The systems are served by uvicorn with its default keep-alive (crossdock.runner).
    assert uvicorn.Config(app="systems.apps:app").timeout_keep_alive > KEEPALIVE_EXPIRY
