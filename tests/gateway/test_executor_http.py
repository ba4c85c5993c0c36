"""The subgraph HTTP client: keep-alive reuse, stale connections, framing, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from gateway.executor import SubgraphFetchError, SubgraphTransport, TransportSettings
from gateway.executor._http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadUrl,
    ConnectFailed,
    Endpoint,
    ReadFailed,
)
from gateway.server import GatewaySettings
from tests.support.servers import serve

OK_BODY = b'{"data":{"ok":true}}'

Reply = Callable[[bytes], bytes | None]


def plain(body: bytes = OK_BODY, status: str = "200 OK", close: bool = False) -> bytes:
    connection = b"connection: close\r\n" if close else b""
    return b"HTTP/1.1 %s\r\ncontent-type: application/json\r\n%scontent-length: %d\r\n\r\n%s" % (
        status.encode(),
        connection,
        len(body),
        body,
    )


def chunked(body: bytes = OK_BODY) -> bytes:
    half = len(body) // 2
    parts = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
    return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + parts + b"0\r\n\r\n"


class Upstream:
    """A loopback HTTP server answering each request with ``reply(request)`` (None: hang up)."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task[Any]] = []
        # Hang up after each answer (for answers that end with the connection).
        self.close_after_reply = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self.tasks.append(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = self.reply(request)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after_reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def drop_idle_connections(self) -> None:
        for writer in self.writers:
            writer.close()


@asynccontextmanager
async def upstream(reply: Reply) -> AsyncIterator[tuple[Upstream, str]]:
    server_state = Upstream(reply)
    server = await asyncio.start_server(server_state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield server_state, f"http://127.0.0.1:{port}/graphql?x=1"
    finally:
        server.close()
        server_state.drop_idle_connections()
        await asyncio.gather(*server_state.tasks, return_exceptions=True)
        await server.wait_closed()


def endpoint(url: str, **kwargs: float) -> Endpoint:
    settings = {
        "connect_timeout": 5.0,
        "read_timeout": 5.0,
        "max_connections": 10,
        "max_keepalive": 10,
        **kwargs,
    }
    return Endpoint(url, headers={"content-type": "application/json"}, **settings)  # type: ignore[arg-type]


async def test_a_connection_is_kept_alive_and_reused() -> None:
    async with upstream(lambda _: plain()) as (server, url):
        client = endpoint(url)
        for _ in range(3):
            response = await client.post(b'{"query":"{ok}"}')
            assert (response.status, response.body) == (200, OK_BODY)
        client.close()
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /graphql?x=1 HTTP/1.1\r\n")
    assert b"\r\nhost: 127.0.0.1:" in first
    assert first.endswith(b'content-length: 16\r\n\r\n{"query":"{ok}"}')


async def test_concurrent_requests_open_connections_up_to_the_limit() -> None:
    async with upstream(lambda _: plain()) as (server, url):
        client = endpoint(url, max_connections=3, max_keepalive=3)
        answers = await asyncio.gather(*(client.post(b"{}") for _ in range(12)))
        client.close()
    assert all(a.body == OK_BODY for a in answers)
    assert 1 <= server.connections <= 3


async def test_chunked_responses_are_joined() -> None:
    async with upstream(lambda _: chunked()) as (_, url):
        client = endpoint(url)
        assert (await client.post(b"{}")).body == OK_BODY
        assert (await client.post(b"{}")).body == OK_BODY
        client.close()


async def test_connection_close_is_honoured() -> None:
    async with upstream(lambda _: plain(close=True)) as (server, url):
        client = endpoint(url)
        for _ in range(2):
            assert (await client.post(b"{}")).body == OK_BODY
        client.close()
    assert server.connections == 2


async def test_a_connection_closed_while_idle_is_retried_once_on_a_new_one() -> None:
    async with upstream(lambda _: plain()) as (server, url):
        client = endpoint(url)
        await client.post(b"{}")
        # The server closes the kept-alive connection; the client may not have noticed yet.
        server.drop_idle_connections()
        assert (await client.post(b"{}")).body == OK_BODY
        client.close()
    assert server.connections == 2


async def test_a_hang_up_before_the_answer_is_a_read_failure() -> None:
    async with upstream(lambda _: None) as (_, url):
        client = endpoint(url)
        with pytest.raises(ReadFailed):
            await client.post(b"{}")
        client.close()


async def test_no_answer_in_time_is_a_read_failure() -> None:
    async with upstream(lambda _: b"") as (_, url):  # reads the request, never answers
        client = endpoint(url, read_timeout=0.05)
        with pytest.raises(ReadFailed, match="no response"):
            await client.post(b"{}")
        client.close()


async def test_garbage_is_a_read_failure() -> None:
    async with upstream(lambda _: b"SMTP ready\r\n\r\n") as (_, url):
        client = endpoint(url)
        with pytest.raises(ReadFailed, match="not an HTTP response"):
            await client.post(b"{}")
        client.close()


async def test_nothing_listening_is_a_connect_failure() -> None:
    async with upstream(lambda _: plain()) as (_, url):
        pass  # closed again: its port is free now
    with pytest.raises(ConnectFailed):
        await endpoint(url).post(b"{}")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:99999/graphql", "http://[::1/graphql", "ftp://host/graphql", "/graphql"],
)
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(BadUrl):
        endpoint(url)


async def test_the_transport_reports_a_non_graphql_answer_with_its_status() -> None:
    answer = plain(b"<html>oops</html>", status="502 Bad Gateway")
    async with upstream(lambda _: answer) as (_, url):
        transport = SubgraphTransport(TransportSettings())
        with pytest.raises(SubgraphFetchError, match="'users': 502 Bad Gateway"):
            await transport.send("users", url, {"query": "{ok}"})
        await transport.aclose()


async def test_the_transport_turns_every_unreachable_url_into_a_fetch_error() -> None:
    transport = SubgraphTransport(TransportSettings(connect_timeout=2))
    for url in ("http://127.0.0.1:99999/graphql", "http://[::1/graphql", "http://127.0.0.1:1/"):
        with pytest.raises(SubgraphFetchError, match="'users'"):
            await transport.send("users", url, {"query": "{ok}"})
    await transport.aclose()


async def test_http_1_0_answers_without_a_length_end_with_the_connection() -> None:
    answer = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n" + OK_BODY
    async with upstream(lambda _: answer) as (server, url):
        server.close_after_reply = True
        client = endpoint(url)
        assert (await client.post(b"{}")).body == OK_BODY
        assert (await client.post(b"{}")).body == OK_BODY
        client.close()
    assert server.connections == 2


async def _answer_ok(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": OK_BODY})


def test_an_endpoint_can_be_used_from_one_event_loop_after_another() -> None:
    async def ask(client: Endpoint) -> list[bytes]:
        try:
            # One connection for three requests: two wait on the pool's semaphore.
            return [r.body for r in await asyncio.gather(*(client.post(b"{}") for _ in "abc"))]
        finally:
            client.close()

    with serve(_answer_ok) as base:
        client = endpoint(f"{base}/graphql", max_connections=1)
        for _ in range(2):
            assert asyncio.run(ask(client)) == [OK_BODY] * 3


# Answers out of step: interim responses, unsolicited bytes, trailing bytes, huge bodies.
# Every request must get its own answer (the server echoes the request body) or fail cleanly.

RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_body(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)


@asynccontextmanager
async def raw_upstream(handle: RawHandler) -> AsyncIterator[tuple[list[int], str]]:
    """A loopback server running ``handle(reader, writer, n)`` on its n-th connection."""
    connections: list[int] = []
    writers: list[asyncio.StreamWriter] = []
    tasks: list[asyncio.Task[Any]] = []

    async def serve_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        try:
            await handle(reader, writer, connections[-1])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve_one, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield connections, f"http://127.0.0.1:{port}/graphql"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def idle_connections_lost(client: Endpoint) -> None:
    """Wait until the client has closed (and the loop dropped) every pooled connection."""
    for connection in list(client._idle):
        if connection.closed and connection.transport is None:
            continue
        lost = asyncio.get_running_loop().create_future()
        original = connection.connection_lost

        def on_lost(exc: Exception | None, original: Any = original, lost: Any = lost) -> None:
            original(exc)
            if not lost.done():
                lost.set_result(None)

        connection.connection_lost = on_lost  # type: ignore[method-assign]
        async with asyncio.timeout(5):
            await lost


def echo(body: bytes, status: bytes = b"200 OK") -> bytes:
    return b"HTTP/1.1 %s\r\ncontent-length: %d\r\n\r\n%s" % (status, len(body), body)


async def ask(client: Endpoint, n: int) -> bytes:
    response = await client.post(b'{"n":%d}' % n)
    assert response.status == 200
    return response.body


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"


@pytest.mark.parametrize("separate_writes", [False, True])
async def test_interim_responses_are_skipped_for_the_final_one(separate_writes: bool) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        while True:
            body = await read_body(reader)
            parts = [CONTINUE, EARLY_HINTS, CONTINUE, echo(body)]
            for part in parts if separate_writes else [b"".join(parts)]:
                writer.write(part)
                await writer.drain()

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1)
        assert [await ask(client, n) for n in range(4)] == [b'{"n":%d}' % n for n in range(4)]
        client.close()
    assert len(connections) == 1  # interim responses do not cost the connection


async def test_an_unsolicited_answer_on_an_idle_connection_closes_it() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        if n == 0:
            writer.write(echo(await read_body(reader)))
            await writer.drain()
            # The connection sits idle in the pool; the server times it out, keeps it open.
            writer.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n")
        while True:
            writer.write(echo(await read_body(reader)))

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1)
        assert await ask(client, 0) == b'{"n":0}'
        await idle_connections_lost(client)
        assert await ask(client, 1) == b'{"n":1}'
        client.close()
    assert len(connections) == 2


async def test_a_partial_answer_on_an_idle_connection_closes_it() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        if n == 0:
            writer.write(echo(await read_body(reader)))
            await writer.drain()
            writer.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 10\r\n\r\nabc")
        while True:
            writer.write(echo(await read_body(reader)))

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1)
        assert await ask(client, 0) == b'{"n":0}'
        await idle_connections_lost(client)
        assert [await ask(client, n) for n in (1, 2)] == [b'{"n":1}', b'{"n":2}']
        client.close()
    assert len(connections) == 2


async def test_a_408_on_a_reused_connection_is_retried_once_on_a_new_one() -> None:
    # The server's 408 for the idle connection crossed the next request on the wire.
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        writer.write(echo(await read_body(reader)))
        await writer.drain()
        await read_body(reader)
        writer.write(b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\r\n")

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1)
        assert await ask(client, 0) == b'{"n":0}'
        assert await ask(client, 1) == b'{"n":1}'
        # Unless retrying is off: then the 408 is the answer.
        assert (await client.post(b"{}", retry=False)).status == 408
        client.close()
    assert len(connections) == 2


@pytest.mark.parametrize(
    "trailer",
    [
        echo(b"STALE"),  # a whole second answer
        b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nSTA",  # part of one
        b"garbage\r\n\r\n",
    ],
)
async def test_bytes_after_the_answer_close_the_connection(trailer: bytes) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        first = True
        while True:
            body = await read_body(reader)
            writer.write(echo(body) + (trailer if first and n == 0 else b""))
            first = False

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1)
        assert await ask(client, 0) == b'{"n":0}'
        await idle_connections_lost(client)
        assert [await ask(client, n) for n in (1, 2)] == [b'{"n":1}', b'{"n":2}']
        client.close()
    assert len(connections) == 2


@pytest.mark.parametrize(
    "framing",
    [
        lambda body: echo(body),
        lambda body: chunked(body),
        lambda body: b"HTTP/1.0 200 OK\r\n\r\n" + body,  # ends with the connection
    ],
    ids=["content-length", "chunked", "until-close"],
)
async def test_a_body_over_the_limit_fails_the_request_and_the_connection(
    framing: Callable[[bytes], bytes],
) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        body = await read_body(reader)
        if n == 0:
            writer.write(framing(b"x" * 101))
            await writer.drain()
            if framing(b"").startswith(b"HTTP/1.0"):
                return
            await read_body(reader)
            raise AssertionError("a connection with a rejected answer is not used again")
        writer.write(echo(body.ljust(100)))
        while True:
            writer.write(echo((await read_body(reader)).ljust(100)))

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1, max_response_bytes=100)
        with pytest.raises(ReadFailed, match="over the limit of 100 bytes"):
            await client.post(b"{}")
        assert (await ask(client, 1)).rstrip() == b'{"n":1}'  # exactly at the limit: fine
        assert (await ask(client, 2)).rstrip() == b'{"n":2}'
        client.close()
    assert len(connections) == 2


async def test_a_switch_of_protocols_is_the_last_answer_on_its_connection() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        body = await read_body(reader)
        if n == 0:
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n\x00\x01binary")
            await reader.read()
            return
        while True:
            writer.write(echo(body))
            body = await read_body(reader)

    async with raw_upstream(handle) as (connections, url):
        client = endpoint(url, max_connections=1, max_keepalive=1)
        assert (await client.post(b"{}")).status == 101
        assert await ask(client, 1) == b'{"n":1}'
        client.close()
    assert len(connections) == 2


async def test_the_transport_passes_on_the_response_size_limit() -> None:
    async with upstream(lambda _: plain()) as (_, url):
        transport = SubgraphTransport(TransportSettings(max_response_bytes=len(OK_BODY) - 1))
        with pytest.raises(SubgraphFetchError, match="'users': ResponseTooLarge"):
            await transport.send("users", url, {"query": "{ok}"})
        await transport.aclose()
    assert GatewaySettings(subgraph_max_response_bytes=7).transport().max_response_bytes == 7
    assert TransportSettings().max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
