"""Fixtures of the event tests: the real Redis and PostgreSQL (never skipped), unique names,
both buses, both outboxes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cache import MemoryCache, RedisCache
from events import InProcessBus, Outbox, RedisStreamBus
from events.postgres_outbox import PostgresOutbox
from events.sqlite_outbox import SqliteOutbox
from tests.events.harness import BusSubject
from tests.support.postgres import postgres_table, postgres_url
from tests.support.redis import dead_redis_url, redis_prefix, redis_url

__all__ = [
    "OpenOutbox",
    "dead_redis_url",
    "events_prefix",
    "open_outbox",
    "postgres_table",
    "postgres_url",
    "redis_prefix",
    "redis_url",
    "stream",
    "subject",
]

OpenOutbox = Callable[..., Outbox]
"""Opens the outbox of one test, the same storage on each call (a reopening: another process,
or another replica), with the keyword arguments given."""


@pytest.fixture(params=["sqlite", "postgres"])
def open_outbox(request: pytest.FixtureRequest, tmp_path: Path) -> OpenOutbox:
    """Each implementation of ``Outbox`` in turn: a SQLite file of the test's own, a table of
    the test's own in the real PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "outbox.sqlite3"
        return lambda **options: SqliteOutbox(path, **options)
    url: str = request.getfixturevalue("postgres_url")
    table: str = request.getfixturevalue("postgres_table")
    return lambda **options: PostgresOutbox(url, table=table, **options)


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
