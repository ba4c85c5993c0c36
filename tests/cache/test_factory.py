"""``create_cache``: the settings' Redis URL decides the implementation."""

from __future__ import annotations

import pytest

from cache import MemoryCache, RedisCache, create_cache


@pytest.mark.parametrize("url", [None, ""])
async def test_no_redis_url_gives_the_memory_cache(url: str | None) -> None:
    cache = create_cache(url)
    assert isinstance(cache, MemoryCache)
    await cache.aclose()


async def test_a_redis_url_gives_a_redis_cache_under_the_prefix(
    redis_url: str, redis_prefix: str
) -> None:
    cache = create_cache(redis_url, prefix=redis_prefix)
    try:
        assert isinstance(cache, RedisCache)
        assert cache.prefix == redis_prefix
        assert await cache.ping() is True
    finally:
        await cache.aclose()
