"""The ``EventBus`` Protocol, the one seam between Redis Streams and the in-process bus.

The bus is deliberately low level, in Redis Streams' own terms (append, consumer groups,
pending entries, claiming, acknowledging): the delivery policy that sits on top of it (retry
with backoff, reclaiming from dead consumers, dead-lettering after N attempts) is written once,
in ``events.consumer.Consumer``, and therefore behaves the same over both implementations.

Beside the groups, a stream can be *tailed* (``entries``, ``last_id``, ``find``: Redis's
``XREAD``): a reader that keeps its own position and acknowledges nothing, as the live feed of
the subscriptions does; it sees every entry, nothing is pending for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = [
    "DeadLetter",
    "Delivery",
    "EventBus",
    "EventBusUnavailable",
    "GroupInfo",
    "RetryLater",
    "StreamEntry",
    "StreamInfo",
]


class EventBusUnavailable(Exception):
    """The bus's backing store cannot be reached (connection refused, reset or timed out)."""


class RetryLater(Exception):
    """Raised by a handler that cannot act *yet* (another replica holds the event): the entry
    is delivered again after ``retry_after_seconds``, and this does not count as a failure
    toward the dead letters."""

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True, slots=True)
class Delivery:
    """One entry of a stream as handed to one consumer of a group.

    ``attempts`` counts the deliveries of this entry to the group so far, this one included:
    1 on the first read, more after a retry or after it was reclaimed from another consumer.
    """

    stream: str
    id: str
    event_id: str
    data: bytes
    attempts: int
    # The W3C trace context of the span that published the event (None: none was current, or
    # an entry from before entries kept it); consumers link their spans to it.
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One entry of a stream as a tail reader sees it: no group, no attempts, nothing pending.

    ``replayed`` marks an entry appended again by ``replay_dead_letters`` or ``replay_range``:
    the event already appeared in the stream, so a tail reader that hands events to clients
    (the subscriptions' feed) skips it, whereas consumer groups process it like any other.
    """

    id: str
    event_id: str
    data: bytes
    replayed: bool = False
    traceparent: str | None = None  # as on ``Delivery``


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An entry a group gave up on, parked with why, until it is replayed."""

    id: str  # its id in the dead-letter stream
    stream: str
    original_id: str
    event_id: str
    data: bytes
    group: str
    consumer: str
    attempts: int
    error: str
    failed_at: datetime
    traceparent: str | None = None  # the entry's, kept for its replay


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """A consumer group's position: ``lag`` is entries not yet delivered (``None``: unknown)."""

    name: str
    consumers: int
    pending: int
    lag: int | None
    last_delivered_id: str


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """A stream, its groups and how many dead letters wait beside it."""

    name: str
    length: int
    last_id: str
    groups: tuple[GroupInfo, ...]
    dead_letters: int


@runtime_checkable
class EventBus(Protocol):
    """Append-only streams of events read through consumer groups, with dead letters.

    An entry carries the event's id and its bytes. Every group reads every entry; within a
    group each entry goes to one consumer and stays *pending* for it until acknowledged. Every
    method except ``ping`` and ``aclose`` raises ``EventBusUnavailable`` when the store cannot
    be reached; ``read`` and the claims raise ``LookupError`` if the group does not exist.
    """

    async def publish(
        self, stream: str, event_id: str, data: bytes, *, traceparent: str | None = None
    ) -> str:
        """Append an entry; returns its id once the append is durable (the stream may be trimmed
        to the bus's bound, oldest first). ``traceparent`` (W3C trace context of the producing
        span) travels with the entry to every reader."""
        ...

    async def ensure_group(self, stream: str, group: str, *, start_id: str = "0") -> None:
        """Create ``group`` (and the stream) unless it exists; it reads entries after
        ``start_id`` (``"0"``: everything retained, ``"$"``: only entries appended from now)."""
        ...

    async def read(
        self, stream: str, group: str, consumer: str, *, count: int, block_seconds: float = 0
    ) -> list[Delivery]:
        """Up to ``count`` entries never delivered to the group, now pending for ``consumer``;
        waits up to ``block_seconds`` for one when there are none."""
        ...

    async def claim(
        self,
        stream: str,
        group: str,
        consumer: str,
        ids: Sequence[str],
        *,
        min_idle_seconds: float = 0,
    ) -> list[Delivery]:
        """Take the pending entries ``ids`` for ``consumer`` and deliver them again (a retry);
        ids no longer pending (acknowledged or trimmed), or delivered less than
        ``min_idle_seconds`` ago (someone else has just taken them), are left out."""
        ...

    async def claim_idle(
        self, stream: str, group: str, consumer: str, *, min_idle_seconds: float, count: int
    ) -> list[Delivery]:
        """Take up to ``count`` entries pending for at least ``min_idle_seconds`` with any
        consumer (one that died, or this one's own failed deliveries) and deliver them again."""
        ...

    async def ack(self, stream: str, group: str, ids: Sequence[str]) -> int:
        """Acknowledge entries: they are done for the group. Returns how many were pending."""
        ...

    async def dead_letter(
        self, stream: str, group: str, consumer: str, delivery: Delivery, error: str
    ) -> str:
        """Park a delivery in the stream's dead letters with ``error`` and acknowledge it, in
        one step; returns the dead letter's id."""
        ...

    async def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        """The oldest ``count`` dead letters of ``stream``."""
        ...

    async def replay_dead_letters(self, stream: str, ids: Sequence[str] | None = None) -> list[str]:
        """Append dead letters (all, or those with ``ids``) to their stream again and remove
        them from the dead letters, each exactly once; returns the new entry ids. Every group
        reads the replayed entries: handlers that already processed one drop it by event id.
        Tail readers see them marked ``replayed``."""
        ...

    async def replay_range(self, stream: str, start_id: str, end_id: str) -> list[str]:
        """Append the entries between ``start_id`` and ``end_id`` (inclusive; ``-`` and ``+``
        for the ends) to the stream again, with their event ids, marked ``replayed`` for tail
        readers; returns the new ids."""
        ...

    async def streams(self) -> list[StreamInfo]:
        """Every stream with its groups (lag, pending) and its dead-letter count, by name."""
        ...

    async def entries(
        self, stream: str, *, after_id: str, count: int, block_seconds: float = 0
    ) -> list[StreamEntry]:
        """Up to ``count`` entries with ids strictly after ``after_id``, oldest first, without
        a group (``XREAD``); waits up to ``block_seconds`` for one when there are none. An
        ``after_id`` older than what is retained reads from the oldest retained entry.
        ``ValueError`` for an ``after_id`` that is not an entry id."""
        ...

    async def last_id(self, stream: str) -> str:
        """The id of the stream's newest entry (``"0-0"`` when it is empty or absent): a tail
        reader that starts after it sees exactly the entries appended from now on."""
        ...

    async def find(self, stream: str, event_id: str) -> str | None:
        """The id of the newest retained entry that *published* ``event_id`` (replayed entries
        are not counted: a client saw the event where it first appeared), or ``None`` when none
        does (never appended, or trimmed away): a scan back from the end, in pages, bounded by
        the stream's retention, that lets other tasks run between its pages."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers; never raises."""
        ...

    async def aclose(self) -> None:
        """Release connections and wake blocked readers; the bus must not be used afterwards."""
        ...
