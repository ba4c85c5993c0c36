"""Token buckets, in memory and in a real Redis: both stores pass the same tests, and the
Redis one holds one limit for several clients taking at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis as sync_redis
from redis.exceptions import RedisError

from gateway.server._buckets import Buckets, MemoryBuckets, RedisBuckets, retry_after_seconds
from tests.support.redis import dead_redis_url, redis_prefix, redis_url
from tests.support.tcp_switch import TcpSwitch
from tests.support.waiting import wait_until_async

__all__ = ["dead_redis_url", "redis_prefix", "redis_url"]


@pytest.fixture(params=["memory", "redis"])
async def buckets(request: pytest.FixtureRequest) -> AsyncIterator[Buckets]:
    """Each store in turn, with no buckets yet."""
    store: Buckets
    if request.param == "memory":
        store = MemoryBuckets()
    else:
        url: str = request.getfixturevalue("redis_url")
        store = RedisBuckets(url, request.getfixturevalue("redis_prefix"), timeout=5.0)
    yield store
    await store.aclose()


async def test_a_new_bucket_is_full_and_gives_capacity_tokens(buckets: Buckets) -> None:
    taken = [await buckets.take("a", capacity=3, rate=0.01) for _ in range(4)]
    assert [d.allowed for d in taken] == [True, True, True, False]
    # One token comes every 100 s.
    assert 99 < taken[-1].retry_after <= 100
    assert retry_after_seconds(taken[-1]) == 100


async def test_buckets_are_apart(buckets: Buckets) -> None:
    assert (await buckets.take("a", capacity=1, rate=0.01)).allowed
    assert not (await buckets.take("a", capacity=1, rate=0.01)).allowed
    assert (await buckets.take("b", capacity=1, rate=0.01)).allowed


async def test_a_refusal_takes_nothing(buckets: Buckets) -> None:
    # Refused again and again, the bucket fills at its pace: the first token after 1/rate.
    assert (await buckets.take("a", capacity=1, rate=2.0)).allowed
    started = time.monotonic()
    while not (await buckets.take("a", capacity=1, rate=2.0)).allowed:
        await asyncio.sleep(0.01)
    # Refusals taking tokens would push it past 0.5 s for ever; the machine may be slow.
    assert 0.4 < time.monotonic() - started < 5


async def test_tokens_come_back_at_the_rate(buckets: Buckets) -> None:
    for _ in range(2):
        assert (await buckets.take("a", capacity=2, rate=20.0)).allowed
    refused = await buckets.take("a", capacity=2, rate=20.0)
    assert not refused.allowed
    assert 0 < refused.retry_after <= 0.05

    async def refilled() -> bool:
        return (await buckets.take("a", capacity=2, rate=20.0)).allowed

    await wait_until_async(refilled, timeout=10, what="a token")


async def test_retry_after_is_whole_seconds_at_least_one(buckets: Buckets) -> None:
    assert (await buckets.take("a", capacity=1, rate=50.0)).allowed
    refused = await buckets.take("a", capacity=1, rate=50.0)
    assert not refused.allowed
    assert retry_after_seconds(refused) == 1


async def test_processes_sharing_redis_share_the_bucket(redis_url: str, redis_prefix: str) -> None:
    # Two clients stand for two gateway processes; 40 requests race for 10 tokens.
    first = RedisBuckets(redis_url, redis_prefix, timeout=5.0)
    second = RedisBuckets(redis_url, redis_prefix, timeout=5.0)
    try:
        takes = [
            (first if i % 2 else second).take("shared", capacity=10, rate=0.001) for i in range(40)
        ]
        decisions = await asyncio.gather(*takes)
        assert sum(d.allowed for d in decisions) == 10
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_redis_bucket_is_gone_once_it_would_be_full(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisBuckets(redis_url, redis_prefix, timeout=5.0)
    client = sync_redis.Redis.from_url(redis_url)
    try:
        assert (await store.take("a", capacity=4, rate=2.0)).allowed
        # One token short: full again in 0.5 s, kept a second longer.
        ttl = client.pttl(f"{redis_prefix}a")
        assert 1000 < ttl <= 1500
        refusing = RedisBuckets(redis_url, redis_prefix, timeout=5.0)
        try:
            for _ in range(3):
                assert (await refusing.take("a", capacity=4, rate=0.001)).allowed
            assert not (await refusing.take("a", capacity=4, rate=0.001)).allowed
        finally:
            await refusing.aclose()
        held = client.hgetall(f"{redis_prefix}a")
        assert set(held) == {b"tokens", b"ts"}
        assert float(held[b"tokens"]) < 1
    finally:
        client.close()
        await store.aclose()


async def test_memory_keeps_a_bounded_number_of_buckets() -> None:
    store = MemoryBuckets(max_buckets=2)
    for key in ("a", "b", "c"):
        assert (await store.take(key, capacity=1, rate=0.001)).allowed
    # "a" was the least recently used: dropped, it comes back full; "c" is still empty.
    assert (await store.take("a", capacity=1, rate=0.001)).allowed
    assert not (await store.take("c", capacity=1, rate=0.001)).allowed


async def test_a_dead_redis_fails_at_once(dead_redis_url: str) -> None:
    store = RedisBuckets(dead_redis_url, "unused:", timeout=5.0)
    started = time.monotonic()
    try:
        with pytest.raises((RedisError, OSError)):
            await store.take("a", capacity=1, rate=1.0)
    finally:
        await store.aclose()
    assert time.monotonic() - started < 5


async def test_redis_is_not_asked_again_about_an_empty_bucket(
    redis_url: str, redis_prefix: str
) -> None:
    with TcpSwitch(redis_url) as switch:
        store = RedisBuckets(switch.url, redis_prefix, timeout=5.0)
        try:
            assert (await store.take("a", capacity=1, rate=0.01)).allowed
            assert not (await store.take("a", capacity=1, rate=0.01)).allowed
            switch.off()
            # Refused for the rest of its wait without a round trip (Redis is unreachable).
            refused = await store.take("a", capacity=1, rate=0.01)
            assert not refused.allowed
            assert 99 < refused.retry_after <= 100
            # Another bucket needs Redis.
            with pytest.raises((RedisError, OSError)):
                await store.take("b", capacity=1, rate=0.01)
        finally:
            await store.aclose()
