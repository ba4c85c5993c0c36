"""A lean HTTP/1.1 POST client over kept-alive loopback connections, for load generators.

httpx costs about 2.5 ms of CPU per request at concurrency 32 (its pool scans every
connection per request); a publisher sharing a core with what it measures must cost far less.
Each request is one write (TCP_NODELAY, set by asyncio on TCP connections), the answer is read
by its ``content-length``; a connection that fails or says ``close`` is dropped, not reused,
and one the server closed while it was idle is replaced and the request sent again.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

__all__ = ["PostClient"]


class _Stale(Exception):
    """The connection was closed before any answer: the request may be sent again."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes, bool]:
        """Send one request; its status, body and whether the connection may be reused."""
        try:
            self.writer.write(head + body)
            status_line = await self.reader.readline()
        except ConnectionError as exc:
            raise _Stale from exc
        if not status_line:
            raise _Stale
        status = int(status_line.split(b" ", 2)[1])
        length, reusable = 0, True
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                reusable = False
        answer = await self.reader.readexactly(length)
        return status, answer, reusable

    def close(self) -> None:
        self.writer.close()


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

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """The answer's status; 0 when the connection failed or timed out. A kept-alive
        connection the server closed meanwhile (after its keep-alive timeout) is replaced by
        a new one and the request sent again."""
        return (await self.answer(body, headers))[0]

    async def answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """:meth:`post`, with the answer's body (``b""`` when there is none)."""
        head = self._head(headers, len(body))
        async with self._slots:
            while self._idle:
                connection = self._idle.pop()
                try:
                    return await self._send(connection, head, body)
                except _Stale:
                    continue
            try:
                reader, writer = await asyncio.open_connection(self._host, self._port)
            except OSError:
                return 0, b""
            try:
                return await self._send(_Connection(reader, writer), head, body)
            except _Stale:
                return 0, b""

    async def _send(self, connection: _Connection, head: bytes, body: bytes) -> tuple[int, bytes]:
        try:
            status, answer, reusable = await asyncio.wait_for(
                connection.post(head, body), self._timeout
            )
        except _Stale:
            connection.close()
            raise
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
            connection.close()
            return 0, b""
        if reusable:
            self._idle.append(connection)
        else:
            connection.close()
        return status, answer

    async def aclose(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
