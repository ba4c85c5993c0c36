"""``InProcessBus``: the embedded default, Redis Streams' semantics in one process's memory."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from events.base import DeadLetter, Delivery, GroupInfo, StreamEntry, StreamInfo
from events.ids import MIN_ID, StreamId, parse_range_end, parse_range_start

__all__ = ["InProcessBus"]

_FIND_PAGE = 1000  # entries ``find`` compares before it lets other tasks run


@dataclass(slots=True)
class _Pending:
    consumer: str
    delivered_at: float
    attempts: int


@dataclass(slots=True)
class _Group:
    last_delivered: StreamId
    pending: dict[StreamId, _Pending] = field(default_factory=dict)
    consumers: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Stream:
    ids: list[StreamId] = field(default_factory=list)
    # entry id -> (event id, data, replayed: appended again by a replay, traceparent)
    entries: dict[StreamId, tuple[str, bytes, bool, str | None]] = field(default_factory=dict)
    last_id: StreamId = MIN_ID
    groups: dict[str, _Group] = field(default_factory=dict)
    dead: dict[StreamId, DeadLetter] = field(default_factory=dict)
    dead_last_id: StreamId = MIN_ID
    appended: asyncio.Event = field(default_factory=asyncio.Event)


class InProcessBus:
    """An ``EventBus`` in memory: each stream keeps its newest ``max_length`` entries.

    No method awaits between reading and changing state, so every operation is atomic with
    respect to the other tasks of the loop, as a Redis command is. Nothing survives the
    process: "durable" here means appended where every consumer of this process will see it.
    """

    def __init__(
        self, *, max_length: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        self._max_length = max_length
        self._clock = clock
        self._streams: dict[str, _Stream] = {}
        self._closed = False

    async def publish(
        self, stream: str, event_id: str, data: bytes, *, traceparent: str | None = None
    ) -> str:
        return str(self._append(self._stream(stream), event_id, data, traceparent=traceparent))

    async def ensure_group(self, stream: str, group: str, *, start_id: str = "0") -> None:
        state = self._stream(stream)
        if group not in state.groups:
            start = state.last_id if start_id == "$" else StreamId.parse(start_id)
            state.groups[group] = _Group(last_delivered=start)

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_seconds: float = 0
    ) -> list[Delivery]:
        deadline = self._clock() + block_seconds
        # A scheduling point, as the round trip to Redis is: a consumer whose handlers never
        # await would otherwise keep the loop to itself while entries keep coming.
        await asyncio.sleep(0)
        while True:
            state, state_group = self._group(stream, group)
            state_group.consumers.add(consumer)
            appended = state.appended
            start = bisect.bisect_right(state.ids, state_group.last_delivered)
            fresh = state.ids[start : start + count]
            if fresh or self._closed or (remaining := deadline - self._clock()) <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(appended.wait(), remaining)
        now = self._clock()
        for entry_id in fresh:
            state_group.pending[entry_id] = _Pending(consumer, now, 1)
        if fresh:
            state_group.last_delivered = fresh[-1]
        return [self._delivery(stream, state, entry_id, 1) for entry_id in fresh]

    async def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        ids: Sequence[str],
        *,
        min_idle_seconds: float = 0,
    ) -> list[Delivery]:
        parsed = [StreamId.parse(entry_id) for entry_id in ids]
        state, state_group = self._group(stream, group)
        now = self._clock()
        idle = [
            entry_id
            for entry_id in parsed
            if (pending := state_group.pending.get(entry_id)) is not None
            and now - pending.delivered_at >= min_idle_seconds
        ]
        return self._take(stream, state, state_group, consumer, idle)

    async def claim_idle(
        self, stream: str, group: str, consumer: str, *, min_idle_seconds: float, count: int
    ) -> list[Delivery]:
        state, state_group = self._group(stream, group)
        now = self._clock()
        idle = sorted(
            entry_id
            for entry_id, pending in state_group.pending.items()
            if now - pending.delivered_at >= min_idle_seconds
        )
        return self._take(stream, state, state_group, consumer, idle[:count])

    async def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        parsed = [StreamId.parse(entry_id) for entry_id in ids]
        state_group = self._find_group(stream, group)
        if state_group is None:
            return 0
        return sum(state_group.pending.pop(entry_id, None) is not None for entry_id in parsed)

    async def dead_letter(
        self, stream: str, group: str, consumer: str, delivery: Delivery, error: str
    ) -> str:
        state = self._stream(stream)
        dead_id = state.dead_last_id.next_after(int(time.time() * 1000))
        state.dead_last_id = dead_id
        state.dead[dead_id] = DeadLetter(
            id=str(dead_id),
            stream=stream,
            original_id=delivery.id,
            event_id=delivery.event_id,
            data=delivery.data,
            group=group,
            consumer=consumer,
            attempts=delivery.attempts,
            error=error,
            failed_at=datetime.now(UTC),
            traceparent=delivery.traceparent,
        )
        state_group = self._find_group(stream, group)
        if state_group is not None:
            state_group.pending.pop(StreamId.parse(delivery.id), None)
        return str(dead_id)

    async def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        state = self._streams.get(stream)
        return [] if state is None else list(state.dead.values())[:count]

    async def replay_dead_letters(self, stream: str, ids: Sequence[str] | None = None) -> list[str]:
        state = self._streams.get(stream)
        if state is None:
            return []
        chosen = list(state.dead) if ids is None else [StreamId.parse(i) for i in ids]
        replayed = []
        for dead_id in chosen:
            letter = state.dead.pop(dead_id, None)
            if letter is not None:
                entry_id = self._append(
                    state,
                    letter.event_id,
                    letter.data,
                    replayed=True,
                    traceparent=letter.traceparent,
                )
                replayed.append(str(entry_id))
        return replayed

    async def replay_range(self, stream: str, start_id: str, end_id: str) -> list[str]:
        start, end = parse_range_start(start_id), parse_range_end(end_id)
        state = self._streams.get(stream)
        if state is None:
            return []
        chosen = state.ids[
            bisect.bisect_left(state.ids, start) : bisect.bisect_right(state.ids, end)
        ]
        return [
            str(
                self._append(
                    state,
                    *state.entries[entry_id][:2],
                    replayed=True,
                    traceparent=state.entries[entry_id][3],
                )
            )
            for entry_id in chosen
        ]

    async def streams(self) -> list[StreamInfo]:
        return [self._info(name, self._streams[name]) for name in sorted(self._streams)]

    async def entries(
        self, stream: str, *, after_id: str, count: int, block_seconds: float = 0
    ) -> list[StreamEntry]:
        after = StreamId.parse(after_id)
        deadline = self._clock() + block_seconds
        state = self._stream(stream)
        await asyncio.sleep(0)  # a scheduling point, as in ``read``
        while True:
            appended = state.appended
            start = bisect.bisect_right(state.ids, after)
            fresh = state.ids[start : start + count]
            if fresh or self._closed or (remaining := deadline - self._clock()) <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(appended.wait(), remaining)
        return [StreamEntry(str(entry_id), *state.entries[entry_id]) for entry_id in fresh]

    async def last_id(self, stream: str) -> str:
        state = self._streams.get(stream)
        return str(MIN_ID if state is None or not state.ids else state.ids[-1])

    async def find(self, stream: str, event_id: str) -> str | None:
        state = self._streams.get(stream)
        if state is None:
            return None
        before: StreamId | None = None  # scan the entries older than this; None: from the end
        while True:
            # Positions are found again after each pause: appends and trims move them.
            end = len(state.ids) if before is None else bisect.bisect_left(state.ids, before)
            start = max(0, end - _FIND_PAGE)
            for entry_id in reversed(state.ids[start:end]):
                found_event, _, replayed, _ = state.entries[entry_id]
                if found_event == event_id and not replayed:
                    return str(entry_id)
            if start == 0:
                return None
            before = state.ids[start]
            # A scheduling point per page: a scan of a long stream must not hold up the loop.
            await asyncio.sleep(0)

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._closed = True
        for state in self._streams.values():
            state.appended.set()

    def _stream(self, stream: str) -> _Stream:
        if self._closed:
            raise RuntimeError("the event bus is closed")
        return self._streams.setdefault(stream, _Stream())

    def _find_group(self, stream: str, group: str) -> _Group | None:
        state = self._streams.get(stream)
        return None if state is None else state.groups.get(group)

    def _group(self, stream: str, group: str) -> tuple[_Stream, _Group]:
        state = self._streams.get(stream)
        if state is None or group not in state.groups:
            raise LookupError(f"no consumer group {group!r} on stream {stream!r}")
        return state, state.groups[group]

    def _append(
        self,
        state: _Stream,
        event_id: str,
        data: bytes,
        *,
        replayed: bool = False,
        traceparent: str | None = None,
    ) -> StreamId:
        entry_id = state.last_id.next_after(int(time.time() * 1000))
        state.last_id = entry_id
        state.ids.append(entry_id)
        state.entries[entry_id] = (event_id, data, replayed, traceparent)
        while len(state.ids) > self._max_length:
            del state.entries[state.ids.pop(0)]
        # Wake every blocked reader, then arm a fresh event for the next wait.
        state.appended.set()
        state.appended = asyncio.Event()
        return entry_id

    def _take(
        self, stream: str, state: _Stream, group: _Group, consumer: str, ids: list[StreamId]
    ) -> list[Delivery]:
        group.consumers.add(consumer)
        now = self._clock()
        deliveries = []
        for entry_id in ids:
            pending = group.pending.get(entry_id)
            if pending is None:
                continue
            if entry_id not in state.entries:  # trimmed away: nothing left to deliver
                del group.pending[entry_id]
                continue
            pending.consumer, pending.delivered_at = consumer, now
            pending.attempts += 1
            deliveries.append(self._delivery(stream, state, entry_id, pending.attempts))
        return deliveries

    @staticmethod
    def _delivery(stream: str, state: _Stream, entry_id: StreamId, attempts: int) -> Delivery:
        event_id, data, _, traceparent = state.entries[entry_id]
        return Delivery(stream, str(entry_id), event_id, data, attempts, traceparent)

    @staticmethod
    def _info(name: str, state: _Stream) -> StreamInfo:
        groups = tuple(
            GroupInfo(
                name=group_name,
                consumers=len(group.consumers),
                pending=len(group.pending),
                lag=len(state.ids) - bisect.bisect_right(state.ids, group.last_delivered),
                last_delivered_id=str(group.last_delivered),
            )
            for group_name, group in sorted(state.groups.items())
        )
        return StreamInfo(name, len(state.ids), str(state.last_id), groups, len(state.dead))
