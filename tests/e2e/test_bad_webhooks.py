"""Webhooks the intake refuses change nothing anywhere: no stream entry, no invoice, no case
or activity in the CRM, no message to a subscriber."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson

from systems.wms.signing import SIGNATURE_HEADER, signature_header
from tests.e2e.orders import Accounts, Placed, place_order
from tests.e2e.streams import MILESTONES_BY_ORDER, ws_subscription
from tests.e2e.world import E2E_SECRET, E2EWorld
from tests.orchestration.picks import Picker

WHAT_CHANGED = """
query Changed($id: ID!) {
  order(id: $id) {
    invoices { number }
    cases { caseNumber }
    account { cases { caseNumber } activities(first: 100) { id subject } }
  }
}
"""


def forged(placed: Placed, shipment: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A shipment exception webhook for ``placed``, as the WMS would send it: accepted, it
    would open a case, record an activity and reach subscribers."""
    return {
        **shipment,
        "event_id": f"wev_{uuid.uuid4().hex}",
        "event_code": "SH_EXC",
        "exception_code": "DMG",
        "exception_desc": "carton crushed",
        **changes,
    }


def entries_of(world: E2EWorld, placed: Placed) -> list[str]:
    """The event ids on the milestone stream about ``placed``, in stream order."""
    return [x.event["event_id"] for x in world.entries() if x.event["order_id"] == placed.order_id]


def _signed(body: bytes, *, secret: str = E2E_SECRET, at: int | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: signature_header(secret, body, timestamp=at)}


def bad_requests(
    placed: Placed, shipment: dict[str, Any]
) -> list[tuple[str, bytes, dict[str, str], int]]:
    """(what, body, headers, the status it must get)."""
    good = orjson.dumps(forged(placed, shipment))
    unknown = orjson.dumps(forged(placed, shipment, event_code="SH_XYZ"))
    missing = orjson.dumps({k: v for k, v in forged(placed, shipment).items() if k != "order_ref"})
    mistyped = orjson.dumps(forged(placed, shipment, lines=[{"item_number": "X", "qty": "two"}]))
    return [
        ("unsigned", good, {}, 401),
        ("signed with another secret", good, _signed(good, secret="not-the-secret"), 401),
        ("signed for another body", good, _signed(good + b" "), 401),
        ("stale", good, _signed(good, at=int(time.time()) - 3600), 401),
        ("from the future", good, _signed(good, at=int(time.time()) + 3600), 401),
        ("garbage signature", good, {SIGNATURE_HEADER: "t=abc,v1=zz"}, 401),
        ("not JSON", b"{not json", _signed(b"{not json"), 400),
        ("a JSON array", b"[]", _signed(b"[]"), 400),
        ("an unknown event code", unknown, _signed(unknown), 400),
        ("a missing field", missing, _signed(missing), 400),
        ("a mistyped field", mistyped, _signed(mistyped), 400),
    ]


async def test_bad_webhooks_change_nothing(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed = await asyncio.to_thread(place_order, e2e, picker, accounts.take())
    written = await asyncio.to_thread(e2e.advance, placed.fulfillment_order, "SHIPPED")
    shipment = next(w for w in written if w["event_code"] == "SH_SHP")
    await asyncio.to_thread(e2e.wait_delivered, placed.fulfillment_order)
    await asyncio.to_thread(e2e.wait_settled, "erp", "crm", "returns")
    entries_before = await asyncio.to_thread(entries_of, e2e, placed)
    before = await asyncio.to_thread(e2e.data, WHAT_CHANGED, {"id": placed.order_id})

    async with ws_subscription(e2e, MILESTONES_BY_ORDER, {"orderId": placed.order_id}) as sub:
        for what, body, headers, status in bad_requests(placed, shipment):
            answer = await asyncio.to_thread(e2e.post_webhook, body, headers)
            assert answer.status_code == status, (what, answer.text)
            error = answer.json()["error"]
            assert error["code"] in ("UNAUTHENTICATED", "BAD_REQUEST"), what
            assert error["message"] and "Traceback" not in answer.text, what
        # The next thing the subscriber hears of is the next real milestone.
        moved = await asyncio.to_thread(e2e.advance, placed.fulfillment_order, "IN_TRANSIT")
        [next_one] = await sub.take(1)
        assert next_one["fulfillmentMilestones"]["eventId"] == moved[0]["event_id"]

    await asyncio.to_thread(e2e.wait_delivered, placed.fulfillment_order)
    await asyncio.to_thread(e2e.wait_settled, "erp", "crm", "returns")
    entries_after = await asyncio.to_thread(entries_of, e2e, placed)
    assert entries_after == [*entries_before, moved[0]["event_id"]]
    after = await asyncio.to_thread(e2e.data, WHAT_CHANGED, {"id": placed.order_id})
    assert after["order"]["invoices"] == before["order"]["invoices"]
    assert after["order"]["cases"] == before["order"]["cases"] == []
    assert after["order"]["account"]["cases"] == before["order"]["account"]["cases"]
    # One activity more: the real IN_TRANSIT's.
    activities = after["order"]["account"]["activities"]
    assert len(activities) == len(before["order"]["account"]["activities"]) + 1
