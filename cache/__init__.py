"""Caching and shared state: Redis-backed, with an in-memory twin for the embedded default."""

from cache.base import JSON, Cache, CacheUnavailable
from cache.factory import create_cache
from cache.memory import MemoryCache
from cache.redis_cache import RedisCache
from cache.reference import Loader, ReferenceCache

__all__ = [
    "JSON",
    "Cache",
    "CacheUnavailable",
    "Loader",
    "MemoryCache",
    "RedisCache",
    "ReferenceCache",
    "create_cache",
]
