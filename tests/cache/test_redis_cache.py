"""``RedisCache`` beyond the Protocol: key prefixes, expiry on the server, unavailability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from cache import Cache, CacheUnavailable, RedisCache


@pytest.fixture
async def server(redis_url: str) -> AsyncIterator[RedisCache]:
    """A cache without a prefix: it sees the keys as they are on the server."""
    cache = RedisCache(redis_url, prefix="")
    yield cache
    await cache.aclose()


async def test_every_key_is_under_the_prefix(
    redis_url: str, redis_prefix: str, server: RedisCache
) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    try:
        await cache.set("sku", b"1")
        await cache.set_many({"a": b"2"})
        await cache.set_if_absent("idem", b"3")
        await cache.increment("hits")
        on_server = [f"{redis_prefix}{key}" for key in ("sku", "a", "idem", "hits", "other")]
        assert await server.get_many(on_server) == [b"1", b"2", b"3", b"1", None]
        assert await server.get_many(["sku", "a", "idem", "hits"]) == [None] * 4
        assert cache.prefix == redis_prefix
    finally:
        await cache.aclose()


async def test_caches_with_different_prefixes_do_not_see_each_other(
    redis_url: str, redis_prefix: str
) -> None:
    one = RedisCache(redis_url, prefix=f"{redis_prefix}one:")
    two = RedisCache(redis_url, prefix=f"{redis_prefix}two:")
    try:
        await one.set("sku", b"one")
        assert await two.get("sku") is None
        assert await two.set_if_absent("sku", b"two") is True
        assert await one.get("sku") == b"one"
        assert await two.delete("sku") == 1
        assert await one.get("sku") == b"one"
    finally:
        await one.aclose()
        await two.aclose()


async def test_ttls_are_set_on_the_server_in_milliseconds(
    redis_url: str, redis_prefix: str, server: RedisCache
) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    try:
        await cache.set_many({"a": b"1", "b": b"2"}, ttl_seconds=30)
        await cache.set_if_absent("c", b"3", ttl_seconds=30)
        await cache.increment("d", ttl_seconds=30)
        for key in ("a", "b", "c", "d"):
            ttl = await server.ttl(f"{redis_prefix}{key}")
            assert ttl is not None and 25 < ttl <= 30
    finally:
        await cache.aclose()


async def test_increment_gives_no_expiry_to_a_counter_it_did_not_create(
    redis_url: str, redis_prefix: str, server: RedisCache
) -> None:
    # A counter at 0 was not created by this INCR although INCR answers 1.
    cache = RedisCache(redis_url, prefix=redis_prefix)
    try:
        await server.set(f"{redis_prefix}hits", b"0")
        assert await cache.increment("hits", ttl_seconds=30) == 1
        assert await server.get(f"{redis_prefix}hits") == b"1"
        assert await server.ttl(f"{redis_prefix}hits") is None
    finally:
        await cache.aclose()


OPERATIONS: dict[str, Callable[[Cache], Awaitable[object]]] = {
    "get": lambda cache: cache.get("sku"),
    "get_many": lambda cache: cache.get_many(["a", "b"]),
    "set": lambda cache: cache.set("sku", b"1"),
    "set_many": lambda cache: cache.set_many({"a": b"1"}, ttl_seconds=5),
    "set_if_absent": lambda cache: cache.set_if_absent("sku", b"1"),
    "delete": lambda cache: cache.delete("sku"),
    "increment": lambda cache: cache.increment("hits", ttl_seconds=5),
    "ttl": lambda cache: cache.ttl("sku"),
}


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_an_unreachable_server_raises_cache_unavailable(
    dead_redis_url: str, operation: str
) -> None:
    cache = RedisCache(dead_redis_url, timeout_seconds=1)
    try:
        with pytest.raises(
            CacheUnavailable, match=r"Redis at redis://127\.0\.0\.1:\d+/0 is unavailable"
        ) as caught:
            await OPERATIONS[operation](cache)
        assert dead_redis_url in str(caught.value)
    finally:
        await cache.aclose()


async def test_ping_of_an_unreachable_server_is_false(dead_redis_url: str) -> None:
    cache = RedisCache(dead_redis_url, timeout_seconds=1)
    try:
        assert await cache.ping() is False
    finally:
        await cache.aclose()


async def test_the_error_message_leaves_out_credentials(dead_redis_url: str) -> None:
    url = dead_redis_url.replace("redis://", "redis://crossdock:s3cret@")
    cache = RedisCache(url, timeout_seconds=1)
    try:
        with pytest.raises(CacheUnavailable) as caught:
            await cache.get("sku")
        assert "s3cret" not in str(caught.value)
        assert dead_redis_url in str(caught.value)
    finally:
        await cache.aclose()


async def test_a_server_that_does_not_speak_redis_is_unavailable() -> None:
    async def answer_like_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer_like_http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cache = RedisCache(f"redis://127.0.0.1:{port}/0", timeout_seconds=1)
    try:
        with pytest.raises(CacheUnavailable, match="Protocol Error"):
            await cache.get("sku")
        assert await cache.ping() is False
    finally:
        await cache.aclose()
        server.close()
        await server.wait_closed()
