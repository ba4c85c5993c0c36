"""Fixtures of the event tests: the real Redis (never skipped), unique names, both buses."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from cache import MemoryCache, RedisCache
from events import InProcessBus, RedisStreamBus
from tests.events.harness import BusSubject
from tests.support.redis import require_redis, unique_prefix


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis; the tests fail, never skip, when it does not answer."""
    return require_redis()


@pytest.fixture
def events_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    with unique_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def dead_redis_url() -> Iterator[str]:
    """A loopback URL that refuses connections: the port is bound, so taken, but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    finally:
        sock.close()


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
