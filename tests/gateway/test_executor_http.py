"""The subgraph POSTs (``gateway/executor/_http.py``'s ``Endpoint`` over ``http1.Origin``, whose
wire behaviour tests/http1 holds): what a fetch sends, its retry, its timers, and the
transport's errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from gateway.executor import SubgraphFetchError, SubgraphTransport, TransportSettings
from gateway.executor._http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadUrl,
    ConnectFailed,
    Endpoint,
    ReadFailed,
)
from gateway.server import GatewaySettings

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


def endpoint(url: str, **kwargs: Any) -> Endpoint:
    settings: dict[str, Any] = {
        "connect_timeout": 5.0,
        "read_timeout": 5.0,
        "max_connections": 10,
        "max_keepalive": 10,
        **kwargs,
    }
    return Endpoint(url, headers={"content-type": "application/json"}, **settings)


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


async def test_a_fetch_with_a_deadline_tells_the_subgraph_its_time_left() -> None:
    async with upstream(lambda _: plain()) as (server, url):
        client = endpoint(url, deadline_header="x-request-timeout-ms")
        await client.post(b"{}")
        deadline = asyncio.get_running_loop().time() + 2.5
        await client.post(b"{}", deadline=deadline, headers=b"authorization: Bearer t\r\n")
        client.close()
    assert b"x-request-timeout-ms" not in server.requests[0]
    head = server.requests[1].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[-2] == b"authorization: Bearer t"
    name, milliseconds = head[-1].split(b": ")
    assert name == b"x-request-timeout-ms" and 2000 < int(milliseconds) <= 2500


async def test_a_deadline_sooner_than_the_read_timeout_leaves_the_timing_to_the_caller() -> None:
    async with upstream(lambda _: b"") as (_, url):  # reads the request, never answers
        client = endpoint(url, read_timeout=0.05)
        deadline = asyncio.get_running_loop().time() + 0.01
        # No read timer of its own: the caller's timer, here 0.3 s, ends the fetch.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await client.post(b"{}", deadline=deadline)
        client.close()


async def test_a_connection_closed_while_idle_is_retried_once_on_a_new_one() -> None:
    async with upstream(lambda _: plain()) as (server, url):
        client = endpoint(url)
        await client.post(b"{}")
        # The server closes the kept-alive connection; the client may not have noticed yet.
        server.drop_idle_connections()
        assert (await client.post(b"{}")).body == OK_BODY
        client.close()
    assert server.connections == 2


async def test_no_answer_in_time_is_a_read_failure() -> None:
    async with upstream(lambda _: b"") as (_, url):  # reads the request, never answers
        client = endpoint(url, read_timeout=0.05)
        with pytest.raises(ReadFailed, match="no response"):
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


async def test_the_transport_passes_on_the_response_size_limit() -> None:
    async with upstream(lambda _: plain()) as (_, url):
        transport = SubgraphTransport(TransportSettings(max_response_bytes=len(OK_BODY) - 1))
        with pytest.raises(SubgraphFetchError, match="'users': ResponseTooLarge"):
            await transport.send("users", url, {"query": "{ok}"})
        await transport.aclose()
    assert GatewaySettings(subgraph_max_response_bytes=7).transport().max_response_bytes == 7
    assert TransportSettings().max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
