"""Identical reads in flight at once are one call to the system (connectors/http.py), against
a real HTTP/1.1 server on loopback that holds every answer until the test lets it go."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from connectors import SystemClient, SystemUnavailable
from connectors.deadline import request_deadline


@dataclass
class HeldSystem:
    """Answers each request with ``status`` and a JSON body naming its target, once
    ``release`` is set; keeps the request lines it was sent."""

    status: int = 200
    url: str = ""
    release: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[str] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode()
                length = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")]
                if length:
                    await reader.readexactly(int(length[0].split(b":")[1]))
                self.received.append(line)
                await self.release.wait()
                body = b'{"target": "%s", "items": []}' % line.split()[1].encode()
                writer.write(
                    b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (self.status, len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def held() -> AsyncIterator[HeldSystem]:
    system = HeldSystem()
    server = await asyncio.start_server(system.handle, "127.0.0.1", 0)
    system.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield system
        system.release.set()


@pytest.fixture
async def client(held: HeldSystem) -> AsyncIterator[SystemClient]:
    client = SystemClient("erp", held.url, timeout=5.0, max_retries=0, max_retry_after=0)
    yield client
    await client.aclose()


async def _until(condition: Callable[[], object], what: str) -> None:
    """Wait for ``condition`` (``what`` it means) for at most 5 s."""
    try:
        async with asyncio.timeout(5):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"gave up waiting for {what}") from None


async def test_identical_reads_in_flight_are_one_call(
    held: HeldSystem, client: SystemClient
) -> None:
    reads = [asyncio.create_task(client.get_json("/items", {"ids": "A,B"})) for _ in range(5)]
    await _until(lambda: held.received, "the first read at the system")
    held.release.set()
    bodies = await asyncio.gather(*reads)
    assert held.received == ["GET /items?ids=A%2CB HTTP/1.1"]
    assert client.calls == 1
    assert all(body == {"target": "/items?ids=A%2CB", "items": []} for body in bodies)
    # Each caller has a body of its own: changing one changes no other.
    bodies[0]["items"].append("mine")
    assert all(body["items"] == [] for body in bodies[1:])


async def test_reads_of_other_parameters_and_writes_are_not_shared(
    held: HeldSystem, client: SystemClient
) -> None:
    calls = [
        client.get_json("/items", {"ids": "A"}),
        client.get_json("/items", {"ids": "B"}),
        client.post_json("/orders", {"n": 1}),
        client.post_json("/orders", {"n": 1}),
    ]
    tasks = [asyncio.create_task(call) for call in calls]
    await _until(lambda: len(held.received) == 4, "four calls at the system")
    held.release.set()
    await asyncio.gather(*tasks)
    assert client.calls == 4


async def test_a_failure_is_shared_by_the_reads_that_waited(
    held: HeldSystem, client: SystemClient
) -> None:
    held.status = 503
    reads = [asyncio.create_task(client.get_json("/items", {"ids": "A"})) for _ in range(3)]
    await _until(lambda: held.received, "the first read at the system")
    held.release.set()
    failures = await asyncio.gather(*reads, return_exceptions=True)
    assert [str(f) for f in failures] == ["erp answered 503"] * 3
    assert all(isinstance(f, SystemUnavailable) for f in failures)
    assert client.calls == 1


async def test_a_read_out_of_its_own_time_leaves_the_others_to_read(
    held: HeldSystem, client: SystemClient
) -> None:
    async def hurried() -> object:
        with request_deadline(0.2):
            return await client.get_json("/items", {"ids": "A"})

    first = asyncio.create_task(hurried())
    await _until(lambda: held.received, "the hurried read at the system")
    patient = asyncio.create_task(client.get_json("/items", {"ids": "A"}))
    with pytest.raises(SystemUnavailable, match="timed out at the request's deadline"):
        await first
    # The patient caller was not failed by the hurried one's deadline: it read again.
    await _until(lambda: len(held.received) == 2, "the patient read at the system")
    held.release.set()
    assert await patient == {"target": "/items?ids=A", "items": []}


async def test_a_waiting_read_keeps_to_its_own_deadline(
    held: HeldSystem, client: SystemClient
) -> None:
    first = asyncio.create_task(client.get_json("/items", {"ids": "A"}))
    await _until(lambda: held.received, "the first read at the system")
    with request_deadline(0.2), pytest.raises(SystemUnavailable, match="request's deadline"):
        await client.get_json("/items", {"ids": "A"})
    held.release.set()
    assert await first == {"target": "/items?ids=A", "items": []}
    assert client.calls == 1
