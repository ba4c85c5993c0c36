"""At most N executions at once; the requests beyond them wait their turn, first come first
served, in a line of at most M (beyond it, refused at once).

A gateway process has one core. Past the executions that keep it busy, every execution more
in flight only adds to what is held in memory at once (subgraph responses decoded, responses
being shaped): the garbage collector walks more, caches miss more, and every request is
slower. Under fedbench's load, 200 connections got 14% fewer answers per second than 50 did.
With a cap, the requests over it wait, holding nothing but their parsed request, and each
runs at the speed of 50.

A waiter is a future in a FIFO queue, woken by the release that hands it the slot (never a
poll). It waits no longer than its request's deadline (:meth:`ExecutionSlots.acquire` is
then :attr:`Turn.TIMED_OUT`), and one cancelled while it waits (its client hung up, the last
caller of a shared execution left) leaves the queue and holds nothing. A slot granted at the
moment its waiter was cancelled is passed on, not lost.

The line is bounded (``max_queued``; 0: not bounded). A request that finds every slot taken
and the line full does not join it: :meth:`ExecutionSlots.acquire` is :attr:`Turn.LINE_FULL`
at once, and its caller refuses it before anything of it runs. Past the line's length the
gateway is not catching up with a burst but falling behind: each request more would wait,
then most likely time out, holding its connection and its parsed request all the while; a
refusal at once lets its client (or the load balancer) retry later or elsewhere.

The gateway engine takes a slot for each execution it runs: a query or mutation over any
transport, one slot for an execution that identical queries share
(``gateway._single_flight``), none for its other callers. Subscriptions and ``@defer``
streams take none: they live as long as their client reads (docs/deadlines.md).
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Callable

__all__ = ["ExecutionSlots", "Turn"]


class Turn(enum.Enum):
    """What :meth:`ExecutionSlots.acquire` came to: only ``GRANTED`` holds a slot."""

    # A slot is the caller's: it must :meth:`ExecutionSlots.release` it.
    GRANTED = "granted"
    # Its deadline passed while it waited in line (never without a deadline).
    TIMED_OUT = "timed out"
    # Every slot was taken and the line full: refused at once, it never waited.
    LINE_FULL = "line full"


class ExecutionSlots:
    """``capacity`` slots, taken with :meth:`acquire` and given back with :meth:`release`;
    at most ``max_queued`` requests waiting for one (0: any number).

    ``on_change(running, queued)`` is told every change of either (the server's gauges);
    ``on_wait(seconds)`` how long each request that had to queue waited, granted or not.
    One event loop, no lock.
    """

    def __init__(self, capacity: int, max_queued: int = 0) -> None:
        if capacity < 1:
            raise ValueError("an execution cap is at least 1 (no cap: no ExecutionSlots)")
        if max_queued < 0:
            raise ValueError("a line is at least 0 long (0: not bounded)")
        self.capacity = capacity
        self.max_queued = max_queued
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.on_change: Callable[[int, int], None] | None = None
        self.on_wait: Callable[[float], None] | None = None

    @property
    def queued(self) -> int:
        """Requests waiting for a slot now."""
        return len(self._waiters)

    @property
    def line_full(self) -> bool:
        """Whether a request arriving now would be refused (:attr:`Turn.LINE_FULL`). Only
        requests in line count, and there are some only when every slot is taken."""
        return 0 < self.max_queued <= len(self._waiters)

    async def acquire(self, deadline: float | None) -> Turn:
        """Take a slot, waiting in line for one if none is free: ``GRANTED``; ``TIMED_OUT``
        when ``deadline`` (event-loop time) came first; ``LINE_FULL`` at once, without
        waiting, when the line is full. Cancelled while waiting: raises, holding none."""
        if self.running < self.capacity and not self._waiters:
            self.running += 1
            self._changed()
            return Turn.GRANTED
        if self.line_full:
            return Turn.LINE_FULL
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        self._changed()
        queued_at = loop.time()
        try:
            if deadline is None:
                await waiter
            else:
                async with asyncio.timeout_at(deadline):
                    await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():
                # Granted just as it gave up: the slot is its own, so it is passed on.
                self.release()
            else:
                self._leave(waiter)
            self._waited(loop.time() - queued_at)
            if isinstance(error, TimeoutError):
                return Turn.TIMED_OUT
            raise
        self._waited(loop.time() - queued_at)
        return Turn.GRANTED

    def release(self) -> None:
        """Give a slot back: to the first request in line, else free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                # ``running`` stays: the slot goes straight to the waiter.
                waiter.set_result(None)
                self._changed()
                return
        self.running -= 1
        self._changed()

    def _leave(self, waiter: asyncio.Future[None]) -> None:
        try:
            self._waiters.remove(waiter)
        except ValueError:
            return  # already taken out by a release that found it cancelled
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.running, len(self._waiters))

    def _waited(self, seconds: float) -> None:
        if self.on_wait is not None:
            self.on_wait(seconds)
