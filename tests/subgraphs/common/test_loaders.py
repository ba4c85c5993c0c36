"""Loader and GroupLoader: one bulk call per tick, missing keys, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from cache.base import JSON
from cache.memory import MemoryCache
from cache.reference import ReferenceCache
from subgraphs.common import GroupLoader, Loader, grouped, keyed, reference_loader


class Backend:
    """A bulk lookup that records every batch it was asked for."""

    def __init__(self, *, fail: Exception | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    async def names(self, keys: list[str]) -> Mapping[str, str]:
        self.batches.append(keys)
        if self.fail is not None:
            raise self.fail
        return {key: key.upper() for key in keys if not key.startswith("missing")}

    async def lines(self, keys: list[str]) -> Mapping[str, list[int]]:
        self.batches.append(keys)
        return {key: [1, 2] for key in keys if key != "none"}


async def test_loads_of_one_tick_make_one_call() -> None:
    backend = Backend()
    loader = Loader(backend.names)
    values = await asyncio.gather(*(loader.load(key) for key in ["a", "b", "c"]))
    assert values == ["A", "B", "C"]
    assert backend.batches == [["a", "b", "c"]]


async def test_missing_keys_resolve_to_none() -> None:
    loader = Loader(Backend().names)
    assert await loader.load_many(["a", "missing-1", "b"]) == ["A", None, "B"]


async def test_a_key_is_loaded_once_per_loader() -> None:
    backend = Backend()
    loader = Loader(backend.names)
    assert await loader.load("a") == "A"
    assert list(await asyncio.gather(loader.load("a"), loader.load("b"))) == ["A", "B"]
    assert backend.batches == [["a"], ["b"]]


async def test_batches_are_bounded() -> None:
    backend = Backend()
    loader = Loader(backend.names, max_batch_size=2)
    assert await loader.load_many(["a", "b", "c", "d", "e"]) == ["A", "B", "C", "D", "E"]
    assert backend.batches == [["a", "b"], ["c", "d"], ["e"]]


async def test_a_failure_reaches_every_load_of_the_batch() -> None:
    backend = Backend(fail=RuntimeError("erp answered 503"))
    loader = Loader(backend.names)
    results = await asyncio.gather(loader.load("a"), loader.load("b"), return_exceptions=True)
    assert [str(result) for result in results] == ["erp answered 503"] * 2
    assert all(isinstance(result, RuntimeError) for result in results)
    assert len(backend.batches) == 1


async def test_a_failed_key_is_tried_again() -> None:
    backend = Backend(fail=RuntimeError("down"))
    loader = Loader(backend.names)
    with pytest.raises(RuntimeError):
        await loader.load("a")
    backend.fail = None
    assert await loader.load("a") == "A"


async def test_prime_spares_a_load() -> None:
    backend = Backend()
    loader = Loader(backend.names)
    loader.prime("a", "from the list")
    assert await loader.load("a") == "from the list"
    assert backend.batches == []


async def test_group_loader_batches_and_defaults_to_empty() -> None:
    backend = Backend()
    loader: GroupLoader[str, int] = GroupLoader(backend.lines)
    values = await asyncio.gather(loader.load("o1"), loader.load("none"), loader.load("o2"))
    assert list(values) == [[1, 2], [], [1, 2]]
    assert backend.batches == [["o1", "none", "o2"]]
    assert await loader.load_many(["o1", "none"]) == [[1, 2], []]


def test_a_loader_can_be_built_outside_the_event_loop() -> None:
    # Subgraphs build loaders in their context getter; nothing may need a loop until a load.
    backend = Backend()
    loader = Loader(backend.names)
    assert asyncio.run(loader.load("a")) == "A"


async def test_clear_forgets_loaded_values() -> None:
    backend = Backend()
    loader = Loader(backend.names)
    groups: GroupLoader[str, int] = GroupLoader(backend.lines)
    loader.clear()  # nothing loaded yet: nothing to forget
    await loader.load("a")
    await groups.load("o1")
    loader.clear()
    groups.clear()
    await loader.load("a")
    await groups.load("o1")
    assert backend.batches == [["a"], ["o1"], ["a"], ["o1"]]


@dataclass(frozen=True)
class Line:
    id: str
    order_id: str | None


class Records:
    """A bulk call that answers records (not a mapping), in an order of its own."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def lines(self, ids: list[str]) -> list[Line]:
        self.batches.append(ids)
        return [Line(i, f"o{i[-1]}") for i in reversed(ids) if i != "gone"]

    async def lines_of_orders(self, order_ids: list[str]) -> list[Line]:
        self.batches.append(order_ids)
        found = [Line(f"{o}-{n}", o) for o in order_ids for n in (1, 2) if o != "o0"]
        return [*found, Line("loose", None)]


async def test_of_records_matches_records_to_keys() -> None:
    records = Records()
    loader = Loader.of_records(records.lines, lambda line: line.id)
    found = await asyncio.gather(loader.load("l1"), loader.load("gone"), loader.load("l2"))
    assert list(found) == [Line("l1", "o1"), None, Line("l2", "o2")]
    assert records.batches == [["l1", "gone", "l2"]]


async def test_group_loader_of_records_groups_by_parent() -> None:
    records = Records()
    loader = GroupLoader.of_records(records.lines_of_orders, lambda line: line.order_id)
    found = await asyncio.gather(loader.load("o1"), loader.load("o0"))
    assert list(found) == [[Line("o1-1", "o1"), Line("o1-2", "o1")], []]
    assert records.batches == [["o1", "o0"]]


def test_keyed_and_grouped() -> None:
    lines = [Line("a", "o1"), Line("b", None), Line("c", "o1"), Line("a", "o2")]
    assert keyed(lines, lambda line: line.id) == {
        "a": Line("a", "o2"),
        "b": Line("b", None),
        "c": Line("c", "o1"),
    }
    assert grouped(lines, lambda line: line.order_id) == {
        "o1": [Line("a", "o1"), Line("c", "o1")],
        "o2": [Line("a", "o2")],
    }


async def test_reference_loader_reads_through_the_cache() -> None:
    fetched: list[list[str]] = []

    async def fetch(ids: list[str]) -> dict[str, JSON]:
        fetched.append(ids)
        return {i: {"name": i.upper()} for i in ids if i != "nope"}

    def parse(data: JSON) -> str:
        assert isinstance(data, dict)
        return str(data["name"])

    cache = ReferenceCache(MemoryCache(), namespace="test", ttl_seconds=60)
    first = reference_loader(cache, fetch, parse)
    assert list(await asyncio.gather(first.load("a"), first.load("nope"))) == ["A", None]
    # A later request's loader finds "a" in the cache; only the unknown id is asked again.
    second = reference_loader(cache, fetch, parse)
    assert await second.load_many(["a", "b", "nope"]) == ["A", "B", None]
    assert fetched == [["a", "nope"], ["b", "nope"]]


async def test_load_as_converts_what_was_found() -> None:
    loader = Loader(Backend().names)
    assert await loader.load_as("a", len) == 1
    assert await loader.load_as("missing", len) is None


async def test_only_asks_for_the_allowed_keys_and_answers_none_for_the_rest() -> None:
    backend = Backend()
    loader = Loader(backend.names).only(lambda key: key != "b")
    assert await loader.load_many(["a", "b", "c"]) == ["A", None, "C"]
    assert backend.batches == [["a", "c"]]
    nothing = Loader(backend.names).only(lambda key: False)
    assert await nothing.load("a") is None
    assert backend.batches == [["a", "c"]]  # no call at all


async def test_a_group_loaders_only_answers_empty_lists_for_the_rest() -> None:
    backend = Backend()
    loader = GroupLoader(backend.lines).only(lambda key: key == "a")
    assert await loader.load_many(["a", "b"]) == [[1, 2], []]
    assert backend.batches == [["a"]]
