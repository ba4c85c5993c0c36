"""``OutboxRelay``: the task that copies an ``Outbox``'s rows to the bus, at least once.

Rows are published in the order they were added, with their event ids, then marked relayed
with their entry ids, a batch at a time: the batch the relay claims (``Outbox.claim``), which
in a PostgreSQL outbox no other relay gets until it is marked (``FOR UPDATE SKIP LOCKED``), so
several relays share one outbox without publishing a row twice or waiting for each other. A
crash between a publish and its mark publishes the row again on the next run (or by another
relay): at least once, and harmless, since every consumer is idempotent by event id. While
the bus is unavailable the relay retries with a capped backoff and logs one warning per outage
(and one line when it is back), however many tries it takes; the intake keeps acknowledging
meanwhile, since its events are durable in the outbox.

The relay also watches for the bus losing what it was given (Redis restarted empty, or from an
older file): before each batch and every ``check_interval_seconds`` it looks for the last event
it relayed to each stream. A stream that now ends *before* that event's entry (``last_id``) lost
it: every row relayed within ``replay_window_seconds`` whose entry the stream no longer reaches
is queued again and relayed as new, so consumers whose pending work vanished get it back (one
log line says how many). A stream that goes on past it but no longer holds it
(``EventBus.find``) was trimmed (``max_length``: oldest first), which is no loss, unless its
oldest entry is older still (gone from the middle: the whole window is relayed again). The check
comes *before* a batch rather than after it: a batch published into a Redis that has just
come back empty would end the stream past the last entry, and the loss would look like none.
This reading assumes the outbox's relays are their streams' publishers (replays of the
stream's own entries aside): see ``docs/events.md``. Two relays that see one loss queue it once
(``requeue(last=…)``).

What ``/ready`` and ``/metrics`` need is on the relay as plain attributes: ``unrelayed``,
``oldest_unrelayed_age``, ``last_error``, ``state``, and the counters ``relayed``, ``losses``,
``requeued``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal

from events.base import EventBus, EventBusUnavailable
from events.ids import MIN_ID, StreamId
from events.outbox import Outbox, OutboxClaim, OutboxRow, OutboxUnavailable

__all__ = ["OutboxRelay", "RelayState"]

log = logging.getLogger("crossdock.events")

_RECENT = 1024  # published events remembered for ``published``

RelayState = Literal["starting", "running", "waiting for the bus", "failing", "stopped"]


class OutboxRelay:
    """Relays ``outbox`` to ``bus`` from ``start()`` until ``aclose()``; ``wake()`` after an add.

    ``replay_window_seconds`` (default: the outbox's retention) bounds how far back a loss is
    replayed. ``clock`` gives wall-clock seconds, as the outbox's does.
    """

    def __init__(
        self,
        outbox: Outbox,
        bus: EventBus,
        *,
        batch_size: int = 100,
        check_interval_seconds: float = 1.0,
        retry_delay_seconds: float = 0.05,
        max_retry_delay_seconds: float = 2.0,
        replay_window_seconds: float | None = None,
        prune_interval_seconds: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.outbox, self.bus = outbox, bus
        self.batch_size = batch_size
        self.check_interval = check_interval_seconds
        self.retry_delay, self.max_retry_delay = retry_delay_seconds, max_retry_delay_seconds
        self.replay_window = (
            outbox.retention_seconds if replay_window_seconds is None else replay_window_seconds
        )
        self.prune_interval = prune_interval_seconds
        self._clock = clock
        # For /ready and /metrics.
        self.state: RelayState = "starting"
        self.unrelayed = 0
        self.oldest_unrelayed_since: float | None = None
        self.last_error: str | None = None
        self.relayed = 0  # publishes, republishes included
        self.losses = 0  # times the bus was found to have lost relayed events
        self.requeued = 0  # rows queued again after those losses
        # Who waits to hear that an event was published (``published``), and the events
        # published lately, for a waiter that comes just after its event went.
        self._waiters: dict[tuple[str, str], list[asyncio.Future[str | None]]] = {}
        self._recent: OrderedDict[tuple[str, str], str] = OrderedDict()
        # Rows published whose mark failed (by seq): their entry ids, not published again.
        self._unmarked: dict[int, str] = {}
        # The last entry of each stream found trimmed away (not lost): not looked for again.
        self._trimmed: dict[str, StreamId] = {}
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._outage_since: float | None = None
        self._next_prune = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def oldest_unrelayed_age(self) -> float | None:
        """Seconds the oldest waiting row has waited (``None``: nothing waits)."""
        since = self.oldest_unrelayed_since
        return None if since is None else max(0.0, self._clock() - since)

    def wake(self) -> None:
        """Relay now rather than at the next check (the intake has just added a row)."""
        self._wakeup.set()

    async def published(self, stream: str, event_id: str, *, timeout_seconds: float) -> str | None:
        """Wake the relay and wait up to ``timeout_seconds`` for it to publish ``event_id``
        (just added to the outbox); its entry id, or ``None`` if it has not been published by
        then. While the bus is known to be down it does not wait: the event will be relayed
        when the bus is back."""
        key = (stream, event_id)
        if key in self._recent:
            return self._recent[key]
        self.wake()
        if self.state in ("waiting for the bus", "failing") or self._task is None:
            return None
        waiter: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout_seconds)
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters.get(key, [])
            if waiter in waiting:
                waiting.remove(waiter)
            if not waiting:
                self._waiters.pop(key, None)

    def start(self) -> asyncio.Task[None]:
        """Run in a task of the current loop until ``aclose()``."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self.run(), name="outbox relay")
        return self._task

    async def aclose(self, *, timeout_seconds: float = 5.0) -> None:
        """Stop after the batch in hand (or cut it short after ``timeout_seconds``: a row
        published and not yet marked is published again by the next run)."""
        self._stopping = True
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout_seconds)
        self.state = "stopped"

    async def run(self) -> None:
        """Relay until stopped, waiting out whatever keeps the bus or the outbox away."""
        delay = self.retry_delay
        while not self._stopping:
            self._wakeup.clear()
            try:
                await self.relay_pending()
            except (EventBusUnavailable, OutboxUnavailable) as exc:
                self._outage(exc)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if error != self.last_error:  # a traceback per distinct failure, not per try
                    log.exception("outbox relay: relaying failed; retrying with a backoff")
                self.state, self.last_error = "failing", error
            else:
                delay = self.retry_delay
                await self._wait(self.check_interval)
                continue
            with contextlib.suppress(OutboxUnavailable):
                await self._refresh_status()
            await self._wait(delay, wakeable=False)
            delay = min(delay * 2, self.max_retry_delay)
        self.state = "stopped"

    async def relay_pending(self) -> int:
        """One pass: look for a loss, then relay batches until no row waits; returns how many
        rows were published. Raises ``EventBusUnavailable`` or ``OutboxUnavailable``."""
        published = 0
        while True:
            await self.check_losses()
            async with self.outbox.claim(limit=self.batch_size) as claim:
                if claim.rows:
                    published += await self._publish(claim)
                claimed = len(claim.rows)
            if claimed < self.batch_size:
                break
        if self._clock() >= self._next_prune:
            await self.outbox.prune()
            self._next_prune = self._clock() + self.prune_interval
        await self._refresh_status()
        if self._outage_since is not None:
            log.info(
                "outbox relay: relaying again, after %.1fs unable to",
                self._clock() - self._outage_since,
            )
            self._outage_since = None
        self.state, self.last_error = "running", None
        return published

    async def check_losses(self) -> int:
        """Queue again what each stream lost of what was relayed to it; returns how many."""
        requeued = 0
        # Only what was relayed within the window is checked: older rows would not be
        # replayed anyway, and once a loss is queued again nothing of it is checked twice.
        since = self._clock() - self.replay_window
        for last in await self.outbox.last_relayed(since=since):
            lost = await self._lost(last)
            if lost is None:
                continue
            self._unmarked.clear()  # what they name may have gone with the rest
            count = await self.outbox.requeue(last.stream, since=since, after=lost, last=last)
            if count == 0 and await self._requeued_elsewhere(last):
                continue  # another relay sharing the outbox saw the loss first and queued it
            self.losses += 1
            self.requeued += count
            requeued += count
            log.warning(
                "outbox relay: stream %r lost events relayed to it (event %s at %s is gone, "
                "the stream holds up to %s): relaying %d events of the last %.0fs again",
                last.stream, last.event_id, last.entry_id, lost, count, self.replay_window,
            )  # fmt: skip
        return requeued

    async def _lost(self, last: OutboxRow) -> StreamId | None:
        """Whether the stream lost ``last`` (relayed last to it): ``None`` if not, else the
        entry id up to which the stream still holds what it was given (``0-0``: nothing)."""
        assert last.entry_id is not None
        entry = StreamId.parse(last.entry_id)
        end = StreamId.parse(await self.bus.last_id(last.stream))
        if end < entry:
            return end  # the stream ends before it: restarted empty, or from an older file
        if self._trimmed.get(last.stream) == entry:
            return None  # judged trimmed before: not worth a scan every second
        if await self.bus.find(last.stream, last.event_id) is not None:
            return None
        oldest = await self.bus.entries(last.stream, after_id="0-0", count=1)
        if oldest and StreamId.parse(oldest[0].id) <= entry:
            # Gone from the middle of what is retained: no trim does that. Which entries
            # went with it cannot be told, so the whole window is relayed again.
            return MIN_ID
        # Trimmed: the stream goes on past it, and its oldest entries went first.
        self._trimmed[last.stream] = entry
        return None

    async def _requeued_elsewhere(self, last: OutboxRow) -> bool:
        """Whether ``last`` is no longer its stream's last relayed row (another relay queued
        the stream's loss again since this one looked)."""
        since = self._clock() - self.replay_window
        now = {row.stream: row for row in await self.outbox.last_relayed(since=since)}
        found = now.get(last.stream)
        return found is None or (found.seq, found.entry_id) != (last.seq, last.entry_id)

    async def _publish(self, claim: OutboxClaim) -> int:
        done: list[tuple[int, str]] = []
        published = 0
        try:
            for row in claim.rows:
                entry_id = self._unmarked.get(row.seq)
                if entry_id is None:
                    entry_id = await self.bus.publish(
                        row.stream, row.event_id, row.data, traceparent=row.traceparent
                    )
                    published += 1
                    self.relayed += 1
                    self._tell((row.stream, row.event_id), entry_id)
                done.append((row.seq, entry_id))
        finally:
            # What was published is marked even when the rest of the batch failed; a crash
            # before this line publishes those rows again, which their event ids make harmless.
            # A mark that fails (the outbox locked, its disk full) is remembered, so that the
            # retries do not publish the same rows again and again until it succeeds.
            if done:
                try:
                    await claim.mark_relayed(done)
                except OutboxUnavailable:
                    self._unmarked.update(done)
                    raise
                for seq, _ in done:
                    self._unmarked.pop(seq, None)
        return published

    def _tell(self, key: tuple[str, str], entry_id: str) -> None:
        self._recent[key] = entry_id
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(entry_id)

    async def _refresh_status(self) -> None:
        status = await self.outbox.status()
        self.unrelayed, self.oldest_unrelayed_since = status.unrelayed, status.oldest_pending_since

    def _outage(self, exc: Exception) -> None:
        # Whoever waits to hear of a publish stops waiting: it will not come soon.
        for waiters in self._waiters.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self.last_error = str(exc)
        self.state = "waiting for the bus" if isinstance(exc, EventBusUnavailable) else "failing"
        if self._outage_since is None:
            self._outage_since = self._clock()
            log.warning(
                "outbox relay: cannot relay now (%s); the events stay in the outbox and are "
                "relayed when it is back",
                exc,
            )

    async def _wait(self, seconds: float, *, wakeable: bool = True) -> None:
        if self._stopping:
            return
        if not wakeable:
            # During an outage an add must not turn the backoff into a busy loop; only a stop
            # cuts the wait short.
            deadline = time.monotonic() + seconds
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), left)
                self._wakeup.clear()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
