"""A lean front for a memoized subgraph: the answers it has seen, replayed from a socket.

With ``--memoize`` the benchmark's subgraphs are meant to cost next to nothing, so that the
gateways are what is measured. Served by uvicorn, a replayed answer still cost ~90 µs of CPU
(HTTP parsing, the ASGI messages, Starlette's request), on the core the load generator uses:
at 600 gateway requests/s of six fetches each that is a third of a core, which two gateway
workers on a 2-core machine then lack. :class:`ReplayFront` answers a ``POST`` whose body it
has seen with the bytes it answered then, from an :class:`asyncio.Protocol` with httptools
parsing (what the gateway's own client uses); a body it has not seen is sent on to the real
subgraph (served by uvicorn on a socket of its own) and its answer kept if it was a 200.
``GET /_calls`` answers how many ``POST`` requests came, as :class:`bench.serving.
CountedSubgraph` does, and how many of them went on to the subgraph (``forwarded``).

One request at a time per connection, in order (what an HTTP/1.1 client without
pipelining sends); a pipelined request waits for the one before it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import cast

import httptools

from bench.http1 import PostClient

__all__ = ["ReplayFront", "Replayed"]

_SKIPPED_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


def _answer(status: int, body: bytes, *, close: bool = False) -> bytes:
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status,
        b"OK" if status == 200 else b"Answer",
        len(body),
    )
    if close:
        head += b"connection: close\r\n"
    return head + b"\r\n" + body


class Replayed:
    """What one subgraph's front shares between its connections: the answers seen, the
    count of ``POST`` requests, and the client to the real subgraph."""

    def __init__(self, upstream_url: str) -> None:
        self.upstream = PostClient(upstream_url, connections=16)
        self.answers: dict[bytes, bytes] = {}
        self.calls = 0
        self.forwarded = 0

    async def fetch(self, body: bytes, headers: dict[str, str]) -> bytes:
        """The whole answer to a body not seen before, from the real subgraph."""
        self.forwarded += 1
        status, content = await self.upstream.answer(body, headers)
        if status == 0:
            return _answer(502, b'{"errors": [{"message": "the subgraph did not answer"}]}')
        answer = _answer(status, content)
        if status == 200:
            self.answers[body] = answer
        return answer


class ReplayFront(asyncio.Protocol):
    """One client connection to a replaying front."""

    def __init__(self, replayed: Replayed) -> None:
        self._replayed = replayed
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._pending: deque[tuple[bytes, bytes, dict[str, str], bytes, bool]] = deque()
        self._busy = False
        self._fetching: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            # Not HTTP/1.1 (or an upgrade, which no subgraph request of a benchmark asks for).
            if self._transport is not None:
                self._transport.write(_answer(400, b'{"errors": []}', close=True))
                self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        if key not in _SKIPPED_HEADERS:
            self._headers[key] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self._parser.get_method()
        keep_alive = self._parser.should_keep_alive()
        self._pending.append((method, self._url, self._headers, b"".join(self._body), keep_alive))
        if not self._busy:
            self._next()

    def _next(self) -> None:
        """Answer the requests received, in order: at once from the answers seen, or after
        the real subgraph answered."""
        while self._pending and self._transport is not None:
            method, url, headers, body, keep_alive = self._pending.popleft()
            if method == b"GET" and url == b"/_calls":
                replayed = self._replayed
                self._write(
                    b'{"calls": %d, "forwarded": %d}' % (replayed.calls, replayed.forwarded),
                    keep_alive,
                )
                continue
            if method != b"POST":
                self._write_answer(_answer(405, b"{}"), keep_alive)
                continue
            self._replayed.calls += 1
            known = self._replayed.answers.get(body)
            if known is not None:
                self._write_answer(known, keep_alive)
                continue
            self._busy = True
            # Held: the loop keeps only a weak reference to a task.
            self._fetching = asyncio.get_running_loop().create_task(
                self._fetch(body, headers, keep_alive)
            )
            return

    async def _fetch(self, body: bytes, headers: dict[str, str], keep_alive: bool) -> None:
        try:
            answer = await self._replayed.fetch(body, headers)
        except Exception:
            answer, keep_alive = _answer(502, b'{"errors": []}'), False
        self._busy = False
        self._write_answer(answer, keep_alive)
        self._next()

    def _write(self, body: bytes, keep_alive: bool) -> None:
        self._write_answer(_answer(200, body), keep_alive)

    def _write_answer(self, answer: bytes, keep_alive: bool) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(answer)
        if not keep_alive:
            self._transport.close()
            self._transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._pending.clear()
