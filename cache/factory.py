"""``create_cache``: Redis when a URL is configured, else the in-memory embedded default."""

from __future__ import annotations

from cache.base import Cache
from cache.memory import MemoryCache
from cache.redis_cache import RedisCache

__all__ = ["create_cache"]


def create_cache(redis_url: str | None, *, prefix: str = "crossdock:") -> Cache:
    """The cache the settings ask for; ``prefix`` namespaces the keys in a shared Redis."""
    if redis_url:
        return RedisCache(redis_url, prefix=prefix)
    return MemoryCache()
