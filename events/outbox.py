"""``Outbox``: events made durable before they are acknowledged, for a relay to publish.

An intake that answers "accepted" once Redis took an event loses it when Redis does (restarted
empty, or without fsync on every write). The outbox is a table where the event is committed
first, durably, and only then acknowledged; ``events.relay.OutboxRelay`` copies its rows to the
bus afterwards, at least once, and again after the bus lost them.

The same table is the durable record of the event ids received: ``add`` answers ``NEW``,
``DUPLICATE`` (the same id with the same fingerprint) or ``CONFLICT`` (the same id with another
fingerprint: a sender reusing an id) in the one transaction that inserts the row, so two
deliveries of one event racing each other make one row. Rows are kept ``retention_seconds``
after they were received (and relayed), then pruned; a row never relayed is never pruned.

Two implementations of one table design pass the same contract tests
(``tests/events/test_outbox.py``): ``events.sqlite_outbox.SqliteOutbox``, a file on the
intake's own disk (the default), and ``events.postgres_outbox.PostgresOutbox``, a table in
PostgreSQL that several intakes and relays share (deployments). ``OutboxSettings`` says which;
``events.factory.create_outbox_for`` opens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from events.ids import StreamId

__all__ = [
    "Admission",
    "Outbox",
    "OutboxClaim",
    "OutboxRow",
    "OutboxSettings",
    "OutboxStatus",
    "OutboxUnavailable",
    "is_postgres_url",
]


class OutboxUnavailable(Exception):
    """The outbox cannot be written or read now (locked beyond the timeout, disk full, I/O,
    its database unreachable)."""


class Admission(Enum):
    """What ``Outbox.add`` made of an event."""

    NEW = "new"  # committed: acknowledge it
    DUPLICATE = "duplicate"  # the same event was added before
    CONFLICT = "conflict"  # its id was added before for another event

    @classmethod
    def of_stored(cls, stored: str, fingerprint: str) -> Admission:
        """What an event whose id the outbox holds already is: the same event again
        (``stored`` is its fingerprint) or another one under a reused id."""
        return cls.DUPLICATE if stored == fingerprint else cls.CONFLICT


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One event in the outbox; ``relayed_at`` and ``entry_id`` are unset until relayed."""

    seq: int
    stream: str
    event_id: str
    data: bytes
    received_at: float
    relayed_at: float | None = None
    entry_id: str | None = None
    # The W3C trace context of the request that added the event (docs/tracing.md): it goes
    # to the bus with the event, so its consumers' spans link back to it.
    traceparent: str | None = None

    @classmethod
    def from_columns(cls, found: tuple[Any, ...]) -> OutboxRow:
        """A row as both outboxes select it: seq, stream, event id, data, received, relayed,
        entry id, traceparent."""
        seq, stream, event_id, data, received, relayed, entry, traceparent = found
        return cls(seq, stream, event_id, bytes(data), received, relayed, entry, traceparent)


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """How far the relay is behind: rows waiting, and since when the oldest has waited."""

    unrelayed: int
    oldest_pending_since: float | None


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """Where the outbox lives: ``location`` is a SQLite file's path, or a ``postgresql://``
    URL (``None``: SQLite in memory, durable no longer than the process: for tests and the
    embedded default). ``namespace`` names its table in PostgreSQL (the events prefix: one
    table per streams' namespace, as the SQLite file is one per namespace)."""

    location: str | Path | None = None
    namespace: str = "events"
    retention_seconds: float = 7 * 24 * 3600.0
    timeout_seconds: float = 2.0

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.location, str) and is_postgres_url(self.location)


def is_postgres_url(location: str) -> bool:
    """Whether an outbox location names a PostgreSQL database rather than a SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


class OutboxClaim(Protocol):
    """Rows one relay holds (``Outbox.claim``): no other relay gets them until it marks them
    relayed or lets go."""

    rows: list[OutboxRow]

    async def mark_relayed(self, relayed: Iterable[tuple[int, str]]) -> None:
        """Record the claimed rows (by ``seq``) published, each with its entry id, and let go
        of the claim. Raises ``OutboxUnavailable`` (the rows then stay unrelayed)."""
        ...


class Outbox(Protocol):
    """The outbox table, whichever database holds it."""

    retention_seconds: float

    async def open(self) -> None:
        """Create the table unless it exists. Raises ``OutboxUnavailable``."""
        ...

    async def aclose(self) -> None:
        """Close the connections; a later call opens them again."""
        ...

    # The intake's side

    async def add(
        self,
        stream: str,
        event_id: str,
        fingerprint: str,
        data: bytes,
        *,
        traceparent: str | None = None,
    ) -> Admission:
        """Commit the event unless its id is in the outbox already (see ``Admission``), with
        the ``traceparent`` of the span that received it (kept for the bus entry)."""
        ...

    async def admission(self, stream: str, event_id: str, fingerprint: str) -> Admission | None:
        """What ``add`` would answer for an event already in the outbox, ``None`` for a new one:
        a read, for skipping work (the account lookup) a duplicate does not need."""
        ...

    # The relay's side

    def claim(self, *, limit: int) -> AbstractAsyncContextManager[OutboxClaim]:
        """The oldest ``limit`` unrelayed rows no other relay holds, held until the claim is
        marked or left: several relays share the outbox without sending a row twice and
        without waiting for each other (``FOR UPDATE SKIP LOCKED`` in PostgreSQL; SQLite's
        outbox has one relay, its process's)."""
        ...

    async def unrelayed(self, *, limit: int) -> list[OutboxRow]:
        """The oldest ``limit`` rows not relayed yet, in the order they were added (a read:
        claimed rows included)."""
        ...

    async def mark_relayed(self, relayed: Iterable[tuple[int, str]]) -> None:
        """Record rows (by ``seq``) as published, each with the bus's entry id."""
        ...

    async def last_relayed(self, *, since: float) -> list[OutboxRow]:
        """Each stream's row relayed last, if at ``since`` or later: what the relay checks the
        bus still holds. Index lookups only, however many rows the retention keeps."""
        ...

    async def requeue(
        self,
        stream: str,
        *,
        since: float,
        after: StreamId | None = None,
        last: OutboxRow | None = None,
    ) -> int:
        """Queue again, for the relay, the rows of ``stream`` relayed at ``since`` or later
        (only those whose entry is newer than ``after``, when given: the bus still holds the
        older ones); returns how many. With ``last`` (the row ``last_relayed`` answered) only
        while it still is the stream's last relayed row: another relay that saw the same loss
        has queued it again first, and queuing twice would publish twice."""
        ...

    async def status(self) -> OutboxStatus:
        """Rows waiting for the relay and since when the oldest waits."""
        ...

    async def prune(self) -> int:
        """Delete the relayed rows received more than the retention ago; returns how many."""
        ...
