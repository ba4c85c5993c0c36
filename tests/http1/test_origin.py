"""``http1.Origin``, the keep-alive HTTP/1.1 client of the gateway and the system clients,
against real servers on loopback that answer what each test scripts: framings, interim
responses, answers out of step, connections the server closes, bodies over the limit."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvloop
from starlette.types import Receive, Scope, Send

from http1 import BadUrl, ConnectFailed, Origin, ReadFailed, ResponseTooLarge, header_lines
from tests.support.servers import serve

Handler = Callable[["Peer"], Awaitable[None]]


@dataclass
class Peer:
    """One connection of the scripted server, the n-th it accepted."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    n: int

    async def request(self) -> tuple[bytes, bytes]:
        """The next request's head and body."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        return head, await self.reader.readexactly(length)

    async def body(self) -> bytes:
        return (await self.request())[1]

    async def answer(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


@dataclass
class Server:
    url: str
    connections: list[Peer] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)
    # Set when a connection's script ended (the client hung up, or it was done), by number.
    ended: dict[int, asyncio.Event] = field(default_factory=dict)


@asynccontextmanager
async def scripted(handle: Handler, path: str = "/graphql") -> AsyncIterator[Server]:
    """A loopback server running ``handle(peer)`` on each connection it accepts."""
    tasks: list[asyncio.Task[Any]] = []
    writers: list[asyncio.StreamWriter] = []
    state = Server(url="")

    async def serve_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = Peer(reader, writer, len(state.connections))
        state.connections.append(peer)
        state.ended[peer.n] = asyncio.Event()
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        tasks.append(task)
        try:
            await handle(peer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            state.ended[peer.n].set()
            writer.close()

    server = await asyncio.start_server(serve_one, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}{path}"
    try:
        yield state
    finally:
        server.close()
        for writer in writers:
            writer.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


OK = b'{"data":{"ok":true}}'


def plain(body: bytes = OK, status: bytes = b"200 OK", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %s\r\ncontent-length: %d\r\n%s\r\n%s" % (status, len(body), extra, body)


def chunked(body: bytes = OK, extra: bytes = b"") -> bytes:
    half = len(body) // 2
    parts = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
    return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n%s\r\n%s0\r\n\r\n" % (extra, parts)


def echoing(reply: Callable[[bytes], bytes] = plain) -> Handler:
    """Answers every request on every connection with ``reply(its body)``."""

    async def handle(peer: Peer) -> None:
        while True:
            await peer.answer(reply(await peer.body()))

    return handle


def origin(url: str, **settings: Any) -> Origin:
    return Origin(
        url,
        headers={"accept": "application/json"},
        **{"max_connections": 10, "connect_timeout": 5.0, **settings},
    )


async def post(client: Origin, n: int, **kwargs: Any) -> bytes:
    response = await client.request("POST", body=b'{"n":%d}' % n, **kwargs)
    assert response.status == 200
    return response.body


async def idle_connections_lost(client: Origin) -> None:
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


# The requests sent


async def test_requests_in_turn_share_one_connection_and_say_what_they_are() -> None:
    heads: list[bytes] = []

    async def handle(peer: Peer) -> None:
        while True:
            head, body = await peer.request()
            heads.append(head + body)
            await peer.answer(plain())

    async with scripted(handle, "/graphql?x=1") as server:
        client = origin(server.url)
        for _ in range(3):
            assert (await client.request("POST", body=b'{"query":"{ok}"}')).body == OK
        await client.request("GET", "/items?ids=A%2CB", headers=b"x-trace: 1\r\n")
        client.close()
    assert len(server.connections) == 1
    first = heads[0]
    assert first.startswith(b"POST /graphql?x=1 HTTP/1.1\r\nhost: 127.0.0.1:")
    assert b"\r\naccept: application/json\r\n" in first
    assert first.endswith(b'content-length: 16\r\n\r\n{"query":"{ok}"}')
    # A target given goes under the URL's path; a GET without a body says no length.
    assert heads[3].startswith(b"GET /graphql/items?ids=A%2CB HTTP/1.1\r\n")
    assert b"x-trace: 1\r\n" in heads[3] and b"content-length" not in heads[3]


async def test_a_post_without_a_body_says_its_length_is_zero() -> None:
    heads: list[bytes] = []

    async def handle(peer: Peer) -> None:
        heads.append((await peer.request())[0])
        await peer.answer(plain())

    async with scripted(handle) as server:
        client = origin(server.url)
        await client.request("POST", "/release")
        client.close()
    assert b"content-length: 0\r\n" in heads[0]


def test_header_lines_refuse_what_would_inject_headers() -> None:
    assert header_lines({"a": "1", "b": "x y"}) == b"a: 1\r\nb: x y\r\n"
    for bad in ("1\r\nx-injected: yes", "caf\u00e9", "tab\there"):
        with pytest.raises(ValueError, match="cannot be sent"):
            header_lines({"a": bad})


async def test_connections_are_set_to_send_at_once() -> None:
    async with scripted(echoing()) as server:
        client = origin(server.url)
        await post(client, 0)
        sock = client._idle[0].transport.get_extra_info("socket")  # type: ignore[union-attr]
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        client.close()


# Framings and answers


async def test_a_chunked_answer_is_read_whole_with_its_headers() -> None:
    async with scripted(echoing(lambda _: chunked(extra=b"Retry-After: 3\r\n"))) as server:
        client = origin(server.url)
        for _ in range(2):
            response = await client.request("GET")
            assert (response.status, response.body) == (200, OK)
            assert response.header("retry-after") == response.header("Retry-After") == "3"
            assert response.header("etag") is None
        client.close()
    assert len(server.connections) == 1


async def test_connection_close_is_honoured() -> None:
    async with scripted(echoing(lambda _: plain(extra=b"connection: close\r\n"))) as server:
        client = origin(server.url)
        for n in range(2):
            assert await post(client, n) == OK
        client.close()
    assert len(server.connections) == 2


async def test_http_1_0_answers_without_a_length_end_with_the_connection() -> None:
    async def handle(peer: Peer) -> None:
        await peer.body()
        await peer.answer(b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n" + OK)

    async with scripted(handle) as server:
        client = origin(server.url)
        assert [await post(client, n) for n in range(2)] == [OK, OK]
        client.close()
    assert len(server.connections) == 2


async def test_a_head_request_does_not_wait_for_the_body_it_declares() -> None:
    async def handle(peer: Peer) -> None:
        while True:
            await peer.request()
            await peer.answer(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n")

    async with scripted(handle) as server:
        client = origin(server.url)
        for _ in range(2):
            response = await client.request("HEAD")
            assert (response.status, response.body, response.header("content-length")) == (
                200,
                b"",
                "500",
            )
        client.close()
    assert len(server.connections) == 2  # its connection is not trusted again


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"


@pytest.mark.parametrize("separate_writes", [False, True])
async def test_interim_responses_are_skipped_for_the_final_one(separate_writes: bool) -> None:
    async def handle(peer: Peer) -> None:
        while True:
            parts = [CONTINUE, EARLY_HINTS, CONTINUE, plain(await peer.body())]
            for part in parts if separate_writes else [b"".join(parts)]:
                await peer.answer(part)

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=1)
        assert [await post(client, n) for n in range(4)] == [b'{"n":%d}' % n for n in range(4)]
        client.close()
    assert len(server.connections) == 1  # interim responses do not cost the connection


async def test_a_switch_of_protocols_is_the_last_answer_on_its_connection() -> None:
    async def handle(peer: Peer) -> None:
        body = await peer.body()
        if peer.n == 0:
            await peer.answer(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n\x00\x01")
            await peer.reader.read()
            return
        while True:
            await peer.answer(plain(body))
            body = await peer.body()

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=1)
        assert (await client.request("POST", body=b"{}")).status == 101
        assert await post(client, 1) == b'{"n":1}'
        client.close()
    assert len(server.connections) == 2


# Answers out of step: every request gets its own answer or fails cleanly.


@pytest.mark.parametrize(
    ("unsolicited", "then"),
    [
        # The server times the idle connection out and keeps it open.
        (b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n", (1,)),
        # The same, cut short: what is left of it must not be read as the next answer.
        (b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 10\r\n\r\nabc", (1, 2)),
    ],
    ids=["whole answer", "partial answer"],
)
async def test_an_unsolicited_answer_on_an_idle_connection_closes_it(
    unsolicited: bytes, then: tuple[int, ...]
) -> None:
    async def handle(peer: Peer) -> None:
        if peer.n == 0:
            await peer.answer(plain(await peer.body()))
            await peer.answer(unsolicited)
        while True:
            await peer.answer(plain(await peer.body()))

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=1)
        assert await post(client, 0) == b'{"n":0}'
        await idle_connections_lost(client)
        assert [await post(client, n) for n in then] == [b'{"n":%d}' % n for n in then]
        client.close()
    assert len(server.connections) == 2


@pytest.mark.parametrize(
    "trailer",
    [
        plain(b"STALE"),  # a whole second answer
        b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nSTA",  # part of one
        b"garbage\r\n\r\n",
    ],
)
async def test_bytes_after_the_answer_close_the_connection(trailer: bytes) -> None:
    async def handle(peer: Peer) -> None:
        first = True
        while True:
            body = await peer.body()
            await peer.answer(plain(body) + (trailer if first and peer.n == 0 else b""))
            first = False

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=1)
        assert await post(client, 0) == b'{"n":0}'
        await idle_connections_lost(client)
        assert [await post(client, n) for n in (1, 2)] == [b'{"n":1}', b'{"n":2}']
        client.close()
    assert len(server.connections) == 2


# The size limit


@pytest.mark.parametrize(
    "framing",
    [
        lambda body: plain(body),
        lambda body: chunked(body),
        lambda body: b"HTTP/1.0 200 OK\r\n\r\n" + body,  # ends with the connection
    ],
    ids=["content-length", "chunked", "until-close"],
)
async def test_a_body_over_the_limit_fails_the_request_and_the_connection(
    framing: Callable[[bytes], bytes],
) -> None:
    async def handle(peer: Peer) -> None:
        body = await peer.body()
        if peer.n == 0:
            await peer.answer(framing(b"x" * 101))
            if framing(b"").startswith(b"HTTP/1.0"):
                return
            await peer.body()
            raise AssertionError("a connection with a rejected answer is not used again")
        await peer.answer(plain(body.ljust(100)))
        while True:
            await peer.answer(plain((await peer.body()).ljust(100)))

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=1, max_response_bytes=100)
        with pytest.raises(ResponseTooLarge, match="over the limit of 100 bytes") as failed:
            await client.request("POST", body=b"{}")
        assert failed.value.answered
        assert (await post(client, 1)).rstrip() == b'{"n":1}'  # exactly at the limit: fine
        assert (await post(client, 2)).rstrip() == b'{"n":2}'
        client.close()
    assert len(server.connections) == 2


async def test_a_declared_length_over_the_limit_fails_before_the_body_comes() -> None:
    async def handle(peer: Peer) -> None:
        await peer.body()
        # The head says 10 MB; no byte of the body is ever sent.
        await peer.answer(b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n")
        await peer.reader.read()

    async with scripted(handle) as server:
        client = origin(server.url, max_response_bytes=4)
        async with asyncio.timeout(5):
            with pytest.raises(ResponseTooLarge):
                await client.request("GET", "/big")
        client.close()


# Connections the server closes, failures, retries


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def handle(peer: Peer) -> None:
        await peer.answer(plain(await peer.body()))  # then hangs up

    async with scripted(handle) as server:
        client = origin(server.url)
        assert await post(client, 0) == b'{"n":0}'
        await idle_connections_lost(client)  # seen closed at once, no poll needed
        assert await post(client, 1) == b'{"n":1}'
        client.close()
    assert len(server.connections) == 2


async def test_a_connection_closed_as_it_is_reused_is_retried_once_on_a_new_one() -> None:
    async with scripted(echoing()) as server:
        client = origin(server.url)
        assert await post(client, 0) == b'{"n":0}'
        # The server closes the kept-alive connection; the client has not noticed yet.
        server.connections[0].writer.transport.abort()
        assert await post(client, 1, retry=True) == b'{"n":1}'
        client.close()
    assert len(server.connections) == 2


async def test_without_retry_a_reused_connection_that_fails_unanswered_says_so() -> None:
    async def handle(peer: Peer) -> None:
        await peer.answer(plain(await peer.body()))
        await peer.body()  # the second request is read, and the connection dropped unanswered

    async with scripted(handle) as server:
        client = origin(server.url)
        assert await post(client, 0) == b'{"n":0}'
        with pytest.raises(ReadFailed) as failed:
            await post(client, 1)
        client.close()
    assert not failed.value.answered  # a read may go again; the caller decides
    assert len(server.connections) == 1


async def test_a_hang_up_mid_answer_is_a_read_failure_that_was_answered() -> None:
    async def handle(peer: Peer) -> None:
        await peer.answer(plain(await peer.body()))
        await peer.body()
        await peer.answer(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\npart")

    async with scripted(handle) as server:
        client = origin(server.url)
        assert await post(client, 0, retry=True) == b'{"n":0}'
        with pytest.raises(ReadFailed, match="before the response was complete") as failed:
            await post(client, 1, retry=True)
        client.close()
    assert failed.value.answered
    assert len(server.connections) == 1  # an answered failure is never sent again


async def test_a_408_on_a_reused_connection_is_retried_once_on_a_new_one() -> None:
    # The server's 408 for the idle connection crossed the next request on the wire.
    async def handle(peer: Peer) -> None:
        await peer.answer(plain(await peer.body()))
        await peer.body()
        await peer.answer(b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\r\n")

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=1)
        assert await post(client, 0, retry=True) == b'{"n":0}'
        assert await post(client, 1, retry=True) == b'{"n":1}'
        # Unless retrying is off: then the 408 is the answer.
        assert (await client.request("POST", body=b"{}")).status == 408
        client.close()
    assert len(server.connections) == 2


async def test_no_answer_in_the_read_timeout_is_a_read_failure() -> None:
    async def handle(peer: Peer) -> None:
        await peer.body()
        await peer.reader.read()  # never answers

    async with scripted(handle) as server:
        client = origin(server.url)
        with pytest.raises(ReadFailed, match=r"no response in 0\.05s") as failed:
            await post(client, 0, read_timeout=0.05)
        client.close()
        # The connection was given up at once: the server sees it closed.
        async with asyncio.timeout(5):
            await server.ended[0].wait()
    assert not failed.value.answered


async def test_a_request_cancelled_mid_answer_closes_its_connection_at_once() -> None:
    async def handle(peer: Peer) -> None:
        if peer.n > 0:
            return await echoing()(peer)
        await peer.body()
        await peer.answer(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\npart")
        await peer.reader.read()  # until the client hangs up

    async with scripted(handle) as server:
        client = origin(server.url)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await post(client, 0)
        async with asyncio.timeout(5):
            await server.ended[0].wait()
        assert await post(client, 1) == b'{"n":1}'  # on a new connection
        client.close()
    assert len(server.connections) == 2


async def test_garbage_is_a_read_failure() -> None:
    async with scripted(echoing(lambda _: b"SMTP ready\r\n\r\n")) as server:
        client = origin(server.url)
        with pytest.raises(ReadFailed, match="not an HTTP response") as failed:
            await post(client, 0)
        client.close()
    assert failed.value.answered


async def test_nothing_listening_is_a_connect_failure() -> None:
    async with scripted(echoing()) as server:
        pass  # closed again: its port is free now
    with pytest.raises(ConnectFailed):
        await post(origin(server.url), 0)


async def test_a_server_that_accepts_no_connection_is_a_connect_failure_in_time() -> None:
    # A listening socket that never accepts, its backlog full: the next SYN goes unanswered.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                filler.connect_ex(("127.0.0.1", port))
            client = origin(f"http://127.0.0.1:{port}/", connect_timeout=0.2)
            async with asyncio.timeout(5):
                with pytest.raises(ConnectFailed, match=r"no connection in 0\.2s"):
                    await post(client, 0)
        finally:
            for filler in fillers:
                filler.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://256.1.1.1",
        "http://1.2.3",
        "http://[::1",
        "http://127.0.0.1:99999/graphql",
        "http://127.0.0.1:65536",
        "ftp://127.0.0.1/graphql",
        "http:///graphql",
        "/graphql",
        "http://127.0.0.1/caf\u00e9",
    ],
)
def test_a_url_naming_nothing_callable_is_refused(url: str) -> None:
    with pytest.raises(BadUrl):
        origin(url)


@pytest.mark.parametrize(
    "target",
    ["/customers/1 HTTP/1.1\r\nx-injected: 1", "/items?skus=a\nb", "/items/a b", "/caf\u00e9"],
)
async def test_a_request_target_that_would_split_the_request_line_is_refused(
    target: str,
) -> None:
    async with scripted(echoing()) as server:
        client = origin(server.url)
        with pytest.raises(BadUrl):
            await client.request("GET", target)
        client.close()
    assert server.connections == []  # refused before any connection was opened


# The pool


async def test_concurrent_requests_open_connections_up_to_the_limit() -> None:
    async with scripted(echoing()) as server:
        client = origin(server.url, max_connections=3)
        answers = await asyncio.gather(*(post(client, n) for n in range(12)))
        client.close()
    assert answers == [b'{"n":%d}' % n for n in range(12)]
    assert 1 <= len(server.connections) <= 3


async def test_idle_connections_beyond_the_idle_limit_are_closed() -> None:
    release = asyncio.Event()

    async def handle(peer: Peer) -> None:
        while True:
            body = await peer.body()
            await release.wait()
            await peer.answer(plain(body))

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=3, max_idle=1)
        requests = asyncio.gather(*(post(client, n) for n in range(3)))
        async with asyncio.timeout(5):
            while len(server.connections) < 3:  # all three in flight at once
                await asyncio.sleep(0.01)
        release.set()
        await requests
        assert len(client._idle) == 1
        await post(client, 3)
        client.close()
    assert len(server.connections) == 3  # the one kept served the next request


async def test_a_connection_idle_past_its_expiry_is_not_reused() -> None:
    async with scripted(echoing()) as server:
        client = origin(server.url, keepalive_expiry=0.2)
        await post(client, 0)
        await post(client, 1)  # well within the expiry: the same connection
        assert len(server.connections) == 1
        loop = asyncio.get_running_loop()
        idle_since = client._idle[0].idle_since
        while loop.time() - idle_since <= 0.2:
            await asyncio.sleep(0.05)
        await post(client, 2)
        client.close()
        async with asyncio.timeout(5):
            await server.ended[0].wait()  # given up, not left open
    assert len(server.connections) == 2


async def test_close_ends_idle_connections_now_and_busy_ones_when_answered() -> None:
    release = asyncio.Event()

    async def handle(peer: Peer) -> None:
        while True:
            body = await peer.body()
            if body == b'{"n":1}':
                await release.wait()
            await peer.answer(plain(body))

    async with scripted(handle) as server:
        client = origin(server.url, max_connections=2)
        await asyncio.gather(post(client, 0), post(client, 0))
        assert len(client._idle) == 2
        busy = asyncio.create_task(post(client, 1))
        async with asyncio.timeout(5):
            while len(client._idle) != 1:
                await asyncio.sleep(0.01)
        client.close()
        assert client._idle == []
        release.set()
        assert await busy == b'{"n":1}'
        assert client._idle == []  # answered after close(): not pooled again
        assert await post(client, 2) == b'{"n":2}'  # a later request opens a new one
        assert len(client._idle) == 1
        client.close()
    assert len(server.connections) == 3


async def _answer_ok(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": OK})


def test_an_origin_serves_one_event_loop_after_another_uvloop_included() -> None:
    async def ask(client: Origin) -> list[bytes]:
        try:
            # One connection for three requests: two wait on the pool's semaphore.
            answers = await asyncio.gather(*(client.request("GET") for _ in "abc"))
            sock = client._idle[0].transport.get_extra_info("socket")  # type: ignore[union-attr]
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            return [answer.body for answer in answers]
        finally:
            client.close()

    with serve(_answer_ok) as base:
        client = origin(f"{base}/graphql", max_connections=1)
        for factory in (asyncio.new_event_loop, uvloop.new_event_loop, asyncio.new_event_loop):
            with asyncio.Runner(loop_factory=factory) as runner:
                assert runner.run(ask(client)) == [OK] * 3
