"""``ReferenceCache``: read-through over both caches, batching, invalidation, and falling back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import pytest

from cache import JSON, CacheUnavailable, MemoryCache, RedisCache, ReferenceCache
from tests.cache.harness import Subject
from tests.support.waiting import wait_until_async

PRODUCTS: dict[str, JSON] = {
    "P-100": {"sku": "P-100", "name": "Pallet jack", "price": 499.0},
    "P-200": {"sku": "P-200", "name": "Stretch wrap", "tags": ["packaging"]},
    "P-300": {"sku": "P-300", "name": "Label printer", "discontinued": None},
}


class RecordingLoader:
    """Answers from a dictionary, as a system would, and remembers every call."""

    def __init__(self, records: Mapping[str, JSON]) -> None:
        self.records = dict(records)
        self.calls: list[list[str]] = []

    async def __call__(self, ids: list[str]) -> Mapping[str, JSON]:
        self.calls.append(list(ids))
        return {id_: self.records[id_] for id_ in ids if id_ in self.records}


class UnwritableCache(MemoryCache):
    """A cache that answers reads but whose writes fail, as when Redis drops mid-request."""

    async def set_many(
        self, items: Mapping[str, bytes], *, ttl_seconds: float | None = None
    ) -> None:
        raise CacheUnavailable("Redis at redis://127.0.0.1:6379/0 is unavailable: reset")


@pytest.fixture
def loader() -> RecordingLoader:
    return RecordingLoader(PRODUCTS)


def products(subject: Subject) -> ReferenceCache:
    return ReferenceCache(subject.cache, namespace="products", ttl_seconds=300)


async def test_the_second_read_calls_no_loader(subject: Subject, loader: RecordingLoader) -> None:
    reference = products(subject)
    first = await reference.get_many(["P-100", "P-200"], loader)
    second = await reference.get_many(["P-100", "P-200"], loader)
    assert first == second == {"P-100": PRODUCTS["P-100"], "P-200": PRODUCTS["P-200"]}
    assert loader.calls == [["P-100", "P-200"]]


async def test_misses_are_batched_into_one_load(subject: Subject, loader: RecordingLoader) -> None:
    reference = products(subject)
    await reference.get_many(["P-200"], loader)
    result = await reference.get_many(["P-300", "P-200", "P-100", "P-300"], loader)
    assert list(result) == ["P-300", "P-200", "P-100"]
    assert result == {key: PRODUCTS[key] for key in ("P-100", "P-200", "P-300")}
    assert loader.calls == [["P-200"], ["P-300", "P-100"]]


async def test_records_are_cached_with_the_ttl(subject: Subject, loader: RecordingLoader) -> None:
    reference = ReferenceCache(subject.cache, namespace="products", ttl_seconds=subject.short_ttl)
    await reference.get_many(["P-100"], loader)
    ttl = await subject.cache.ttl("ref:products:P-100")
    assert ttl is not None and 0 < ttl <= subject.short_ttl
    await subject.let_expire("ref:products:P-100")
    await reference.get_many(["P-100"], loader)
    assert loader.calls == [["P-100"], ["P-100"]]


async def test_unknown_keys_are_absent_and_not_cached(
    subject: Subject, loader: RecordingLoader
) -> None:
    reference = products(subject)
    assert await reference.get_many(["P-100", "P-999"], loader) == {"P-100": PRODUCTS["P-100"]}
    assert await reference.get_many(["P-100", "P-999"], loader) == {"P-100": PRODUCTS["P-100"]}
    assert loader.calls == [["P-100", "P-999"], ["P-999"]]
    # Created in the system since: found on the next read.
    loader.records["P-999"] = {"sku": "P-999"}
    assert await reference.get_many(["P-999"], loader) == {"P-999": {"sku": "P-999"}}


async def test_a_null_record_is_cached_like_any_other(subject: Subject) -> None:
    loader = RecordingLoader({"P-000": None})
    reference = products(subject)
    assert await reference.get_many(["P-000"], loader) == {"P-000": None}
    assert await reference.get_many(["P-000"], loader) == {"P-000": None}
    assert loader.calls == [["P-000"]]


async def test_no_keys_means_no_round_trip(subject: Subject, loader: RecordingLoader) -> None:
    assert await products(subject).get_many([], loader) == {}
    assert loader.calls == []


async def test_invalidate_forgets_only_the_keys_given(
    subject: Subject, loader: RecordingLoader
) -> None:
    reference = products(subject)
    await reference.get_many(["P-100", "P-200"], loader)
    loader.records["P-100"] = {"sku": "P-100", "name": "Pallet jack, electric"}
    await reference.invalidate("P-100", "P-404")
    await reference.invalidate()
    result = await reference.get_many(["P-100", "P-200"], loader)
    assert result["P-100"] == {"sku": "P-100", "name": "Pallet jack, electric"}
    assert loader.calls == [["P-100", "P-200"], ["P-100"]]


async def test_namespaces_do_not_share_entries(subject: Subject, loader: RecordingLoader) -> None:
    await products(subject).get_many(["P-100"], loader)
    accounts = ReferenceCache(subject.cache, namespace="accounts", ttl_seconds=300)
    assert await accounts.get_many(["P-100"], RecordingLoader({})) == {}


async def test_an_entry_that_is_not_json_is_loaded_again(
    subject: Subject, loader: RecordingLoader, caplog: pytest.LogCaptureFixture
) -> None:
    await subject.cache.set("ref:products:P-100", b"\xff not json")
    with caplog.at_level(logging.WARNING, logger="cache.reference"):
        result = await products(subject).get_many(["P-100"], loader)
    assert result == {"P-100": PRODUCTS["P-100"]}
    assert loader.calls == [["P-100"]]
    assert "not JSON" in caplog.text


async def test_an_unavailable_cache_falls_back_to_the_loader(
    dead_redis_url: str, loader: RecordingLoader, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RedisCache(dead_redis_url, timeout_seconds=1)
    reference = ReferenceCache(cache, namespace="products", ttl_seconds=300)
    try:
        with caplog.at_level(logging.WARNING, logger="cache.reference"):
            for _ in range(2):
                result = await reference.get_many(["P-100", "P-999"], loader)
                assert result == {"P-100": PRODUCTS["P-100"]}
        assert loader.calls == [["P-100", "P-999"], ["P-100", "P-999"]]
        assert "reference cache unavailable" in caplog.text
        with pytest.raises(CacheUnavailable):
            await reference.invalidate("P-100")
    finally:
        await cache.aclose()


async def test_a_failed_write_still_returns_the_loaded_records(
    loader: RecordingLoader, caplog: pytest.LogCaptureFixture
) -> None:
    reference = ReferenceCache(UnwritableCache(), namespace="products", ttl_seconds=300)
    with caplog.at_level(logging.WARNING, logger="cache.reference"):
        assert await reference.get_many(["P-100"], loader) == {"P-100": PRODUCTS["P-100"]}
    assert "records not stored" in caplog.text


@pytest.mark.parametrize("ttl", [0, -5])
def test_the_ttl_must_be_positive(ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        ReferenceCache(MemoryCache(), namespace="products", ttl_seconds=ttl)


class GatedLoader(RecordingLoader):
    """A loader whose calls wait until ``release``, or fail with ``failure`` when it is set."""

    def __init__(self, records: Mapping[str, JSON]) -> None:
        super().__init__(records)
        self.gate = asyncio.Event()
        self.failure: Exception | None = None

    async def __call__(self, ids: list[str]) -> Mapping[str, JSON]:
        self.calls.append(list(ids))
        await self.gate.wait()
        if self.failure is not None:
            raise self.failure
        return {id_: self.records[id_] for id_ in ids if id_ in self.records}


async def calls_made(loader: RecordingLoader, count: int) -> None:
    async def made() -> bool:
        return len(loader.calls) == count

    await wait_until_async(made, timeout=5, what=f"{count} loader calls")


async def test_concurrent_misses_of_an_id_are_loaded_once(subject: Subject) -> None:
    loader = GatedLoader(PRODUCTS)
    reference = products(subject)
    first = asyncio.ensure_future(reference.get_many(["P-100", "P-200"], loader))
    await calls_made(loader, 1)
    second = asyncio.ensure_future(reference.get_many(["P-200", "P-300", "P-404"], loader))
    third = asyncio.ensure_future(reference.get_many(["P-100"], loader))
    await calls_made(loader, 2)  # second loads only what nobody is loading yet
    loader.gate.set()
    results = await asyncio.gather(first, second, third)
    assert list(results) == [
        {"P-100": PRODUCTS["P-100"], "P-200": PRODUCTS["P-200"]},
        {"P-200": PRODUCTS["P-200"], "P-300": PRODUCTS["P-300"]},
        {"P-100": PRODUCTS["P-100"]},
    ]
    assert loader.calls == [["P-100", "P-200"], ["P-300", "P-404"]]


async def test_a_failed_load_fails_its_waiters_without_asking_again(subject: Subject) -> None:
    loader = GatedLoader(PRODUCTS)
    loader.failure = RuntimeError("crm could not be reached")
    reference = products(subject)
    reads = [asyncio.ensure_future(reference.get_many(["P-100"], loader)) for _ in range(3)]
    await calls_made(loader, 1)
    loader.gate.set()
    outcomes = await asyncio.gather(*reads, return_exceptions=True)
    assert [str(o) for o in outcomes] == ["crm could not be reached"] * 3
    assert loader.calls == [["P-100"]]
    # Nothing is left in flight: the next read asks the system again.
    loader.failure = None
    assert await reference.get_many(["P-100"], loader) == {"P-100": PRODUCTS["P-100"]}
    assert loader.calls == [["P-100"], ["P-100"]]


class CountingCache(MemoryCache):
    """A memory cache that counts the reads it has answered."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        found = await super().get_many(keys)
        self.reads += 1
        return found


async def test_when_the_loading_read_is_cancelled_its_waiter_loads_itself() -> None:
    loader = GatedLoader(PRODUCTS)
    cache = CountingCache()
    reference = ReferenceCache(cache, namespace="products", ttl_seconds=300)
    leaving = asyncio.ensure_future(reference.get_many(["P-100"], loader))
    await calls_made(loader, 1)
    waiting = asyncio.ensure_future(reference.get_many(["P-100"], loader))

    async def read() -> bool:
        # From its cache read, the waiter goes on without a pause to wait on the load.
        return cache.reads == 2

    await wait_until_async(read, timeout=5, what="the waiter's cache read")
    assert len(loader.calls) == 1
    leaving.cancel()
    await calls_made(loader, 2)
    loader.gate.set()
    assert await waiting == {"P-100": PRODUCTS["P-100"]}
    assert leaving.cancelled()


async def test_stored_records_are_read_without_a_load(
    subject: Subject, loader: RecordingLoader
) -> None:
    reference = products(subject)
    await reference.store({"P-100": PRODUCTS["P-100"]})
    assert await reference.get_many(["P-100"], loader) == {"P-100": PRODUCTS["P-100"]}
    assert loader.calls == []
