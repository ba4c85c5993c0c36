"""``MilestoneFeed``: one tail of the milestone stream per process, fanned out to subscribers.

Subscriptions do not read the bus themselves: one reader task tails ``fulfillment-milestones``
from its end (``EventBus.entries``, no consumer group: a subscriber acknowledges nothing) and
hands each event to every subscriber whose filter matches (a subscriber that follows one order
says so, ``order_id``: it is indexed by it and only asked about that order's events, so an
event costs what its own order's subscribers cost, not every subscriber's filter). A
subscriber is a small bounded
queue and no task of its own, so an idle one costs little; one whose queue is full (a client
that stopped reading) is dropped on the spot and ends with ``SubscriberTooSlow``, so it never
holds up the reader or the others.

Resuming from an event id (``after``) is gap- and duplicate-free: the subscriber is registered
for live events first, at the reader's current position ``P``; it then reads the retained
entries between ``after``'s entry and ``P`` from the bus, and only then the live ones queued
meanwhile, all of them after ``P``.

An event is delivered at its first appearance only. A replay (of dead letters or of a range)
appends old events again, marked ``replayed``: the feed hands such an entry to nobody, neither
live nor from the backlog, and ``EventBus.find`` does not count it, so a client resuming after
a replayed event resumes where it saw it. Beside that, the feed remembers the recent event ids
(``remembered_events``, bounded) with the entry where each first appeared, so an event its
publisher appended twice reaches a live subscriber once.

Resolving an unknown ``after`` scans the whole retained stream: at most
``concurrent_lookups`` such scans run at once per feed, the others wait their turn, so a
flood of subscriptions with a bogus ``after`` costs the bus a bounded load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from events.base import EventBus
from events.ids import MAX_ID, MIN_ID, StreamId
from schema.events import MILESTONE_STREAM, FulfillmentMilestone
from telemetry.tracing import current_tracer, mark_event, span_after
from telemetry.tracing import traceparent as current_traceparent

__all__ = ["Match", "MilestoneFeed", "SubscriberTooSlow"]

logger = logging.getLogger(__name__)

Match = Callable[[FulfillmentMilestone], bool]
"""A subscriber's filter: whether an event is for it. Called by the reader: keep it cheap."""

Delivered = Callable[[FulfillmentMilestone], None]
"""Told of each live event the moment it is handed to one subscriber or more (the business
monitoring's shipment status latency). Called by the reader: it must not block."""

_BACKLOG_PAGE = 200


class SubscriberTooSlow(Exception):
    """A subscriber fell ``queue_size`` events behind and was dropped; ``after`` is the event
    to resubscribe from: the last one it was given, else the ``after`` it subscribed with, else
    the last event of the stream when it subscribed (``None`` only if the stream was empty)."""

    def __init__(self, after: str | None) -> None:
        hint = f"resubscribe with after={after}" if after is not None else "resubscribe"
        super().__init__(f"too slow: {hint}")
        self.after = after


_Queued = tuple[str, FulfillmentMilestone, str | None]


class _Subscriber:
    """What the feed keeps per subscriber: its filter, its queue and a way to wake it."""

    __slots__ = ("capacity", "dropped", "ended", "matches", "order_id", "queue", "waiter")

    def __init__(self, matches: Match, capacity: int, order_id: str | None = None) -> None:
        self.matches = matches
        self.order_id = order_id  # only events of this order can match (None: any)
        self.capacity = capacity
        # (entry id, event, its delivery's traceparent). A list, not a deque: a few entries at
        # most, and an empty deque takes 700 bytes, a quarter of what an idle subscriber costs.
        self.queue: list[_Queued] = []
        self.waiter: asyncio.Future[None] | None = None
        self.dropped = False  # fell behind: ends with SubscriberTooSlow
        self.ended = False  # the feed closed: ends quietly

    def offer(
        self, entry_id: str, event: FulfillmentMilestone, traceparent: str | None = None
    ) -> bool:
        """Queue ``event``; ``False`` (and nothing queued) when the queue is full."""
        if len(self.queue) >= self.capacity:
            return False
        self.queue.append((entry_id, event, traceparent))
        self.wake()
        return True

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def next(self) -> _Queued | None:
        """The next queued entry id and event, waiting for one; ``None`` once it ended."""
        while not self.queue:
            if self.dropped or self.ended:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.queue.pop(0)


class MilestoneFeed:
    """The live milestones of ``stream`` on ``bus`` for this process's subscriptions.

    ``start`` launches the reader, ``aclose`` stops it and ends every subscription. A batch is
    handed out all at once, so ``queue_size`` should be at least ``batch_size``: a burst alone
    then never drops a subscriber that keeps up. The reader starts at the stream's end; when
    the bus is unavailable it retries after a backoff (``retry_delay_seconds`` doubling up to
    ``max_retry_delay_seconds``) from the position it had, so nothing still retained is
    skipped.
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        stream: str = MILESTONE_STREAM,
        queue_size: int = 100,
        batch_size: int = 100,
        block_seconds: float = 1.0,
        remembered_events: int = 10_000,
        concurrent_lookups: int = 4,
        retry_delay_seconds: float = 0.1,
        max_retry_delay_seconds: float = 5.0,
        delivered: Delivered | None = None,
    ) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        if concurrent_lookups < 1:
            raise ValueError(f"concurrent_lookups must be at least 1, got {concurrent_lookups}")
        self._bus = bus
        self._stream = stream
        self._queue_size = queue_size
        self._batch_size = batch_size
        self._block_seconds = block_seconds
        self._remembered = remembered_events
        self._retry_delay = retry_delay_seconds
        self._max_retry_delay = max_retry_delay_seconds
        self._subscribers: set[_Subscriber] = set()
        # The same, by the one order they follow; those that follow none are in _unkeyed.
        self._by_order: dict[str, set[_Subscriber]] = {}
        self._unkeyed: set[_Subscriber] = set()
        # Event id -> the entry it first appeared in, oldest first, at most _remembered.
        self._first_seen: OrderedDict[str, str] = OrderedDict()
        self._lookups = asyncio.Semaphore(concurrent_lookups)
        self._position: str | None = None  # the last entry fanned out; None: not started
        # The event of the last entry at or before ``position`` that was not a replay (at start:
        # of the last entry, whatever it is): where a subscriber registered now and dropped
        # before it got anything resumes from.
        self._position_event: str | None = None
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._closed = False
        self._delivered = delivered

    @property
    def subscribers(self) -> int:
        """How many subscribers are registered now."""
        return len(self._subscribers)

    @property
    def position(self) -> str | None:
        """The id of the last entry the reader handed out (``None`` before it found the end)."""
        return self._position

    async def start(self) -> None:
        """Launch the reader (once); it finds the stream's end on its own, retrying."""
        if self._reader is None and not self._closed:
            self._reader = asyncio.create_task(self._read(), name=f"milestone-feed:{self._stream}")

    async def aclose(self) -> None:
        """Stop the reader and end every subscription (they complete without error)."""
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        for subscriber in self._subscribers:
            subscriber.ended = True
            subscriber.wake()
        self._subscribers.clear()
        self._by_order.clear()
        self._unkeyed.clear()
        self._ready.set()  # wake subscriptions still waiting for the reader: they end

    async def entry_of(self, event_id: str) -> str | None:
        """The stream entry to resume after for a client that last saw ``event_id``: where
        the event first appeared if this feed saw it, else its newest retained entry that is
        no replay (``EventBus.find``);
        ``None`` when it is not retained any more (or never was). At most
        ``concurrent_lookups`` scans of the bus run at once; the others wait."""
        first = self._first_seen.get(event_id)
        if first is None:
            async with self._lookups:
                return await self._bus.find(self._stream, event_id)
        # Remembered, but the stream may have been trimmed past it since: what followed it
        # would be missing, so it counts as not retained.
        oldest = await self._bus.entries(self._stream, after_id="0-0", count=1)
        if not oldest or StreamId.parse(oldest[0].id) > StreamId.parse(first):
            return None
        return first

    async def events(
        self,
        matches: Match,
        *,
        after_entry: str | None = None,
        after_event: str | None = None,
        order_id: str | None = None,
    ) -> AsyncIterator[FulfillmentMilestone]:
        """The events ``matches`` accepts: the retained ones after the entry ``after_entry``
        (see ``entry_of``; ``after_event`` is the event id the client gave for it, read from
        the entry when not given) if given, then the live ones, until the feed closes. Raises
        ``SubscriberTooSlow`` once the subscriber fell behind. ``order_id``: ``matches``
        accepts only events of that order (it is then asked about no other)."""
        await self._ready.wait()
        if after_entry is not None and after_event is None:
            after_event = await self._event_at(after_entry)
        if self._closed:
            return
        subscriber = _Subscriber(matches, self._queue_size, order_id)
        self._add(subscriber)
        live_from = self._position  # the reader queues everything after this for us
        # The resume hint should the subscriber be dropped: what it has seen, so far.
        last = self._position_event if after_entry is None else after_event
        try:
            # A reader behind the client (which saw ``after`` through another replica) must
            # not hand it what it saw: live entries up to ``after_entry`` are skipped.
            seen_up_to = None if after_entry is None else StreamId.parse(after_entry)
            if seen_up_to is not None and live_from is not None:
                backlog = self._backlog(matches, seen_up_to, StreamId.parse(live_from))
                async for event, produced_by in backlog:
                    last = event.event_id
                    mark_event(produced_by)
                    yield event
            while (queued := await subscriber.next()) is not None:
                entry_id, event, produced_by = queued
                if seen_up_to is not None:
                    if StreamId.parse(entry_id) <= seen_up_to:
                        continue
                    seen_up_to = None
                last = event.event_id
                # The transport sends it with the event (telemetry.tracing, "Subscriptions").
                mark_event(produced_by)
                yield event
            if subscriber.dropped:
                raise SubscriberTooSlow(last)
        finally:
            self._discard(subscriber)

    def _add(self, subscriber: _Subscriber) -> None:
        self._subscribers.add(subscriber)
        if subscriber.order_id is None:
            self._unkeyed.add(subscriber)
        else:
            self._by_order.setdefault(subscriber.order_id, set()).add(subscriber)

    def _discard(self, subscriber: _Subscriber) -> None:
        self._subscribers.discard(subscriber)
        if subscriber.order_id is None:
            self._unkeyed.discard(subscriber)
            return
        followers = self._by_order.get(subscriber.order_id)
        if followers is not None:
            followers.discard(subscriber)
            if not followers:
                del self._by_order[subscriber.order_id]

    async def _backlog(
        self, matches: Match, after: StreamId, until: StreamId
    ) -> AsyncIterator[tuple[FulfillmentMilestone, str | None]]:
        """The retained events in (``after``, ``until``], each at its first appearance, with
        the ``traceparent`` of its entry."""
        cursor, delivered = after, set[str]()
        while cursor < until:
            page = await self._bus.entries(self._stream, after_id=str(cursor), count=_BACKLOG_PAGE)
            if not page:
                return
            for entry in page:
                cursor = StreamId.parse(entry.id)
                if cursor > until:
                    return
                if entry.replayed:
                    continue  # the client got (or skipped) the event where it first appeared
                first = self._first_seen.get(entry.event_id, entry.id)
                if first != entry.id or entry.event_id in delivered:
                    continue  # a re-append of an event delivered at its first entry
                event = _decode(entry.id, entry.data)
                if event is not None and _accepts(matches, event):
                    delivered.add(entry.event_id)
                    yield event, entry.traceparent

    async def _read(self) -> None:
        delay = self._retry_delay
        while True:
            try:
                if self._position is None:
                    position = await self._bus.last_id(self._stream)
                    self._position_event = await self._event_at(position)
                    self._position = position
                    self._ready.set()
                batch = await self._bus.entries(
                    self._stream,
                    after_id=self._position,
                    count=self._batch_size,
                    block_seconds=self._block_seconds,
                )
            except Exception as exc:
                # Unavailable (or any other failure of the bus): keep the position, retry.
                logger.warning("milestone feed cannot read %s (%s); retrying", self._stream, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)
                continue
            delay = self._retry_delay
            # No await from here to the end of the batch: a subscriber registers between two
            # batches, never in the middle of one, so ``position`` is exact for it.
            for entry in batch:
                self._position = entry.id
                if entry.replayed:
                    continue  # subscribers got the event when it first appeared
                self._position_event = entry.event_id
                self._fan_out(entry.id, entry.event_id, entry.data, entry.traceparent)
            if batch:
                await asyncio.sleep(0)  # let the subscribers take what they were given

    async def _event_at(self, entry_id: str) -> str | None:
        """The event id of the entry ``entry_id`` (``None``: no such entry retained)."""
        position = StreamId.parse(entry_id)
        if position == MIN_ID:
            return None
        before = (
            StreamId(position.ms, position.seq - 1)
            if position.seq > 0
            else StreamId(position.ms - 1, MAX_ID.seq)
        )
        found = await self._bus.entries(self._stream, after_id=str(before), count=1)
        return found[0].event_id if found and found[0].id == entry_id else None

    def _fan_out(
        self, entry_id: str, event_id: str, data: bytes, traceparent: str | None = None
    ) -> None:
        if event_id in self._first_seen:
            return  # its publisher appended it twice: delivered already
        self._first_seen[event_id] = entry_id
        if len(self._first_seen) > self._remembered:
            self._first_seen.popitem(last=False)
        event = _decode(entry_id, data)
        if event is None:
            return
        candidates = [*self._by_order.get(event.order_id, ()), *self._unkeyed]
        chosen = [s for s in candidates if _accepts(s.matches, event)]
        if not chosen:
            return
        handed = False
        # Linked to the webhook's span that produced the event (telemetry.tracing).
        with span_after(
            f"deliver {self._stream}",
            traceparent,
            attributes={
                "messaging.destination.name": self._stream,
                "messaging.message.id": event_id,
                "crossdock.subscribers": len(chosen),
            },
        ):
            # What the subscribers' transport sends on: the delivery span's context (the
            # entry's as it is, with tracing off here).
            produced_by = traceparent
            if current_tracer() is not None:
                produced_by = current_traceparent() or traceparent
            for subscriber in chosen:
                if not subscriber.offer(entry_id, event, produced_by):
                    subscriber.dropped = True
                    subscriber.queue.clear()  # it resubscribes from its last event anyway
                    subscriber.wake()
                    self._discard(subscriber)
                else:
                    handed = True
            if handed and self._delivered is not None:
                try:
                    self._delivered(event)
                except Exception:
                    logger.exception("telling of the delivery of %s failed", event.event_id)


def _decode(entry_id: str, data: bytes) -> FulfillmentMilestone | None:
    try:
        return FulfillmentMilestone.from_json(data)
    except ValueError as exc:
        logger.warning("milestone entry %s is not a valid event, skipped: %s", entry_id, exc)
        return None


def _accepts(matches: Match, event: FulfillmentMilestone) -> bool:
    try:
        return matches(event)
    except Exception:
        logger.exception("a milestone filter failed on %s", event.event_id)
        return False
