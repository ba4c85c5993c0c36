"""Idempotency records over the in-memory cache and Redis: one owner, one result, no reuse."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest

from cache import Cache, MemoryCache, RedisCache
from resolvers.idempotency import IdempotencyStore, KeyReused, fingerprint


@pytest.fixture(params=["memory", "redis"])
async def cache(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[Cache]:
    subject: Cache = (
        MemoryCache() if request.param == "memory" else RedisCache(redis_url, prefix=redis_prefix)
    )
    yield subject
    await subject.aclose()


def test_the_fingerprint_ignores_key_order() -> None:
    assert fingerprint("op", {"a": 1, "b": [1, 2]}) == fingerprint("op", {"b": [1, 2], "a": 1})
    assert fingerprint("op", {"a": 1}) != fingerprint("other", {"a": 1})


async def test_a_duplicate_gets_the_first_result(cache: Cache) -> None:
    store = IdempotencyStore(cache, retention_seconds=60)
    first = await store.claim("submit", "k1", "digest", "WF-1")
    assert first.owner
    waiting = asyncio.ensure_future(store.claim("submit", "k1", "digest", "WF-2"))
    await store.complete("submit", "k1", "digest", "WF-1", {"orderId": "42"})
    second = await waiting
    assert (second.owner, second.workflow_id, second.result) == (False, "WF-1", {"orderId": "42"})


async def test_another_input_under_the_key_is_refused(cache: Cache) -> None:
    store = IdempotencyStore(cache, retention_seconds=60)
    await store.claim("submit", "k2", "digest", "WF-1")
    with pytest.raises(KeyReused):
        await store.claim("submit", "k2", "other digest", "WF-2")


async def test_concurrent_claims_have_one_owner(cache: Cache) -> None:
    store = IdempotencyStore(cache, retention_seconds=60)
    claims = [
        asyncio.ensure_future(store.claim("submit", "k3", "digest", f"WF-{n}")) for n in range(20)
    ]
    # Only the owner answers before the result exists; the others wait for it.
    done, pending = await asyncio.wait(claims, return_when=asyncio.FIRST_COMPLETED)
    [owner] = [task.result() for task in done]
    assert owner.owner
    await store.complete("submit", "k3", "digest", owner.workflow_id, {"orderId": "1"})
    others = await asyncio.gather(*pending)
    assert len(others) == 19
    assert all(not c.owner and c.workflow_id == owner.workflow_id for c in others)


async def test_a_released_key_can_be_claimed_again(cache: Cache) -> None:
    store = IdempotencyStore(cache, retention_seconds=60)
    await store.claim("submit", "k4", "digest", "WF-1")
    await store.release("submit", "k4")
    again = await store.claim("submit", "k4", "other digest", "WF-2")
    assert (again.owner, again.workflow_id) == (True, "WF-2")


async def test_records_expire_after_the_retention_period(cache: Cache) -> None:
    store = IdempotencyStore(cache, retention_seconds=60)
    await store.claim("submit", "k5", "digest", "WF-1")
    digest = hashlib.sha256(b"k5").hexdigest()
    remaining = await cache.ttl(f"orders:idempotency:submit:{digest}")
    assert remaining is not None
    assert 0 < remaining <= 60
