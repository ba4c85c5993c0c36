"""A subgraph request's time: how long it may take, and its end when its caller hangs up.

A request may take the subgraph's own timeout, or what its caller (the gateway) says it will
still wait, in whole milliseconds in the ``x-request-timeout-ms`` header, whichever is shorter.
That bounds every system call the request makes (``connectors.deadline``: a call started late
gets only the time left, one started after the deadline fails at once, so its field gets a
``SUBGRAPH_ERROR`` and the rest of the answer is kept).

A request is stopped when its caller hangs up, or if it is still running :data:`GRACE`
seconds past its deadline: its system calls in flight fail, and every field it has yet to
resolve fails at once (:class:`TakeTurns`), so the execution unwinds in a moment and its
answer is replaced (one ``DEADLINE_EXCEEDED`` error; nobody reads a hung-up one). It is not
cancelled: graphql-core would leave the coroutines of fields it had not started behind.

Data a request has already loaded (a loader's cache, the reference cache) resolves without
waiting, and graphql-core makes a task of every field that does wait, so a query fanning out
over it (``account { cases { account { … } } }``) can put a hundred thousand steps in one turn
of the event loop, deaf to its caller leaving, to its deadline and to every other request.
:class:`TakeTurns` (in every subgraph schema) lets a request resolve fields for at most
:data:`TURN_SECONDS` per turn; the rest wait, in order, for the turns after.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from graphql import GraphQLError, GraphQLResolveInfo
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from connectors.deadline import request_deadline, stopped
from gateway.server import disconnected

__all__ = [
    "DEADLINE_EXCEEDED",
    "GRACE",
    "TIMEOUT_HEADER",
    "TURN_SECONDS",
    "Stopped",
    "TakeTurns",
    "bounded",
    "request_timeout",
]

TIMEOUT_HEADER: Final = "x-request-timeout-ms"
"""Milliseconds the caller still waits (the gateway's ``gateway.executor.TIMEOUT_HEADER``)."""

DEADLINE_EXCEEDED: Final = "DEADLINE_EXCEEDED"
"""``extensions.code`` of the one error of a request stopped past its deadline."""

GRACE: Final = 1.0
"""Seconds past its deadline a request may take to finish its answer (its system calls have
ended by the deadline; fields that failed then still make a partial answer)."""

TURN_SECONDS: Final = 0.005
"""How long a request may go on resolving fields in one turn of the event loop."""


def _cpu_clock() -> float:
    """The CPU seconds of the event loop's thread. Turns are measured in the loop's own work,
    not in wall time: on a machine busy with other processes, wall time would cut the same
    request into more turns, split its loaders' batches differently and so change how many
    calls it makes to its system (the same request must cost the same calls, loaded or not)."""
    return time.thread_time()


TURN_TARGET: Final = 0.02
"""How long a turn of the event loop should take: while a request has fields waiting and the
turns take longer (everyone's work and the garbage collector's included), it lets fewer of
them go on per turn; while they take less, more again."""

# Fields a waiting request lets go on per turn, at most; and at least (it never stalls).
_MOST_PER_TURN = 1000
_LEAST_PER_TURN = 1

# Far beyond any timeout: a larger number is a caller's mistake, not a wish to wait a year.
_MAX_HEADER_DIGITS = 12

T = TypeVar("T")


class Stopped(enum.Enum):
    """Why :func:`bounded` has no answer to give."""

    HUNG_UP = "the caller hung up"
    DEADLINE = "the request ran past its deadline"


def request_timeout(headers: Mapping[str, str], own: float | None) -> float | None:
    """Seconds a request may take: ``own``, or the caller's time left if that is shorter.

    A header that is not a whole number of milliseconds is ignored (``own`` applies).
    """
    raw = headers.get(TIMEOUT_HEADER, "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_HEADER_DIGITS:
        return own
    forwarded = int(raw) / 1000
    return forwarded if own is None else min(own, forwarded)


async def bounded(request: Request, own: float | None, work: Awaitable[T]) -> T | Stopped:
    """``await work`` within the request's time: its result, or why it was stopped."""
    timeout = request_timeout(request.headers, own)
    why: list[Stopped] = []
    with request_deadline(timeout) as scope:

        def stop(reason: Stopped) -> None:
            if not why:
                why.append(reason)
                scope.stop()

        loop = asyncio.get_running_loop()
        timer = (
            None if timeout is None else loop.call_later(timeout + GRACE, stop, Stopped.DEADLINE)
        )
        # The body has been read: from now on the only message is the caller hanging up.
        hangup = asyncio.ensure_future(disconnected(request.receive))
        hangup.add_done_callback(lambda done: _hung_up(done, stop))
        try:
            result = await work
        finally:
            hangup.cancel()
            if timer is not None:
                timer.cancel()
    return why[0] if why else result


def _hung_up(watch: asyncio.Future[None], stop: Callable[[Stopped], None]) -> None:
    if not watch.cancelled() and watch.exception() is None:
        stop(Stopped.HUNG_UP)


def _stopped() -> GraphQLError:
    # A GraphQL error: public, so not logged once per field (the answer is replaced anyway).
    return GraphQLError("The request was stopped.", extensions={"code": DEADLINE_EXCEEDED})


class TakeTurns(SchemaExtension):
    """A request resolves fields for at most :data:`TURN_SECONDS` per turn of the event loop,
    and none once it is stopped (see the module's docstring).

    A field past the request's share of a turn is answered with a future, settled in a later
    turn by resolving it then: a future, not a coroutine, so one never started is no leak.
    A request that fits in its share (nearly all) never waits; one that does not takes a
    little longer, and everyone else gets a turn. The share is measured in time, not in
    fields: fields cost from nothing (an attribute) to a lot (a list of a hundred objects).
    """

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        super().__init__(execution_context=execution_context)
        self._turn_ends = 0.0  # when this request's share of the current turn is spent
        self._refill_due = False  # a refill is scheduled for the next turn
        # Fields let go on per turn while some wait, and when the last such turn began.
        self._per_turn = _MOST_PER_TURN
        self._last_refill: float | None = None
        # The loop the request runs on; None until its first field, False when it runs
        # without one (``execute_sync``: nothing to take turns with).
        self._loop: asyncio.AbstractEventLoop | bool | None = None
        self._waiting: deque[tuple[asyncio.Future[object], Callable[[], object]]] = deque()

    def resolve(
        self,
        _next: Callable[..., object],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: str,
        **kwargs: Any,
    ) -> object:
        if stopped():
            raise _stopped()
        loop = self._loop
        if loop is None:
            try:
                loop = self._loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = self._loop = False
        if loop is False:
            return _next(root, info, *args, **kwargs)
        now = _cpu_clock()
        if not self._refill_due:
            # The request's first field in this turn: its share starts now.
            self._turn_ends = now + TURN_SECONDS
            self._refill_soon()
        if now < self._turn_ends and not self._waiting:
            return _next(root, info, *args, **kwargs)
        later: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._waiting.append((later, lambda: _next(root, info, *args, **kwargs)))
        return later

    def _refill_soon(self) -> None:
        """Refill at the next turn of the loop (once per turn)."""
        if not self._refill_due:
            self._refill_due = True
            asyncio.get_running_loop().call_soon(self._refill)

    def _refill(self) -> None:
        """A new turn: resolve the first fields put off (all of them fail once stopped)."""
        self._refill_due = False
        waiting = self._waiting
        now = _cpu_clock()
        if not waiting:
            self._last_refill = None
            return
        if self._last_refill is not None:
            # The turn since the last refill: the share of the next one follows its length
            # (halved when it was too long, a little more when it was not).
            if now - self._last_refill > TURN_TARGET:
                self._per_turn = max(_LEAST_PER_TURN, self._per_turn // 2)
            else:
                self._per_turn = min(_MOST_PER_TURN, self._per_turn + 1 + self._per_turn // 8)
        self._last_refill = now
        # Fields resolved inside these (an object's own fields) share the same turn.
        self._refill_soon()
        ends = self._turn_ends = now + TURN_SECONDS
        halted = stopped()
        left = self._per_turn
        while waiting and (halted or (left > 0 and _cpu_clock() < ends)):
            later, resolve = waiting.popleft()
            if later.done():  # its awaiter was cancelled
                continue
            if halted:
                later.set_exception(_stopped())
                continue
            left -= 1
            try:
                value = resolve()
            except Exception as error:
                later.set_exception(error)
                continue
            if inspect.isawaitable(value):
                _settle(asyncio.ensure_future(value), later)
            else:
                later.set_result(value)


def _settle(task: asyncio.Future[object], later: asyncio.Future[object]) -> None:
    """``later`` gets ``task``'s outcome; cancelling ``later`` cancels ``task``."""

    def settled(task: asyncio.Future[object]) -> None:
        if task.cancelled():
            later.cancel()
            return
        error = task.exception()  # retrieved even if nobody waits any more
        if later.done():
            return
        if error is not None:
            later.set_exception(error)
        else:
            later.set_result(task.result())

    task.add_done_callback(settled)
    later.add_done_callback(lambda done: task.cancel() if done.cancelled() else None)
