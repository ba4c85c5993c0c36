"""Typed batching loaders over aiodataloader: every load of one tick becomes one bulk call.

Build them per request (in the context getter), so nothing is cached across requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from aiodataloader import DataLoader

__all__ = ["GroupLoader", "Loader"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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

    async def _groups(self, keys: list[K]) -> Mapping[K, list[V]]:
        return await self._fetch(keys)

    async def load(self, key: K) -> list[V]:
        return (await self._loader.load(key)) or []

    async def load_many(self, keys: Iterable[K]) -> list[list[V]]:
        return [values or [] for values in await self._loader.load_many(keys)]

    def clear(self) -> None:
        """Forget every loaded list."""
        self._loader.clear()
