"""The request a system call serves: its deadline, whether it was stopped, its calls in flight.

A subgraph opens one scope per request (``with request_deadline(seconds) as scope:``, its own
timeout or the gateway's time left, whichever is shorter). Every
:class:`connectors.http.SystemClient` call made under it, in that task or in any task it
starts (a loader's batch runs in a task of its own), takes ``min(its own timeout, the time
left)``, and one started after the deadline fails at once without calling the system.

:meth:`RequestScope.stop` (the subgraph's, when the caller hangs up or the request outlives
its deadline) ends the calls in flight: each fails with ``SystemUnavailable`` rather than
being cancelled outright, so that whoever awaits it (a loader's waiting fields) is answered
too; and calls started after it fail at once. Leaving the scope stops it: no system call
outlives its request. One context variable, read with one clock call per system call.

Work that must finish whatever becomes of the request (a workflow that has written to a
system and may have to undo it) runs under :func:`no_deadline`: outside any request's scope.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["Call", "RequestScope", "in_flight", "no_deadline", "remaining", "request_deadline"]


@dataclass(eq=False)
class RequestScope:
    """One request: when it must be done (``time.monotonic()``; None: never), whether it has
    been stopped, and the tasks that are in a system call for it right now."""

    deadline: float | None
    stopped: bool = False
    calls: set[asyncio.Task[object]] = field(default_factory=set)

    def stop(self) -> None:
        """End the calls in flight (they fail as unavailable) and refuse any new one."""
        if self.stopped:
            return
        self.stopped = True
        if not self.calls:
            return
        current = asyncio.current_task()
        for task in self.calls:
            if task is not current:
                task.cancel()


_scope: ContextVar[RequestScope | None] = ContextVar("crossdock_request_scope", default=None)


def remaining() -> float | None:
    """Seconds left before the current request's deadline (<= 0 once passed, or once the
    request was stopped); None: no deadline."""
    scope = _scope.get()
    if scope is None:
        return None
    if scope.stopped:
        return 0.0
    if scope.deadline is None:
        return None
    return scope.deadline - time.monotonic()


def stopped() -> bool:
    """Whether the current request has been stopped."""
    scope = _scope.get()
    return scope is not None and scope.stopped


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[RequestScope]:
    """A request's scope: calls inside end within ``seconds`` from now (or by the deadline of
    the scope around, if sooner; ``None``: no deadline of its own). Leaving it stops it."""
    outer = _scope.get()
    deadline = None if seconds is None else time.monotonic() + seconds
    if outer is not None and outer.deadline is not None:
        deadline = outer.deadline if deadline is None else min(outer.deadline, deadline)
    scope = RequestScope(deadline)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
        scope.stop()


@contextmanager
def no_deadline() -> Iterator[None]:
    """Calls inside (and in tasks started inside) belong to no request: only their own
    timeouts bound them, and no request's end stops them."""
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


@dataclass(eq=False)
class Call:
    """One system call in flight, as :func:`in_flight` registered it."""

    scope: RequestScope | None
    task: asyncio.Task[object] | None

    def was_stopped(self) -> bool:
        """Whether the ``CancelledError`` being handled is the scope's stop, and only that
        (then it is taken back: the call fails instead)."""
        if self.scope is None or self.task is None or not self.scope.stopped:
            return False
        return self.task.uncancel() == 0


@contextmanager
def in_flight() -> Iterator[Call]:
    """Around one system call: stopping the request cancels the task making it."""
    scope = _scope.get()
    task = asyncio.current_task()
    call = Call(scope, task)
    if scope is None or task is None:
        yield call
        return
    scope.calls.add(task)
    try:
        yield call
    finally:
        scope.calls.discard(task)
