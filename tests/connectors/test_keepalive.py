"""The wire under the system clients (connectors/keepalive.py), against a raw HTTP/1.1 server
on loopback that answers what each test scripts: framings, headers, a connection the server
closes while it sits idle, and an answer that comes when nobody asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from connectors.keepalive import BadUrl, ConnectFailed, Origin, ReadFailed, ResponseTooLarge

_CHUNKED = (
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nretry-after: 3\r\n\r\n"
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
)
_SHORT = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@dataclass
class Scripted:
    """Answers the n-th request on any connection with ``answers[n]`` (the last one after);
    ``close_after`` closes each connection after that many answers."""

    answers: list[bytes]
    close_after: int | None = None
    url: str = ""
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = 0
        try:
            while self.close_after is None or answered < self.close_after:
                self.heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(self.answers[min(len(self.heads), len(self.answers)) - 1])
                await writer.drain()
                answered += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def served() -> AsyncIterator[Scripted]:
    script = Scripted(answers=[_SHORT])
    server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
    script.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/base/"
    async with server:
        yield script


def _origin(url: str, *, max_response_bytes: int = 1 << 20) -> Origin:
    return Origin(
        url,
        headers={"accept": "application/json"},
        max_connections=4,
        keepalive_expiry=2.0,
        max_response_bytes=max_response_bytes,
    )


async def test_a_chunked_answer_is_read_whole_with_its_headers(served: Scripted) -> None:
    served.answers = [_CHUNKED]
    origin = _origin(served.url)
    response = await origin.request("GET", "/items?ids=A%2CB")
    origin.close()
    assert (response.status, response.body) == (200, b"hello world")
    assert response.header("retry-after") == "3"
    head = served.heads[0].decode()
    assert head.startswith("GET /base/items?ids=A%2CB HTTP/1.1\r\n")
    assert "accept: application/json\r\n" in head and "host: 127.0.0.1:" in head


async def test_calls_in_turn_share_one_connection(served: Scripted) -> None:
    origin = _origin(served.url)
    for _ in range(3):
        assert (await origin.request("GET", "/a")).body == b"ok"
    origin.close()
    assert served.connections == 1


async def test_a_connection_the_server_closed_while_idle_is_not_reused(served: Scripted) -> None:
    served.close_after = 1
    origin = _origin(served.url)
    assert (await origin.request("GET", "/a")).body == b"ok"
    # The server hung up after its answer; the next call opens another connection rather
    # than failing on the closed one.
    await asyncio.sleep(0.1)
    assert (await origin.request("GET", "/b")).body == b"ok"
    origin.close()
    assert served.connections == 2


async def test_a_post_carries_its_body_and_length(served: Scripted) -> None:
    origin = _origin(served.url)
    await origin.request("POST", "/orders", headers=b"content-type: x\r\n", body=b"{}")
    origin.close()
    head = served.heads[0].decode()
    assert "content-length: 2\r\n" in head and "content-type: x\r\n" in head


async def test_an_answer_over_the_limit_fails(served: Scripted) -> None:
    served.answers = [b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789"]
    origin = _origin(served.url, max_response_bytes=4)
    with pytest.raises(ResponseTooLarge):
        await origin.request("GET", "/big")
    origin.close()


async def test_a_connection_closed_before_the_answer_fails_unanswered(served: Scripted) -> None:
    served.answers = [b""]
    served.close_after = 1
    origin = _origin(served.url)
    with pytest.raises(ReadFailed) as failed:
        await origin.request("GET", "/a")
    origin.close()
    assert not failed.value.answered


@pytest.mark.parametrize(
    "url", ["http://256.1.1.1", "http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:65536"]
)
def test_a_url_naming_nothing_callable_is_refused(url: str) -> None:
    with pytest.raises(BadUrl):
        _origin(url)


async def test_another_scheme_cannot_be_reached() -> None:
    with pytest.raises(ConnectFailed):
        await _origin("ftp://127.0.0.1").request("GET", "/a")
