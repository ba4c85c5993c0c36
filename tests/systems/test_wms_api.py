"""The reference WMS's REST API: vendor payloads, envelopes, paging, bulk lookups, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from systems.wms.codes import CARRIER_SCAC, DISPOSITION_CODE, SHIP_STATUS, WAVE_STATUS, format_ts
from systems.world_records import (
    DistributionCenterRecord,
    FulfillmentOrderRecord,
    InventoryRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
    World,
)
from tests.support.rest import error_code, ok


def expected_facility(c: DistributionCenterRecord) -> dict[str, Any]:
    a = c.address
    return {
        "facility_id": c.id,
        "facility_name": c.name,
        "region_code": c.region,
        "time_zone": c.timezone,
        "address": {
            "line1": a.street,
            "city": a.city,
            "state_code": a.state,
            "postal_code": a.postal_code,
            "country_code": a.country,
            "region_code": a.region,
        },
    }


def expected_position(i: InventoryRecord) -> dict[str, Any]:
    return {
        "facility_id": i.center_id,
        "item_number": i.sku,
        "qty_on_hand": i.on_hand,
        "qty_allocated": i.allocated,
        "qty_available": i.on_hand - i.allocated,
        "qty_inbound": i.incoming,
        "inbound_eta": None if i.incoming_date is None else i.incoming_date.isoformat(),
    }


def expected_fulfillment_order(f: FulfillmentOrderRecord) -> dict[str, Any]:
    return {
        "fulfillment_order_no": f.id,
        "order_ref": f.order_id,
        "order_number": f.order_number,
        "facility_id": f.center_id,
        "wave_status": WAVE_STATUS[f.status],
        "released_ts": format_ts(f.released_at),
        "lines": [
            {"line_no": n, "item_number": line.sku, "qty_ordered": line.quantity,
             "qty_backordered": 0, "qty_cancelled": 0}
            for n, line in enumerate(f.lines, start=1)
        ],
    }  # fmt: skip


def expected_shipment(s: ShipmentRecord) -> dict[str, Any]:
    return {
        "shipment_no": s.id,
        "fulfillment_order_no": s.fulfillment_order_id,
        "order_ref": s.order_id,
        "facility_id": s.center_id,
        "carrier_scac": CARRIER_SCAC[s.carrier],
        "service_level": s.service,
        "tracking_no": s.tracking_number,
        "ship_status": SHIP_STATUS[s.status],
        "package_count": s.package_count,
        "gross_weight_kg": str(s.weight_kg),
        "ship_ts": format_ts(s.shipped_at),
        "est_delivery_date": s.estimated_delivery.isoformat(),
        "delivered_ts": None if s.delivered_at is None else format_ts(s.delivered_at),
        "lines": [
            {"line_no": n, "item_number": line.sku, "qty_shipped": line.quantity}
            for n, line in enumerate(s.lines, start=1)
        ],
        "events": [
            {"code": SHIP_STATUS[e.status], "desc": e.description, "city_state": e.location,
             "event_ts": format_ts(e.occurred_at)}
            for e in s.events
        ],
    }  # fmt: skip


def expected_receipt(r: ReturnReceiptRecord) -> dict[str, Any]:
    return {
        "receipt_no": r.id,
        "rma_ref": r.return_authorization_id,
        "order_ref": r.order_id,
        "facility_id": r.center_id,
        "received_ts": format_ts(r.received_at),
        "lines": [
            {"line_no": n, "item_number": line.sku, "qty_received": line.quantity_received,
             "disposition_code": DISPOSITION_CODE[line.disposition]}
            for n, line in enumerate(r.lines, start=1)
        ],
    }  # fmt: skip


def bulk(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": data, "meta": {"total": len(data), "offset": 0, "limit": len(data)}}


# facilities


def test_facilities_list_is_every_center_in_code_order(wms: httpx.Client, world: World) -> None:
    centers = sorted(world.centers, key=lambda c: c.id)
    body = ok(wms.get("/facilities"))
    assert body == {
        "data": [expected_facility(c) for c in centers],
        "meta": {"total": len(centers), "offset": 0, "limit": 50},
    }
    page = ok(wms.get("/facilities", params={"offset": 1, "limit": 2}))
    assert [f["facility_id"] for f in page["data"]] == [c.id for c in centers[1:3]]
    assert page["meta"] == {"total": len(centers), "offset": 1, "limit": 2}


def test_facility_single_and_bulk(wms: httpx.Client, world: World) -> None:
    center = world.centers[0]
    assert ok(wms.get(f"/facilities/{center.id}")) == expected_facility(center)
    body = ok(wms.get("/facilities", params={"ids": f"NOPE1,{center.id}"}))
    assert body == bulk([expected_facility(center)])
    assert error_code(wms.get("/facilities/NOPE1"), 404) == "NOT_FOUND"


# inventory


def test_inventory_by_items_is_every_facilitys_position(wms: httpx.Client, world: World) -> None:
    skus = [world.products[0].sku, world.products[7].sku, "SKU-NOPE"]
    body = ok(wms.get("/inventory", params={"items": ",".join(skus)}))
    expected = sorted(
        (i for i in world.inventory if i.sku in skus), key=lambda i: (i.sku, i.center_id)
    )
    assert len(expected) == 2 * len(world.centers)
    assert body == bulk([expected_position(i) for i in expected])


def test_inventory_by_facility_pages(wms: httpx.Client, world: World) -> None:
    center = world.centers[1].id
    positions = sorted((i for i in world.inventory if i.center_id == center), key=lambda i: i.sku)
    body = ok(wms.get("/inventory", params={"facility": center, "offset": 10, "limit": 5}))
    assert body == {
        "data": [expected_position(i) for i in positions[10:15]],
        "meta": {"total": len(positions), "offset": 10, "limit": 5},
    }
    both = ok(wms.get("/inventory", params={"facility": center, "items": positions[0].sku}))
    assert both == bulk([expected_position(positions[0])])


def test_inventory_unfiltered_counts_everything(wms: httpx.Client, world: World) -> None:
    body = ok(wms.get("/inventory", params={"limit": 3}))
    assert body["meta"]["total"] == len(world.inventory) and len(body["data"]) == 3


# fulfillment orders


def test_fulfillment_orders_by_order_refs_ids_and_single(wms: httpx.Client, world: World) -> None:
    split = next(o for o in world.orders if len({ln.center_id for ln in o.lines}) > 1
                 and any(f.order_id == o.id for f in world.fulfillment_orders))  # fmt: skip
    mine = [f for f in world.fulfillment_orders if f.order_id == split.id]
    assert len(mine) > 1
    body = ok(wms.get("/fulfillment-orders", params={"order_refs": f"{split.id},999999999"}))
    assert body == bulk([expected_fulfillment_order(f) for f in mine])
    by_ids = ok(wms.get("/fulfillment-orders", params={"ids": f"FO-0,{mine[0].id}"}))
    assert by_ids == bulk([expected_fulfillment_order(mine[0])])
    single = ok(wms.get(f"/fulfillment-orders/{mine[-1].id}"))
    assert single == expected_fulfillment_order(mine[-1])
    assert error_code(wms.get("/fulfillment-orders/FO-0"), 404) == "NOT_FOUND"


def test_fulfillment_orders_page(wms: httpx.Client, world: World) -> None:
    body = ok(wms.get("/fulfillment-orders", params={"limit": 2}))
    first = sorted(world.fulfillment_orders, key=lambda f: f.id)[:2]
    assert body["data"] == [expected_fulfillment_order(f) for f in first]
    assert body["meta"] == {"total": len(world.fulfillment_orders), "offset": 0, "limit": 2}


# shipments


def test_shipment_single_is_the_vendors_record(wms: httpx.Client, world: World) -> None:
    in_flight = next(s for s in world.shipments if s.delivered_at is None)
    for shipment in (world.shipments[0], in_flight):
        assert ok(wms.get(f"/shipments/{shipment.id}")) == expected_shipment(shipment)
    assert error_code(wms.get("/shipments/SH-0"), 404) == "NOT_FOUND"


@pytest.mark.parametrize("param", ["ids", "order_refs", "fulfillment_order_ids", "tracking_nos"])
def test_shipments_in_bulk(wms: httpx.Client, world: World, param: str) -> None:
    picked = [world.shipments[3], world.shipments[40]]
    keys: dict[str, Callable[[ShipmentRecord], str]] = {
        "ids": lambda s: s.id,
        "order_refs": lambda s: s.order_id,
        "fulfillment_order_ids": lambda s: s.fulfillment_order_id,
        "tracking_nos": lambda s: s.tracking_number,
    }
    key = keys[param]
    wanted = {key(s) for s in picked}
    body = ok(wms.get("/shipments", params={param: ",".join([*wanted, "NOPE"])}))
    expected = sorted((s for s in world.shipments if key(s) in wanted), key=lambda s: s.id)
    assert body == bulk([expected_shipment(s) for s in expected])


# return receipts


def test_return_receipts_by_rma_refs(wms: httpx.Client, world: World) -> None:
    receipt = world.return_receipts[0]
    ra = receipt.return_authorization_id
    body = ok(wms.get("/return-receipts", params={"rma_refs": f"{ra},NOPE"}))
    expected = [r for r in world.return_receipts if r.return_authorization_id == ra]
    assert body == bulk([expected_receipt(r) for r in sorted(expected, key=lambda r: r.id)])
    assert ok(wms.get(f"/return-receipts/{receipt.id}")) == expected_receipt(receipt)
    page = ok(wms.get("/return-receipts", params={"limit": 1}))
    assert page["meta"]["total"] == len(world.return_receipts)
    assert error_code(wms.get("/return-receipts/RR-0"), 404) == "NOT_FOUND"


# errors


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/facilities", {"limit": "0"}),
        ("/facilities", {"limit": "201"}),
        ("/inventory", {"offset": "-1"}),
        ("/inventory", {"limit": "ten"}),
        ("/inventory", {"items": ""}),
        ("/inventory", {"facility": " "}),
        ("/inventory", {"items": "SKU-10001,,SKU-10002"}),
        ("/shipments", {"ids": "SH-1", "order_refs": "1"}),
        ("/fulfillment-orders", {"ids": " "}),
        ("/return-receipts", {"rma_refs": ","}),
    ],
)
def test_bad_parameters_are_422(wms: httpx.Client, path: str, params: dict[str, str]) -> None:
    assert error_code(wms.get(path, params=params), 422) == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/facilities", "ids"),
        ("/inventory", "items"),
        ("/fulfillment-orders", "order_refs"),
        ("/shipments", "tracking_nos"),
        ("/return-receipts", "rma_refs"),
    ],
)
def test_oversize_batches_are_422(wms: httpx.Client, path: str, param: str) -> None:
    ids = ",".join(f"X{n}" for n in range(101))
    response = wms.get(path, params={param: ids})
    assert error_code(response, 422) == "INVALID_PARAMETER"
    assert "at most 100" in response.json()["error"]["message"]
    hundred = ",".join(f"X{n}" for n in range(100))
    assert ok(wms.get(path, params={param: hundred}))["data"] == []


def test_unknown_route_is_a_json_404(wms: httpx.Client) -> None:
    assert error_code(wms.get("/pallets"), 404) == "NOT_FOUND"
