"""An order submitted through the gateway, moved along by the WMS: subscribers through the
gateway see every milestone in order with fields of all three subgraphs, and the ERP bills
the shipment once however often its webhook arrives."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.e2e.cli import crossdock_events
from tests.e2e.orders import Accounts, Placed, place_order
from tests.e2e.streams import MILESTONES_BY_ACCOUNT, MILESTONES_BY_ORDER, ws_subscription
from tests.e2e.world import E2EWorld
from tests.orchestration.picks import Picker

STAGES = [
    "RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "IN_TRANSIT", "OUT_FOR_DELIVERY",
    "DELIVERED",
]  # fmt: skip

INVOICES = """
query Invoices($id: ID!) {
  order(id: $id) {
    status
    invoices { number shipment { id trackingNumber } lines { quantity product { sku } } }
  }
}
"""


def milestones(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [result["fulfillmentMilestones"] for result in results]


def assert_about(milestone: dict[str, Any], placed: Placed) -> None:
    """The order's fields as the ERP and CRM resolve them, the WMS's own fields."""
    assert milestone["order"] == {
        "id": placed.order_id,
        "number": placed.number,
        "total": {"amount": placed.total},
        "account": {"id": placed.account_id, "name": placed.account_name},
    }
    assert milestone["fulfillmentOrder"] == {"id": placed.fulfillment_order}
    assert milestone["distributionCenter"] == {"id": placed.center}


async def test_a_subscriber_sees_every_milestone_in_order_with_all_three_subgraphs(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    account = accounts.take()
    # By account from before the order exists: its release is the first milestone.
    async with ws_subscription(e2e, MILESTONES_BY_ACCOUNT, {"accountId": account}) as by_account:
        placed = await asyncio.to_thread(place_order, e2e, picker, account)
        first = await by_account.take(1)
        # By order from before the first advance.
        variables = {"orderId": placed.order_id}
        async with ws_subscription(e2e, MILESTONES_BY_ORDER, variables) as by_order:
            written = await asyncio.to_thread(e2e.advance, placed.fulfillment_order, "DELIVERED")
            rest = await by_account.take(len(STAGES) - 1)
            seen = await by_order.take(len(STAGES) - 1)
            await by_order.nothing_for(0.5)

    got = milestones(first + rest)
    assert [m["type"] for m in got] == STAGES
    sent = [d["payload"] for d in e2e.deliveries(placed.fulfillment_order)]
    assert [m["eventId"] for m in got] == [p["event_id"] for p in sent]
    assert [p["event_id"] for p in sent[1:]] == [w["event_id"] for w in written]
    assert milestones(seen) == got[1:]
    shipped = sent[STAGES.index("SHIPPED")]
    for milestone in got:
        assert_about(milestone, placed)
        if STAGES.index(milestone["type"]) < STAGES.index("SHIPPED"):
            assert (milestone["shipment"], milestone["trackingNumber"]) == (None, None)
        else:
            assert milestone["shipment"] == {
                "id": shipped["shipment_no"],
                "trackingNumber": shipped["tracking_no"],
            }
            assert milestone["trackingNumber"] == shipped["tracking_no"]
            assert milestone["carrier"] is not None
    assert [m["occurredAt"] for m in got] == sorted(m["occurredAt"] for m in got)
    assert got[STAGES.index("SHIPPED")]["quantities"] == [
        {"sku": placed.sku, "quantity": placed.quantity}
    ]
    # What the consumers made of it, through the gateway: billed once, and complete.
    e2e.wait_settled("erp")
    order = e2e.data(INVOICES, {"id": placed.order_id})["order"]
    assert order["status"] == "COMPLETED"
    assert order["invoices"] == [
        {
            "number": order["invoices"][0]["number"],
            "shipment": {"id": shipped["shipment_no"], "trackingNumber": shipped["tracking_no"]},
            "lines": [{"quantity": placed.quantity, "product": {"sku": placed.sku}}],
        }
    ]


def test_the_erp_holds_one_invoice_per_shipment_however_often_its_webhook_arrives(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed = place_order(e2e, picker, accounts.take())
    written = e2e.advance(placed.fulfillment_order, "SHIPPED")
    [shipped] = [w for w in written if w["event_code"] == "SH_SHP"]
    e2e.wait_delivered(placed.fulfillment_order)

    # The same webhook again (a redelivery after a lost acknowledgement): not published twice.
    again = e2e.post_signed(shipped)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "duplicate"
    [entry] = [x for x in e2e.entries() if x.event["event_id"] == shipped["event_id"]]
    # The WMS resending the shipment under a new event id: published, and billed by nobody.
    resent = e2e.post_signed({**shipped, "event_id": f"wev_{uuid.uuid4().hex}"})
    assert resent.status_code == 202, resent.text
    # The original entry appended to the stream again (an operator's replay): dropped by id.
    replayed = crossdock_events(
        e2e, "replay", "fulfillment-milestones", "--from", entry.id, "--to", entry.id
    )
    assert "replayed 1 entries" in replayed.stdout
    e2e.wait_settled("erp", "crm", "returns")

    order = e2e.data(INVOICES, {"id": placed.order_id})["order"]
    assert [i["shipment"]["id"] for i in order["invoices"]] == [shipped["shipment_no"]]
    assert order["invoices"][0]["lines"] == [
        {"quantity": placed.quantity, "product": {"sku": placed.sku}}
    ]
    in_erp = e2e.system("erp", "GET", "/invoices", params={"orderIds": placed.order_id})
    assert len(in_erp["items"]) == 1
    assert [d for d in e2e.dead_letters() if d["data"]["order_id"] == placed.order_id] == []
