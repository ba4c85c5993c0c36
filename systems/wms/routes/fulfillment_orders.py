"""``/fulfillment-orders``: the pick waves released for ERP orders, with their lines."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database, placeholders
from systems.common.errors import NotFound
from systems.common.params import parse_page
from systems.common.responses import json_response
from systems.wms.routes.common import (
    bulk_envelope,
    count_rows,
    grouped,
    one_filter,
    page_envelope,
)

__all__ = ["fulfillment_order_routes", "load_fulfillment_orders"]

# Bulk filter parameter -> the column it matches.
_FILTERS = {"ids": "fulfillment_order_no", "order_refs": "order_ref"}


def _payload(row: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
    return {
        "fulfillment_order_no": row["fulfillment_order_no"],
        "order_ref": row["order_ref"],
        "order_number": row["order_number"],
        "facility_id": row["facility_id"],
        "wave_status": row["wave_status"],
        "released_ts": row["released_ts"],
        "lines": [
            {
                "line_no": line["line_no"],
                "item_number": line["item_number"],
                "qty_ordered": line["qty_ordered"],
                "qty_backordered": line["qty_backordered"],
                "qty_cancelled": line["qty_cancelled"],
            }
            for line in lines
        ],
    }


def load_fulfillment_orders(
    db: Database, where: str = "", params: Sequence[object] = (), tail: str = ""
) -> list[dict[str, Any]]:
    """The fulfillment orders matching ``where`` (by number), each with its lines."""
    rows = db.fetch_all(
        f"SELECT * FROM fulfillment_orders {where} ORDER BY fulfillment_order_no {tail}", params
    )
    if not rows:
        return []
    numbers = [row["fulfillment_order_no"] for row in rows]
    lines = grouped(
        db.fetch_all(
            "SELECT * FROM fulfillment_order_lines "
            f"WHERE fulfillment_order_no IN ({placeholders(len(numbers))}) "
            "ORDER BY fulfillment_order_no, line_no",
            numbers,
        ),
        "fulfillment_order_no",
    )
    return [_payload(row, lines.get(row["fulfillment_order_no"], [])) for row in rows]


def fulfillment_order_routes(db: Database) -> list[Route]:
    def list_fulfillment_orders(request: Request) -> Response:
        bulk = one_filter(request, list(_FILTERS))
        if bulk is not None:
            name, ids = bulk
            where = f"WHERE {_FILTERS[name]} IN ({placeholders(len(ids))})"
            return json_response(bulk_envelope(load_fulfillment_orders(db, where, ids)))
        page = parse_page(request)
        total = count_rows(db, "SELECT count(*) FROM fulfillment_orders")
        data = load_fulfillment_orders(db, "", (page.limit, page.offset), "LIMIT ? OFFSET ?")
        return json_response(page_envelope(data, total=total, page=page))

    def get_fulfillment_order(request: Request) -> Response:
        number = request.path_params["fulfillment_order_no"]
        found = load_fulfillment_orders(db, "WHERE fulfillment_order_no = ?", (number,))
        if not found:
            raise NotFound(f"no fulfillment order {number!r}")
        return json_response(found[0])

    return [
        Route("/fulfillment-orders", list_fulfillment_orders, methods=["GET"]),
        Route("/fulfillment-orders/{fulfillment_order_no}", get_fulfillment_order, methods=["GET"]),
    ]
