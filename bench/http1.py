"""A lean HTTP/1.1 POST client over kept-alive loopback connections, for load generators.

httpx costs about 2.5 ms of CPU per request at concurrency 32 (its pool scans every
connection per request); a load generator sharing a core with what it measures must cost far
less. Each connection is an :class:`asyncio.Protocol` (no stream reader: a ~90 KB answer is
gathered from the chunks the loop hands over and cut by its ``content-length``, not read line
by line), each request is one write (TCP_NODELAY, set by asyncio on TCP connections). A
connection that fails or says ``close`` is dropped, not reused, and one the server closed
while it was idle is replaced and the request sent again.
"""

from __future__ import annotations

import asyncio
from typing import cast
from urllib.parse import urlsplit

__all__ = ["PostClient"]


class _Stale(Exception):
    """The connection was closed before any answer: the request may be sent again."""


class _BadAnswer(Exception):
    """The answer was not HTTP/1.1 this client understands (no content-length, chunked)."""


class _Connection(asyncio.Protocol):
    """One kept-alive connection: at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._head: tuple[int, int, bool, int] | None = None  # status, length, reusable, start
        self._answer: asyncio.Future[tuple[int, bool, bytes]] | None = None
        self._received_any = False
        self._keep_body = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(_Stale() if not self._received_any else ConnectionError())

    def data_received(self, data: bytes) -> None:
        self._received_any = True
        self._chunks.append(data)
        self._buffered += len(data)
        if self._head is None:
            buffer = b"".join(self._chunks)
            self._chunks = [buffer]
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                self._head = self._parse_head(buffer[:end], end + 4)
            except (ValueError, IndexError, _BadAnswer) as exc:
                self._fail(exc)
                return
        status, length, reusable, start = self._head
        if self._buffered - start < length:
            return
        # The answer is complete; nothing may follow it (one request at a time).
        body = b"".join(self._chunks)[start : start + length] if self._keep_body else b""
        self._chunks, self._buffered, self._head = [], 0, None
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_result((status, reusable, body))

    @staticmethod
    def _parse_head(head: bytes, start: int) -> tuple[int, int, bool, int]:
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length: int | None = None
        reusable = True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                reusable = False
            elif name == b"transfer-encoding":
                raise _BadAnswer("chunked answers are not read")
        if length is None:
            raise _BadAnswer("no content-length")
        return status, length, reusable, start

    def _fail(self, exc: Exception) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(exc)
        self.close()

    async def post(self, message: bytes, *, keep_body: bool) -> tuple[int, bool, bytes]:
        """Send one request; its status, whether the connection may be reused, and its body
        (``b""`` unless ``keep_body``: a load generator need not join the chunks)."""
        if self.closed or self.transport is None or self.transport.is_closing():
            raise _Stale
        self._received_any = False
        self._keep_body = keep_body
        self._answer = asyncio.get_running_loop().create_future()
        self.transport.write(message)
        try:
            return await self._answer
        finally:
            self._answer = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class PostClient:
    """POSTs to one URL over at most ``connections`` kept-alive connections; callers limit
    their own concurrency to that (a request waits for an idle connection otherwise)."""

    def __init__(self, url: str, *, connections: int, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"an http:// URL is needed, not {url!r}")
        self._host, self._port = parts.hostname, parts.port or 80
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._authority = parts.netloc.encode()
        self._timeout = timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)

    def _head(self, headers: dict[str, str], length: int) -> bytes:
        lines = [f"POST {self._path} HTTP/1.1".encode(), b"host: " + self._authority]
        lines += [f"{name}: {value}".encode() for name, value in headers.items()]
        lines.append(b"content-length: %d" % length)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def message(self, body: bytes, headers: dict[str, str]) -> bytes:
        """The whole request (head and body) :meth:`post_message` sends: built once by a
        caller that sends the same request many times."""
        return self._head(headers, len(body)) + body

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """The answer's status; 0 when the connection failed or timed out. A kept-alive
        connection the server closed meanwhile (after its keep-alive timeout) is replaced by
        a new one and the request sent again."""
        return await self.post_message(self.message(body, headers))

    async def post_message(self, message: bytes) -> int:
        """:meth:`post` of a request :meth:`message` built."""
        return (await self._exchange(message, keep_body=False))[0]

    async def answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """:meth:`post`, with the answer's body (``b""`` when there is none)."""
        return await self._exchange(self.message(body, headers), keep_body=True)

    async def _exchange(self, message: bytes, *, keep_body: bool) -> tuple[int, bytes]:
        async with self._slots:
            while self._idle:
                connection = self._idle.pop()
                try:
                    return await self._send(connection, message, keep_body)
                except _Stale:
                    continue
            loop = asyncio.get_running_loop()
            try:
                _, connection = await loop.create_connection(_Connection, self._host, self._port)
            except OSError:
                return 0, b""
            try:
                return await self._send(connection, message, keep_body)
            except _Stale:
                return 0, b""

    async def _send(
        self, connection: _Connection, message: bytes, keep_body: bool
    ) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self._timeout):
                status, reusable, body = await connection.post(message, keep_body=keep_body)
        except _Stale:
            connection.close()
            raise
        except (OSError, TimeoutError, ValueError, IndexError, _BadAnswer):
            connection.close()
            return 0, b""
        if reusable:
            self._idle.append(connection)
        else:
            connection.close()
        return status, body

    async def aclose(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
