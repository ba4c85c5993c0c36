"""``MilestoneConsumers`` beside the wms subgraph's webhook intake, as ``crossdock up`` runs
them, over Redis Streams: one bus for both, a webhook delivered twice invoiced once."""

from __future__ import annotations

import httpx

from cache import RedisCache
from connectors.settings import system_client
from consumers import ERP_GROUP, MilestoneConsumers
from crossdock.stack import run_consumers_beside
from events import RedisStreamBus
from subgraphs.wms.app import create_app as create_wms_subgraph_app
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from tests.consumers.conftest import Systems
from tests.events.harness import FAST
from tests.support.servers import serve
from tests.support.waiting import wait_until


def test_the_intake_and_the_consumers_share_one_redis_bus(
    systems: Systems, redis_url: str, redis_prefix: str
) -> None:
    settings = systems.settings.model_copy(
        update={"redis_url": redis_url, "cache_prefix": redis_prefix}
    )
    bus = RedisStreamBus(redis_url, prefix=redis_prefix)
    app = create_wms_subgraph_app(settings.subgraphs, bus=bus)
    consumers = MilestoneConsumers(
        bus,
        erp=system_client("erp", settings.connectors),
        wms=system_client("wms", settings.connectors),
        cache=RedisCache(redis_url, prefix=redis_prefix),
        **FAST,
    )
    run_consumers_beside(app, consumers, bus)
    order = systems.release("runtime-redis")
    secret = settings.wms_lifecycle.webhook_secret
    with serve(app) as url:
        for body in systems.advance(order, "SHIPPED"):
            content = httpx.Request("POST", "/", json=body).content
            for _ in range(2):
                answer = httpx.post(
                    f"{url}/webhooks/wms",
                    content=content,
                    headers={SIGNATURE_HEADER: signature_header(secret, content)},
                    timeout=10,
                )
                assert answer.status_code in (200, 202), answer.text
        wait_until(lambda: len(systems.invoices(order.order_id)) >= 1, what="the invoice")
        [consumer] = [c for c in consumers.consumers if c.group == ERP_GROUP]
        wait_until(lambda: consumer.stats.handled == 4, what="each milestone handled once")
    [invoice] = systems.invoices(order.order_id)
    assert invoice["item"]["items"][0]["quantity"] == order.units
