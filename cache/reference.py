"""``ReferenceCache``: read-through caching of reference data for the subgraphs' dataloaders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import orjson

from cache.base import JSON, Cache, CacheUnavailable, ttl_milliseconds

__all__ = ["Loader", "ReferenceCache"]

logger = logging.getLogger(__name__)

Loader = Callable[[list[str]], Awaitable[Mapping[str, JSON]]]
"""Fetches the records of the given ids from their system; ids it does not know are left out."""

# What a load in flight settles an id it does not know with.
_ABSENT = object()


def _retrieve(future: asyncio.Future[object]) -> None:
    """Read a settled load's outcome, so a failure nobody waited for is not logged as lost."""
    if not future.cancelled():
        future.exception()


class ReferenceCache:
    """Products, accounts, distribution centers or price lists, cached by id for ``ttl_seconds``.

    Records live under ``ref:<namespace>:<id>`` as JSON. The cache is an optimisation only: if
    it is unavailable, or holds an entry that does not parse, the records are loaded instead.
    Ids the loader does not return are not cached, so a record created later is found.

    Concurrent misses of one id are loaded once: a read that misses ids another read is
    loading waits for that load instead of calling its own (a product page opened by many
    at once costs its system one call per product, not one per reader).
    """

    def __init__(self, cache: Cache, *, namespace: str, ttl_seconds: float) -> None:
        ttl_milliseconds(ttl_seconds)  # fail at start-up, not on the first miss
        self._cache = cache
        self._namespace = namespace
        self._prefix = f"ref:{namespace}:"
        self._ttl_seconds = ttl_seconds
        # The ids being loaded now, each settled with its record (or _ABSENT) when it lands.
        self._loading: dict[str, asyncio.Future[object]] = {}

    @property
    def namespace(self) -> str:
        return self._namespace

    async def get_many(self, keys: Sequence[str], load: Loader) -> dict[str, JSON]:
        """The records of ``keys`` that exist, in the order asked: one cache round trip, then
        one ``load`` call with every miss that no other read is loading already."""
        ids = list(dict.fromkeys(keys))
        if not ids:
            return {}
        found = await self._read(ids)
        missing = [id_ for id_ in ids if id_ not in found]
        if missing:
            found.update(await self._load_once(missing, load))
        return {id_: found[id_] for id_ in ids if id_ in found}

    async def _load_once(self, ids: list[str], load: Loader) -> dict[str, JSON]:
        """The records of ``ids``: loaded here, or awaited from the read loading them now.

        A failed load fails its waiters with the same error (a system that is down is asked
        once, not once per reader); a load whose reader was cancelled leaves its waiters to
        load for themselves.
        """
        loop = asyncio.get_running_loop()
        elsewhere = {id_: self._loading[id_] for id_ in ids if id_ in self._loading}
        mine = {id_: loop.create_future() for id_ in ids if id_ not in elsewhere}
        self._loading.update(mine)
        out: dict[str, JSON] = {}
        try:
            if mine:
                loaded = await load(list(mine))
                fresh = {id_: loaded[id_] for id_ in mine if id_ in loaded}
                if fresh:
                    await self._write(fresh)
                out.update(fresh)
                for id_, future in mine.items():
                    future.set_result(fresh.get(id_, _ABSENT))
        except Exception as error:
            for future in mine.values():
                if not future.done():
                    future.set_exception(error)
                    future.add_done_callback(_retrieve)
            raise
        finally:
            for id_, future in mine.items():
                if not future.done():
                    future.cancel()  # this read was cancelled: its waiters load themselves
                if self._loading.get(id_) is future:
                    del self._loading[id_]
        again: list[str] = []
        for id_, future in elsewhere.items():
            try:
                record = await asyncio.shield(future)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not future.cancelled() or (task is not None and task.cancelling()):
                    raise
                again.append(id_)
                continue
            if record is not _ABSENT:
                out[id_] = record  # type: ignore[assignment]
        if again:
            out.update(await self._load_once(again, load))
        return out

    async def store(self, records: Mapping[str, JSON]) -> None:
        """Cache ``records`` (fresh from their system) as a load would; never raises for an
        unavailable cache. For a loader that fetches more than it was asked: it must not read
        through this cache, whose ids it is loading (that read would wait on itself)."""
        if records:
            await self._write(records)

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
