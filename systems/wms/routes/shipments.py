"""``/shipments``: parcels and freight that left a facility, with lines and carrier events."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, grouped, placeholders
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.wms.routes.common import (
    bulk_envelope,
    count_rows,
    one_filter,
    page_envelope,
)

__all__ = ["load_shipments", "shipment_routes"]

# Bulk filter parameter -> the column it matches.
_FILTERS = {
    "ids": "shipment_no",
    "order_refs": "order_ref",
    "fulfillment_order_ids": "fulfillment_order_no",
    "tracking_nos": "tracking_no",
}


def _payload(
    row: sqlite3.Row, lines: list[sqlite3.Row], events: list[sqlite3.Row]
) -> dict[str, Any]:
    return {
        "shipment_no": row["shipment_no"],
        "fulfillment_order_no": row["fulfillment_order_no"],
        "order_ref": row["order_ref"],
        "facility_id": row["facility_id"],
        "carrier_scac": row["carrier_scac"],
        "service_level": row["service_level"],
        "tracking_no": row["tracking_no"],
        "ship_status": row["ship_status"],
        "package_count": row["package_count"],
        "gross_weight_kg": row["gross_weight_kg"],
        "ship_ts": row["ship_ts"],
        "est_delivery_date": row["est_delivery_date"],
        "delivered_ts": row["delivered_ts"],
        "lines": [
            {
                "line_no": line["line_no"],
                "item_number": line["item_number"],
                "qty_shipped": line["qty_shipped"],
            }
            for line in lines
        ],
        "events": [
            {
                "code": event["code"],
                "desc": event["desc"],
                "city_state": event["city_state"],
                "event_ts": event["event_ts"],
            }
            for event in events
        ],
    }


def load_shipments(
    db: Database, where: str = "", params: Sequence[object] = (), tail: str = ""
) -> list[dict[str, Any]]:
    """The shipments matching ``where`` (by number), each with its lines and events."""
    rows = db.fetch_all(f"SELECT * FROM shipments {where} ORDER BY shipment_no {tail}", params)
    if not rows:
        return []
    numbers = [row["shipment_no"] for row in rows]
    among = f"WHERE shipment_no IN ({placeholders(len(numbers))})"
    lines = grouped(
        db.fetch_all(
            f"SELECT * FROM shipment_lines {among} ORDER BY shipment_no, line_no", numbers
        ),
        "shipment_no",
    )
    events = grouped(
        db.fetch_all(f"SELECT * FROM tracking_events {among} ORDER BY shipment_no, seq", numbers),
        "shipment_no",
    )
    return [
        _payload(row, lines.get(row["shipment_no"], []), events.get(row["shipment_no"], []))
        for row in rows
    ]


def shipment_routes(db: Database) -> list[Route]:
    def list_shipments(request: Request) -> Response:
        bulk = one_filter(request, list(_FILTERS))
        if bulk is not None:
            name, ids = bulk
            where = f"WHERE {_FILTERS[name]} IN ({placeholders(len(ids))})"
            return json_response(bulk_envelope(load_shipments(db, where, ids)))
        page = parse_page(request)
        total = count_rows(db, "SELECT count(*) FROM shipments")
        data = load_shipments(db, "", (page.limit, page.offset), "LIMIT ? OFFSET ?")
        return json_response(page_envelope(data, total=total, page=page))

    def get_shipment(request: Request) -> Response:
        number = request.path_params["shipment_no"]
        found = load_shipments(db, "WHERE shipment_no = ?", (number,))
        if not found:
            raise NotFound(f"no shipment {number!r}")
        return json_response(found[0])

    return [
        Route("/shipments", list_shipments, methods=["GET"]),
        Route("/shipments/{shipment_no}", get_shipment, methods=["GET"]),
    ]
