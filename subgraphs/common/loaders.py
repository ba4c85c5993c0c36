"""Typed batching loaders over aiodataloader: every load of one tick becomes one bulk call.

Build them per request (in the context getter), so nothing is cached across requests. Most
loaders are one of three kinds, each with a constructor: records by their id from a bulk call
(``Loader.of_records``), lists of records grouped by a parent id (``GroupLoader.of_records``),
and reference data read through a ``ReferenceCache`` first (``reference_loader``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from aiodataloader import DataLoader

from cache.base import JSON
from cache.reference import ReferenceCache

__all__ = ["GroupLoader", "Loader", "grouped", "keyed", "reference_loader"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")
T = TypeVar("T")
G = TypeVar("G", bound=Hashable)


class Loader(Generic[K, V]):
    """Load values by key; keys that ``load_many`` leaves out resolve to ``None``.

    An exception from ``load_many`` reaches every ``load`` of that batch.
    """

    def __init__(
        self,
        load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        *,
        max_batch_size: int = 100,
    ) -> None:
        self._fetch = load_many
        self.max_batch_size = max_batch_size
        self._loader: DataLoader[K, V | None] | None = None

    @classmethod
    def of_records(
        cls, fetch: Callable[[list[K]], Awaitable[Iterable[V]]], key: Callable[[V], K]
    ) -> Loader[K, V]:
        """Records by id from ``fetch``, a bulk call that answers them in any order."""

        async def load_many(keys: list[K]) -> Mapping[K, V]:
            return keyed(await fetch(keys), key)

        return cls(load_many)

    def _dataloader(self) -> DataLoader[K, V | None]:
        # aiodataloader binds to a loop when built; build it inside the running one.
        if self._loader is None:
            self._loader = DataLoader(
                self._batch,
                max_batch_size=self.max_batch_size,
                loop=asyncio.get_running_loop(),
            )
        return self._loader

    async def _batch(self, keys: list[K]) -> list[V | None]:
        found = await self._fetch(keys)
        return [found.get(key) for key in keys]

    async def load(self, key: K) -> V | None:
        value: V | None = await self._dataloader().load(key)
        return value

    async def load_many(self, keys: Iterable[K]) -> list[V | None]:
        values: list[V | None] = await self._dataloader().load_many(list(keys))
        return values

    async def load_as(self, key: K, convert: Callable[[V], T]) -> T | None:
        """The value of ``key`` through ``convert`` (a record to its GraphQL type, say), or
        ``None`` if there is none."""
        value = await self.load(key)
        return None if value is None else convert(value)

    def only(self, allowed: Callable[[K], bool]) -> Loader[K, V]:
        """This loader's fetch as a new loader that answers ``None`` for a key not
        ``allowed``, without asking for it (an account the caller may not see, say)."""
        fetch = self._fetch

        async def load_allowed(keys: list[K]) -> Mapping[K, V]:
            wanted = [key for key in keys if allowed(key)]
            return await fetch(wanted) if wanted else {}

        return Loader(load_allowed, max_batch_size=self.max_batch_size)

    def prime(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key`` (e.g. one fetched by a list query) to spare a load."""
        self._dataloader().prime(key, value)

    def clear(self) -> None:
        """Forget every loaded value (a long-lived context, e.g. a subscription, between events)."""
        if self._loader is not None:
            self._loader.clear_all()


class GroupLoader(Generic[K, V]):
    """Load lists of values by key (e.g. the lines of orders); missing keys give ``[]``."""

    def __init__(
        self,
        load_many: Callable[[list[K]], Awaitable[Mapping[K, list[V]]]],
        *,
        max_batch_size: int = 100,
    ) -> None:
        self._fetch = load_many
        self._loader: Loader[K, list[V]] = Loader(self._groups, max_batch_size=max_batch_size)

    @classmethod
    def of_records(
        cls, fetch: Callable[[list[K]], Awaitable[Iterable[V]]], group: Callable[[V], K | None]
    ) -> GroupLoader[K, V]:
        """Lists of records by parent id from ``fetch``, a bulk call over the parents' ids;
        ``group`` tells a record's parent."""

        async def load_many(keys: list[K]) -> Mapping[K, list[V]]:
            return grouped(await fetch(keys), group)

        return cls(load_many)

    def only(self, allowed: Callable[[K], bool]) -> GroupLoader[K, V]:
        """This loader's fetch as a new loader that answers ``[]`` for a key not ``allowed``,
        without asking for it."""
        fetch = self._fetch

        async def load_allowed(keys: list[K]) -> Mapping[K, list[V]]:
            wanted = [key for key in keys if allowed(key)]
            return await fetch(wanted) if wanted else {}

        return GroupLoader(load_allowed, max_batch_size=self._loader.max_batch_size)

    async def _groups(self, keys: list[K]) -> Mapping[K, list[V]]:
        return await self._fetch(keys)

    async def load(self, key: K) -> list[V]:
        return (await self._loader.load(key)) or []

    async def load_many(self, keys: Iterable[K]) -> list[list[V]]:
        return [values or [] for values in await self._loader.load_many(keys)]

    def clear(self) -> None:
        """Forget every loaded list."""
        self._loader.clear()


def reference_loader(
    cache: ReferenceCache,
    fetch: Callable[[list[str]], Awaitable[Mapping[str, JSON]]],
    parse: Callable[[JSON], V],
) -> Loader[str, V]:
    """Reference data by id: from ``cache``, else from ``fetch`` (raw records by id, which the
    cache then keeps), each parsed by ``parse``."""

    async def load_many(keys: list[str]) -> Mapping[str, V]:
        found = await cache.get_many(keys, fetch)
        return {key: parse(data) for key, data in found.items()}

    return Loader(load_many)


def keyed(records: Iterable[R], key: Callable[[R], G]) -> dict[G, R]:
    """``records`` by ``key`` (the last one wins)."""
    return {key(record): record for record in records}


def grouped(records: Iterable[R], key: Callable[[R], G | None]) -> dict[G, list[R]]:
    """``records`` in lists by ``key``, in their order; records whose key is None are left out."""
    groups: dict[G, list[R]] = defaultdict(list)
    for record in records:
        group = key(record)
        if group is not None:
            groups[group].append(record)
    return groups
