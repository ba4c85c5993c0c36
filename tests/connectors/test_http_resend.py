"""A system that drops a connection before answering (a kept-alive connection it closed as the
client reused it): a read is sent again once, a write never."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from connectors import SystemClient, SystemUnavailable

_OK = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n"
    b'connection: close\r\n\r\n{"ok":true}'
)


@dataclass
class DroppingSystem:
    """A real HTTP/1.1 server on loopback that hangs up on the first ``drops`` requests it
    reads, without a byte of answer, and answers the others."""

    drops: int
    url: str = ""
    received: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        if length:
            await reader.readexactly(length)
        self.received.append(head.split(b"\r\n", 1)[0])
        if len(self.received) > self.drops:
            writer.write(_OK)
            await writer.drain()
        writer.close()


@pytest.fixture
async def dropping() -> AsyncIterator[DroppingSystem]:
    system = DroppingSystem(drops=1)
    server = await asyncio.start_server(system.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    system.url = f"http://127.0.0.1:{port}"
    async with server:
        yield system


def _client(url: str) -> SystemClient:
    return SystemClient("erp", url, timeout=5.0, max_retries=0, max_retry_after=0)


async def test_a_read_dropped_before_its_answer_is_sent_again(dropping: DroppingSystem) -> None:
    client = _client(dropping.url)
    try:
        assert await client.get_json("/orders/1") == {"ok": True}
    finally:
        await client.aclose()
    assert dropping.received == [b"GET /orders/1 HTTP/1.1"] * 2


async def test_only_once(dropping: DroppingSystem) -> None:
    dropping.drops = 2
    client = _client(dropping.url)
    try:
        with pytest.raises(SystemUnavailable, match="erp could not be reached"):
            await client.get_json("/orders/1")
    finally:
        await client.aclose()
    assert len(dropping.received) == 2


async def test_a_write_is_never_sent_twice(dropping: DroppingSystem) -> None:
    client = _client(dropping.url)
    try:
        with pytest.raises(SystemUnavailable, match="erp could not be reached"):
            await client.post_json("/orders", {"lines": []})
    finally:
        await client.aclose()
    assert dropping.received == [b"POST /orders HTTP/1.1"]
