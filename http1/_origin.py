"""``Origin``: requests to one URL's server over a pool of keep-alive connections."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

from http1._connection import Connection
from http1._response import BadUrl, ConnectFailed, ReadFailed, Response

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "Origin", "header_lines"]

# Response bodies larger than this fail the request (and close the connection).
DEFAULT_MAX_RESPONSE_BYTES = 64 << 20

_DOTTED = re.compile(r"[0-9.]+")
_MAX_PORT = 65535
# Methods whose requests carry no body unless one is given (so no content-length either).
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


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


def _check_host(host: str) -> None:
    if _DOTTED.fullmatch(host):
        # A resolver would read 256.1.1.1 or 1.2.3 some way of its own: call no such thing.
        try:
            ipaddress.IPv4Address(host)
        except ValueError as error:
            raise BadUrl(f"invalid IPv4 address {host!r}") from error


class Origin:
    """Requests to one URL's server over a pool of keep-alive connections.

    At most ``max_connections`` requests are in flight (the others wait for a connection);
    at most ``max_idle`` idle connections (all of them by default) are kept for reuse, each
    until it has been idle ``keepalive_expiry`` seconds (``None``: as long as the server keeps
    it). A connection must open within ``connect_timeout`` (``None``: the caller's own time
    bounds it). A response body over ``max_response_bytes`` fails the request with
    :class:`ResponseTooLarge`. ``headers`` go with every request.

    The URL is checked here: :class:`BadUrl` for one that is not http(s), names no host, a
    port out of range or an IPv4 address that is none, or is not ASCII.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        max_connections: int,
        max_idle: int | None = None,
        keepalive_expiry: float | None = None,
        connect_timeout: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise BadUrl(f"invalid URL {url!r}: {error}") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadUrl(f"invalid URL {url!r}: need http(s)://host")
        if port is not None and not 0 < port <= _MAX_PORT:
            raise BadUrl(f"port {port} is out of range")
        self.host = parts.hostname
        _check_host(self.host)
        https = parts.scheme == "https"
        self.port = port or (443 if https else 80)
        self.ssl = ssl.create_default_context() if https else None
        authority = self.host if ":" not in self.host else f"[{self.host}]"
        if port is not None and port != (443 if https else 80):
            authority = f"{authority}:{port}"
        # The URL's own request target, and the path that targets given later go under.
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.base_path = parts.path.rstrip("/")
        try:
            self._fixed = f"host: {authority}\r\n".encode("ascii") + header_lines(headers)
            self.target.encode("ascii")
        except (UnicodeEncodeError, ValueError) as error:
            raise BadUrl(f"invalid URL {url!r} or headers: not ASCII") from error
        self.max_connections = max_connections
        self.max_idle = max_connections if max_idle is None else max_idle
        self.keepalive_expiry = keepalive_expiry
        self.connect_timeout = connect_timeout
        self.max_response_bytes = max_response_bytes
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        # Bumped by close(): a connection of an earlier generation is not pooled again.
        self._generation = 0

    def head(self, method: str, target: str | None = None) -> bytes:
        """The request line of ``method target`` and the fixed header lines (host, the
        origin's ``headers``): a request's own headers, its length and ``\\r\\n`` follow.
        ``target`` is a path and query under the URL's path; ``None``: the URL's own."""
        path = self.target if target is None else self.base_path + target
        if not path.isascii() or not path.isprintable() or " " in path:
            # A space, CR or LF would end the request line early and let the rest of a path
            # built from an id be read as a request or headers of its own.
            raise BadUrl(f"request target {path!r} is not printable ASCII without spaces")
        return f"{method} {path} HTTP/1.1\r\n".encode("ascii") + self._fixed

    async def request(
        self,
        method: str,
        target: str | None = None,
        *,
        headers: bytes = b"",
        body: bytes | None = None,
        retry: bool = False,
        read_timeout: float | None = None,
    ) -> Response:
        """Send ``method target`` (see :meth:`head`) with ``headers`` (``b"name: value\\r\\n"``
        lines, made with :func:`header_lines`) and ``body``; the final response. See
        :meth:`send` for ``retry`` and ``read_timeout``."""
        head = self.head(method, target) + headers
        if body is not None or method not in _BODILESS:
            head += b"content-length: %d\r\n" % len(body or b"")
        data = head + b"\r\n" + (body or b"")
        return await self.send(
            data, retry=retry, read_timeout=read_timeout, head_request=method == "HEAD"
        )

    async def send(
        self,
        data: bytes,
        *,
        retry: bool = False,
        read_timeout: float | None = None,
        head_request: bool = False,
    ) -> Response:
        """Send ``data``, one whole request (a :meth:`head`, its header lines, ``\\r\\n``, its
        body; a HEAD if ``head_request``: its response has no body, and its connection
        is not used again); the final response.

        With ``retry`` the request goes again once, on a new connection, when a kept-alive
        connection fails before any byte of an answer (the server closed it while it sat
        idle: it never read the request) or answers ``408`` (its timeout of the idle
        connection crossed the request on the wire). Only for requests that change nothing,
        or that the server would refuse twice.

        Without a ``read_timeout`` the caller's own timer bounds the wait for the response;
        with one, no response in that many seconds is a :class:`ReadFailed`. A request
        cancelled or failed mid-response aborts its connection at once.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Connections and the semaphore belong to the loop they were made on (tests and
            # commands may run several loops one after another): start afresh on a new one.
            self._idle = []
            self._slots = asyncio.Semaphore(self.max_connections)
            self._loop = loop
        async with self._slots:
            while True:
                connection, reused = self._take(loop)
                if connection is None:
                    connection = await self._connect()
                try:
                    if read_timeout is None:
                        response = await connection.send(data, head_request=head_request)
                    else:
                        async with asyncio.timeout(read_timeout):
                            response = await connection.send(data, head_request=head_request)
                except ReadFailed as error:
                    if retry and reused and not error.answered:
                        retry = False
                        continue
                    raise
                except TimeoutError as error:
                    connection.abort()
                    raise ReadFailed(
                        f"no response in {read_timeout:g}s", answered=connection.received
                    ) from error
                except BaseException:
                    connection.abort()  # cancelled mid-response: the connection is unusable
                    raise
                if response.status == 408 and reused and retry:
                    retry = False
                    connection.close()
                    continue
                if (
                    head_request
                    or connection.generation != self._generation
                    or len(self._idle) >= self.max_idle
                    or not connection.reusable()
                ):
                    connection.close()
                else:
                    if self.keepalive_expiry is not None:
                        connection.idle_since = loop.time()
                    self._idle.append(connection)
                return response

    def _take(self, loop: asyncio.AbstractEventLoop) -> tuple[Connection | None, bool]:
        """The most recently used idle connection, and whether it is one (not a new one)."""
        idle = self._idle
        while idle:
            connection = idle.pop()
            if connection.closed:
                continue
            expiry = self.keepalive_expiry
            if expiry is not None and loop.time() - connection.idle_since > expiry:
                # This one and every older one below it: the server may close them any time.
                for old in [connection, *idle]:
                    old.close()
                idle.clear()
                break
            return connection, True
        return None, False

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        generation = self._generation
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: Connection(self.max_response_bytes, generation),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                )
        except TimeoutError as error:
            if self.connect_timeout is None:  # the system's own (ETIMEDOUT)
                raise ConnectFailed(f"TimeoutError: {error}") from error
            raise ConnectFailed(f"no connection in {self.connect_timeout:g}s") from error
        except (OSError, OverflowError, ValueError, ExceptionGroup) as error:
            raise ConnectFailed(f"{type(error).__name__}: {error}") from error
        return connection

    def close(self) -> None:
        """Close the idle connections now, and those in use when their response is in; a
        later request opens new ones."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
