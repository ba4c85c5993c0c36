"""``create_cache``: Redis when a URL is configured, else the in-memory embedded default."""

from __future__ import annotations

from dataclasses import dataclass

from cache.base import Cache
from cache.memory import MemoryCache
from cache.redis_cache import RedisCache

__all__ = ["CacheSettings", "create_cache", "create_cache_for"]


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """Where a cache lives: Redis at ``redis_url`` with every key under ``prefix`` (so several
    graphs can share one Redis), or in this process's memory when ``redis_url`` is unset."""

    redis_url: str | None = None
    prefix: str = "crossdock:"


def create_cache(redis_url: str | None, *, prefix: str = "crossdock:") -> Cache:
    """The cache the settings ask for; ``prefix`` namespaces the keys in a shared Redis."""
    if redis_url:
        return RedisCache(redis_url, prefix=prefix)
    return MemoryCache()


def create_cache_for(settings: CacheSettings) -> Cache:
    """The cache ``settings`` describe."""
    return create_cache(settings.redis_url, prefix=settings.prefix)
