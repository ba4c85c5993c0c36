"""Loader and GroupLoader: one bulk call per tick, missing keys, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from subgraphs.common import GroupLoader, Loader


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
