"""Fixtures of the cache tests: the real Redis (never skipped), unique key prefixes, subjects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cache import MemoryCache, RedisCache
from tests.cache.harness import FakeClock, Subject
from tests.support.redis import dead_redis_url, redis_prefix, redis_url

__all__ = ["dead_redis_url", "redis_prefix", "redis_url", "subject"]


@pytest.fixture(params=["memory", "redis"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    """Each implementation of ``Cache`` in turn, empty, on its own keys."""
    if request.param == "memory":
        clock = FakeClock()
        memory = Subject("memory", MemoryCache(clock=clock), clock)
        yield memory
        await memory.cache.aclose()
        return
    prefix: str = request.getfixturevalue("redis_prefix")
    redis_subject = Subject(
        "redis", RedisCache(request.getfixturevalue("redis_url"), prefix=prefix)
    )
    yield redis_subject
    await redis_subject.cache.aclose()
