"""What a request gets: a final :class:`Response`, or one of the :class:`HttpError` kinds."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BadUrl",
    "ConnectFailed",
    "HttpError",
    "ReadFailed",
    "Response",
    "ResponseTooLarge",
]


class HttpError(Exception):
    """A request that got no usable HTTP response."""


class BadUrl(HttpError):
    """The URL (or a request's target) cannot be used: not http(s), no host, a port out of
    range, an IPv4 address that is none, not ASCII."""


class ConnectFailed(HttpError):
    """No connection could be opened: refused, unknown host, no connection in time."""


class ReadFailed(HttpError):
    """The connection broke, timed out or sent something that is not HTTP. ``answered``
    says whether any byte of a response had come: when none had, the server may never have
    read the request (sending it again is safe for a request that changes nothing)."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered


class ResponseTooLarge(ReadFailed):
    """A response body over the origin's ``max_response_bytes``."""


@dataclass(frozen=True, slots=True)
class Response:
    """A final response: its status, header lines (names lower-cased, as sent: bytes) and
    whole body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), if the response has one."""
        key = name.lower().encode("latin-1")
        for header, value in self.headers:
            if header == key:
                return value.decode("latin-1")
        return None
