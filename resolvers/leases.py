"""Who works on which workflow: a lease per running workflow, so that recovery (at start-up or
in the periodic sweep) never takes up a workflow a live request or replica is carrying.

A request holds its workflow's lease while it runs and lets go when it returns, finished or
not; recovery only takes workflows whose lease it can acquire. In-process leases suffice for
one process (the embedded default); replicas sharing the Redis journal share leases in Redis,
each with a time to live that the holder's sweep loop renews (its heartbeat): a replica that
dies stops renewing, its leases expire, and another replica's sweep takes its workflows up.
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

__all__ = ["LEASE_SECONDS", "Leases", "RedisLeases", "create_leases"]

# How long a lease outlives its holder's last heartbeat.
LEASE_SECONDS = 30.0

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Leases:
    """Leases within this process only."""

    def __init__(self) -> None:
        self.owner = uuid.uuid4().hex
        self._held: set[str] = set()

    async def acquire(self, workflow_id: str) -> bool:
        if workflow_id in self._held:
            return False
        self._held.add(workflow_id)
        return True

    async def release(self, workflow_id: str) -> None:
        self._held.discard(workflow_id)

    async def take(self, workflow_id: str) -> None:
        """Hold a new workflow's lease, before it is journaled (no one else knows its id)."""
        self._held.add(workflow_id)

    async def renew(self) -> None:
        """Extend every lease held here (the heartbeat); nothing to do in one process."""

    async def aclose(self) -> None:
        for workflow_id in list(self._held):
            await self.release(workflow_id)


class RedisLeases(Leases):
    """Leases shared by the replicas of one Redis journal."""

    def __init__(
        self, url: str, *, prefix: str = "crossdock:orders:", ttl_seconds: float = LEASE_SECONDS
    ) -> None:
        super().__init__()
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url)
        self._prefix = f"{prefix}lease:"
        self._ttl_ms = max(1, int(ttl_seconds * 1000))

    async def acquire(self, workflow_id: str) -> bool:
        if workflow_id in self._held:
            return False
        taken = await self._redis.set(
            f"{self._prefix}{workflow_id}", self.owner, nx=True, px=self._ttl_ms
        )
        if taken:
            self._held.add(workflow_id)
        return bool(taken)

    async def take(self, workflow_id: str) -> None:
        self._held.add(workflow_id)
        await self._redis.set(f"{self._prefix}{workflow_id}", self.owner, px=self._ttl_ms)

    async def release(self, workflow_id: str) -> None:
        self._held.discard(workflow_id)
        await self._redis.eval(_RELEASE, 1, f"{self._prefix}{workflow_id}", self.owner)

    async def renew(self) -> None:
        for workflow_id in list(self._held):
            await self._redis.eval(
                _RENEW, 1, f"{self._prefix}{workflow_id}", self.owner, str(self._ttl_ms)
            )

    async def aclose(self) -> None:
        await super().aclose()
        await self._redis.aclose()


def create_leases(redis_url: str | None, *, prefix: str = "crossdock:orders:") -> Leases:
    """Shared in Redis (keys under ``prefix``) when configured (replicas), else within this
    process."""
    return RedisLeases(redis_url, prefix=prefix) if redis_url else Leases()
