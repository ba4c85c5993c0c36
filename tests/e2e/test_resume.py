"""A subscriber that drops off and comes back with the last event id it saw receives exactly
what it missed, then the live milestones; one over server-sent events receives the same; one
following the tracking number receives its shipment's milestones."""

from __future__ import annotations

import asyncio

from tests.e2e.orders import Accounts, place_order
from tests.e2e.streams import (
    MILESTONES_BY_ORDER,
    SHIPMENT_UPDATES,
    sse_subscription,
    ws_subscription,
    ws_until_complete,
)
from tests.e2e.world import E2EWorld, running_replica
from tests.orchestration.picks import Picker


async def test_a_subscriber_resumes_after_its_last_event_and_sse_sees_the_same(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed = await asyncio.to_thread(place_order, e2e, picker, accounts.take())
    fulfillment = placed.fulfillment_order
    # Its release is on the stream already: the subscribers below follow what comes next.
    await asyncio.to_thread(e2e.wait_delivered, fulfillment)
    by_order = {"orderId": placed.order_id}
    async with sse_subscription(e2e, MILESTONES_BY_ORDER, by_order) as sse:
        async with ws_subscription(e2e, MILESTONES_BY_ORDER, by_order) as ws:
            await asyncio.to_thread(e2e.advance, fulfillment, "PICKED")
            before = await ws.take(2)
        # Disconnected; two milestones happen meanwhile.
        missed_ones = await asyncio.to_thread(e2e.advance, fulfillment, "SHIPPED")
        await asyncio.to_thread(e2e.wait_delivered, fulfillment)
        last = before[-1]["fulfillmentMilestones"]["eventId"]
        async with ws_subscription(e2e, MILESTONES_BY_ORDER, {**by_order, "after": last}) as ws:
            missed = await ws.take(2)
            shipped = missed[-1]["fulfillmentMilestones"]
            tracking = {"trackingNumber": shipped["trackingNumber"]}
            async with ws_subscription(e2e, SHIPMENT_UPDATES, tracking) as parcel:
                await asyncio.to_thread(e2e.advance, fulfillment, "IN_TRANSIT")
                live = await ws.take(1)
                followed = await parcel.take(1)
            await ws.nothing_for(0.5)
        over_sse = await sse.take(5)

    def types(results: list[dict[str, object]], field: str = "fulfillmentMilestones") -> list[str]:
        return [r[field]["type"] for r in results]  # type: ignore[index]

    assert types(before) == ["PICKING", "PICKED"]
    assert types(missed) == ["PACKED", "SHIPPED"]
    assert [m["fulfillmentMilestones"]["eventId"] for m in missed] == [
        w["event_id"] for w in missed_ones
    ]
    assert types(live) == ["IN_TRANSIT"]
    assert over_sse == before + missed + live
    assert types(followed, "shipmentUpdates") == ["IN_TRANSIT"]
    assert followed[0]["shipmentUpdates"] == live[0]["fulfillmentMilestones"]


async def test_a_subscriber_resumes_on_another_replica_and_gets_the_rest(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    """Replicas share nothing but Redis: a subscriber that dropped off one gateway (and its
    wms subgraph) and resumes ``after`` its last event on another gets what it missed, then
    the live milestones, each once."""
    placed = await asyncio.to_thread(place_order, e2e, picker, accounts.take())
    fulfillment = placed.fulfillment_order
    await asyncio.to_thread(e2e.wait_delivered, fulfillment)
    by_order = {"orderId": placed.order_id}
    async with ws_subscription(e2e, MILESTONES_BY_ORDER, by_order) as ws:
        await asyncio.to_thread(e2e.advance, fulfillment, "PICKED")
        before = await ws.take(2)
    missed_ones = await asyncio.to_thread(e2e.advance, fulfillment, "SHIPPED")
    await asyncio.to_thread(e2e.wait_delivered, fulfillment)
    last = before[-1]["fulfillmentMilestones"]["eventId"]
    with running_replica(e2e) as other:
        assert other.gateway != e2e.gateway
        resumed = {**by_order, "after": last}
        async with ws_subscription(other, MILESTONES_BY_ORDER, resumed) as ws:
            missed = await ws.take(2)
            await asyncio.to_thread(e2e.advance, fulfillment, "IN_TRANSIT")
            live = await ws.take(1)
            await ws.nothing_for(0.5)
    assert [m["fulfillmentMilestones"]["type"] for m in before] == ["PICKING", "PICKED"]
    assert [m["fulfillmentMilestones"]["eventId"] for m in missed] == [
        w["event_id"] for w in missed_ones
    ]
    assert [m["fulfillmentMilestones"]["type"] for m in live] == ["IN_TRANSIT"]


async def test_resuming_after_an_event_the_stream_does_not_hold_is_refused_clearly(
    e2e: E2EWorld,
) -> None:
    variables = {"orderId": "1", "after": "wev_never_published"}
    messages = await ws_until_complete(e2e, MILESTONES_BY_ORDER, variables)
    # An error of the subscription's result, as the graphql-ws reference server sends it:
    # a result with the errors, then the end of the stream (not the protocol's error message).
    [result, end] = messages
    assert (result["type"], end) == ("next", {"id": "1", "type": "complete"})
    assert result["payload"]["data"] is None
    [error] = result["payload"]["errors"]
    assert error["path"] == ["fulfillmentMilestones"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "wev_never_published" in error["message"]
    assert "not retained" in error["message"]
