"""Subgraph POSTs over ``http1``'s keep-alive pools: one :class:`Endpoint` per subgraph URL.

The gateway sends one kind of request (a small JSON POST) to a handful of origins, many times
a second, over ``http1.Origin`` (the keep-alive HTTP/1.1 client the system clients share):
the request line and fixed headers are made once per URL, and each fetch adds its length, its
own header lines and the time left.

A request may carry a deadline (event-loop time) that a timer of the caller's enforces, one
for all the fetches of a client request: the time left goes to the server in a header, and
the request gets no read timer of its own unless the read timeout would end it first.

Errors are ``http1``'s, named here for the gateway's modules::

    HttpError
    ├── BadUrl               the URL cannot be used (scheme, host, port)
    ├── ConnectFailed        no connection could be opened (refused, unknown host, timeout)
    └── ReadFailed           the connection broke, timed out or sent something that is not HTTP
        └── ResponseTooLarge a response body over the size limit
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from http1 import (
    DEFAULT_MAX_RESPONSE_BYTES,
    BadUrl,
    ConnectFailed,
    HttpError,
    Origin,
    ReadFailed,
    ResponseTooLarge,
    header_lines,
)
from http1 import Response as HttpResponse

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
        self.origin = Origin(
            url,
            headers=headers,
            max_connections=max_connections,
            max_idle=max_keepalive,
            connect_timeout=connect_timeout,
            max_response_bytes=max_response_bytes,
        )
        self._head = self.origin.head("POST") + b"content-length: "
        self.read_timeout = read_timeout
        self._deadline_line = b"%s: " % deadline_header.encode("ascii") if deadline_header else b""

    async def post(
        self,
        body: bytes,
        *,
        retry: bool = True,
        deadline: float | None = None,
        headers: bytes = b"",
    ) -> HttpResponse:
        """POST ``body``; ``retry`` once when a kept-alive connection turns out to be closed
        (``http1.Origin.send``).

        ``headers`` are this request's own header lines (``b"name: value\r\n"`` each, made
        with :func:`header_lines`), after the endpoint's.

        With a ``deadline`` (in the running loop's time) the server is told the time left,
        and the caller's timer is trusted to end the request then: a read timer of its own
        is set only when the read timeout would come first (so one timer per client request
        bounds all its fetches, rather than one per fetch).
        """
        read_timeout: float | None = self.read_timeout
        head = b"%s%d\r\n%s" % (self._head, len(body), headers)
        if deadline is not None:
            left = deadline - asyncio.get_running_loop().time()
            if self._deadline_line:
                # Whole milliseconds, at least 1, at most a billion seconds' worth (a deadline
                # that far away would overflow the conversion, and means none).
                milliseconds = max(1, int(min(left, _FOREVER_SECONDS) * 1000))
                head += b"%s%d\r\n" % (self._deadline_line, milliseconds)
            if left <= self.read_timeout:
                read_timeout = None
        return await self.origin.send(head + b"\r\n" + body, retry=retry, read_timeout=read_timeout)

    def close(self) -> None:
        self.origin.close()
