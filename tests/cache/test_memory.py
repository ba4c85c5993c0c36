"""``MemoryCache`` beyond the Protocol: the injected clock and LRU eviction."""

from __future__ import annotations

import pytest

from cache import MemoryCache
from tests.cache.harness import FakeClock


async def test_ttl_follows_the_injected_clock() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.set("sku", b"1", ttl_seconds=60)
    assert await cache.ttl("sku") == 60
    clock.advance(15)
    assert await cache.ttl("sku") == 45
    clock.advance(44.5)
    assert await cache.get("sku") == b"1"
    clock.advance(0.5)
    assert await cache.get("sku") is None


async def test_the_least_recently_used_entry_is_evicted() -> None:
    cache = MemoryCache(max_entries=3)
    await cache.set_many({"a": b"1", "b": b"2", "c": b"3"})
    assert await cache.get("a") == b"1"  # now b is the least recently used
    await cache.set("d", b"4")
    assert await cache.get_many(["a", "b", "c", "d"]) == [b"1", None, b"3", b"4"]
    assert len(cache) == 3


async def test_writes_count_as_use() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", b"1")
    await cache.set("b", b"2")
    await cache.set("a", b"1 again")  # now b is the least recently used
    await cache.set("c", b"3")
    assert await cache.get_many(["a", "b", "c"]) == [b"1 again", None, b"3"]


async def test_overwriting_a_key_evicts_nothing() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", b"1")
    await cache.set("b", b"2")
    await cache.set("b", b"3")
    assert await cache.get_many(["a", "b"]) == [b"1", b"3"]


async def test_expired_entries_make_room_before_live_ones_are_evicted() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=2, clock=clock)
    await cache.set("live", b"1")  # least recently used, but still live
    await cache.set("brief", b"2", ttl_seconds=5)
    clock.advance(5)
    await cache.set("new", b"3")
    assert await cache.get_many(["live", "brief", "new"]) == [b"1", None, b"3"]


async def test_many_expiring_writes_keep_the_cache_bounded() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=10, clock=clock)
    for n in range(1_000):
        await cache.set(f"k{n % 20}", b"v", ttl_seconds=1 + n % 7)
        clock.advance(0.25)
    assert len(cache) <= 10
    assert await cache.get("k19") == b"v"
    # Overwritten expiries are forgotten, not hoarded.
    assert len(cache._expiries) <= 2 * len(cache) + 64


async def test_increment_refuses_to_overflow_a_signed_64_bit_counter() -> None:
    cache = MemoryCache()
    await cache.set("hits", str(2**63 - 1).encode())
    with pytest.raises(ValueError, match="overflow"):
        await cache.increment("hits")


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        MemoryCache(max_entries=0)


async def test_aclose_drops_everything() -> None:
    cache = MemoryCache()
    await cache.set("a", b"1", ttl_seconds=10)
    await cache.aclose()
    assert len(cache) == 0
