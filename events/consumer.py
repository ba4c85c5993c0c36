"""``Consumer``: one member of a consumer group, running a handler over a stream of events.

The delivery policy lives here, once, over any ``EventBus``: an entry is acknowledged only
after its handler returned; a handler that raises gets the entry again after a backoff; an
entry left pending by a consumer that died is reclaimed once it has been idle long enough; an
entry that failed ``max_attempts`` deliveries goes to the dead letters with its last error.
Delivery is at least once: handlers make themselves idempotent by event id
(``events.idempotency``).

A consumer heals: its group gone (Redis restarted empty, ``NOGROUP``) is created again, reading
the stream from its start; the bus out of reach is waited out; anything else that breaks its
loop is logged with its traceback and the loop restarted after a backoff. ``state`` and
``stats`` say which, for ``/ready`` and ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from events.base import Delivery, EventBus, EventBusUnavailable, RetryLater
from telemetry.tracing import span_after

__all__ = ["Consumer", "ConsumerState", "ConsumerStats", "Handler"]

Handler = Callable[[Delivery], Awaitable[None]]
"""Processes one delivery; returning acknowledges it, raising asks for a retry."""

log = logging.getLogger("crossdock.events")


@dataclass(slots=True)
class ConsumerStats:
    """What one consumer has done since it started."""

    handled: int = 0
    failed: int = 0
    dead_lettered: int = 0
    reclaimed: int = 0
    # The loop broke on something unexpected and was started again.
    restarts: int = 0
    # The group was found missing and created again.
    groups_recreated: int = 0


ConsumerState = Literal["starting", "running", "waiting for the bus", "restarting", "stopped"]

# Backoff of a loop that broke: doubling from the first, up to the last.
_RESTART_DELAY = 0.5
_MAX_RESTART_DELAY = 30.0


class Consumer:
    """Reads ``stream`` as ``name`` in ``group`` and runs ``handler`` on every entry.

    ``reclaim_idle_seconds`` must exceed the longest a handler runs, or a live consumer's
    entries are taken over while it still works on them. Up to ``concurrency`` handlers run at
    once; with 1 (the default) a consumer handles its entries in stream order.
    """

    def __init__(
        self,
        bus: EventBus,
        stream: str,
        group: str,
        handler: Handler,
        *,
        name: str | None = None,
        batch_size: int = 16,
        concurrency: int = 1,
        max_attempts: int = 5,
        retry_delay_seconds: float = 0.5,
        max_retry_delay_seconds: float = 30.0,
        reclaim_idle_seconds: float = 30.0,
        block_seconds: float = 1.0,
        start_id: str = "0",
    ) -> None:
        if batch_size < 1 or concurrency < 1 or max_attempts < 1:
            raise ValueError("batch_size, concurrency and max_attempts must be at least 1")
        self.bus, self.stream, self.group, self.handler = bus, stream, group, handler
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.batch_size, self.max_attempts = batch_size, max_attempts
        self.retry_delay, self.max_retry_delay = retry_delay_seconds, max_retry_delay_seconds
        self.reclaim_idle, self.block_seconds, self.start_id = (
            reclaim_idle_seconds,
            block_seconds,
            start_id,
        )
        self.stats = ConsumerStats()
        self.state: ConsumerState = "starting"
        # The last thing that broke the loop (or kept the bus away), for /ready.
        self.last_error: str | None = None
        self._limit = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._stopping = asyncio.Event()
        self._retries: dict[str, float] = {}  # entry id -> when to deliver it again
        # Deliveries that ended in RetryLater: they do not count toward the dead letters.
        self._deferred: dict[str, int] = {}
        self._next_reclaim = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        """Run in a task of the current loop; ``stop()`` ends it."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"consumer {self.name}")
        return self._task

    def stop(self) -> None:
        """Finish the batch in hand (acknowledging it), then return from ``run``."""
        self._stopping.set()

    async def __aenter__(self) -> Consumer:
        await self.bus.ensure_group(self.stream, self.group, start_id=self.start_id)
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()
        if self._task is not None:
            await self._task

    async def run(self) -> None:
        """Consume until ``stop()``, healing from what breaks the loop (see the module)."""
        restarts = 0
        start_id = self.start_id
        try:
            while not self._stopping.is_set():
                running_since = time.monotonic()
                try:
                    await self.bus.ensure_group(self.stream, self.group, start_id=start_id)
                    self.state, self.last_error = "running", None
                    await self._consume()
                except EventBusUnavailable as exc:
                    # Whatever was not acknowledged stays pending and is reclaimed later.
                    self.state, self.last_error = "waiting for the bus", str(exc)
                    log.warning("consumer %s: %s", self.name, exc)
                    await self._pause(min(1.0, self.block_seconds))
                except LookupError:
                    # Its group is gone with the stream's state: what the stream holds now
                    # came after the loss (or is replayed), so it is all read again.
                    self.stats.groups_recreated += 1
                    log.warning(
                        "consumer %s: group %r of %r is gone (Redis restarted empty?); "
                        "creating it again from the start of the stream",
                        self.name,
                        self.group,
                        self.stream,
                    )
                    self._retries.clear()
                    self._deferred.clear()
                    start_id = "0"
                except Exception as exc:
                    # A loop that ran a good while before breaking starts its backoff anew.
                    ran_long = time.monotonic() - running_since > _MAX_RESTART_DELAY
                    restarts = 1 if ran_long else restarts + 1
                    self.stats.restarts += 1
                    delay = min(_RESTART_DELAY * 2 ** (restarts - 1), _MAX_RESTART_DELAY)
                    self.state = "restarting"
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception(
                        "consumer %s of %r on %r broke; restarting in %.1fs",
                        self.name,
                        self.group,
                        self.stream,
                        delay,
                    )
                    await self._pause(delay)
        finally:
            self.state = "stopped"

    async def _consume(self) -> None:
        """Batches until ``stop()``; returns then, raises what breaks it."""
        while not self._stopping.is_set():
            batch = await self._next_batch()
            if self._concurrency == 1:
                for delivery in batch:
                    await self._handle(delivery)
            else:
                await asyncio.gather(*(self._handle(delivery) for delivery in batch))

    async def _next_batch(self) -> list[Delivery]:
        now = time.monotonic()
        due = [entry_id for entry_id, at in self._retries.items() if at <= now]
        batch: list[Delivery] = []
        if due:
            for entry_id in due:
                del self._retries[entry_id]
            # Not an entry someone else took over meanwhile (it would not be idle).
            batch = await self.bus.claim(
                self.stream, self.group, self.name, due, min_idle_seconds=self.retry_delay / 2
            )
            for lost in set(due) - {delivery.id for delivery in batch}:
                self._deferred.pop(lost, None)
        if now >= self._next_reclaim and len(batch) < self.batch_size:
            self._next_reclaim = now + max(0.01, self.reclaim_idle / 2)
            reclaimed = await self.bus.claim_idle(
                self.stream,
                self.group,
                self.name,
                min_idle_seconds=self.reclaim_idle,
                count=self.batch_size - len(batch),
            )
            reclaimed = [d for d in reclaimed if d.id not in {b.id for b in batch}]
            self.stats.reclaimed += len(reclaimed)
            batch += reclaimed
        if len(batch) < self.batch_size:
            block = 0.0 if batch else self._block_for(now)
            batch += await self.bus.read(
                self.stream,
                self.group,
                self.name,
                count=self.batch_size - len(batch),
                block_seconds=block,
            )
        return batch

    def _block_for(self, now: float) -> float:
        """How long a read may wait: until the next retry or reclaim falls due."""
        wake = min([self._next_reclaim, *self._retries.values()])
        return max(0.0, min(self.block_seconds, wake - now))

    async def _handle(self, delivery: Delivery) -> None:
        self._retries.pop(delivery.id, None)
        attempts = delivery.attempts - self._deferred.get(delivery.id, 0)
        if attempts > self.max_attempts:
            # Delivered that often without an ack or a recorded failure: it kills consumers.
            await self._dead_letter(delivery, f"not acknowledged after {attempts - 1} deliveries")
            return
        async with self._limit:
            try:
                with span_after(
                    f"process {self.stream}",
                    delivery.traceparent,
                    attributes={
                        "messaging.destination.name": self.stream,
                        "messaging.consumer.group.name": self.group,
                        "messaging.message.id": delivery.event_id,
                        "crossdock.attempt": delivery.attempts,
                    },
                ):
                    await self.handler(delivery)
            except RetryLater as exc:
                self._deferred[delivery.id] = self._deferred.get(delivery.id, 0) + 1
                delay = min(max(exc.retry_after_seconds, self.retry_delay), self.max_retry_delay)
                self._retries[delivery.id] = time.monotonic() + delay
                return
            except Exception as exc:
                self.stats.failed += 1
                error = f"{type(exc).__name__}: {exc}"
                if attempts >= self.max_attempts:
                    await self._dead_letter(delivery, error)
                    return
                delay = min(self.retry_delay * 2 ** (attempts - 1), self.max_retry_delay)
                self._retries[delivery.id] = time.monotonic() + delay
                log.info(
                    "consumer %s: %s %s attempt %d failed (%s); retry in %.2fs",
                    self.name,
                    self.stream,
                    delivery.id,
                    delivery.attempts,
                    error,
                    delay,
                )
                return
        await self.bus.ack(self.stream, self.group, [delivery.id])
        self._deferred.pop(delivery.id, None)
        self.stats.handled += 1

    async def _dead_letter(self, delivery: Delivery, error: str) -> None:
        await self.bus.dead_letter(self.stream, self.group, self.name, delivery, error)
        self._deferred.pop(delivery.id, None)
        self.stats.dead_lettered += 1
        log.warning(
            "consumer %s: %s %s (event %s) dead-lettered after %d attempts: %s",
            self.name,
            self.stream,
            delivery.id,
            delivery.event_id,
            delivery.attempts,
            error,
        )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
