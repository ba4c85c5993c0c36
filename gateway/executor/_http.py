"""A lean HTTP/1.1 client for subgraph POSTs: keep-alive connections per URL, httptools parsing.

The gateway sends one kind of request (a small JSON POST) to a handful of origins, many times
a second. httpx spends more CPU per request than the gateway's own work on it (its pool scans
every connection per request, and each request goes through several layers of objects), so
the hot path uses this instead: an ``asyncio.Protocol`` per connection, httptools (uvicorn's
parser) for responses, and a LIFO list of idle connections per URL. No proxies (httpx read
HTTP_PROXY), no HTTP/2; https with the default certificate checks.

A connection goes back to the pool only when it is exactly between two messages: interim
``1xx`` responses (``100 Continue``, ``103 Early Hints``) are skipped while the final response
is awaited, and a connection is closed, never reused, when bytes arrive while no request is
waiting on it (say a server's ``408`` on an idle connection) or when anything follows the
response it owes. Otherwise those bytes would be read as the answer to the next request.

A request may carry a deadline (event-loop time) that a timer of the caller's enforces, one
for all the fetches of a client request: the time left goes to the server in a header, and
the request gets no read timer of its own unless the read timeout would end it first. The
size limit holds for every framing (length, chunks, end of connection) as the body arrives,
and a declared length over it fails the request before its body is read.

Errors, all raised as :class:`HttpError` subclasses with the cause chained::

    HttpError
    ├── BadUrl               the URL cannot be used (scheme, host, port)
    ├── ConnectFailed        no connection could be opened (refused, unknown host, timeout)
    └── ReadFailed           the connection broke, timed out or sent something that is not HTTP
        └── ResponseTooLarge a response body over the size limit
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BadUrl",
    "ConnectFailed",
    "Endpoint",
    "HttpError",
    "HttpResponse",
    "ReadFailed",
    "ResponseTooLarge",
    "header_lines",
]

_FOREVER_SECONDS = 1e9

# Response bodies larger than this fail the request (and close the connection).
DEFAULT_MAX_RESPONSE_BYTES = 64 << 20


def header_lines(headers: Mapping[str, str]) -> bytes:
    """``headers`` as HTTP/1.1 header lines; ``ValueError`` for a name or value that is not
    printable ASCII on one line (a CR or LF would let a value inject headers of its own)."""
    out = b""
    for name, value in headers.items():
        line = f"{name}: {value}"
        if not line.isascii() or not line.isprintable():
            raise ValueError(f"header {name!r} cannot be sent")
        out += line.encode("ascii") + b"\r\n"
    return out


class HttpError(Exception):
    """A request that got no HTTP response."""


class BadUrl(HttpError):
    pass


class ConnectFailed(HttpError):
    pass


class ReadFailed(HttpError):
    pass


class ResponseTooLarge(ReadFailed):
    """A response body over the endpoint's ``max_response_bytes``."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes


class _Stop(Exception):
    """Raised from a parser callback to stop parsing what is left of the data."""


def _interim(status: int) -> bool:
    """An informational response that precedes the final one (``101`` ends HTTP instead)."""
    return 100 <= status < 200 and status != 101


class _Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request in flight."""

    def __init__(self, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.max_response_bytes = max_response_bytes
        self.chunks: list[bytes] = []
        self.size = 0  # bytes in ``chunks``
        self.waiter: asyncio.Future[HttpResponse] | None = None
        self.closed = False
        self.received = False  # any byte of the current response
        # Whether the response says where its body ends; else the end of the connection does.
        self.framed = False
        self.headers_done = False
        # Between the first byte of a message and its end: not reusable.
        self.in_message = False
        # Why a callback stopped the parser (a ReadFailed for the waiter).
        self.stop_reason: HttpError | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        if self.waiter is None:
            # Nobody asked: an unsolicited answer (a 408 on an idle connection) or the rest of
            # one already given. The connection can no longer be trusted to be in step.
            self.close()
            return
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # A 101 (delivered as the response already): what follows is not HTTP.
            self._fail(ReadFailed("the server switched protocols"))
            self.close()
        except httptools.HttpParserError as error:
            reason, self.stop_reason = self.stop_reason, None
            self._fail(reason or ReadFailed(f"not an HTTP response: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.headers_done and not self.framed and exc is None:
            # An HTTP/1.0-style body, delimited by the end of the connection.
            self.on_message_complete()
        self._fail(ReadFailed("connection closed before the response was complete"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.waiter is None:
            # A message after the response owed (trailing bytes in the same read).
            self.close()
            raise _Stop
        self.in_message = True
        self.chunks = []
        self.size = 0
        self.framed = self.headers_done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length":
            self.framed = True
            if value.strip().isdigit() and int(value) > self.max_response_bytes:
                # Said up front: no need to read (and drop) the body to know.
                self._too_large()
        elif name == b"transfer-encoding" and b"chunked" in value:
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
            f"response body over the limit of {self.max_response_bytes} bytes"
        )
        raise _Stop

    def on_message_complete(self) -> None:
        self.in_message = False
        status = self.parser.get_status_code()
        self.headers_done = False
        if _interim(status):
            # ``100 Continue``, ``103 Early Hints``...: the final response is still to come.
            self.chunks = []
            self.size = 0
            return
        response = HttpResponse(status, b"".join(self.chunks))
        self.chunks = []
        self.size = 0
        if not self.closed and (status == 101 or not self.parser.should_keep_alive()):
            self.close()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    def _fail(self, error: HttpError) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def send(self, head: bytes, body: bytes) -> asyncio.Future[HttpResponse]:
        assert self.transport is not None and self.waiter is None
        self.received = self.framed = self.headers_done = self.in_message = False
        self.chunks = []
        self.size = 0
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(head + body)
        return self.waiter

    def reusable(self) -> bool:
        """Open, with no request in flight and nothing of another message read."""
        return not self.closed and self.waiter is None and not self.in_message

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            # Its event loop may be closed already, and the socket with it.
            with contextlib.suppress(RuntimeError):
                self.transport.close()


class Endpoint:
    """POSTs to one URL over a pool of keep-alive connections.

    At most ``max_connections`` requests are in flight (the others wait for a connection);
    at most ``max_keepalive`` idle connections are kept for reuse. A response body over
    ``max_response_bytes`` fails the request with :class:`ResponseTooLarge`. A request with
    a deadline tells the server its time left in the ``deadline_header``, in milliseconds.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        connect_timeout: float,
        read_timeout: float,
        max_connections: int,
        max_keepalive: int,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        deadline_header: str | None = None,
    ) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise BadUrl(f"invalid URL {url!r}: {error}") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadUrl(f"invalid URL {url!r}: need http(s)://host")
        self.host = parts.hostname
        self.port = port or (443 if parts.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        default_port = port is None or port == (443 if parts.scheme == "https" else 80)
        authority = self.host if ":" not in self.host else f"[{self.host}]"
        if not default_port:
            authority = f"{authority}:{self.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head = f"POST {target} HTTP/1.1\r\nhost: {authority}\r\n{lines}content-length: "
        try:
            self._head = head.encode("ascii")
        except UnicodeEncodeError as error:
            raise BadUrl(f"invalid URL {url!r}: not ASCII") from error
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self.max_keepalive = max_keepalive
        self.max_response_bytes = max_response_bytes
        self._deadline_line = b"%s: " % deadline_header.encode("ascii") if deadline_header else b""
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(
        self,
        body: bytes,
        *,
        retry: bool = True,
        deadline: float | None = None,
        headers: bytes = b"",
    ) -> HttpResponse:
        """POST ``body``; ``retry`` once when a kept-alive connection turns out to be closed.

        ``headers`` are this request's own header lines (``b"name: value\r\n"`` each, made
        with :func:`header_lines`), after the endpoint's.

        With a ``deadline`` (in the running loop's time) the server is told the time left,
        and the caller's timer is trusted to end the request then: a read timer of its own
        is set only when the read timeout would come first (so one timer per client request
        bounds all its fetches, rather than one per fetch).
        """
        loop = asyncio.get_running_loop()
        read_timeout: float | None = self.read_timeout
        head = b"%s%d\r\n%s" % (self._head, len(body), headers)
        if deadline is not None:
            left = deadline - loop.time()
            if self._deadline_line:
                # Whole milliseconds, at least 1, at most a billion seconds' worth (a deadline
                # that far away would overflow the conversion, and means none).
                milliseconds = max(1, int(min(left, _FOREVER_SECONDS) * 1000))
                head += b"%s%d\r\n" % (self._deadline_line, milliseconds)
            if left <= self.read_timeout:
                read_timeout = None
        head += b"\r\n"
        if loop is not self._loop:
            # Connections and the semaphore belong to the loop they were made on (a test or
            # a CLI may run several loops one after another): start afresh on a new one.
            self._idle = []
            self._slots = asyncio.Semaphore(self.max_connections)
            self._loop = loop
        async with self._slots:
            while True:
                connection, reused = self._take()
                if connection is None:
                    connection = await self._connect()
                try:
                    if read_timeout is None:
                        response = await connection.send(head, body)
                    else:
                        async with asyncio.timeout(read_timeout):
                            response = await connection.send(head, body)
                except ReadFailed:
                    # A kept-alive connection the server closed while it sat idle: the request
                    # never reached it, so it can go again on a new connection.
                    if retry and reused and not connection.received:
                        retry = False
                        continue
                    raise
                except TimeoutError as error:
                    connection.close()
                    raise ReadFailed(f"no response in {self.read_timeout:g}s") from error
                except BaseException:
                    connection.close()  # cancelled mid-response: the connection is unusable
                    raise
                if response.status == 408 and reused and retry:
                    # A kept-alive connection the server timed out: its 408 may have been on
                    # the way before the request was (it says the request was not read).
                    retry = False
                    connection.close()
                    continue
                if connection.reusable() and len(self._idle) < self.max_keepalive:
                    self._idle.append(connection)
                else:
                    connection.close()
                return response

    def _take(self) -> tuple[_Connection | None, bool]:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection, True
        return None, False

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self.max_response_bytes),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                )
        except TimeoutError as error:
            raise ConnectFailed(f"no connection in {self.connect_timeout:g}s") from error
        except (OSError, OverflowError, ValueError) as error:
            raise ConnectFailed(f"{type(error).__name__}: {error}") from error
        return connection

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
