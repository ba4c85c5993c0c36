"""One keep-alive HTTP/1.1 connection: an ``asyncio.Protocol`` with httptools parsing, at most
one request in flight."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import cast

import httptools

from http1._response import HttpError, ReadFailed, Response, ResponseTooLarge

__all__ = ["Connection"]


class _Stop(Exception):
    """Raised from a parser callback to stop parsing what is left of the data."""


def _interim(status: int) -> bool:
    """An informational response that precedes the final one (``101`` ends HTTP instead)."""
    return 100 <= status < 200 and status != 101


class Connection(asyncio.Protocol):
    """One keep-alive connection: at most one request in flight.

    It is reusable only when exactly between two messages: interim ``1xx`` responses are
    skipped while the final one is awaited, and bytes that arrive while no request waits
    (a server's ``408`` on an idle connection) or that follow the response owed close it.
    """

    def __init__(self, max_response_bytes: int, generation: int = 0) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.max_response_bytes = max_response_bytes
        # The pool's generation it was opened in: one closed since is not pooled again.
        self.generation = generation
        self.chunks: list[bytes] = []
        self.headers: list[tuple[bytes, bytes]] = []
        self.size = 0  # bytes in ``chunks``
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.received = False  # any byte of the current response
        # Whether the response says where its body ends; else the end of the connection does.
        self.framed = False
        self.headers_done = False
        # Between the first byte of a message and its end: not reusable.
        self.in_message = False
        # Why a callback stopped the parser (a ReadFailed for the waiter).
        self.stop_reason: HttpError | None = None
        # The request in flight is a HEAD: its response has no body, whatever it declares.
        self.head_request = False
        self.idle_since = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self.transport = cast(asyncio.Transport, transport)
        # A request is one write and waits for its answer: never hold it back for Nagle.
        # asyncio's and uvloop's transports set this already; said here, not relied upon.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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
            self._fail(ReadFailed("the server switched protocols", answered=True))
            self.close()
        except httptools.HttpParserError as error:
            reason, self.stop_reason = self.stop_reason, None
            self._fail(reason or ReadFailed(f"not an HTTP response: {error}", answered=True))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.headers_done and not self.framed and exc is None:
            # An HTTP/1.0-style body, delimited by the end of the connection.
            self.on_message_complete()
        self._fail(
            ReadFailed("connection closed before the response was complete", answered=self.received)
        )

    # httptools callbacks
    def on_message_begin(self) -> None:
        if self.waiter is None:
            # A message after the response owed (trailing bytes in the same read).
            self.close()
            raise _Stop
        self.in_message = True
        self.chunks = []
        self.headers = []
        self.size = 0
        self.framed = self.headers_done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        self.headers.append((name, value))
        if name == b"content-length":
            self.framed = True
            if value.strip().isdigit() and int(value) > self.max_response_bytes:
                # Said up front: no need to read (and drop) the body to know.
                self._too_large()
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            self.framed = True

    def on_headers_complete(self) -> None:
        self.headers_done = True
        if self.head_request and not _interim(self.parser.get_status_code()):
            # httptools cannot be told a response has no body, and would wait for the one
            # a HEAD's response declares: it is complete here, and its connection done with.
            self.framed = True
            self.on_message_complete()
            self.close()
            raise _Stop

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
        if _interim(status):
            # ``100 Continue``, ``103 Early Hints``...: the final response is still to come.
            self.chunks, self.headers, self.size = [], [], 0
            return
        response = Response(status, self.headers, b"".join(self.chunks))
        self.chunks, self.headers, self.size = [], [], 0
        if not self.closed and (status == 101 or not self.parser.should_keep_alive()):
            self.close()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(response)

    def _fail(self, error: HttpError) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def send(self, data: bytes, *, head_request: bool = False) -> asyncio.Future[Response]:
        """Write one whole request (a HEAD if ``head_request``); its final response (or a
        :class:`ReadFailed`) to come."""
        assert self.transport is not None and self.waiter is None
        self.head_request = head_request
        self.received = self.framed = self.headers_done = self.in_message = False
        self.chunks, self.headers, self.size = [], [], 0
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
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

    def abort(self) -> None:
        """Close now, the socket included, not on the loop's next turn: the server sees the
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
