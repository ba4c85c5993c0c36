"""The package's public surface: what other packages may import from ``cache``."""

from __future__ import annotations

import cache


def test_public_surface() -> None:
    assert sorted(cache.__all__) == sorted(
        [
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
    )
    for name in cache.__all__:
        assert getattr(cache, name) is not None
