"""The deadline of the request a system call serves: a call started late gets only what is left.

A subgraph sets it once per request (``with request_deadline(seconds):``, its own timeout or
the gateway's time left, whichever is shorter); every :class:`connectors.http.SystemClient`
call made under it, in that task or any task it starts, takes ``min(its own timeout, the time
left)``, and one started after the deadline fails at once without calling the system. One
context variable, read with one clock call per system call: no timer of its own.

Work that must finish whatever the caller's deadline (a workflow that has written to a system
and may have to compensate) runs under :func:`no_deadline`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["no_deadline", "remaining", "request_deadline"]

# When the request must be done, in ``time.monotonic()`` seconds; None: no deadline.
_deadline: ContextVar[float | None] = ContextVar("crossdock_request_deadline", default=None)


def remaining() -> float | None:
    """Seconds left before the current request's deadline (<= 0 once passed); None: none."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Calls inside end within ``seconds`` from now (or the deadline already set, if sooner).

    ``None`` leaves the current deadline (if any) as it is.
    """
    if seconds is None:
        yield
        return
    deadline = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(deadline if current is None else min(current, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def no_deadline() -> Iterator[None]:
    """Calls inside (and in tasks started inside) keep only their own timeouts."""
    token = _deadline.set(None)
    try:
        yield
    finally:
        _deadline.reset(token)
