"""The ``Cache`` Protocol suite: every test runs against ``MemoryCache`` and ``RedisCache``."""

from __future__ import annotations

import asyncio
import math

import pytest

from cache import Cache
from tests.cache.harness import Subject

BAD_TTLS = [0, -1, math.nan, math.inf]


def test_implements_the_protocol(subject: Subject) -> None:
    assert isinstance(subject.cache, Cache)


async def test_get_of_a_missing_key_is_none(subject: Subject) -> None:
    assert await subject.cache.get("missing") is None


async def test_set_then_get_and_overwrite(subject: Subject) -> None:
    cache = subject.cache
    await cache.set("sku", b"first")
    assert await cache.get("sku") == b"first"
    await cache.set("sku", b"second")
    assert await cache.get("sku") == b"second"


async def test_values_are_bytes_verbatim(subject: Subject) -> None:
    value = bytes(range(256))
    await subject.cache.set("binary", value)
    assert await subject.cache.get("binary") == value


async def test_get_many_keeps_order_and_reports_misses(subject: Subject) -> None:
    cache = subject.cache
    await cache.set("a", b"1")
    await cache.set("c", b"3")
    assert await cache.get_many(["c", "b", "a", "c"]) == [b"3", None, b"1", b"3"]
    assert await cache.get_many([]) == []


async def test_set_many_stores_every_item(subject: Subject) -> None:
    cache = subject.cache
    await cache.set_many({"a": b"1", "b": b"2", "c": b"3"})
    assert await cache.get_many(["a", "b", "c"]) == [b"1", b"2", b"3"]
    assert await cache.ttl("a") is None
    await cache.set_many({})


async def test_set_many_gives_every_item_the_ttl(subject: Subject) -> None:
    cache = subject.cache
    await cache.set_many({"a": b"1", "b": b"2"}, ttl_seconds=subject.short_ttl)
    for key in ("a", "b"):
        ttl = await cache.ttl(key)
        assert ttl is not None and 0 < ttl <= subject.short_ttl
    await subject.let_expire("a", "b")
    assert await cache.get_many(["a", "b"]) == [None, None]


async def test_set_if_absent_stores_only_the_first_value(subject: Subject) -> None:
    cache = subject.cache
    assert await cache.set_if_absent("order:1", b"first") is True
    assert await cache.set_if_absent("order:1", b"second") is False
    assert await cache.get("order:1") == b"first"


async def test_set_if_absent_has_exactly_one_winner_among_concurrent_callers(
    subject: Subject,
) -> None:
    cache = subject.cache
    values = [f"caller-{n}".encode() for n in range(50)]
    results = await asyncio.gather(*(cache.set_if_absent("idem", value) for value in values))
    assert results.count(True) == 1
    assert await cache.get("idem") == values[results.index(True)]


async def test_set_if_absent_succeeds_once_the_key_expired(subject: Subject) -> None:
    cache = subject.cache
    assert await cache.set_if_absent("idem", b"old", ttl_seconds=subject.short_ttl) is True
    await subject.let_expire("idem")
    assert await cache.set_if_absent("idem", b"new") is True
    assert await cache.get("idem") == b"new"


async def test_increment_counts_from_one(subject: Subject) -> None:
    cache = subject.cache
    assert [await cache.increment("hits") for _ in range(3)] == [1, 2, 3]
    assert await cache.get("hits") == b"3"
    assert await cache.ttl("hits") is None


async def test_increment_is_atomic_under_concurrent_callers(subject: Subject) -> None:
    cache = subject.cache
    counts = await asyncio.gather(*(cache.increment("hits", ttl_seconds=60) for _ in range(100)))
    assert sorted(counts) == list(range(1, 101))
    assert await cache.get("hits") == b"100"


async def test_increment_sets_the_ttl_only_when_it_creates_the_counter(subject: Subject) -> None:
    cache = subject.cache
    assert await cache.increment("window", ttl_seconds=60) == 1
    assert await cache.increment("window", ttl_seconds=1_000) == 2
    assert await cache.increment("window") == 3
    ttl = await cache.ttl("window")
    assert ttl is not None and 0 < ttl <= 60


async def test_increment_starts_over_once_the_counter_expired(subject: Subject) -> None:
    cache = subject.cache
    await cache.increment("window", ttl_seconds=subject.short_ttl)
    await cache.increment("window", ttl_seconds=subject.short_ttl)
    await subject.let_expire("window")
    assert await cache.increment("window", ttl_seconds=subject.short_ttl) == 1


async def test_increment_continues_a_counter_that_was_set(subject: Subject) -> None:
    await subject.cache.set("hits", b"41")
    assert await subject.cache.increment("hits") == 42


@pytest.mark.parametrize("value", [b"eleven", b"1.5", b"", b" 1"])
async def test_increment_of_a_non_integer_raises_value_error(
    subject: Subject, value: bytes
) -> None:
    await subject.cache.set("hits", value)
    with pytest.raises(ValueError, match="not an integer"):
        await subject.cache.increment("hits")
    assert await subject.cache.get("hits") == value


async def test_delete_counts_the_keys_that_existed(subject: Subject) -> None:
    cache = subject.cache
    await cache.set_many({"a": b"1", "b": b"2"})
    assert await cache.delete("a", "b", "missing") == 2
    assert await cache.get_many(["a", "b"]) == [None, None]
    assert await cache.delete("a") == 0
    assert await cache.delete() == 0


async def test_ttl_reports_the_seconds_left(subject: Subject) -> None:
    cache = subject.cache
    assert await cache.ttl("missing") is None
    await cache.set("forever", b"1")
    assert await cache.ttl("forever") is None
    await cache.set("soon", b"1", ttl_seconds=60)
    ttl = await cache.ttl("soon")
    assert ttl is not None and 50 < ttl <= 60


async def test_set_replaces_the_expiry_too(subject: Subject) -> None:
    cache = subject.cache
    await cache.set("sku", b"1", ttl_seconds=60)
    await cache.set("sku", b"2")
    assert await cache.ttl("sku") is None


async def test_an_entry_expires_after_its_ttl(subject: Subject) -> None:
    cache = subject.cache
    await cache.set("sku", b"1", ttl_seconds=subject.short_ttl)
    await cache.set("kept", b"2")
    assert await cache.get("sku") == b"1"
    await subject.let_expire("sku")
    assert await cache.get("sku") is None
    assert await cache.ttl("sku") is None
    assert await cache.get_many(["sku", "kept"]) == [None, b"2"]
    assert await cache.delete("sku") == 0


async def test_a_sub_millisecond_ttl_is_rounded_up_not_refused(subject: Subject) -> None:
    await subject.cache.set("sku", b"1", ttl_seconds=0.0001)
    await subject.let_expire("sku")
    assert await subject.cache.get("sku") is None


@pytest.mark.parametrize("ttl", BAD_TTLS)
async def test_a_ttl_must_be_positive_and_finite(subject: Subject, ttl: float) -> None:
    cache = subject.cache
    with pytest.raises(ValueError, match="ttl_seconds"):
        await cache.set("sku", b"1", ttl_seconds=ttl)
    with pytest.raises(ValueError, match="ttl_seconds"):
        await cache.set_many({"sku": b"1"}, ttl_seconds=ttl)
    with pytest.raises(ValueError, match="ttl_seconds"):
        await cache.set_if_absent("sku", b"1", ttl_seconds=ttl)
    with pytest.raises(ValueError, match="ttl_seconds"):
        await cache.increment("sku", ttl_seconds=ttl)
    assert await cache.get("sku") is None


async def test_ping(subject: Subject) -> None:
    assert await subject.cache.ping() is True
