"""The real Redis the tests run against, key prefixes that leave nothing behind, and the
fixtures built on them (a conftest imports the ones its tests use)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

__all__ = [
    "REDIS_URL",
    "dead_redis_url",
    "redis_prefix",
    "redis_url",
    "refused_url",
    "require_redis",
    "unique_prefix",
]

REDIS_URL = f"redis://127.0.0.1:{os.environ.get('CROSSDOCK_REDIS_PORT', '6379')}/0"


def require_redis(url: str = REDIS_URL) -> str:
    """``url`` if Redis answers there; else the test fails (never skips) saying what to do."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
        problem = ""
    except redis.RedisError as exc:
        problem = str(exc)
    finally:
        client.close()
    if problem:
        pytest.fail(
            f"Redis is not reachable at {url} ({problem}). These tests need a real server: "
            "run `bash scripts/ensure-redis` (scripts/test does) and try again.",
            pytrace=False,
        )
    return url


@contextmanager
def unique_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted on leaving."""
    prefix = f"crossdock-test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@contextmanager
def refused_url() -> Iterator[str]:
    """A loopback Redis URL that refuses connections: the port is bound, so taken, but not
    listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    finally:
        sock.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis; the tests fail, never skip, when it does not answer."""
    return require_redis()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    with unique_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def dead_redis_url() -> Iterator[str]:
    """A Redis URL that refuses connections (see ``refused_url``)."""
    with refused_url() as url:
        yield url
