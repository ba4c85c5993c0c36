"""Caching and shared state: Redis-backed, with an in-memory twin for the embedded default."""

from cache.base import JSON, Cache, CacheUnavailable
from cache.factory import CacheSettings, create_cache, create_cache_for
from cache.memory import MemoryCache
from cache.redis_cache import RedisCache
from cache.reference import Loader, ReferenceCache

__all__ = [
    "JSON",
    "Cache",
    "CacheSettings",
    "CacheUnavailable",
    "Loader",
    "MemoryCache",
    "RedisCache",
    "ReferenceCache",
    "create_cache",
    "create_cache_for",
]
