"""``Origin``: a lean HTTP/1.1 client for one system, keep-alive connections and httptools parsing.

Every field the subgraphs resolve from a system is one or more small GETs to it, many a
second. httpx spent more CPU per call than the subgraph's own work on it (its pool polls every
idle connection's socket on each request, and a request passes through several layers of
objects), so the system clients use this instead: an ``asyncio.Protocol`` per connection,
httptools (uvicorn's parser) for responses, and a LIFO list of idle connections. It is the
gateway's subgraph client (``gateway/executor/_http.py``) made general (any method, a path
and query, response headers), kept here since the gateway imports nothing of ours and its
client is its own. No proxies, no HTTP/2, no compression; https with the default checks.

A connection is reused only when it is exactly between two messages, and given up once it
has been idle for ``keepalive_expiry`` (before the server would close it under a request). A
connection the server closed is seen at once (``connection_lost``), with no poll per request.

Time bounds are the caller's (``SystemClient`` runs each call under one ``asyncio.timeout``);
the size limit holds for every framing as the body arrives, and a declared length over it
fails the request before its body is read.

Errors, all raised as :class:`WireError` subclasses::

    WireError
    ├── BadUrl               the base URL cannot be used (host, port out of range)
    ├── ConnectFailed        no connection could be opened (refused, unknown host, scheme)
    └── ReadFailed           the connection broke or sent something that is not HTTP;
        │                    ``answered`` says whether any byte of a response had come
        └── ResponseTooLarge a response body over the size limit
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

__all__ = [
    "BadUrl",
    "ConnectFailed",
    "Origin",
    "ReadFailed",
    "ResponseTooLarge",
    "WireError",
    "WireResponse",
]

_DOTTED = re.compile(r"[0-9.]+")
_MAX_PORT = 65535


class WireError(Exception):
    """A request that got no usable HTTP response."""


class BadUrl(WireError):
    pass


class ConnectFailed(WireError):
    pass


class ReadFailed(WireError):
    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class ResponseTooLarge(ReadFailed):
    """A response body over the origin's ``max_response_bytes``."""


@dataclass(frozen=True, slots=True)
class WireResponse:
    """A final response: its status, header lines (names lower-cased) and whole body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case), if the response has one."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


class _Stop(Exception):
    """Raised from a parser callback to stop parsing what is left of the data."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request in flight."""

    def __init__(self, max_response_bytes: int) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.max_response_bytes = max_response_bytes
        self.chunks: list[bytes] = []
        self.headers: list[tuple[str, str]] = []
        self.size = 0
        self.waiter: asyncio.Future[WireResponse] | None = None
        self.closed = False
        self.received = False  # any byte of the current response
        self.framed = False  # the response says where its body ends
        self.headers_done = False
        self.in_message = False
        self.stop_reason: WireError | None = None
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        if self.waiter is None:
            # Nobody asked (a 408 on an idle connection, or more after the response owed):
            # the connection can no longer be trusted to be in step.
            self.close()
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ReadFailed("the system switched protocols", answered=True))
            self.close()
        except httptools.HttpParserError as error:
            reason, self.stop_reason = self.stop_reason, None
            self._fail(reason or ReadFailed(f"not an HTTP response: {error}", answered=True))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.headers_done and not self.framed and exc is None:
            self.on_message_complete()  # a body delimited by the end of the connection
        self._fail(
            ReadFailed("connection closed before the response was complete", answered=self.received)
        )

    def on_message_begin(self) -> None:
        if self.waiter is None:
            self.close()
            raise _Stop
        self.in_message = True
        self.chunks = []
        self.headers = []
        self.size = 0
        self.framed = self.headers_done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        self.headers.append((key, value.decode("latin-1")))
        if key == "content-length":
            self.framed = True
            if value.strip().isdigit() and int(value) > self.max_response_bytes:
                self._too_large()  # said up front: no need to read the body to know
        elif key == "transfer-encoding" and b"chunked" in value.lower():
            self.framed = True

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > self.max_response_bytes:
            self._too_large()
        self.chunks.append(body)

    def _too_large(self) -> None:
        self.chunks = []
        self.stop_reason = ResponseTooLarge(
            f"response body over the limit of {self.max_response_bytes} bytes", answered=True
        )
        raise _Stop

    def on_message_complete(self) -> None:
        self.in_message = False
        self.headers_done = False
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.chunks, self.headers, self.size = [], [], 0  # interim: the final one follows
            return
        response = WireResponse(status, self.headers, b"".join(self.chunks))
        self.chunks, self.headers, self.size = [], [], 0
        if not self.closed and (status == 101 or not self.parser.should_keep_alive()):
            self.close()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    def _fail(self, error: WireError) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def send(self, data: bytes) -> asyncio.Future[WireResponse]:
        assert self.transport is not None and self.waiter is None
        self.received = self.framed = self.headers_done = self.in_message = False
        self.chunks, self.headers, self.size = [], [], 0
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def reusable(self) -> bool:
        return not self.closed and self.waiter is None and not self.in_message

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            with contextlib.suppress(RuntimeError):  # its loop may be closed already
                self.transport.close()

    def abort(self) -> None:
        """Close now, the socket included, not on the loop's next turn: the system sees the
        caller gone at once (and stops the work it was doing for it) even if this loop is
        busy."""
        if self.transport is not None and not self.closed:
            sock = self.transport.get_extra_info("socket")
            # Through a duplicate of its descriptor: the transports' sockets (asyncio's,
            # uvloop's) refuse shutdown() themselves, and a shutdown acts on the connection.
            with (
                contextlib.suppress(OSError, AttributeError, ValueError, TypeError),
                socket.fromfd(sock.fileno(), sock.family, socket.SOCK_STREAM) as dup,
            ):
                dup.shutdown(socket.SHUT_RDWR)
        self.close()


def _check_host(host: str) -> None:
    if _DOTTED.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as error:
            raise BadUrl(f"invalid IPv4 address {host!r}") from error


class Origin:
    """Requests to one base URL over a pool of keep-alive connections.

    At most ``max_connections`` requests are in flight (the others wait for a connection);
    idle connections are kept for reuse until ``keepalive_expiry`` seconds old. ``headers``
    go with every request. The URL is checked here: :class:`BadUrl` for one that names no
    port or host one could call (a scheme other than http(s) fails each request with
    :class:`ConnectFailed`, as nothing could be reached).
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str],
        max_connections: int,
        keepalive_expiry: float,
        max_response_bytes: int,
    ) -> None:
        try:
            parts = urlsplit(base_url)
            port = parts.port
        except ValueError as error:
            raise BadUrl(f"invalid URL {base_url!r}: {error}") from error
        if port is not None and not 0 < port <= _MAX_PORT:
            raise BadUrl(f"port {port} is out of range")
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        _check_host(self.host)
        https = self.scheme == "https"
        self.port = port or (443 if https else 80)
        self.ssl = ssl.create_default_context() if https else None
        authority = self.host if ":" not in self.host else f"[{self.host}]"
        if port is not None and port != (443 if https else 80):
            authority = f"{authority}:{port}"
        self.base_path = parts.path.rstrip("/")
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._fixed = f"host: {authority}\r\n{lines}".encode("latin-1")
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self.max_response_bytes = max_response_bytes
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    async def request(
        self, method: str, target: str, *, headers: bytes = b"", body: bytes | None = None
    ) -> WireResponse:
        """Send ``method target`` (a path and query, under the base URL's path) with
        ``headers`` (``b"name: value\\r\\n"`` lines) and ``body``; the final response."""
        if self.scheme not in ("http", "https") or not self.host:
            raise ConnectFailed(f"cannot reach {self.scheme!r} URLs")
        head = b"%s %s HTTP/1.1\r\n%s%s" % (
            method.encode("ascii"),
            (self.base_path + target).encode("ascii"),
            self._fixed,
            headers,
        )
        if body is not None or method not in ("GET", "HEAD", "OPTIONS"):
            head += b"content-length: %d\r\n" % len(body or b"")
        data = head + b"\r\n" + (body or b"")
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Connections and the semaphore belong to the loop they were made on (tests and
            # commands may run several loops one after another): start afresh on a new one.
            self._idle = []
            self._slots = asyncio.Semaphore(self.max_connections)
            self._loop = loop
        async with self._slots:
            connection = self._take(loop.time())
            if connection is None:
                connection = await self._connect()
            try:
                response = await connection.send(data)
            except BaseException:
                connection.abort()  # cancelled or timed out mid-response: unusable now
                raise
            if method == "HEAD":
                connection.close()  # httptools would read a declared body that never comes
            elif connection.reusable() and not self._closed:
                connection.idle_since = loop.time()
                self._idle.append(connection)
            else:
                connection.close()
            return response

    def _take(self, now: float) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.closed:
                continue
            if now - connection.idle_since > self.keepalive_expiry:
                # This one and every older one below it: the server may close them any time.
                for old in [connection, *self._idle]:
                    old.close()
                self._idle = []
                break
            return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self.max_response_bytes),
                self.host,
                self.port,
                ssl=self.ssl,
                server_hostname=self.host if self.ssl else None,
            )
        except (OSError, OverflowError, ValueError, ExceptionGroup) as error:
            raise ConnectFailed(f"{type(error).__name__}: {error}") from error
        return connection

    def close(self) -> None:
        """Close the idle connections now, and those in use when their response is in."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
