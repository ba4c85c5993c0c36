"""``ReferenceCache``: read-through caching of reference data for the subgraphs' dataloaders."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import orjson

from cache.base import JSON, Cache, CacheUnavailable, ttl_milliseconds

__all__ = ["Loader", "ReferenceCache"]

logger = logging.getLogger(__name__)

Loader = Callable[[list[str]], Awaitable[Mapping[str, JSON]]]
"""Fetches the records of the given ids from their system; ids it does not know are left out."""


class ReferenceCache:
    """Products, accounts, distribution centers or price lists, cached by id for ``ttl_seconds``.

    Records live under ``ref:<namespace>:<id>`` as JSON. The cache is an optimisation only: if
    it is unavailable, or holds an entry that does not parse, the records are loaded instead.
    Ids the loader does not return are not cached, so a record created later is found.
    """

    def __init__(self, cache: Cache, *, namespace: str, ttl_seconds: float) -> None:
        ttl_milliseconds(ttl_seconds)  # fail at start-up, not on the first miss
        self._cache = cache
        self._namespace = namespace
        self._prefix = f"ref:{namespace}:"
        self._ttl_seconds = ttl_seconds

    @property
    def namespace(self) -> str:
        return self._namespace

    async def get_many(self, keys: Sequence[str], load: Loader) -> dict[str, JSON]:
        """The records of ``keys`` that exist, in the order asked: one cache round trip, then
        one ``load`` call with every miss."""
        ids = list(dict.fromkeys(keys))
        if not ids:
            return {}
        found = await self._read(ids)
        missing = [id_ for id_ in ids if id_ not in found]
        if missing:
            loaded = await load(missing)
            fresh = {id_: loaded[id_] for id_ in missing if id_ in loaded}
            if fresh:
                await self._write(fresh)
            found.update(fresh)
        return {id_: found[id_] for id_ in ids if id_ in found}

    async def invalidate(self, *keys: str) -> None:
        """Forget ``keys`` so the next read loads them again.

        Unlike reads, this lets ``CacheUnavailable`` propagate: an event consumer that cannot
        invalidate should retry the event rather than acknowledge it and serve stale data.
        """
        if keys:
            await self._cache.delete(*(self._prefix + key for key in keys))

    async def _read(self, ids: list[str]) -> dict[str, JSON]:
        try:
            raw = await self._cache.get_many([self._prefix + id_ for id_ in ids])
        except CacheUnavailable as exc:
            logger.warning(
                "reference cache unavailable, loading instead",
                extra={"namespace": self._namespace, "error": str(exc)},
            )
            return {}
        found: dict[str, JSON] = {}
        for id_, value in zip(ids, raw, strict=True):
            if value is None:
                continue
            try:
                found[id_] = orjson.loads(value)
            except orjson.JSONDecodeError:
                logger.warning(
                    "reference cache entry is not JSON, loading instead",
                    extra={"namespace": self._namespace, "id": id_},
                )
        return found

    async def _write(self, records: Mapping[str, JSON]) -> None:
        items = {self._prefix + id_: orjson.dumps(record) for id_, record in records.items()}
        try:
            await self._cache.set_many(items, ttl_seconds=self._ttl_seconds)
        except CacheUnavailable as exc:
            logger.warning(
                "reference cache unavailable, records not stored",
                extra={"namespace": self._namespace, "error": str(exc)},
            )
