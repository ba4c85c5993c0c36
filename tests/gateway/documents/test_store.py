"""The APQ stores: memory bounded by bytes, Redis with its TTL, and memory in front of a Redis
that refuses, hangs, or comes back."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from gateway.documents import (
    DocumentStats,
    MemoryApqStore,
    RedisApqStore,
    StoreUnavailable,
    TieredApqStore,
)
from tests.support.redis import unique_prefix
from tests.support.waiting import wait_until_async

TEXT = "query Q { a }"


@pytest.fixture
def hanging_redis_url() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    finally:
        sock.close()


async def test_memory_keeps_texts_within_its_bytes() -> None:
    store = MemoryApqStore(max_bytes=64_000)
    texts = {f"{n:064x}": f"query Q{n} {{ {'a ' * 500}}}" for n in range(100)}
    for key, text in texts.items():
        await store.put(key, text)
    assert store.bytes <= 64_000
    kept = [key for key in texts if await store.get(key) is not None]
    # The most recent ones stay, the oldest went.
    assert 0 < len(kept) < 100
    assert kept == list(texts)[-len(kept) :]


async def test_memory_does_not_keep_a_text_over_a_sixteenth_of_its_bytes() -> None:
    store = MemoryApqStore(max_bytes=16_000)
    await store.put("a" * 64, TEXT)
    await store.put("b" * 64, "{ " + "a " * 1000 + "}")
    assert await store.get("a" * 64) == TEXT
    assert await store.get("b" * 64) is None


async def test_redis_keeps_texts_under_the_prefix_with_the_ttl(redis_url: str) -> None:
    with unique_prefix(redis_url) as prefix:
        store = RedisApqStore(redis_url, prefix=prefix, ttl=30, timeout=2)
        try:
            assert await store.get("c" * 64) is None
            await store.put("c" * 64, "query \u00e9 { a }")
            assert await store.get("c" * 64) == "query \u00e9 { a }"
            ttl = await store._redis.pttl(f"{prefix}apq:{'c' * 64}")
            assert 0 < ttl <= 30_000
        finally:
            await store.aclose()


async def test_a_hanging_redis_costs_one_timeout_then_nothing(hanging_redis_url: str) -> None:
    stats = DocumentStats()
    shared = RedisApqStore(hanging_redis_url, prefix="p:", ttl=None, timeout=0.3)
    store = TieredApqStore(MemoryApqStore(1 << 20), shared, retry_interval=60, stats=stats)
    try:
        started = time.monotonic()
        assert await store.get("d" * 64) is None
        first = time.monotonic() - started
        await store.put("d" * 64, TEXT)
        assert await store.get("d" * 64) == TEXT  # from memory
        assert await store.get("e" * 64) is None
        rest = time.monotonic() - started - first
    finally:
        await store.aclose()
    # Generous bounds for a loaded machine: one wait of about the timeout, then none.
    assert 0.25 <= first < 3
    assert rest < 0.25
    assert stats.apq_store_errors == 1


async def test_redis_is_used_again_once_it_answers(redis_url: str) -> None:
    with unique_prefix(redis_url) as prefix:
        shared = RedisApqStore(redis_url, prefix=prefix, ttl=30, timeout=2)
        writer = RedisApqStore(redis_url, prefix=prefix, ttl=30, timeout=2)
        store = TieredApqStore(MemoryApqStore(1 << 20), shared, retry_interval=3)
        try:
            # As if the last command had failed: Redis is left alone for a while.
            store._failed(StoreUnavailable("ConnectionError: refused"))
            await writer.put("f" * 64, TEXT)  # another gateway registers it meanwhile
            assert await store.get("f" * 64) is None

            async def found() -> bool:
                return await store.get("f" * 64) == TEXT

            await wait_until_async(found, timeout=10, what="Redis used again")
        finally:
            await store.aclose()
            await writer.aclose()
