"""``SeenEvents``: which events a handler has already processed, kept in the ``Cache``.

Delivery is at least once, so a handler can be given the same event twice (a retry after a
lost acknowledgement, a reclaim, a replay, a webhook the WMS sent twice). ``idempotent`` wraps
a handler so that it runs once per event id: it takes a short *lease* on the id before running
(``set_if_absent``), marks the id done for ``retention_seconds`` after, and releases the lease
if the handler fails. A consumer that dies mid-handler leaves only its lease, which expires, so
the reclaimed entry is processed rather than wrongly skipped.

A caller that can say what an event *is* (the webhook intake: a digest of the normalized
event) passes it as ``fingerprint``: an id seen before with another fingerprint is then a
``CONFLICT`` (an id reused for another event), not a duplicate to drop silently.
"""

from __future__ import annotations

from enum import Enum

from cache.base import Cache
from events.base import Delivery, RetryLater
from events.consumer import Handler

__all__ = ["EventInProgress", "SeenEvents", "SeenState", "idempotent"]

_DONE = b"done"
_LEASE = b"lease"


class EventInProgress(RetryLater):
    """Another delivery of the same event is being processed; try again when its lease ends."""


class SeenState(Enum):
    NEW = "new"
    DONE = "done"
    BUSY = "busy"
    # Seen before (done or in progress) with another fingerprint.
    CONFLICT = "conflict"


def _stamped(state: bytes, fingerprint: str | None) -> bytes:
    return state if fingerprint is None else state + b":" + fingerprint.encode()


def _conflicts(stored: bytes, fingerprint: str | None) -> bool:
    """Whether ``stored`` names another event than ``fingerprint`` (records without one, or
    callers without one, never conflict)."""
    _, sep, theirs = stored.partition(b":")
    return fingerprint is not None and bool(sep) and theirs != fingerprint.encode()


class SeenEvents:
    """Per-``scope`` (one consumer group, usually) record of processed event ids."""

    def __init__(
        self,
        cache: Cache,
        scope: str,
        *,
        retention_seconds: float = 7 * 24 * 3600,
        lease_seconds: float = 60.0,
    ) -> None:
        self._cache = cache
        self._scope = scope
        self._retention = retention_seconds
        self._lease = lease_seconds

    def key(self, event_id: str) -> str:
        return f"events:seen:{self._scope}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` was processed to the end (within the retention)."""
        stored = await self._cache.get(self.key(event_id))
        return stored is not None and stored.partition(b":")[0] == _DONE

    async def begin(self, event_id: str, fingerprint: str | None = None) -> SeenState:
        """Take the lease on ``event_id`` (``NEW``), or say it is ``DONE`` or ``BUSY`` (or,
        with a ``fingerprint``, a ``CONFLICT``: the id was seen with another)."""
        key = self.key(event_id)
        lease = _stamped(_LEASE, fingerprint)
        if await self._cache.set_if_absent(key, lease, ttl_seconds=self._lease):
            return SeenState.NEW
        stored = await self._cache.get(key)
        if stored is None:
            # The lease ran out between the two calls: the id is free again.
            return await self.begin(event_id, fingerprint)
        if _conflicts(stored, fingerprint):
            return SeenState.CONFLICT
        return SeenState.DONE if stored.partition(b":")[0] == _DONE else SeenState.BUSY

    async def done(self, event_id: str, fingerprint: str | None = None) -> None:
        """Record ``event_id`` as processed, for the retention."""
        value = _stamped(_DONE, fingerprint)
        await self._cache.set(self.key(event_id), value, ttl_seconds=self._retention)

    async def lease_left(self, event_id: str) -> float:
        """Seconds until the lease on ``event_id`` runs out (0 when there is none)."""
        return await self._cache.ttl(self.key(event_id)) or 0.0

    async def release(self, event_id: str) -> None:
        """Give up the lease after a failure, so the next delivery runs the handler again."""
        await self._cache.delete(self.key(event_id))


def idempotent(handler: Handler, record: SeenEvents) -> Handler:
    """``handler``, run at most once to completion per event id.

    A delivery of an event already done returns at once (and is acknowledged); one whose event
    is being processed elsewhere raises ``EventInProgress`` so that it is retried later.
    """

    async def once(delivery: Delivery) -> None:
        claim = await record.begin(delivery.event_id)
        if claim is SeenState.DONE or claim is SeenState.CONFLICT:
            return
        if claim is SeenState.BUSY:
            remaining = await record.lease_left(delivery.event_id)
            raise EventInProgress(
                f"event {delivery.event_id} is being processed elsewhere",
                retry_after_seconds=remaining,
            )
        try:
            await handler(delivery)
        except BaseException:
            await record.release(delivery.event_id)
            raise
        await record.done(delivery.event_id)

    return once
