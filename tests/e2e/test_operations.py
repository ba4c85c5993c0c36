"""Business activity monitoring through the gateway (docs/operations.md), on a stack of its own
whose RELEASED stage is stuck after 3 seconds: orders driven from submission to invoice give
cycle times, a credit hold counts as fallout, a redelivered milestone counts once, another wms
subgraph app over the same store reads the same figures, an order left in RELEASED turns up
in ``ordersAtRisk`` and in the subscription's ``added`` list (and leaves it once it moves), a
return gives the return cycle times, and the ERP's books and the WMS's shelves differ where an
invoice failed or a return was restocked."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from crossdock.settings import Settings, WmsLifecycle
from events.factory import create_event_bus_for
from monitoring import MONITORING_GROUP, MonitoringSettings, StageMinutes
from schema.events import MILESTONE_STREAM
from subgraphs.wms.app import create_app as create_wms_subgraph_app
from tests.e2e.orders import SUBMIT, Accounts, Placed, place_order
from tests.e2e.streams import (
    MILESTONES_BY_ORDER,
    PROTOCOL,
    WsSubscription,
    _ws_url,
    ws_subscription,
)
from tests.e2e.test_returns import delivered_and_authorized, wait_credited
from tests.e2e.world import E2E_SECRET, E2EWorld, running_e2e_world
from tests.orchestration.conftest import copy_world
from tests.orchestration.picks import Picker, line, order_input
from tests.support.redis import unique_prefix
from tests.support.servers import serve
from tests.support.waiting import wait_until

STUCK_AFTER_SECONDS = 3.0

POLICY = MonitoringSettings(
    stuck_after_minutes=StageMinutes(released=STUCK_AFTER_SECONDS / 60),
    # Every stage expected to take a moment: no promise is at risk, only stuck-ness.
    expected_minutes=StageMinutes(**dict.fromkeys(StageMinutes.model_fields, 0.001)),
    at_risk_interval_seconds=0.2,
    inventory_cache_seconds=0.1,
)

FIGURES = """
{
  operations(windowHours: 1) {
    windowStart windowEnd
    cycleTimes { stage distributionCenterId count p50Seconds p90Seconds }
    fallout { kind reason count rate }
  }
}
"""

INVENTORY = """
{ operations { inventoryDiscrepancies(first: 1000) {
  sku distributionCenterId erpBooked wmsOnHand difference
} } }
"""

AT_RISK = """
{ operations { ordersAtRisk { orderId order { id number } stage since reason detail } } }
"""

CHANGES = """
subscription {
  ordersAtRiskChanged {
    added { orderId order { number } stage reason since }
    removedOrderIds
    atRisk { orderId }
  }
}
"""


@pytest.fixture(scope="module")
def ops(
    base_settings: Settings, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[E2EWorld]:
    with unique_prefix(redis_url) as prefix:
        settings = base_settings.model_copy(
            update={
                "redis_url": redis_url,
                "cache_prefix": prefix,
                "events_prefix": None,
                "system_timeout_seconds": 30.0,
                "monitoring": POLICY,
                "wms_lifecycle": WmsLifecycle(
                    webhook_secret=E2E_SECRET,
                    retry_base_seconds=0.2,
                    retry_max_seconds=1.0,
                    max_attempts=100,
                ),
            }
        )
        settings = copy_world(settings, tmp_path_factory.mktemp("ops-world"))
        with running_e2e_world(settings, tmp_path_factory.mktemp("ops-gateway")) as world:
            yield world


def figures(answer: dict[str, Any]) -> dict[str, Any]:
    ops = answer["operations"]
    return {
        "cycles": {(c["stage"], c["distributionCenterId"]): c for c in ops["cycleTimes"]},
        "fallout": {(f["kind"], f["reason"]): f for f in ops["fallout"]},
    }


def count(found: dict[str, Any], stage: str, center: str | None = None) -> int:
    row = found["cycles"].get((stage, center))
    return 0 if row is None else int(row["count"])


def fallout(found: dict[str, Any], kind: str, reason: str) -> int:
    row = found["fallout"].get((kind, reason))
    return 0 if row is None else int(row["count"])


def test_orders_to_invoice_give_cycle_times_and_a_credit_hold_is_fallout_once(
    ops: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    before = figures(ops.data(FIGURES))
    started = time.monotonic()
    placed = [place_order(ops, picker, accounts.take()) for _ in range(2)]
    for order in placed:
        ops.advance(order.fulfillment_order, "DELIVERED")

    # Every milestone on the stream (the WMS sends its webhooks on its own time, the intake
    # relays them after it answers): eight per order, RELEASED to DELIVERED.
    ids = {order.order_id for order in placed}
    wait_until(
        lambda: len([e for e in ops.entries() if e.event["order_id"] in ids]) >= 16,
        timeout=60,
        what="every milestone on the stream",
    )

    def invoiced() -> bool:
        now = figures(ops.data(FIGURES))
        return count(now, "SHIPPED_TO_INVOICED") == count(before, "SHIPPED_TO_INVOICED") + 2

    wait_until(invoiced, timeout=60, what="both shipments invoiced")
    ops.wait_settled(MONITORING_GROUP)
    elapsed = time.monotonic() - started
    after = figures(ops.data(FIGURES))
    for stage in ("SUBMITTED_TO_RELEASED", "RELEASED_TO_SHIPPED", "SHIPPED_TO_DELIVERED"):
        assert count(after, stage) == count(before, stage) + 2, stage
        assert count(after, stage, "EWR1") == count(before, stage, "EWR1") + 2, stage
        row = after["cycles"][stage, None]
        # The milestones' times are whole seconds (the WMS's occurredAt): a stage that took
        # 0.2 s across a second's boundary measures 1 s.
        assert 0 <= row["p50Seconds"] <= row["p90Seconds"] <= elapsed + 1.0, row

    # A credit hold (and its backorder): an account with the least credit orders far too much.
    held = ops.data(
        SUBMIT,
        {
            "input": order_input(picker.small_account(), line(picker.out_of_stock(), 5000)),
            "key": f"ops-{uuid.uuid4().hex}",
        },
    )["submitOrder"]
    assert held["outcome"] == "ON_HOLD", held
    now = figures(ops.data(FIGURES))
    assert fallout(now, "CREDIT_HOLD", "CREDIT") == fallout(before, "CREDIT_HOLD", "CREDIT") + 1
    assert (
        fallout(now, "BACKORDERED", "SHORTFALL") == fallout(before, "BACKORDERED", "SHORTFALL") + 1
    )
    assert 0 < now["fallout"]["CREDIT_HOLD", "CREDIT"]["rate"] <= 1

    # Every milestone of the first order delivered again: counted once.
    redelivered = [e for e in ops.entries() if e.event["order_id"] == placed[0].order_id]
    assert len(redelivered) == 8
    asyncio.run(_publish_again(ops, redelivered))
    ops.wait_settled(MONITORING_GROUP)
    assert figures(ops.data(FIGURES)) == now

    # Shipped and invoiced: the ERP's books and the WMS's shelves agree on what left.
    listed = ops.data(INVENTORY)["operations"]["inventoryDiscrepancies"]
    assert not [d for d in listed if d["sku"] in {p.sku for p in placed}], listed

    # Another wms subgraph app over the same store (a restart, a replica): the same figures.
    with serve(create_wms_subgraph_app(ops.settings.subgraphs)) as again:
        answer = httpx.post(f"{again}/graphql", json={"query": FIGURES}, timeout=30).json()
    assert "errors" not in answer, answer
    assert figures(answer["data"]) == now


async def _publish_again(ops: E2EWorld, entries: list[Any]) -> None:
    bus = create_event_bus_for(ops.settings.bus)
    try:
        for entry in entries:
            await bus.publish(MILESTONE_STREAM, entry.event["event_id"], orjson.dumps(entry.event))
    finally:
        await bus.aclose()


@asynccontextmanager
async def subscribed(world: E2EWorld, query: str) -> AsyncIterator[WsSubscription]:
    async with connect(_ws_url(world.gateway), subprotocols=[PROTOCOL], open_timeout=10) as ws:
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        message = {"id": "1", "type": "subscribe", "payload": {"query": query}}
        await ws.send(orjson.dumps(message).decode())
        yield WsSubscription(ws, "1")


async def _until(subscription: WsSubscription, test: Any, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        [data] = await subscription.take(1, timeout=max(0.1, deadline - time.monotonic()))
        change: dict[str, Any] = data["ordersAtRiskChanged"]
        if test(change):
            return change


async def test_an_order_left_in_released_is_at_risk_and_in_the_subscriptions_added_list(
    ops: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    async with subscribed(ops, CHANGES) as changes:
        [first] = await changes.take(1)  # the list now
        assert "atRisk" in first["ordersAtRiskChanged"]
        placed: Placed = await asyncio.to_thread(place_order, ops, picker, accounts.take())

        def names_it(change: dict[str, Any]) -> bool:
            return any(a["orderId"] == placed.order_id for a in change["added"])

        change = await _until(changes, names_it)
        [added] = [a for a in change["added"] if a["orderId"] == placed.order_id]
        assert added["order"] == {"number": placed.number}  # the ERP's, through the gateway
        assert (added["stage"], added["reason"]) == ("RELEASED", "STUCK_IN_STAGE")
        assert placed.order_id in [a["orderId"] for a in change["atRisk"]]

        listed = ops.data(AT_RISK)["operations"]["ordersAtRisk"]
        [mine] = [r for r in listed if r["orderId"] == placed.order_id]
        assert mine["order"] == {"id": placed.order_id, "number": placed.number}
        assert mine["since"] == added["since"] and "RELEASED" in mine["detail"]

        await asyncio.to_thread(ops.advance, placed.fulfillment_order, "DELIVERED")
        await _until(changes, lambda c: placed.order_id in c["removedOrderIds"])
    listed = ops.data(AT_RISK)["operations"]["ordersAtRisk"]
    assert placed.order_id not in [r["orderId"] for r in listed]


def test_a_shipment_the_erp_could_not_invoice_is_an_inventory_discrepancy(
    ops: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed = place_order(ops, picker, accounts.take(), quantity=3)
    ops.faults("erp", "POST /invoices", error_rate=1.0)
    try:
        ops.advance(placed.fulfillment_order, "SHIPPED")

        def discrepancy() -> dict[str, Any] | None:
            listed = ops.data(INVENTORY)["operations"]["inventoryDiscrepancies"]
            mine = [
                d for d in listed if (d["sku"], d["distributionCenterId"]) == (placed.sku, "EWR1")
            ]
            return mine[0] if mine else None

        wait_until(lambda: discrepancy() is not None, timeout=30, what="the discrepancy")
        found = discrepancy()
        assert found is not None
        assert found["difference"] == found["wmsOnHand"] - found["erpBooked"] == -3
    finally:
        ops.clear_faults()


def test_a_return_received_at_the_dock_and_credited_gives_the_return_cycle_times(
    ops: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed, ra = delivered_and_authorized(ops, picker, accounts.take())
    before = figures(ops.data(FIGURES))
    receipt = {
        "receipt_id": f"dock-{uuid.uuid4().hex}",
        "rma_ref": ra["id"],
        "facility_id": ra["distributionCenter"]["id"],
        "lines": [{"item_number": placed.sku, "qty_received": 1, "disposition_code": "RESTOCKED"}],
    }
    ops.system("wms", "POST", "/return-receipts", json=receipt)
    wait_credited(ops, placed)
    ops.wait_settled(MONITORING_GROUP)
    after = figures(ops.data(FIGURES))
    for stage in ("RETURN_AUTHORIZED_TO_RECEIVED", "RETURN_RECEIVED_TO_CREDITED"):
        assert count(after, stage) == count(before, stage) + 1, stage
        center = ra["distributionCenter"]["id"]
        assert count(after, stage, center) == count(before, stage, center) + 1, stage
    # Restocked at the WMS, not booked back by the ERP: the books and the shelf differ by one.
    listed = ops.data(INVENTORY)["operations"]["inventoryDiscrepancies"]
    [restocked] = [
        d
        for d in listed
        if (d["sku"], d["distributionCenterId"]) == (placed.sku, ra["distributionCenter"]["id"])
    ]
    assert restocked["difference"] == 1


async def test_a_milestone_handed_to_a_subscriber_is_a_status_latency_sample(
    ops: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    latency = "{ operations { shipmentStatusLatency { count p50Seconds p99Seconds } } }"

    def measured() -> dict[str, Any]:
        found: dict[str, Any] = ops.data(latency)["operations"]["shipmentStatusLatency"]
        return found

    before = await asyncio.to_thread(measured)
    placed = await asyncio.to_thread(place_order, ops, picker, accounts.take())
    variables = {"orderId": placed.order_id}
    async with ws_subscription(ops, MILESTONES_BY_ORDER, variables) as milestones:
        await asyncio.to_thread(ops.advance, placed.fulfillment_order, "PICKED")
        await milestones.take(2)  # PICKING, PICKED
    await asyncio.to_thread(
        wait_until,
        # At least: the world is shared, and a milestone of another test's order may be
        # delivered to its subscriber meanwhile.
        lambda: measured()["count"] >= before["count"] + 2,
        timeout=20,
        what="two latency samples",
    )
    after = await asyncio.to_thread(measured)
    assert 0 <= after["p50Seconds"] <= after["p99Seconds"] < 20


FALLOUT_24H = "{ operations(windowHours: 24) { fallout { kind count } } }"


def _scraped(world: E2EWorld) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The wms subgraph's ``/metrics``: ``{(name, sorted labels): value}``."""
    text = httpx.get(f"{world.wms_subgraph}/metrics", timeout=30).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_business_measures_are_on_the_wms_subgraphs_metrics(
    ops: E2EWorld, picker: Picker
) -> None:
    held = ops.data(
        SUBMIT,
        {
            "input": order_input(picker.small_account(), line(picker.out_of_stock(), 5000)),
            "key": f"ops-{uuid.uuid4().hex}",
        },
    )["submitOrder"]
    assert held["outcome"] == "ON_HOLD", held
    in_the_graph = sum(
        f["count"]
        for f in ops.data(FALLOUT_24H)["operations"]["fallout"]
        if f["kind"] == "CREDIT_HOLD"
    )
    scraped = _scraped(ops)
    key = ("crossdock_order_fallout", (("kind", "CREDIT_HOLD"), ("window", "24h")))
    assert in_the_graph >= 1 and scraped[key] == in_the_graph, scraped
    assert ("crossdock_orders_open", ()) in scraped
    assert ("crossdock_orders_at_risk", ()) in scraped
