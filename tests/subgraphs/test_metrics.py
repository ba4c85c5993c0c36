"""``/metrics`` of the subgraphs: each request timed by route, each call to a system by system
and URL template, and on the wms subgraph where every consumer group of its bus stands."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from crossdock.settings import Settings
from events import RedisStreamBus
from events.factory import BusSettings
from subgraphs.apps import create_subgraph_app
from systems.world_records import World
from tests.support.graphql import data
from tests.support.metrics import scrape
from tests.support.redis import redis_prefix, redis_url
from tests.support.servers import serve

__all__ = ["redis_prefix", "redis_url"]  # the fixtures this module uses

CALLS = "http_client_request_duration_seconds_count"


def test_a_query_times_its_calls_to_the_system(
    erp_graph: httpx.Client, erp_subgraph_url: str, world: World
) -> None:
    before = scrape(erp_subgraph_url)
    order = world.orders[0]
    answer = data(erp_graph, "query($id: ID!) { order(id: $id) { number } }", {"id": order.id})
    assert answer == {"order": {"number": order.number}}
    after = scrape(erp_subgraph_url)
    assert after.types["http_client_request_duration_seconds"] == "histogram"
    assert after.value(CALLS, system="erp") > before.value(CALLS, system="erp")
    # One series per kind of call, never per record.
    templates = after.label_values(CALLS, "url_template")
    assert templates and not any(order.id in template for template in templates)
    assert after.value(CALLS, system="erp", http_response_status_code="200") > 0
    http = "http_server_request_duration_seconds_count"
    route = {"http_request_method": "POST", "http_route": "/graphql"}
    assert after.value(http, **route) == before.value(http, **route) + 1


def test_a_system_that_fails_is_timed_without_a_status(
    erp_graph: httpx.Client, erp_subgraph_url: str, erp_faults, world: World
) -> None:
    erp_faults(error_rate=1.0)
    before = scrape(erp_subgraph_url).value(CALLS, system="erp", http_response_status_code="")
    order = world.orders[1]
    erp_graph.post("/graphql", json={"query": f'{{ order(id: "{order.id}") {{ number }} }}'})
    after = scrape(erp_subgraph_url).value(CALLS, system="erp", http_response_status_code="")
    assert after > before


@pytest.fixture
def wms_on_redis(settings: Settings, redis_url: str, redis_prefix: str) -> Iterator[str]:
    bus = BusSettings(redis_url=redis_url, prefix=redis_prefix)
    subgraphs = dataclasses.replace(settings.subgraphs, bus=bus)
    with serve(create_subgraph_app("wms", subgraphs)) as url:
        yield url


def test_consumer_lag_per_stream_and_group(
    wms_on_redis: str, redis_url: str, redis_prefix: str
) -> None:
    """Published and not consumed: the group lags by all of it; read and not acknowledged:
    pending."""

    async def publish_then(read: int) -> None:
        bus = RedisStreamBus(redis_url, prefix=redis_prefix)
        try:
            if read == 0:
                await bus.ensure_group("orders.test", "slow-reader")
                for n in range(3):
                    await bus.publish("orders.test", f"event-{n}", b"{}")
            else:
                await bus.read("orders.test", "slow-reader", "reader-1", count=read)
        finally:
            await bus.aclose()

    asyncio.run(publish_then(read=0))
    samples = scrape(wms_on_redis)
    where = {"stream": "orders.test", "group": "slow-reader"}
    assert samples.types["crossdock_stream_group_lag"] == "gauge"
    assert samples.value("crossdock_stream_group_lag", **where) == 3
    assert samples.value("crossdock_stream_group_pending", **where) == 0
    asyncio.run(publish_then(read=1))
    samples = scrape(wms_on_redis)
    assert samples.value("crossdock_stream_group_lag", **where) == 2
    assert samples.value("crossdock_stream_group_pending", **where) == 1
    assert samples.value("crossdock_stream_length", stream="orders.test") == 3
