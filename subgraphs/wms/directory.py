"""``CenterDirectory``: the distribution centers, read through the shared reference cache.

Centers are few and change rarely, so a cache miss loads the whole directory in one WMS call
and caches every center: whatever a request asks for next, in whatever batch, the cache has it.
Misses that come while a load is under way wait for it rather than start another.
An event about a center invalidates its code in ``CENTER_NAMESPACE`` and ``ALL`` in
``CENTER_LIST_NAMESPACE``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cache.base import JSON, Cache
from cache.reference import ReferenceCache
from connectors.wms.client import WmsClient
from connectors.wms.records import FacilityRecord
from connectors.wms.vendor import FacilityPayload, parse_record

__all__ = ["ALL", "CENTER_LIST_NAMESPACE", "CENTER_NAMESPACE", "CenterDirectory"]

CENTER_NAMESPACE = "distribution-center"
CENTER_LIST_NAMESPACE = "distribution-center-list"
ALL = "all"  # the one key of the list namespace: every center's code


def _record(data: JSON) -> FacilityRecord:
    return parse_record(FacilityPayload, data).record()


def _codes_of(directory: dict[str, JSON]) -> list[JSON]:
    codes: list[JSON] = []
    codes.extend(sorted(directory))
    return codes


class CenterDirectory:
    """Distribution centers by code, and the list of them; one per app, shared by requests."""

    def __init__(self, client: WmsClient, cache: Cache, *, ttl_seconds: float) -> None:
        self._client = client
        self._by_id = ReferenceCache(cache, namespace=CENTER_NAMESPACE, ttl_seconds=ttl_seconds)
        self._codes = ReferenceCache(
            cache, namespace=CENTER_LIST_NAMESPACE, ttl_seconds=ttl_seconds
        )
        self._loading: asyncio.Future[dict[str, JSON]] | None = None

    async def get_many(self, codes: Sequence[str]) -> dict[str, FacilityRecord]:
        """The centers of ``codes`` that exist; unknown codes are left out."""
        found = await self._by_id.get_many(codes, self._load_directory)
        return {code: _record(data) for code, data in found.items()}

    async def every(self) -> list[FacilityRecord]:
        """Every center, in code order."""

        async def load(_: list[str]) -> dict[str, JSON]:
            return {ALL: _codes_of(await self._load_directory([]))}

        listed = (await self._codes.get_many([ALL], load)).get(ALL)
        codes = (
            [code for code in listed if isinstance(code, str)] if isinstance(listed, list) else []
        )
        found = await self.get_many(codes)
        return [found[code] for code in codes if code in found]

    async def _load_directory(self, _: list[str]) -> dict[str, JSON]:
        """Every center from the WMS, all cached: by code, and the list of codes."""
        if self._loading is None:
            loading = asyncio.ensure_future(self._fetch_directory())
            self._loading = loading
            loading.add_done_callback(self._loaded)
        # Shielded: a request that gives up must not cancel the load others wait for.
        return await asyncio.shield(self._loading)

    def _loaded(self, loading: asyncio.Future[dict[str, JSON]]) -> None:
        if self._loading is loading:
            self._loading = None
        if not loading.cancelled():
            loading.exception()  # retrieved: waiters that gave up leave no warning

    async def _fetch_directory(self) -> dict[str, JSON]:
        directory = await self._client.facility_directory()
        # Stored, not read through: the reads that called this are loading these very keys.
        await self._by_id.store(directory)
        await self._codes.store({ALL: _codes_of(directory)})
        return directory
