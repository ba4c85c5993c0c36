"""Fixtures of the cache tests: the real Redis (never skipped), unique key prefixes, subjects."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from cache import MemoryCache, RedisCache
from tests.cache.harness import FakeClock, Subject

REDIS_URL = f"redis://127.0.0.1:{os.environ.get('CROSSDOCK_REDIS_PORT', '6379')}/0"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis; the tests fail, never skip, when it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
        problem = ""
    except redis.RedisError as exc:
        problem = str(exc)
    finally:
        client.close()
    if problem:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({problem}). The cache tests need a real "
            "server: run `bash scripts/ensure-redis` (scripts/test does) and try again.",
            pytrace=False,
        )
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    prefix = f"crossdock-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def dead_redis_url() -> Iterator[str]:
    """A loopback URL that refuses connections: the port is bound, so taken, but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    finally:
        sock.close()


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
