"""``MilestoneConsumers``: the consumers of the milestone stream, run together over one bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from cache.base import Cache
from cache.factory import CacheSettings, create_cache_for
from connectors.http import SystemClient
from connectors.settings import ConnectorSettings, system_client
from consumers.crm import CRM_GROUP, CrmActivity
from consumers.erp import ERP_GROUP, ErpInvoicing
from consumers.returns import RETURNS_GROUP, ReturnCredits
from events.base import EventBus
from events.consumer import Consumer
from events.idempotency import SeenEvents, idempotent
from schema.events import MILESTONE_STREAM

__all__ = ["ConsumerSettings", "MilestoneConsumers"]


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    """Where the consumers find the systems, and the cache that records the events seen."""

    connectors: ConnectorSettings
    cache: CacheSettings = field(default_factory=CacheSettings)


class MilestoneConsumers:
    """Every consumer of ``stream`` on ``bus``, started on entry and stopped on exit.

    The consumers own their system clients and the cache of seen event ids; the bus is the
    caller's (it is shared with the webhook intake that publishes to it). ``consumer_options``
    go to each ``Consumer`` (timings, attempts, a name).
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        erp: SystemClient,
        wms: SystemClient,
        cache: Cache,
        crm: SystemClient | None = None,
        stream: str = MILESTONE_STREAM,
        **consumer_options: Any,
    ) -> None:
        self._clients: tuple[SystemClient, ...] = (erp, wms) if crm is None else (erp, wms, crm)
        self._cache = cache
        erp_handler = idempotent(ErpInvoicing(erp, wms), SeenEvents(cache, ERP_GROUP))
        self.consumers = [Consumer(bus, stream, ERP_GROUP, erp_handler, **consumer_options)]
        returns_handler = idempotent(ReturnCredits(erp, wms), SeenEvents(cache, RETURNS_GROUP))
        self.consumers.append(
            Consumer(bus, stream, RETURNS_GROUP, returns_handler, **consumer_options)
        )
        if crm is not None:  # the CRM's consumer needs the CRM (the ERP-only tests leave it out)
            crm_handler = idempotent(CrmActivity(crm, erp), SeenEvents(cache, CRM_GROUP))
            self.consumers.append(Consumer(bus, stream, CRM_GROUP, crm_handler, **consumer_options))

    @classmethod
    def from_settings(cls, bus: EventBus, settings: ConsumerSettings) -> MilestoneConsumers:
        """The consumers as ``settings`` configure the systems and the cache."""
        return cls(
            bus,
            erp=system_client("erp", settings.connectors),
            wms=system_client("wms", settings.connectors),
            crm=system_client("crm", settings.connectors),
            cache=create_cache_for(settings.cache),
        )

    async def __aenter__(self) -> MilestoneConsumers:
        started: list[Consumer] = []
        try:
            for consumer in self.consumers:
                await consumer.__aenter__()
                started.append(consumer)
        except BaseException:
            # The bus cannot be reached (Redis down): stop what started, release the rest.
            for consumer in started:
                await consumer.__aexit__(None, None, None)
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Let each consumer finish the batch in hand, then close the clients and the cache."""
        try:
            for consumer in self.consumers:
                await consumer.__aexit__(exc_type, exc, tb)
        finally:
            await self._close()

    async def _close(self) -> None:
        for client in self._clients:
            await client.aclose()
        await self._cache.aclose()
