"""The ERP's consumer on both buses, over a real ERP and WMS: a shipment invoiced once however
often its event comes, a delivered order completed, nothing lost when a consumer is killed
mid-batch, and a poison event parked in the dead letters until it replays after the fix."""

from __future__ import annotations

import asyncio
from typing import Any

from connectors.settings import system_client
from connectors.wms.webhooks import WmsWebhook, normalize
from consumers import ERP_GROUP, ErpInvoicing
from events import Consumer, Delivery, idempotent
from events.idempotency import SeenEvents
from schema.events import FulfillmentMilestone, MilestoneType
from tests.consumers.conftest import Released, Systems, consumer_of, consumers, publish
from tests.events.harness import FAST, BusSubject
from tests.support.waiting import wait_until_async


def milestones(bodies: list[dict[str, Any]]) -> list[FulfillmentMilestone]:
    """The canonical events of the WMS's webhook bodies, as the intake publishes them."""
    return [normalize(WmsWebhook.model_validate(body)) for body in bodies]


def invoiced(systems: Systems, order: Released) -> list[tuple[str, int]]:
    return [
        (line["item"]["refName"], line["quantity"])
        for invoice in systems.invoices(order.order_id)
        for line in invoice["item"]["items"]
    ]


async def test_a_shipment_is_invoiced_once_even_when_its_event_comes_twice(
    systems: Systems, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"once-{subject.kind}")
    events = milestones(systems.advance(order, "SHIPPED"))
    assert events[-1].type is MilestoneType.SHIPPED
    # Every event twice: a retried webhook, a replay, a redelivery after a lost ack.
    await publish(subject, stream, events + events)
    async with consumers(systems, subject, stream) as running:
        consumer = consumer_of(running, ERP_GROUP)
        await wait_until_async(
            lambda: asyncio.sleep(0, consumer.stats.handled == 2 * len(events)),
            what="every delivery handled",
        )
    [invoice] = systems.invoices(order.order_id)
    assert invoice["custbody_shipment_id"] == events[-1].shipment_id
    assert invoiced(systems, order) == [(order.sku, order.units)]
    assert systems.order_status(order.order_id) == "CONFIRMED"  # shipped, not delivered yet


async def test_a_delivered_order_is_completed(
    systems: Systems, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"done-{subject.kind}")
    events = milestones(systems.advance(order, "DELIVERED"))
    assert events[-1].type is MilestoneType.DELIVERED
    await publish(subject, stream, events)
    async with consumers(systems, subject, stream) as running:
        consumer = consumer_of(running, ERP_GROUP)
        await wait_until_async(
            lambda: asyncio.sleep(0, consumer.stats.handled == len(events)),
            what="every milestone handled",
        )
    assert len(systems.invoices(order.order_id)) == 1
    assert systems.order_status(order.order_id) == "COMPLETED"


async def test_a_consumer_killed_mid_batch_loses_nothing(
    systems: Systems, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"killed-{subject.kind}")
    events = milestones(systems.advance(order, "SHIPPED"))
    await publish(subject, stream, events)
    erp, wms = (
        system_client("erp", systems.settings.connectors),
        system_client("wms", systems.settings.connectors),
    )
    handler = idempotent(ErpInvoicing(erp, wms), SeenEvents(subject.cache, ERP_GROUP))
    stuck = asyncio.Event()

    async def hangs_on_the_shipment(delivery: Delivery) -> None:
        if FulfillmentMilestone.from_json(delivery.data).type is MilestoneType.SHIPPED:
            stuck.set()
            await asyncio.Event().wait()  # until killed
        await handler(delivery)

    doomed = Consumer(subject.bus, stream, ERP_GROUP, hangs_on_the_shipment, name="doomed", **FAST)
    task = doomed.start()
    try:
        await asyncio.wait_for(stuck.wait(), 10)
    finally:
        task.cancel()  # killed: no stop, no acknowledgement
        await asyncio.gather(task, return_exceptions=True)
        await erp.aclose()
        await wms.aclose()
    assert systems.invoices(order.order_id) == []
    async with consumers(systems, subject, stream, name="survivor") as running:
        survivor = consumer_of(running, ERP_GROUP)
        await wait_until_async(
            lambda: asyncio.sleep(0, survivor.stats.handled == 1), what="the shipment reclaimed"
        )
        assert survivor.stats.reclaimed == 1
    assert invoiced(systems, order) == [(order.sku, order.units)]


async def test_a_poison_event_is_dead_lettered_and_replays_after_the_fix(
    systems: Systems, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"poison-{subject.kind}")
    events = milestones(systems.advance(order, "SHIPPED"))
    await subject.bus.publish(stream, "not-an-event", b"{not json")
    systems.faults(error_rate=1.0, routes=["POST /invoices"])
    try:
        await publish(subject, stream, events)
        async with consumers(systems, subject, stream, max_attempts=2) as running:
            consumer = consumer_of(running, ERP_GROUP)
            await wait_until_async(
                lambda: asyncio.sleep(0, consumer.stats.dead_lettered == 2),
                what="the garbage and the shipment dead-lettered",
            )
            assert consumer.stats.handled == len(events) - 1
        parked = {
            letter.event_id: letter
            for letter in await subject.bus.dead_letters(stream)
            if letter.group == ERP_GROUP
        }
        assert set(parked) == {"not-an-event", events[-1].event_id}
        assert "503" in parked[events[-1].event_id].error
        assert systems.invoices(order.order_id) == []
    finally:
        systems.faults()
    # The fix is in (the ERP answers again): replay the shipment, not the garbage.
    await subject.bus.replay_dead_letters(stream, [parked[events[-1].event_id].id])
    async with consumers(systems, subject, stream) as running:
        consumer = consumer_of(running, ERP_GROUP)
        await wait_until_async(
            lambda: asyncio.sleep(0, consumer.stats.handled == 1), what="the replay handled"
        )
    assert invoiced(systems, order) == [(order.sku, order.units)]
    left = [x.event_id for x in await subject.bus.dead_letters(stream) if x.group == ERP_GROUP]
    assert left == ["not-an-event"]


async def test_the_status_says_each_consumer_runs_and_what_is_left_to_read(
    systems: Systems, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"status-{subject.kind}")
    events = milestones(systems.advance(order, "SHIPPED"))
    async with consumers(systems, subject, stream) as running:
        consumer = consumer_of(running, ERP_GROUP)
        await wait_until_async(
            lambda: asyncio.sleep(0, consumer.state == "running"), what="the consumer runs"
        )
        await publish(subject, stream, events)
        await wait_until_async(
            lambda: asyncio.sleep(0, consumer.stats.handled == len(events)),
            what="every milestone handled",
        )

        async def settled() -> bool:
            return all(s.pending == 0 and s.lag == 0 for s in await running.status())

        await wait_until_async(settled, what="nothing pending or unread")
        status = {s.group: s for s in await running.status()}
    assert set(status) == {c.group for c in running.consumers}
    erp = status[ERP_GROUP]
    assert erp.alive and erp.last_error is None and erp.restarts == 0
    assert erp.handled == len(events) and erp.stream == stream
    assert [s.state for s in await running.status()] == ["stopped"] * len(status)
