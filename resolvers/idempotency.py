"""Idempotency records: one client key, one input, one result, kept for a retention period.

The first request under a key claims it with ``Cache.set_if_absent`` (atomic in memory and in
Redis), runs, and stores its result; a duplicate with the same input waits for that result
and answers it; a duplicate with another input is refused. A claim whose workflow failed is
dropped, so the client may retry under the same key.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from cache.base import Cache
from resolvers.journal import WorkflowState

__all__ = [
    "CLAIM_WAIT_SECONDS",
    "Claim",
    "IdempotencyStore",
    "KeyInProgress",
    "KeyReused",
    "fingerprint",
]

# How long a duplicate waits for the first request's result: well under the gateway's read
# timeout (30 s), so the client hears IN_PROGRESS rather than a transport timeout.
CLAIM_WAIT_SECONDS = 10.0


def fingerprint(operation: str, request: dict[str, Any]) -> str:
    """A digest of ``operation`` and its canonical input."""
    body = orjson.dumps({"operation": operation, "input": request}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


class KeyReused(Exception):
    """The key was first used with another input."""


class KeyInProgress(TimeoutError):
    """The first request under the key has not finished (or is being settled by recovery)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """Who holds a key: ``owner`` is True for the request that claimed it."""

    owner: bool
    workflow_id: str
    result: dict[str, Any] | None


class IdempotencyStore:
    def __init__(
        self, cache: Cache, *, retention_seconds: float, wait_seconds: float = CLAIM_WAIT_SECONDS
    ) -> None:
        self._cache = cache
        self._retention = retention_seconds
        self._wait = wait_seconds

    @staticmethod
    def _key(operation: str, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"orders:idempotency:{operation}:{digest}"

    async def claim(self, operation: str, key: str, digest: str, workflow_id: str) -> Claim:
        """Claim ``key`` for ``workflow_id``, or the claim that holds it (waiting for its result).

        Raises ``KeyReused`` if the key holds another input, ``KeyInProgress`` if its first
        request is still running (or being settled) after the wait.
        """
        name = self._key(operation, key)
        record = orjson.dumps({"fingerprint": digest, "workflow": workflow_id, "result": None})
        if await self._cache.set_if_absent(name, record, ttl_seconds=self._retention):
            return Claim(True, workflow_id, None)
        deadline = time.monotonic() + self._wait
        delay = 0.01
        while True:
            raw = await self._cache.get(name)
            if raw is None:
                # The first request failed and let go of the key: try to take it.
                if await self._cache.set_if_absent(name, record, ttl_seconds=self._retention):
                    return Claim(True, workflow_id, None)
                continue
            held = orjson.loads(raw)
            if held["fingerprint"] != digest:
                raise KeyReused(key)
            if held["result"] is not None:
                return Claim(False, held["workflow"], held["result"])
            if time.monotonic() > deadline:
                raise KeyInProgress(f"the first request with key {key!r} is still running")
            # Waiting on another request (possibly another replica): back off gently.
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)

    async def complete(
        self, operation: str, key: str, digest: str, workflow_id: str, result: dict[str, Any]
    ) -> None:
        record = {"fingerprint": digest, "workflow": workflow_id, "result": result}
        await self._cache.set(
            self._key(operation, key), orjson.dumps(record), ttl_seconds=self._retention
        )

    async def hold(
        self,
        operation: str,
        key: str,
        digest: str,
        workflow_id: str,
        result: dict[str, Any] | None,
    ) -> None:
        """Record that ``key`` belongs to ``workflow_id`` (with its result, once it has one)."""
        record = {"fingerprint": digest, "workflow": workflow_id, "result": result}
        await self._cache.set(
            self._key(operation, key), orjson.dumps(record), ttl_seconds=self._retention
        )

    def retains(self, state: WorkflowState) -> bool:
        """Whether ``state`` (from the journal) is recent enough for its key to still count."""
        if state.status == "RUNNING" or not state.updated_at:
            return True
        try:
            updated = datetime.fromisoformat(state.updated_at)
        except ValueError:
            return True
        return (datetime.now(UTC) - updated).total_seconds() < self._retention

    async def release(self, operation: str, key: str) -> None:
        """Let go of a claim whose workflow failed and was compensated."""
        await self._cache.delete(self._key(operation, key))
