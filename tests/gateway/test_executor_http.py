"""The subgraph HTTP client: keep-alive reuse, stale connections, framing, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from starlette.types import Receive, Scope, Send

from gateway.executor import SubgraphFetchError, SubgraphTransport, TransportSettings
from gateway.executor._http import BadUrl, ConnectFailed, Endpoint, ReadFailed
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
        # Hang up after each answer (for answers that end with the connection).
        self.close_after_reply = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
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
