"""The WMS announces every return receipt it books with an ``RT_RCV`` milestone webhook: written
with the receipt (never for a replay or a refusal), sent signed through the same delivery as
the lifecycle's milestones, and published by the intake as ``RETURN_RECEIVED``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.wms.signature import verify
from crossdock.settings import Settings
from schema.events import FulfillmentMilestone, LineQuantity, MilestoneType
from systems.world_records import ReturnAuthorizationRecord, World
from tests.subgraphs.wms.test_intake import SECRET, entries, post, receiver, webhook
from tests.support.rest import ok, refused
from tests.support.waiting import wait_until
from tests.systems.harness import private_system
from tests.systems.test_wms_webhooks import wms_sending_to


def open_returns(world: World) -> list[ReturnAuthorizationRecord]:
    """Seeded returns the ERP authorized and the WMS expects (``OPEN``)."""
    return [ra for ra in world.return_authorizations if ra.status == "AUTHORIZED"]


def receipt_of(ra: ReturnAuthorizationRecord, key: str, *dispositions: str) -> dict[str, Any]:
    """A receipt of everything ``ra`` expects, line by line with ``dispositions`` in turn."""
    words = dispositions or ("RESTOCKED",)
    return {
        "receipt_id": key,
        "rma_ref": ra.id,
        "facility_id": ra.center_id,
        "lines": [
            {"item_number": line.sku, "qty_received": line.quantity,
             "disposition_code": words[n % len(words)]}
            for n, line in enumerate(ra.lines)
        ],
    }  # fmt: skip


def return_log(wms: httpx.Client, rma_ref: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(
        wms.get("/_admin/webhook-deliveries", params={"rma_ref": rma_ref})
    )["data"]
    return found


def order_number(world: World, order_id: str) -> str:
    return next(o.number for o in world.orders if o.id == order_id)


def test_a_booked_receipt_writes_one_return_milestone(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    ra = next(ra for ra in open_returns(world) if len(ra.lines) >= 2)
    with private_system("wms", base_settings, tmp_path) as wms:
        body = receipt_of(ra, "dock-1", "RESTOCKED", "INSPECTION_REQUIRED")
        booked = ok(wms.post("/return-receipts", json=body), 201)
        [entry] = return_log(wms, ra.id)
        assert (entry["event_code"], entry["rma_ref"]) == ("RT_RCV", ra.id)
        assert entry["fulfillment_order_no"] is None
        assert entry["status"] == "PENDING"  # no webhook URL: kept until there is one
        payload = entry["payload"]
        assert payload["event_id"] == entry["event_id"]
        assert payload["event_ts"] == booked["received_ts"]
        assert (payload["rma_ref"], payload["receipt_no"]) == (ra.id, booked["receipt_no"])
        assert (payload["order_ref"], payload["order_number"]) == (
            ra.order_id,
            order_number(world, ra.order_id),
        )
        assert payload["facility_id"] == ra.center_id
        assert payload["fulfillment_order_no"] is None and payload["shipment_no"] is None
        assert payload["lines"] == [
            {
                "item_number": line.sku,
                "qty": line.quantity,
                "disposition_code": "QI" if n % 2 else "RS",
            }
            for n, line in enumerate(ra.lines)
        ]
        # The lifecycle's filter still lists fulfillment orders only.
        by_order = {"fulfillment_order_no": ra.id}
        assert ok(wms.get("/_admin/webhook-deliveries", params=by_order))["data"] == []

        # A replay of the booking answers the receipt and announces nothing again; refusals
        # announce nothing at all.
        assert ok(wms.post("/return-receipts", json=body)) == booked
        again = receipt_of(ra, "dock-2")
        refused(wms.post("/return-receipts", json=again), 409, "ALREADY_RECEIVED")
        stranger = {**receipt_of(ra, "dock-3"), "rma_ref": "NO-SUCH-RMA"}
        refused(wms.post("/return-receipts", json=stranger), 409, "NOT_EXPECTED")
        assert [e["event_id"] for e in return_log(wms, ra.id)] == [entry["event_id"]]
        assert return_log(wms, "NO-SUCH-RMA") == []


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_return_milestone_is_delivered_signed_and_published(
    base_settings: Settings, tmp_path: Path, world: World, kind: str
) -> None:
    ra = open_returns(world)[0]
    with (
        receiver(kind) as (url, app),
        httpx.Client(base_url=url, timeout=10) as intake,
        wms_sending_to(base_settings, tmp_path, url + "/webhooks/wms") as wms,
    ):
        ok(wms.post("/return-receipts", json=receipt_of(ra, "dock-sent")), 201)
        wait_until(
            lambda: [e["status"] for e in return_log(wms, ra.id)] == ["DELIVERED"],
            timeout=30,
            what="the return milestone delivered",
        )
        [logged] = return_log(wms, ra.id)
        assert (logged["attempts"], logged["last_status_code"]) == (1, 202)
        [entry] = entries(intake)
        assert entry.pop("_event_id") == logged["event_id"]
        event = FulfillmentMilestone.model_validate(entry)
        assert event.type is MilestoneType.RETURN_RECEIVED
        assert event.detail.return_authorization_id == ra.id
        assert (event.order_id, event.order_number) == (
            ra.order_id,
            order_number(world, ra.order_id),
        )
        assert (event.center_id, event.fulfillment_order_id, event.shipment_id) == (
            ra.center_id,
            None,
            None,
        )
        assert event.detail.quantities == tuple(
            LineQuantity(sku=line.sku, quantity=line.quantity) for line in ra.lines
        )
        [(header, raw)] = app.seen
        verify(SECRET, header, raw)


def test_the_intake_refuses_a_return_milestone_without_its_rma() -> None:
    with receiver("memory") as (url, _), httpx.Client(base_url=url, timeout=10) as intake:
        bare = webhook("RT_RCV", fulfillment_order_no=None)
        answer = post(intake, bare)
        assert answer.status_code == 400
        assert "rma_ref" in answer.json()["error"]["message"]
        no_lines = webhook("RT_RCV", fulfillment_order_no=None, rma_ref="400001", lines=[])
        assert post(intake, no_lines).status_code == 400  # RETURN_RECEIVED needs quantities
        assert entries(intake) == []
        good = webhook("RT_RCV", fulfillment_order_no=None, rma_ref="400001")
        assert post(intake, good).status_code == 202
        [entry] = entries(intake)
        assert entry["type"] == "RETURN_RECEIVED"
        assert entry["detail"]["return_authorization_id"] == "400001"
