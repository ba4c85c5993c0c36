"""Fixtures of the event tests: the real Redis (never skipped), unique names, both buses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from cache import MemoryCache, RedisCache
from events import InProcessBus, RedisStreamBus
from tests.events.harness import BusSubject
from tests.support.redis import dead_redis_url, redis_prefix, redis_url

__all__ = ["dead_redis_url", "events_prefix", "redis_prefix", "redis_url", "stream", "subject"]


@pytest.fixture
def events_prefix(redis_prefix: str) -> str:
    """A key prefix no other test uses (the Redis fixtures' ``redis_prefix``)."""
    return redis_prefix


@pytest.fixture
def stream() -> str:
    """A stream name of this test only."""
    return f"milestones-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["memory", "redis"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[BusSubject]:
    """Each implementation of ``EventBus`` in turn, with a cache of the same kind."""
    if request.param == "memory":
        memory = BusSubject(
            "memory",
            InProcessBus(max_length=10_000),
            MemoryCache(),
            lambda max_length: InProcessBus(max_length=max_length),
        )
        yield memory
        await memory.aclose()
        return
    url: str = request.getfixturevalue("redis_url")
    prefix: str = request.getfixturevalue("events_prefix")
    on_redis = BusSubject(
        "redis",
        RedisStreamBus(url, prefix=prefix, max_length=10_000),
        RedisCache(url, prefix=prefix),
        lambda max_length: RedisStreamBus(url, prefix=prefix, max_length=max_length),
    )
    yield on_redis
    await on_redis.aclose()
