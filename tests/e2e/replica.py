"""A replica of the ERP's or the CRM's consumer in a process of its own, to be killed (``kill
-9``) while it holds entries: ``python -m tests.e2e.replica NAME [erp|crm]``, configured by the
environment as any service is (``REDIS_URL``, ``CROSSDOCK_ERP_URL``, ``CROSSDOCK_CRM_URL``,
``CROSSDOCK_WMS_URL``, the dataset's prefix).

It is that group's handler (``erp`` unless told), idempotent by event id on the same record as
the stack's consumers, with a short lease (a dead replica's lease runs out quickly, so the
entry it held is taken up within the test's time) and a reclaim idle time long enough never to
take entries from the others. It prints ``ready`` once it reads, and ``handling ENTRY EVENT``
as each handler starts.
"""

from __future__ import annotations

import asyncio
import sys

from cache.factory import create_cache
from connectors.settings import system_client
from consumers import CRM_GROUP, ERP_GROUP, CrmActivity, ErpInvoicing
from crossdock.settings import Settings
from events.base import Delivery
from events.consumer import Consumer
from events.factory import create_event_bus_for
from events.idempotency import SeenEvents, idempotent
from schema.events import MILESTONE_STREAM

LEASE_SECONDS = 3.0


async def run(name: str, group: str) -> None:
    settings = Settings()
    bus = create_event_bus_for(settings.bus)
    erp, wms = system_client("erp", settings.connectors), system_client("wms", settings.connectors)
    cache = create_cache(settings.redis_url, prefix=settings.reference_cache_prefix)
    record = SeenEvents(cache, group, lease_seconds=LEASE_SECONDS)
    if group == ERP_GROUP:
        handler = idempotent(ErpInvoicing(erp, wms), record)
    elif group == CRM_GROUP:
        handler = idempotent(CrmActivity(system_client("crm", settings.connectors), erp), record)
    else:
        raise SystemExit(f"no such group: {group}")

    async def announced(delivery: Delivery) -> None:
        print(f"handling {delivery.id} {delivery.event_id}", flush=True)
        await handler(delivery)

    consumer = Consumer(
        bus, MILESTONE_STREAM, group, announced, name=name, reclaim_idle_seconds=3600.0
    )
    async with consumer:
        print("ready", flush=True)
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ERP_GROUP))
