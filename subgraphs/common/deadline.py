"""A subgraph request's time: how long it may take, and its end when its caller hangs up.

A request may take the subgraph's own timeout, or what its caller (the gateway) says it will
still wait, in whole milliseconds in the ``x-request-timeout-ms`` header, whichever is shorter.
That bounds every system call the request makes (``connectors.deadline``: a call started late
gets only the time left, and one started after the deadline fails at once, so its field gets a
``SUBGRAPH_ERROR`` and the rest of the answer is kept). A caller that hangs up cancels the
request, and with it the system calls in flight (``gateway.server.unless_hung_up``, the same
watcher the gateway runs for its own clients).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TypeVar

from starlette.requests import Request

from connectors.deadline import request_deadline
from gateway.server import unless_hung_up

__all__ = ["TIMEOUT_HEADER", "bounded", "request_timeout"]

TIMEOUT_HEADER = "x-request-timeout-ms"
"""Milliseconds the caller still waits (the gateway's ``gateway.executor.TIMEOUT_HEADER``)."""

# Far beyond any timeout: a larger number is a caller's mistake, not a wish to wait a year.
_MAX_HEADER_DIGITS = 12

T = TypeVar("T")


def request_timeout(headers: Mapping[str, str], own: float | None) -> float | None:
    """Seconds a request may take: ``own``, or the caller's time left if that is shorter.

    A header that is not a whole number of milliseconds is ignored (``own`` applies).
    """
    raw = headers.get(TIMEOUT_HEADER, "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_HEADER_DIGITS:
        return own
    forwarded = int(raw) / 1000
    return forwarded if own is None else min(own, forwarded)


async def bounded(request: Request, own: float | None, work: Awaitable[T]) -> T | None:
    """``await work`` within the request's time; ``None`` if the caller hung up first."""
    with request_deadline(request_timeout(request.headers, own)):
        return await unless_hung_up(request.receive, work)
